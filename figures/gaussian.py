"""Supplementary Material, single Gaussian: |mu - mu_hat| and |sigma - sigma_hat| against generation.

Reads ``gaussian_single.npz`` (written by :mod:`collapse.simulate.experiments.single_gaussian`)
and overlays the exact expectations from :mod:`collapse.analytic`: the root-mean-square
errors sqrt(E[(mu_n - mu_0)^2]) and sqrt(E[(sigma_n - sigma_0)^2]) (replace), and
sqrt(E[(mu_n - mu_0)^2]) (accumulate, from the exact moment recursion).

Each sample size M has its own colour and marker: its closed form is a dashed line, the
simulated RMS over chains markers on top of it, and the 10-90% band of chains a light
shade; one legend above the panels says which is which.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "gaussian_single.npz"


def _theory_replace(estimator: str, m: int, G: int) -> tuple[np.ndarray, np.ndarray]:
    import mpmath

    from collapse.analytic import gaussian as A
    from collapse.analytic.numeric import lambdified

    f = A.closed_forms(estimator)
    var_mu = lambdified(f["Var_mu"], A.M, A.n, A.sigma0)
    e2 = lambdified(f["E_sigma2"], A.M, A.n, A.sigma0)
    e1 = lambdified(f["E_sigma"], A.M, A.n, A.sigma0)
    mu_rms, sd_rms = np.empty(G + 1), np.empty(G + 1)
    with mpmath.workdps(20):
        M, one = mpmath.mpf(m), mpmath.mpf(1)
        for g in range(G + 1):
            n = mpmath.mpf(g)
            mu_rms[g] = float(mpmath.sqrt(var_mu(M, n, one)))
            sd_rms[g] = float(mpmath.sqrt(e2(M, n, one) - 2 * e1(M, n, one) + one))
    return mu_rms, sd_rms


def _theory_accumulate(estimator: str, m: int, G: int) -> np.ndarray:
    from collapse.analytic.numeric import gaussian_accumulate_values

    v = gaussian_accumulate_values(estimator, [m] * G, 1.0, dps=20)
    return np.sqrt(np.array([float(x) for x in v["E_dmu2"]]))


def _errors(arrays, regime: str, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Per chain and generation, |mu_0 - mu_n| and |sigma_0 - sigma_n| (mu_0 = 0, sigma_0 = 1)."""
    mu = np.abs(arrays[f"{regime}_M{m}_mu"])
    sd = np.abs(np.sqrt(arrays[f"{regime}_M{m}_sigma2"]) - 1.0)
    return mu, sd


