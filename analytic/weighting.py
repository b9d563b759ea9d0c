r"""Weighting real against synthetic data, and verifying synthetic data, derived by sympy.

**Weighting** (He, Xu & Cheng 2025, "Golden ratio weighting prevents model collapse",
arXiv 2502.18049; the toolkit's ``weight:W,K`` regime). Each generation fits the 1-D
Gaussian to n_r fresh real points from p_0 = N(mu_0, sigma_0^2) and n_s = K n_r points
drawn from the current fit N(mu_t, sigma_t^2), with total weight w on the real part and
1 - w on the synthetic part (each real point w / n_r, each synthetic point (1 - w) / n_s):
mean m = sum_i w_i x_i, variance sum_i w_i (x_i - m)^2 (``mle``), divided by
1 - sum_i w_i^2 for ``unbiased`` (reliability weights). From the first two moments of the
two groups, a_t = E[(mu_t - mu_0)^2] and b_t = E[sigma_t^2] obey a *linear* recursion
(:func:`weight_step`), with a fixed point (:func:`weight_fixed_point`). To leading order in
1/n_r (and exactly when the variance is known, :func:`known_variance_fixed_point`)

    n_r a_oo / sigma_0^2  ->  f(w, K) = (w^2 + (1 - w)^2 / K) / (w (2 - w)),   b_oo -> sigma_0^2,

minimised on (0, 1] at the root of K w^2 + w - 1 = 0,

    w*(K) = (sqrt(1 + 4 K) - 1) / (2 K)  =  (sqrt(k^2 + 4 k) - k) / 2   at   k = 1 / K,

where f(w*) = w*; K = 1 gives (sqrt 5 - 1)/2, the reciprocal of the golden ratio. The
paper's expression (sqrt(k^2 + 4k) - k)/2 is the minimiser when k is the *real-to-synthetic*
ratio n_r / n_s; in the toolkit's K (synthetic-to-real, ``weight:W,K``) it is w*(K) above.

**Verification** (``curate:Q``, after Feng, Dohmatob, Yang, Charton & Kempe 2024, "Beyond model
collapse: scaling up with synthesized data requires verification", arXiv 2406.07515, whose
theory is for classification with a pruner; here a verifier for density estimation): each
candidate x drawn from the model is kept with probability a_Q(x) = (p_0(x) / max p_0)^Q, until
M are kept. Kept points of N(mu, s^2) are N(m', v') with 1/v' = 1/s^2 + Q/sigma_0^2 and
m' = v' (mu/s^2 + Q mu_0/sigma_0^2) (:func:`curate_gaussian_kept`); refitting on them,
E[1/sigma_(n+1)^2 | F_n] = (M - ddof)/(M - 3) (1/sigma_n^2 + Q/sigma_0^2)
(:func:`curate_precision_step`), E[sigma_n^2] <= sigma_0^2 / (1 + n Q) for the unbiased fit
(:func:`curate_variance_bound`), the mean is contracted towards mu_0 (:func:`curate_mean_step`,
:func:`curate_mean_bound`). For the discrete chain the kept pmf is the tilted pmf
p(i) t_i / sum_j p(j) t_j, t_i = (p_0(i)/max p_0)^Q (:func:`tilted_pmf`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import sympy as sp
from collapse.core.validation import (
    InvalidArgument,
    check_choice,
    check_int,
    check_positive_real,
)

__all__ = [
    "ESTIMATORS",
    "K",
    "M",
    "Q",
    "a",
    "b",
    "curate_discrete_step",
    "curate_gaussian_kept",
    "curate_gaussian_step",
    "curate_lost_mass",
    "curate_lost_mass_expr",
    "curate_mean_bound",
    "curate_mean_step",
    "curate_precision",
    "curate_precision_step",
    "curate_variance_bound",
    "curate_variance_map",
    "curate_w2_bounds",
    "group_moments",
    "inverse_chi2_mean",
    "k",
    "known_variance_fixed_point",
    "leading_mean_error",
    "limiting_mean_error",
    "limiting_moments",
    "mu",
    "mu0",
    "n",
    "n_r",
    "n_s",
    "naive_weight_expr",
    "optimal_weight",
    "optimal_weight_expr",
    "paper_optimal_weight_expr",
    "s2",
    "sigma0",
    "tilted_pmf",
    "u",
    "w",
    "weight_fixed_point",
    "weight_step",
    "x",
]

ESTIMATORS = ("unbiased", "mle")

w = sp.Symbol("w", positive=True)  # total weight of the real part, 0 < w <= 1
K = sp.Symbol("K", positive=True)  # synthetic-to-real size ratio n_s / n_r (the toolkit's weight:W,K)
k = sp.Symbol("k", positive=True)  # the paper's ratio in (sqrt(k^2 + 4k) - k)/2: real-to-synthetic, 1/K
n_r = sp.Symbol("n_r", positive=True)  # real points per generation
n_s = sp.Symbol("n_s", positive=True)  # synthetic points per generation
sigma0 = sp.Symbol("sigma0", positive=True)
mu0 = sp.Symbol("mu0", real=True)
mu = sp.Symbol("mu", real=True)  # current model mean
s2 = sp.Symbol("s2", positive=True)  # current model variance
a = sp.Symbol("a", nonnegative=True)  # E[(mu_t - mu_0)^2]
b = sp.Symbol("b", positive=True)  # E[sigma_t^2]
x = sp.Symbol("x", real=True)
Q = sp.Symbol("Q", nonnegative=True)  # verifier strength
M = sp.Symbol("M", integer=True, positive=True)  # kept points per generation
n = sp.Symbol("n", integer=True, nonnegative=True)  # generation
u = sp.Symbol("u", positive=True)  # a precision 1/sigma^2
_e = sp.Symbol("e", real=True)  # mu_t - mu_0


# ------------------------------------------------------------------ weighting
def group_moments(groups) -> dict[str, sp.Expr]:
    r"""First two moments of the weighted fit of independent groups of iid points.

    ``groups``: ``(total_weight, count, mean, variance)`` per group; every point of a group gets
    total_weight / count. With m = sum_i w_i x_i and S = sum_i w_i (x_i - m)^2 = sum_i w_i x_i^2 - m^2
    (the weights sum to 1): E[m] = sum W_g mu_g, Var m = sum W_g^2 v_g / n_g,
    E[sum w_i x_i^2] = sum W_g (v_g + mu_g^2), and ``sum_w2`` = sum_i w_i^2 = sum W_g^2 / n_g.
    """
    mean = sum(W * m_ for W, _, m_, _ in groups)
    var_m = sum(W**2 * v / c for W, c, _, v in groups)
    second = sum(W * (v + m_**2) for W, _, m_, v in groups)
    return {"mean": mean, "var_mean": var_m, "ss": sp.expand(second - var_m - mean**2),
            "sum_w2": sum(W**2 / c for W, c, _, _ in groups)}


@functools.cache
def weight_step(estimator: str = "unbiased") -> tuple[sp.Expr, sp.Expr]:
    r"""(a', b') = one generation of (E[(mu_t - mu_0)^2], E[sigma_t^2]) under ``weight:w,K``.

    Given the current fit (mu, s2), the real group is (w, n_r, mu_0, sigma_0^2), the synthetic group
    (1 - w, n_s, mu, s2) (:func:`group_moments`). E[(m - mu_0)^2 | fit] and E[S | fit] are affine in
    (mu - mu_0)^2 and s2 (checked), so their expectations are affine in (a, b): the recursion is exact.
    ``unbiased`` divides S by 1 - sum_i w_i^2.

    References: He, Xu & Cheng (2025), the Gaussian estimation setting (arXiv 2502.18049).
    """
    check_choice("estimator", estimator, ESTIMATORS)
    g = group_moments([(w, n_r, mu0, sigma0**2), (1 - w, n_s, mu0 + _e, s2)])
    err = sp.expand(g["var_mean"] + (g["mean"] - mu0) ** 2)
    out = []
    for expr in (err, g["ss"]):
        poly = sp.Poly(expr, _e, s2)
        if any(e1 % 2 or e1 + 2 * e2 > 2 for e1, e2 in poly.monoms()):  # only 1, e^2, s2 may appear
            raise AssertionError(f"moment step not affine in (e^2, s2): {expr}")
        out.append(expr.subs(_e**2, a).subs(s2, b))
    if estimator == "unbiased":
        out[1] = out[1] / (1 - g["sum_w2"])
    return sp.simplify(out[0]), sp.simplify(out[1])


@functools.cache
def weight_fixed_point(estimator: str = "unbiased") -> tuple[sp.Expr, sp.Expr]:
    """(a*, b*) solving (a, b) = :func:`weight_step` (the long-run mean error and expected variance)."""
    a1, b1 = weight_step(estimator)
    sol = sp.solve([sp.Eq(a, a1), sp.Eq(b, b1)], [a, b], dict=True)
    if len(sol) != 1:  # pragma: no cover - sympy regression
        raise RuntimeError(f"no unique fixed point of {a1}, {b1}")
    return sp.factor(sol[0][a]), sp.factor(sol[0][b])


@functools.cache
def known_variance_fixed_point() -> sp.Expr:
    """a* when the variance is not refitted (every fit has variance sigma_0^2): b = sigma_0^2 in the a-step."""
    a1, _ = weight_step("mle")
    return sp.factor(sp.solve(sp.Eq(a, a1.subs(b, sigma0**2)), a)[0])


@functools.cache
def leading_mean_error() -> sp.Expr:
    r"""f(w, K) = lim n_r a* / sigma_0^2 as n_r -> oo with n_s = K n_r (unbiased fit)."""
    a_star, _ = weight_fixed_point("unbiased")
    return sp.factor(sp.limit(n_r * a_star.subs(n_s, K * n_r) / sigma0**2, n_r, sp.oo))


@functools.cache
def optimal_weight_expr() -> sp.Expr:
    """The stationary point of :func:`leading_mean_error` in (0, 1]: the positive root of df/dw = 0."""
    f = leading_mean_error()
    num = sp.numer(sp.factor(sp.together(sp.diff(f, w))))
    if sp.Poly(num, w).degree() > 2:  # the derivation gives a quadratic; anything else is a broken f
        raise RuntimeError(f"df/dw has a numerator of degree > 2 in w: {num}")
    roots = [r for r in sp.solve(num, w) if r.is_positive is not False and sp.simplify(r.subs(K, 1)).is_positive]
    if len(roots) != 1:  # pragma: no cover
        raise RuntimeError(f"expected one positive stationary point, got {roots}")
    return sp.simplify(roots[0])


def paper_optimal_weight_expr() -> sp.Expr:
    """He, Xu & Cheng's stated optimum (sqrt(k^2 + 4k) - k)/2, in their ratio ``k``."""
    return (sp.sqrt(k**2 + 4 * k) - k) / 2


