"""Least squares on its own labels (Dohmatob, Feng, Kempe 2024; Gerstgrasser et al. 2024).

Replace: the test error grows linearly in the number of generations; accumulate:
it stays below pi^2/6 times one generation's. Checks read :mod:`collapse.analytic.regression_theory`
(which reuses the recursions of :mod:`collapse.analytic.mixing`) at call time.

Independent routes: one generation's risk is derived a second time from Bartlett's decomposition
(a recursion in d, with E[1/chi2_k] integrated here from the density); the generational factors g
and sum_(j<=g) 1/j^2 are computed exactly by propagating the label noise through the literal
least-squares refits (stacked data for accumulate) on rational designs; the simulations run the
literal loop (:func:`simulate.loop.run_generations` with the regression family) and estimate the
mean risk through its own realised designs and noise (Rao-Blackwellised over the noise, whose law,
and the exactness of every refit, are tested on the same chains).
"""

from __future__ import annotations

import functools
from fractions import Fraction

import flint
import mpmath
import numpy as np
import sympy as sp
from collapse.analytic import regression_theory as RT
from collapse.core.validation import InvalidArgument
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome, Part
from collapse.proofs.rates import Residuals
from collapse.proofs.stats import bonferroni, mde_z
from collapse.proofs.symbolic import decide_zero
from collapse.simulate.families.regression import RegressionFamily, RegressionParams
from collapse.simulate.loop import run_generations
from scipy import stats

DFK = "Dohmatob, Feng, Kempe, 'Model collapse demystified: the case of regression', NeurIPS 2024"
GERSTGRASSER = ("Gerstgrasser et al., 'Is model collapse inevitable? Breaking the curse of recursion by accumulating "
                "real and synthetic data', 2024, Theorem 1 (linear regression)")
#: `collapse theory regression` defaults: d = 10 features, T = 100 rows, 10 generations, sigma = 1
DEFAULTS = {"features": 10, "rows": 100, "generations": 10, "noise": 1.0}

__all__ = ["CLAIMS", "ORDER", "THEORY_OUTPUTS", "bartlett_trace_mean", "noise_factors"]


# --------------------------------------------------------------------- helpers
@functools.cache
def _inverse_chi2_integrated() -> tuple[sp.Expr, sp.Expr]:
    """(E[1/chi2_(2+a)] for a > 0, lim_(x -> 0) x * density_2(x) / x), integrating the chi-square density typed here.

    The second is the coefficient of 1/x in the integrand of E[1/chi2_2] near 0: positive, so that
    integral diverges (comparison with int_0 dx/x), the reason the risk needs T - d + 1 > 2.
    """
    a, x = sp.Symbol("a", positive=True), sp.Symbol("x", positive=True)

    def pdf(k):
        return x ** (k / 2 - 1) * sp.exp(-x / 2) / (2 ** (k / 2) * sp.gamma(k / 2))

    inside = sp.gammasimp(sp.integrate(pdf(2 + a) / x, (x, 0, sp.oo), conds="none"))
    near_zero = sp.limit(x * pdf(sp.Integer(2)) / x, x, 0, "+")
    return sp.simplify(inside), near_zero


def bartlett_trace_mean(d: int, T):
    """E tr (X^T X)^-1 for X (T x d) with iid N(0, 1) entries, by Bartlett's decomposition.

    X^T X = L L^T, L lower triangular with L_ii^2 ~ chi2_(T-i+1), L_ij ~ N(0, 1) (i > j), all
    independent. Splitting off the last row (b^T, c) of L: ||L^-1||_F^2 = ||L'^-1||_F^2
    + (||L'^-T b||^2 + 1)/c^2, and E||L'^-T b||^2 = E||L'^-1||_F^2 (b independent, standard normal),
    so e_d = e_(d-1) + (e_(d-1) + 1) E[1/chi2_(T-d+1)], e_0 = 0. ``T`` a number or a sympy symbol.
    """
    inv, _ = _inverse_chi2_integrated()
    a = next(iter(inv.free_symbols))
    e = sp.Integer(0)
    for i in range(1, d + 1):
        e = sp.cancel(e + (e + 1) * inv.subs(a, T - i + 1 - 2))  # rational functions of T: exact
    return e


