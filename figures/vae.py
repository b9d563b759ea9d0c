"""Supplementary Material, VAE: sample grids per generation and latent-mean histograms.

Reads ``vae.npz`` (written by :func:`simulate.vae.run_vae`): the latent means are
those of each generation's samples under the generation-0 encoder. Titles say which data
the run used (``meta["data"]``: MNIST, or the embedded 8x8 digits, "not MNIST"). The
paper's MNIST values are set beside this run's only as ratios to their generation 0:
the two encoders' latent scales are not comparable.
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
    """``(meta, arrays)`` of the saved ``vae.npz``, every array the figure draws checked (DamagedFile if not)."""
    from collapse.simulate.experiments.results import read_arrays

    path = Path(results_dir) / RESULTS

    def dims(cfg: dict) -> dict:
        out = {"G": cfg["generations"]}
        if isinstance(cfg.get("latent"), int):
            out["L"] = cfg["latent"]
        return out

    def check(cfg: dict, a: dict) -> str | None:
        if cfg["generations"] < 1 or a["latent_means"].shape[1] < 1 or a["latent_means"].shape[2] < 1:
            return "no generation, image or latent dimension in array 'latent_means'"
        return None

    spec = {"grids": ("G", None, "side", "side"), "real_grid": (None, "side", "side"), "latent_means": ("G", None, "L"),
            "latent_std": ("G",), "real_latent_std": ()}
    return read_arrays(path, path.stem, spec, config={"generations": int}, dims=dims, check=check)


def data_name(meta: dict) -> str:
    """What the run trained on, for titles: "MNIST", or the embedded digits said not to be MNIST.

    From the saved meta's ``data`` (written by :func:`collapse.simulate.experiments.vae.run_vae`:
    "mnist" or "sklearn digits 8x8 at SxS"), else from whether its config named an MNIST folder.
    """
    data = str(meta.get("data") or "")
    mnist = data.lower() == "mnist" if data else bool((meta.get("config") or {}).get("mnist"))
    if mnist:
        return "MNIST"
    side = (meta.get("config") or {}).get("side", 8)
    shown = "" if side in (None, 8) else f", upsampled to {side}x{side}"
    return f"8x8 digits (scikit-learn{shown}), not MNIST"


def _is_mnist(meta: dict) -> bool:
    return data_name(meta) == "MNIST"


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
                  title=f"VAE samples per generation: {data_name(meta)}", y=1.02)


def _histogram_panel(ax, lat: np.ndarray) -> None:
    """Histograms of each generation's latent means over the dimensions the generation-0 encoder uses."""
    from collapse.figures.style import PALETTE, label

    # dimensions the generation-0 encoder actually uses (the rest sit at the prior, mean ~0,
    # and would hide the shrinkage under a spike at 0)
    spread = lat[0].std(axis=0)
    active = np.flatnonzero(spread >= 0.25 * spread.max())
    values = [lat[g][:, active].ravel() for g in range(lat.shape[0])]
    # a symmetric range that holds nearly all of every generation's values (the latent scale
    # differs from one data set and network to the next)
    reach = max(float(np.quantile(np.abs(v), 0.999)) for v in values)
    reach = reach if np.isfinite(reach) and reach > 0 else 3.0
    edges = np.linspace(-1.05 * reach, 1.05 * reach, 91)
    for g, v in enumerate(values):
        ax.hist(v, bins=edges, density=True, histtype="step", linewidth=1.4,
                color=PALETTE[g % len(PALETTE)], label=f"generation {g}")
    label(ax, f"latent mean under the generation-0 encoder ({active.size} active of {lat.shape[2]} dims)",
          "density", "latent means of each generation's samples", legend=True)


def _spread_panel(ax, std: np.ndarray, real_std: float) -> None:
    """This run's std of the latent means per generation, in its own units, beside its real data's."""
    from collapse.figures.style import PALETTE, label

    G = std.size
    ax.plot(np.arange(G), std, "o-", color=PALETTE[0], label="generation g's samples")
    ax.axhline(real_std, color="0.5", linestyle=":", label="real data (same encoder)")
    ax.set_xticks(np.arange(G))
    ax.set_ylim(0, 1.15 * max(float(np.max(std)), real_std))
    label(ax, "generation g", "std of latent means", "this run, in its generation-0 encoder's units", legend=True)


def _relative_panel(ax, std: np.ndarray, mnist: bool) -> None:
    """Std of the latent means divided by its generation-0 value: this run against the paper's MNIST
    sequence. Only the ratio is set side by side: the two encoders' latent scales differ."""
    from collapse.figures.style import PALETTE, label

    paper = np.asarray(PAPER_LATENT_STD)
    ours = "this run: MNIST" if mnist else "this run: 8x8 digits"
    ax.plot(np.arange(std.size), std / std[0], "o-", color=PALETTE[0], label=ours)
    ax.plot(np.arange(paper.size), paper / paper[0], "s--", color="black", label="paper (MNIST)")
    ax.set_xticks(np.arange(max(std.size, paper.size)))
    ax.set_ylim(0, 1.1)
    label(ax, "generation g", "std of latent means / its generation-0 value",
          "relative shrinkage (each sequence / its generation 0)", legend=True)


def _draw_latents(meta: dict, a, out_dir: Path) -> list[Path]:
    """``vae_latents``: latent-mean histograms per generation, this run's spread in its own units,
    and the spread relative to generation 0 beside the paper's (the only comparable quantity)."""
    from collapse.figures.style import figure, finish

    data = data_name(meta)
    fig, axes = figure(1, 3, figsize=(15, 4.2), gridspec_kw={"width_ratios": [1.5, 1, 1]})
    _histogram_panel(axes[0], a["latent_means"])
    _spread_panel(axes[1], np.asarray(a["latent_std"], dtype=float), float(a["real_latent_std"]))
    _relative_panel(axes[2], np.asarray(a["latent_std"], dtype=float), _is_mnist(meta))
    return finish(fig, out_dir, "vae_latents", title=f"VAE latent means per generation: {data}", fontsize=11)


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    meta, a = _load(results_dir)
    return _draw_samples(meta, a, out_dir) + _draw_latents(meta, a, out_dir)


def describe(results_dir: Path):
    from collapse.figures.registry import Description, Number

    meta, a = _load(results_dir)
    std = a["latent_std"]
    mnist = _is_mnist(meta)
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
