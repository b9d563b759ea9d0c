"""Simulations behind the regimes figure: fresh real data against gamma, accumulate against replace.

Saved (NPZ with config, seed and versions) for figures/regimes.py, which overlays
the closed forms. Per-cell means and standard errors only, not the chains.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from collapse.core.runner import Run
from collapse.core.validation import InvalidArgument, check_int
from collapse.simulate.families.gaussian import GaussianConfig, GaussianFamily, GaussianParams, simulate_gaussian
from collapse.simulate.loop import run_generations


@dataclasses.dataclass(frozen=True)
class RegimesConfig:
    samples: int = 100
    gammas: tuple[float, ...] = (0.05, 0.1, 0.2, 0.4, 0.8)
    mix_generations: int = 150
    mix_chains: int = 2000
    acc_samples: int = 20
    acc_generations: int = 300
    acc_chains: int = 4000
    seed: int = 20240724

    def __post_init__(self) -> None:
        check_int("samples", self.samples, minimum=3)
        for gam in self.gammas:
            if not 0 < gam < 1:
                raise InvalidArgument("gammas[]", "fractions in (0, 1)", gam)
        for name in ("mix_generations", "mix_chains", "acc_samples", "acc_generations", "acc_chains", "seed"):
            check_int(name, getattr(self, name), minimum=0 if name == "seed" else 2)


def run_regimes(config: RegimesConfig, run: Run, *, progress: bool = False) -> Path:
    """Write ``regimes.npz``: mix_* arrays over gamma, acc_*/rep_* arrays over generations."""
    rel = f"results/{run.name}.npz"
    if run.done(rel):
        return run.path(rel)
    streams = np.random.SeedSequence(config.seed).spawn(len(config.gammas) + 2)
    m, C = config.samples, config.mix_chains
    fam = GaussianFamily("unbiased")
    dmu, dmu_se, var, var_se = [], [], [], []
    for gam, ss in zip(config.gammas, streams):
        last = run_generations(fam, GaussianParams(np.zeros(C), np.ones(C)), (m,) * config.mix_generations,
                               np.random.default_rng(ss), regime=f"mix:{1 - gam},0,{gam}")
        for arr, mean, se in ((last.mean**2, dmu, dmu_se), (last.var, var, var_se)):
            mean.append(arr.mean())
            se.append(arr.std(ddof=1) / np.sqrt(C))
    G = config.acc_generations
    keep = _kept(G)
    arrays = {"mix_gamma": np.array(config.gammas), "mix_dmu2": np.array(dmu), "mix_dmu2_se": np.array(dmu_se),
              "mix_sigma2": np.array(var), "mix_sigma2_se": np.array(var_se), "acc_gens": np.array(keep)}
    for regime, ss in zip(("accumulate", "replace"), streams[-2:]):
        ch = simulate_gaussian(GaussianConfig(config.acc_chains, (config.acc_samples,) * G, regime=regime),
                               np.random.default_rng(ss), keep=keep)
        arrays[f"{regime}_dmu2"] = (ch.mu**2).mean(axis=0)
        arrays[f"{regime}_dmu2_se"] = (ch.mu**2).std(axis=0, ddof=1) / np.sqrt(config.acc_chains)
    return run.save_npz(rel, run.metadata(), **arrays)


def _kept(generations: int) -> list[int]:
    """The generations of the accumulate and replace chains that are saved (about 40, log-spaced)."""
    return sorted({int(g) for g in np.unique(np.geomspace(1, generations, 40).astype(int))} | {0})


def load_regimes(path: Path) -> tuple[RegimesConfig, dict[str, np.ndarray]]:
    """The config and arrays of a saved result, checked (:class:`~collapse.core.runner.DamagedFile` if not)."""
    from collapse.simulate.experiments.results import damaged, read_arrays

    path = Path(path)
    spec = {k: ("gammas",) for k in ("mix_gamma", "mix_dmu2", "mix_dmu2_se", "mix_sigma2", "mix_sigma2_se")}
    spec.update({k: ("kept",) for k in ("acc_gens", "replace_dmu2", "replace_dmu2_se", "accumulate_dmu2",
                                        "accumulate_dmu2_se")})
    fields = {"samples": int, "gammas": list, "mix_generations": int, "acc_samples": int, "acc_generations": int}
    meta, arrays = read_arrays(path, path.stem, spec, config=fields,
                               dims=lambda cfg: {"gammas": len(cfg["gammas"]),
                                                 "kept": len(_kept(max(int(cfg["acc_generations"]), 1)))})
    cfg = dict(meta["config"])
    cfg["gammas"] = tuple(cfg["gammas"])
    try:
        return RegimesConfig(**cfg), arrays
    except (TypeError, InvalidArgument) as exc:
        raise damaged(path, f"its config is not a regimes experiment's ({str(exc).splitlines()[0][:120]})") from None
