"""analytic.gaussian_mixing: limits with a known answer, and the exact transient against simulation."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from collapse.analytic import gaussian as G
from collapse.analytic import gaussian_mixing as X
from collapse.simulate.families.retrain import simulate_retrain_mean
from tests.stats_helpers import assert_mean, per_assertion_alpha
from tests.strategies import seeds


@pytest.mark.parametrize("est", G.ESTIMATORS)
def test_all_fresh_data_limit(est):
    """With no model points (n1 -> 0) the fit is of n2 fresh points: E[(mu - mu0)^2] = sigma0^2 / n2."""
    x = X.mix_fixed_point(est)
    assert sp.simplify(x[0].subs(X.n1, 0) - G.sigma0**2 / X.n2) == 0
    ddof = 1 if est == "unbiased" else 0
    assert sp.simplify(x[1].subs(X.n1, 0) - G.sigma0**2 * (X.n2 - 1) / (X.n2 - ddof)) == 0


@pytest.mark.parametrize("est", G.ESTIMATORS)
def test_moments_converge_to_fixed_point(est):
    traj = X.mix_moments(est, 90, 10, 400)
    x = X.mix_fixed_point(est).subs({X.n1: 90, X.n2: 10, G.sigma0: 1})
    assert traj[-1] == pytest.approx((float(x[0]), float(x[1])), rel=1e-9)


def test_retrain_closed_forms():
    rate, noise = X.retrain_recursion()
    assert sp.simplify(rate - X.lam / (1 + X.lam)) == 0
    assert sp.simplify(X.retrain_fixed_point() - X.lam * X.sigma**2 / (X.Nreal * (1 + 2 * X.lam))) == 0


@given(lam=st.floats(0.05, 20), n_real=st.integers(1, 500), g=st.integers(0, 30), seed=seeds)
def test_retrain_transient_matches_simulation(lam, n_real, g, seed):
    rate, noise = X.retrain_recursion()
    sub = {X.lam: lam, X.Nreal: n_real, X.sigma: 1}
    a, e = float(rate.subs(sub)), float(noise.subs(sub))
    want = a ** (2 * g) * 1.0 + e * (1 - a ** (2 * g)) / (1 - a**2)  # mu_start = 1
    x = simulate_retrain_mean(20000, n_real, lam, g, np.random.default_rng(seed))[:, -1]
    if g == 0:
        assert np.all(x == 1.0)
    else:
        assert_mean(x**2, want, per_assertion_alpha(1), what="E[(mu_g - xbar)^2]")
