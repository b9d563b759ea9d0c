"""Supplementary Material, Gaussian mixture: scatter panels and L2 distance to generation 0.

Reads ``gmm.npz`` (written by :func:`simulate.experiments.run_gmm`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "gmm.npz"


def _load(results_dir: Path):
    """``(meta, arrays)`` of the saved ``gmm.npz``."""
    from collapse.core.runio import load_npz

    return load_npz(Path(results_dir) / RESULTS)


def _scatter_panel(ax, generation: int, x: np.ndarray, labels: np.ndarray) -> None:
    """One generation's samples, coloured by mixture component, on the square [-4, 4]^2."""
    from collapse.figures.style import PALETTE

    for k in np.unique(labels):
        ax.scatter(*x[labels == k].T, s=2, color=PALETTE[int(k) % len(PALETTE)], alpha=0.6, linewidths=0)
    ax.set_title(f"generation {generation}")
    ax.set_aspect("equal")
    ax.set_xlim(-4, 4)
    ax.set_ylim(-4, 4)


def _draw_panels(a, out_dir: Path) -> list[Path]:
    """``gmm_panels``: chain 0's samples at each saved generation, one panel each."""
    from collapse.figures.style import figure, finish

    gens, px, pl = a["panel_gens"], a["panel_x"], a["panel_labels"]
    fig, axes = figure(1, len(gens), figsize=(2.3 * len(gens), 2.6), sharex=True, sharey=True)
    for ax, g, x, lab in zip(np.atleast_1d(axes), gens, px[:, 0], pl[:, 0]):
        _scatter_panel(ax, g, x, lab)
    return finish(fig, out_dir, "gmm_panels", tight=False,
                  title="GMM chain 0: 1000 samples of each generation's mixture, coloured by component", y=1.04)


def _per_chain_panel(ax, gens: np.ndarray, values: np.ndarray, colour: str, median_label: str) -> None:
    """One thin line per chain (rows of ``values``) and their median in black, log scale."""
    for c in range(values.shape[0]):
        ax.plot(gens, values[c], color=colour, alpha=0.3, linewidth=0.7)
    ax.plot(gens, np.median(values, axis=0), color="black", linewidth=1.6, label=median_label)
    ax.set_yscale("log")


def _draw_l2(a, out_dir: Path) -> list[Path]:
    """``gmm_l2``: L2 distance to generation 0, and the per-component spread, per chain."""
    from collapse.figures.style import PALETTE, figure, finish, label

    l2, std = a["l2"], a["std"]
    G = l2.shape[1] - 1
    fig, axes = figure(1, 2, figsize=(11, 3.8))
    _per_chain_panel(axes[0], np.arange(1, G + 1), l2[:, 1:], PALETTE[0], f"median of {l2.shape[0]} chains")
    label(axes[0], "generation", "$\\|f_k - f_0\\|_{L_2}$ (closed form)", "L2 distance to generation 0", legend=True)
    _per_chain_panel(axes[1], np.arange(G + 1), std.mean(axis=2), PALETTE[1], "median")  # mean over components
    label(axes[1], "generation", "per-component std $\\sqrt{\\mathrm{tr}\\,\\Sigma_k/2}$",
          "component spread collapses", legend=True)
    return finish(fig, out_dir, "gmm_l2")


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    _, a = _load(results_dir)
    return _draw_panels(a, out_dir) + _draw_l2(a, out_dir)


def describe(results_dir: Path):
    from collapse.figures.registry import Description, Number

    meta, a = _load(results_dir)
    std = np.median(a["std"].mean(axis=2), axis=0)
    G = a["std"].shape[1] - 1
    return Description(
        paper=("A two-component mixture refitted on 1000 of its own samples for about 2000 generations splits one "
               "blob into two and collapses: the per-component standard deviation falls from about 0.90 to 0.01."),
        run=(f"{a['std'].shape[0]} chains, {G} generations: median per-component std {std[1]:.3f} at generation 1 and "
             f"{std[-1]:.3f} at generation {G}; median L2 distance to generation 0 {np.median(a['l2'][:, -1]):.2f}."),
        numbers=(Number("GMM per-component std, first -> last generation", "0.90 -> 0.01",
                        f"{std[1]:.2f} -> {std[-1]:.3f}", "same" if G >= 2000 else "reduced"),),
    )


FIGURES = [FigureSpec(
    name="gmm", title="GMM chain: scatter panels (generations 0-2000) and L2 distance to generation 0",
    paper="Supplementary Material, Gaussian mixture figure",
    command="collapse simulate gmm && collapse figures gmm", draw=draw, results=RESULTS, describe=describe)]