def _fq(M) -> flint.fmpq_mat:
    rows = [list(r) for r in M]
    return flint.fmpq_mat(len(rows), len(rows[0]), [flint.fmpq(int(v)) if isinstance(v, int) else v
                                                    for r in rows for v in r])


def _frob2(B: flint.fmpq_mat) -> Fraction:
    return sum((Fraction(int(B[i, j].p), int(B[i, j].q)) ** 2 for i in range(B.nrows()) for j in range(B.ncols())),
               Fraction(0))


def _stack(blocks: list[flint.fmpq_mat]) -> flint.fmpq_mat:
    rows = sum(b.nrows() for b in blocks)
    cols = blocks[0].ncols()
    entries = [b[i, j] for b in blocks for i in range(b.nrows()) for j in range(cols)]
    return flint.fmpq_mat(rows, cols, entries)


@functools.cache
def noise_factors(design: tuple[tuple[int, ...], ...], generations: int, regime: str) -> list[Fraction]:
    """E||w_g - w*||^2 / (sigma^2 tr (X^T X)^-1), g = 1..G, exactly, for the literal refits on a fixed design.

    Generation j's labels are y_j = X w_(j-1) + eps_j (eps iid N(0, sigma^2), w_0 = w*); ``replace``
    refits OLS on (X, y_j), ``accumulate`` on every generation's rows and labels stacked. Each w_j is
    w* + B_j eps, eps = (eps_1, ..., eps_G), B_j computed here in rationals by the refit itself;
    E||w_j - w*||^2 = sigma^2 ||B_j||_F^2.
    """
    X = _fq(design)
    n, d = X.nrows(), X.ncols()
    N = n * generations
    XtX_inv = (X.transpose() * X).inv()
    tr = sum((Fraction(int(XtX_inv[i, i].p), int(XtX_inv[i, i].q)) for i in range(d)), Fraction(0))
    B = flint.fmpq_mat(d, N)  # w_0 = w*: no noise yet
    labels: list[flint.fmpq_mat] = []
    out = []
    for j in range(generations):
        E = flint.fmpq_mat(n, N, [1 if c == j * n + r else 0 for r in range(n) for c in range(N)])
        labels.append(X * B + E)  # noise part of y_(j+1) = X w_j + eps_(j+1)
        if regime == "replace":
            Xs, Ls = X, labels[-1]
        else:  # accumulate: every row and label drawn so far
            Xs, Ls = _stack([X] * (j + 1)), _stack(labels)
        B = (Xs.transpose() * Xs).inv() * (Xs.transpose() * Ls)
        out.append(_frob2(B) / tr)
    return out


#: rational designs for the exact propagation (full rank)
_DESIGNS = (((1, 0), (1, 1), (0, 1), (2, -1), (1, 3)), ((1,), (2,), (-1,)))


def _factor(form: sp.Expr, g: int) -> Fraction:
    v = sp.Rational(sp.simplify(sp.simplify(form / RT.one_generation_risk()).subs(RT.g, g).doit()))
    return Fraction(int(v.p), int(v.q))


def _mde(rel_ses, ctx: Context, k: int) -> float:
    return max(mde_z(r, ctx.alpha, k) for r in rel_ses)


def _z_p(x: np.ndarray, expected: float) -> tuple[float, float, float]:
    """(p, z, relative standard error) of a z-test of mean(x) == expected (sample standard error)."""
    se = x.std(ddof=1) / np.sqrt(x.size)
    z = (x.mean() - expected) / se
    return float(2 * stats.norm.sf(abs(z))), float(z), float(se / abs(expected)) if expected else float("nan")


# ---------------------------------------------------------------------- checks
def _check_one_generation(ctx: Context) -> Outcome:
    mean, kk = RT.inverse_chi2_mean()
    v = RT.one_generation_risk()
    stated = RT.sigma**2 * RT.d / (RT.T - RT.d - 1)
    res = Residuals()
    ok_mean = res(mean - 1 / (kk - 2))
    ok_v = res(v - stated)
    # d = 1: tr (X^T X)^-1 = 1 / sum x_i^2, a reciprocal chi2_T, with no Wishart theory needed
    ok_d1 = res((v / RT.sigma**2).subs(RT.d, 1) - mean.subs(kk, RT.T))
    return res.outcome(f"E[1/chi2_k] = {mean} (chi-square moment of order -1, k > 2); v = sigma^2 d E[1/chi2_(T-d+1)] = {v} "
                       f"= sigma^2 d/(T-d-1) ({ok_v}); d = 1 reduces to E[1/chi2_T] ({ok_d1})",
                       bool(ok_mean and ok_v and ok_d1))


