r"""The 1-D Gaussian chain of Theorem 3.1, derived by sympy from its recursion.

The chain (Shumailov et al. 2024, section "Multidimensional Gaussian", Theorem 3.1):
generation 0 is N(mu_0, sigma_0^2); generation i+1 is fitted to M_i points drawn
from generation i,

.. math::

    \mu_{i+1} = \mu_i + \sigma_i Z_i / \sqrt{M_i}, \qquad
    \sigma^2_{i+1} = c(M_i)\, \sigma^2_i X_i, \qquad
    Z_i \sim N(0,1),\ X_i \sim \chi^2_{M_i - 1}\ \text{independent},

with c(M) = 1/(M-1) for the unbiased variance estimator and 1/M for the
maximum-likelihood one. Everything below is derived from these two lines:
the one-step conditional moments by integrating against the normal and
chi-square densities, the n-step closed forms by solving the moment
recursions with :func:`sympy.rsolve`, and E[W2^2] by taking the expectation of
the 1-D Wasserstein distance, itself derived from the quantile coupling.
"""

from __future__ import annotations

import functools

import sympy as sp

__all__ = [
    "ESTIMATORS",
    "QUANTITIES",
    "M",
    "n",
    "r",
    "sigma0",
    "chi2_log_cumulants",
    "chi2_moment",
    "closed_forms",
    "log_drift",
    "one_step",
    "schedule_series",
    "variance_scale",
    "w2_bounded",
    "w2sq_gaussian_1d",
]

ESTIMATORS = ("unbiased", "mle")
#: keys of :func:`closed_forms` reported by ``collapse theory gaussian``
QUANTITIES = ("E_sigma2", "E_sigma", "Var_mu", "E_W2sq", "E_log_sigma2", "Var_log_sigma2")

M = sp.Symbol("M", integer=True, positive=True)  # samples per generation, M >= 2
n = sp.Symbol("n", integer=True, nonnegative=True)  # generation
r = sp.Symbol("r", positive=True)  # moment order: E[sigma^(2r)]
k = sp.Symbol("k", positive=True)  # chi-square degrees of freedom
sigma0 = sp.Symbol("sigma0", positive=True)
mu0 = sp.Symbol("mu0", real=True)
i = sp.Symbol("i", integer=True, nonnegative=True)  # schedule index

_x = sp.Symbol("x", positive=True)
_z = sp.Symbol("z", real=True)


def _check_estimator(estimator: str) -> str:
    from collapse.core.validation import check_choice

    return check_choice("estimator", estimator, ESTIMATORS)


@functools.cache
def chi2_moment() -> sp.Expr:
    r"""E[X^r] for X ~ chi2_k, by integrating x^r against the chi-square density.

    >>> chi2_moment()
    2**r*gamma(k/2 + r)/gamma(k/2)
    """
    pdf = _x ** (k / 2 - 1) * sp.exp(-_x / 2) / (2 ** (k / 2) * sp.gamma(k / 2))
    return sp.simplify(sp.integrate(_x**r * pdf, (_x, 0, sp.oo), conds="none"))


@functools.cache
def chi2_log_cumulants() -> tuple[sp.Expr, sp.Expr]:
    r"""(E[log X], Var[log X]) for X ~ chi2_k.

    log E[X^r] is the cumulant generating function of log X, so its first two
    derivatives at r = 0 are the mean and variance of log X:
    (log 2 + digamma(k/2), trigamma(k/2)).
    """
    K = sp.log(chi2_moment())
    mean = sp.simplify(sp.expand_log(sp.diff(K, r).subs(r, 0), force=True))
    var = sp.simplify(sp.diff(K, r, 2).subs(r, 0))
    return mean, var


def variance_scale(estimator: str, m: sp.Expr = M) -> sp.Expr:
    """c(M): the fitted variance is c(M) times the sum of squared deviations."""
    return 1 / (m - 1) if _check_estimator(estimator) == "unbiased" else 1 / m


