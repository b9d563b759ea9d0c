"""Simulated moments of the Gaussian chain per generation, for the theory figure.

Saves, for each estimator, the per-generation sample mean and standard error of
sigma_n, (mu_n - mu_0)^2 and W2^2 over many chains (not the chains themselves),
so that figures/gaussian_theory.py can draw them over the closed forms.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from collapse.core.runner import Run
from collapse.core.validation import InvalidArgument, check_int
from collapse.simulate.families.gaussian import ESTIMATORS, GaussianConfig, simulate_gaussian

STATS = ("sigma", "dmu2", "w2sq")


@dataclasses.dataclass(frozen=True)
class GaussianTheoryConfig:
    samples: int = 20
    generations: int = 200
    chains: int = 20000
    seed: int = 20240724

    def __post_init__(self) -> None:
        check_int("samples", self.samples, minimum=2)
        check_int("generations", self.generations, minimum=1)
        check_int("chains", self.chains, minimum=2)
        check_int("seed", self.seed, minimum=0)


def run_gaussian_theory(config: GaussianTheoryConfig, run: Run, *, progress: bool = False) -> Path:
    """Write ``<estimator>_<stat>_mean`` / ``_se`` arrays of shape (generations + 1,)."""
    rel = f"results/{run.name}.npz"
    if run.done(rel):
        return run.path(rel)
    arrays = {}
    for est, ss in zip(ESTIMATORS, np.random.SeedSequence(config.seed).spawn(len(ESTIMATORS))):
        cfg = GaussianConfig(config.chains, (config.samples,) * config.generations, estimator=est)
        ch = simulate_gaussian(cfg, np.random.default_rng(ss))
        sigma = np.sqrt(ch.sigma2)
        values = {"sigma": sigma, "dmu2": ch.mu**2, "w2sq": ch.mu**2 + (sigma - 1.0) ** 2}
        for key, v in values.items():
            arrays[f"{est}_{key}_mean"] = v.mean(axis=0)
            arrays[f"{est}_{key}_se"] = v.std(axis=0, ddof=1) / np.sqrt(v.shape[0])
    return run.save_npz(rel, run.metadata(), **arrays)


def load_gaussian_theory(path: Path) -> tuple[GaussianTheoryConfig, dict[str, np.ndarray]]:
    """The config and arrays of a saved result, checked (:class:`~collapse.core.runner.DamagedFile` if not)."""
    from collapse.simulate.experiments.results import damaged, read_arrays

    path = Path(path)
    spec = {f"{est}_{stat}_{what}": ("G1",) for est in ESTIMATORS for stat in STATS for what in ("mean", "se")}
    meta, arrays = read_arrays(path, path.stem, spec, config={"samples": int, "generations": int, "chains": int},
                               dims=lambda cfg: {"G1": cfg["generations"] + 1})
    try:
        return GaussianTheoryConfig(**meta["config"]), arrays
    except (TypeError, InvalidArgument) as exc:
        raise damaged(path, f"its config is not a Gaussian-theory experiment's ({str(exc).splitlines()[0][:120]})"
                      ) from None
