"""The real-data advisor (``collapse advise``): its answer meets the target, the value below does not.

Every check reads :mod:`collapse.analytic.advise` when it runs (its exact values, brackets and
search), so a change to a formula there changes the verdict here (the source edits of
tests/proofs/source_mutations/advise.py).

Independent routes (each check's ``route``), none sharing a premise with analytic/advise.py:

- the Gaussian joint moments E[(mu_g - mu_0)^a sigma_g^b] from the literal points of each training
  set (n_model points mu + sigma Z, n_real fresh ones sigma_0 W), expanded and averaged over the
  standard normals one generation at a time (sympy polynomials, exact rationals): no Cochran
  decomposition, no Stein identity, no chi-square moment;
- E[sigma_2] after one mixed generation as a double integral: given sigma_1 the mixed training set
  is a centred Gaussian vector (mu_1 averaged out) whose covariance is typed from the draws, its sum
  of squares a generalised chi-square Q with E[sqrt Q] = (1 / (2 sqrt(pi))) int_0^oo (1 - E[e^(-sQ)])
  s^(-3/2) ds, E[e^(-sQ)] = prod (1 + 2 s lambda_i)^(-1/2) over the eigenvalues of the centred
  covariance; then integrated over sigma_1^2 ~ sigma_0^2 chi2_(M-1) / (M - ddof) (scipy quad);
- the replace chain re-derived here from the chi-square law of each refit (sigma_g^2 = sigma_(g-1)^2
  X_g / (M - ddof), X_g ~ chi2_(M-1); mu_g = mu_(g-1) + sigma_(g-1) Z / sqrt(M)) in mpmath;
- E[sqrt t] known exactly: scaled chi-square laws (a ratio of Gamma functions) and laws on a few
  atoms (where the sharp bounds of a long enough moment sequence coincide with the value);
- the discrete chain by enumerating every count vector of every generation (multinomial outcomes of
  the model draws and of the fresh draws, exact rationals), the truth p_0(k) ~ k^(-s) and its tail
  typed from their definitions;
- the search against an exhaustive scan of every knob value, with target levels placed between the
  independently computed values of neighbouring knob values;
- the literal loop (:func:`collapse.simulate.loop.run_chain` with the Gaussian and discrete families,
  under the regime string the advisor reports), at the answer and at the value below.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp
from collapse.analytic import advise as A
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome, Part
from collapse.proofs.stats import bonferroni, mde_z
from collapse.simulate.families.discrete import DiscreteFamily, DiscreteParams
from collapse.simulate.families.gaussian import GaussianFamily, GaussianParams
from collapse.simulate.loop import Regime, run_chain
from scipy import integrate, stats

__all__ = ["CLAIMS", "ORDER", "THEORY_OUTPUTS", "enumerated_kept", "gauss_rule", "literal_moments", "replace_w2",
           "sharp_sqrt_bounds", "two_generation_w2"]

PAPER = ("Shumailov et al., Nature 631 (2024): 'Theoretical intuition' (p_(i+1) = alpha p_theta + beta p_i "
         "+ gamma p_0), Theorem 3.1 and 'Discrete distributions with exact approximation'")
DDOF = {"unbiased": 1, "mle": 0}


# ------------------------------------------------------------------ the Gaussian chain, from the literal points
def _normal_mean(poly: sp.Poly, nz: int) -> dict:
    """E over the first ``nz`` generators (independent N(0, 1)) of a Poly: {(i, j): coefficient of D^i S^j}."""
    out: dict = {}
    for monom, coeff in poly.terms():
        w = 1
        for k in monom[:nz]:
            if k % 2:
                w = 0
                break
            w *= math.prod(range(k - 1, 0, -2))  # (k - 1)!!
        if w:
            key = monom[nz:]
            out[key] = out.get(key, 0) + Fraction(int(coeff.p), int(coeff.q)) * w
    return out


@functools.cache
def _powers(n_model: int, n_real: int, ddof: int, s0: Fraction, degree: int) -> tuple[list, list, int]:
    """Powers of D' (the mean) and of S'^2 (the sum of squared deviations over M - ddof) of the M points
    D + S z_i (i < n_model) and s0 z_(n_model + j) (j < n_real), as polynomials in (z, D, S)."""
    m = n_model + n_real
    z = sp.symbols(f"z0:{m}")
    D, S = sp.symbols("D S")
    gens = (*z, D, S)
    s0_ = sp.Rational(s0.numerator, s0.denominator)
    pts = [sp.Poly(D + S * z[i], *gens, domain="QQ") for i in range(n_model)]
    pts += [sp.Poly(s0_ * z[n_model + j], *gens, domain="QQ") for j in range(n_real)]
    mean = sum(pts[1:], pts[0]) * sp.Rational(1, m)
    ss = sum(((x - mean) ** 2 for x in pts[1:]), (pts[0] - mean) ** 2) * sp.Rational(1, m - ddof)
    one = sp.Poly(1, *gens, domain="QQ")
    mp, sq = [one], [one]
    for _ in range(degree):
        mp.append(mp[-1] * mean)
    for _ in range(degree // 2):
        sq.append(sq[-1] * ss)
    return mp, sq, m


def _conditional(n_model: int, n_real: int, ddof: int, s0: Fraction, a: int, k: int, degree: int) -> dict:
    """E[D'^a (S'^2)^k | D, S] as {(i, j): coefficient of D^i S^j}, the expectation over the z taken term by term."""
    mp, sq, m = _powers(n_model, n_real, ddof, s0, degree)
    return _normal_mean(mp[a] * sq[k], m)


def literal_moments(estimator: str, n_model: int, n_real: int, generations: int, s0: Fraction,
                    degree: int) -> list[dict]:
    """E[D_g^a S_g^b], g = 0..G, every a + b <= degree with b even, by the literal points (exact).

    D_0 is M = n_model + n_real real points; every later training set is n_model model points and
    n_real fresh real ones. D = mu - mu_0, S = sigma (mu_0 = 0, sigma_0 = s0).
    """
    ddof = DDOF[estimator]
    m = n_model + n_real
    keys = [(a, b) for a in range(degree + 1) for b in range(0, degree + 1 - a, 2)]
    mom = {(a, b): (s0**b if a == 0 else Fraction(0)) for a, b in keys}
    out = [mom]
    for g in range(generations):
        nm, nr = (0, m) if g == 0 else (n_model, n_real)
        new = {}
        for a, b in keys:
            cond = _conditional(nm, nr, ddof, s0, a, b // 2, degree)
            new[(a, b)] = sum((c * mom[(i, j)] for (i, j), c in cond.items()), Fraction(0))
        mom = new
        out.append(mom)
    return out


#: Gauss-Legendre rule on (0, 1) for the inner integral of :func:`_sqrt_gen_chi2` (r = u / (1 - u))
_X, _W0 = np.polynomial.legendre.leggauss(240)
_U, _W = (_X + 1) / 2, _W0 / 2


def _sqrt_gen_chi2(lams: np.ndarray) -> float:
    """E[sqrt(sum lambda_i X_i)], X_i iid chi2_1: (1 / sqrt(pi)) int_0^oo (1 - prod (1 + 2 r^2 lambda)^(-1/2)) / r^2 dr.

    (The Laplace-transform identity sqrt(q) = (1 / (2 sqrt(pi))) int_0^oo (1 - e^(-s q)) s^(-3/2) ds, s = r^2,
    averaged: E[e^(-sQ)] = prod (1 + 2 s lambda_i)^(-1/2).) With r = u / (1 - u) the integrand is smooth on
    (0, 1) and bounded (sum lambda at u = 0, 1 at u = 1): a 240-point Gauss-Legendre rule.
    """
    r = _U / (1 - _U)
    one_minus_l = -np.expm1(-0.5 * np.log1p(2 * np.outer(r * r, lams)).sum(axis=1))
    return float(np.sum(_W * one_minus_l / (r * r) / (1 - _U) ** 2)) / math.sqrt(math.pi)


def two_generation_w2(estimator: str, n_model: int, n_real: int, s0: float) -> float:
    """E[W2^2] of generation 2 (D_0: M real points; D_1: n_model model and n_real fresh points), by quadrature.

    Given sigma_1, the M points of D_1 are jointly Gaussian with mean 0 (mu_1 ~ N(0, s0^2 / M) averaged out)
    and covariance s0^2/M on every model pair plus sigma_1^2 on the model diagonal, s0^2 on the real diagonal.
    """
    ddof, m = DDOF[estimator], n_model + n_real
    model = np.r_[np.ones(n_model), np.zeros(n_real)]
    P = np.eye(m) - 1.0 / m
    base = s0**2 / m * np.outer(model, model) + s0**2 * np.diag(1 - model)

    def es_given(v: float) -> float:  # E[sigma_2 | sigma_1^2 = s0^2 v / (M - ddof)]
        cov = base + s0**2 * v / (m - ddof) * np.diag(model)
        return _sqrt_gen_chi2(np.linalg.eigvalsh(P @ cov @ P)) / math.sqrt(m - ddof)

    k = m - 1  # sigma_1^2 (M - ddof) / s0^2 ~ chi2_k: density v^(k/2 - 1) e^(-v/2) / (2^(k/2) Gamma(k/2))
    log_norm = -(k / 2) * math.log(2) - math.lgamma(k / 2)

    def pdf(v: float) -> float:
        return math.exp(log_norm + (k / 2 - 1) * math.log(v) - v / 2) if v > 0 else 0.0

    hi = stats.chi2.isf(1e-17, k)
    es = integrate.quad(lambda v: es_given(v) * pdf(v), 0, hi, epsabs=0, epsrel=1e-11, limit=200)[0]
    mom = literal_moments(estimator, n_model, n_real, 2, Fraction(repr(float(s0))), 2)[2]
    return float(mom[(2, 0)]) + float(mom[(0, 2)]) - 2 * s0 * es + s0**2


def replace_w2(estimator: str, m: int, generations: int, s0: float = 1.0, dps: int = 30) -> mpmath.mpf:
    """E[W2^2] of generation G under replace, from the chi-square law of each refit (mpmath).

    sigma_g^2 = sigma_(g-1)^2 X_g / (M - ddof), X_g ~ chi2_(M-1) independent; mu_g - mu_(g-1) ~ N(0, sigma_(g-1)^2/M):
    E[sigma_G] = s0 c^G with c = E[sqrt(X / (M - ddof))] = sqrt(2 / (M - ddof)) Gamma(M/2) / Gamma((M-1)/2),
    E[sigma_G^2] = s0^2 r^G with r = (M - 1) / (M - ddof), E[mu_G^2] = s0^2 / M sum_(g<G) r^g.
    """
    with mpmath.workdps(dps):
        ddof = DDOF[estimator]
        half = mpmath.mpf(m) / 2
        c = mpmath.sqrt(mpmath.mpf(2) / (m - ddof)) * mpmath.gamma(half) / mpmath.gamma(half - mpmath.mpf(1) / 2)
        r = mpmath.mpf(m - 1) / (m - ddof)
        s0 = mpmath.mpf(s0)
        mu2 = s0**2 / m * sum(r**g for g in range(generations))
        return mu2 + s0**2 * r**generations - 2 * s0**2 * c**generations + s0**2


def gauss_rule(moments: list, n: int, dps: int = 40) -> tuple[list, list]:
    """n-point Gauss rule (nodes, weights) of the measure with moments mu_0..mu_(2n-1) (exact rationals), in mpmath.

    The recurrence coefficients by Chebyshev's algorithm (mixed moments sigma_(k,l); Gautschi, Orthogonal
    Polynomials: Computation and Approximation (2004), Algorithm 2.1), the nodes and weights from the
    eigen-decomposition of the Jacobi matrix (weights beta_0 v_0^2), at ``dps`` digits.
    """
    with mpmath.workdps(dps):
        def mpq(q):
            return mpmath.mpf(q.numerator) / q.denominator

        prev, sig = [mpmath.mpf(0)] * (2 * n), [mpq(Fraction(m)) for m in moments[:2 * n]]
        alpha, beta = [sig[1] / sig[0]], [sig[0]]
        for k in range(1, n):
            new = [mpmath.mpf(0)] * (2 * n)
            for l_ in range(k, 2 * n - k):
                new[l_] = sig[l_ + 1] - alpha[k - 1] * sig[l_] - beta[k - 1] * prev[l_]
            alpha.append(new[k + 1] / new[k] - sig[k] / sig[k - 1])
            beta.append(new[k] / sig[k - 1])
            prev, sig = sig, new
        J = mpmath.matrix(n, n)
        for i in range(n):
            J[i, i] = alpha[i]
            if i + 1 < n:
                J[i, i + 1] = J[i + 1, i] = mpmath.sqrt(beta[i + 1])
        E, Q = mpmath.eigsy(J)
        return [E[i] for i in range(n)], [beta[0] * Q[0, i] ** 2 for i in range(n)]


def sharp_sqrt_bounds(moments: list, dps: int = 40) -> tuple[float, float]:
    """The Markov-Krein bounds on E[sqrt t] from E[t^j], j = 0..24: (lo, hi).

    hi: the 12-point Gauss rule of t's law (moments j <= 23) applied to sqrt (the even derivatives of sqrt are
    < 0, so it overestimates); lo: the 12-point Gauss rule of the measure t dP (moments E[t^(j+1)], j + 1 <= 24)
    applied to t^(-1/2), i.e. a Gauss-Radau rule with a node at 0 (the even derivatives of t^(-1/2) are > 0:
    it underestimates). The lower and upper principal representations of m_0..m_24 on [0, oo).
    """
    with mpmath.workdps(dps):
        x, w = gauss_rule(moments, 12, dps)
        hi = mpmath.fsum(wi * mpmath.sqrt(xi) for xi, wi in zip(x, w))
        x, w = gauss_rule(moments[1:], 12, dps)
        lo = mpmath.fsum(wi / mpmath.sqrt(xi) for xi, wi in zip(x, w))
        return float(lo), float(hi)


# ------------------------------------------------------------------ the discrete chain, enumerated
def _compositions(m: int, k: int):
    if k == 1:
        yield (m,)
        return
    for a in range(m + 1):
        for rest in _compositions(m - a, k - 1):
            yield (a, *rest)


@functools.cache
def _multinomial(m: int, p: tuple) -> dict:
    """The law of the counts of m categorical draws with probabilities p: m! / prod c! prod p^c."""
    out = {}
    for c in _compositions(m, len(p)):
        w = Fraction(math.factorial(m))
        for ck, pk in zip(c, p):
            w *= Fraction(pk) ** ck / math.factorial(ck)
        if w:
            out[c] = w
    return out


def enumerated_kept(p0: tuple, tail: tuple, schedule: tuple, n_real: int = 0) -> Fraction:
    """E[p_0-mass of the tail states in generation G's model] / tail mass, over every count vector (exact).

    D_0 ~ Multinomial(M_0, p_0); D_(g+1) = Multinomial(M_(g+1) - n_real, counts_g / M_g) + Multinomial(n_real, p_0);
    generation G's model is the frequencies of D_(G-1): it has state i iff D_(G-1) counted it.
    """
    law = _multinomial(schedule[0], p0)
    for m_prev, m in itertools.pairwise(schedule):
        new: dict = {}
        fresh = _multinomial(n_real, p0) if n_real else {(0,) * len(p0): Fraction(1)}
        for c, w in law.items():
            model = _multinomial(m - n_real, tuple(Fraction(x, m_prev) for x in c))
            for a, wa in model.items():
                for b, wb in fresh.items():
                    key = tuple(x + y for x, y in zip(a, b))
                    new[key] = new.get(key, 0) + w * wa * wb
        law = new
    mass = sum(p0[i] for i in tail)
    return sum((w * sum(p0[i] for i in tail if c[i] > 0) for c, w in law.items()), Fraction(0)) / mass


def _zipf(k: int, s: int) -> tuple:
    """p_0(j) = j^(-s) / sum_i i^(-s), j = 1..k (integer s: exact rationals)."""
    w = [Fraction(1, j**s) for j in range(1, k + 1)]
    return tuple(x / sum(w) for x in w)


def _tail(p0: tuple, q: Fraction) -> tuple:
    """The ceil(q K) states of smallest p_0, ties by index (sorted indices)."""
    n = math.ceil(q * len(p0))
    return tuple(sorted(sorted(range(len(p0)), key=lambda i: (p0[i], i))[:n]))


# ------------------------------------------------------------------ helpers of the checks
def _levels(values: list, decreasing: bool) -> list[tuple[int, float]]:
    """(k, level) with the level halfway between values[k - 1] and values[k], wherever those differ."""
    out = []
    for k in range(1, len(values)):
        a, b = float(values[k - 1]), float(values[k])
        if (a > b) if decreasing else (a < b):
            out.append((k, 0.5 * (a + b)))
    return out


def _knob_of(e) -> int | None:
    return None if e is None else int(e.knob_value)


def _interval_p(mean: float, se: float, lo: float, hi: float) -> float:
    """Two-sided p-value of 'the simulated mean's expectation lies in [lo, hi]' (z from the nearer end)."""
    d = max(lo - mean, mean - hi, 0.0)
    return float(2 * stats.norm.sf(d / se)) if se > 0 else (1.0 if d == 0 else 0.0)


#: chains per batch of a simulation (bounds the memory of one call of the loop)
_BATCH = 250_000


def _loop_quantity(family: str, regime: str, schedule: tuple, chains: int, rng: np.random.Generator, *,
                   estimator: str = "unbiased", p0=None, tail=None) -> tuple[float, float]:
    """(mean, standard error) over ``chains`` literal chains of W2^2 (gaussian, truth N(0, 1)) or of the
    kept tail mass (discrete) in the last generation's model."""
    xs = []
    for start in range(0, chains, _BATCH):
        c = min(_BATCH, chains - start)
        if family == "gaussian":
            st = run_chain(GaussianFamily(estimator), GaussianParams(np.zeros(c), np.ones(c)), schedule, rng,
                           regime=regime)
            xs.append(st.params.mean**2 + (np.sqrt(st.params.var) - 1.0) ** 2)
        else:
            p = np.asarray(p0, dtype=float)
            st = run_chain(DiscreteFamily(p.size), DiscreteParams(np.broadcast_to(p, (c, p.size)).copy()),
                           schedule, rng, regime=regime)
            xs.append((st.params.probs[:, list(tail)] > 0) @ p[list(tail)] / p[list(tail)].sum())
    x = np.concatenate(xs)
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))


