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


def _het_theory(h0: float, m: int, G: int) -> np.ndarray:
    from collapse.analytic import discrete as AD
    from collapse.analytic.numeric import lambdified

    f = lambdified(AD.expected_heterozygosity(), AD.H0, AD.M, AD.t)
    return np.array([float(f(h0, m, t)) for t in range(G + 1)])


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    from collapse.core.runio import load_npz
    from collapse.figures.style import PALETTE, THEORY_STYLE, save, setup

    plt = setup()
    meta, a = load_npz(Path(results_dir) / RESULTS)
    cfg = meta["config"]
    G = a["het_mean"].size - 1
    gens = np.arange(G + 1)
    h0 = 1.0 - float((a["p0"] ** 2).sum())
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.0))
    ax = axes[0]
    ax.plot(gens, a["het_mean"], color=PALETTE[0], linewidth=1.8, label=f"simulated mean, {cfg['n_chains']} chains")
    ax.plot(gens, _het_theory(h0, cfg["samples"], G), **THEORY_STYLE, label=r"$H_0(1-1/M)^t$ (sympy)")
    ax.set_yscale("log")
    ax.set_xlabel("generation $t$")
    ax.set_ylabel("heterozygosity $1-\\sum_k p_t(k)^2$")
    ax.set_title(f"K = {cfg['n_states']}, M = {cfg['samples']}")
    ax.legend()
    ax = axes[1]
    ax.plot(gens, a["absorbed_frac"], color=PALETTE[1], label="absorbed (a delta)")
    ax.plot(gens, a["support_mean"] / cfg["n_states"], color=PALETTE[2], label="mean support / K")
    ax.set_xlabel("generation $t$")
    ax.set_ylabel("fraction")
    ax.set_title("support shrinks, chains absorb")
    ax.legend()
    ax = axes[2]
    small = Path(results_dir) / "discrete_absorption.npz"
    if small.exists():
        m2, b = load_npz(small)
        K, N = b["p0"].size, b["absorbed_state"].size
        frac = np.bincount(b["absorbed_state"][b["absorbed_state"] >= 0], minlength=K) / N
        se = np.sqrt(b["p0"] * (1 - b["p0"]) / N)
        x = np.arange(K)
        ax.bar(x - 0.2, b["p0"], width=0.4, color="0.7", label="$p_0(i)$ (theory)")
        ax.bar(x + 0.2, frac, width=0.4, color=PALETTE[0], yerr=4.9 * se, capsize=3,
               label=f"fraction absorbed at $i$ ({N} chains)")
        ax.set_xticks(x)
        ax.set_xlabel("state $i$")
        ax.set_ylabel("probability")
        ax.set_title(f"absorption, M = {m2['config']['samples']}")
        ax.legend()
    else:
        ax.set_axis_off()
    fig.tight_layout()
    paths = save(fig, out_dir, "discrete")
    plt.close(fig)
    return paths


def describe(results_dir: Path):
    from collapse.core.runio import load_npz
    from collapse.figures.registry import Description

    meta, a = load_npz(Path(results_dir) / RESULTS)
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
