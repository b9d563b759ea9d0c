"""Statistical tests behind simulation checks; each returns a p-value.

The runner (:func:`proofs.core.run_claims`) Holm-corrects all simulation
p-values of a run at family-wise level :data:`proofs.core.FAMILY_ALPHA` (1e-6),
so a correct closed form fails with probability at most 1e-6 per run; each run
also uses fixed seeds, so its outcome is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["bonferroni", "ks_mde_scale", "ks_p", "mde_z", "mean_z_p", "mean_z_p_known", "power_text"]


def mean_z_p(sample: np.ndarray, expected: float) -> tuple[float, float]:
    """Two-sided z-test of ``mean(sample) == expected`` with the sample standard error.

    Returns ``(p_value, z)``. Use only where the sample's variance is finite and
    the chain count makes the CLT accurate (the callers keep n/M small so that
    heavy-tailed moments stay controlled).
    """
    sample = np.asarray(sample, dtype=float)
    se = sample.std(ddof=1) / np.sqrt(sample.size)
    z = (sample.mean() - expected) / se
    return float(2 * stats.norm.sf(abs(z))), float(z)


def mean_z_p_known(sample: np.ndarray, expected: float, variance: float) -> tuple[float, float]:
    """Two-sided z-test of the mean with the theory's variance (standard error from theory)."""
    sample = np.asarray(sample, dtype=float)
    z = (sample.mean() - expected) / np.sqrt(variance / sample.size)
    return float(2 * stats.norm.sf(abs(z))), float(z)


def ks_p(sample: np.ndarray, dist: str, *args: float) -> tuple[float, float]:
    """One-sample Kolmogorov-Smirnov test against ``scipy.stats.<dist>(*args)``: (p, D)."""
    res = stats.kstest(np.asarray(sample, dtype=float), dist, args=args)
    return float(res.pvalue), float(res.statistic)


def bonferroni(p_values: Sequence[float]) -> float:
    """Combine the p-values of one check's sub-tests: min(1, k * min p).

    A NaN among them (a sampler that produced NaNs) gives NaN, which the runner reports as an
    error: it never passes silently (``min`` would skip or keep it depending on its position).
    """
    ps = [float(p) for p in p_values]
    if not ps or any(p != p for p in ps):
        return float("nan")
    return float(min(1.0, len(ps) * min(ps)))


def mde_z(rel_se: float, alpha: float, k: int = 1, power: float = 0.99) -> float:
    """Smallest relative error a two-sided z-test detects with probability ``power`` at level ``alpha``.

    ``(z_{1 - alpha/(2k)} + z_{power}) * rel_se``, where ``rel_se`` is the standard error of
    the estimate over |true value| and ``k`` the number of Bonferroni sub-tests of the check
    (each then runs at ``alpha / k``). A true relative error ``e`` moves the z statistic by
    ``e / rel_se``; once that exceeds the critical value by ``z_{power}`` the test rejects
    with probability at least ``power`` (the other tail only adds).
    """
    if not rel_se >= 0 or not 0 < alpha < 1 or k < 1:
        raise ValueError(f"mde_z needs rel_se >= 0, 0 < alpha < 1, k >= 1 (got {rel_se}, {alpha}, {k})")
    return float((stats.norm.isf(alpha / (2 * k)) + stats.norm.ppf(power)) * rel_se)


def _frozen(dist, args):
    if isinstance(dist, str):
        return getattr(stats, dist)(*args)
    return dist


def ks_mde_scale(n: int, alpha: float, dist, *args: float, power: float = 0.99, k: int = 1) -> float:
    """Smallest relative scale error a one-sample KS test of ``n`` draws detects with probability ``power``.

    The sample comes from ``X * (1 + e)`` with ``X ~ dist`` (a scipy name with ``args``, or a
    frozen distribution) and is tested against ``dist`` at level ``alpha / k``. The KS statistic
    is at least ``Delta(e) - D_n``, with ``Delta(e) = sup_x |F(x) - F(x / (1 + e))|`` and ``D_n``
    the sample's distance to its own law; so it rejects with probability >= ``power`` once
    ``Delta(e) >= c_alpha + d_power`` (``c_alpha`` the test's critical value, ``d_power`` the
    ``power`` quantile of ``D_n``, both exact from ``scipy.stats.kstwo``). Returns the larger of
    the two ``|e|`` needed for a larger and a smaller scale. ``Delta`` is taken as a max over a grid
    of quantiles, a lower bound, so the answer errs on the large side.
    """
    from scipy.optimize import brentq

    law = _frozen(dist, args)
    need = stats.kstwo.isf(alpha / k, n) + stats.kstwo.ppf(power, n)
    if need >= 1:
        return float("inf")
    x = law.ppf(np.linspace(1e-6, 1 - 1e-6, 20001))
    x = x[np.isfinite(x) & (x != 0)]
    F = law.cdf(x)

    def delta(e):
        return float(np.max(np.abs(F - law.cdf(x / (1 + e))))) - need

    out = 0.0
    for sign, cap in ((1, 1e6), (-1, 1 - 1e-9)):
        hi = 0.01
        while delta(sign * hi) < 0:
            if hi >= cap:
                return float("inf")
            hi = min(2 * hi, cap)
        out = max(out, brentq(lambda e, sign=sign: delta(sign * e), 0.0, hi, xtol=1e-7))
    return float(out)


def power_text(mde: float | None, alpha: float | None) -> str:
    """The power statement of a simulation check, as the report prints it."""
    if mde is None:
        return "states no power"
    if mde == float("inf"):
        return "detects no finite relative error (no power statement)"
    a = f" at alpha = {alpha:.2g}" if alpha else ""
    return f"detects a relative error >= {100 * mde:.3g}% with probability 0.99{a}"
