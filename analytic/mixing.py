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
* the discrete chain when data accumulate (``accumulate``: refit on the pool of every point
  drawn so far; ``accumulate-subsample``: refit on a uniform M-subset of that pool): the
  expected heterozygosity of the training set shrinks by factors that tend to 1 fast enough
  for their product to stay positive;
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
    "discrete_mix_recursion", "discrete_pool_factors", "discrete_pool_heterozygosity", "kde_variance",
    "kde_variance_fixed_point", "replace_risk",
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
    r"""E[h_g], g >= 0, with E[h_0] = (1 - 1/M) H0 (D_0 is M real points).

    The affine recursion h_(g+1) = a h_g + b H0 has the solution h* + (h_0 - h*) a^g around its fixed
    point h* (:func:`discrete_mix_fixed_point`); a = 1 (every point kept, beta = 1) is the constant chain.
    """
    a_, _ = discrete_mix_recursion()
    hs = discrete_mix_fixed_point()
    return hs + ((1 - 1 / M) * H0 - hs) * a_**g


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


#: the pool size before a generation's draws (N_g = (g + 1) M points after generation g's)
N = sp.Symbol("N", integer=True, positive=True)


@functools.cache
def discrete_pool_factors() -> dict[str, sp.Expr]:
    r"""One-generation factors of the expected heterozygosity under the pooled regimes, in N and M.

    For a set S of points with frequencies x(S), h(S) = 1 - sum_k x_k(S)^2 is |S|^-2 times the
    number of ordered pairs of points of S that differ; two distinct points of S differ with
    probability |S| h(S) / (|S| - 1). The pool P holds N points and gains M new ones, each an
    independent draw from the model:

    ``accumulate``  the model is x(P): old-old pairs N^2 h(P); old-new pairs 2 N M h(P) (a draw
                    from x(P) differs from a uniform point of P with probability h(P)); new-new
                    M (M - 1) h(P). So E[h(P') | P] = ``accumulate`` * h(P).
    ``subsample``   the training set T is a uniform M-subset of P, its distinct pairs uniform
                    distinct pairs of P: E[h(T) | P] = ``subsample`` * h(P).
    ``pool``        accumulate-subsample: the model is x(T); old-new pairs 2 N M h(P) as
                    E[x(T) | P] = x(P); new-new M (M - 1) E[h(T) | P]:
                    E[h(P') | P] = ``pool`` * h(P).
    """
    hP = sp.Symbol("hP", positive=True)
    total = (N + M) ** 2
    h_T = M * (M - 1) / M**2 * N * hP / (N - 1)  # E[h(T) | P]
    acc = (N**2 * hP + 2 * N * M * hP + M * (M - 1) * hP) / total
    pool = (N**2 * hP + 2 * N * M * hP + M * (M - 1) * h_T) / total
    return {"accumulate": sp.factor(sp.simplify(acc / hP)), "subsample": sp.factor(sp.simplify(h_T / hP)),
            "pool": sp.factor(sp.simplify(pool / hP))}


def discrete_pool_heterozygosity(regime: str, m: int, generations: int) -> list[sp.Rational]:
    r"""E[h(training set of generation g + 1)] / H0 for g = 0..generations, exact rationals.

    ``regime`` is ``"accumulate"`` or ``"accumulate-subsample"``. D_0 is M fresh points from p_0,
    so E[h_0] = (1 - 1/M) H0; the pool after generation g holds N_g = (g + 1) M points. Under
    ``accumulate`` the training set is the pool; under ``accumulate-subsample`` a uniform
    M-subset of it (at g = 0 the whole of D_0).
    """
    from collapse.core.validation import check_choice, check_int

    regime = check_choice("regime", regime, ("accumulate", "accumulate-subsample"))
    m = check_int("M", m, minimum=2)
    G = check_int("generations", generations, minimum=0)
    from fractions import Fraction

    # the factors as plain arithmetic on Fractions (exact, and much faster than subs)
    f = {k: sp.lambdify((N, M), e, "math") for k, e in discrete_pool_factors().items()}
    mq = Fraction(m)
    pool = 1 - Fraction(1, m)  # E[h(P_0)] / H0
    out = []
    for g in range(G + 1):
        n = Fraction((g + 1) * m)
        if regime == "accumulate":
            out.append(pool)
            pool = pool * f["accumulate"](n, mq)
        else:
            out.append(pool * f["subsample"](n, mq))
            pool = pool * f["pool"](n, mq)
    return [sp.Rational(v.numerator, v.denominator) for v in out]


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
