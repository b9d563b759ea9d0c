"""The independent routes of the discrete and regime claims: the exact enumeration engine, the Gaussian
moment algebra, the theory defaults the checks evaluate at, and the errata they decide."""

from __future__ import annotations

import math
from fractions import Fraction as Fr

import numpy as np
import pytest
import sympy as sp

from collapse.proofs import discrete as PD
from collapse.proofs import gaussian_mixing as PGX
from collapse.proofs import regimes as PR
from collapse.proofs.core import Context


def _theory_defaults(sub: str) -> dict:
    import argparse

    from collapse.cli import build_parser

    def subparsers(p):
        return next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))

    parser = subparsers(subparsers(build_parser()).choices["theory"]).choices[sub]
    return {a.dest: a.default for a in parser._actions if a.dest != "help"}


def test_the_checks_evaluate_at_the_theory_defaults():
    d = _theory_defaults("discrete")
    assert (d["samples"], d["generations"], tuple(d["p0"])) == (PD.THEORY_M, PD.THEORY_T, PD.THEORY_P0)
    assert tuple(float(q) for q in PD.THEORY_P0_EXACT) == PD.THEORY_P0
    m = _theory_defaults("mixing")
    assert (m["samples"], m["gamma"], tuple(m["p0"]), m["bandwidth"]) == (
        PR.THEORY_MIX["M"], PR.THEORY_MIX["gamma"], PR.THEORY_MIX["p0"], PR.THEORY_MIX["bandwidth"])
    assert (m["lam"], m["real"], m["sigma0"]) == (PGX.THEORY_RETRAIN["lam"], PGX.THEORY_RETRAIN["N"],
                                                 PGX.THEORY_RETRAIN["sigma"])
    a = _theory_defaults("accumulate")
    assert (a["samples"], a["generations"], a["estimator"], a["sigma0"]) == (
        PR.THEORY_ACC["M"], PR.THEORY_ACC["n"], PR.THEORY_ACC["estimator"], PR.THEORY_ACC["sigma0"])