def naive_weight_expr() -> sp.Expr:
    """Unweighted pooling: every one of the n_r + n_s points weighs the same, so w = n_r/(n_r + n_s) = 1/(1 + K)."""
    return 1 / (1 + K)


# ------------------------------------------------------------------ verification: Gaussian
@functools.cache
def curate_gaussian_kept() -> dict[str, sp.Expr]:
    r"""The law of a kept point of N(mu, s2) under a_Q(x) = (p_0(x)/max p_0)^Q, p_0 = N(mu_0, sigma_0^2).

    The kept density is proportional to N(x; mu, s2) a_Q(x) = exp(c2 x^2 + c1 x + c0) / sqrt(2 pi s2):
    Gaussian with v' = -1/(2 c2), m' = c1 v', and the acceptance probability
    P(kept) = sqrt(v'/s2) exp(c0 + m'^2/(2 v')) (completing the square).
    Returns ``m``, ``v``, ``accept``.
    """
    log_density = -(x - mu) ** 2 / (2 * s2) - Q * (x - mu0) ** 2 / (2 * sigma0**2)
    c2, c1, c0 = sp.Poly(sp.expand(log_density), x).all_coeffs()
    v = sp.simplify(-1 / (2 * c2))
    m = sp.simplify(c1 * v)
    accept = sp.simplify(sp.sqrt(v / s2) * sp.exp(sp.factor(c0 + m**2 / (2 * v))))
    return {"m": m, "v": v, "accept": accept}


