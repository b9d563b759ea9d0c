"""Real data against collapse: stationary errors against gamma, and accumulate against replace.

Left: the stationary E[(mu - mu_0)^2] and E[sigma^2] of the Gaussian chain with a
fraction gamma of fresh real data (closed-form fixed points of
:mod:`collapse.analytic.gaussian_mixing`, with the literal mixing loop's values after 150
generations). Right: E[(mu_n - mu_0)^2] when data are replaced (n sigma_0^2 / M) and
when they accumulate (exact recursion, below pi^2 sigma_0^2 / (6M)), with simulation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "regimes.npz"


def _fixed_points(m: int, gammas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    from collapse.analytic import gaussian as G
    from collapse.analytic import gaussian_mixing as X

    fp = X.mix_fixed_point("unbiased")
    d, v = [], []
    for gam in gammas:
        n2 = int(round(gam * m))
        x = fp.subs({X.n1: m - n2, X.n2: n2, G.sigma0: 1})
        d.append(float(x[0]))
        v.append(float(x[1]))
    return np.array(d), np.array(v)


def _mixing_panel(ax, cfg, a) -> None:
    """Stationary E[(mu - mu_0)^2] and E[sigma^2] against gamma: fixed points and the simulated chain."""
    from collapse.figures.style import PALETTE, Z999, label, log_yerr

    grid = np.arange(2, int(0.95 * cfg.samples) + 1) / cfg.samples  # gamma M real points, an integer >= 2
    d, v = _fixed_points(cfg.samples, grid)
    ax.plot(grid, d, color=PALETTE[0], label=r"$E[(\mu-\mu_0)^2]$: fixed point")
    ax.plot(grid, v, color=PALETTE[1], label=r"$E[\sigma^2]$: fixed point")
    for key, c in (("dmu2", PALETTE[0]), ("sigma2", PALETTE[1])):
        ax.errorbar(a["mix_gamma"], a[f"mix_{key}"], yerr=log_yerr(a[f"mix_{key}"], a[f"mix_{key}_se"], Z999),
                    fmt="o", color=c, ms=4, capsize=2,
                    label=(f"simulated after {cfg.mix_generations} generations,\n99.9% CI in log space (never 0)"
                           if key == "dmu2" else None))
    label(ax, r"fraction $\gamma$ of fresh real data per generation", r"stationary value ($\sigma_0^2$)",
          f"fresh real data keep the chain near p_0 (M = {cfg.samples}, unbiased)",
          xscale="log", yscale="log", legend=True)


def _accumulate_panel(ax, cfg, a) -> None:
    """E[(mu_n - mu_0)^2] against generation, replace against accumulate: closed forms, bound and simulation."""
    from collapse.analytic import numeric as N
    from collapse.figures.style import PALETTE, THEORY_STYLE, Z999, label, log_yerr

    gens = a["acc_gens"]
    m = cfg.acc_samples
    acc = N.gaussian_accumulate_values("unbiased", [m] * int(gens[-1]))["E_dmu2"]
    ax.plot(gens[1:], gens[1:] / m, color=PALETTE[3], label=r"replace: $n\sigma_0^2/M$")
    ax.plot(np.arange(1, gens[-1] + 1), [float(x) for x in acc[1:]], color=PALETTE[2],
            label="accumulate: exact recursion")
    ax.axhline(np.pi**2 / 6 / m, **THEORY_STYLE, label=r"bound $\pi^2\sigma_0^2/(6M)$")
    for regime, c in (("replace", PALETTE[3]), ("accumulate", PALETTE[2])):
        mean = a[f"{regime}_dmu2"][1:]
        ax.errorbar(gens[1:], mean, yerr=log_yerr(mean, a[f"{regime}_dmu2_se"][1:], Z999), fmt="o", ms=3,
                    color=c, capsize=0, alpha=0.7,
                    label="simulated, 99.9% CI in log space (never 0)" if regime == "replace" else None)
    label(ax, "generation n", r"$E[(\mu_n-\mu_0)^2]$ ($\sigma_0^2$)",
          f"accumulating data bounds the error (M = {m}; dots: simulation)",
          xscale="log", yscale="log", legend=True)


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    from collapse.figures.style import figure, finish
    from collapse.simulate.experiments.regimes import load_regimes

    cfg, a = load_regimes(Path(results_dir) / RESULTS)
    fig, (ax, ax2) = figure(1, 2, figsize=(11.5, 4.2))
    _mixing_panel(ax, cfg, a)
    _accumulate_panel(ax2, cfg, a)
    return finish(fig, out_dir, "regimes")


def describe(results_dir: Path):
    from collapse.figures.registry import Description
    from collapse.simulate.experiments.regimes import load_regimes

    cfg, a = load_regimes(Path(results_dir) / RESULTS)
    d, v = _fixed_points(cfg.samples, a["mix_gamma"])
    j = int(np.argmin(np.abs(a["mix_gamma"] - 0.1)))
    return Description(
        paper=("With a share gamma of the original data in every generation (p_(i+1) = alpha p_theta + beta p_i + "
               "gamma p_0) collapse is held off; the paper's OPT experiment keeps 10% of the real data."),
        run=(f"gamma = {a['mix_gamma'][j]:g}, M = {cfg.samples}: stationary E[(mu - mu_0)^2] {a['mix_dmu2'][j]:.4f} "
             f"(fixed point {d[j]:.4f}) and E[sigma^2] {a['mix_sigma2'][j]:.4f} ({v[j]:.4f}); after "
             f"{cfg.acc_generations} generations with M = {cfg.acc_samples}, E[(mu_n - mu_0)^2] is "
             f"{a['accumulate_dmu2'][-1]:.4f} when data accumulate and {a['replace_dmu2'][-1]:.2f} when replaced."),
    )


FIGURES = [FigureSpec(
    name="regimes", title="fresh real data (fixed points against gamma) and accumulate against replace",
    paper="'Theoretical intuition' (the mixing model); Supplementary single-Gaussian accumulate variant",
    command="collapse figures regimes --out runs/gaussian", draw=draw, results=RESULTS, describe=describe)]
