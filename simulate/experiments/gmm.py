"""The Supplementary Material's Gaussian-mixture experiment, checkpointed every few generations.

2000 generations of EM refits take minutes, so the chain's state (generation, loop
state, generator state, the recorded history) is saved to ``results/gmm.ckpt.npz``
every ``checkpoint_every`` generations; a killed run resumes from it. The run folder
(:class:`collapse.core.runner.Run`) refuses a resume with another config, so a
checkpoint is never thrown away by a changed ``--generations``: the rerun is refused
with the differing key named, and ``--force`` starts over.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from collapse.core.runio import load_npz
from collapse.core.runner import Run
from collapse.core.validation import check_int
from collapse.simulate.experiments.chains import progress_bar, streams
from collapse.simulate.loop import LoopState, Regime, run_chain

__all__ = ["GMMExperiment", "run_gmm"]


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


def _chunks(total: int, start: int, every: int):
    g = start
    while g < total:
        yield g, min(every, total - g)
        g += every


def _restore(run: Run, ckpt: str, rng: np.random.Generator, hist: dict):
    """The generation and loop state saved in the checkpoint (and ``rng``, ``hist`` restored), or (0, None)."""
    from collapse.simulate.families.gmm import GMMParams

    if not run.done(ckpt):
        return 0, None
    meta, arr = load_npz(run.path(ckpt))
    start = int(meta["generation"])
    rng.bit_generator.state = meta["rng"]
    hist.update({k: arr[k] for k in hist})
    params = GMMParams(arr["s_weights"], arr["s_means"], arr["s_covs"])
    return start, LoopState(start, params, arr["s_data"] if start > 0 else None)


def _simulate(config: GMMExperiment, run: Run, rng_chain, rng_fit, progress: bool) -> dict:
    """The chains' fitted weights, means and covariances at every generation (resumable)."""
    from collapse.simulate.families import gmm as GM

    C, G, K = config.n_chains, config.generations, config.n_components
    family = GM.GMMFamily(K, config.tol, config.max_iter, seed=int(rng_fit.integers(2**31)))
    p0 = GM.GMMParams.blob(C, K)
    hist = {"weights": np.zeros((C, G + 1, K)), "means": np.zeros((C, G + 1, K, 2)),
            "covs": np.zeros((C, G + 1, K, 2, 2))}
    ckpt = f"results/{run.name}.ckpt.npz"
    start, state = _restore(run, ckpt, rng_chain, hist)

    def record(g: int, p) -> None:
        hist["weights"][:, g], hist["means"][:, g], hist["covs"][:, g] = p.weights, p.means, p.covs

    with progress_bar(G, start, "gmm", progress) as bar:
        for _, n in _chunks(G, start, config.checkpoint_every):
            state = run_chain(family, p0, [config.samples] * n, rng_chain, regime=config.regime, state=state,
                              on_generation=lambda g, p: (record(g, p), bar.update(g > start)))
            run.save_npz(ckpt, run.metadata(generation=state.generation, rng=rng_chain.bit_generator.state),
                         s_weights=state.params.weights, s_means=state.params.means, s_covs=state.params.covs,
                         s_data=state.data, **hist)
    return hist


def run_gmm(config: GMMExperiment, run: Run, *, progress: bool = False) -> Path:
    """Simulate the GMM chains (resumable) and save weights, means, covs (n_chains, G+1, ...),
    ``l2`` (n_chains, G+1) to generation 0, ``std`` (n_chains, G+1, K), and scatter
    ``panel_x`` (P, panel_chains, samples, 2) with labels ``panel_labels`` at ``panel_gens``."""
    from collapse.simulate.families import gmm as GM

    rel = f"results/{run.name}.npz"
    if run.done(rel):
        return run.path(rel)
    rng_chain, rng_panel, rng_fit = streams(config.seed, 3)
    hist = _simulate(config, run, rng_chain, rng_fit, progress)
    G = config.generations
    params = [GM.GMMParams(hist["weights"][:, g], hist["means"][:, g], hist["covs"][:, g]) for g in range(G + 1)]
    l2 = np.stack([GM.l2_distance(p, params[0]) for p in params], axis=1)
    std = np.stack([GM.component_std(p) for p in params], axis=1)
    px, pl = [], []
    for g in config.panels:  # fresh draws from generation g's mixture, on their own stream
        chains = np.arange(min(config.panel_chains, config.n_chains))
        x, lab = GM.sample_labelled(params[g].take(chains), config.samples, rng_panel)
        px.append(x)
        pl.append(lab)
    out = run.save_npz(rel, run.metadata(), l2=l2, std=std, panel_gens=np.asarray(config.panels),
                       panel_x=np.asarray(px), panel_labels=np.asarray(pl), **hist)
    run.path(f"results/{run.name}.ckpt.npz").unlink(missing_ok=True)
    return out
