"""The independent routes behind the Gaussian claims, tested on their own.

- exact moments from the draws (:func:`collapse.proofs.gaussian.draw_moments`, ``chain_moments``):
  textbook values, and a brute-force check of the generation recursion;
- quadrature of the chi-square law in log x: against mpmath's Gamma/digamma at 40 digits;
- the literal sampler's accumulators: calibrated z-tests, control variates that do not bias;
- premises: a multiplier above 1 is refused (``limits-in-n`` once printed E_sigma2 -> 0 for a growing
  variance), the log-det drift for every d;
- the four claims pass, with every moment-type simulation check detecting a 1% error, within a CPU budget.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from fractions import Fraction as Fr

import mpmath
import numpy as np
import pytest
from collapse.analytic import gaussian as G
from collapse.proofs import gaussian as PG
from collapse.proofs import gaussian_nd as PND
from collapse.proofs.core import Context, run_claims

CLAIMS = ("thm3.1-gaussian-collapse", "gaussian-w2-schedule", "gaussian-mle-vs-unbiased", "thm3.1-gaussian-collapse-d")


def _analytic_caches():
    from collapse.core.discover import submodules

    from collapse import analytic

    return [f for mod in submodules(analytic) for f in vars(mod).values() if callable(getattr(f, "cache_clear", None))]


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Some tests patch a derivation: no cached derivation may leak in or out."""
    for f in _analytic_caches():
        f.cache_clear()
    yield
    for f in _analytic_caches():
        f.cache_clear()


# ------------------------------------------------------------------ exact moments from the draws
@pytest.mark.parametrize("m", [2, 3, 4, 6])
def test_draw_moments_are_the_textbook_values(m):
    mo = PG.draw_moments(m)
    assert mo[(0, 1)] == m - 1  # E[SS] = (M - 1) sigma^2: the unbiased estimator's divisor
    assert mo[(0, 2)] == (m - 1) * (m + 1)  # E[chi2_(M-1)^2] = k (k + 2)
    assert mo[(2, 0)] == Fr(1, m)  # Var of the mean of M draws
    assert mo[(2, 1)] == Fr(m - 1, m)  # zbar and SS are independent (Cochran)
    assert PG.ss_moments(m) == (mo[(0, 1)], mo[(0, 2)])


def test_chain_moments_by_hand():
    # M = 2, sigma0 = 1, unbiased: E[mu_2^2] = E[mu_1^2] + E[sigma_1^2] / 2 = 1/2 + 1/2
    assert PG.chain_moments((2, 2), 1, {(2, 0): Fr(1)}, v0=Fr(1)) == 1
    # MLE over (2, 3): E[sigma_2^2] = (1/2)(2/3); Var[mu_2] = 1/2 + (1/2)/3
    assert PG.chain_moments((2, 3), 0, {(0, 1): Fr(1)}, v0=Fr(1)) == Fr(1, 3)
    assert PG.chain_moments((2, 3), 0, {(2, 0): Fr(1)}, v0=Fr(1)) == Fr(2, 3)
    # E[sigma_1^4] for M = 3 unbiased: E[(chi2_2 / 2)^2] = 8 / 4
    assert PG.chain_moments((3,), 1, {(0, 2): Fr(1)}, v0=Fr(1)) == 2


def test_exact_route_decides_the_alpha_erratum():
    """Var[mu_n] = n sigma0^2 / M from the draws: it grows, as Theorem 3.1 needs (not sigma0^2 / M as with alpha = 0)."""
    for g in range(1, 6):
        assert PG.exact_values("unbiased", (4,) * g)["Var_mu"] == g * PG.S0**2 / 4


@pytest.mark.parametrize("dim, m, want", [(2, 2, 0), (2, 3, 2), (2, 5, 12), (3, 4, 6)])
def test_nd_draw_moments_det(dim, m, want):
    """E[det W] = k (k-1) ... (k-d+1) for W ~ W_d(k, I), k = M - 1 (0 when M <= d: singular)."""
    mo = PND.nd_draw_moments(dim, m)
    assert mo["det"] == want and mo["S11"] == m - 1 and mo["S12"] == 0 and mo["xbar11"] == Fr(1, m)


