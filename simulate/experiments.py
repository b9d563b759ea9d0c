"""Experiments: run a family's chain from a config and save the results to a run folder.

Each ``run_*`` function writes ``<results_dir>/<name>.npz`` (arrays plus a ``meta``
block: config, seed, package versions; see :mod:`collapse.runio`) atomically, and
returns its path. Long runs write a checkpoint every few generations
(``<name>.ckpt.npz``, also atomic) and resume from it when rerun with the same
config; a finished result is kept, not recomputed. ``run_quick_*`` are the
embedded small defaults that ``collapse reproduce --quick`` can call.

Randomness: one root seed per experiment; independent streams come from
``np.random.SeedSequence(seed).spawn``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from collapse.runio import load_npz, metadata, save_npz
from collapse.validation import check_int, check_positive_real
from simulate.loop import LoopState, Regime, run_chain

__all__ = [
    "DiscreteExperiment", "GMMExperiment", "KDEExperiment", "RegressionExperiment",
    "run_discrete", "run_gmm", "run_kde", "run_regression",
    "run_quick_discrete", "run_quick_gmm", "run_quick_vae",
]


def _streams(seed: int, n: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def _config_dict(config: Any) -> dict:
    return json.loads(json.dumps(dataclasses.asdict(config)))


def _done(path: Path, config: Any) -> bool:
    """A finished result for the same config exists (then it is kept)."""
    if not path.exists():
        return False
    meta, _ = load_npz(path)
    return meta.get("config") == _config_dict(config)


def _bar(total: int, initial: int, desc: str, progress: bool):
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
        from simulate.discrete import DiscreteConfig

        p0 = self.p0 if self.p0 is not None else (1.0 / self.n_states,) * self.n_states
        return DiscreteConfig(self.n_chains, p0, (self.samples,) * self.generations, self.regime, self.sampler)


def run_discrete(config: DiscreteExperiment, results_dir: Path, *, name: str = "discrete",
                 progress: bool = False) -> Path:
    """Simulate and save ``het_mean``, ``absorbed_frac``, ``support_mean`` (G+1,),
    ``absorbed_at``, ``absorbed_state`` (n_chains,), ``p0`` (K,) and ``freqs`` at a few generations."""
    from simulate.discrete import simulate_discrete

    path = Path(results_dir) / f"{name}.npz"
    if _done(path, config):
        return path
    dc = config.discrete_config()
    G = dc.generations
    keep = sorted({0, 1, G // 10, G // 2, G})
    res = simulate_discrete(dc, _streams(config.seed, 1)[0], keep=keep, progress=progress)
    return save_npz(path, metadata(config, config.seed, experiment="discrete"),
                    het_mean=res.het_mean, absorbed_frac=res.absorbed_frac, support_mean=res.support_mean,
                    absorbed_at=res.absorbed_at, absorbed_state=res.absorbed_state, p0=np.asarray(dc.p0),
                    kept=res.kept, freqs=res.freqs[: min(64, dc.n_chains)], samples=np.asarray(dc.schedule))


def run_quick_discrete(out_dir: Path, seed: int = 20240724, *, progress: bool = False) -> list[Path]:
    """The discrete figure's two runs: 10^4 chains x K = 100 x 1000 generations at M = 100,
    and 2 x 10^4 chains on three states (absorption probabilities)."""
    big = DiscreteExperiment(seed=seed)
    small = DiscreteExperiment(n_chains=20_000, n_states=3, samples=10, generations=400,
                               p0=(0.5, 0.3, 0.2), seed=seed + 1)
    return [run_discrete(big, out_dir, progress=progress),
            run_discrete(small, out_dir, name="discrete_absorption", progress=progress)]


# ---- checkpointing of loop-driven chains --------------------------------------------------

class _Checkpoint:
    """Saves and restores (generation, loop state, generator state, recorded arrays)."""

    def __init__(self, path: Path, config: Any):
        self.path, self.config = path, _config_dict(config)

    def load(self) -> tuple[dict, dict] | None:
        if not self.path.exists():
            return None
        meta, arrays = load_npz(self.path)
        if meta.get("config") != self.config:
            return None  # a different experiment: start afresh
        return meta, arrays

    def save(self, generation: int, rng: np.random.Generator, arrays: dict) -> None:
        save_npz(self.path, {"config": self.config, "generation": generation, "rng": rng.bit_generator.state},
                 **arrays)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _chunks(total: int, start: int, every: int):
    g = start
    while g < total:
        yield g, min(every, total - g)
        g += every


# ---- Gaussian mixture ---------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GMMExperiment:
    """The Supplementary Material's GMM experiment, over ``n_chains`` independent chains."""

    n_chains: int = 8
    samples: int = 1000
    generations: int = 2000
    n_components: int = 2
    tol: float = 1e-5
    max_iter: int = 2000
    regime: str = "replace"
    panels: tuple[int, ...] = (0, 50, 100, 150, 200, 350, 2000)
    panel_chains: int = 4
    checkpoint_every: int = 100
    seed: int = 20240724

    def __post_init__(self) -> None:
        check_int("n_chains", self.n_chains, minimum=1)
        check_int("samples", self.samples, minimum=self.n_components)
        check_int("generations", self.generations, minimum=1)
        check_int("checkpoint_every", self.checkpoint_every, minimum=1)
        Regime.parse(self.regime)
        object.__setattr__(self, "panels", tuple(sorted({int(g) for g in self.panels if 0 <= g <= self.generations})))