@functools.cache
def inverse_chi2_mean() -> sp.Expr:
    """E[1/X] for X ~ chi2_nu (nu > 2), integrated from the density: 1/(nu - 2), in nu = M - 1."""
    nu, t = sp.Symbol("nu", positive=True), sp.Symbol("t", positive=True)
    dens = t ** (nu / 2 - 1) * sp.exp(-t / 2) / (2 ** (nu / 2) * sp.gamma(nu / 2))
    val = sp.integrate(dens / t, (t, 0, sp.oo), conds="none")
    return sp.simplify(sp.gammasimp(val).subs(nu, M - 1))


def _ddof(estimator: str) -> int:
    return {"unbiased": 1, "mle": 0}[check_choice("estimator", estimator, ESTIMATORS)]


@functools.cache
def curate_precision_step(estimator: str = "unbiased") -> sp.Expr:
    r"""E[1/sigma_(n+1)^2 | F_n] in u = 1/sigma_n^2: sigma_(n+1)^2 = v' chi2_(M-1)/(M - ddof) (Cochran)."""
    v = curate_gaussian_kept()["v"].subs(s2, 1 / u)
    return sp.factor(sp.simplify((M - _ddof(estimator)) * inverse_chi2_mean() / v))


@functools.cache
def curate_precision(estimator: str = "unbiased") -> sp.Expr:
    """E[1/sigma_n^2] from 1/sigma_0^2 (rsolve of the affine :func:`curate_precision_step`), M > 3."""
    lam = sp.Function("lam")
    step = curate_precision_step(estimator)
    rho, c = sp.Poly(sp.expand(step), u).all_coeffs()
    sol = sp.rsolve(lam(n + 1) - rho * lam(n) - c, lam(n), {lam(0): 1 / sigma0**2})
    return sp.simplify(sol)


