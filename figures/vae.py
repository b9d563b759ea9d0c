"""Supplementary Material, VAE: sample grids per generation and latent-mean histograms.

Reads ``vae.npz`` (written by :func:`simulate.vae.run_vae`): the latent means are
those of each generation's samples under the generation-0 encoder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "vae.npz"


def _tile(images: np.ndarray, rows: int = 10) -> np.ndarray:
    n, h, w = images.shape
    cols = int(np.ceil(n / rows))
    canvas = np.ones((rows * (h + 1), cols * (w + 1)))
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = im
    return canvas


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    from collapse.core.runio import load_npz
    from collapse.figures.style import PALETTE, save, setup

    plt = setup()
    meta, a = load_npz(Path(results_dir) / RESULTS)
    grids, lat, std = a["grids"], a["latent_means"], a["latent_std"]
    G = grids.shape[0]
    fig, axes = plt.subplots(1, G + 1, figsize=(2.6 * (G + 1), 2.9))
    axes[0].imshow(_tile(a["real_grid"]), cmap="gray_r", vmin=0, vmax=1)
    axes[0].set_title("real data")
    for g in range(G):
        axes[g + 1].imshow(_tile(grids[g]), cmap="gray_r", vmin=0, vmax=1)
        axes[g + 1].set_title(f"generation {g}")
    for ax in axes:
        ax.set_axis_off()
    fig.suptitle(f"VAE samples per generation ({meta.get('data', '')})", y=1.02)
    paths = save(fig, out_dir, "vae_samples")
    plt.close(fig)

    # dimensions the generation-0 encoder actually uses (the rest sit at the prior, mean ~0,
    # and would hide the shrinkage under a spike at 0)
    spread = lat[0].std(axis=0)
    active = np.flatnonzero(spread >= 0.25 * spread.max())
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1.6, 1]})
    edges = np.linspace(-3, 3, 91)
    for g in range(G):
        ax.hist(lat[g][:, active].ravel(), bins=edges, density=True, histtype="step", linewidth=1.4,
                color=PALETTE[g % len(PALETTE)], label=f"generation {g}")
    ax.set_xlabel(f"latent mean under the generation-0 encoder ({active.size} active of {lat.shape[2]} dims)")
    ax.set_ylabel("density")
    ax.set_title("latent means of each generation's samples")
    ax.legend()
    ax2.plot(np.arange(G), std, "o-", color=PALETTE[0], label="this run (all dims)")
    ax2.axhline(float(a["real_latent_std"]), color="0.5", linestyle=":", label="real data (this run)")
    paper = [0.674, 0.608, 0.527, 0.468, 0.433]
    ax2.plot(np.arange(len(paper)), paper, "s--", color="black", label="paper (MNIST)")
    ax2.set_xlabel("generation")
    ax2.set_ylabel("std of latent means")
    ax2.set_xticks(np.arange(max(G, len(paper))))
    ax2.set_title("spread of the latent means")
    ax2.legend()
    fig.tight_layout()
    paths += save(fig, out_dir, "vae_latents")
    plt.close(fig)
    return paths


def describe(results_dir: Path):
    from collapse.core.runio import load_npz
    from collapse.figures.registry import Description, Number

    meta, a = load_npz(Path(results_dir) / RESULTS)
    std = a["latent_std"]
    mnist = bool((meta.get("config") or {}).get("mnist"))
    return Description(
        paper=("VAEs trained on the previous generation's samples forget the tails: the latent means of each "
               "generation's samples under the first encoder concentrate (std 0.674, 0.608, 0.527, 0.468, 0.433 on "
               "MNIST)."),
        run=(f"{'MNIST' if mnist else 'embedded 8x8 digits'}, {std.size} generations: std of the latent means "
             + ", ".join(f"{v:.3f}" for v in std) + f" (real data {float(a['real_latent_std']):.3f})."),
        numbers=(Number("VAE latent-mean std, generation 0 -> last", "0.674 -> 0.433",
                        f"{std[0]:.3f} -> {std[-1]:.3f}", "same" if mnist else "reduced",
                        "" if mnist else "8x8 digits and a smaller network (no MNIST files here)"),),
    )


FIGURES = [FigureSpec(
    name="vae", title="VAE chain: sample grids per generation and latent-mean histograms",
    paper="Supplementary Material, VAE figure",
    command="collapse simulate vae && collapse figures vae", draw=draw, results=RESULTS, describe=describe)]
