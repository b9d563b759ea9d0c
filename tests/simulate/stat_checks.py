"""Statistical assertions for the simulate/ property suite, each with a stated false-alarm rate.

Every check is a test of a true claim at level ``alpha``: if the simulation is
right, it fails with probability at most ``alpha``. A test making several checks
splits its budget (union bound) with :func:`split`, so that every test's total
false-alarm probability is at most :data:`ALPHA` = 1e-6 under any profile; under
the derandomized ``ci`` profile (and with fixed seeds) outcomes are also fixed.
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from scipy import stats

ALPHA = 1e-6


def split(n_checks: int, *, per_example: bool = True) -> float:
    """Level of one check when a test makes ``n_checks`` per Hypothesis example."""
    examples = settings.default.max_examples if per_example else 1
    return ALPHA / (examples * n_checks)


def z_crit(alpha: float) -> float:
    """Two-sided normal critical value."""
    return float(stats.norm.isf(alpha / 2))


def assert_z(estimate: float, expected: float, se: float, alpha: float, what: str) -> None:
    """|estimate - expected| <= z_{alpha/2} se (a CLT z-test; se from the theory where possible)."""
    z = (estimate - expected) / se
    assert abs(z) <= z_crit(alpha), (
        f"{what}: simulated {estimate:.6g} vs theory {expected:.6g}, z = {z:.2f} "
        f"(threshold {z_crit(alpha):.2f}, false-alarm probability {alpha:.2g})")


def assert_mean(sample, expected: float, alpha: float, what: str, *, variance: float | None = None) -> None:
    """The mean of iid ``sample`` matches ``expected``; SE from ``variance`` or the sample."""
    sample = np.asarray(sample, dtype=float).ravel()
    var = sample.var(ddof=1) if variance is None else variance
    assert_z(sample.mean(), expected, float(np.sqrt(var / sample.size)), alpha, what)


def assert_binomial(successes: int, trials: int, p: float, alpha: float, what: str) -> None:
    """An exact two-sided binomial test (no normal approximation)."""
    pval = stats.binomtest(int(successes), int(trials), float(p)).pvalue
    assert pval >= alpha, (
        f"{what}: {successes}/{trials} = {successes / trials:.5f} vs p = {p:.5f}, p-value {pval:.3g} < {alpha:.2g}")
