"""The Supplementary Material's single-Gaussian experiment, saved for figures/gaussian.py.

Sample sizes 100, 500, 1000 and 10000, 1000 generations, mean and standard
deviation refitted each generation, data replaced (the paper) or accumulated
(all data ever generated). The authors used ``np.std`` (the MLE); the estimator
is a parameter here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from collapse.core.runner import Run
from collapse.core.validation import InvalidArgument, check_choice, check_int, check_schedule
from collapse.simulate.families.gaussian import ESTIMATORS, GaussianConfig, simulate_gaussian
from collapse.simulate.loop import REGIMES, Regime

__all__ = ["SingleGaussianConfig", "run_single_gaussian", "load_single_gaussian"]


@dataclasses.dataclass(frozen=True)
class SingleGaussianConfig:
    sample_sizes: tuple[int, ...] = (100, 500, 1000, 10000)
    generations: int = 1000
    chains: int = 256
    estimator: str = "mle"
    regimes: tuple[str, ...] = REGIMES
    seed: int = 20240724

    def __post_init__(self) -> None:
        check_schedule("sample_sizes", self.sample_sizes)
        check_int("generations", self.generations, minimum=1)
        check_int("chains", self.chains, minimum=2)
        check_choice("estimator", self.estimator, ESTIMATORS)
        # replace and accumulate run the exact fast sampler; any other regime the literal one
        object.__setattr__(self, "regimes", tuple(str(Regime.parse(reg)) for reg in self.regimes))
        check_int("seed", self.seed, minimum=0)


def _key(regime: str, m: int) -> str:
    return f"{regime}_M{m}"


def run_single_gaussian(config: SingleGaussianConfig, run: Run, *, progress: bool = False) -> Path:
    """Simulate every (regime, M) cell and save one NPZ: ``replace`` and ``accumulate`` with the exact
    fast sampler, any other regime (``curate:Q``, ``weight:W,K``, ``mix:...``) with the literal one.

    Arrays ``<regime>_M<M>_mu`` and ``..._sigma2`` have shape (chains, generations + 1);
    the NPZ's ``meta`` holds the config, seed and versions. An existing file with
    the same config is kept as is (resume); one with another config is refused.
    """
    rel = f"results/{run.name}.npz"
    if run.done(rel):
        return run.path(rel)
    cells = [(reg, m) for reg in config.regimes for m in config.sample_sizes]
    streams = np.random.SeedSequence(config.seed).spawn(len(cells))
    arrays = {}
    from tqdm import tqdm

    for (reg, m), ss in tqdm(list(zip(cells, streams)), desc="single Gaussian", disable=not progress):
        cfg = GaussianConfig(n_chains=config.chains, schedule=(m,) * config.generations,
                             estimator=config.estimator, regime=reg,
                             sampler="fast" if reg in REGIMES else "literal")
        ch = simulate_gaussian(cfg, np.random.default_rng(ss))
        arrays[_key(reg, m) + "_mu"] = ch.mu
        arrays[_key(reg, m) + "_sigma2"] = ch.sigma2
    return run.save_npz(rel, run.metadata(), **arrays)


def load_single_gaussian(path: Path) -> tuple[SingleGaussianConfig, dict[str, np.ndarray]]:
    """The config and arrays of a saved result, every array the figure draws checked.

    Raises :class:`~collapse.core.runner.DamagedFile` (naming ``path``) when the file cannot be
    read, is another experiment's, or lacks an array of its config's cells.
    """
    from collapse.simulate.experiments.results import damaged, read_arrays

    path = Path(path)
    fields = {"sample_sizes": list, "generations": int, "chains": int, "estimator": str, "regimes": list}

    def spec(cfg: dict) -> dict:
        return {f"{_key(reg, m)}_{what}": ("C", "G1") for reg in cfg["regimes"] for m in cfg["sample_sizes"]
                for what in ("mu", "sigma2")}

    meta, arrays = read_arrays(path, path.stem, spec, config=fields,
                               dims=lambda cfg: {"C": cfg["chains"], "G1": cfg["generations"] + 1})
    try:
        config = SingleGaussianConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in meta["config"].items()})
    except (TypeError, InvalidArgument) as exc:
        raise damaged(path, f"its config is not a single-Gaussian experiment's ({str(exc).splitlines()[0][:120]})"
                      ) from None
    return config, arrays
