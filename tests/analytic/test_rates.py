"""Exact checks of analytic/rates.py: the Bernoulli chain and the Poisson (Galton-Watson) chain."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from collapse.analytic import rates as R
from collapse.core.validation import InvalidArgument


def test_bernoulli_closed_forms():
    assert R.bernoulli_step()["drift"] == 0
    assert sp.simplify(R.bernoulli_step()["het_ratio"] - (1 - 1 / R.M)) == 0
    h = R.bernoulli_heterozygosity()
    assert sp.simplify(h - R.p0 * (1 - R.p0) * (1 - 1 / R.M) ** R.t) == 0
    assert sp.simplify(R.bernoulli_survival_bound() - R.M**2 / (R.M - 1) * h) == 0


def test_wf_eigenvalues_are_falling_factorial_ratios():
    for j in range(1, 5):
        assert sp.simplify(R.wf_eigenvalue(j) - sp.ff(R.M, j) / R.M**j) == 0
    Q = R.wf_transient_matrix(3)  # counts 1, 2 of M = 3
    assert Q == sp.Matrix([[sp.Rational(12, 27), sp.Rational(6, 27)], [sp.Rational(6, 27), sp.Rational(12, 27)]])


def test_absorption_times_two_samples():
    # M = 2, p0 = 1/2: absorbed each generation with probability 1/2, so E[T] = 2
    assert R.bernoulli_absorption_times(2) == [2]
    times = R.bernoulli_absorption_times(6)
    assert times == times[::-1] and max(times) == times[2]  # symmetric, largest at p0 = 1/2


def test_poisson_pgfs_and_criticality():
    assert sp.simplify(R.poisson_pgf() - sp.exp(R.x * (R.s - 1))) == 0
    assert sp.simplify(R.refit_count_pgf() - sp.exp(R.M * R.lam * (R.s - 1))) == 0
    assert R.offspring_moments() == (1, 1)


def test_extinction_exact_values():
    assert R.extinction_probability(0) == 0
    assert sp.simplify(R.extinction_probability(1) - sp.exp(-R.m)) == 0
    vals = R.extinction_values(2.0, 3)
    assert vals[0] == 0.0
    assert vals[1] == pytest.approx(math.exp(-2), rel=1e-15)
    assert vals[2] == pytest.approx(math.exp(2 * (math.exp(-1) - 1)), rel=1e-15)
    assert all(a < b for a, b in zip(vals[1:], vals[2:]))  # extinction only accumulates


def test_survival_bounds_closed_form_and_suresh():
    lo, up = R.survival_bounds()
    assert sp.simplify(up - 2 / (R.t + 2)) == 0
    assert sp.simplify(1 / lo - (1 + R.t / 2 + (sp.harmonic(R.t + 1) - 1) / 6)) == 0
    assert R.survival_limit() == (2, 2)
    # r_t by iteration lies in the bounds, and the Suresh et al. bound holds, for small t
    r = 1.0
    for tt in range(1, 60):
        r_prev, r = r, 1 - math.exp(-r)
        assert float(lo.subs(R.t, tt)) <= r <= float(up.subs(R.t, tt))
        assert 1 - math.exp(-3 * r_prev) >= float(R.suresh_survival_lower().subs({R.m: 3, R.t: tt}))


@pytest.mark.parametrize("call, name", [
    pytest.param(lambda: R.extinction_values(0.0, 3), "expected_count (M lambda_0)", id="zero-count"),
    pytest.param(lambda: R.extinction_values(1.0, -1), "generations", id="negative-generations"),
    pytest.param(lambda: R.wf_transient_matrix(1), "samples (M)", id="one-sample"),
    pytest.param(lambda: R.wf_eigenvalue(0), "order", id="order-zero"),
    pytest.param(lambda: R.extinction_probability(1.5), "generation", id="fractional-generation"),
    pytest.param(lambda: R.validate_bernoulli(10, 1.0), "p0", id="p0-absorbed"),
])
def test_bad_input(call, name):
    with pytest.raises(InvalidArgument) as err:
        call()
    assert err.value.name == name
