"""Exact symbolic checks of analytic/discrete.py (sympy identities, no tolerances)."""

from __future__ import annotations

import sympy as sp

from collapse.analytic import discrete as D
from collapse.analytic.numeric import lambdified


def test_pgf_and_one_step_moments():
    assert sp.expand(D.bernoulli_pgf() - (1 - D.x + D.x * D.s)) == 0
    mom = D.one_step_moments()
    assert mom["mean"] == D.x  # frequencies are martingales
    assert sp.simplify(mom["second"] - (D.x**2 + D.x * (1 - D.x) / D.M)) == 0


def test_heterozygosity():
    assert sp.simplify(D.heterozygosity_factor() - (1 - 1 / D.M)) == 0
    E = D.expected_heterozygosity()
    assert sp.simplify(E - D.H0 * (1 - 1 / D.M) ** D.t) == 0
    assert sp.simplify(E.subs(D.t, D.t + 1) - D.heterozygosity_factor() * E) == 0  # solves the recursion
    assert E.subs(D.t, 0) == D.H0
    assert D.heterozygosity_schedule([2, 4]) == sp.Rational(1, 2) * sp.Rational(3, 4)


def test_frequency_variance():
    V = D.frequency_variance()
    assert sp.simplify(V - D.x0 * (1 - D.x0) * (1 - (1 - 1 / D.M) ** D.t)) == 0
    assert sp.simplify(V.subs(D.t, 0)) == 0
    assert sp.simplify(sp.limit(V.subs(D.M, 10), D.t, sp.oo) - D.x0 * (1 - D.x0)) == 0  # Bernoulli(x0) at absorption


def test_loss_and_absorption():
    assert sp.simplify(D.loss_probability() - (1 - D.q) ** D.M) == 0
    assert D.absorption_probability() == D.x0


def test_numeric_values_come_from_the_expressions():
    f = lambdified(D.expected_heterozygosity(), D.H0, D.M, D.t)
    assert abs(float(f(0.5, 100, 1000)) - 0.5 * 0.99**1000) < 1e-15
    # a tail state with q < 1/M is more likely lost than kept
    loss = lambdified(D.loss_probability(), D.q, D.M)
    assert float(loss(0.005, 100)) > 0.5 > float(loss(0.02, 100))