def _check_bartlett(ctx: Context) -> Outcome:
    """v = sigma^2 E tr (X^T X)^-1 a second way: Bartlett's decomposition, a recursion in d."""
    inv, near_zero = _inverse_chi2_integrated()
    a = next(iter(inv.free_symbols))
    res = Residuals()
    ok_inv = res(inv - 1 / a)
    diverges = bool(near_zero.is_positive)
    v = RT.one_generation_risk()
    f = sp.simplify(v / RT.sigma**2)
    T, d = RT.T, RT.d
    rows = []
    for dd in range(1, 7):
        e = bartlett_trace_mean(dd, T)
        if sp.cancel(f.subs(d, dd) - e) != 0:  # rational functions of T: cancel decides exactly
            z = decide_zero(f.subs(d, dd) - e, domain={T: (dd + 2, 400)})
            return Outcome(f"d = {dd}: v / sigma^2 = {f.subs(d, dd)} but Bartlett's recursion gives {e} ({z.detail})",
                           ok=False, witness=z.witness)
        rows.append(f"d={dd}: {sp.factor(e)}")
    # every d: the closed form satisfies the recursion e_d = e_(d-1) + (e_(d-1) + 1)/(T - d - 1), e_1 = 1/(T - 2)
    rec = res(f - f.subs(d, d - 1) - (f.subs(d, d - 1) + 1) * inv.subs(a, T - d - 1),
              domain={d: (2, 40), T: (60, 400)})
    base = res(f.subs(d, 1) - inv.subs(a, T - 2))
    sigma_ok = res(sp.diff(v, RT.sigma) - 2 * v / RT.sigma)  # v scales as sigma^2
    # the premise T >= d + 2 is enforced where the numbers are made
    try:
        RT.risk_values(3, 4, 1, 1.0)
        refuses = False
    except InvalidArgument:
        refuses = True
    edge = RT.risk_values(3, 5, 1, 1.0)["one_generation"]  # T = d + 2, the smallest allowed
    accepts = abs(edge - float(bartlett_trace_mean(3, sp.Integer(5)))) <= 1e-12
    dd, TT, sg = DEFAULTS["features"], DEFAULTS["rows"], DEFAULTS["noise"]
    exact = sg**2 * float(bartlett_trace_mean(dd, sp.Integer(TT)))
    got = RT.risk_values(dd, TT, DEFAULTS["generations"], sg)["one_generation"]
    numeric = abs(got - exact) <= 1e-12 * exact
    ok = bool(ok_inv and diverges and rec and base and sigma_ok and numeric and refuses and accepts)
    return res.outcome(f"E[1/chi2_k] = 1/(k - 2) by integrating the density ({ok_inv}), divergent at k = 2 (integrand "
                   f"~ {near_zero}/x at 0: {diverges}; the premise T >= d + 2); Bartlett: " + "; ".join(rows[:3]) + f"; ... equal to v/sigma^2 for "
                   f"d = 1..6; risk_values refuses T = d + 1 ({refuses}) and is exact at T = d + 2 ({accepts}); the closed form satisfies the recursion for every d ({rec}) from "
                   f"e_1 = 1/(T-2) ({base}); v proportional to sigma^2 ({sigma_ok}); risk_values at d = {dd}, T = {TT}: "
                   f"{got!r} vs {exact!r} ({numeric})", ok)


def _check_replace(ctx: Context) -> Outcome:
    v = RT.sigma**2 * RT.d / (RT.T - RT.d - 1)
    e = RT.replace_test_error()
    base = sp.simplify(e.subs(RT.g, 0)) == 0
    res = Residuals()
    step = res(e.subs(RT.g, RT.g + 1) - e - v)
    return res.outcome(f"E[test error after g refits] = {e}: 0 at g = 0 ({base}), grows by sigma^2 d/(T-d-1) per "
                   f"generation ({step}), the recursion the form was summed from", bool(base and step))


