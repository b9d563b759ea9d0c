"""One look for every figure: colours, sizes and saving (PNG + PDF)."""

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
