"""Supplementary Material, Gaussian mixture: scatter panels and L2 distance to generation 0.

Reads ``gmm.npz`` (written by :func:`simulate.experiments.run_gmm`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "gmm.npz"


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    from collapse.core.runio import load_npz
    from collapse.figures.style import PALETTE, save, setup

    plt = setup()
    meta, a = load_npz(Path(results_dir) / RESULTS)
    gens, px, pl = a["panel_gens"], a["panel_x"], a["panel_labels"]
    paths = []
    fig, axes = plt.subplots(1, len(gens), figsize=(2.3 * len(gens), 2.6), sharex=True, sharey=True)
    for ax, g, x, lab in zip(np.atleast_1d(axes), gens, px[:, 0], pl[:, 0]):
        for k in np.unique(lab):
            ax.scatter(*x[lab == k].T, s=2, color=PALETTE[int(k) % len(PALETTE)], alpha=0.6, linewidths=0)
        ax.set_title(f"generation {g}")
        ax.set_aspect("equal")
        ax.set_xlim(-4, 4)
        ax.set_ylim(-4, 4)
    fig.suptitle("GMM chain 0: 1000 samples of each generation's mixture, coloured by component", y=1.04)
    paths += save(fig, out_dir, "gmm_panels")
    plt.close(fig)

    l2, std = a["l2"], a["std"]
    G = l2.shape[1] - 1
    g = np.arange(1, G + 1)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    ax = axes[0]
    for c in range(l2.shape[0]):
        ax.plot(g, l2[c, 1:], color=PALETTE[0], alpha=0.3, linewidth=0.7)
    ax.plot(g, np.median(l2[:, 1:], axis=0), color="black", linewidth=1.6, label=f"median of {l2.shape[0]} chains")
    ax.set_yscale("log")
    ax.set_xlabel("generation")
    ax.set_ylabel("$\\|f_k - f_0\\|_{L_2}$ (closed form)")
    ax.set_title("L2 distance to generation 0")
    ax.legend()
    ax = axes[1]
    s = std.mean(axis=2)  # mean over components
    for c in range(s.shape[0]):
        ax.plot(np.arange(G + 1), s[c], color=PALETTE[1], alpha=0.3, linewidth=0.7)
    ax.plot(np.arange(G + 1), np.median(s, axis=0), color="black", linewidth=1.6, label="median")
    ax.set_yscale("log")
    ax.set_xlabel("generation")
    ax.set_ylabel("per-component std $\\sqrt{\\mathrm{tr}\\,\\Sigma_k/2}$")
    ax.set_title("component spread collapses")
    ax.legend()
    fig.tight_layout()
    paths += save(fig, out_dir, "gmm_l2")
    plt.close(fig)
    return paths


def describe(results_dir: Path):
    from collapse.core.runio import load_npz
    from collapse.figures.registry import Description, Number

    meta, a = load_npz(Path(results_dir) / RESULTS)
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