def _accumulate_parts():
    g, v = RT.g, RT.one_generation_risk()
    acc, bound = RT.accumulate_test_error(), RT.accumulate_test_error_bound()
    P = lambda e: sp.expand_func(e.rewrite(sp.polygamma))
    return g, v, acc, bound, P


def _check_accumulate_increments(ctx: Context) -> Outcome:
    g, v, acc, _bound, P = _accumulate_parts()
    base = sp.simplify(acc.subs(g, 0)) == 0
    res = Residuals()
    step = res(P(acc.subs(g, g + 1) - acc) - v / (g + 1) ** 2)
    return res.outcome(f"accumulate: {acc}, 0 at g = 0 ({base}), increments v/(g+1)^2 ({step}): the recursion the "
                       "form was summed from", bool(base and step))


def _check_accumulate(ctx: Context) -> Outcome:
    """The gap to pi^2 v/6 stays above v/(g+1) (decreasing to 0 from above); the bound is the sup."""
    g, v, acc, bound, P = _accumulate_parts()
    # D(g) = (bound - acc)/v - 1/(g + 1): D(g) - D(g + 1) = 1/(g+1)^2 - 1/((g+1)(g+2)) > 0 and D -> 0, so D >= 0
    D = (bound - acc) / v - 1 / (g + 1)
    drop = sp.factor(sp.simplify(P(D - D.subs(g, g + 1))))
    decreasing = bool(drop.is_positive)
    to_zero = sp.limit(P(D), g, sp.oo) == 0
    sup = sp.limit(P(acc), g, sp.oo)
    res = Residuals()
    is_sup = res(sup - bound)  # the bound is the limit, so no smaller bound holds for every g
    stated = res(bound - sp.pi**2 / 6 * RT.sigma**2 * RT.d / (RT.T - RT.d - 1))
    ratio = sp.limit(RT.replace_test_error() / P(acc), g, sp.oo)
    ok = bool(decreasing and to_zero and is_sup and stated and ratio is sp.oo)
    return res.outcome(f"D(g) = (bound - acc)/v - 1/(g+1) decreases by {drop} > 0 ({decreasing}) to 0 ({to_zero}), so "
                   f"acc <= {bound} - v/(g+1) < bound for every g; the bound is the limit of acc ({is_sup}) and the "
                   f"statement's pi^2/6 sigma^2 d/(T-d-1) ({stated}); replace / accumulate -> {ratio}", ok)


def _check_propagation(ctx: Context) -> Outcome:
    """Exact noise propagation through the literal refits on rational designs, G = 10 generations."""
    G = 10
    for design in _DESIGNS:
        for regime, form in (("replace", RT.replace_test_error()), ("accumulate", RT.accumulate_test_error())):
            got = noise_factors(design, G, regime)
            for gg in range(1, G + 1):
                want = _factor(form, gg)
                if got[gg - 1] != want:
                    return Outcome(f"{regime}, design {design}, g = {gg}: exact E||w_g - w*||^2 / v(X) = "
                                   f"{got[gg - 1]}, closed form {want}", ok=False,
                                   witness={"regime": regime, "g": gg, "exact": str(got[gg - 1]), "closed": str(want)})
    dd, TT, gg, sg = DEFAULTS["features"], DEFAULTS["rows"], DEFAULTS["generations"], DEFAULTS["noise"]
    one = sg**2 * float(bartlett_trace_mean(dd, sp.Integer(TT)))
    rep, acc = noise_factors(_DESIGNS[0], gg, "replace"), noise_factors(_DESIGNS[0], gg, "accumulate")
    zeta2 = float(mpmath.zeta(2))
    # the sup of the accumulate factor: increments 1/(g+1)^2 exactly (above), so the tail after g lies in (1/(g+1), 1/g)
    tail_ok = float(acc[-1]) + 1 / (gg + 1) < zeta2 < float(acc[-1]) + 1 / gg
    want = {"one_generation": one, "replace": one * float(rep[-1]), "accumulate": one * float(acc[-1]),
            "accumulate_bound": one * zeta2}
    got = RT.risk_values(dd, TT, gg, sg)
    bad = {k: (got[k], w) for k, w in want.items() if not abs(got[k] - w) <= 1e-12 * abs(w)}
    if bad or not tail_ok:
        return Outcome(f"risk_values at the defaults differ from the exact factors: {bad} (tail {tail_ok})", ok=False,
                       witness={k: list(v) for k, v in bad.items()})
    return Outcome("E||w_g - w*||^2 = sigma^2 ||B_g||_F^2 with B_g propagated exactly (rationals) through the literal "
                   "refits (accumulate: OLS on all stacked rows), 2 designs, g = 1..10: replace factor g and accumulate "
                   f"factor sum_(j<=g) 1/j^2 exactly as the closed forms (e.g. g = 10: {rep[-1]}, {acc[-1]}); with "
                   f"Bartlett's v, risk_values at collapse theory regression's defaults agree to 12 digits: {want}",
                   ok=True)


