"""The independent routes of the follow-up literature's claims (proofs/literature.py), checked on their own.

The exact-tail oracle, the multinomial enumeration and the literal moment algebra are tested against
facts known without the derivations (a product of two exponentials by Bessel functions, laws that sum
to 1, moments by hand); a wrong closed form is shown to fail its check; the claims' structure is checked
without running the simulations. Fast: no simulation runs here.
"""

from __future__ import annotations

import math
from fractions import Fraction

import flint
import mpmath
import pytest
import sympy as sp
from scipy import special

from collapse.analytic import gaussian as G
from collapse.analytic import literature as L
from collapse.proofs import certify
from collapse.proofs import literature as PL
from collapse.proofs.core import Context
from collapse.proofs.registry import claim_modules, select

CLAIMS = {c.id: c for c in PL.CLAIMS}


def _run(claim_id: str, check: str):
    step = next(c for c in CLAIMS[claim_id].checks if c.name == check)
    return step.run(Context(n_simulation=50))


# ------------------------------------------------------------------ the exact-tail oracle
@pytest.mark.parametrize("est,n,ratio", [("unbiased", 2, 0.5), ("mle", 5, 1.0), ("unbiased", 10, 1.3)])
def test_tail_at_one_generation_is_the_chi_square_survival(est, n, ratio):
    c = n - 1 if est == "unbiased" else n
    value, err = PL.gaussian_tail_exact(est, n, 1, ratio)
    assert value == pytest.approx(special.gammaincc((n - 1) / 2, c * ratio**2 / 2), abs=1e-12) and err < 1e-10


def test_tail_of_two_exponential_factors_by_bessel():
    # n = 3, MLE: X/3 with X ~ chi2_2 = 2 Exp(1); with the unbiased c = 2, X/2 ~ Exp(1) and
    # Pr(E1 E2 > t) = 2 sqrt(t) K_1(2 sqrt(t)) (the law of a product of two unit exponentials)
    for ratio in (0.3, 1.0, 2.0):
        t = ratio**2
        want = float(2 * mpmath.sqrt(t) * mpmath.besselk(1, 2 * mpmath.sqrt(t)))
        assert PL.gaussian_tail_exact("unbiased", 3, 2, ratio)[0] == pytest.approx(want, abs=1e-12)


def test_tail_is_a_decreasing_probability():
    vals = [PL.gaussian_tail_exact("unbiased", 5, 7, e)[0] for e in (1e-3, 0.3, 0.6, 1.0, 3.0)]
    assert all(0 <= v <= 1 for v in vals) and vals == sorted(vals, reverse=True) and vals[0] > 0.999
    assert PL.gaussian_tail_exact("unbiased", 5, 0, 0.5)[0] == 1.0 and PL.gaussian_tail_exact("mle", 5, 0, 2)[0] == 0.0


def test_rho_below_the_exponent_numerically_far_out():
    lr = sp.lambdify(G.M, L.log_rho("unbiased"), "mpmath")
    up = sp.lambdify(L.y, L.log_rho_upper(), "mpmath")
    with mpmath.workdps(40):
        for n in (2, 3, 7, 100, 10**4, 10**6):
            assert lr(mpmath.mpf(n)) < -mpmath.mpf(1) / (4 * n)
            if n >= 3:
                assert lr(mpmath.mpf(n)) <= up(mpmath.mpf(n - 1) / 2) < -mpmath.mpf(1) / (4 * n)


# ------------------------------------------------------------------ the unigram routes
def test_multinomial_step_is_a_probability_law():
    for counts, m in (((1, 1, 1), 3), ((2, 0, 3), 5)):
        law = list(PL._multinomial_step(counts, m))
        assert sum(w for _, w in law) == 1
        assert all(s[1] == 0 for s, _ in law if counts[1] == 0)  # a lost symbol stays lost
    assert len(list(PL._compositions(5, 3))) == math.comb(7, 2)


def test_survival_of_a_single_token_in_two_by_hand():
    # n = 2, lambda = 1: X_1 ~ Binomial(2, 1/2) is 0 with probability 1/4
    P = PL.wf_matrix(2)
    assert P[1, 0] == flint.fmpq(1, 4)
    assert 1 - Fraction(1, 4) >= 1 - math.exp(-1)
    assert sp.simplify(L.unigram_survival_lower().subs({L.lam: 1, G.n: 1}) - (1 - sp.exp(-1))) == 0