@functools.cache
def one_step(estimator: str, m: sp.Expr = M) -> dict[str, sp.Expr]:
    r"""One-step conditional moments of the chain, given generation i.

    Returns a dict with
    ``rho_r``      E[(sigma_{i+1}^2 / sigma_i^2)^r], a function of ``r``;
    ``rho_1``      its value at r = 1 (1 for the unbiased estimator);
    ``rho_half``   its value at r = 1/2 (E[sigma_{i+1}] / sigma_i);
    ``mean_drift`` E[mu_{i+1} - mu_i];
    ``mean_step``  E[(mu_{i+1} - mu_i)^2] / sigma_i^2 (= 1/M);
    ``log_drift``  E[log(sigma_{i+1}^2 / sigma_i^2)];
    ``log_var``    Var[log(sigma_{i+1}^2 / sigma_i^2)].
    """
    c = variance_scale(estimator, m)
    rho_r = sp.simplify(c**r * chi2_moment().subs(k, m - 1))
    # mean update mu' = mu + sigma Z / sqrt(m): integrate against the normal density
    phi = sp.exp(-_z**2 / 2) / sp.sqrt(2 * sp.pi)
    step = _z / sp.sqrt(m)
    mean_drift = sp.integrate(step * phi, (_z, -sp.oo, sp.oo))
    mean_step = sp.simplify(sp.integrate(step**2 * phi, (_z, -sp.oo, sp.oo)))
    lmean, lvar = chi2_log_cumulants()
    return {
        "rho_r": rho_r,
        "rho_1": sp.factor(sp.simplify(sp.expand_func(rho_r.subs(r, 1)))),
        "rho_half": sp.gammasimp(rho_r.subs(r, sp.Rational(1, 2))),
        "mean_drift": mean_drift,
        "mean_step": mean_step,
        "log_drift": sp.expand_log(sp.log(c), force=True) + lmean.subs(k, m - 1),
        "log_var": lvar.subs(k, m - 1),
    }


def log_drift(estimator: str, m: sp.Expr = M) -> sp.Expr:
    r"""E[log(sigma_{i+1}^2 / sigma_i^2)] = log(2 c(M)) + digamma((M-1)/2).

    Negative for every M >= 2 (certified in :mod:`collapse.proofs.gaussian`), hence
    log sigma_n^2 drifts to -infinity and sigma_n -> 0 almost surely.
    """
    return one_step(estimator, m)["log_drift"]


def _solve_linear(step: sp.Expr, initial: sp.Expr, multiplier: sp.Expr = sp.Integer(1)) -> sp.Expr:
    """Solve a(n+1) = multiplier * a(n) + step(n), a(0) = initial, with rsolve.

    A step or multiplier that does not depend on n stands for a placeholder symbol while rsolve
    works (and is put back after), so that rsolve and simplify never see the digamma sums.
    """
    a = sp.Function("a")
    step, multiplier = sp.sympify(step), sp.sympify(multiplier)
    back = {}
    if step != 0 and not step.has(n):
        back[_DELTA] = step
        step = _DELTA
    if multiplier != 1 and not multiplier.has(n):
        back[_RHO] = multiplier
        multiplier = _RHO
    sol = sp.rsolve(a(n + 1) - multiplier * a(n) - step, a(n), {a(0): initial})
    if sol is None:  # pragma: no cover - sympy regression
        raise RuntimeError(f"sympy.rsolve could not solve a(n+1) = {multiplier} a(n) + {step}")
    return sp.simplify(sol).subs(back)


_DELTA = sp.Symbol("_delta")  # placeholders of _solve_linear
_RHO = sp.Symbol("_rho", positive=True)


@functools.cache
def closed_forms(estimator: str) -> dict[str, sp.Expr]:
    r"""Closed forms at generation n for a constant sample size M.

    Keys: ``E_sigma2r`` (E[sigma_n^(2r)], in ``r``), ``E_sigma2``, ``E_sigma``,
    ``Var_mu``, ``E_W2sq`` (E[W2^2(N(mu_n, sigma_n^2), N(mu_0, sigma_0^2))]),
    ``E_log_sigma2``, ``Var_log_sigma2``. All are in the symbols
    :data:`M`, :data:`n`, :data:`sigma0` (and :data:`r`).

    Each is the solution of the moment recursion implied by :func:`one_step`:
    E[sigma_{n+1}^{2r}] = rho_r E[sigma_n^{2r}];
    Var[mu_{n+1}] = Var[mu_n] + E[sigma_n^2]/M (mu_n is a martingale);
    E[log sigma_{n+1}^2] = E[log sigma_n^2] + log_drift;
    Var[log sigma_{n+1}^2] = Var[log sigma_n^2] + log_var (independent increments).

    References: Shumailov et al. (2024), Theorem 3.1.
    """
    s = one_step(estimator)
    rho = sp.Symbol("rho", positive=True)  # stands for rho_r while rsolve works
    e2r = _solve_linear(0, sigma0 ** (2 * r), multiplier=rho).subs(rho, s["rho_r"])
    e2 = _solve_linear(0, sigma0**2, multiplier=s["rho_1"])
    e1 = _solve_linear(0, sigma0, multiplier=rho).subs(rho, s["rho_half"])
    var_mu = _solve_linear(s["mean_step"] * e2, sp.Integer(0))
    out = {
        "E_sigma2r": e2r,
        "E_sigma2": e2,
        "E_sigma": e1,
        "Var_mu": var_mu,
        "E_log_sigma2": _solve_linear(s["log_drift"], sp.log(sigma0**2)),
        "Var_log_sigma2": _solve_linear(s["log_var"], sp.Integer(0)),
    }
    out["E_W2sq"] = expected_w2sq(out)
    return out


