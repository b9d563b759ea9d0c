"""Statistical assertions with stated false-alarm probabilities (one module for the whole suite).

Every assertion is a test of a true claim at level ``alpha``: if the code is right,
it fails with probability at most ``alpha``. A Hypothesis test making ``k``
assertions per example uses :func:`per_assertion_alpha` so that the whole test's
false-alarm probability is at most :data:`ALPHA` = 1e-6 under the active profile
(union bound over examples and assertions). Under the derandomized ``ci`` profile,
with fixed seeds, outcomes are also reproducible.
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from scipy import stats

ALPHA = 1e-6


def per_assertion_alpha(assertions: int, *, per_example: bool = True) -> float:
    """Level of one assertion when a test makes ``assertions`` of them (per Hypothesis example)."""
    examples = settings.default.max_examples if per_example else 1
    return ALPHA / (examples * assertions)


def z_threshold(alpha: float) -> float:
    """Two-sided normal critical value."""
    return float(stats.norm.isf(alpha / 2))


def assert_z(estimate: float, expected: float, se: float, alpha: float, what: str) -> None:
    """|estimate - expected| <= z_(alpha/2) se (a CLT z-test; se from the theory where possible)."""
    z = (estimate - expected) / se
    assert abs(z) <= z_threshold(alpha), (
        f"{what}: simulated {estimate:.6g} vs closed form {expected:.6g}, z = {z:.2f} "
        f"(threshold {z_threshold(alpha):.2f} for false-alarm probability {alpha:.2g})")


def assert_mean(sample, expected: float, alpha: float, what: str = "mean", *, variance: float | None = None) -> None:
    """The mean of iid ``sample`` matches ``expected``; standard error from ``variance`` (theory) or the sample."""
    sample = np.asarray(sample, dtype=float).ravel()
    var = sample.var(ddof=1) if variance is None else variance
    assert_z(sample.mean(), expected, float(np.sqrt(var / sample.size)), alpha, what)


def assert_binomial(successes: int, trials: int, p: float, alpha: float, what: str) -> None:
    """An exact two-sided binomial test (no normal approximation)."""
    pval = stats.binomtest(int(successes), int(trials), float(p)).pvalue
    assert pval >= alpha, (
        f"{what}: {successes}/{trials} = {successes / trials:.5f} vs p = {p:.5f}, p-value {pval:.3g} < {alpha:.2g}")
