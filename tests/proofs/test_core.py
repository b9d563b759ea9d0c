"""proofs.core and proofs.certify: the machinery behind every claim."""

from __future__ import annotations

import flint
import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy import stats

from collapse.proofs import certify
from collapse.proofs.core import Check, Cited, Claim, Context, Erratum, Outcome, Part, holm, run_claims
from collapse.proofs.stats import ks_mde_scale, mde_z
from collapse.proofs.symbolic import decide_zero, induction, is_zero

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
        evidence=(Check("sim", "simulation", "", lambda ctx: Outcome("p", p_value=1e-12, mde=0.01)),),
    )
    [res] = run_claims([claim], Context(n_simulation=1))
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
                              evidence=(Check("sim", "simulation", "", lambda ctx: Outcome("no p", mde=0.01)),),
                              proof=())], Context(n_simulation=1))
    assert res.steps[0].status == "error"


def test_simulation_check_without_power_is_an_error():
    [res] = run_claims([Claim("c", "t", "s", "src", proof=(),
                              evidence=(Check("sim", "simulation", "", lambda ctx: Outcome("no mde", p_value=0.5)),))],
                       Context(n_simulation=1))
    assert res.steps[0].status == "error" and "mde" in res.steps[0].detail and res.status == "fail"


def _ok(name, kind="symbolic", ok=True, **kw):
    return Check(name, kind, "", lambda ctx: Outcome(name, ok=ok, **kw), route="r")


def test_consistency_failure_fails_the_claim_but_is_not_evidence():
    from collapse.proofs import report

    claim = Claim("c", "t", "s", "src", proof=(_ok("indep"), _ok("self", "consistency", ok=False)))
    [res] = run_claims([claim], Context(n_simulation=1))
    assert res.status == "fail" and {s.name: s.status for s in res.steps} == {"indep": "pass", "self": "fail"}
    [good] = run_claims([Claim("c", "t", "s", "src", proof=(_ok("self", "consistency"),))], Context(n_simulation=1))
    assert good.status == "pass" and not good.steps[0].independent
    # the table counts it apart from the evidence, and says there is none
    assert report.evidence(good) == "no independent evidence (+ 1 consistency)"
    assert "1 symbolic" in report.evidence(res) and "failing: self" in report.evidence(res)
    assert "consistency (not independent)" in report.markdown([good])


def test_undecided_step_does_not_fail_its_claim_and_is_counted():
    from collapse.proofs import report

    claim = Claim("c", "t", "s", "src", proof=(_ok("a"), _ok("u", ok=None, undecided=True)))
    [res] = run_claims([claim], Context(n_simulation=1))
    assert [s.status for s in res.steps] == ["pass", "undecided"] and res.status == "pass"
    assert "1 undecided" in report.evidence(res) and "1 undecided" in report.summary([res])


def test_results_carry_power_route_witness_parts_errata():
    from collapse.proofs import report

    sim = Check("sim", "simulation", "", lambda ctx: Outcome("d", p_value=0.5, mde=0.004, moment=True), route="chains")
    bad = Check("bad", "symbolic", "", lambda ctx: Outcome("w", ok=False, witness={"point": {"x": "1/3"}, "value": "0.1"}),
                route="r")
    claim = Claim("c", "t", "s", "src", proof=(bad,), evidence=(sim,),
                  parts=(Part("the mean", checks="sim"),),
                  errata=(Erratum("lost with probability 1 - q", "(1 - q)^M", "sim", where="p. 3"),))
    ctx = Context(n_simulation=4)
    assert ctx.alpha == pytest.approx(1e-6 / 4)
    [res] = run_claims([claim], ctx)
    d = res.to_json()
    [b, s] = d["checks"]
    assert s["mde"] == 0.004 and s["moment"] and s["route"] == "chains" and s["alpha"] == pytest.approx(2.5e-7)
    assert b["witness"] == {"point": {"x": "1/3"}, "value": "0.1"}
    assert d["parts"] == [{"text": "the mean", "checks": ["sim"]}]
    assert d["errata"] == [{"paper": "lost with probability 1 - q", "correct": "(1 - q)^M", "check": "sim",
                            "where": "p. 3", "status": "pass"}]
    text = report.table([res])
    assert "Errata" in text and ">= 0.4% (moment)" in text
    assert "detects a relative error >= 0.4% with probability 0.99 at alpha = 2.5e-07" in report.markdown([res])


def test_context_alpha_counts_the_registry():
    from collapse.proofs.registry import all_claims

    n = sum(c.kind == "simulation" for claim in all_claims() for c in claim.checks)
    assert Context().alpha == pytest.approx(1e-6 / n)


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