@functools.cache
def w2sq_gaussian_1d() -> sp.Expr:
    r"""W2^2(N(m1, s1^2), N(m2, s2^2)) = (m1 - m2)^2 + (s1 - s2)^2.

    Derived from the quantile (monotone) coupling, optimal in 1-D:
    W2^2 = int_0^1 (F1^{-1}(u) - F2^{-1}(u))^2 du; substituting u = Phi(z) gives
    E[((m1 + s1 Z) - (m2 + s2 Z))^2] with Z ~ N(0, 1).
    """
    m1, m2 = sp.symbols("m1 m2", real=True)
    s1, s2 = sp.symbols("s1 s2", positive=True)
    phi = sp.exp(-_z**2 / 2) / sp.sqrt(2 * sp.pi)
    integrand = sp.expand(((m1 + s1 * _z) - (m2 + s2 * _z)) ** 2 * phi)
    return sp.factor_terms(sp.simplify(sp.integrate(integrand, (_z, -sp.oo, sp.oo))))


def expected_w2sq(forms: dict[str, sp.Expr]) -> sp.Expr:
    """E[W2^2(N(mu_n, sigma_n^2), N(mu_0, sigma_0^2))] from the moments in ``forms``.

    W2^2 is a polynomial in D = mu_n - mu_0 and S = sigma_n; its expectation
    replaces each monomial by the corresponding moment (E[D] = 0 because the
    mean is a martingale, E[D^2] = Var[mu_n]). A cross term D*S would need the
    joint law and is refused.
    """
    D, S = sp.symbols("D S", real=True)
    m1, m2, s1, s2 = sorted(w2sq_gaussian_1d().free_symbols, key=str)
    w = w2sq_gaussian_1d().subs({m1: mu0 + D, m2: mu0, s1: S, s2: sigma0})
    moments = {(0, 0): 1, (1, 0): 0, (2, 0): forms["Var_mu"], (0, 1): forms["E_sigma"], (0, 2): forms["E_sigma2"]}
    total = sp.Integer(0)
    for monom, coeff in sp.Poly(sp.expand(w), D, S).terms():
        if monom not in moments:
            raise ValueError(f"W2^2 has a term D^{monom[0]} S^{monom[1]} whose moment is not derived")
        total += coeff * moments[monom]
    return total


def schedule_series(estimator: str) -> dict[str, sp.Expr]:
    r"""E[W2^2] after n generations for a schedule M_0, M_1, ... (symbolic M_i).

    Solving the recursions of :func:`closed_forms` with M_i in place of M:
    E[sigma_n^2] = sigma0^2 prod rho_1(M_i), Var[mu_n] = sum_i E[sigma_i^2]/M_i.
    Unbiased: rho_1 = 1, so Var[mu_n] = sigma0^2 sum_{i<n} 1/M_i and
    E[W2^2] = sigma0^2 sum 1/M_i + 2 sigma0^2 (1 - prod rho_half(M_i)).
    MLE: Var[mu_n] + E[sigma_n^2] = sigma0^2 for every n (telescoping), so
    E[W2^2] = 2 sigma0^2 - 2 sigma0 E[sigma_n] <= 2 sigma0^2.

    Returns ``{"Var_mu": ..., "E_sigma2": ..., "E_sigma": ...}`` with
    ``Sum``/``Product`` over the indexed schedule ``M[i]``.
    """
    s = one_step(estimator)
    Mi = sp.IndexedBase("M", positive=True, integer=True)[i]
    j = sp.Symbol("j", integer=True, nonnegative=True)
    Mj = sp.IndexedBase("M", positive=True, integer=True)[j]
    e2_i = sigma0**2 * sp.Product(s["rho_1"].subs(M, Mj), (j, 0, i - 1))
    e2_n = sigma0**2 * sp.Product(s["rho_1"].subs(M, Mi), (i, 0, n - 1))
    var_mu = sp.Sum(s["mean_step"].subs(M, Mi) * e2_i, (i, 0, n - 1))
    e1 = sigma0 * sp.Product(s["rho_half"].subs(M, Mi), (i, 0, n - 1))
    return {"Var_mu": var_mu.doit(), "E_sigma2": e2_n.doit(), "E_sigma": e1}


