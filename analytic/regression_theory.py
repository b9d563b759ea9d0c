r"""Least squares on its own labels: test error per generation, replaced or accumulated.

References: E. Dohmatob, Y. Feng, J. Kempe, "Model collapse demystified: the case of
regression", NeurIPS 2024 (replace: the test error grows linearly in the number of
generations); M. Gerstgrasser et al., "Is model collapse inevitable? Breaking the curse
of recursion by accumulating real and synthetic data", 2024 (accumulate: bounded by
pi^2/6 times one generation's error).

One generation refits OLS on T rows with Gaussian design x ~ N(0, I_d) and label noise
of variance sigma^2: w' - w = (X^T X)^-1 X^T eps, whose test error (risk on a fresh
x ~ N(0, I_d)) has mean v = sigma^2 E tr (X^T X)^-1 = sigma^2 d E[1/chi2_(T-d+1)] =
sigma^2 d / (T - d - 1), because each diagonal entry of an inverse Wishart_d(T, I) is
the reciprocal of a chi-square with T - d + 1 degrees of freedom (Schur complement).
The generational recursions (replace: e_(g+1) = e_g + eta_g; accumulate on a fixed
design: e_(g+1) = e_g + eta_g / (g + 1)) are those of :mod:`collapse.analytic.mixing`, reused:
E[test error] = g v when replacing, v sum_(j<=g) 1/j^2 < pi^2 v / 6 when accumulating.
"""

from __future__ import annotations

import functools

import sympy as sp

from collapse.analytic import gaussian as G
from collapse.analytic import mixing as X
from collapse.analytic.numeric import risk_values  # numbers of the closed forms below (re-exported here)

__all__ = ["d", "T", "sigma", "g", "inverse_chi2_mean", "one_generation_risk", "replace_test_error",
           "accumulate_test_error", "accumulate_test_error_bound", "risk_values"]

d = sp.Symbol("d", integer=True, positive=True)  # features
T = sp.Symbol("T", integer=True, positive=True)  # rows per generation
sigma = sp.Symbol("sigma", positive=True)  # label noise standard deviation
g = X.g  # generation (number of refits), shared with analytic.mixing


@functools.cache
def inverse_chi2_mean() -> tuple[sp.Expr, sp.Symbol]:
    """(E[1/X], k) for X ~ chi2_k, k > 2: the chi-square moment of order r = -1, 1/(k - 2)."""
    mom = G.chi2_moment()
    kk = [s for s in mom.free_symbols if s.name == "k"][0]
    return sp.simplify(sp.gammasimp(mom.subs(G.r, -1))), kk


@functools.cache
def one_generation_risk() -> sp.Expr:
    """v = sigma^2 d E[1/chi2_(T-d+1)] = sigma^2 d / (T - d - 1): one OLS refit's expected test error."""
    mean, kk = inverse_chi2_mean()
    return sp.factor(sigma**2 * d * mean.subs(kk, T - d + 1))


@functools.cache
def replace_test_error() -> sp.Expr:
    """E[test error after g refits] when each generation replaces the data: g v (Dohmatob et al. 2024)."""
    return sp.factor(X.replace_risk().subs(X.v, one_generation_risk()))


@functools.cache
def accumulate_test_error() -> sp.Expr:
    """E[test error after g refits] when data accumulate (fixed design): v sum_(j=1)^g 1/j^2."""
    return X.accumulate_risk().subs(X.v, one_generation_risk())


@functools.cache
def accumulate_test_error_bound() -> sp.Expr:
    """sup over g: pi^2 v / 6 (Gerstgrasser et al. 2024)."""
    return X.accumulate_risk_bound().subs(X.v, one_generation_risk())