def _theory(config, regime: str, m: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The closed-form RMS errors of mean and std (None for the std when data accumulate; both None for
    the regimes the literal sampler ran, curate:Q, weight:W,K, mix:...)."""
    if regime == "replace":
        return _theory_replace(config.estimator, m, config.generations)
    if regime == "accumulate":
        return _theory_accumulate(config.estimator, m, config.generations), None
    return None, None


#: draw chain 0's trace under each sample size's lines (off: 4 jagged traces hide the theory lines)
SHOW_TRACES = False
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def _marker_gens(G: int, n: int = 22) -> np.ndarray:
    """About ``n`` generations spread evenly on the log axis (1..G), where the simulated RMS gets a marker."""
    return np.unique(np.round(np.geomspace(1, G, n)).astype(int))


def _error_lines(ax, gens: np.ndarray, err: np.ndarray, theory: np.ndarray | None, colour: str,
                 marker: str) -> None:
    """One sample size's errors in its own colour: 10-90% band over chains, the simulated RMS
    (markers) and its closed form (dashed line); chain 0's trace only with :data:`SHOW_TRACES`."""
    lo, hi = np.quantile(err[:, 1:], [0.1, 0.9], axis=0)
    lo = np.where(lo > 0, lo, np.nan)  # a quantile of |error| at exactly 0 has no place on a log axis
    ax.fill_between(gens, lo, hi, color=colour, alpha=0.10, linewidth=0)
    if SHOW_TRACES:
        ax.plot(gens, err[0, 1:], color=colour, alpha=0.3, linewidth=0.5)
    rms = np.sqrt((err[:, 1:] ** 2).mean(axis=0))
    at = _marker_gens(gens[-1]) - 1
    ax.plot(gens[at], rms[at], linestyle="none", marker=marker, markersize=4, color=colour,
            markerfacecolor="white", markeredgewidth=1.1)
    if theory is not None:
        ax.plot(gens, theory[1:], color=colour, linestyle="--", linewidth=1.5)
    else:  # no closed form: join the markers so the simulated curve still reads as one line
        ax.plot(gens, rms, color=colour, linewidth=0.8, alpha=0.7)


def _label_column(axes, regime: str) -> None:
    """Log scales, labels and title of one regime's (mean, std) panels."""
    from collapse.figures.style import label

    what = {"replace": "data replaced each generation", "accumulate": "all data kept"}.get(regime, "literal sampler")
    for ax, name in zip(axes, (r"$|\mu_0 - \hat\mu_n|$", r"$|\sigma_0 - \hat\sigma_n|$")):
        label(ax, ylabel=f"{name} (units of $\\sigma_0$)", title=f"{regime}: {what}", xscale="log", yscale="log")
    axes[1].set_xlabel("generation n")
    if regime != "replace":
        what = "E[sigma_n]" if regime == "accumulate" else "this regime"
        axes[1].text(0.02, 0.02, f"no closed form for {what} here: a thin line joins the simulated RMS",
                     transform=axes[1].transAxes, fontsize=7, color="0.3")


def _regime_column(axes, config, arrays, regime: str) -> None:
    """One regime: mean errors on ``axes[0]``, std errors on ``axes[1]``, one colour and marker per sample size."""
    from collapse.figures.style import PALETTE

    gens = np.arange(1, config.generations + 1)
    for j, m in enumerate(config.sample_sizes):
        for ax, err, theory in zip(axes, _errors(arrays, regime, m), _theory(config, regime, m)):
            _error_lines(ax, gens, err, theory, PALETTE[j % len(PALETTE)], MARKERS[j % len(MARKERS)])
    _label_column(axes, regime)


def _legend(fig, config) -> None:
    """One legend for the figure: which colour/marker is which sample size, and what each element is."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from collapse.figures.style import PALETTE

    sizes = [Line2D([], [], color=PALETTE[j % len(PALETTE)], linestyle="--", marker=MARKERS[j % len(MARKERS)],
                    markerfacecolor="white", markersize=5, label=f"M = {m}")
             for j, m in enumerate(config.sample_sizes)]
    kinds = [Line2D([], [], color="0.2", linestyle="--", label="closed form (RMS)"),
             Line2D([], [], color="0.2", linestyle="none", marker="o", markerfacecolor="white",
                    label=f"simulated RMS over {config.chains} chains"),
             Patch(color="0.2", alpha=0.15, label="10-90% of chains")]
    fig.legend(handles=sizes + kinds, loc="upper center", bbox_to_anchor=(0.5, 0.965),
               ncol=len(sizes) + len(kinds), frameon=False, fontsize=8.5)


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    from collapse.figures.style import figure, finish
    from collapse.simulate.experiments.single_gaussian import load_single_gaussian

    config, arrays = load_single_gaussian(Path(results_dir) / RESULTS)
    n = len(config.regimes)
    fig, axes = figure(2, n, figsize=(5.2 * n, 7.6), sharex=True, squeeze=False)
    for col, regime in enumerate(config.regimes):
        _regime_column(axes[:, col], config, arrays, regime)
    _legend(fig, config)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return finish(fig, out_dir, "gaussian_single", fontsize=10, tight=False, y=0.995,
                  title=(f"Single Gaussian refitted over {config.generations} generations ({config.estimator} "
                         f"variance, {config.chains} chains)"))


def describe(results_dir: Path):
    from collapse.figures.registry import Description, Number
    from collapse.simulate.experiments.single_gaussian import load_single_gaussian

    config, arrays = load_single_gaussian(Path(results_dir) / RESULTS)
    G, m = config.generations, min(config.sample_sizes)
    rep = np.sqrt(np.mean(arrays[f"replace_M{m}_mu"][:, -1] ** 2))
    acc = np.sqrt(np.mean(arrays[f"accumulate_M{m}_mu"][:, -1] ** 2)) if "accumulate" in config.regimes else float("nan")
    th_mu, th_sd = _theory_replace(config.estimator, m, G)
    return Description(
        paper=("Refitting a single Gaussian on its own samples: the estimation errors of mean and standard deviation "
               "grow with the generation when data are replaced, and stay small when all data are kept."),
        run=(f"With M = {m}, after {G} generations the RMS error of the mean is {rep:.3f} sigma_0 when data are replaced "
             f"(closed form {th_mu[-1]:.3f}) and {acc:.4f} sigma_0 when they accumulate."),
        numbers=(Number("single Gaussian, sample sizes and generations", "{100, 500, 1000, 10000}, 1000",
                        "{" + ", ".join(map(str, sorted(config.sample_sizes))) + f"}}, {G}",
                        "same" if G >= 1000 and set(config.sample_sizes) >= {100, 500, 1000, 10000} else "reduced"),),
    )


FIGURES = [
    FigureSpec(
        name="gaussian",
        title="single Gaussian: mean and standard-deviation error against generation, replace and accumulate",
        paper="Supplementary Material, single-Gaussian figure (sample sizes 100, 500, 1000, 10000)",
        command="collapse figures gaussian --out runs/gaussian",
        draw=draw,
        results=RESULTS,
        describe=describe,
    ),
]