# ---------------------------------------------------------------------- the literal loop
#: replace, random design: features, rows, noise, generations, chains
_R = {"d": 4, "T": 30, "sigma": 0.7, "G": 3, "C": 28_000}
#: fixed design (accumulate and replace): features, rows, noise, generations, chains
_A = {"d": 5, "T": 20, "sigma": 0.7, "G": 4, "C": 10_000}


class _Recorder:
    """Per generation of a literal run: the new rows' noise, the refit's exactness, the design's tr (X^T X)^-1."""

    def __init__(self, rows: int, fixed: np.ndarray | None = None):
        self.rows = rows  # rows drawn per generation (the last ``rows`` of an accumulated pool)
        self.fixed = fixed  # the fixed design shared by every chain, or None (random design)
        self.prev = None
        self.data = None
        self.noise, self.traces, self.weights, self.refit_err = [], [], [], 0.0

    def on_data(self, g, data):
        self.data = data

    def on_generation(self, g, params):
        w = params.weights
        if g > 0:
            X, y = self.data[..., :-1], self.data[..., -1]
            Xn, yn = X[:, -self.rows:], y[:, -self.rows:]  # this generation's rows (a pool grows at its end)
            self.noise.append(yn - np.einsum("cmd,cd->cm", Xn, self.prev))  # labels minus the previous model's
            # the refit is the least-squares fit of its training set, computed another way than the normal
            # equations the family solves: by QR (X = QR, w = R^-1 Q^T y), or for a fixed design shared by all
            # chains, by the SVD pseudo-inverse of the (stacked) design, computed once
            if self.fixed is not None:
                reps = X.shape[1] // self.fixed.shape[0]
                if not np.array_equal(X[0], np.tile(self.fixed, (reps, 1))):
                    raise AssertionError("the training rows are not the fixed design's")
                ref = np.einsum("dm,cm->cd", np.linalg.pinv(X[0]), y)
            else:
                Q, Rm = np.linalg.qr(X)
                ref = np.linalg.solve(Rm, np.einsum("cmd,cm->cd", Q, y)[..., None])[..., 0]
                if Xn.shape[1] != X.shape[1]:
                    Rm = np.linalg.qr(Xn, mode="r")
                self.traces.append((np.linalg.inv(Rm) ** 2).sum((1, 2)))  # tr (X^T X)^-1 = ||R^-1||_F^2
            self.refit_err = max(self.refit_err, float(np.max(np.abs(ref - w)) / (1 + np.max(np.abs(w)))))
            self.first_feature = Xn[..., 0]
        self.weights.append(w.copy())
        self.prev = w


