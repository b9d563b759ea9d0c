r"""Fixed points and bounds of the data regimes, derived by sympy from their recursions.

References: Shumailov et al. (2024), section "Theoretical intuition": the data of
generation i+1 is drawn from p_{i+1} = alpha p_theta_{i+1} + beta p_i + gamma p_0.
The loop of :mod:`collapse.simulate.loop` realises it with deterministic shares of a
training set of M points: ``n_model`` draws from the fitted model, ``n_prev`` points
of the previous training set (without replacement) and ``n_real`` fresh real points.

Three chains are solved here:

* the discrete chain with exact approximation under mixing: the expected
  heterozygosity (probability that two points of a training set differ) obeys a
  linear recursion, obtained by classifying the ordered pairs of training points
  by their sources; with fresh real data it has a positive fixed point instead
  of decaying to 0;
* the Gaussian-kernel KDE refitted on its own samples: the sample variance has the
  fixed point (M - 1) h^2 (the kernel's noise balances the loss of spread);
* least squares refitted on labels of the previous model (fixed design): the
  excess risk grows linearly when data are replaced and stays below
  pi^2/6 of one generation's when they accumulate (Gerstgrasser et al. 2024).
"""

from __future__ import annotations

import functools

import sympy as sp

__all__ = [
    "g", "h", "H0", "M", "v",
    "accumulate_risk", "accumulate_risk_bound", "discrete_mix_fixed_point", "discrete_mix_heterozygosity",
    "discrete_mix_recursion", "kde_variance", "kde_variance_fixed_point", "replace_risk",
]

M = sp.Symbol("M", integer=True, positive=True)  # training-set size
g = sp.Symbol("g", integer=True, nonnegative=True)  # generation
H0 = sp.Symbol("H0", nonnegative=True)  # heterozygosity of p_0
h = sp.Symbol("h", positive=True)  # KDE bandwidth
v = sp.Symbol("v", positive=True)  # one generation's excess risk, sigma^2 d / n
n_model, n_prev, n_real = sp.symbols("n_model n_prev n_real", integer=True, nonnegative=True)


def _rsolve(lhs_minus_rhs, a, initial: sp.Expr) -> sp.Expr:
    sol = sp.rsolve(lhs_minus_rhs, a(g), {a(0): initial})
    if sol is None:  # pragma: no cover - sympy regression
        raise RuntimeError(f"sympy.rsolve could not solve {lhs_minus_rhs} = 0")
    return sp.simplify(sol)


@functools.cache
def discrete_mix_recursion() -> tuple[sp.Expr, sp.Expr]:
    r"""(a, b) with E[h_{g+1}] = a E[h_g] + b H0 for constant training size M.

    h_g = 1 - sum_k x_k^2 for the frequencies x of training set D_g, which equals
    M^-2 times the number of ordered pairs of distinct points of D_g that differ.
    Pairs of D_{g+1} by source (model draws are iid from x, previous points a
    uniform subset of D_g, real points iid from p_0):

    model-model, model-prev: differ with probability h_g;
    prev-prev (two distinct points of D_g): h_g M / (M - 1);
    real-anything and real-real: 1 - sum_k x_k p_0(k) resp. H0, both of mean H0
    because E[x] = p_0 in every generation.
    """
    pairs_h = n_model * (n_model - 1) + 2 * n_model * n_prev + n_prev * (n_prev - 1) * M / (M - 1)
    pairs_h0 = 2 * (n_model + n_prev) * n_real + n_real * (n_real - 1)
    total = (n_model + n_prev + n_real) ** 2
    return sp.simplify((pairs_h / total).subs(n_model, M - n_prev - n_real)), \
        sp.simplify((pairs_h0 / total).subs(n_model, M - n_prev - n_real))


@functools.cache
def discrete_mix_heterozygosity() -> sp.Expr:
    r"""E[h_g], g >= 0, with E[h_0] = (1 - 1/M) H0 (D_0 is M real points)."""
    a_, b_ = discrete_mix_recursion()
    a = sp.Function("a")
    return _rsolve(a(g + 1) - a_ * a(g) - b_ * H0, a, (1 - 1 / M) * H0)