@functools.cache
def curate_variance_map(estimator: str = "unbiased") -> sp.Expr:
    """h(s2) = E[sigma_(n+1)^2 | sigma_n^2 = s2] = v' E[chi2_(M-1)]/(M - ddof): concave, increasing."""
    return sp.simplify(curate_gaussian_kept()["v"] * (M - 1) / (M - _ddof(estimator)))


@functools.cache
def curate_variance_bound(estimator: str = "unbiased") -> sp.Expr:
    r"""B_n >= E[sigma_n^2]: B_0 = sigma_0^2, B_(n+1) = h(B_n) (Jensen, h concave increasing).

    1/h(s2) is affine in 1/s2, so 1/B_n solves an affine recursion (rsolve); unbiased: sigma_0^2/(1 + n Q).
    """
    hinv = sp.expand(sp.simplify(1 / curate_variance_map(estimator).subs(s2, 1 / u)))
    rho, c = sp.Poly(hinv, u).all_coeffs()
    r = sp.Function("r")
    sol = sp.rsolve(r(n + 1) - rho * r(n) - c, r(n), {r(0): 1 / sigma0**2})
    return sp.simplify(1 / sol)


@functools.cache
def curate_mean_step() -> sp.Expr:
    """E[(mu_(n+1) - mu_0)^2 | mu_n = mu, sigma_n^2 = s2]: (m' - mu_0)^2 + v'/M (mean of M kept points)."""
    kept = curate_gaussian_kept()
    return sp.factor(sp.simplify((kept["m"] - mu0) ** 2)) + kept["v"] / M


