"""Exact checks of analytic/tails.py (Zipf unseen mass, tail-cut plateau) and analytic/regression_theory.py."""

from __future__ import annotations

import math

import pytest
import sympy as sp
from scipy import special

from collapse.analytic import regression_theory as RT
from collapse.analytic import tails as Z
from collapse.core.validation import InvalidArgument


def test_unseen_probability_and_integral():
    assert Z.unseen_probability() == (1 - Z.q) ** Z.T
    K, expo = Z.scaling_constant()
    assert sp.simplify(expo + (Z.beta - 1) / Z.beta) == 0
    want = sp.gamma(1 - 1 / Z.beta) * sp.zeta(Z.beta) ** (-1 / Z.beta) / Z.beta
    assert sp.simplify(sp.powsimp(K / want, force=True)) == 1
    assert sp.simplify(Z.band() - (sp.exp(-1) / Z.T + 2 * Z.T * sp.exp(-2) / (Z.T - 1) ** 2)) == 0


def test_unseen_mass_value_against_a_direct_sum():
    # beta = 3, T = 50: the terms beyond rank 2000 contribute < 1e-7
    c = 1 / special.zeta(3)
    direct = math.fsum(c * r**-3 * (1 - c * r**-3) ** 50 for r in range(1, 200_000))
    assert Z.unseen_mass_value(3, 50) == pytest.approx(direct, rel=1e-9)
    K, expo = Z.scaling_constant()
    law = float((K * Z.T**expo).subs({Z.beta: 2, Z.T: 10**4}))
    assert abs(Z.unseen_mass_value(2, 10**4) - law) <= float(Z.band().subs(Z.T, 10**4))


def test_plateau_and_cut_error():
    assert Z.plateau() == sp.zeta(Z.beta, Z.k + 1) / sp.zeta(Z.beta)
    lo, up = Z.plateau_bounds()
    assert sp.simplify(up - Z.k ** (1 - Z.beta) / ((Z.beta - 1) * sp.zeta(Z.beta))) == 0
    floor = float(Z.plateau().subs({Z.beta: 2, Z.k: 50}))
    assert floor == pytest.approx(float(special.zeta(2, 51) / special.zeta(2)), rel=1e-12)
    # far more data than the cut model can show: the error is the floor
    assert Z.cut_test_error_value(2, 10**7, 50) == pytest.approx(floor, rel=1e-9)
    # with the cut at rank 1 every draw is state 1: the error is exactly 1 - p_1
    assert Z.cut_test_error_value(2, 5, 1) == pytest.approx(1 - 1 / special.zeta(2), rel=1e-12)


def test_regression_closed_forms():
    v = RT.sigma**2 * RT.d / (RT.T - RT.d - 1)
    assert sp.simplify(RT.one_generation_risk() - v) == 0
    assert sp.simplify(RT.replace_test_error() - RT.g * v) == 0
    assert sp.simplify(RT.accumulate_test_error_bound() - sp.pi**2 / 6 * v) == 0
    vals = RT.risk_values(5, 30, 10)
    assert vals["one_generation"] == pytest.approx(5 / 24)
    assert vals["replace"] == pytest.approx(10 * 5 / 24)
    assert vals["accumulate"] == pytest.approx(5 / 24 * sum(1 / j**2 for j in range(1, 11)))
    assert vals["accumulate"] < vals["accumulate_bound"] < vals["replace"]


@pytest.mark.parametrize("call, name", [
    pytest.param(lambda: Z.unseen_mass_value(1.0, 10), "beta", id="beta-one"),
    pytest.param(lambda: Z.unseen_mass_value(2.0, 0), "samples (T)", id="no-samples"),
    pytest.param(lambda: Z.cut_test_error_value(2.0, 10, 0), "cut (k)", id="cut-zero"),
    pytest.param(lambda: Z.check_beta(True), "beta", id="beta-bool"),
    pytest.param(lambda: RT.risk_values(5, 6, 1), "rows (T)", id="too-few-rows"),
    pytest.param(lambda: RT.risk_values(5, 30, 1, noise=0.0), "noise (sigma)", id="zero-noise"),
])
def test_bad_input(call, name):
    with pytest.raises(InvalidArgument) as err:
        call()
    assert err.value.name == name