def run_gmm(config: GMMExperiment, results_dir: Path, *, progress: bool = False) -> Path:
    """Simulate the GMM chains (resumable) and save weights, means, covs (n_chains, G+1, ...),
    ``l2`` (n_chains, G+1) to generation 0, ``std`` (n_chains, G+1, K), and scatter
    ``panel_x`` (P, panel_chains, samples, 2) with labels ``panel_labels`` at ``panel_gens``."""
    from simulate import gmm as GM

    results_dir = Path(results_dir)
    path = results_dir / "gmm.npz"
    if _done(path, config):
        return path
    C, G, K = config.n_chains, config.generations, config.n_components
    rng_chain, rng_panel, rng_fit = _streams(config.seed, 3)
    family = GM.GMMFamily(K, config.tol, config.max_iter, seed=int(rng_fit.integers(2**31)))
    p0 = GM.GMMParams.blob(C, K)
    hist = {"weights": np.zeros((C, G + 1, K)), "means": np.zeros((C, G + 1, K, 2)),
            "covs": np.zeros((C, G + 1, K, 2, 2))}
    ckpt = _Checkpoint(results_dir / "gmm.ckpt.npz", config)
    start, state = 0, None
    loaded = ckpt.load()
    if loaded is not None:
        meta, arr = loaded
        start = int(meta["generation"])
        rng_chain.bit_generator.state = meta["rng"]
        hist = {k: arr[k] for k in hist}
        state = LoopState(start, GM.GMMParams(arr["s_weights"], arr["s_means"], arr["s_covs"]),
                          arr["s_data"] if start > 0 else None)

    def record(g: int, p) -> None:
        hist["weights"][:, g], hist["means"][:, g], hist["covs"][:, g] = p.weights, p.means, p.covs

    with _bar(G, start, "gmm", progress) as bar:
        for g0, n in _chunks(G, start, config.checkpoint_every):
            state = run_chain(family, p0, [config.samples] * n, rng_chain, regime=config.regime, state=state,
                              on_generation=lambda g, p: (record(g, p), bar.update(g > start)))
            ckpt.save(state.generation, rng_chain, dict(
                hist, s_weights=state.params.weights, s_means=state.params.means, s_covs=state.params.covs,
                s_data=state.data))
    params = [GM.GMMParams(hist["weights"][:, g], hist["means"][:, g], hist["covs"][:, g]) for g in range(G + 1)]
    l2 = np.stack([GM.l2_distance(p, params[0]) for p in params], axis=1)
    std = np.stack([GM.component_std(p) for p in params], axis=1)
    px, pl = [], []
    for g in config.panels:  # fresh draws from generation g's mixture, on their own stream
        x, lab = GM.sample_labelled(params[g].take(np.arange(min(config.panel_chains, C))), config.samples, rng_panel)
        px.append(x)
        pl.append(lab)
    out = save_npz(path, metadata(config, config.seed, experiment="gmm"), l2=l2, std=std,
                   panel_gens=np.asarray(config.panels), panel_x=np.asarray(px), panel_labels=np.asarray(pl), **hist)
    ckpt.clear()
    return out


