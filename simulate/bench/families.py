"""Benchmarks of the discrete and GMM chains, as ratios against a reference in the same process.

``collapse bench discrete`` times the Wright-Fisher sampler on the issue's workload
(10^4 chains x K = 100 x 1000 generations at M = 100) and the batched-multinomial
and literal samplers on fewer chains of the same chain, per chain-generation.
``collapse bench gmm`` times batched EM fits (64 chains) against a loop of
scikit-learn ``GaussianMixture`` fits on the same data, and checks that both reach
the same mixtures from the same start.
"""

from __future__ import annotations

import time

import numpy as np

from collapse.simulate.families.discrete import DiscreteConfig, simulate_discrete

__all__ = ["bench_discrete", "bench_gmm"]


def _timed(fn) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def bench_discrete(chains: int = 10_000, states: int = 100, samples: int = 100, generations: int = 1000,
                   reference_chains: int = 500, seed: int = 0) -> dict:
    """Seconds and chain-generations per second of each sampler; ratios against the others."""
    p0 = (1.0 / states,) * states
    sched = (samples,) * generations
    rng = np.random.default_rng(seed)
    t_wf, res = _timed(lambda: simulate_discrete(DiscreteConfig(chains, p0, sched), rng, keep=[generations]))
    t_mn, _ = _timed(lambda: simulate_discrete(DiscreteConfig(reference_chains, p0, sched, sampler="multinomial"),
                                               rng, keep=[generations]))
    t_lit, _ = _timed(lambda: simulate_discrete(DiscreteConfig(reference_chains, p0, sched, sampler="literal"),
                                                rng, keep=[generations]))
    per = {"wright-fisher": t_wf / (chains * generations), "multinomial": t_mn / (reference_chains * generations),
           "literal": t_lit / (reference_chains * generations)}
    return {
        "chains": chains, "states": states, "samples_per_generation": samples, "generations": generations,
        "wright_fisher_seconds": t_wf,
        "absorbed_fraction_at_end": float(res.absorbed_frac[-1]),
        "reference_chains": reference_chains,
        "multinomial_seconds": t_mn, "literal_seconds": t_lit,
        "wright_fisher_chain_generations_per_s": 1 / per["wright-fisher"],
        "multinomial_chain_generations_per_s": 1 / per["multinomial"],
        "literal_chain_generations_per_s": 1 / per["literal"],
        "speedup_wright_fisher_over_multinomial": per["multinomial"] / per["wright-fisher"],
        "speedup_wright_fisher_over_literal": per["literal"] / per["wright-fisher"],
    }


def bench_gmm(chains: int = 64, samples: int = 1000, generations: int = 3, reference_chains: int = 16,
              seed: int = 0) -> dict:
    """Batched EM (fit + sample, ``chains`` at once) against scikit-learn fits in a loop.

    Both run the GMM chain from the same blob for ``generations`` generations; the
    reference runs ``reference_chains`` of them. Then, on one set of data, both
    start from the same k-means mixture and the largest parameter difference is reported.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):  # both sides single-threaded: stable, fair on a shared machine
        return _bench_gmm(chains, samples, generations, reference_chains, seed)


def _bench_gmm(chains: int, samples: int, generations: int, reference_chains: int, seed: int) -> dict:
    from collapse.simulate.families import gmm as G

    rng = np.random.default_rng(seed)
    fam = G.GMMFamily(seed=seed)

    def chain(fit, n):
        p = G.GMMParams.blob(n)
        for _ in range(generations):
            p = fit(fam.sample(p, samples, rng))
        return p

    t_b, _ = _timed(lambda: chain(fam.fit, chains))
    t_s, _ = _timed(lambda: chain(lambda x: G.sklearn_fit(x, seed=seed), reference_chains))
    x = fam.sample(G.GMMParams.blob(chains), samples, rng)
    init = G.kmeans_init(x, 2, rng)
    ours = G.batched_em(x, init)
    ref = G.sklearn_fit(x[:reference_chains], init.take(np.arange(reference_chains)))
    diff = max(np.abs(getattr(ours.params, k)[:reference_chains] - getattr(ref, k)).max()
               for k in ("weights", "means", "covs"))
    per_b, per_s = t_b / (chains * generations), t_s / (reference_chains * generations)
    return {
        "chains": chains, "samples": samples, "generations": generations, "reference_chains": reference_chains,
        "batched_seconds": t_b, "sklearn_seconds": t_s,
        "batched_ms_per_chain_generation": 1e3 * per_b, "sklearn_ms_per_chain_generation": 1e3 * per_s,
        "speedup_batched_over_sklearn": per_s / per_b,
        "same_start_max_abs_param_difference": float(diff),
        "mean_em_iterations": float(ours.n_iter.mean()),
        "threads": 1,
    }