def curate_mean_bound(generations: int, estimator: str = "unbiased") -> sp.Expr:
    r"""A bound on E[(mu_n - mu_0)^2] from mu_0: sum_(j < n) v'(B_j) / M.

    |m' - mu_0| <= |mu - mu_0| (a contraction) and E v'(sigma_j^2) <= v'(E sigma_j^2) <= v'(B_j)
    (v' concave and increasing in s2), so E[(mu_(j+1) - mu_0)^2] <= E[(mu_j - mu_0)^2] + v'(B_j)/M.
    Unbiased: (sigma_0^2/M) sum_(j=1..n) 1/(1 + j Q); Q = 0: n sigma_0^2/M (exact there).
    """
    gens = check_int("generations", generations, minimum=0)
    v = curate_gaussian_kept()["v"]
    bound = curate_variance_bound(estimator)
    return sp.simplify(sum((v.subs(s2, bound.subs(n, j)) / M for j in range(gens)), sp.Integer(0)))


def curate_w2_bounds(generations: int, estimator: str = "unbiased") -> tuple[sp.Expr, sp.Expr]:
    r"""(lower, upper) on E[W2^2(p_n, p_0)] = E[(mu_n - mu_0)^2] + E[(sigma_n - sigma_0)^2].

    lower: E(sigma - sigma_0)^2 >= sigma_0^2 - 2 sigma_0 sqrt(E sigma^2) >= sigma_0^2 - 2 sigma_0 sqrt(B_n);
    upper: (sigma - sigma_0)^2 <= sigma^2 + sigma_0^2, so <= mean bound + B_n + sigma_0^2.
    """
    gens = check_int("generations", generations, minimum=0)
    B = curate_variance_bound(estimator).subs(n, gens)
    return sp.simplify(sigma0**2 - 2 * sigma0 * sp.sqrt(B)), sp.simplify(curate_mean_bound(gens, estimator) + B + sigma0**2)


# ------------------------------------------------------------------ verification: discrete
def tilted_pmf(p: Sequence, p0: Sequence, q) -> list[sp.Expr]:
    r"""The law of a kept point: P(x = i | kept) = p(i) a(i) / sum_j p(j) a(j), a(i) = (p_0(i)/max p_0)^Q (Bayes).

    Exact (sympy) for exact inputs; a symbol the model lost (p(i) = 0) keeps probability 0.
    """
    p, p0 = [sp.nsimplify(v) for v in p], [sp.nsimplify(v) for v in p0]
    if len(p) != len(p0) or not p:
        raise InvalidArgument("p, p0", "two pmfs on the same support", (len(p), len(p0)))
    top = sp.Max(*p0)
    joint = [pi * (qi / top) ** sp.nsimplify(q) for pi, qi in zip(p, p0)]
    total = sum(joint)
    return [sp.simplify(j / total) for j in joint]


def curate_lost_mass_expr(p0: Sequence, q, samples) -> sp.Expr:
    r"""E[mass of p_0 on symbols absent from generation 1] = sum_i p_0(i) (1 - p~(i))^M, p~ = tilted p_0.

    The M kept points are iid p~ (each ends its own run of rejections), so symbol i is absent with
    probability (1 - p~(i))^M.
    """
    pt = tilted_pmf(p0, p0, q)
    return sp.simplify(sum(sp.nsimplify(p0i) * (1 - ti) ** samples for p0i, ti in zip(p0, pt)))


# ------------------------------------------------------------------ numbers (for `collapse advise`)
def _check_weight(wv) -> float:
    wv = check_positive_real("w (weight of the real data)", wv)
    if wv > 1:
        raise InvalidArgument("w (weight of the real data)", "a number in (0, 1]", wv)
    return wv


