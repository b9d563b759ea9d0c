"""Discrete chains with exact approximation: heterozygosity decay and absorption against theory.

Reads ``discrete.npz`` (10^4 chains, K = 100, M = 100) and ``discrete_absorption.npz``
(three states), written by :func:`simulate.experiments.run_quick_discrete`; the
theory curves are E[H_t] = H_0 (1 - 1/M)^t and P(absorbed at i) = p_0(i) from
:mod:`collapse.analytic.discrete`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "discrete.npz"
ABSORPTION = "discrete_absorption.npz"


def _het_theory(h0: float, m: int, G: int) -> np.ndarray:
    from collapse.analytic import discrete as AD
    from collapse.analytic.numeric import lambdified

    f = lambdified(AD.expected_heterozygosity(), AD.H0, AD.M, AD.t)
    return np.array([float(f(h0, m, t)) for t in range(G + 1)])


def _load(results_dir: Path):
    """``(meta, arrays)`` of the saved ``discrete.npz``."""
    from collapse.core.runio import load_npz

    return load_npz(Path(results_dir) / RESULTS)


def _heterozygosity_panel(ax, a, cfg: dict) -> None:
    """Simulated mean heterozygosity against the closed form H_0 (1 - 1/M)^t (log scale)."""
    from collapse.figures.style import PALETTE, THEORY_STYLE, label

    G = a["het_mean"].size - 1
    gens = np.arange(G + 1)
    h0 = 1.0 - float((a["p0"] ** 2).sum())
    ax.plot(gens, a["het_mean"], color=PALETTE[0], linewidth=1.8, label=f"simulated mean, {cfg['n_chains']} chains")
    ax.plot(gens, _het_theory(h0, cfg["samples"], G), **THEORY_STYLE, label=r"$H_0(1-1/M)^t$ (sympy)")
    label(ax, "generation $t$", "heterozygosity $1-\\sum_k p_t(k)^2$", f"K = {cfg['n_states']}, M = {cfg['samples']}",
          yscale="log", legend=True)


def _support_panel(ax, a, cfg: dict) -> None:
    """Fraction of chains absorbed in a delta and mean support / K against generation."""
    from collapse.figures.style import PALETTE, label

    gens = np.arange(a["het_mean"].size)
    ax.plot(gens, a["absorbed_frac"], color=PALETTE[1], label="absorbed (a delta)")
    ax.plot(gens, a["support_mean"] / cfg["n_states"], color=PALETTE[2], label="mean support / K")
    label(ax, "generation $t$", "fraction", "support shrinks, chains absorb", legend=True)


def _absorption_panel(ax, path: Path) -> None:
    """Where the small run's chains were absorbed against p_0(i); an empty panel without ``path``."""
    from collapse.core.runio import load_npz
    from collapse.figures.style import PALETTE, label

    if not path.exists():
        ax.set_axis_off()
        return
    meta, b = load_npz(path)
    K, N = b["p0"].size, b["absorbed_state"].size
    frac = np.bincount(b["absorbed_state"][b["absorbed_state"] >= 0], minlength=K) / N
    se = np.sqrt(b["p0"] * (1 - b["p0"]) / N)
    x = np.arange(K)
    ax.bar(x - 0.2, b["p0"], width=0.4, color="0.7", label="$p_0(i)$ (theory)")
    ax.bar(x + 0.2, frac, width=0.4, color=PALETTE[0], yerr=4.9 * se, capsize=3,
           label=f"fraction absorbed at $i$ ({N} chains)")
    ax.set_xticks(x)
    label(ax, "state $i$", "probability", f"absorption, M = {meta['config']['samples']}", legend=True)


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    from collapse.figures.style import figure, finish

    meta, a = _load(results_dir)
    fig, axes = figure(1, 3, figsize=(14, 4.0))
    _heterozygosity_panel(axes[0], a, meta["config"])
    _support_panel(axes[1], a, meta["config"])
    _absorption_panel(axes[2], Path(results_dir) / ABSORPTION)
    return finish(fig, out_dir, "discrete")


def describe(results_dir: Path):
    from collapse.figures.registry import Description

    meta, a = _load(results_dir)
    cfg = meta.get("config") or {}
    G = a["het_mean"].size - 1
    return Description(
        paper=("With exact approximation the chain only resamples: rare states vanish first, the distribution "
               "converges to a delta, landing on state i with the probability p_0(i)."),
        run=(f"K = {cfg.get('n_states')}, M = {cfg.get('samples')}: heterozygosity falls from {a['het_mean'][0]:.3f} to "
             f"{a['het_mean'][-1]:.2e} in {G} generations (theory H0 (1 - 1/M)^t), {a['absorbed_frac'][-1]:.1%} of the "
             "chains are absorbed in a delta."),
    )


FIGURES = [FigureSpec(
    name="discrete", title="discrete chain: heterozygosity decay and absorption against theory",
    paper="section 'Discrete distributions with exact approximation'",
    command="collapse simulate discrete && collapse figures discrete", draw=draw, results=RESULTS,
    describe=describe)]
