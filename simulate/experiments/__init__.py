"""The paper's simulated experiments, each run into a run folder by the one runner.

Every experiment is a frozen config dataclass and a function
``run_<experiment>(config, run, *, progress) -> Path`` that writes
``results/<run.name>.npz`` through a :class:`collapse.core.runner.Run` (config kept in
the folder, finished work kept, resume with another config refused).
:func:`run_experiment` opens the run and calls the right function; :func:`figure_runs`
says which runs, with which default configs, a paper figure is drawn from. The command
line and ``collapse reproduce`` are built on these two functions.

Modules: :mod:`.single_gaussian` (Supplementary single Gaussian), :mod:`.gaussian_moments`
(moments for the theory figure), :mod:`.regimes` (fresh data and accumulation),
:mod:`.chains` (discrete, KDE, least squares), :mod:`.gmm`, :mod:`.vae`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from collapse.core.runner import Run

__all__ = ["FIGURE_RUNS", "estimate_memory", "figure_runs", "run_experiment", "runner_of"]

DEFAULT_SEED = 20240724


def estimate_memory(config: Any) -> float:
    """Bytes of memory experiment ``config`` holds at its peak (see :mod:`.memory`; 0 for an unknown type)."""
    from collapse.simulate.experiments.memory import estimate_memory as estimate

    return estimate(config)


def runner_of(config: Any) -> Callable[..., Path]:
    """The ``run_*`` function of an experiment config (by its type)."""
    from collapse.simulate.experiments import chains, gaussian_moments, gmm, regimes, single_gaussian, vae

    table = {
        single_gaussian.SingleGaussianConfig: single_gaussian.run_single_gaussian,
        gaussian_moments.GaussianTheoryConfig: gaussian_moments.run_gaussian_theory,
        regimes.RegimesConfig: regimes.run_regimes,
        chains.DiscreteExperiment: chains.run_discrete,
        chains.KDEExperiment: chains.run_kde,
        chains.RegressionExperiment: chains.run_regression,
        gmm.GMMExperiment: gmm.run_gmm,
        vae.VAEExperiment: vae.run_vae,
    }
    try:
        return table[type(config)]
    except KeyError:
        raise TypeError(f"not an experiment config: {type(config).__name__}") from None


def run_experiment(folder: str | os.PathLike, name: str, config: Any, *, force: bool = False,
                   progress: bool = False) -> Path:
    """Run (or resume) experiment ``config`` as ``name`` in run folder ``folder``; the result's path.

    ``force`` deletes what an earlier run of ``name`` in ``folder`` wrote and starts over;
    without it a run with another config is refused, naming the keys that differ. A run whose
    memory estimate (:func:`estimate_memory`) does not fit this machine is refused first, before
    anything is written, naming the option that dominates the estimate.
    """
    from collapse.simulate.experiments.memory import check_experiment_memory

    check_experiment_memory(config, name)
    run = Run.open(folder, name, config, seed=getattr(config, "seed", None), force=force)
    return runner_of(config)(config, run, progress=progress)


def _gaussian(seed: int, **_):
    from collapse.simulate.experiments.single_gaussian import SingleGaussianConfig

    return [("gaussian_single", SingleGaussianConfig(seed=seed))]


def _gaussian_theory(seed: int, **_):
    from collapse.simulate.experiments.gaussian_moments import GaussianTheoryConfig

    return [("gaussian_theory", GaussianTheoryConfig(seed=seed))]


def _regimes(seed: int, **_):
    from collapse.simulate.experiments.regimes import RegimesConfig

    return [("regimes", RegimesConfig(seed=seed))]


def _discrete(seed: int, **_):
    """10^4 chains x K = 100 x 1000 generations at M = 100, and 2 x 10^4 chains on three states."""
    from collapse.simulate.experiments.chains import DiscreteExperiment

    small = DiscreteExperiment(n_chains=20_000, n_states=3, samples=10, generations=400,
                               p0=(0.5, 0.3, 0.2), seed=seed + 1)
    return [("discrete", DiscreteExperiment(seed=seed)), ("discrete_absorption", small)]


def _gmm(seed: int, **_):
    """8 chains x 2000 generations of the paper's protocol."""
    from collapse.simulate.experiments.gmm import GMMExperiment

    return [("gmm", GMMExperiment(seed=seed))]


def _vae(seed: int, mnist: str | None = None, **_):
    """5 generations on MNIST (``mnist``: a folder of idx files) or the embedded 8x8 digits."""
    from collapse.simulate.experiments.vae import VAEExperiment

    return [("vae", VAEExperiment(seed=seed, mnist=str(mnist) if mnist else None))]


#: each simulated figure's runs: ``f(seed, **options) -> [(run name, config), ...]``
FIGURE_RUNS: dict[str, Callable[..., list[tuple[str, Any]]]] = {
    "gaussian": _gaussian, "gaussian-theory": _gaussian_theory, "regimes": _regimes,
    "discrete": _discrete, "gmm": _gmm, "vae": _vae,
}


def figure_runs(figure: str, seed: int = DEFAULT_SEED, **options: Any) -> list[tuple[str, Any]]:
    """The ``(run name, default config)`` pairs whose results figure ``figure`` is drawn from.

    ``options``: ``mnist`` (the VAE's MNIST folder).
    """
    return FIGURE_RUNS[figure](seed, **options)


def run_figure(folder: str | os.PathLike, figure: str, seed: int = DEFAULT_SEED, *, force: bool = False,
               progress: bool = False, **options: Any) -> list[Path]:
    """Run (or resume) every experiment behind ``figure`` into ``folder``; the result paths."""
    return [run_experiment(folder, name, cfg, force=force, progress=progress)
            for name, cfg in figure_runs(figure, seed, **options)]


__all__ += ["run_figure"]
