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

__all__ = ["bonferroni", "ks_p", "mean_z_p", "mean_z_p_known"]


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
    """Combine the p-values of one check's sub-tests: min(1, k * min p)."""
    return float(min(1.0, len(p_values) * min(p_values)))
