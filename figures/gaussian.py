"""Supplementary Material, single Gaussian: |mu - mu_hat| and |sigma - sigma_hat| against generation.

Reads ``gaussian_single.npz`` (written by :mod:`collapse.simulate.experiments.single_gaussian`)
and overlays the exact expectations from :mod:`collapse.analytic`: the root-mean-square
errors sqrt(E[(mu_n - mu_0)^2]) and sqrt(E[(sigma_n - sigma_0)^2]) (replace), and
sqrt(E[(mu_n - mu_0)^2]) (accumulate, from the exact moment recursion).
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


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    from collapse.figures.style import PALETTE, save, setup
    from collapse.simulate.experiments.single_gaussian import load_single_gaussian

    plt = setup()
    config, arrays = load_single_gaussian(Path(results_dir) / RESULTS)
    G = config.generations
    gens = np.arange(1, G + 1)
    fig, axes = plt.subplots(2, len(config.regimes), figsize=(5.2 * len(config.regimes), 7.2),
                             sharex=True, squeeze=False)
    for col, regime in enumerate(config.regimes):
        for j, m in enumerate(config.sample_sizes):
            colour = PALETTE[j % len(PALETTE)]
            mu = np.abs(arrays[f"{regime}_M{m}_mu"])  # mu_0 = 0
            sd = np.abs(np.sqrt(arrays[f"{regime}_M{m}_sigma2"]) - 1.0)  # sigma_0 = 1
            if regime == "replace":
                th_mu, th_sd = _theory_replace(config.estimator, m, G)
            else:
                th_mu, th_sd = _theory_accumulate(config.estimator, m, G), None
            for row, (err, th) in enumerate(((mu, th_mu), (sd, th_sd))):
                ax = axes[row, col]
                lo, hi = np.quantile(err[:, 1:], [0.1, 0.9], axis=0)
                ax.fill_between(gens, lo, hi, color=colour, alpha=0.12, linewidth=0)
                ax.plot(gens, err[0, 1:], color=colour, alpha=0.45, linewidth=0.6)
                ax.plot(gens, np.sqrt((err[:, 1:] ** 2).mean(axis=0)), color=colour, linewidth=1.6,
                        label=f"M = {m}: simulated RMS")
                if th is not None:
                    ax.plot(gens, th[1:], color="black", linestyle="--", linewidth=1.0,
                            label="closed form (RMS)" if j == 0 else None)
        for row, name in enumerate((r"$|\mu_0 - \hat\mu_n|$", r"$|\sigma_0 - \hat\sigma_n|$")):
            ax = axes[row, col]
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylabel(f"{name} (units of $\\sigma_0$)")
            ax.set_title(f"{regime}: {'data replaced each generation' if regime == 'replace' else 'all data kept'}")
        axes[1, col].set_xlabel("generation n")
        if regime != "replace":
            axes[1, col].text(0.02, 0.02, "no closed form for E[sigma_n] when data accumulate",
                              transform=axes[1, col].transAxes, fontsize=7, color="0.3")
    axes[0, 0].legend(loc="upper left", ncol=1)
    fig.suptitle(f"Single Gaussian refitted over {G} generations ({config.estimator} variance, "
                 f"{config.chains} chains; shaded: 10-90% of chains; thin: one chain)", fontsize=10)
    fig.tight_layout()
    paths = save(fig, out_dir, "gaussian_single")
    plt.close(fig)
    return paths


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
        command="collapse figures gaussian --run runs/gaussian",
        draw=draw,
        results=RESULTS,
        describe=describe,
    ),
]