def _noise_tests(eps: np.ndarray, x1: np.ndarray, sigma: float):
    """Sub-tests of the label noise: mean 0, variance sigma^2, uncorrelated with the design and across rows and
    generations. ``eps`` : (C, G, m). Returns lists (p, text, rel_se of the variance or None)."""
    out = []
    flat = eps.ravel()
    se = flat.std(ddof=1) / np.sqrt(flat.size)
    z = flat.mean() / se
    out.append((float(2 * stats.norm.sf(abs(z))), f"E[eps] = {flat.mean():.2e} (z={z:.2f})", None))
    p, z, rel = _z_p(flat**2, sigma**2)
    out.append((p, f"E[eps^2] = {np.mean(flat**2):.5f} vs sigma^2 = {sigma**2:.5f} (z={z:.2f})", rel))
    prod = (eps[..., 1:] * eps[..., :-1]).ravel()
    se = prod.std(ddof=1) / np.sqrt(prod.size)
    z = prod.mean() / se
    out.append((float(2 * stats.norm.sf(abs(z))), f"E[eps_i eps_(i+1)] = {prod.mean():.2e} (z={z:.2f})", None))
    if eps.shape[1] > 1:
        prod = (eps[:, 1:] * eps[:, :-1]).ravel()
        se = prod.std(ddof=1) / np.sqrt(prod.size)
        z = prod.mean() / se
        out.append((float(2 * stats.norm.sf(abs(z))), f"E[eps_(g,i) eps_(g+1,i)] = {prod.mean():.2e} (z={z:.2f})",
                    None))
    prod = (eps[:, -1] * x1).ravel()
    se = prod.std(ddof=1) / np.sqrt(prod.size)
    z = prod.mean() / se
    out.append((float(2 * stats.norm.sf(abs(z))), f"E[eps x_1] = {prod.mean():.2e} (z={z:.2f})", None))
    return out


def _check_replace_sim(ctx: Context) -> Outcome:
    d, T, sigma, G, C = _R["d"], _R["T"], _R["sigma"], _R["G"], _R["C"] * ctx.scale
    rng = ctx.rng("regression-replace-sim")
    w_star = np.linspace(-1, 1, d)
    fam = RegressionFamily(d, sigma, "random")
    rec = _Recorder(T)
    run_generations(fam, RegressionParams(np.tile(w_star, (C, 1))), (T,) * G, rng, regime="replace",
                    on_generation=rec.on_generation, on_data=rec.on_data)
    if rec.refit_err > 1e-8:
        return Outcome(f"a refit is not the least-squares fit of its data (relative error {rec.refit_err:.2e})",
                       p_value=0.0, mde=0.0, moment=True)
    at = {RT.d: d, RT.T: T, RT.sigma: sigma}
    ps, parts, rel = [], [], []
    cum = np.cumsum(np.stack(rec.traces, axis=1), axis=1) * sigma**2  # E[risk_g | designs], (C, G)
    for g in (1, G):
        want = float(RT.replace_test_error().subs(at).subs(RT.g, g))
        p, z, r = _z_p(cum[:, g - 1], want)
        ps.append(p)
        rel.append(r)
        parts.append(f"g={g}: E[sigma^2 sum_j tr (X_j^T X_j)^-1] {cum[:, g - 1].mean():.5f} vs {want:.5f} (z={z:.2f})")
    eps = np.stack(rec.noise, axis=1)
    for p, text, r in _noise_tests(eps, rec.first_feature, sigma):
        ps.append(p)
        parts.append(text)
        if r is not None:
            rel.append(r)
    raw = ((rec.weights[-1] - w_star) ** 2).sum(-1)
    mde = _mde(rel, ctx, len(ps))
    return Outcome(f"literal loop, random Gaussian design, replace, d={d}, T={T}, sigma={sigma}, {C} chains: every "
                   f"refit is the least-squares fit of its data (max relative error {rec.refit_err:.1e}), so "
                   f"w_g - w* = sum_j (X_j^T X_j)^-1 X_j^T eps_j and E||w_g - w*||^2 = E[sigma^2 sum_j tr (X_j^T X_j)^-1] "
                   f"when the label noise is iid N(0, sigma^2): " + "; ".join(parts)
                   + f"; raw mean ||w_{G} - w*||^2 = {raw.mean():.4f}; detects a relative error >= {100 * mde:.2f}% "
                   "in the mean risk (power 0.99)", p_value=bonferroni(ps), mde=mde, moment=True)


