"""Benchmarks of the samplers, reported as ratios against a reference in the same process."""

from __future__ import annotations

import time

import numpy as np

from collapse.simulate.families.gaussian import GaussianConfig, simulate_gaussian


def _best_of(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_gaussian(samples: int = 100, chains: int = 10000, generations: int = 50, repeats: int = 3,
                   seed: int = 0, big: bool = False) -> dict:
    """Time the fast and literal samplers on the same work (chains x generations at M = samples).

    Returns seconds (best of ``repeats``), the speed-up ratio and chain-generations per second.
    """
    rng = np.random.default_rng(seed)
    work = chains * generations
    times = {}
    for sampler in ("literal", "fast"):
        cfg = GaussianConfig(n_chains=chains, schedule=(samples,) * generations, sampler=sampler)
        times[sampler] = _best_of(lambda: simulate_gaussian(cfg, rng, keep=[generations]), repeats)
    report = {
        "samples_per_generation": samples, "chains": chains, "generations": generations,
        "literal_seconds": times["literal"], "fast_seconds": times["fast"],
        "speedup_fast_over_literal": times["literal"] / times["fast"],
        "literal_chain_generations_per_s": work / times["literal"],
        "fast_chain_generations_per_s": work / times["fast"],
    }
    if big:
        cfg = GaussianConfig(n_chains=100_000, schedule=(samples,) * 1000)
        t = _best_of(lambda: simulate_gaussian(cfg, rng, keep=[1000]), 1)
        report["big_1e5_chains_x_1e3_generations_seconds"] = t
    return report
