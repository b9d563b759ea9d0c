r"""The d-dimensional Gaussian chain (Wishart covariance), derived by sympy.

Generation i+1 is fitted to M points drawn from N(mu_i, Sigma_i) (Shumailov et al.
2024, Theorem 3.1, "Multidimensional Gaussian"):

.. math::

    \mu_{i+1} = \mu_i + \Sigma_i^{1/2} Z / \sqrt{M}, \qquad
    \Sigma_{i+1} = c(M)\, L_i A A^T L_i^T, \qquad L_i L_i^T = \Sigma_i,

with Z ~ N(0, I_d) and A the Bartlett factor of a Wishart W_d(k, I), k = M - 1:
lower triangular, A_jj^2 ~ chi2_{k-j+1} (j = 1..d), A_jl ~ N(0, 1) below the
diagonal, all independent. c(M) = 1/(M-1) (unbiased) or 1/M (MLE).

From that construction: E[A A^T] = k I (so E[Sigma_{i+1} | Sigma_i] = c k Sigma_i),
det(A A^T) = prod_j A_jj^2, so E[det^r] and the moments of log det are products
and sums of the chi-square moments of :mod:`collapse.analytic.gaussian`; and for a fixed
unit vector v, v^T Sigma_{i+1} v / v^T Sigma_i v ~ c chi2_{M-1} independently of
Sigma_i, so every one-dimensional marginal variance is the 1-D chain exactly.
Requires M - 1 >= d (otherwise the fitted covariance is singular).
"""

from __future__ import annotations

import functools

import sympy as sp

from collapse.analytic import gaussian as G
from collapse.analytic.numeric import evaluate_nd  # numbers of closed_forms_nd (re-exported here)

__all__ = ["d", "j", "bartlett_gram_mean", "closed_forms_nd", "evaluate_nd", "one_step_nd"]

d = sp.Symbol("d", integer=True, positive=True)  # dimension
j = sp.Symbol("j", integer=True, positive=True)  # Bartlett row index, 1..d
M, n, r = G.M, G.n, G.r


@functools.cache
def bartlett_gram_mean() -> tuple[sp.Expr, sp.Expr]:
    r"""(E[(A A^T)_jj], E[(A A^T)_jl] for j != l), from the Bartlett factor.

    (A A^T)_jj = A_jj^2 + sum_{l<j} A_jl^2 has mean (k - j + 1) + (j - 1) = k;
    off the diagonal every term has a lone zero-mean normal factor, so the mean is 0.
    """
    k = sp.Symbol("k", positive=True)
    l = sp.Symbol("l", integer=True, positive=True)
    chi_mean = G.chi2_moment().subs(G.r, 1)  # E[chi2_k] as derived (in the symbol k of analytic.gaussian)
    kk = [s for s in chi_mean.free_symbols if s.name == "k"][0]
    diag = sp.gammasimp(chi_mean.subs(kk, k - j + 1)) + sp.Sum(1, (l, 1, j - 1)).doit()  # E[N(0,1)^2] = 1
    return sp.simplify(sp.expand_func(diag)).subs(k, M - 1), sp.Integer(0)


@functools.cache
def one_step_nd(estimator: str) -> dict[str, sp.Expr]:
    r"""One-step conditional moments in d dimensions (symbols ``d``, ``M``, ``r``).

    ``cov_factor``   E[Sigma_{i+1} | Sigma_i] = cov_factor * Sigma_i;
    ``mean_step``    Cov[mu_{i+1} - mu_i | Sigma_i] = mean_step * Sigma_i;
    ``det_r``        E[det(Sigma_{i+1})^r | Sigma_i] / det(Sigma_i)^r (a Product over j);
    ``logdet_drift`` E[log det Sigma_{i+1} - log det Sigma_i] (a Sum over j);
    ``logdet_var``   Var[log det Sigma_{i+1} - log det Sigma_i] (a Sum over j).
    """
    c = G.variance_scale(estimator)
    s1 = G.one_step(estimator)
    kk = [s for s in G.chi2_moment().free_symbols if s.name == "k"][0]
    row = {kk: M - j}  # A_jj^2 ~ chi2_{M-1-j+1} = chi2_{M-j}
    lmean, lvar = G.chi2_log_cumulants()
    diag_mean, _ = bartlett_gram_mean()
    return {
        "cov_factor": sp.simplify(c * diag_mean),
        "mean_step": s1["mean_step"],
        "det_r": sp.Product(c**r * G.chi2_moment().subs(row), (j, 1, d)),
        "logdet_drift": sp.Sum(sp.expand_log(sp.log(c), force=True) + lmean.subs(row), (j, 1, d)),
        "logdet_var": sp.Sum(lvar.subs(row), (j, 1, d)),
    }


@functools.cache
def closed_forms_nd(estimator: str) -> dict[str, sp.Expr]:
    r"""Closed forms after n generations (constant M), relative to generation 0.

    ``E_Sigma_factor``  E[Sigma_n] = E_Sigma_factor * Sigma_0;
    ``Cov_mu_factor``   Cov[mu_n] = Cov_mu_factor * Sigma_0;
    ``E_det_factor``    E[det Sigma_n] = E_det_factor * det Sigma_0 (r = 1; ``E_det_r_factor`` for any r);
    ``E_logdet``        E[log det Sigma_n] - log det Sigma_0;
    ``Var_logdet``      Var[log det Sigma_n];
    ``E_W2sq_lower``    E||mu_n - mu_0||^2 / tr(Sigma_0) = tr Cov[mu_n] / tr Sigma_0, a lower
                        bound of E[W2^2(N(mu_n, Sigma_n), N(mu_0, Sigma_0))] / tr(Sigma_0).
    Solved from the one-step recursions with :func:`sympy.rsolve`.
    """
    s = one_step_nd(estimator)
    rho = sp.Symbol("rho", positive=True)
    cov = G._solve_linear(0, sp.Integer(1), multiplier=s["cov_factor"])
    cov_mu = G._solve_linear(s["mean_step"] * cov, sp.Integer(0))
    det_r = G._solve_linear(0, sp.Integer(1), multiplier=rho).subs(rho, s["det_r"])
    return {
        "E_Sigma_factor": cov,
        "Cov_mu_factor": cov_mu,
        "E_det_r_factor": det_r,
        "E_det_factor": det_r.subs(r, 1),
        "E_logdet": G._solve_linear(s["logdet_drift"], sp.Integer(0)),
        "Var_logdet": G._solve_linear(s["logdet_var"], sp.Integer(0)),
        "E_W2sq_lower": cov_mu,
    }
