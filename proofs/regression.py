"""Least squares on its own labels (Dohmatob, Feng, Kempe 2024; Gerstgrasser et al. 2024).

Replace: the test error grows linearly in the number of generations; accumulate:
it stays below pi^2/6 times one generation's. Checks read :mod:`collapse.analytic.regression_theory`
(which reuses the recursions of :mod:`collapse.analytic.mixing`) at call time.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from collapse.analytic import regression_theory as RT
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome
from collapse.proofs.stats import bonferroni, mean_z_p
from collapse.proofs.symbolic import is_zero
from collapse.simulate.loop import run_generations
from collapse.simulate.families.regression import RegressionFamily, RegressionParams

_D, _ROWS, _SIGMA = 5, 30, 1.0  # features, rows per generation, label noise of the simulations
DFK = "Dohmatob, Feng, Kempe, 'Model collapse demystified: the case of regression', NeurIPS 2024"
GERSTGRASSER = ("Gerstgrasser et al., 'Is model collapse inevitable? Breaking the curse of recursion by accumulating "
                "real and synthetic data', 2024, Theorem 1 (linear regression)")


def _check_one_generation(ctx: Context) -> Outcome:
    mean, kk = RT.inverse_chi2_mean()
    v = RT.one_generation_risk()
    stated = RT.sigma**2 * RT.d / (RT.T - RT.d - 1)
    ok_mean = is_zero(mean - 1 / (kk - 2))
    ok_v = is_zero(v - stated)
    # d = 1: tr (X^T X)^-1 = 1 / sum x_i^2, a reciprocal chi2_T, with no Wishart theory needed
    ok_d1 = is_zero((v / RT.sigma**2).subs(RT.d, 1) - mean.subs(kk, RT.T))
    return Outcome(f"E[1/chi2_k] = {mean} (chi-square moment of order -1, k > 2); v = sigma^2 d E[1/chi2_(T-d+1)] = {v} "
                   f"= sigma^2 d/(T-d-1) ({ok_v}); d = 1 reduces to E[1/chi2_T] ({ok_d1})",
                   ok=bool(ok_mean and ok_v and ok_d1))


def _check_replace(ctx: Context) -> Outcome:
    v = RT.sigma**2 * RT.d / (RT.T - RT.d - 1)
    e = RT.replace_test_error()
    base = sp.simplify(e.subs(RT.g, 0)) == 0
    step = is_zero(e.subs(RT.g, RT.g + 1) - e - v)
    return Outcome(f"E[test error after g refits] = {e}: 0 at g = 0 ({base}), grows by sigma^2 d/(T-d-1) per "
                   f"generation ({step}); after the real fit and n synthetic generations (g = n + 1): "
                   f"{sp.factor(e.subs(RT.g, sp.Symbol('n') + 1))}", ok=bool(base and step))


def _check_accumulate(ctx: Context) -> Outcome:
    """Increments v/(g+1)^2; the gap to pi^2 v/6 stays above v/(g+1) (decreasing to 0 from above)."""
    g, v = RT.g, RT.one_generation_risk()
    acc, bound = RT.accumulate_test_error(), RT.accumulate_test_error_bound()
    P = lambda e: sp.expand_func(e.rewrite(sp.polygamma))  # noqa: E731 - harmonic(g, 2) = pi^2/6 - trigamma(g + 1)
    base = sp.simplify(acc.subs(g, 0)) == 0
    step = is_zero(P(acc.subs(g, g + 1) - acc) - v / (g + 1) ** 2)
    # D(g) = (bound - acc)/v - 1/(g + 1): D(g) - D(g + 1) = 1/(g+1)^2 - 1/((g+1)(g+2)) > 0 and D -> 0, so D >= 0
    D = (bound - acc) / v - 1 / (g + 1)
    drop = sp.factor(sp.simplify(P(D - D.subs(g, g + 1))))
    decreasing = drop.is_positive
    to_zero = sp.limit(P(D), g, sp.oo) == 0
    ratio = sp.limit(RT.replace_test_error() / P(acc), g, sp.oo)
    ok = bool(base and step and decreasing and to_zero and ratio is sp.oo)
    return Outcome(f"accumulate: {acc}, 0 at g = 0 ({base}), increments v/(g+1)^2 ({step}); D(g) = (bound - acc)/v - "
                   f"1/(g+1) decreases by {drop} > 0 ({decreasing}) to 0 ({to_zero}), so acc <= {bound} - v/(g+1) < "
                   f"bound for every g; replace / accumulate -> {ratio}", ok=ok)


def _run(family, w_star, C, gens, regime, rng):
    """||w_g - w*||^2 per chain for g = 1..gens: (C, gens); every generation draws _ROWS rows."""
    out = np.empty((C, gens))

    def record(gen, params):
        if gen > 0:
            out[:, gen - 1] = ((params.weights - w_star) ** 2).sum(-1)

    run_generations(family, RegressionParams(np.tile(w_star, (C, 1))), (_ROWS,) * gens, rng,
                    regime=regime, on_generation=record)
    return out


def _check_replace_sim(ctx: Context) -> Outcome:
    C, gens = 4000 * ctx.scale, 4
    rng = ctx.rng("regression-replace-sim")
    w_star = np.linspace(-1, 1, _D)
    err = _run(RegressionFamily(_D, _SIGMA, "random"), w_star, C, gens, "replace", rng)
    ps, parts = [], []
    for gen in (1, gens):
        want = float(RT.replace_test_error().subs({RT.d: _D, RT.T: _ROWS, RT.sigma: _SIGMA, RT.g: gen}))
        p, z = mean_z_p(err[:, gen - 1], want)
        ps.append(p)
        parts.append(f"g={gen}: {err[:, gen - 1].mean():.4f} vs {want:.4f} (z={z:.2f})")
    return Outcome(f"random Gaussian design, replace, d={_D}, T={_ROWS}, {C} chains: E||w_g - w*||^2 "
                   + "; ".join(parts), p_value=bonferroni(ps))


def _check_accumulate_sim(ctx: Context) -> Outcome:
    """Fixed design (drawn once): conditional on X, v(X) = sigma^2 tr (X^T X)^-1 replaces v."""
    C, gens = 4000 * ctx.scale, 8
    rng = ctx.rng("regression-accumulate-sim")
    fam = RegressionFamily.with_fixed_design(_ROWS, _D, rng, _SIGMA)
    vX = _SIGMA**2 * float(np.trace(np.linalg.inv(fam.X.T @ fam.X)))
    w_star = np.linspace(-1, 1, _D)
    acc = _run(fam, w_star, C, gens, "accumulate", rng)
    rep = _run(fam, w_star, C, gens, "replace", rng)
    v = RT.one_generation_risk()
    ps, parts = [], []
    for name, form, sim in (("accumulate", RT.accumulate_test_error(), acc), ("replace", RT.replace_test_error(), rep)):
        factor = sp.simplify(form / v).subs(RT.g, gens).doit()  # sum 1/j^2 or g
        want = vX * float(factor)
        p, z = mean_z_p(sim[:, -1], want)
        ps.append(p)
        parts.append(f"{name}: {sim[:, -1].mean():.4f} vs v(X) * {factor} = {want:.4f} (z={z:.2f})")
    bound = sp.simplify(RT.accumulate_test_error_bound() / v) * vX
    return Outcome(f"fixed design X ({_ROWS}x{_D}), v(X) = {vX:.4f}, {C} chains, g={gens}: " + "; ".join(parts)
                   + f"; accumulate bound pi^2/6 v(X) = {sp.N(bound, 5)}", p_value=bonferroni(ps))


CLAIM = Claim(
    id="regression-replace-accumulate",
    title="Least squares on its own labels: linear growth when data are replaced, bounded when they accumulate",
    statement=("With T rows of Gaussian design in d features and label noise sigma^2, one OLS refit adds expected test "
               "error sigma^2 d/(T - d - 1); after g generations of replaced synthetic labels the test error is "
               "g sigma^2 d/(T - d - 1) (linear in g), while accumulating every generation's data (fixed design) "
               "gives sigma^2 d/(T - d - 1) sum_(j<=g) 1/j^2 < pi^2/6 sigma^2 d/(T - d - 1)."),
    source=f"{DFK}, Theorem (OLS under recursive synthetic labels); {GERSTGRASSER}",
    proof=(
        Cited("inverse-wishart-diagonal", "for X with iid N(0, 1) entries (T x d), each diagonal entry of (X^T X)^-1 is "
              "1/chi2_(T-d+1) (Schur complement of a Wishart matrix), so E (X^T X)^-1 = I/(T - d - 1)",
              "Muirhead, Aspects of Multivariate Statistical Theory (1982), Thm 3.2.10; Anderson (2003), Thm 7.3.6"),
        Check("ols-one-generation-risk", "symbolic", "v = sigma^2 d/(T - d - 1) from E[1/chi2_k]",
              _check_one_generation),
        Check("regression-replace-linear", "symbolic", "replace: g v, exactly linear", _check_replace),
        Check("regression-accumulate-bounded", "symbolic", "accumulate: v H_g^(2) < pi^2 v/6, gap >= v/(g+1)",
              _check_accumulate),
    ),
    evidence=(
        Check("regression-replace-sim", "simulation", "random design, replaced labels", _check_replace_sim),
        Check("regression-accumulate-sim", "simulation", "fixed design, accumulated vs replaced labels",
              _check_accumulate_sim),
    ),
)

ORDER = 50
CLAIMS = (CLAIM,)
