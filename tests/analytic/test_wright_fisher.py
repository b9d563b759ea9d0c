"""The binomial chain's numbers: the pmf in log space against scipy, and the exact rational matrix."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from collapse.analytic.wright_fisher import binomial_pmf, loss_by, transition_matrix


@pytest.mark.parametrize("m", [1, 2, 7, 100, 1000, 5000])
def test_binomial_pmf_matches_scipy(m):
    p = np.array([0.0, 1e-3, 0.3, 0.5, 1 - 1e-3, 1.0])
    want = stats.binom.pmf(np.arange(m + 1)[None, :], m, p[:, None])
    got = binomial_pmf(m, p)
    # exact coefficients up to m = 1000, scipy itself beyond; 1e-12, not 1e-15, because
    # (1 - p) ** (m - c) amplifies the rounding of 1 - p near p = 1 in both codes
    rtol = 1e-12
    big = want > 1e-250  # the relative error of subnormal tails is not the point
    np.testing.assert_allclose(got[big], want[big], rtol=rtol)
    np.testing.assert_allclose(got[~big], want[~big], atol=1e-250)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-11)


def test_float_matrix_is_the_exact_one_rounded():
    exact = np.array(transition_matrix(6, exact=True).tolist(), dtype=float)
    np.testing.assert_allclose(transition_matrix(6), exact, rtol=1e-14, atol=1e-300)


def test_loss_by_one_generation_is_one_minus_q_to_the_m():
    assert loss_by(0.2, 10, 1)[1] == pytest.approx(0.8**10, rel=1e-13)


def test_loss_at_is_loss_by_of_each_state():
    """The batched form gives every state's loss_by(...)[-1] (to rounding), including q = 0 and q = 1."""
    import numpy as np

    from collapse.analytic.wright_fisher import loss_at, loss_by

    qs = [0.5, 0.3, 0.15, 0.05, 0.0, 1.0]
    for m, t in [(1, 3), (10, 0), (10, 1), (10, 7), (60, 40), (20, 3000)]:  # the last by matrix powers
        want = [loss_by(q, m, t)[-1] for q in qs]
        np.testing.assert_allclose(loss_at(qs, m, t), want, rtol=1e-12, atol=1e-15)
