"""proofs.core and proofs.certify: the machinery behind every claim."""

from __future__ import annotations

import flint
import mpmath
import pytest
import sympy as sp

from collapse.proofs import certify
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome, holm, run_claims
from collapse.proofs.symbolic import induction

x, t = sp.Symbol("x", positive=True), sp.Symbol("t", positive=True)


def test_holm_matches_definition():
    reject, thr = holm([0.01, 0.06, 0.03, 0.2], alpha=0.1)
    # sorted: 0.01 <= 0.1/4, 0.03 <= 0.1/3, 0.06 > 0.1/2 -> stop
    assert reject == [True, False, True, False]
    assert thr == [0.1 / 4, 0.1 / 2, 0.1 / 3, 0.1 / 1]


def test_runner_statuses():
    claim = Claim(
        "c", "t", "s", "src",
        proof=(Check("ok", "symbolic", "", lambda ctx: Outcome("fine", ok=True)),
               Cited("lemma", "a standard fact", "a book")),
        evidence=(Check("sim", "simulation", "", lambda ctx: Outcome("p", p_value=1e-12)),),
    )
    [res] = run_claims([claim])
    status = {s.name: s.status for s in res.steps}
    assert status == {"ok": "pass", "lemma": "cited", "sim": "fail"} and res.status == "fail"


def test_crashing_check_is_an_error_not_a_pass():
    def boom(ctx):
        raise ZeroDivisionError("x")

    [res] = run_claims([Claim("c", "t", "s", "src", proof=(Check("boom", "certificate", "", boom),))])
    assert res.steps[0].status == "error" and "ZeroDivisionError" in res.steps[0].detail
    assert res.status == "fail"


def test_simulation_check_must_return_a_p_value():
    [res] = run_claims([Claim("c", "t", "s", "src",
                              evidence=(Check("sim", "simulation", "", lambda ctx: Outcome("no p")),), proof=())])
    assert res.steps[0].status == "error"


def test_context_streams_are_independent_and_reproducible():
    a, b = Context(seed=1), Context(seed=1)
    assert a.rng("x").random() == b.rng("x").random()
    assert a.rng("x").random() != a.rng("y").random()


@pytest.mark.parametrize("expr", [sp.log(x) + sp.polygamma(0, x), sp.gamma(x) * sp.exp(-x) / sp.sqrt(x),
                                  sp.polygamma(1, x / 2) - sp.EulerGamma + sp.pi, x ** sp.Rational(3, 7)])
def test_to_arb_contains_mpmath_value(expr):
    for v in (sp.Rational(1, 3), sp.Integer(7), sp.Rational(101, 2)):
        ball = certify.to_arb(expr, {x: flint.arb(flint.fmpq(int(v.p), int(v.q)))})
        exact = mpmath.mpf(sp.N(expr.subs(x, v), 40))
        assert ball.contains(flint.arb(str(exact))) or abs(float(ball.mid()) - float(exact)) < 1e-25


def test_certificates_refuse_false_claims():
    assert certify.negative_on_integers(-1 / x, x, 1, 50).holds
    assert not certify.negative_on_integers(sp.Integer(30) - x, x, 1, 50).holds  # positive up to x = 29
    assert certify.negative_on_interval(t**2 - 1, t, 0, sp.Rational(9, 10)).holds
    assert not certify.negative_on_interval(t**2 - 1, t, 0, 1).holds  # touches 0 at t = 1
    with pytest.raises(ValueError, match="cannot evaluate"):
        certify.to_arb(sp.besselj(0, x), {x: flint.arb(1)})


def test_induction_detects_wrong_solution():
    n = sp.Symbol("n", integer=True, nonnegative=True)
    assert induction(3 * 2**n, n, 3, lambda f, n: 2 * f)[0]
    assert not induction(3 * 2**n + n, n, 3, lambda f, n: 2 * f)[0]
    assert not induction(4 * 2**n, n, 3, lambda f, n: 2 * f)[0]