# ------------------------------------------------------------------ checks: fresh data
#: (estimator, n_model, n_real, generations, degree) of the literal-point moment comparison
_LITERAL_CASES = (("unbiased", 1, 2, 3, 8), ("mle", 2, 1, 3, 8), ("unbiased", 3, 2, 3, 4), ("mle", 1, 1, 4, 8))


def _check_moments_literal(ctx: Context) -> Outcome:
    s0 = Fraction(3, 2)
    bad, n = [], 0
    for est, nm, nr, G, deg in _LITERAL_CASES:
        mine = literal_moments(est, nm, nr, G, s0, deg)
        theirs = A.gaussian_moments(est, "fresh", [nm + nr] * G, float(s0), n_real=nr, order=deg // 4, exact=True)
        for g in range(G + 1):
            for key, v in theirs[g].items():
                n += 1
                if v != mine[g][key]:
                    bad.append(f"{est}, (n_model, n_real) = ({nm}, {nr}), g = {g}: E[D^{key[0]} S^{key[1]}] = {v} "
                               f"vs {mine[g][key]} from the literal points")
    return Outcome(f"{n} joint moments E[(mu_g - mu_0)^a sigma_g^b] (a + b <= 8, sigma_0 = 3/2, both estimators, "
                   "shares (1, 2), (2, 1), (3, 2), (1, 1), up to g = 4) of gaussian_moments(exact) against the "
                   "literal points expanded and averaged over their normals generation by generation: "
                   + ("all equal exactly" if not bad else f"{len(bad)} differ: " + "; ".join(bad[:3])),
                   ok=not bad, witness=bad[:1] or None)


#: (estimators, M, G) of the replace chains whose E[sigma_G] is bracketed against the chi-square product
_REPLACE_GRID = (("unbiased", "mle"), (3, 5, 10, 30, 100, 1000), (1, 2, 5, 10, 20))


def _check_sqrt_bounds(ctx: Context) -> Outcome:
    """E[sqrt t] known exactly: scaled chi-square laws, and sigma_G of the replace chain (a product of them)."""
    bad, worst, dev = [], 0.0, 0.0
    for k in (1, 2, 3, 5, 10, 40):  # t = X / k, X ~ chi2_k
        mom = [math.prod(Fraction(k + 2 * i, k) for i in range(j)) for j in range(25)]
        exact = math.sqrt(2 / k) * math.exp(math.lgamma((k + 1) / 2) - math.lgamma(k / 2))
        lo, hi = A.sqrt_mean_bounds(mom)
        if not lo <= exact <= hi:
            bad.append(f"chi2_{k}/{k}: [{lo}, {hi}] misses E[sqrt t] = {exact}")
        worst = max(worst, (hi - lo) / exact)
        if k <= 5:  # sharp: the 40-digit Markov-Krein bounds of the same exact moments
            s_lo, s_hi = sharp_sqrt_bounds(mom)
            dev = max(dev, abs(lo - s_lo) / s_lo, abs(hi - s_hi) / s_hi)
            if abs(lo - s_lo) > 1e-13 * s_lo or abs(hi - s_hi) > 1e-13 * s_hi:
                bad.append(f"chi2_{k}/{k}: [{lo!r}, {hi!r}] is not the sharp bracket [{s_lo!r}, {s_hi!r}]")
    ests, Ms, Gs = _REPLACE_GRID
    n = 0
    for est in ests:
        for m in Ms:
            for s0 in ((1.0, 1.5) if m == 10 else (1.0,)):
                brackets = A.w2_brackets(est, "replace", [m] * max(Gs), s0, generations=Gs)
                for G in Gs:
                    lo, hi = brackets[G]
                    exact = float(replace_w2(est, m, G, s0))
                    n += 1
                    if not lo <= exact <= hi:
                        bad.append(f"replace, {est}, M = {m}, G = {G}, sigma_0 = {s0}: E[W2^2] bracket "
                                   f"[{lo:.10g}, {hi:.10g}] misses {exact:.10g}")
    return Outcome("sqrt_mean_bounds from exact E[t^j], j <= 24, contains E[sqrt t] of t = chi2_k / k, k in (1, 2, 3, 5, 10, "
                   f"40) (a Gamma-function ratio; widest bracket {worst:.2e} relative) and, for k <= 5, equals the "
                   "sharp Markov-Krein bracket of those moments (Chebyshev's algorithm and the Jacobi matrix at 40 "
                   f"digits; largest deviation {dev:.1e} relative); the verified E[W2^2] bracket of w2_brackets "
                   f"(Decimal moments at increasing precision) under replace contains the chi-square product at {n} (estimator, M, G, sigma_0), "
                   f"M in {Ms}, G in {Gs}, sigma_0 = 1 (and 1.5 at M = 10)"
                   + ("" if not bad else "; FAILED: " + "; ".join(bad[:3])), ok=not bad, witness=bad[:1] or None)


#: (estimator, M) of the two-generation checks: every n_real = 0..M
_TWO_GEN = (("unbiased", 4), ("mle", 3))


def _check_two_generations(ctx: Context) -> Outcome:
    """G = 2: brackets contain the quadrature value at every n_real; the search against the scan."""
    bad, parts = [], []
    for est, M in _TWO_GEN:
        exact = [two_generation_w2(est, M - n, n, 1.0) for n in range(M + 1)]
        selfcheck = abs(exact[0] - float(replace_w2(est, M, 2))) <= 1e-10 * exact[0]
        if not selfcheck:
            bad.append(f"{est}, M = {M}: the quadrature at n_real = 0 is {exact[0]}, the chi-square product "
                       f"{float(replace_w2(est, M, 2))}")
        pr = A.Problem(family="gaussian", target="w2", level=1.0, generations=2, knob="fresh", samples=M,
                       estimator=est)
        ev = [A.evaluate(pr, n) for n in range(M + 1)]
        for n, (e, x) in enumerate(zip(ev, exact)):
            if not e.lo - 1e-9 * x <= x <= e.hi + 1e-9 * x:
                bad.append(f"{est}, M = {M}, n_real = {n}: bracket [{e.lo:.6g}, {e.hi:.6g}] misses {x:.8g}")
            if Regime.parse(e.regime).shares(M) != (M - n, 0, n):
                bad.append(f"{est}, M = {M}, n_real = {n}: regime {e.regime} trains on "
                           f"{Regime.parse(e.regime).shares(M)}, not ({M - n}, 0, {n})")
        for _, level in _levels([e.hi for e in ev], decreasing=True):
            adv = A.advise(A.Problem(family="gaussian", target="w2", level=level, generations=2, knob="fresh",
                                     samples=M, estimator=est))
            want = min(n for n in range(M + 1) if ev[n].hi <= level)
            necessary = min(n for n in range(M + 1) if ev[n].lo <= level)
            got = (_knob_of(adv.answer), _knob_of(adv.below), adv.necessary)
            expect = (want, want - 1 if want else None, necessary if any(e.lo != e.hi for e in ev[:want + 1])
                      else None)
            if not adv.met or got[:2] != expect[:2] or (adv.necessary is not None and adv.necessary != necessary):
                bad.append(f"{est}, M = {M}, eps = {level:.6g}: (answer, below, necessary) = {got}, the scan "
                           f"gives {expect}")
            elif exact[want] > level or any(exact[k] <= level for k in range(necessary)):
                bad.append(f"{est}, M = {M}, eps = {level:.6g}: the exact values {np.round(exact, 6).tolist()} "
                           f"contradict answer {want} / necessary {necessary}")
        parts.append(f"{est}, M = {M}: E[W2^2] = " + ", ".join(f"{x:.5f}" for x in exact))
    return Outcome("generation 2, every n_real = 0..M: the exact E[W2^2] (generalised chi-square by quadrature; at "
                   "n_real = 0 equal to the chi-square product) lies in the advisor's bracket, the reported regime "
                   "trains on (M - n_real, 0, n_real) points; at levels between neighbouring upper bounds the "
                   "answer is the scan's smallest certified value, the exact value there meets the level and every "
                   "value below 'necessary' fails it (" + "; ".join(parts) + ")"
                   + ("" if not bad else "; FAILED: " + "; ".join(bad[:3])), ok=not bad, witness=bad[:1] or None)


#: the enumerated discrete problems: (Zipf K, exponent, tail quantile, M, G)
_DISCRETE_FRESH = (3, 1, Fraction(2, 3), 4, 3)


def _check_discrete_fresh(ctx: Context) -> Outcome:
    K, s, q, M, G = _DISCRETE_FRESH
    p0 = _zipf(K, s)
    tail = _tail(p0, q)
    bad = []
    p0f = A.zipf_truth(K, float(s))
    if max(abs(a - float(b)) for a, b in zip(p0f, p0)) > 1e-15:
        bad.append(f"zipf_truth({K}, {s}) = {p0f}, the definition gives {[str(x) for x in p0]}")
    if tuple(int(i) for i in A.tail_states(p0f, float(q))) != tail:
        bad.append(f"tail_states(q = {q}) = {A.tail_states(p0f, float(q)).tolist()}, the definition gives {tail}")
    exact = [enumerated_kept(p0, tail, (M,) * G, n) for n in range(M + 1)]
    pr = A.Problem(family="discrete", target="kept", level=0.5, generations=G, knob="fresh", samples=M, p0=p0f,
                   tail=float(q))
    for n in range(M + 1):
        e = A.evaluate(pr, n)
        if abs(e.lo - float(exact[n])) > 1e-12 or e.lo != e.hi:
            bad.append(f"n_real = {n}: advisor {e.lo!r}, enumeration {float(exact[n])!r}")
        if Regime.parse(e.regime).shares(M) != (M - n, 0, n):
            bad.append(f"n_real = {n}: regime {e.regime} trains on {Regime.parse(e.regime).shares(M)}")
    levels = _levels(exact, decreasing=False)
    # and a level every value meets (answer 0, nothing below), and one none meets (the best value, not met)
    for k, level in levels + [(0, 0.5 * float(exact[0])), (None, 0.99)]:
        adv = A.advise(dataclasses.replace(pr, level=level))
        got = (adv.met, _knob_of(adv.answer), _knob_of(adv.below))
        want = (True, k, k - 1 if k else None) if k is not None else (False, M, None)
        if got != want:
            bad.append(f"tau = {level:.6g}: (met, answer, below) = {got}, enumeration gives {want}")
    return Outcome(f"K = {K}, p_0 ~ k^-{s} = {[str(x) for x in p0]}, tail {tail}, M = {M}, G = {G}: kept tail mass "
                   "by enumerating every count vector (rationals) for n_real = 0..M: "
                   + ", ".join(f"{float(x):.6f}" for x in exact) + f"; the advisor's values agree to 1e-12, its "
                   f"regimes train on (M - n, 0, n); at {len(levels)} levels between neighbouring values the answer "
                   "is the enumeration's smallest meeting value and the value below it fails; a level n_real = 0 meets "
                   "answers 0, an unreachable one the best value, not met"
                   + ("" if not bad else "; FAILED: " + "; ".join(bad[:3])),
                   ok=not bad, witness=bad[:1] or None)




#: the literal-loop problems of the fresh-data claim
_SIM_GAUSS_FRESH = {"estimator": "unbiased", "samples": 5, "generations": 3, "level": 0.45}
_SIM_DISCRETE_FRESH = {"states": 6, "zipf": 1.0, "tail": 0.5, "samples": 10, "generations": 4, "level": 0.5}
#: chains of each simulated knob value (W2^2 has a relative spread ~1.2, the kept mass ~0.5): an mde below 1%
_SIM_CHAINS = {"gaussian": 1_250_000, "discrete": 250_000, "gaussian-replace": 900_000}


def _simulate_pair(ctx: Context, name: str, family: str, problem, adv, chains: int, **kw) -> tuple[list, list, list]:
    """Simulate the answer and the value below through the loop; (p-values, relative standard errors, text)."""
    ps, rel, text = [], [], []
    for which, e in (("answer", adv.answer), ("below", adv.below)):
        C = chains * ctx.scale
        mean, se = _loop_quantity(family, e.regime, e.schedule, C, ctx.rng(f"{name}-{which}"), **kw)
        ps.append(_interval_p(mean, se, e.lo, e.hi))
        rel.append(se / min(abs(e.lo), abs(e.hi)))
        exact = f"{e.lo:.5f}" if e.lo == e.hi else f"[{e.lo:.5f}, {e.hi:.5f}]"
        meets = mean <= problem.level if problem.at_most else mean >= problem.level
        text.append(f"{which} {e.knob_value:g} ({e.regime}, {C} chains): {mean:.5f} +- {se:.5f} vs {exact} "
                    f"(p = {ps[-1]:.2g}; simulated {'meets' if meets else 'misses'} the level)")
    return ps, rel, text


def _check_fresh_loop(ctx: Context) -> Outcome:
    g = _SIM_GAUSS_FRESH
    pg = A.Problem(family="gaussian", target="w2", level=g["level"], generations=g["generations"], knob="fresh",
                   samples=g["samples"], estimator=g["estimator"])
    ag = A.advise(pg)
    d = _SIM_DISCRETE_FRESH
    p0 = A.zipf_truth(d["states"], d["zipf"])
    pd = A.Problem(family="discrete", target="kept", level=d["level"], generations=d["generations"], knob="fresh",
                   samples=d["samples"], p0=p0, tail=d["tail"])
    ad = A.advise(pd)
    if not (ag.met and ad.met and ag.below is not None and ad.below is not None):
        return Outcome(f"the problems have no interior answer: {ag.answer}, {ad.answer}", p_value=0.0, mde=0.0,
                       moment=True)
    ps, rel, text = _simulate_pair(ctx, "fresh-gauss", "gaussian", pg, ag, _SIM_CHAINS["gaussian"],
                                   estimator=g["estimator"])
    ps2, rel2, text2 = _simulate_pair(ctx, "fresh-discrete", "discrete", pd, ad, _SIM_CHAINS["discrete"], p0=p0,
                                      tail=tuple(int(i) for i in A.tail_states(p0, d["tail"])))
    mde = max(mde_z(r, ctx.alpha, k=4) for r in rel + rel2)
    return Outcome(f"literal loop under the advisor's regime strings. Gaussian E[W2^2] <= {g['level']}, M = "
                   f"{g['samples']}, G = {g['generations']}: " + "; ".join(text) + f". Discrete kept tail mass >= "
                   f"{d['level']}, K = {d['states']}, Zipf {d['zipf']:g}, tail {d['tail']:g}, M = {d['samples']}, "
                   f"G = {d['generations']}: " + "; ".join(text2) + f". Detects a value outside the advisor's "
                   f"bracket by >= {mde:.2%} relative, probability 0.99 at alpha = {ctx.alpha:.2g}",
                   p_value=bonferroni(ps + ps2), mde=mde, moment=True)


# ------------------------------------------------------------------ checks: the sample size
#: (estimator, G, answers M* placed between neighbouring exact values) of the Gaussian search check
_SAMPLES_GAUSS = (("unbiased", 1, (2, 3, 4, 5, 9, 17, 40)), ("mle", 4, (2, 3, 8, 33, 100)))
#: the enumerated discrete problem of the samples knob: (K, exponent, tail, G, largest M)
_SAMPLES_DISCRETE = (3, 1, Fraction(1, 3), 3, 6)


def _check_samples_exact(ctx: Context) -> Outcome:
    bad, n = [], 0
    for est, G, answers in _SAMPLES_GAUSS:
        for want in answers:
            v_at = float(replace_w2(est, want, G))
            level = 1.01 * v_at if want == 2 else 0.5 * (v_at + float(replace_w2(est, want - 1, G)))
            adv = A.advise(A.Problem(family="gaussian", target="w2", level=level, generations=G, knob="samples",
                                     estimator=est))
            n += 1
            got = (adv.met, _knob_of(adv.answer), _knob_of(adv.below))
            if got != (True, want, want - 1 if want > 2 else None):
                bad.append(f"{est}, G = {G}, eps = {level:.6g}: (met, answer, below) = {got}, exact answer {want}")
            elif abs(adv.answer.hi - v_at) > 1e-12 * v_at or adv.answer.lo != adv.answer.hi:
                bad.append(f"{est}, G = {G}, M = {want}: advisor E[W2^2] [{adv.answer.lo!r}, {adv.answer.hi!r}], "
                           f"chi-square product {v_at!r}")
            elif adv.below is not None and abs(adv.below.lo - float(replace_w2(est, want - 1, G))) > 1e-12:
                bad.append(f"{est}, G = {G}, M = {want - 1}: advisor {adv.below.lo!r}")
    K, s, q, G, top = _SAMPLES_DISCRETE
    p0 = _zipf(K, s)
    tail = _tail(p0, q)
    exact = [None] + [enumerated_kept(p0, tail, (m,) * G) for m in range(1, top + 1)]
    for want, level in _levels(exact[1:], decreasing=False):
        want += 1  # _levels indexes from M = 1
        adv = A.advise(A.Problem(family="discrete", target="kept", level=level, generations=G, knob="samples",
                                 p0=A.zipf_truth(K, float(s)), tail=float(q)))
        n += 1
        got = (adv.met, _knob_of(adv.answer), _knob_of(adv.below))
        if got != (True, want, want - 1) or abs(adv.answer.lo - float(exact[want])) > 1e-12:
            bad.append(f"discrete, tau = {level:.6g}: (met, answer, below) = {got} at {adv.answer.lo!r}, enumeration "
                       f"gives M = {want} at {float(exact[want])!r}")
    return Outcome(f"{n} problems with the level halfway between the exact values of M* - 1 and M*: Gaussian E[W2^2] "
                   "from the chi-square law of each refit (mpmath; both estimators, G = 1 and 4, M* from 2 to 100 "
                   "across the doubling's steps), the discrete kept tail mass by enumerating every count vector "
                   f"(K = {K}, tail {tail}, G = {G}, M = 1..{top}); the advisor answers M* with M* - 1 below and "
                   "their values to 1e-12" + ("" if not bad else "; FAILED: " + "; ".join(bad[:3])),
                   ok=not bad, witness=bad[:1] or None)


_SIM_GAUSS_SAMPLES = {"estimator": "mle", "generations": 2, "level": 0.8}


def _check_samples_loop(ctx: Context) -> Outcome:
    g = _SIM_GAUSS_SAMPLES
    pr = A.Problem(family="gaussian", target="w2", level=g["level"], generations=g["generations"], knob="samples",
                   estimator=g["estimator"])
    adv = A.advise(pr)
    if not adv.met or adv.below is None:
        return Outcome(f"no interior answer: {adv.answer}", p_value=0.0, mde=0.0, moment=True)
    ps, rel, text = _simulate_pair(ctx, "samples-gauss", "gaussian", pr, adv, _SIM_CHAINS["gaussian-replace"],
                                   estimator=g["estimator"])
    mde = max(mde_z(r, ctx.alpha, k=2) for r in rel)
    return Outcome(f"literal loop (replace), Gaussian E[W2^2] <= {g['level']}, {g['estimator']}, G = "
                   f"{g['generations']}: " + "; ".join(text) + f"; detects a relative error >= {mde:.2%} with "
                   f"probability 0.99 at alpha = {ctx.alpha:.2g}", p_value=bonferroni(ps), mde=mde, moment=True)


# --------------------------------------------------------------------- claims
FRESH = Claim(
    id="advise-fresh-data",
    title="The advisor's fraction of fresh real data meets the target at generation G, the value below does not",
    statement=("collapse advise --knob fresh answers the smallest n_real (the loop trains on M - n_real model and "
               "n_real fresh points per generation) that meets the target at generation G by an exact computation. "
               "Gaussian, E[W2^2] <= eps: E[W2^2] lies in the advisor's bracket [lo, hi] (exact joint moments of "
               "(mu_G, sigma_G), the sharp (Markov-Krein) bounds on E[sigma_G] given E[sigma_G^(2j)], j <= 12), hi <= "
               "eps at the answer, hi > eps at the "
               "value below (it is not certified), and every value below the reported 'necessary' has lo > eps (it "
               "fails for certain). Discrete, kept tail mass >= tau: the per-state count chain gives the exact "
               "value; the answer meets tau and the value below does not."),
    source=f"{PAPER}; collapse.analytic.advise (the advisor's derivation)",
    proof=(
        Check("fresh-moments-literal", "certificate", "joint moments of (mu_g, sigma_g) under fresh data",
              _check_moments_literal,
              route="the literal points of every training set expanded as polynomials in their standard normals and "
                    "averaged generation by generation, exact rationals (no Cochran decomposition or Stein identity)"),
        Cited("markov-krein", "given E[t^j], j <= 2n, the largest and smallest E[f(t)] over laws on [0, oo) "
              "with those moments, for f with even derivatives of one sign, are attained by Gauss and Gauss-Radau "
              "rules (the principal representations)",
              "Krein & Nudel'man, The Markov Moment Problem and Extremal Problems (1977), Chapter III; Karlin & "
              "Studden, Tchebycheff Systems (1966), Chapter IV"),
        Check("fresh-sqrt-bounds", "certificate", "the bounds on E[sqrt t] contain the exact value and are sharp",
              _check_sqrt_bounds,
              route="laws with E[sqrt t] in closed form: scaled chi-square (Gamma ratio) and the replace chain's "
                    "sigma_G (products of independent chi-square refits, mpmath); the sharp bracket by Chebyshev's "
                    "algorithm at 40 digits from exact rational moments"),
        Check("fresh-w2-two-generations", "certificate", "G = 2: bracket, answer and 'necessary' against exact E[W2^2]",
              _check_two_generations,
              route="generalised chi-square by quadrature of the Laplace transform, covariance typed from the draws; "
                    "an exhaustive scan of every n_real; simulate.loop.Regime.shares for the regime string"),
        Check("fresh-discrete-enumerated", "certificate", "kept tail mass and answers by enumeration",
              _check_discrete_fresh,
              route="every count vector of every generation enumerated in rationals (multinomial model and fresh "
                    "draws), p_0 and its tail from their definitions"),
    ),
    evidence=(Check("fresh-answer-loop", "simulation", "the answer and the value below through the literal loop",
                    _check_fresh_loop,
                    route="collapse.simulate.loop.run_chain with GaussianFamily / DiscreteFamily under the advisor's "
                          "regime strings: draw, refit, generation after generation"),),
    parts=(
        Part("the loop trains on M - n_real model and n_real fresh points per generation",
             ("fresh-w2-two-generations", "fresh-discrete-enumerated", "fresh-answer-loop")),
        Part("E[W2^2] lies in the advisor's bracket [lo, hi]",
             ("fresh-moments-literal", "fresh-sqrt-bounds", "fresh-w2-two-generations", "fresh-answer-loop")),
        Part("the bracket is the sharp one given the moments", ("fresh-sqrt-bounds",)),
        Part("hi <= eps at the answer, hi > eps at the value below; below 'necessary' lo > eps",
             ("fresh-w2-two-generations",)),
        Part("discrete: the exact kept tail mass meets tau at the answer and not at the value below",
             ("fresh-discrete-enumerated", "fresh-answer-loop")),
    ),
)

SAMPLES = Claim(
    id="advise-sample-size",
    title="The advisor's sample size meets the target at generation G, one sample fewer does not",
    statement=("collapse advise --knob samples (replace, constant M) answers the smallest M whose exact value meets "
               "the target at generation G: Gaussian E[W2^2] <= eps (Theorem 3.1's exact E[W2^2]) and discrete kept "
               "tail mass >= tau; at M - 1 the target is missed."),
    source=f"{PAPER}, Theorem 3.1; collapse.analytic.advise",
    proof=(
        Check("samples-search-exact", "certificate", "answers at levels between the exact values of M* - 1 and M*",
              _check_samples_exact,
              route="E[W2^2] re-derived from the chi-square law of each refit (mpmath); the discrete chain by "
                    "enumerating every count vector in rationals"),
    ),
    evidence=(Check("samples-answer-loop", "simulation", "the answer and M - 1 through the literal loop",
                    _check_samples_loop,
                    route="collapse.simulate.loop.run_chain with GaussianFamily (replace): draw, refit"),),
    parts=(
        Part("Gaussian: E[W2^2] <= eps at the answer M, not at M - 1", ("samples-search-exact", "samples-answer-loop")),
        Part("discrete: kept tail mass >= tau at the answer M, not at M - 1", ("samples-search-exact",)),
    ),
)

ORDER = 220
CLAIMS = (FRESH, SAMPLES)
#: `collapse advise` is no `collapse theory` subcommand: nothing of it is listed there
THEORY_OUTPUTS: dict = {}