# ------------------------------------------------------------------ quadrature
@pytest.mark.parametrize("k", [1, 2, 5, 20, 57])
def test_quadrature_against_gamma_functions(k):
    q = PG.chi2_logspace_moments(k)
    with mpmath.workdps(45):
        kk = mpmath.mpf(k) / 2
        want = {"half": mpmath.sqrt(2) * mpmath.gamma(kk + mpmath.mpf(1) / 2) / mpmath.gamma(kk),
                "three_half": 2 ** mpmath.mpf(1.5) * mpmath.gamma(kk + mpmath.mpf(3) / 2) / mpmath.gamma(kk),
                "log": mpmath.log(2) + mpmath.digamma(kk), "log_var": mpmath.psi(1, kk)}
        for key, w in want.items():
            assert abs(PG._arb_mp(q[key]) / w - 1) < mpmath.mpf(10) ** -32, key


def test_multigamma_cgf_in_one_dimension_is_the_chi_square_one():
    with mpmath.workdps(40):
        K = PND._wishart_logdet_cgf(1, 7)
        assert abs(mpmath.diff(K, 0, 1) - (mpmath.log(2) + mpmath.digamma(3.5))) < mpmath.mpf(10) ** -30
        assert abs(mpmath.diff(K, 0, 2) - mpmath.psi(1, 3.5)) < mpmath.mpf(10) ** -30


# ------------------------------------------------------------------ the literal sampler's statistics
def test_accumulator_tests_are_calibrated_and_controls_do_not_bias():
    rng = np.random.default_rng(5)
    acc = PG.Acc(["x", "y", "c", "L", "L2"], pairs=[("y", "c"), ("L", "L2")])
    for _ in range(4):
        c = rng.chisquare(4, 50_000)
        x = rng.standard_normal(50_000)
        L = np.log(c)
        acc.add({"x": x, "y": np.log(c), "c": c - 4, "L": L, "L2": L * L})
    assert acc.n == 200_000
    _, p, _ = acc.mean_test("x", 0.0 + 1e-12)
    assert p > 1e-4
    want = float(mpmath.log(2) + mpmath.digamma(2))
    _, p1, rel1 = acc.mean_test("y", want)
    _, p2, rel2 = acc.mean_test("y", want, controls=("c",))
    assert p1 > 1e-4 and p2 > 1e-4 and rel2 < 0.8 * rel1  # the control removes variance, keeps the mean
    _, p3, _ = acc.var_test("L", "L2", float(mpmath.psi(1, 2)))
    assert p3 > 1e-4
    _, p4, _ = acc.var_test("L", "L2", 1.05 * float(mpmath.psi(1, 2)))
    assert p4 < 1e-6  # a 5% error in a variance is found


def test_literal_schedule_sampler_matches_the_schedule_form():
    acc = PG._literal_schedule("unbiased", (3, 4), 20_000, 7, 1)
    want = float(PG.quadrature_values("unbiased", (3, 4), sigma0=Fr(1))["E_sigma"])
    _, p, rel = acc.mean_test("s", want, controls=("c0", "c1", "c01"))
    assert p > 1e-4 and rel < 0.005


# ------------------------------------------------------------------ premises
def test_a_multiplier_above_one_is_refused(monkeypatch):
    """limits-in-n must not print E_sigma2 -> 0 for a growing variance: its premise is certified first."""
    one = G.one_step("mle")
    ok, detail, unit = PG.multiplier_certificate(one["rho_half"], one["rho_1"])
    assert ok and not unit
    bad_rho1 = (G.M + 1) / G.M
    ok, detail, _ = PG.multiplier_certificate(one["rho_half"], bad_rho1)
    assert not ok and "rho_1" in detail
    ok, detail, _ = PG.multiplier_certificate(one["rho_half"] * (1 + 2 / G.M), one["rho_1"])
    assert not ok
    orig = G.one_step

    def grown(est, m=G.M):
        out = dict(orig(est, m))
        if est == "mle":
            out["rho_1"] = bad_rho1
        return out

    monkeypatch.setattr(G, "one_step", grown)
    out, bad, _ = PG._limits_in_n("mle")
    assert bad and "premise" in bad[0] and not out


