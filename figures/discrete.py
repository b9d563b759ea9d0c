"""Discrete chains with exact approximation: heterozygosity decay and absorption against theory.

Reads ``discrete.npz`` (10^4 chains, K = 100, M = 100) and ``discrete_absorption.npz``
(three states), written by :func:`simulate.experiments.run_quick_discrete`; the
theory curves are E[H_t] = H_0 (1 - 1/M)^t and P(absorbed at i) = p_0(i) from
:mod:`collapse.analytic.discrete`.

Bands (all 99.9%): the absorbed fraction and the fraction absorbed at each state are
binomial proportions over independent chains (Wilson intervals). The run saves the
mean heterozygosity and mean support but not their spread over chains, so their bands
use the Bhatia-Davis bound Var X <= (b - EX)(EX - a) for X in [a, b] (H in [0, 1 - 1/K],
support in [1, K]): conservative, never narrower than the true one. The heterozygosity
band is drawn in log space (log axis), its lower end clipped at a tenth of the mean.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from collapse.figures.registry import FigureSpec

RESULTS = "discrete.npz"
ABSORPTION = "discrete_absorption.npz"


def _het_theory(h0: float, m: int, G: int) -> np.ndarray:
    from collapse.analytic import discrete as AD
    from collapse.analytic.numeric import lambdified

    f = lambdified(AD.expected_heterozygosity(), AD.H0, AD.M, AD.t)
    return np.array([float(f(h0, m, t)) for t in range(G + 1)])


#: the config fields the panels read
_CONFIG = {"n_chains": int, "n_states": int, "samples": int, "generations": int, "p0": (list, None)}


def _states(cfg: dict) -> int:
    return len(cfg["p0"]) if cfg["p0"] is not None else cfg["n_states"]


def _absorbed_states_in_range(cfg: dict, a: dict) -> str | None:
    s, K = a["absorbed_state"], _states(cfg)
    if s.size and (s.min() < -1 or s.max() >= K):
        return f"array 'absorbed_state' holds {int(s.min())} .. {int(s.max())}, not states in -1 .. {K - 1}"
    return None


def _read(path: Path, spec: dict) -> tuple[dict, dict]:
    """``(meta, arrays)`` of a saved discrete result, the arrays in ``spec`` checked (DamagedFile if not)."""
    from collapse.simulate.experiments.results import read_arrays

    return read_arrays(path, path.stem, spec, config=_CONFIG, integer=("absorbed_state",),
                       dims=lambda cfg: {"G1": cfg["generations"] + 1, "K": _states(cfg), "C": cfg["n_chains"]},
                       check=_absorbed_states_in_range)


def _load(results_dir: Path):
    """``(meta, arrays)`` of the saved ``discrete.npz``, checked."""
    return _read(Path(results_dir) / RESULTS, {"het_mean": ("G1",), "absorbed_frac": ("G1",),
                                               "support_mean": ("G1",), "p0": ("K",)})


def _load_absorption(results_dir: Path):
    """``(meta, arrays)`` of the saved ``discrete_absorption.npz``, checked; None when there is none."""
    path = Path(results_dir) / ABSORPTION
    if not path.exists():
        return None
    return _read(path, {"p0": ("K",), "absorbed_state": ("C",)})


def _het_se(a, n_chains: int, h_max: float) -> tuple[np.ndarray, str]:
    """Standard error of ``het_mean`` per generation and what it is (for the legend).

    The run saves the mean heterozygosity only, not its spread over chains, so the band
    is the conservative Bhatia-Davis bound (per-chain H lies in [0, 1 - 1/K]); a result
    that also holds ``het_sd`` (the std over chains, per generation) gets the exact one.
    """
    from collapse.figures.style import bounded_se

    if "het_sd" in a:
        return np.asarray(a["het_sd"], dtype=float) / np.sqrt(n_chains), "99.9% CI"
    return bounded_se(a["het_mean"], 0.0, h_max, n_chains), "conservative 99.9% band (Bhatia-Davis bound on SE)"


def _heterozygosity_panel(ax, a, cfg: dict) -> None:
    """Simulated mean heterozygosity against the closed form H_0 (1 - 1/M)^t (log scale), with its band."""
    from collapse.figures.style import PALETTE, THEORY_STYLE, Z999, label, log_band

    G = a["het_mean"].size - 1
    gens = np.arange(G + 1)
    h0 = 1.0 - float((a["p0"] ** 2).sum())
    K, C = a["p0"].size, int(cfg["n_chains"])
    se, what = _het_se(a, C, 1.0 - 1.0 / K)
    # in log space (never at 0), the lower end clipped at a tenth of the mean: late on, when the
    # mean rests on a handful of unabsorbed chains, it would otherwise reach down decades
    lo, hi = log_band(a["het_mean"], se, Z999, floor=0.1)
    hi = np.minimum(hi, 1.0 - 1.0 / K)  # no chain's H exceeds 1 - 1/K, nor does its mean
    ax.fill_between(gens, lo, hi, color=PALETTE[0], alpha=0.25, linewidth=0,
                    label=f"{what};\nin log space, lower end clipped at mean/10")
    het = np.where(a["het_mean"] > 0, a["het_mean"], np.nan)  # 0 once every chain is absorbed: off a log axis
    ax.plot(gens, het, color=PALETTE[0], linewidth=1.6, label=f"simulated mean, {C} chains")
    if np.any(a["het_mean"] <= 0):
        t_all = int(np.argmax(a["het_mean"] <= 0))
        ax.axvline(t_all, color="0.4", linestyle=":", linewidth=1,
                   label=f"every chain absorbed (simulated H = 0) from t = {t_all}")
    theory = _het_theory(h0, cfg["samples"], G)
    ax.plot(gens, theory, **THEORY_STYLE, label=r"$H_0(1-1/M)^t$ (sympy)")
    label(ax, "generation $t$", r"heterozygosity $1-\sum_i p_t(i)^2$", f"K = {K}, M = {cfg['samples']}",
          yscale="log")
    # room for the legend under the decay: the axis reaches 45% of its log range below the data
    shown = np.concatenate([lo, a["het_mean"], theory])
    bottom, top = np.nanmin(shown[shown > 0]), np.nanmax(shown)
    ax.set_ylim(bottom * (bottom / top) ** 0.45, top * 1.5)
    ax.legend(loc="lower left", fontsize=7.5)


def _support_panel(ax, a, cfg: dict) -> None:
    """Fraction of chains absorbed in a delta (Wilson band) and mean support / K (conservative band)."""
    from collapse.figures.style import PALETTE, Z999, bounded_se, label, wilson

    gens = np.arange(a["het_mean"].size)
    C, K = int(cfg["n_chains"]), int(cfg["n_states"])
    # absorbed_frac is a binomial proportion: round(absorbed_frac * C) of the C independent chains
    lo, hi = wilson(np.rint(a["absorbed_frac"] * C), C, Z999)
    ax.fill_between(gens, lo, hi, color=PALETTE[1], alpha=0.3, linewidth=0)
    ax.plot(gens, a["absorbed_frac"], color=PALETTE[1], label="absorbed (a delta); 99.9% Wilson band")
    # the support's spread over chains is not saved: bound it (support in [1, K])
    s = a["support_mean"] / K
    se = bounded_se(a["support_mean"], 1.0, K, C) / K
    ax.fill_between(gens, np.clip(s - Z999 * se, 1 / K, 1), np.clip(s + Z999 * se, 1 / K, 1), color=PALETTE[2],
                    alpha=0.3, linewidth=0)
    ax.plot(gens, s, color=PALETTE[2], label="mean support / K; conservative 99.9% band")
    label(ax, "generation $t$", "fraction", f"support shrinks, chains absorb ({C} chains)", legend=True)


def _absorption_panel(ax, absorption) -> None:
    """Where the small run's chains were absorbed against p_0(i), with 99.9% Wilson intervals;
    an empty panel without ``absorption`` (its ``(meta, arrays)``)."""
    from collapse.figures.style import PALETTE, Z999, label, wilson

    if absorption is None:
        ax.set_axis_off()
        return
    meta, b = absorption
    K, N = b["p0"].size, b["absorbed_state"].size
    counts = np.bincount(b["absorbed_state"][b["absorbed_state"] >= 0], minlength=K)
    frac = counts / N
    lo, hi = wilson(counts, N, Z999)  # each state's count is binomial(N, P(absorbed at i))
    x = np.arange(K)
    ax.bar(x - 0.2, b["p0"], width=0.4, color="0.7", label="$p_0(i)$ (theory)")
    ax.bar(x + 0.2, frac, width=0.4, color=PALETTE[0], yerr=np.stack([frac - lo, hi - frac]), capsize=3,
           label=f"fraction absorbed at $i$ ({N} chains),\n99.9% Wilson interval")
    ax.set_xticks(x)
    cfg = meta["config"]
    never = int((b["absorbed_state"] < 0).sum())
    label(ax, "state $i$", "probability",
          f"absorption, M = {cfg['samples']}, {cfg['generations']} generations"
          + (f" ({never} chains not yet absorbed)" if never else ""), legend=True)


def draw(results_dir: Path, out_dir: Path) -> list[Path]:
    from collapse.figures.style import figure, finish

    meta, a = _load(results_dir)
    absorption = _load_absorption(results_dir)  # both read and checked before anything is drawn
    fig, axes = figure(1, 3, figsize=(14, 4.0))
    _heterozygosity_panel(axes[0], a, meta["config"])
    _support_panel(axes[1], a, meta["config"])
    _absorption_panel(axes[2], absorption)
    return finish(fig, out_dir, "discrete")


def describe(results_dir: Path):
    from collapse.figures.registry import Description

    meta, a = _load(results_dir)
    cfg = meta.get("config") or {}
    G = a["het_mean"].size - 1
    return Description(
        paper=("With exact approximation the chain only resamples: rare states vanish first, the distribution "
               "converges to a delta, landing on state i with the probability p_0(i)."),
        run=(f"K = {cfg.get('n_states')}, M = {cfg.get('samples')}: heterozygosity falls from {a['het_mean'][0]:.3f} to "
             f"{a['het_mean'][-1]:.2e} in {G} generations (theory H0 (1 - 1/M)^t), {a['absorbed_frac'][-1]:.1%} of the "
             "chains are absorbed in a delta."),
    )


FIGURES = [FigureSpec(
    name="discrete", title="discrete chain: heterozygosity decay and absorption against theory",
    paper="section 'Discrete distributions with exact approximation'",
    command="collapse simulate discrete && collapse figures discrete", draw=draw, results=RESULTS,
    describe=describe)]