def _check_accumulate_sim(ctx: Context) -> Outcome:
    """Fixed design (drawn once): the loop's w_g - w* = sum_j c_gj (X^T X)^-1 X^T eps_j with sum_j c_gj^2 the factor."""
    d, T, sigma, G, C = _A["d"], _A["T"], _A["sigma"], _A["G"], _A["C"] * ctx.scale
    rng = ctx.rng("regression-accumulate-sim")
    fam = RegressionFamily.with_fixed_design(T, d, rng, sigma)
    X = fam.X
    vX = sigma**2 * float(np.trace(np.linalg.inv(X.T @ X)))
    P = np.linalg.pinv(X)
    w_star = np.linspace(-1, 1, d)
    ps, parts, rel, worst, noise = [], [], [], 0.0, []
    v = RT.one_generation_risk()
    for regime, form in (("accumulate", RT.accumulate_test_error()), ("replace", RT.replace_test_error())):
        rec = _Recorder(T, X)
        run_generations(fam, RegressionParams(np.tile(w_star, (C, 1))), (T,) * G, rng, regime=regime,
                        on_generation=rec.on_generation, on_data=rec.on_data)
        if rec.refit_err > 1e-8:
            return Outcome(f"{regime}: a refit is not the least-squares fit of its data ({rec.refit_err:.2e})",
                           p_value=0.0, mde=0.0, moment=True)
        eps = np.stack(rec.noise, axis=1)  # (C, G, T)
        u = np.einsum("dm,cgm->cgd", P, eps)  # per generation: one OLS noise vector
        for g in range(1, G + 1):
            U = np.swapaxes(u[:, :g], 1, 2)  # (C, d, g)
            r = rec.weights[g] - w_star
            coef = np.linalg.solve(np.swapaxes(U, 1, 2) @ U, np.einsum("cdg,cd->cg", U, r)[..., None])[..., 0]
            resid = np.abs(np.einsum("cdg,cg->cd", U, coef) - r).max()
            spread = np.abs(coef - np.median(coef, axis=0)).max()
            factor = float((np.median(coef, axis=0) ** 2).sum())
            want = float(sp.simplify(form / v).subs(RT.g, g).doit())
            worst = max(worst, abs(factor - want) / want)
            if resid > 1e-8 or spread > 1e-8 or abs(factor - want) > 1e-8 * want:
                return Outcome(f"{regime}, g={g}: w_g - w* = sum_j c_j u_j with c = {np.median(coef, axis=0)} "
                               f"(spread {spread:.1e}, residual {resid:.1e}): sum c^2 = {factor:.10f}, closed form "
                               f"{want:.10f}", p_value=0.0, mde=0.0, moment=True)
        parts.append(f"{regime}: c_G = {np.round(np.median(coef, axis=0), 6).tolist()}, sum c^2 = {factor:.6f}")
        noise.append(eps)
    for p, text, r in _noise_tests(np.concatenate(noise), X[:, 0][None, :], sigma):  # both regimes' noise
        ps.append(p)
        parts.append(text)
        if r is not None:
            rel.append(r)
    mde = _mde(rel, ctx, len(ps))
    bound = float(sp.simplify(RT.accumulate_test_error_bound() / v)) * vX
    return Outcome(f"literal loop, fixed design X ({T}x{d}) drawn once, v(X) = sigma^2 tr (X^T X)^-1 = {vX:.4f}, "
                   f"{C} chains, G = {G}: every refit is the least-squares fit of its (pooled) data, and w_g - w* = "
                   "sum_j c_gj (X^T X)^-1 X^T eps_j exactly in every chain with sum_j c_gj^2 = the closed form's factor "
                   f"(largest deviation {worst:.1e}); so E||w_g - w*||^2 = v(X) sum_j c_gj^2 when the noise is iid "
                   f"N(0, sigma^2): " + "; ".join(parts) + f"; accumulate bound pi^2/6 v(X) = {bound:.4f}; detects a "
                   f"relative error >= {100 * mde:.2f}% in the mean risk (power 0.99)",
                   p_value=bonferroni(ps), mde=mde, moment=True)


