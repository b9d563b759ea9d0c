"""Statistical assertions with stated false-alarm probabilities.

Every assertion here is a two-sided z-test at level ``alpha``. A Hypothesis test
that makes ``k`` such assertions per example uses :func:`per_assertion_alpha`
so that the whole test's false-alarm probability is at most 1e-6 under the
active profile (union bound over examples and assertions). Under the ``ci``
profile the examples and seeds are fixed, so outcomes are also reproducible.
"""

from __future__ import annotations

import numpy as np
from hypothesis import settings
from scipy import stats

TEST_ALPHA = 1e-6


def per_assertion_alpha(assertions_per_example: int) -> float:
    return TEST_ALPHA / (settings.default.max_examples * assertions_per_example)


def z_threshold(alpha: float) -> float:
    return float(stats.norm.isf(alpha / 2))


def assert_mean(sample, expected: float, alpha: float, *, variance: float | None = None, what: str = "mean") -> None:
    """Assert |mean(sample) - expected| <= z_(alpha/2) * SE; SE from ``variance`` (theory) or the sample."""
    sample = np.asarray(sample, dtype=float)
    var = sample.var(ddof=1) if variance is None else variance
    se = np.sqrt(var / sample.size)
    z = (sample.mean() - expected) / se
    assert abs(z) <= z_threshold(alpha), (
        f"{what}: simulated {sample.mean():.6g} vs closed form {expected:.6g}, z = {z:.2f} "
        f"(threshold {z_threshold(alpha):.2f} for false-alarm probability {alpha:.2g})")
