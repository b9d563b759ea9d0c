"""One look for every figure: colours, sizes, panel labels, titles and saving (PNG + PDF)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: consistent colours across figures (colour-blind safe, Okabe-Ito)
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
THEORY_STYLE = {"color": "black", "linestyle": "--", "linewidth": 1.4}
ESTIMATOR_COLOURS = {"unbiased": PALETTE[0], "mle": PALETTE[1]}
#: two-sided 99.9% standard-normal quantile: the level of every band drawn from a standard error
Z999 = 3.2905
#: how a band or error bar on a log axis is drawn (for legends and captions)
LOG_BAND_NOTE = "drawn in log space: mean x exp(+-z SE/mean), so it never reaches 0"


def log_band(mean, se, z: float = Z999, *, floor: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)`` of a band ``mean +- z se`` for a positive quantity on a log axis, drawn in log space.

    The delta method gives SE[log mean] = se / mean, so the band is
    ``mean * exp(-+ z se / mean)``: the same as ``mean +- z se`` to first order when the
    error is small, and never at or below zero (a symmetric band whose lower end runs
    to 0 would run off a log axis). Where ``mean <= 0`` or either input is not finite
    both ends are NaN (nothing is drawn there). ``floor`` (e.g. 0.1) clips the lower end at
    ``floor * mean`` where the band is so wide (relative error past ~ln(1/floor)/z) that its
    lower end says only "consistent with much smaller values": say so where it is drawn.
    """
    mean, se = np.asarray(mean, dtype=float), np.asarray(se, dtype=float)
    ok = np.isfinite(mean) & np.isfinite(se) & (mean > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r = np.where(ok, np.exp(z * np.abs(se) / np.where(ok, mean, 1.0)), np.nan)
    lo = mean / r
    if floor is not None:
        lo = np.maximum(lo, floor * mean)
    return lo, mean * r


def log_yerr(mean, se, z: float = Z999) -> np.ndarray:
    """The ``yerr`` (2, n) of :func:`log_band` for ``ax.errorbar`` (0 where nothing can be drawn)."""
    mean = np.asarray(mean, dtype=float)
    lo, hi = log_band(mean, se, z)
    return np.nan_to_num(np.stack([mean - lo, hi - mean]), nan=0.0)


def wilson(k, n, z: float = Z999) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval ``(lo, hi)`` of a binomial proportion: ``k`` successes out of ``n``.

    Inside [0, 1] always, and valid near 0 and 1 where the normal ``p +- z sqrt(p(1-p)/n)``
    collapses to a point.
    """
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    p = k / n
    d = 1.0 + z**2 / n
    centre = (p + z**2 / (2 * n)) / d
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / d
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def bounded_se(mean, lower: float, upper: float, n: int) -> np.ndarray:
    """Upper bound on the standard error of a mean of ``n`` independent values in [lower, upper].

    Bhatia-Davis: Var X <= (upper - E X)(E X - lower) for any X in [lower, upper], so
    ``sqrt((upper - mean)(mean - lower) / n)`` bounds the standard error (estimated by
    plugging in the sample mean): a conservative band when the spread itself was not saved.
    """
    mean = np.asarray(mean, dtype=float)
    return np.sqrt(np.clip((upper - mean) * (mean - lower), 0.0, None) / n)


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