@functools.cache
def discrete_mix_fixed_point() -> sp.Expr:
    r"""h* solving h* = a h* + b H0: the long-run heterozygosity under mixing.

    Positive whenever real data are mixed in (n_real > 0); 0 under ``replace``.
    References: Shumailov et al. (2024), "Theoretical intuition" (gamma > 0 keeps
    fresh data in every generation).
    """
    a_, b_ = discrete_mix_recursion()
    hs = sp.Symbol("hstar")
    return sp.simplify(sp.solve(sp.Eq(hs, a_ * hs + b_ * H0), hs)[0])


@functools.cache
def kde_variance() -> tuple[sp.Expr, sp.Expr]:
    r"""(E[s_g^2], its fixed point) for a 1-D Gaussian-kernel KDE refitted on its samples.

    s_g^2 is the divide-by-M variance of training set D_g (M points). A draw from the
    KDE of D_g is a uniformly chosen point plus h Z, so (law of total variance) the
    KDE's variance is s_g^2 + h^2; a sample of M from it has E[s^2] = (M - 1)/M of that.
    Starting from p_0 = N(mu, sigma0^2): E[s_0^2] = (M - 1)/M sigma0^2.
    """
    sigma0 = sp.Symbol("sigma0", positive=True)
    c = (M - 1) / M
    a = sp.Function("a")
    traj = _rsolve(a(g + 1) - c * (a(g) + h**2), a, c * sigma0**2)
    fixed = sp.Symbol("sstar")
    return traj, sp.simplify(sp.solve(sp.Eq(fixed, c * (fixed + h**2)), fixed)[0])


def kde_variance_fixed_point() -> sp.Expr:
    """(M - 1) h^2: the long-run sample variance of the KDE chain."""
    return kde_variance()[1]


def _error_step(regime: str) -> sp.Expr:
    r"""e_{g+1} - e_g for the fixed-design least-squares chain, in terms of e_g, n_g.

    The fit on k copies of the design with labels X w_j + noise_j averages the
    per-dataset fits w_j + n_j (n_j: one OLS noise vector, E||.||^2 = v).
    replace: w_{g+1} = w_g + n_g. accumulate: w_{g+1} = S_{g+1} / (g + 1) with
    S_{g+1} = S_g + w_g + n_g and S_g = g w_g; the difference is derived symbolically.
    """
    e, n_ = sp.symbols("e n_g")
    if regime == "replace":
        return n_
    S_g = g * e
    return sp.simplify((S_g + e + n_) / (g + 1) - e)


def _risk(regime: str) -> sp.Expr:
    """Solve a(g+1) = a(g) + coeff_g^2 v, a(0) = 0, by telescoping (then check it).

    (``rsolve`` cannot solve the accumulate case, whose step is v / (g + 1)^2.)
    """
    n_ = sp.Symbol("n_g")
    # e_{g+1} = e_g + coeff_g n_g with n_g independent of e_g: variances add
    coeff = sp.diff(_error_step(regime), n_)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    sol = sp.summation((coeff**2 * v).subs(g, j - 1), (j, 1, g))
    # exact check of the recursion on the first generations (rational arithmetic)
    assert all(sp.simplify(sol.subs(g, k + 1) - sol.subs(g, k) - (coeff**2 * v).subs(g, k)) == 0 for k in range(8))
    assert sol.subs(g, 0) == 0
    return sp.simplify(sol)


@functools.cache
def replace_risk() -> sp.Expr:
    r"""E[excess risk of generation g] = g v when each generation replaces the data.

    References: Shumailov et al. (2024), "Theoretical intuition" (alpha = 1); the
    linear growth is the fixed-design case of Gerstgrasser et al. (2024).
    """
    return _risk("replace")


@functools.cache
def accumulate_risk() -> sp.Expr:
    r"""E[excess risk of generation g] = v sum_{j=1}^{g} 1/j^2 when data accumulate."""
    return _risk("accumulate")


@functools.cache
def accumulate_risk_bound() -> sp.Expr:
    r"""sup_g of :func:`accumulate_risk`: pi^2 v / 6 (the limit, sympy)."""
    return sp.simplify(sp.limit(accumulate_risk(), g, sp.oo))