@pytest.mark.parametrize("m, k", [(1, 1), (4, 3), (5, 3), (6, 2)])
def test_compositions_and_the_multinomial_law(m, k):
    comps = list(PD.compositions(m, k))
    assert len(comps) == len(set(comps)) == math.comb(m + k - 1, k - 1)
    assert all(sum(c) == m and min(c) >= 0 for c in comps)
    p = tuple(Fr(j + 1, k * (k + 1) // 2) for j in range(k))
    law = PD.multinomial_law(m, p)
    assert sum(law.values()) == 1
    for j in range(k):  # E[c_j] = m p_j and Var[c_j] = m p_j (1 - p_j), by summation
        mean = PD.expect(law, lambda c: c[j])
        assert mean == m * p[j]
        assert PD.expect(law, lambda c: (c[j] - mean) ** 2) == m * p[j] * (1 - p[j])


def test_the_subset_law_is_hypergeometric():
    counts, k = (3, 2, 1), 4
    law = PD.subset_law(counts, k)
    assert sum(law.values()) == 1
    n = sum(counts)
    for j, cj in enumerate(counts):
        mean = PD.expect(law, lambda s: s[j])
        assert mean == Fr(k * cj, n)
        var = PD.expect(law, lambda s: (s[j] - mean) ** 2)
        assert var == Fr(k * cj * (n - cj) * (n - k), n * n * (n - 1))
    assert PD.subset_law((2, 2), 4) == {(2, 2): 1}  # all the points: the counts are kept


def test_convolve_mixture_and_solve():
    a, b = {(1, 0): Fr(1, 3), (0, 1): Fr(2, 3)}, {(1, 0): Fr(1, 2), (0, 1): Fr(1, 2)}
    assert PD.convolve(a, b) == {(2, 0): Fr(1, 6), (1, 1): Fr(1, 2), (0, 2): Fr(1, 3)}
    assert PD.mixture({(1,): Fr(1)}, lambda s: {(s[0] + 1,): Fr(1)}) == {(2,): 1}
    A = [[Fr(2), Fr(1)], [Fr(1), Fr(3)]]
    X = PD.solve_fractions(A, [[Fr(3)], [Fr(5)]])
    assert X == [[Fr(4, 5)], [Fr(7, 5)]]


def test_enumerated_loss_is_one_minus_q_to_the_m_and_not_one_minus_q():
    p0 = (Fr(1, 2), Fr(1, 3), Fr(1, 6))
    for m in range(1, 6):
        law = PD.multinomial_law(m, p0)
        for k, q in enumerate(p0):
            lost = PD.expect(law, lambda c: int(c[k] == 0))
            assert lost == (1 - q) ** m
            assert (lost == 1 - q) == (m == 1)


def test_the_replace_chain_keeps_its_mean_and_shrinks_heterozygosity():
    p0, m = (Fr(1, 2), Fr(1, 3), Fr(1, 6)), 4
    H0 = 1 - sum(q * q for q in p0)
    for t, law in enumerate(PD.replace_laws(p0, m, 3), start=1):
        assert sum(law.values()) == 1
        assert PD.expect(law, PD.het_of) == H0 * Fr(m - 1, m) ** t


def test_the_pooled_laws_are_laws_with_the_right_sizes():
    p0 = (Fr(2, 3), Fr(1, 3))
    for regime, size in (("accumulate", lambda g, m: (g + 1) * m), ("accumulate-subsample", lambda g, m: m)):
        for g, law in enumerate(PR._pool_laws(2, regime, p0, 2)):
            assert sum(law.values()) == 1
            assert all(sum(pool) == (g + 1) * 2 and sum(train) == size(g, 2) for pool, train in law)


def test_law_chi2_refuses_vectors_outside_the_support():
    exact = {(2, 0): Fr(1, 4), (1, 1): Fr(1, 2), (0, 2): Fr(1, 4)}
    rows = np.array([[2, 0], [1, 1], [1, 1], [0, 2]] * 50)
    p, _ = PD.law_chi2(rows, exact)
    assert p > 0.5
    assert PD.law_chi2(np.array([[3, 0]]), exact)[0] == 0.0
    assert 0 < PD.law_mde(exact, 10_000, 1e-8) < 1


def test_gaussian_moment_algebra():
    z = sp.symbols("z0:2")
    assert PR._gauss_expect(z[0] ** 4 * z[1] ** 2 + z[0] * z[1], [(z, None, None)]) == 3
    d2, e2 = PR._literal_gaussian_moments(2, 1, 1, True)  # one fit to 2 standard normals, ddof 1
    assert (d2, e2) == (sp.Rational(1, 2), 1)
    d2, e2 = PR._literal_gaussian_moments(3, 2, 0, False)  # replace, mle: E[sigma_2^2] = ((M-1)/M)^2
    assert (d2, e2) == (sp.Rational(5, 9), sp.Rational(4, 9))  # (1 + 2/3) / 3 and (2/3)^2


def test_tests_state_their_power():
    ctx = Context(n_simulation=30)
    p, z, rel = PD.z_mean(np.array([1.0, 2.0, 3.0, 4.0]), 2.5)
    assert p == pytest.approx(1.0) and z == 0.0 and rel > 0
    assert PD.power([0.001], ctx) == pytest.approx(0.001 * (5.52 + 2.326), rel=0.02)
    assert PD.power([0.001, 0.002], ctx) > PD.power([0.002], ctx)


def test_errata_name_their_deciding_checks_and_quote_the_paper():
    from collapse.proofs.registry import all_claims

    claims = {c.id: c for c in all_claims()}
    loss = claims["discrete-loss"]
    assert any("equal to 1 - q" in e.paper and e.check == "loss-enumerated" for e in loss.errata)
    fresh = claims["discrete-fresh-data"]
    assert any("alpha_i = gamma_i = 0" in e.paper and e.check == "discrete-mix-enumerated" for e in fresh.errata)
    assert any(e.check == "absorption-enumerated" for e in claims["discrete-absorption"].errata)
    paper = next(iter(__import__("pathlib").Path("/work/shared/paper").glob("*.txt")), None)
    if paper is not None:  # the quotes are the paper's words (up to its typography)
        text = paper.read_text().replace("−", "-").replace("(qle frac{1}{M})", "q <= 1/M")
        text = " ".join(text.replace("αi", "alpha_i").replace("γi", "gamma_i").split())
        for c in claims.values():
            for e in c.errata:
                if c.id.startswith("discrete"):
                    assert " ".join(e.paper.split()) in text, e.paper


def test_the_theory_outputs_of_these_modules_name_independent_checks():
    from collapse.proofs.registry import all_claims

    checks = {f"{c.id}/{k.name}": k for c in all_claims() for k in c.checks}
    for mod in (PD, PR, PGX):
        for key, target in mod.THEORY_OUTPUTS.items():
            assert target in checks, (key, target)
            assert checks[target].kind != "consistency", (key, target)