# ------------------------------------------------------------------ the augment / discard routes
def test_real_data_risk_by_hand():
    # one generation, unbiased, n = 2: sigma_1^2 = X, X ~ chi2_1, E X^2 = 3: E (X - 1)^2 = 2
    assert L.augment_variance_values("unbiased", 2, 1)["risk"] == [0, 2]
    lit = PL._literal_moments(2, 1, 1, True)
    assert lit["E_sigma2"] == 1 and lit["E_sigma4"] == 3 and lit["E_mu2"] == sp.Rational(1, 2)


def test_literal_moment_algebra_counts_double_factorials():
    z = sp.symbols("z0:2")
    assert PL._gauss_expect(z[0] ** 4 * z[1] ** 2 + z[0] ** 3, [(z, None, None)]) == 3


def test_limits_as_stated():
    for est in G.ESTIMATORS:
        assert L.augment_relative_risk(est) == sp.harmonic(G.n, 2)
        assert L.augment_limit(est) == sp.pi**2 / 6 and L.augment_efficiency(est) == 6 / sp.pi**2
        assert L.discard_relative_risk(est) == G.n


# ------------------------------------------------------------------ wrong forms fail their checks
def test_tail_exact_catches_a_doubled_exponent(monkeypatch):
    monkeypatch.setattr(L, "gaussian_tail_bound", lambda: G.sigma0 / L.eps * sp.exp(-G.n / (2 * G.M)))
    assert _run("suresh-gaussian-tail", "gaussian-tail-exact").ok is False


def test_survival_exact_catches_a_doubled_count(monkeypatch):
    monkeypatch.setattr(L, "unigram_survival_lower", lambda: 1 - sp.exp(-2 * L.lam / G.n))
    out = _run("suresh-unigram-survival", "unigram-survival-exact")
    assert out.ok is False and out.witness["k"] >= 1


def test_literal_moments_catch_a_risk_without_its_bias(monkeypatch):
    orig = L.augment_variance_values

    def no_bias(est, m, g):
        out = orig(est, m, g)
        out["risk"] = [e4 - e2 * e2 for e2, e4 in zip(out["E_sigma2"], out["E_sigma4"])]
        return out

    monkeypatch.setattr(L, "augment_variance_values", no_bias)
    assert _run("dey-donoho-augment", "augment-literal-moments").ok is False


# ------------------------------------------------------------------ the claims' structure
def test_module_order_ids_and_selection():
    names = [m.__name__.rsplit(".", 1)[-1] for m in claim_modules()]
    earlier = [n for n in ("gaussian", "gaussian_nd", "gaussian_mixing", "discrete", "regimes", "rates", "tails",
                           "regression") if n in names]
    assert all(names.index("literature") > names.index(n) for n in earlier)  # after the existing modules
    assert PL.THEORY_OUTPUTS == {}
    assert {c.id for c in select("suresh")} >= {"suresh-gaussian-tail", "suresh-unigram-survival"}
    assert [c.id for c in select("dey-donoho")] == ["dey-donoho-augment"]


def test_sources_say_what_could_not_be_read():
    tail = CLAIMS["suresh-gaussian-tail"].source
    assert "berserank/rate-of-model-collapse" in tail and "SZnZ6GrMPXI8" in tail and "DyRGXBWvGqjX" in tail
    assert "16 of the copy's 52 windows" in tail  # what of the notebook was read
    assert all("theorem numbers not cited" in c.source for c in CLAIMS.values())


# ------------------------------------------------------------------ the notebook's curve
def _notebook_cells(n=10, sigma_0=1, eps=0.1, ng=200, dist=20):
    """The notebook's cells DyRGXBWvGqjX and 099ntxmvGr4E, typed literally: the (x, y) points of its bound curve."""
    bound = []
    for k in range(1, ng + 1):
        a = math.exp(-k / (4 * (n)))
        b = (sigma_0 / eps)
        if a * b < 1:
            bound.append(a * (b))
        else:
            bound.append(1)
    return list(range(0, ng))[::dist], bound[::dist]


