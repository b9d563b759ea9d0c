"""Theory figure: E[W2^2], E[sigma_n] and Var[mu_n] against generation, closed form and simulation.

Unbiased (Theorem 3.1) and MLE variance estimators side by side: under the
unbiased estimator E[W2^2] grows without bound (linearly, through Var[mu_n]);
under the MLE it stays below 2 sigma_0^2 while sigma_n still collapses.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "gaussian_theory.npz"


def _closed(est: str, key: str, m: int, gens: np.ndarray) -> np.ndarray:
    import mpmath

    from collapse.analytic import gaussian as A
    from collapse.analytic.numeric import lambdified

    f = lambdified(A.closed_forms(est)[key], A.M, A.n, A.sigma0)
    with mpmath.workdps(20):
        return np.array([float(f(mpmath.mpf(m), mpmath.mpf(int(g)), mpmath.mpf(1))) for g in gens])


#: (statistic saved by the simulation, its closed form in :func:`collapse.analytic.gaussian.closed_forms`, y label)
_PANELS = (("w2sq", "E_W2sq", r"$E[W_2^2]$ to generation 0 ($\sigma_0^2$)"),
          ("sigma", "E_sigma", r"$E[\sigma_n]$ ($\sigma_0$)"),
          ("dmu2", "Var_mu", r"$\mathrm{Var}[\mu_n]$ ($\sigma_0^2$)"))


#: the statistics drawn on a log axis (their bands are drawn in log space, so they never reach 0)
_LOG = ("sigma",)


def _moment_panel(ax, config, arrays, stat: str, key: str, ylabel: str) -> None:
    """One statistic against generation: simulated 99.9% band and closed form, for each estimator
    (on a log axis, the band in log space: :func:`collapse.figures.style.log_band`)."""
    from collapse.figures.style import ESTIMATOR_COLOURS, Z999, label, log_band

    gens = np.arange(config.generations + 1)
    log = stat in _LOG
    for est in ("unbiased", "mle"):
        c = ESTIMATOR_COLOURS[est]
        mean, se = arrays[f"{est}_{stat}_mean"], arrays[f"{est}_{stat}_se"]
        lo, hi = log_band(mean, se, Z999) if log else (mean - Z999 * se, mean + Z999 * se)
        ax.fill_between(gens, lo, hi, color=c, alpha=0.25, linewidth=0,
                        label=f"{est}: simulated, 99.9% CI" + (" (log space)" if log else ""))
        ax.plot(gens, _closed(est, key, config.samples, gens), color=c, linestyle="--", linewidth=1.4,
                label=f"{est}: closed form")
    ax.axvline(config.samples, color="0.5", linestyle=":", linewidth=1)
    label(ax, "generation n", ylabel, yscale="log" if log else None)
    if log:
        ax.text(0.98, 0.98, "band in log space:\nmean x exp(+-3.29 SE/mean)", transform=ax.transAxes,
                fontsize=7, ha="right", va="top", color="0.3")


def _note_rare_chains(ax, m: int) -> None:
    """Mark n = M, past which the unbiased chain's expectations are carried by rare chains."""
    # Var(sigma_n^2) / E[sigma_n^2]^2 = ((M+1)/(M-1))^n - 1 ~ e^(2n/M) (unbiased): past n ~ M the
    # expectation is carried by rare chains, and a finite sample's mean falls below it
    ax.text(m * 1.05, 0.97, "n = M: past here the unbiased chain's mean\n"
            "is carried by rare chains (Var/E$^2$ ~ e$^{2n/M}$),\nso sample means fall short of it",
            transform=ax.get_xaxis_transform(), fontsize=7, va="top", color="0.3")


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    from collapse.figures.style import figure, finish
    from collapse.simulate.experiments.gaussian_moments import load_gaussian_theory

    config, arrays = load_gaussian_theory(Path(results_dir) / RESULTS)
    fig, axes = figure(1, 3, figsize=(13, 3.8))
    for ax, (stat, key, ylabel) in zip(axes, _PANELS):
        _moment_panel(ax, config, arrays, stat, key, ylabel)
    _note_rare_chains(axes[2], config.samples)
    axes[0].legend(loc="upper left")
    return finish(fig, out_dir, "gaussian_theory", fontsize=10,
                  title=f"1-D Gaussian chain, M = {config.samples} samples per generation, {config.chains} chains")


def describe(results_dir: Path):
    from collapse.figures.registry import Description
    from collapse.simulate.experiments.gaussian_moments import load_gaussian_theory

    config, a = load_gaussian_theory(Path(results_dir) / RESULTS)
    n, m = config.generations, config.samples
    return Description(
        paper=("Theorem 3.1: refitted with unbiased estimates, E[W2^2] to the original diverges while the "
               "variance collapses almost surely."),
        run=(f"M = {m}: at generation {n} the closed forms give E[W2^2] = {_closed('unbiased', 'E_W2sq', m, [n])[0]:.2f} "
             f"sigma_0^2 (unbiased, growing like n/M) against {_closed('mle', 'E_W2sq', m, [n])[0]:.3f} (MLE, below 2); "
             f"simulated E[sigma_n] = {a['unbiased_sigma_mean'][-1]:.3f} (closed form "
             f"{_closed('unbiased', 'E_sigma', m, [n])[0]:.3f}). Past n ~ M the unbiased chain's means are carried by "
             "rare chains, so simulated averages fall short of them."),
    )


FIGURES = [
    FigureSpec(
        name="gaussian-theory",
        title="E[W2^2], E[sigma_n], Var[mu_n] against generation: closed forms over simulation, unbiased and MLE",
        paper="Theorem 3.1 (section 'Multidimensional Gaussian'); not a figure of the paper",
        command="collapse figures gaussian-theory --out runs/gaussian",
        draw=draw,
        results=RESULTS,
        describe=describe,
    ),
]