def test_decide_zero_proved_undecided_nonzero():
    assert decide_zero(sp.gamma(x + 1) / sp.gamma(x) - x).status == "proved"
    # zero for x > 0, but neither sympy's simplify nor is_zero sees it
    for residual in (sp.loggamma(x + 1) - sp.loggamma(x) - sp.log(x), sp.erf(x) + sp.erfc(x) - 1):
        assert not is_zero(residual)
        z = decide_zero(residual)
        assert z.status == "undecided" and z.witness is None
    # a wrong closed form of 2F1(1, 1; 3/2; x^2/(1+x^2)) (the right one has (1 + x^2), not its square root)
    wrong = sp.hyper([1, 1], [sp.Rational(3, 2)], x**2 / (1 + x**2)) - sp.sqrt(1 + x**2) * sp.atan(x) / x
    z = decide_zero(wrong)
    assert z.status == "nonzero" and set(z.witness["point"]) == {"x"}
    at = sp.Rational(z.witness["point"]["x"])
    assert abs(float(sp.N(wrong.subs(x, at), 30)) - float(z.witness["value"])) < 1e-15
    assert decide_zero(wrong) == z  # the points come from a fixed seed


def test_decide_zero_respects_integer_domains():
    n = sp.Symbol("n", integer=True, positive=True)
    k = sp.Symbol("k", integer=True)
    assert decide_zero(sp.Sum(sp.binomial(n, k) ** 2, (k, 0, n)) - sp.binomial(2 * n, n)).status in ("proved", "undecided")
    # (-1)^n = 1 holds on the even numbers only: the domain decides
    m = sp.Symbol("m", integer=True)
    assert decide_zero((-1) ** (2 * m) - 1, domain={m: (0, 9)}).status in ("proved", "undecided")
    assert decide_zero((-1) ** n - 1, domain={n: (1, 9)}).status == "nonzero"


def test_mde_z_against_direct_computation():
    alpha, rel_se = 1e-6 / 26, 0.002
    z_a, z_p = stats.norm.isf(alpha / 2), stats.norm.ppf(0.99)
    assert mde_z(rel_se, alpha) == pytest.approx((z_a + z_p) * rel_se, rel=1e-12)
    assert mde_z(rel_se, alpha, k=3) == pytest.approx((stats.norm.isf(alpha / 6) + z_p) * rel_se, rel=1e-12)
    # at that shift the two-sided test rejects with probability 0.99 (+ the negligible other tail)
    shift = mde_z(rel_se, alpha) / rel_se
    power = stats.norm.sf(z_a - shift) + stats.norm.cdf(-z_a - shift)
    assert power == pytest.approx(0.99, abs=1e-9)


def test_ks_mde_scale_detects_with_the_stated_power():
    n, alpha = 2000, 1e-3
    e = ks_mde_scale(n, alpha, "norm")
    assert 0 < e < 1
    rng = np.random.default_rng(3)
    crit = stats.kstwo.isf(alpha, n)
    hits = [stats.kstest((1 + e) * rng.standard_normal(n), "norm").statistic > crit for _ in range(200)]
    assert np.mean(hits) >= 0.97
    assert ks_mde_scale(4 * n, alpha, "norm") < e  # more draws, smaller error detected


def _without_times(results):
    out = []
    for r in results:
        d = r.to_json()
        d.pop("seconds")
        for s in d["checks"] + d["cited"]:
            s.pop("seconds")
        out.append(d)
    return out


def test_parallel_run_equals_the_serial_one():
    from collapse.proofs.registry import all_claims

    quick = {"retrain-stability", "discrete-loss", "discrete-heterozygosity"}
    claims = [c for c in all_claims() if c.id in quick]
    local = Claim("local", "t", "s", "src", proof=(_ok("a"),))  # not in the registry: runs in this process
    claims.insert(1, local)
    serial = run_claims(claims, jobs=1)
    parallel = run_claims(claims, jobs=2)
    assert [r.id for r in parallel] == [c.id for c in claims]
    assert _without_times(parallel) == _without_times(serial)


def test_reproduce_report_shows_kinds_power_and_errata(tmp_path):
    from collapse.proofs import report
    from collapse.report import build

    sim = Check("sim", "simulation", "", lambda ctx: Outcome("d", p_value=0.5, mde=0.004, moment=True), route="chains")
    claim = Claim("c", "t", "s", "src", proof=(_ok("indep"), _ok("self", "consistency"), _ok("u", ok=None, undecided=True)),
                  evidence=(sim,), parts=(Part("the mean", checks=("sim",)),),
                  errata=(Erratum("lost with probability 1 - q", "(1 - q)^M", "sim", where="Sec. 3"),))
    results = run_claims([claim], Context(n_simulation=2))
    (tmp_path / "claims.json").write_text(report.to_json(results))
    build(tmp_path, "quick", 7)
    text = (tmp_path / "report.md").read_text()
    assert "consistency (not independent)" in text and "1 undecided" in text
    assert "detects a relative error >= 0.4% with probability 0.99 at alpha = 5e-07" in text
    assert "### Errata" in text and "(1 - q)^M" in text and "Decided by `sim`: pass" in text