def test_drift_asymptotic_constants_are_asserted():
    assert PG.DRIFT_LIMITS == {"unbiased": -1, "mle": -2}
    out = PG._check_collapse_schedule(Context())
    assert out.ok and "-> -1" in out.detail and "-> -2" in out.detail


def test_residual_failures_find_a_wrong_closed_form():
    rec = {"E_sigma2": (G.sigma0**2 * (1 - 1 / G.M) ** (G.n + 1), G.sigma0**2, lambda f, n: (1 - 1 / G.M) * f)}
    fails = PG.residual_failures(rec, (G.M, G.n, G.sigma0, G.r), PG._POINTS)
    assert fails and "base case" in fails[0]


def test_w2_bounded_is_derived_for_the_mle(monkeypatch):
    i = G.i
    assert G.w2_bounded("mle", 2 + 0 * i) and G.w2_bounded("mle", 10 * (i + 1))
    orig = G.one_step

    def other(est, m=G.M):  # a one-step law with no derivation: refused, not answered True
        out = dict(orig(est, m))
        if est == "mle":
            out["mean_step"] = 2 / m
        return out

    monkeypatch.setattr(G, "one_step", other)
    with pytest.raises(ValueError, match="no derivation"):
        G.w2_bounded("mle", 10 + 0 * i)


# ------------------------------------------------------------------ the claims
@pytest.fixture(scope="module")
def results():
    from collapse.proofs.registry import all_claims

    chosen = [c for c in all_claims() if c.id in CLAIMS]
    t0 = time.process_time()
    res = run_claims(chosen, Context())
    return res, time.process_time() - t0


def test_gaussian_claims_pass(results):
    res, _ = results
    bad = [(r.id, s.name, s.status, s.detail[:200]) for r in res for s in r.steps if s.status not in ("pass", "cited")]
    assert not bad
    assert {r.id for r in res} == set(CLAIMS)


def test_gaussian_simulation_power(results):
    res, _ = results
    sims = [(r.id, s) for r in res for s in r.steps if s.kind == "simulation"]
    assert sims and all(s.mde is not None for _, s in sims)
    weak = [(cid, s.name, s.mde) for cid, s in sims if s.moment and s.mde > 0.01]
    assert not weak
    # every closed form theory prints is tested by a moment check of the literal sampler
    assert {s.name for _, s in sims if s.moment} >= {"literal-moments", "nd-literal-moments", "mle-bounded",
                                                      "schedule-literal"}


def test_gaussian_claims_cpu_budget(results):
    _, cpu = results
    assert cpu < 30, f"the four Gaussian claims took {cpu:.1f} s of CPU (target 12 s)"


def test_routes_parts_and_errata():
    from collapse.proofs.registry import all_claims

    for claim in (c for c in all_claims() if c.id in CLAIMS):
        names = {c.name: c for c in claim.checks}
        for c in claim.checks:
            assert c.kind == "consistency" or c.route.strip(), (claim.id, c.name)
        assert claim.parts
        for part in claim.parts:
            assert any(n in names and names[n].kind != "consistency" for n in part.checks), (claim.id, part.text)
            assert all(n in names for n in part.checks), (claim.id, part.text)
        for e in claim.errata:
            assert e.check in names and names[e.check].kind != "consistency"
        for step in claim.proof:
            if step.kind == "cited":
                assert "5.15(ii)" not in step.reference  # DLMF 5.15 has no subsections


def _theory_json(*args) -> dict:
    from collapse.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["theory", *args, "--json"]) == 0
    return json.loads(buf.getvalue())


def test_theory_outputs_cover_every_printed_key():
    keys = set(_theory_json("gaussian")) | set(_theory_json("gaussian", "-r", "2"))
    assert {k for (sub, k) in PG.THEORY_OUTPUTS} == keys
    assert {k for (sub, k) in PND.THEORY_OUTPUTS} == set(_theory_json("gaussian-nd"))
    from collapse.proofs.registry import all_claims

    checks = {f"{c.id}/{k.name}": k for c in all_claims() for k in c.checks}
    for target in list(PG.THEORY_OUTPUTS.values()) + list(PND.THEORY_OUTPUTS.values()):
        assert target in checks and checks[target].kind == "simulation"
