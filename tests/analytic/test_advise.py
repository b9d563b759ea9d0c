"""The advisor's exact values and its search (collapse.analytic.advise).

Oracles, each sharing no premise with the formula it checks:

- the joint-moment recursion of the Gaussian chain against Theorem 3.1's closed forms (replace),
  the project's mix recursion iterated in rationals (fresh data), the accumulate recursion (mpmath),
  and the Gaussian moment algebra of the loop's literal points at a tiny case (fourth moments);
- the bounds on E[sqrt t] against distributions whose E[sqrt t] is known exactly, and the
  bracket of E[W2^2] against Theorem 3.1's exact E[W2^2];
- the per-state count chain of the discrete family against exact enumeration of the whole
  multinomial chain (every count vector of every generation), under fresh data, a changing
  schedule and accumulate;
- the search: the answer meets the target by the exact value and the value just below it does not.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from collapse.analytic import advise as A
from hypothesis import given, settings
from hypothesis import strategies as st


# ------------------------------------------------------------------ Gaussian joint moments
@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_replace_moments_are_theorem_3_1(estimator):
    from collapse.analytic import gaussian as G

    m, n = 5, 3
    mom = A.gaussian_moments(estimator, "replace", [m] * n, 1.0, order=2, exact=True)
    cf = G.closed_forms(estimator)
    for r in range(1, 5):
        want = sp.nsimplify(sp.gammasimp(cf["E_sigma2r"].subs({G.M: m, G.n: n, G.sigma0: 1, G.r: r})))
        assert sp.Rational(mom[n][(0, 2 * r)].numerator, mom[n][(0, 2 * r)].denominator) == want
    want_mu = cf["Var_mu"].subs({G.M: m, G.n: n, G.sigma0: 1})
    assert sp.Rational(mom[n][(2, 0)].numerator, mom[n][(2, 0)].denominator) == sp.nsimplify(want_mu)


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
@pytest.mark.parametrize("n_model, n_real", [(1, 2), (3, 2), (7, 5)])
def test_fresh_moments_are_the_mix_recursion_in_rationals(estimator, n_model, n_real):
    from collapse.analytic import gaussian as G
    from collapse.analytic import gaussian_mixing as GX

    Am, b = GX.mix_recursion(estimator)
    sub = {GX.n1: n_model, GX.n2: n_real, G.sigma0: sp.Rational(3, 2)}
    Am, b = Am.subs(sub), b.subs(sub)
    m, ddof = n_model + n_real, 1 if estimator == "unbiased" else 0
    x = sp.Matrix([sp.Rational(9, 4) / m, sp.Rational(9, 4) * sp.Rational(m - 1, m - ddof)])
    mom = A.gaussian_moments(estimator, "fresh", [m] * 4, 1.5, n_real=n_real, order=1, exact=True)
    for g in range(1, 5):
        got = [sp.Rational(mom[g][k].numerator, mom[g][k].denominator) for k in ((2, 0), (0, 2))]
        assert got == list(x), (g, got, list(x))
        x = Am * x + b


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_accumulate_moments_are_the_accumulate_recursion(estimator):
    from collapse.analytic.numeric import gaussian_accumulate_values

    sched = [4, 4, 6, 3]
    v = gaussian_accumulate_values(estimator, sched, 1.0, dps=40)
    mom = A.gaussian_moments(estimator, "accumulate", sched, 1.0, order=1, exact=True)
    for g in range(len(sched) + 1):
        assert abs(float(mom[g][(2, 0)]) - float(v["E_dmu2"][g])) <= 1e-14
        assert abs(float(mom[g][(0, 2)]) - float(v["E_sigma2"][g])) <= 1e-14


def _gauss_expect(poly: sp.Expr, normals) -> sp.Expr:
    """E of a polynomial in independent N(0, 1) variables: each z^k by (k-1)!! or 0."""
    out = sp.Integer(0)
    for monom, coeff in sp.Poly(sp.expand(poly), *normals).terms():
        term = coeff
        for k in monom:
            term *= 0 if k % 2 else sp.factorial2(k - 1)
        out += term
    return sp.expand(out)


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_fourth_moments_from_the_literal_points(estimator):
    """n_model = 1, n_real = 2, G = 2: every point of both training sets as Gaussian variables."""
    ddof = 1 if estimator == "unbiased" else 0
    x = sp.symbols("x0:3", real=True)  # D_0: three real points of N(0, 1)
    mu1 = sum(x) / 3
    s1sq = sp.expand(sum((xi - mu1) ** 2 for xi in x) / (3 - ddof))
    S1, z, f1, f2 = sp.symbols("S1 z f1 f2", real=True)
    pts = [mu1 + S1 * z, f1, f2]  # one model point and two fresh ones
    mu2 = sum(pts) / 3
    s2sq = sum((p - mu2) ** 2 for p in pts) / (3 - ddof)
    mom = A.gaussian_moments(estimator, "fresh", [3, 3], 1.0, n_real=1 * 2, order=1, exact=True)
    for (a, b) in ((0, 4), (2, 2), (4, 0), (0, 2)):
        inner = _gauss_expect(mu2**a * s2sq ** (b // 2), (z, f1, f2))
        inner = sp.expand(inner).subs(S1**2, s1sq)  # odd powers of S1 came with odd powers of z
        assert not inner.has(S1)
        want = _gauss_expect(inner, x)
        got = mom[2][(a, b)]
        assert sp.Rational(got.numerator, got.denominator) == want, (a, b)


# ------------------------------------------------------------------ bounds on E[sigma]
def _moments(values, weights, top):
    return [float(np.dot(weights, values**k)) for k in range(top + 1)]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("top", [3, 6, 12])
def test_sqrt_bounds_contain_the_exact_mean_on_finite_laws(seed, top):
    rng = np.random.default_rng(seed)
    t = rng.gamma(2.0, 0.5, size=7) * (seed % 3 + 0.2)
    w = rng.dirichlet(np.ones(7))
    lo, hi = A.sqrt_mean_bounds(_moments(t, w, top))
    exact = float(np.dot(w, np.sqrt(t)))
    assert lo - 1e-9 <= exact <= hi + 1e-9


@pytest.mark.parametrize("k", [1, 3, 10, 50])
def test_sqrt_bounds_contain_the_scaled_chi_square_mean(k):
    """t = X / k, X ~ chi2_k: E[t^j] = prod_(i<j) (k + 2 i) / k^j, E[sqrt t] = sqrt(2/k) Gamma((k+1)/2) / Gamma(k/2)."""
    exact = math.sqrt(2 / k) * math.exp(math.lgamma((k + 1) / 2) - math.lgamma(k / 2))
    lo, hi = A.sqrt_mean_bounds([math.prod(Fraction(k + 2 * i, k) for i in range(j)) for j in range(13)])
    assert lo <= exact <= hi
    if k >= 10:
        assert hi - lo < 1e-3 * exact  # the bracket is tight where the law is concentrated


@pytest.mark.parametrize("estimator, m, n", [("unbiased", 20, 10), ("mle", 100, 100), ("unbiased", 200, 5),
                                              ("mle", 3, 4)])
def test_w2_bracket_contains_theorem_3_1(estimator, m, n):
    from collapse.analytic.numeric import gaussian_values

    exact = gaussian_values(estimator, m, n, 1.0, dps=40)["E_W2sq"]
    lo, hi = A.w2_brackets(estimator, "replace", [m] * n, 1.0)[n]
    assert mpmath.mpf(lo) <= exact <= mpmath.mpf(hi)


# ------------------------------------------------------------------ the bracket is rigorous (property tests)
def _finite_law(rng):
    """1-60 atoms, scales over six orders of magnitude; exact rational moments E[t^j], j <= 24, and E[sqrt t]."""
    k = int(rng.integers(1, 61))
    t = rng.gamma(float(rng.uniform(0.3, 5)), 1.0, size=k) * 10 ** rng.uniform(-3, 3)
    w = rng.dirichlet(np.ones(k) * rng.uniform(0.2, 3))
    tf, wf = [Fraction(float(x)) for x in t], [Fraction(float(x)) for x in w]
    mom = [sum(wi * ti**j for wi, ti in zip(wf, tf)) for j in range(25)]
    with mpmath.workdps(60):
        exact = mpmath.fsum(mpmath.mpf(float(a)) * mpmath.sqrt(mpmath.mpf(float(b))) for a, b in zip(w, t))
    return mom, exact


def _chi2_mixture(rng):
    """A mixture of 1-5 scaled chi2_k / k laws (k < 60, scales 1e-3..1e3): E[(c X / k)^j] = c^j prod (k + 2i) / k,
    E[sqrt] = sqrt(c) sqrt(2 / k) Gamma((k + 1) / 2) / Gamma(k / 2)."""
    c = int(rng.integers(1, 6))
    ks, sc, w = rng.integers(1, 60, size=c), 10 ** rng.uniform(-3, 3, size=c), rng.dirichlet(np.ones(c))
    mom = [sum(Fraction(float(a)) * Fraction(float(s)) ** j * math.prod(Fraction(int(k) + 2 * i, int(k))
                                                                        for i in range(j))
               for a, s, k in zip(w, sc, ks)) for j in range(25)]
    with mpmath.workdps(60):
        exact = mpmath.fsum(mpmath.mpf(float(a)) * mpmath.sqrt(mpmath.mpf(float(s)) * 2 / int(k))
                            * mpmath.gamma(mpmath.mpf(int(k) + 1) / 2) / mpmath.gamma(mpmath.mpf(int(k)) / 2)
                            for a, s, k in zip(w, sc, ks))
    return mom, exact


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), law=st.sampled_from(["finite", "chi2-mixture"]))
def test_sqrt_bracket_contains_the_true_mean(seed, law):
    """24 exact moments: the float64 Hankel route missed on 39% of such laws; the exact recurrence never."""
    mom, exact = (_finite_law if law == "finite" else _chi2_mixture)(np.random.default_rng(seed))
    b = A.sqrt_mean_bounds(mom)
    assert mpmath.mpf(b.lo) <= exact <= mpmath.mpf(b.hi), (b, exact)
    assert (b.nodes == b.wanted) == (not b.note)


def test_a_law_on_few_atoms_is_its_own_rule():
    t, w = [Fraction(1, 3), Fraction(2), Fraction(7)], [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)]
    b = A.sqrt_mean_bounds([sum(wi * ti**j for wi, ti in zip(w, t)) for j in range(25)])
    exact = sum(float(wi) * math.sqrt(ti) for wi, ti in zip(w, t))
    assert b.nodes == (3, 3) and b.wanted == (12, 12) and "not positive definite" in b.note
    assert b.lo <= exact <= b.hi and b.hi - b.lo < 1e-14


def test_the_eigensolver_fallback_gives_the_newton_nodes_bracket(monkeypatch):
    """The nodes come from Newton's method on p_n; where it fails, mpmath's eigensolver of the Jacobi matrix."""
    mom, _ = _chi2_mixture(np.random.default_rng(3))
    want = A.sqrt_mean_bounds(mom)
    monkeypatch.setattr(A, "_newton_nodes", lambda *a, **k: None)
    got = A.sqrt_mean_bounds(mom)
    assert got.nodes == want.nodes and abs(got.lo - want.lo) <= 1e-14 * want.lo
    assert abs(got.hi - want.hi) <= 1e-14 * want.hi


@pytest.mark.parametrize("m, n", [(3, 60), (4, 200)])
def test_long_horizons_at_small_m_do_not_overflow(m, n):
    """E[sigma^24] passes 1e308 here; Decimal moments do not overflow, and all-fresh data is generation 1."""
    from collapse.analytic.numeric import gaussian_values

    got = A.w2_brackets("unbiased", "fresh", [m] * n, 1.0, n_real=m)[n]
    exact = float(gaussian_values("unbiased", m, 1, 1.0)["E_W2sq"])
    assert got.lo <= exact <= got.hi
    lo, hi = A.w2_brackets("unbiased", "fresh", [m] * n, 1.0, n_real=1)[n]
    assert 0 < lo <= hi < math.inf


# ------------------------------------------------------------------ the discrete chain, enumerated
def _multinomials(m, k):
    for c in itertools.product(range(m + 1), repeat=k):
        if sum(c) == m:
            yield c


def _multinomial_pmf(c, p):
    out = Fraction(math.factorial(sum(c)))
    for ci, pi in zip(c, p):
        out *= Fraction(pi) ** ci / math.factorial(ci)
    return out


def _enumerate_presence(p0, schedule, n_real=0):
    """P(state i in generation g's model), g = 1..G: the law of the whole count vector, every outcome."""
    k = len(p0)
    law = {c: _multinomial_pmf(c, p0) for c in _multinomials(schedule[0], k)}
    out = [[sum(pr for c, pr in law.items() if c[i] > 0) for i in range(k)]]
    for m_prev, m in zip(schedule, schedule[1:]):
        new = {}
        for c, pr in law.items():
            x = [Fraction(ci, m_prev) for ci in c]
            for a in _multinomials(m - n_real, k):
                pa = pr * _multinomial_pmf(a, x)
                if pa == 0:
                    continue
                for b in _multinomials(n_real, k):
                    key = tuple(ai + bi for ai, bi in zip(a, b))
                    new[key] = new.get(key, 0) + pa * _multinomial_pmf(b, p0)
        law = new
        out.append([sum(pr for c, pr in law.items() if c[i] > 0) for i in range(k)])
    return np.array([[float(v) for v in row] for row in out])


P0 = (Fraction(1, 2), Fraction(1, 3), Fraction(1, 6))


@pytest.mark.parametrize("schedule, n_real", [((3, 3, 3), 1), ((3, 3, 3, 3), 2), ((2, 3, 2), 0), ((3, 3, 3), 0)])
def test_presence_curve_is_the_enumerated_multinomial_chain(schedule, n_real):
    got = A.presence_curve([float(q) for q in P0], schedule, n_real)[1:]
    want = _enumerate_presence(P0, schedule, n_real)
    assert np.allclose(got, want, rtol=0, atol=1e-14)


def test_accumulate_keeps_what_d0_had():
    """The pooled chain, enumerated: P(state in generation g's model) = 1 - (1 - q)^M for g = 1..3."""
    m, k = 2, 3
    law = {c: _multinomial_pmf(c, P0) for c in _multinomials(m, k)}  # pool counts after D_0
    for _ in range(3):
        pres = [sum(pr for c, pr in law.items() if c[i] > 0) for i in range(k)]
        assert pres == [1 - (1 - q) ** m for q in P0]
        new = {}
        for c, pr in law.items():
            x = [Fraction(ci, sum(c)) for ci in c]
            for a in _multinomials(m, k):
                key = tuple(ci + ai for ci, ai in zip(c, a))
                new[key] = new.get(key, 0) + pr * _multinomial_pmf(a, x)
        law = new
    tail = np.arange(3)
    v = A.discrete_value([float(q) for q in P0], tail, "accumulate", [m] * 3)[0]
    assert v == pytest.approx(float(sum(q * (1 - (1 - q) ** m) for q in P0)), abs=1e-15)


def test_replace_presence_is_loss_at():
    from collapse.analytic.wright_fisher import loss_at

    q = np.array(A.zipf_truth(30, 1.2))
    assert np.allclose(A.presence_curve(q, [40] * 7)[-1], 1 - loss_at(q, 40, 7), atol=1e-13)


# ------------------------------------------------------------------ the search
def _problems():
    p0 = A.zipf_truth(20, 1.0)
    return [
        dict(family="gaussian", target="w2", level=0.1, generations=30, knob="fresh", samples=100),
        dict(family="gaussian", target="w2", level=0.1, generations=30, knob="samples"),
        dict(family="gaussian", target="w2", level=0.08, generations=30, knob="accumulate", over="all"),
        dict(family="gaussian", target="sigma2", level=0.9, generations=30, knob="fresh", samples=60,
             estimator="mle"),
        dict(family="gaussian", target="sigma2", level=0.9, generations=30, knob="accumulate", estimator="mle"),
        dict(family="discrete", target="kept", level=0.5, generations=10, knob="fresh", samples=100, p0=p0,
             tail=0.5),
        dict(family="discrete", target="kept", level=0.5, generations=10, knob="samples", p0=p0, tail=0.5),
        dict(family="discrete", target="kept", level=0.5, generations=10, knob="accumulate", p0=p0, tail=0.5),
    ]


@pytest.mark.parametrize("kw", _problems(), ids=lambda kw: f"{kw['family']}-{kw['target']}-{kw['knob']}")
def test_answer_meets_and_the_value_below_does_not(kw):
    pr = A.Problem(**kw)
    adv = A.advise(pr)
    assert adv.met
    a, b = adv.answer, adv.below
    ok = (lambda e: e.hi <= pr.level) if pr.at_most else (lambda e: e.lo >= pr.level)
    assert ok(a) and a == A.evaluate(pr, a.knob_value)
    assert b is not None and b.knob_value == a.knob_value - 1 and not ok(A.evaluate(pr, b.knob_value))


def test_growth_rate_meets_and_the_last_failing_rate_does_not():
    pr = A.Problem(family="gaussian", target="w2", level=0.5, generations=20, knob="samples", samples=20,
                   growth=True)
    adv = A.advise(pr)
    assert adv.met and adv.answer.hi <= 0.5 < adv.below.lo
    assert adv.answer.knob_value - adv.below.knob_value <= A.RATE_TOLERANCE * adv.answer.knob_value
    assert adv.answer.schedule == A.geometric_schedule(20, adv.answer.knob_value, 20)


def test_an_unreachable_target_is_an_answer_with_the_best_value():
    pr = A.Problem(family="gaussian", target="w2", level=1e-3, generations=20, knob="fresh", samples=50)
    adv = A.advise(pr)
    assert not adv.met and adv.answer.n_real == 50 and adv.answer.lo > 1e-3 and adv.below is None


def test_replace_extremum_over_generations_is_the_last():
    """The replace path reports generation G for over='all'; E[W2^2] and E[sigma^2] are monotone in g."""
    from collapse.analytic.numeric import gaussian_values

    for est in ("unbiased", "mle"):
        w = [float(gaussian_values(est, 7, g)["E_W2sq"]) for g in range(1, 12)]
        s = [float(gaussian_values(est, 7, g)["E_sigma2"]) for g in range(1, 12)]
        assert w == sorted(w) and s == sorted(s, reverse=True)


def test_bad_problems_are_refused():
    from collapse.core.validation import InvalidArgument

    with pytest.raises(InvalidArgument, match="samples"):
        A.Problem(family="gaussian", target="w2", level=0.1, generations=5, knob="fresh")
    with pytest.raises(InvalidArgument, match="target"):
        A.Problem(family="discrete", target="w2", level=0.1, generations=5, knob="samples", p0=(0.5, 0.5))
    with pytest.raises(InvalidArgument, match="growth"):
        A.Problem(family="gaussian", target="w2", level=0.1, generations=5, knob="fresh", samples=10, growth=True)


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_weight_knob_is_the_optimal_weight_and_tends_to_the_fixed_point(estimator):
    from collapse.analytic import weighting as WX

    pr = A.Problem(family="gaussian", target="sigma2", level=0.5, generations=400, knob="weight", samples=30,
                   ratio=2.0, estimator=estimator)
    adv = A.advise(pr)
    assert adv.met and adv.answer.knob_value == pytest.approx((math.sqrt(9) - 1) / 4, abs=1e-15)
    assert adv.answer.regime == f"weight:{adv.answer.knob_value!r},2.0" and adv.answer.n_real == 10
    b_star = WX.weight_fixed_point(estimator)[1].subs({WX.w: sp.nsimplify(adv.answer.knob_value), WX.n_r: 10,
                                                        WX.n_s: 20, WX.sigma0: 1})
    assert adv.answer.lo == pytest.approx(float(b_star), rel=1e-9)
    with pytest.raises(Exception, match="sigma2"):
        A.Problem(family="gaussian", target="w2", level=0.1, generations=5, knob="weight", samples=30)