def optimal_weight(ratio: float) -> float:
    """w*(K) = (sqrt(1 + 4K) - 1)/(2K) for K = n_syn/n_real (the ``weight:W,K`` ratio); 1/phi at K = 1.

    He, Xu & Cheng's (sqrt(k^2 + 4k) - k)/2 at k = 1/K.
    """
    kv = check_positive_real("K (synthetic-to-real ratio)", ratio)
    return float(optimal_weight_expr().subs(K, sp.Rational(repr(kv))).evalf(17))


def limiting_moments(weight: float, ratio: float, n_real: float, *, sigma0_value: float = 1.0,
                     estimator: str = "unbiased") -> tuple[float, float]:
    """(lim E[(mu_t - mu_0)^2], lim E[sigma_t^2]) under ``weight:W,K`` with n_real real and K n_real synthetic points.

    ``estimator``: "unbiased" / "mle" (the variance refitted with weights) or "known" (not refitted).
    """
    wv, kv = _check_weight(weight), check_positive_real("K (synthetic-to-real ratio)", ratio)
    nr = check_positive_real("n (real points per generation)", n_real)
    s0 = check_positive_real("sigma0", sigma0_value)
    subs = {w: sp.Float(wv, 30), n_r: sp.Float(nr, 30), n_s: sp.Float(kv * nr, 30), sigma0: sp.Float(s0, 30)}
    if estimator == "known":
        return float(known_variance_fixed_point().subs(subs)), s0**2
    if estimator == "unbiased" and (wv**2 / nr + (1 - wv) ** 2 / (kv * nr)) >= 1:
        raise InvalidArgument("n (real points per generation)", "enough points that sum w_i^2 < 1", nr)
    a_star, b_star = weight_fixed_point(check_choice("estimator", estimator, ESTIMATORS + ("known",)))
    return float(a_star.subs(subs)), float(b_star.subs(subs))


def limiting_mean_error(weight: float, ratio: float, n_real: float, *, sigma0_value: float = 1.0,
                        estimator: str = "unbiased") -> float:
    """lim E[(mu_t - mu_0)^2] (see :func:`limiting_moments`); ~ sigma_0^2 f(w, K) / n_real for large n_real."""
    return limiting_moments(weight, ratio, n_real, sigma0_value=sigma0_value, estimator=estimator)[0]


def curate_gaussian_step(mean: float, var: float, q: float, *, mu0_value: float = 0.0,
                         sigma0_value: float = 1.0) -> dict[str, float]:
    """The kept law N(m', v') of candidates from N(mean, var) under ``curate:q``, and P(kept) per candidate."""
    q = float(q)
    if not (math.isfinite(q) and 0 <= q <= 1):
        raise InvalidArgument("Q (verifier strength)", "a number in [0, 1]", q)
    subs = {mu: float(mean), s2: check_positive_real("var", var), Q: q, mu0: float(mu0_value),
            sigma0: check_positive_real("sigma0", sigma0_value)}
    kept = curate_gaussian_kept()
    return {name: float(kept[name].subs(subs)) for name in ("m", "v", "accept")}


def curate_discrete_step(p: Sequence[float], p0: Sequence[float], q: float) -> list[float]:
    """The kept pmf (the expected frequencies of the next generation) of model ``p`` under ``curate:q``."""
    q = float(q)
    if not (math.isfinite(q) and 0 <= q <= 1):
        raise InvalidArgument("Q (verifier strength)", "a number in [0, 1]", q)
    return [float(v) for v in tilted_pmf(p, p0, q)]


def curate_lost_mass(p0: Sequence[float], q: float, samples: int) -> float:
    """Expected p_0-mass of the symbols absent after one generation of ``curate:q`` with M kept points."""
    q = float(q)
    if not (math.isfinite(q) and 0 <= q <= 1):
        raise InvalidArgument("Q (verifier strength)", "a number in [0, 1]", q)
    return float(curate_lost_mass_expr(p0, q, check_int("samples (M)", samples, minimum=1)))