def w2_bounded(estimator: str, schedule: sp.Expr) -> bool:
    r"""Whether sup_n E[W2^2] < infinity for the schedule M_i = ``schedule`` (in ``i``).

    Derived from the one-step moments of :func:`one_step` (mean step s(M) = E[(mu' - mu)^2] / sigma^2,
    variance factor rho_1(M)), whatever the estimator. With E_i = E[sigma_i^2],
    Var[mu_n] = sum_{i<n} s(M_i) E_i and E[W2^2] = Var[mu_n] + E[(sigma_n - sigma_0)^2]:

    - rho_1 = 1 (unbiased): E_i = sigma0^2, so Var[mu_n] = sigma0^2 sum_{i<n} s(M_i) and the remainder
      2 sigma0^2 - 2 sigma0 E[sigma_n] lies in [0, 2 sigma0^2]: bounded iff sum_i s(M_i) converges
      (decided by sympy);
    - s(M) + rho_1(M) = 1 (MLE: 1/M + (M-1)/M): Var[mu_(n+1)] + E_(n+1) = Var[mu_n] + E_n, so
      Var[mu_n] + E_n = sigma0^2 for every n and E[W2^2] = 2 sigma0^2 - 2 sigma0 E[sigma_n] <= 2 sigma0^2:
      bounded for every schedule.

    Any other one-step law is refused (no derivation covers it).

    >>> w2_bounded("unbiased", 100 * (i + 1) ** 2), w2_bounded("unbiased", 100 * (i + 1))
    (True, False)
    """
    s = one_step(_check_estimator(estimator))
    rho_1, step = s["rho_1"], s["mean_step"]
    if sp.simplify(rho_1 - 1) == 0:
        verdict = sp.Sum(step.subs(M, schedule), (i, 0, sp.oo)).is_convergent()
        if verdict not in (True, False):  # pragma: no cover - sympy could not decide
            raise ValueError(f"sympy cannot decide whether sum_i {step.subs(M, schedule)} converges")
        return bool(verdict)
    if sp.simplify(step + rho_1 - 1) == 0:  # telescoping: Var[mu_n] + E[sigma_n^2] = sigma0^2
        return True
    raise ValueError(f"no derivation of sup_n E[W2^2] for the one-step law rho_1 = {rho_1}, mean step = {step}")


@functools.cache
def accumulate_step(estimator: str) -> dict[str, sp.Expr]:
    r"""One-step expectations of the chain that refits on all data so far (``accumulate``).

    With N_i points pooled before generation i (N_0 = 0) and M_i new points from
    N(mu_i, sigma_i^2): the pooled mean moves by (M_i / N_{i+1}) sigma_i Z / sqrt(M_i),
    and the pooled sum of squares SS grows by sigma_i^2 X + (N_i M_i / N_{i+1})
    sigma_i^2 Z^2 / M_i (Chan et al.'s merge), Z ~ N(0,1), X ~ chi2_{M_i - 1}.
    Returns, in the symbols ``N`` (= N_i) and :data:`M` (= M_i):

    ``mean_step``  E[(mu_{i+1} - mu_i)^2] / sigma_i^2;
    ``ss_step``    E[SS_{i+1} - SS_i] / sigma_i^2;
    ``ddof``       sigma_{i+1}^2 = SS_{i+1} / (N_{i+1} - ddof).
    """
    Nn = sp.Symbol("N", integer=True, nonnegative=True)
    phi = sp.exp(-_z**2 / 2) / sp.sqrt(2 * sp.pi)
    Ez2 = sp.integrate(_z**2 * phi, (_z, -sp.oo, sp.oo))
    EX = chi2_moment().subs({r: 1, k: M - 1})
    total = Nn + M
    return {
        "mean_step": sp.simplify((M / total) ** 2 * Ez2 / M),
        "ss_step": sp.simplify(sp.expand_func(EX) + Nn * M / total * Ez2 / M),
        "ddof": sp.Integer(1) if _check_estimator(estimator) == "unbiased" else sp.Integer(0),
        "N": Nn,
    }
