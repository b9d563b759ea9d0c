"""Experiments on the loop-driven families: discrete, KDE and least-squares chains.

Each ``run_*(config, run)`` writes ``results/<run.name>.npz`` (arrays plus a ``meta``
block: config, seed, package versions) through a :class:`collapse.core.runner.Run`,
which keeps a finished result and refuses a resume with another config. The GMM
(checkpointed) and VAE experiments have modules of their own.

Randomness: one root seed per experiment; independent streams come from
``np.random.SeedSequence(seed).spawn``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from collapse.core.runner import Run
from collapse.core.validation import check_positive_real
from collapse.simulate.loop import Regime, run_chain

__all__ = [
    "DiscreteExperiment", "KDEExperiment", "RegressionExperiment",
    "progress_bar", "regression_name", "run_discrete", "run_kde", "run_regression", "streams",
]


def streams(seed: int, n: int) -> list[np.random.Generator]:
    """``n`` independent generators from one root seed."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def progress_bar(total: int, initial: int, desc: str, progress: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit="gen", disable=not progress, leave=False)


# ---- discrete -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class DiscreteExperiment:
    """Discrete chains with exact approximation: p_0 uniform over ``n_states`` (or given)."""

    n_chains: int = 10_000
    n_states: int = 100
    samples: int = 100
    generations: int = 1000
    p0: tuple[float, ...] | None = None
    regime: str = "replace"
    sampler: str = "wright-fisher"
    seed: int = 20240724

    def discrete_config(self):
        from collapse.simulate.families.discrete import DiscreteConfig

        p0 = self.p0 if self.p0 is not None else (1.0 / self.n_states,) * self.n_states
        return DiscreteConfig(self.n_chains, p0, (self.samples,) * self.generations, self.regime, self.sampler)


def run_discrete(config: DiscreteExperiment, run: Run, *, progress: bool = False) -> Path:
    """Simulate and save ``het_mean``, ``absorbed_frac``, ``support_mean`` (G+1,),
    ``absorbed_at``, ``absorbed_state`` (n_chains,), ``p0`` (K,) and ``freqs`` at a few generations."""
    from collapse.simulate.families.discrete import simulate_discrete

    rel = f"results/{run.name}.npz"
    if run.done(rel):
        return run.path(rel)
    dc = config.discrete_config()
    G = dc.generations
    keep = sorted({0, 1, G // 10, G // 2, G})
    res = simulate_discrete(dc, streams(config.seed, 1)[0], keep=keep, progress=progress)
    return run.save_npz(rel, run.metadata(),
                    het_mean=res.het_mean, absorbed_frac=res.absorbed_frac, support_mean=res.support_mean,
                    absorbed_at=res.absorbed_at, absorbed_state=res.absorbed_state, p0=np.asarray(dc.p0),
                    kept=res.kept, freqs=res.freqs[: min(64, dc.n_chains)], samples=np.asarray(dc.schedule))


# ---- KDE and regression (small, no checkpoints) ------------------------------------------

@dataclasses.dataclass(frozen=True)
class KDEExperiment:
    """1-D Gaussian-kernel KDE chains from p_0 = N(0, 1)."""

    n_chains: int = 256
    samples: int = 100
    generations: int = 200
    bandwidth: float = 0.1
    regime: str = "replace"
    seed: int = 20240724


def run_kde(config: KDEExperiment, run: Run, *, progress: bool = False) -> Path:
    """Save the training-set ``mean`` and ``var`` (divide by M) per chain, (n_chains, G)."""
    from collapse.simulate.families.kde import KDEFamily

    check_positive_real("bandwidth", config.bandwidth)
    rel = f"results/{run.name}.npz"
    if run.done(rel):
        return run.path(rel)
    C, G = config.n_chains, config.generations
    mean, var = np.zeros((C, G)), np.zeros((C, G))

    def on_data(g: int, d: np.ndarray) -> None:
        mean[:, g], var[:, g] = d[..., 0].mean(1), d[..., 0].var(1)

    def source(m: int, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal((C, m, 1))

    with progress_bar(G, 0, "kde", progress) as bar:
        # p_0 = N(0, 1) is no KDE, so the curate regime's verifier gets log(p_0(x) / max p_0) = -x^2 / 2
        run_chain(KDEFamily(config.bandwidth), None, [config.samples] * G, streams(config.seed, 1)[0],
                  regime=config.regime, source=source, on_data=lambda g, d: (on_data(g, d), bar.update()),
                  log_p0_ratio=lambda x: -0.5 * x[..., 0] ** 2)
    return run.save_npz(rel, run.metadata(), mean=mean, var=var)


@dataclasses.dataclass(frozen=True)
class RegressionExperiment:
    """Least squares on the previous model's labels, fixed Gaussian design (n, d)."""

    n_chains: int = 1000
    samples: int = 64
    dim: int = 8
    noise: float = 1.0
    generations: int = 50
    regime: str = "replace"
    seed: int = 20240724


def regression_name(config: "RegressionExperiment") -> str:
    """The run name (and result stem) of a regression experiment: one per regime kind."""
    return f"regression_{Regime.parse(config.regime).kind}"


def run_regression(config: RegressionExperiment, run: Run, *, progress: bool = False) -> Path:
    """Save ``risk`` (n_chains, G+1): in-sample excess risk of every generation's fit."""
    from collapse.simulate.families.regression import RegressionFamily, RegressionParams, excess_risk

    rel = f"results/{run.name}.npz"
    if run.done(rel):
        return run.path(rel)
    rng_design, rng = streams(config.seed, 2)
    fam = RegressionFamily.with_fixed_design(config.samples, config.dim, rng_design, config.noise)
    w_star = np.zeros(config.dim)
    risk = np.zeros((config.n_chains, config.generations + 1))
    p0 = RegressionParams(np.zeros((config.n_chains, config.dim)))
    with progress_bar(config.generations, 0, "regression", progress) as bar:
        def on_gen(g: int, p) -> None:
            risk[:, g] = excess_risk(p, w_star, fam.X)
            bar.update(g > 0)
        run_chain(fam, p0, [config.samples] * config.generations, rng, regime=config.regime, on_generation=on_gen)
    # the closed forms (analytic.regression_theory) are set beside it by whoever reads it
    return run.save_npz(rel, run.metadata(), risk=risk)