def test_notebook_curve_is_what_its_cells_draw():
    f = sp.lambdify((G.M, G.n, L.eps), L.gaussian_tail_notebook().subs(G.sigma0, 1), "math")
    for n, eps, ng in ((10, 0.1, 200), (5, 0.99, 40), (30, 2.0, 300)):
        xs, ys = _notebook_cells(n=n, eps=eps, ng=ng)
        assert [f(n, x, eps) for x in xs] == pytest.approx(ys, rel=1e-13)
    xs, ys = _notebook_cells()
    assert xs[0] == 0 and ys[0] == 1 and ys[-1] == pytest.approx(10 * math.exp(-181 / 40), rel=1e-13)


def test_notebook_check_catches_an_unshifted_curve(monkeypatch):
    # were the drawn curve the stated bound itself (capped), the notebook would not differ from its text
    monkeypatch.setattr(L, "gaussian_tail_notebook", lambda: sp.Min(1, L.gaussian_tail_bound()))
    assert _run("suresh-gaussian-tail", "gaussian-tail-notebook").ok is False


def test_notebook_check_catches_a_curve_two_generations_late(monkeypatch):
    monkeypatch.setattr(L, "gaussian_tail_notebook",
                        lambda: sp.Min(1, G.sigma0 / L.eps * sp.exp(-(G.n + 2) / (4 * G.M))))
    assert _run("suresh-gaussian-tail", "gaussian-tail-notebook").ok is False


def test_notebook_erratum_is_decided_by_its_check():
    claim = CLAIMS["suresh-gaussian-tail"]
    (e,) = claim.errata
    assert e.check in {c.name for c in claim.checks} and "Theorem 4" in e.paper and "range(0,ng)" in e.paper
    out = _run("suresh-gaussian-tail", e.check)
    assert out.ok is True and "0.985162" in out.detail


def test_cited_references_name_exact_places():
    for claim in CLAIMS.values():
        for step in claim.proof:
            ref = getattr(step, "reference", None)
            if ref is not None:
                assert any(w in ref for w in ("Theorem", "Section", "Chapter")), (claim.id, step.name, ref)


# ------------------------------------------------------------------ the notebook's survival band (Theorem 1, Corollary 1)
def _notebook_band(n, p_0, num_generations):
    """The notebook's cell zkYaeRNfMmnL (our_bounds, collapse_indicator = [0]), typed literally: (lower, upper) lists."""
    gok = []

    def g(x):
        return 1 - math.exp(-x)
    gok.append(1)
    for i in range(1, num_generations):
        gok.append(g(gok[-1]))
    lower_bound = [(1 - math.exp(-n * p_0 * g_k)) for g_k in gok]
    upper_bound = [1 - ((math.exp(-n * p_0 * g_k)) * max((1 - 3 * n * (p_0**2) - 3 * (k + 1) * p_0), 0))
                   for k, g_k in enumerate(gok)]
    return lower_bound, upper_bound


def _g(k):
    """g_k as a 30-digit Float (its nested exponentials evaluated in balls: sympy's subs of them is exponential in k)."""
    return sp.Float(certify.to_arb(L.notebook_g(k), {}).mid().str(30, radius=False), 30)


@pytest.mark.parametrize("p_0,n,ng", [(0.001, 10000, 50), (0.01, 100, 50), (0.2, 10, 5)])
def test_band_is_what_the_notebook_cell_computes(p_0, n, ng):
    lower, upper = L.unigram_survival_band()
    lo, up = _notebook_band(n, p_0, ng)
    for k in range(1, ng + 1):
        env = {G.M: n, L.p0: sp.Float(p_0, 30), G.n: k, L.gk: _g(k)}
        assert float(lower.subs(env).evalf(30)) == pytest.approx(lo[k - 1], rel=1e-12)
        factor = 1 - 3 * n * p_0**2 - 3 * k * p_0
        ours = float(upper.subs(env).evalf(30))
        # the cell clamps the factor at 0 (edge 1); the text does not (edge >= 1): the same statement
        assert ours == pytest.approx(up[k - 1], rel=1e-12) if factor > 0 else (ours >= 1 and up[k - 1] == 1)


