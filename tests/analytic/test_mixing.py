"""Exact symbolic checks of analytic/mixing.py."""

from __future__ import annotations

import sympy as sp

from collapse.analytic import discrete as D
from collapse.analytic import mixing as X


def test_mix_recursion_reduces_to_replace():
    a, b = X.discrete_mix_recursion()
    assert sp.simplify(a.subs({X.n_prev: 0, X.n_real: 0}) - (1 - 1 / X.M)) == 0
    assert b.subs({X.n_prev: 0, X.n_real: 0}) == 0
    # the replace trajectory is the Wright-Fisher one (shifted: h_g is generation g+1's fit)
    h = X.discrete_mix_heterozygosity().subs({X.n_prev: 0, X.n_real: 0})
    wf = D.expected_heterozygosity().subs({D.M: X.M, D.H0: X.H0, D.t: X.g + 1})
    # powers of products need force=True (M is a positive integer, so it is safe)
    assert sp.simplify(sp.powdenest(sp.factor(h / wf), force=True)) == 1
    assert X.discrete_mix_fixed_point().subs({X.n_real: 0}) == 0


def test_mix_fixed_point():
    hstar = X.discrete_mix_fixed_point()
    # all data real every generation: every training set is M fresh draws from p_0
    assert sp.simplify(hstar.subs({X.n_real: X.M, X.n_prev: 0}) - (1 - 1 / X.M) * X.H0) == 0
    a, b = X.discrete_mix_recursion()
    assert sp.simplify(hstar - (a * hstar + b * X.H0)) == 0
    traj = X.discrete_mix_heterozygosity()
    vals = {X.M: 20, X.n_prev: 5, X.n_real: 5, X.H0: sp.Rational(7, 10)}
    assert sp.simplify((traj.subs(X.g, X.g + 1) - a * traj - b * X.H0).subs(vals)) == 0
    assert abs(sp.N(traj.subs(vals).subs(X.g, 500) - hstar.subs(vals))) < 1e-30
    assert 0 < hstar.subs(vals) < sp.Rational(7, 10)


def test_kde_variance():
    traj, fixed = X.kde_variance()
    assert sp.simplify(fixed - (X.M - 1) * X.h**2) == 0
    assert sp.simplify(traj.subs(X.g, X.g + 1) - (X.M - 1) / X.M * (traj + X.h**2)) == 0
    assert sp.limit(traj.subs({X.M: 10, X.h: 1}), X.g, sp.oo) == 9


def test_accumulate_is_bounded_while_replace_grows():
    assert sp.simplify(X.replace_risk() - X.g * X.v) == 0
    assert X.accumulate_risk().subs(X.g, 3) == X.v * sp.Rational(49, 36)
    assert X.accumulate_risk_bound() == sp.pi**2 * X.v / 6
    for k in (1, 2, 10, 100):
        assert X.accumulate_risk().subs({X.g: k, X.v: 1}) <= sp.pi**2 / 6
    assert X.replace_risk().subs({X.g: 2, X.v: 1}) > sp.pi**2 / 6
