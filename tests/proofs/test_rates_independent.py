"""The independent routes of the rates / tails / regression claims (issue 12), checked on their own.

The exact enumerations, ball sums and noise propagations behind the certificate checks are tested
against facts known without the derivations (a law sums to 1, d = 1 by hand, a two-state chain
solved by hand); the claims' structure (routes, parts, errata, THEORY_OUTPUTS) is checked without
running the simulations. Fast: no simulation runs here.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import pytest
import sympy as sp

from collapse.analytic import rates as R
from collapse.analytic import regression_theory as RT
from collapse.analytic import tails as Z
from collapse.proofs import rates as PR
from collapse.proofs import regression as PG
from collapse.proofs import tails as PT
from collapse.proofs.core import Context

CLAIMS = {c.id: c for mod in (PR, PT, PG) for c in mod.CLAIMS}


# ------------------------------------------------------------------ the exact routes
@pytest.mark.parametrize("M", [2, 3, 6])
def test_wf_matrix_is_a_stochastic_matrix_with_absorbing_ends(M):
    P = PR.wf_matrix(M)
    for i in range(M + 1):
        assert sum((P[i, k] for k in range(M + 1)), flint.fmpq(0)) == 1
    assert P[0, 0] == 1 and P[M, M] == 1


def test_bernoulli_two_samples_by_hand():
    # M = 2 from p = 1/2: absorbed each generation with probability 1/2, at 1 with probability 1/2 overall
    top, times = PR._absorption_exact(2)
    assert top == [Fraction(1, 2)] and times == [Fraction(2)]
    law = PR._laws(2, 1, 3)
    assert law[1] == [Fraction(1, 4), Fraction(1, 2), Fraction(1, 4)]
    assert all(sum(w) == 1 for w in law)


def test_poisson_transition_rows_are_poisson_laws():
    A = PR._count_matrix(60)
    for n in (0, 1, 7):
        row = sum((A[n, k] for k in range(61)), flint.arb(0))
        assert abs(row - 1) < 1e-15  # the escaped mass beyond K = 60 is tiny for n <= 7
    assert A[0, 0] == 1 and A[0, 1] == 0


def test_unseen_mass_ball_matches_a_direct_sum_and_the_library():
    # T = 3, beta = 3: the sum converges fast; a direct sum to rank 10^4 with its tail bound
    b, n = sp.Integer(3), 3
    ball = PT.unseen_mass_ball(b, n)
    c = 1 / flint.arb(3).zeta()
    direct = sum((c * flint.arb(r) ** -3 * (1 - c * flint.arb(r) ** -3) ** n for r in range(1, 2001)), flint.arb(0))
    assert abs(ball - direct) < 2 * c * flint.arb(3).zeta(flint.arb(2001))  # tail beyond 2000 <= sum p_i
    assert ball.rad() < 1e-25
    assert PT._close(Z.unseen_mass_value(3.0, n), ball)


def test_cut_error_ball_floor_is_one_minus_the_head():
    e, floor = PT.cut_error_ball(2, 100, 10)
    hurwitz = flint.arb(2).zeta(flint.arb(11)) / flint.arb(2).zeta()
    assert abs(floor - hurwitz) < 1e-30 and floor < e
    assert PT._close(Z.cut_test_error_value(2.0, 100, 10), e)


def test_bartlett_recursion_by_hand_and_against_the_closed_form():
    T = sp.Symbol("T", positive=True)
    assert sp.cancel(PG.bartlett_trace_mean(1, T) - 1 / (T - 2)) == 0
    assert sp.cancel(PG.bartlett_trace_mean(2, T) - 2 / (T - 3)) == 0  # 1/(T-2) + 1/(T-3) + 1/((T-2)(T-3))
    assert PG.bartlett_trace_mean(10, sp.Integer(100)) == sp.Rational(10, 89)
    v = RT.one_generation_risk().subs({RT.d: 4, RT.T: 30, RT.sigma: 1})
    assert v == PG.bartlett_trace_mean(4, sp.Integer(30))


def test_noise_propagation_gives_g_and_the_basel_partial_sums():
    design = PG._DESIGNS[0]
    assert PG.noise_factors(design, 4, "replace") == [Fraction(g) for g in range(1, 5)]
    want = [sum(Fraction(1, j * j) for j in range(1, g + 1)) for g in range(1, 5)]
    assert PG.noise_factors(design, 4, "accumulate") == want
    # a one-row-per-feature design (square X): the same factors, as the theory says for any full-rank X
    assert PG.noise_factors(((2, 1), (1, 1)), 3, "accumulate") == want[:3]


# ------------------------------------------------------------------ the checks fail when they should
def _run(claim_id, name):
    check = next(c for c in CLAIMS[claim_id].checks if c.name == name)
    return check.run(Context())


def test_enumeration_catches_an_off_by_one_heterozygosity(monkeypatch):
    orig = R.bernoulli_heterozygosity
    monkeypatch.setattr(R, "bernoulli_heterozygosity", lambda: orig().subs(R.t, R.t + 1))
    out = _run("rates-bernoulli", "bernoulli-enumerated")
    assert out.ok is False and out.witness["t"] == 0


def test_extinction_bracket_catches_a_late_generation(monkeypatch):
    orig = R.extinction_values
    monkeypatch.setattr(R, "extinction_values", lambda m, g, **k: [0.0] + orig(m, g, **k)[:-1])
    out = _run("rates-poisson-gw", "poisson-extinction-enumerated")
    assert out.ok is False


def test_propagation_catches_a_wrong_accumulate_weight(monkeypatch):
    orig = RT.accumulate_test_error
    monkeypatch.setattr(RT, "accumulate_test_error", lambda: orig().replace(sp.harmonic, lambda n, *r: sp.harmonic(n)))
    assert _run("regression-replace-accumulate", "regression-refit-propagation").ok is False


# ------------------------------------------------------------------ the claims' structure
def test_self_referential_steps_are_marked_consistency():
    kinds = {(cid, c.name): c.kind for cid, claim in CLAIMS.items() for c in claim.checks}
    for key in [("rates-bernoulli", "bernoulli-heterozygosity-induction"),
                ("rates-poisson-gw", "poisson-extinction-exact"), ("rates-poisson-gw", "gw-bounds-telescoping"),
                ("regression-replace-accumulate", "regression-replace-linear"),
                ("regression-replace-accumulate", "regression-accumulate-increments")]:
        assert kinds[key] == "consistency", key


def test_theory_outputs_name_independent_checks():
    listed = {}
    for mod in (PR, PT, PG):
        listed.update(mod.THEORY_OUTPUTS)
    assert set(listed) == {("rates", "P_extinct_by_t"), ("rates", "P_survive_t"), ("tails", "E_unseen_mass"),
                           ("tails", "E_test_error_cut"), ("regression", "one_generation"), ("regression", "replace"),
                           ("regression", "accumulate"), ("regression", "accumulate_bound")}
    for target in listed.values():
        cid, name = target.split("/")
        kinds = {c.name: c.kind for c in CLAIMS[cid].checks}
        assert kinds.get(name) not in (None, "consistency"), target


def test_cited_references_name_exact_places():
    for claim in CLAIMS.values():
        for step in claim.proof:
            ref = getattr(step, "reference", None)
            if ref is not None:
                assert any(w in ref for w in ("Theorem", "Section", "Chapter")), (claim.id, step.name, ref)