def test_g_is_g_composed_at_infinity_by_hand():
    assert L.notebook_g(1) == 1
    assert sp.simplify(L.notebook_g(2) - (1 - sp.exp(-1))) == 0
    assert float(_g(3)) == pytest.approx(1 - math.exp(-(1 - math.exp(-1))), rel=1e-15)
    # g_k = r_(k-1): the notebook's g is the Poisson(1) line's survival of the sharper lower bound
    assert all(abs(float(_g(k)) - float(PL._r_line(k - 1))) < 1e-15 for k in range(1, 12))


def test_upper_edge_at_one_generation_by_hand():
    # k = 1: Pr(X_1 != 0) = 1 - (1 - p0)^n exactly, against 1 - (1 - 3 n p0^2 - 3 p0) e^(-n p0)
    _, upper = L.unigram_survival_band()
    for n, j in ((10, 1), (30, 2), (100, 5)):
        p = j / n
        edge = float(upper.subs({G.M: n, L.p0: sp.Rational(j, n), G.n: 1, L.gk: 1}))
        assert 1 - (1 - p) ** n < edge
        assert edge == pytest.approx(1 - (1 - 3 * n * p * p - 3 * p) * math.exp(-n * p), rel=1e-14)


def test_extinction_laws_sum_rows_and_match_the_rationals():
    # the ball powers at n = 12 agree with the rational ones (the two routes of the band check)
    P12 = PL._wf_balls(12)
    q = flint.arb_mat(13, 1, [1] + [0] * 12)
    exact = dict(PL._extinction_laws(12, 5))
    for k in range(1, 6):
        q = P12 * q
        assert all(q[c, 0].overlaps(exact[k][c]) for c in range(13))
    P = PL._wf_balls(7)
    for i in range(8):
        assert sum((P[i, j] for j in range(8)), flint.arb(0)).overlaps(flint.arb(1))


def test_band_exact_catches_an_upper_edge_without_its_correction(monkeypatch):
    # 3 -> 0: the upper edge becomes the lower one, below the exact survival
    monkeypatch.setattr(L, "unigram_survival_band", lambda: (1 - sp.exp(-G.M * L.p0 * L.gk),) * 2)
    out = _run("suresh-unigram-survival", "unigram-band-exact")
    assert out.ok is False and {"n", "k", "p0", "exact", "upper"} <= set(out.witness)
    assert out.witness["exact"] > out.witness["upper"]


def test_band_exact_catches_a_one_generation_late_g(monkeypatch):
    late = {k: L.notebook_g(k + 1) for k in range(1, 60)}
    monkeypatch.setattr(L, "notebook_g", lambda k: late[k])
    assert _run("suresh-unigram-survival", "unigram-band-exact").ok is False


def test_band_exact_reports_the_tightness():
    out = _run("suresh-unigram-survival", "unigram-band-exact")
    assert out.ok is True and "18270 points" in out.detail and "3 replaced by" in out.detail


@pytest.mark.parametrize("check", ["notebook-g-band-proof", "notebook-g-band-balls"])
def test_g_band_checks_catch_a_one_over_k_ceiling(monkeypatch, check):
    monkeypatch.setattr(L, "notebook_g_band", lambda: (1 / G.n, 1 / G.n))  # g_2 = 0.632 > 1/2
    assert _run("suresh-unigram-survival", check).ok is False


@pytest.mark.parametrize("check", ["notebook-g-band-proof", "notebook-g-band-balls"])
def test_g_band_checks_catch_a_two_over_k_floor(monkeypatch, check):
    monkeypatch.setattr(L, "notebook_g_band", lambda: (2 / G.n, 3 / G.n))  # g_1 = 1 < 2
    assert _run("suresh-unigram-survival", check).ok is False


def test_g_band_balls_reports_the_sharp_constant():
    out = _run("suresh-unigram-survival", "notebook-g-band-balls")
    assert out.ok is True and "1.9992 (k=10000)" in out.detail and "1.0000 (k=1)" in out.detail


def test_band_source_quotes_the_notebook():
    src = CLAIMS["suresh-unigram-survival"].source
    for cell in ("m8Oghl4rk6lt", "zkYaeRNfMmnL", "h3xd2EDaOs4V", "hnolg79UTYaG", "Theorem 1", "Corollary 1"):
        assert cell in src
    assert "1 - (1 - 3np_0^2 - 3 k p_0) exp(- n p_0 g_k)" in src