CLAIM = Claim(
    id="regression-replace-accumulate",
    title="Least squares on its own labels: linear growth when data are replaced, bounded when they accumulate",
    statement=("With T >= d + 2 rows of Gaussian design in d features and label noise sigma^2, one OLS refit adds "
               "expected test error sigma^2 d/(T - d - 1); after g generations of replaced synthetic labels the test "
               "error is g sigma^2 d/(T - d - 1) (linear in g), while accumulating every generation's data (fixed "
               "design) gives sigma^2 d/(T - d - 1) sum_(j<=g) 1/j^2 < pi^2/6 sigma^2 d/(T - d - 1)."),
    source=f"{DFK}, Theorem (OLS under recursive synthetic labels); {GERSTGRASSER}",
    proof=(
        Cited("inverse-wishart-diagonal", "for X with iid N(0, 1) entries (T x d), each diagonal entry of (X^T X)^-1 is "
              "1/chi2_(T-d+1) (Schur complement of a Wishart matrix), so E (X^T X)^-1 = I/(T - d - 1)",
              "Muirhead, Aspects of Multivariate Statistical Theory (1982), Theorem 3.2.10 (the Schur complement "
              "A_11.2 of a Wishart matrix is Wishart with n - m + k degrees of freedom)"),
        Check("ols-one-generation-risk", "symbolic", "v = sigma^2 d/(T - d - 1) from E[1/chi2_k]",
              _check_one_generation, route="the chi-square moment of order -1 (Gamma integral) at T - d + 1, against "
                                           "the statement's sigma^2 d/(T - d - 1)"),
        Cited("bartlett-decomposition", "X^T X = L L^T with L lower triangular, L_ii^2 ~ chi2_(T-i+1), L_ij ~ N(0, 1) "
              "(i > j), all independent", "Muirhead (1982), Theorem 3.2.14 (Bartlett's decomposition)"),
        Check("ols-risk-bartlett", "symbolic", "v a second way: Bartlett's decomposition, a recursion in d",
              _check_bartlett, route="second derivation by Bartlett's decomposition (recursion in d), E[1/chi2_k] "
                                     "integrated from the density"),
        Check("regression-replace-linear", "consistency", "replace: g v against the recursion it was summed from",
              _check_replace),
        Check("regression-accumulate-increments", "consistency", "accumulate: increments v/(g+1)^2 of the summed form",
              _check_accumulate_increments),
        Check("regression-accumulate-bounded", "symbolic", "accumulate: v H_g^(2) < pi^2 v/6, gap >= v/(g+1)",
              _check_accumulate, route="monotone gap D(g) -> 0 and the limit of the closed form"),
        Check("regression-refit-propagation", "certificate", "the generational factors by exact noise propagation",
              _check_propagation, route="exact propagation of the label noise through the literal OLS refits "
                                        "(stacked data for accumulate) on rational designs"),
    ),
    evidence=(
        Check("regression-replace-sim", "simulation", "literal loop, random design, replaced labels",
              _check_replace_sim, route="literal draw-and-refit loop (run_generations, random design); risk "
                                        "Rao-Blackwellised over the tested noise"),
        Check("regression-accumulate-sim", "simulation", "literal loop, fixed design, accumulated vs replaced labels",
              _check_accumulate_sim, route="literal draw-and-refit loop (run_generations, fixed design); the refits' "
                                           "noise coefficients extracted exactly, the noise law tested"),
    ),
    parts=(
        Part("one OLS refit adds expected test error sigma^2 d/(T - d - 1) (T >= d + 2)",
             ("ols-one-generation-risk", "ols-risk-bartlett", "regression-replace-sim")),
        Part("after g generations of replaced labels the test error is g sigma^2 d/(T - d - 1)",
             ("regression-refit-propagation", "regression-replace-sim", "regression-accumulate-sim")),
        Part("accumulating (fixed design) gives sigma^2 d/(T - d - 1) sum_(j<=g) 1/j^2",
             ("regression-refit-propagation", "regression-accumulate-sim")),
        Part("sum_(j<=g) 1/j^2 sigma^2 d/(T - d - 1) < pi^2/6 sigma^2 d/(T - d - 1)",
             ("regression-accumulate-bounded", "regression-refit-propagation")),
    ),
)

ORDER = 50
CLAIMS = (CLAIM,)

#: the independent check behind each number `collapse theory regression --json` prints
THEORY_OUTPUTS = {
    ("regression", "one_generation"): "regression-replace-accumulate/ols-risk-bartlett",
    ("regression", "replace"): "regression-replace-accumulate/regression-refit-propagation",
    ("regression", "accumulate"): "regression-replace-accumulate/regression-refit-propagation",
    ("regression", "accumulate_bound"): "regression-replace-accumulate/regression-refit-propagation",
}
