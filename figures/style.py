"""One look for every figure: colours, sizes, panel labels, titles and saving (PNG + PDF)."""

from __future__ import annotations

from pathlib import Path

#: consistent colours across figures (colour-blind safe, Okabe-Ito)
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
THEORY_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.4}
ESTIMATOR_COLOURS = {"unbiased": PALETTE[0], "mle": PALETTE[1]}


def setup():
    """Import matplotlib with a headless backend and the house rc settings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "figure.dpi": 110, "savefig.dpi": 200, "font.size": 10, "axes.titlesize": 10,
        "axes.labelsize": 10, "legend.fontsize": 8, "axes.grid": True, "grid.alpha": 0.3,
        "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    })
    return plt


def save(fig, out_dir: Path, stem: str) -> list[Path]:
    """Save ``fig`` as ``stem.png`` and ``stem.pdf`` in ``out_dir`` (atomically)."""
    import io

    from collapse.core.runio import atomic_write_bytes

    paths = []
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, bbox_inches="tight")
        paths.append(atomic_write_bytes(Path(out_dir) / f"{stem}.{ext}", buf.getvalue()))
    return paths


def figure(*args, **kwargs):
    """A new ``(fig, axes)`` in the house style: :func:`setup`, then ``plt.subplots(*args, **kwargs)``."""
    return setup().subplots(*args, **kwargs)


def label(ax, xlabel: str | None = None, ylabel: str | None = None, title: str | None = None, *,
          xscale: str | None = None, yscale: str | None = None, legend: bool = False) -> None:
    """Scales, axis labels and title of one panel, then (``legend=True``) its legend; None leaves a setting as is."""
    if xscale is not None:
        ax.set_xscale(xscale)
    if yscale is not None:
        ax.set_yscale(yscale)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    if legend:
        ax.legend()


def finish(fig, out_dir: Path, stem: str, *, title: str | None = None, tight: bool = True,
           **title_kw) -> list[Path]:
    """Title ``fig`` with what data it shows (``suptitle``, ``title_kw`` passed on), lay it out
    (``tight_layout`` unless ``tight=False``), :func:`save` it as PNG + PDF and close it.

    Returns the written paths (``stem.png``, ``stem.pdf``).
    """
    import matplotlib.pyplot as plt

    if title is not None:
        fig.suptitle(title, **title_kw)
    if tight:
        fig.tight_layout()
    paths = save(fig, out_dir, stem)
    plt.close(fig)
    return paths