def run_quick_gmm(out_dir: Path, seed: int = 20240724, *, progress: bool = False) -> list[Path]:
    """The GMM figure's run: 8 chains x 2000 generations of the paper's protocol."""
    return [run_gmm(GMMExperiment(seed=seed), out_dir, progress=progress)]


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


def run_kde(config: KDEExperiment, results_dir: Path, *, progress: bool = False) -> Path:
    """Save the training-set ``mean`` and ``var`` (divide by M) per chain, (n_chains, G)."""
    from simulate.kde import KDEFamily

    check_positive_real("bandwidth", config.bandwidth)
    path = Path(results_dir) / "kde.npz"
    if _done(path, config):
        return path
    C, G = config.n_chains, config.generations
    mean, var = np.zeros((C, G)), np.zeros((C, G))

    def on_data(g: int, d: np.ndarray) -> None:
        mean[:, g], var[:, g] = d[..., 0].mean(1), d[..., 0].var(1)

    def source(m: int, rng: np.random.Generator) -> np.ndarray:
        return rng.standard_normal((C, m, 1))

    with _bar(G, 0, "kde", progress) as bar:
        run_chain(KDEFamily(config.bandwidth), None, [config.samples] * G, _streams(config.seed, 1)[0],
                  regime=config.regime, source=source, on_data=lambda g, d: (on_data(g, d), bar.update()))
    return save_npz(path, metadata(config, config.seed, experiment="kde"), mean=mean, var=var)


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


def run_regression(config: RegressionExperiment, results_dir: Path, *, progress: bool = False) -> Path:
    """Save ``risk`` (n_chains, G+1): in-sample excess risk of every generation's fit."""
    from simulate.regression import RegressionFamily, RegressionParams, excess_risk

    path = Path(results_dir) / f"regression_{Regime.parse(config.regime).kind}.npz"
    if _done(path, config):
        return path
    rng_design, rng = _streams(config.seed, 2)
    fam = RegressionFamily.with_fixed_design(config.samples, config.dim, rng_design, config.noise)
    w_star = np.zeros(config.dim)
    risk = np.zeros((config.n_chains, config.generations + 1))
    p0 = RegressionParams(np.zeros((config.n_chains, config.dim)))
    with _bar(config.generations, 0, "regression", progress) as bar:
        def on_gen(g: int, p) -> None:
            risk[:, g] = excess_risk(p, w_star, fam.X)
            bar.update(g > 0)
        run_chain(fam, p0, [config.samples] * config.generations, rng, regime=config.regime, on_generation=on_gen)
    v = config.noise**2 * config.dim / config.samples
    return save_npz(path, metadata(config, config.seed, experiment="regression", one_generation_risk=v), risk=risk)


def run_quick_vae(out_dir: Path, seed: int = 20240724, *, progress: bool = False) -> list[Path]:
    """The VAE figure's run on the embedded default data (5 generations, CPU)."""
    from simulate.vae import VAEExperiment, run_vae

    return [run_vae(VAEExperiment(seed=seed), out_dir, progress=progress)]


#: every quick run, by figure name (for ``collapse reproduce --quick``)
QUICK: dict[str, Callable[..., list[Path]]] = {
    "discrete": run_quick_discrete, "gmm": run_quick_gmm, "vae": run_quick_vae,
}

