"""Supplementary Material, VAE: sample grids per generation and latent-mean histograms.

Reads ``vae.npz`` (written by :func:`simulate.vae.run_vae`): the latent means are
those of each generation's samples under the generation-0 encoder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "vae.npz"
#: std of the latent means per generation in the paper (MNIST)
PAPER_LATENT_STD = [0.674, 0.608, 0.527, 0.468, 0.433]


def _tile(images: np.ndarray, rows: int = 10) -> np.ndarray:
    n, h, w = images.shape
    cols = int(np.ceil(n / rows))
    canvas = np.ones((rows * (h + 1), cols * (w + 1)))
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        canvas[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = im
    return canvas


def _load(results_dir: Path):
    """``(meta, arrays)`` of the saved ``vae.npz``."""
    from collapse.core.runio import load_npz

    return load_npz(Path(results_dir) / RESULTS)


def _draw_samples(meta: dict, a, out_dir: Path) -> list[Path]:
    """``vae_samples``: a tile of real images, then one tile of samples per generation."""
    from collapse.figures.style import figure, finish

    grids = a["grids"]
    G = grids.shape[0]
    fig, axes = figure(1, G + 1, figsize=(2.6 * (G + 1), 2.9))
    for ax, images, title in zip(axes, [a["real_grid"], *grids], ["real data", *(f"generation {g}" for g in range(G))]):
        ax.imshow(_tile(images), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(title)
    for ax in axes:
        ax.set_axis_off()
    return finish(fig, out_dir, "vae_samples", tight=False,
                  title=f"VAE samples per generation ({meta.get('data', '')})", y=1.02)


def _histogram_panel(ax, lat: np.ndarray) -> None:
    """Histograms of each generation's latent means over the dimensions the generation-0 encoder uses."""
    from collapse.figures.style import PALETTE, label

    # dimensions the generation-0 encoder actually uses (the rest sit at the prior, mean ~0,
    # and would hide the shrinkage under a spike at 0)
    spread = lat[0].std(axis=0)
    active = np.flatnonzero(spread >= 0.25 * spread.max())
    edges = np.linspace(-3, 3, 91)
    for g in range(lat.shape[0]):
        ax.hist(lat[g][:, active].ravel(), bins=edges, density=True, histtype="step", linewidth=1.4,
                color=PALETTE[g % len(PALETTE)], label=f"generation {g}")
    label(ax, f"latent mean under the generation-0 encoder ({active.size} active of {lat.shape[2]} dims)",
          "density", "latent means of each generation's samples", legend=True)


def _spread_panel(ax, std: np.ndarray, real_std: float) -> None:
    """Std of the latent means per generation: this run, its real data, and the paper's MNIST values."""
    from collapse.figures.style import PALETTE, label

    G = std.size
    ax.plot(np.arange(G), std, "o-", color=PALETTE[0], label="this run (all dims)")
    ax.axhline(real_std, color="0.5", linestyle=":", label="real data (this run)")
    ax.plot(np.arange(len(PAPER_LATENT_STD)), PAPER_LATENT_STD, "s--", color="black", label="paper (MNIST)")
    ax.set_xticks(np.arange(max(G, len(PAPER_LATENT_STD))))
    label(ax, "generation", "std of latent means", "spread of the latent means", legend=True)


def _draw_latents(a, out_dir: Path) -> list[Path]:
    """``vae_latents``: latent-mean histograms per generation beside their spread."""
    from collapse.figures.style import figure, finish

    fig, (ax, ax2) = figure(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [1.6, 1]})
    _histogram_panel(ax, a["latent_means"])
    _spread_panel(ax2, a["latent_std"], float(a["real_latent_std"]))
    return finish(fig, out_dir, "vae_latents")


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    meta, a = _load(results_dir)
    return _draw_samples(meta, a, out_dir) + _draw_latents(a, out_dir)


def describe(results_dir: Path):
    from collapse.figures.registry import Description, Number

    meta, a = _load(results_dir)
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
