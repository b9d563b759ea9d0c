"""Numbers from the derived expressions, at any precision (mpmath).

Every value here comes from an expression derived in a topic module, turned into
numbers through :mod:`collapse.analytic.forms`: by default the expressions are
derived now (the derivation functions as they are at the call, so a patched or
edited one is what gets evaluated) and evaluated with sympy (closed forms become
mpmath functions with :func:`sympy.lambdify`); with ``cached=True`` (what the
command line passes) they come from the derivation cache as trees evaluated
without importing sympy, giving the same numbers bit for bit. The
general-schedule values iterate the derived one-step recursion (always with sympy).
There is no second hand-typed copy of any formula here.

This module imports neither sympy nor numpy at module level.
"""

from __future__ import annotations

from collections.abc import Sequence

import mpmath

from collapse.analytic import forms as F
from collapse.core.validation import (
    InvalidArgument, check_choice, check_int, check_positive_real, check_schedule,
)

__all__ = [
    "check_beta", "cut_test_error_value", "evaluate_nd", "extinction_values", "gaussian_accumulate_values",
    "gaussian_schedule_values", "gaussian_values", "lambdified", "risk_values", "unseen_mass_value",
]


def lambdified(expr, *args):
    """An mpmath function of ``args`` computing the sympy expression ``expr`` (cached)."""
    return F._lambdify(expr, tuple(args))


def _validate(estimator, sigma0, r, dps, cached=False):
    check_choice("estimator", estimator, tuple(F.group("gaussian", "estimators", cached=cached).data["estimators"]))
    sigma0 = check_positive_real("sigma0", sigma0)
    if r is not None:
        r = check_positive_real("moment order r", r)
    dps = check_int("dps (decimal digits)", dps, minimum=5)
    return sigma0, r, dps


# ------------------------------------------------------------------ 1-D Gaussian chain
def gaussian_values(
    estimator: str, samples: int, generations: int, sigma0: float = 1.0, *, r: float | None = None, dps: int = 30,
    cached: bool = False,
) -> dict[str, mpmath.mpf]:
    """Closed-form values at constant sample size ``samples`` after ``generations``.

    Returns the :data:`analytic.gaussian.QUANTITIES` (and ``E_sigma2r`` when ``r`` is given),
    from :func:`analytic.gaussian.closed_forms`.
    """
    sigma0, r, dps = _validate(estimator, sigma0, r, dps, cached)
    m = check_int("samples (M)", samples, minimum=2)
    g = check_int("generations (n)", generations, minimum=0)
    forms = F.group("gaussian", f"closed_forms:{estimator}", cached=cached)
    keys = list(forms.data["quantities"]) + (["E_sigma2r"] if r is not None else [])
    out = {}
    with mpmath.workdps(dps):
        for key in keys:
            f = forms[key].function()  # of (M, n, sigma0, r)
            out[key] = +f(mpmath.mpf(m), mpmath.mpf(g), mpmath.mpf(sigma0), mpmath.mpf(r if r is not None else 1))
    return out


def gaussian_schedule_values(
    estimator: str, schedule: Sequence[int], sigma0: float = 1.0, *, r: float | None = None, dps: int = 30
) -> dict[str, mpmath.mpf]:
    """Values after ``len(schedule)`` generations with M_i = ``schedule[i]``.

    Iterates the one-step recursion of :func:`analytic.gaussian.one_step`
    (the same recursion whose constant-M solution is
    :func:`analytic.gaussian.closed_forms`). Derives with sympy on every call.
    """
    import sympy as sp

    from collapse.analytic import gaussian as G

    sigma0, r, dps = _validate(estimator, sigma0, r, dps)
    sched = check_schedule("schedule", schedule)
    step = G.one_step(estimator)
    fn = {key: lambdified(step[key], G.M, G.r) for key in ("rho_r", "rho_1", "rho_half", "mean_step", "log_drift", "log_var")}
    with mpmath.workdps(dps):
        s0 = mpmath.mpf(sigma0)
        e2, e1, e2r = s0**2, s0, s0 ** (2 * mpmath.mpf(r or 1))
        var_mu, lmean, lvar = mpmath.mpf(0), mpmath.log(s0**2), mpmath.mpf(0)
        for m in sched:
            m = mpmath.mpf(m)
            var_mu += fn["mean_step"](m, 1) * e2  # uses E[sigma_i^2] before the update
            e2 *= fn["rho_1"](m, 1)
            e1 *= fn["rho_half"](m, 1)
            if r is not None:
                e2r *= fn["rho_r"](m, mpmath.mpf(r))
            lmean += fn["log_drift"](m, 1)
            lvar += fn["log_var"](m, 1)
        out = {"E_sigma2": e2, "E_sigma": e1, "Var_mu": var_mu, "E_log_sigma2": lmean, "Var_log_sigma2": lvar}
        w2 = G.expected_w2sq({k: sp.Float(str(v), dps) for k, v in out.items()}).subs(
            {G.sigma0: sp.Float(str(s0), dps), G.mu0: 0})
        out["E_W2sq"] = mpmath.mpf(sp.N(w2, dps))
        if r is not None:
            out["E_sigma2r"] = e2r
        return {k: out[k] for k in list(G.QUANTITIES) + (["E_sigma2r"] if r is not None else [])}


def gaussian_accumulate_values(estimator: str, schedule: Sequence[int], sigma0: float = 1.0,
                               *, dps: int = 30, cached: bool = False) -> dict[str, list[mpmath.mpf]]:
    """Exact E[(mu_n - mu_0)^2] and E[sigma_n^2] for n = 0..G under ``accumulate``.

    Iterates :func:`analytic.gaussian.accumulate_step` (the recursion is linear in
    E[SS] and E[sigma^2], so expectations propagate exactly).
    """
    sigma0, _, dps = _validate(estimator, sigma0, None, dps, cached)
    sched = check_schedule("schedule", schedule)
    st = F.group("gaussian", f"accumulate_step:{estimator}", cached=cached)
    mean_step = st["mean_step"].function()  # of (N, M)
    ss_step = st["ss_step"].function()
    ddof = st.data["ddof"]
    with mpmath.workdps(dps):
        e2, ss, d2, pooled = mpmath.mpf(sigma0) ** 2, mpmath.mpf(0), mpmath.mpf(0), 0
        out_d2, out_e2 = [d2], [e2]
        for m in sched:
            d2 += mean_step(pooled, m) * e2
            ss += ss_step(pooled, m) * e2
            pooled += m
            e2 = ss / (pooled - ddof)
            out_d2.append(+d2)
            out_e2.append(+e2)
        return {"E_dmu2": out_d2, "E_sigma2": out_e2}


# ------------------------------------------------------------------ d-dimensional Gaussian chain
def evaluate_nd(estimator: str, samples: int, generations: int, dim: int, *, dps: int = 30,
                cached: bool = False) -> dict[str, float]:
    """Numbers from :func:`analytic.gaussian_nd.closed_forms_nd` at (M, n, d) (mpmath)."""
    dim = check_int("dim (d)", dim, minimum=1)
    m = check_int("samples (M)", samples, minimum=2)
    if m - 1 < dim:
        raise InvalidArgument("samples (M)", f"M - 1 >= d = {dim} (a nonsingular fitted covariance)", m)
    g = check_int("generations (n)", generations, minimum=0)
    forms = F.group("gaussian_nd", f"closed_forms_nd:{estimator}", cached=cached)
    out = {}
    with mpmath.workdps(dps):
        for key in forms.data["keys"]:
            out[key] = forms[key].n_float({"d": dim, "M": m, "n": g}, dps)
    return out


# ------------------------------------------------------------------ Poisson chain
def extinction_values(expected_count: float, generations: int, *, dps: int = 30,
                      cached: bool = False) -> list[float]:
    """P(lambda_t = 0) for t = 0..generations at m = M lambda_0 (mpmath iteration of f).

    f is the offspring pgf :func:`analytic.rates.offspring_pgf`.

    Parameters
    ----------
    expected_count : float
        m = M lambda_0 > 0, the expected count of generation 1.
    generations : int
        Last generation t >= 0.
    dps : int
        Decimal digits.

    Returns
    -------
    list of float, length generations + 1
    """
    mm = check_positive_real("expected_count (M lambda_0)", expected_count)
    tt = check_int("generations", generations, minimum=0)
    f = F.group("rates", "offspring_pgf", cached=cached)["f"].function()
    out = []
    with mpmath.workdps(check_int("dps", dps, minimum=10)):
        q = mpmath.mpf(0)
        for _ in range(tt + 1):
            out.append(float(q ** mpmath.mpf(mm)) if q > 0 else 0.0)
            q = f(q)
    return out


# ------------------------------------------------------------------ Zipf tails
def check_beta(value) -> float:
    """beta must be a real number > 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 < value < float("inf"):
        raise InvalidArgument("beta", "a real number > 1 (Zipf exponent)", value)
    return float(value)


def _head_and_tail(b: mpmath.mpf, n: int, head: int, cached: bool = False) -> mpmath.mpf:
    """sum_i p_i (1 - p_i)^n with the tail beyond ``head`` from Hurwitz zeta series."""
    unseen = F.group("tails", "zipf", cached=cached)["unseen"].function()  # of (q, T)
    c = 1 / mpmath.zeta(b)
    total = mpmath.fsum(c * mpmath.mpf(r) ** -b * unseen(c * mpmath.mpf(r) ** -b, n)
                        for r in range(1, head + 1))
    # (1 - q)^n = sum_j C(n, j) (-q)^j: alternating and decreasing once n q << 1
    for jj in range(0, 4):
        total += mpmath.binomial(n, jj) * (-1) ** jj * c ** (jj + 1) * mpmath.zeta(b * (jj + 1), head + 1)
    return total


def unseen_mass_value(beta_value: float, samples: int, *, dps: int = 30, cached: bool = False) -> float:
    """E[U_T] for Zipf(beta) after T = ``samples`` draws (head summed, tail by Hurwitz zeta).

    From :func:`analytic.tails.unseen_probability`.

    Parameters
    ----------
    beta_value : float
        beta > 1.
    samples : int
        T >= 1.
    dps : int
        Decimal digits of the mpmath evaluation.

    Returns
    -------
    float
    """
    b, n = check_beta(beta_value), check_int("samples (T)", samples, minimum=1)
    with mpmath.workdps(check_int("dps", dps, minimum=15)):
        bm = mpmath.mpf(b)
        head = int(mpmath.ceil((1000 * n / mpmath.zeta(bm)) ** (1 / bm))) + 10  # n p_i <= 1e-3 beyond
        return float(_head_and_tail(bm, n, head, cached))


def cut_test_error_value(beta_value: float, samples: int, cut: int, *, dps: int = 30,
                         cached: bool = False) -> float:
    """E_test(T, k) for Zipf(beta) data learned from a model whose tail is cut at rank k.

    From :func:`analytic.tails.unseen_probability` and :func:`analytic.tails.plateau`.
    """
    b, n = check_beta(beta_value), check_int("samples (T)", samples, minimum=1)
    kk = check_int("cut (k)", cut, minimum=1)
    with mpmath.workdps(check_int("dps", dps, minimum=15)):
        bm = mpmath.mpf(b)
        c = 1 / mpmath.zeta(bm)
        w = [c * mpmath.mpf(r) ** -bm for r in range(1, kk + 1)]
        Pk = mpmath.fsum(w)
        zipf = F.group("tails", "zipf", cached=cached)
        unseen = zipf["unseen"].function()  # of (q, T)
        floor = zipf["plateau"].function()(bm, kk)  # of (beta, k)
        return float(mpmath.fsum(wi * unseen(wi / Pk, n) for wi in w) + floor)


# ------------------------------------------------------------------ least squares
def risk_values(features: int, rows: int, generations: int, noise: float = 1.0, *,
                cached: bool = False) -> dict[str, float]:
    """Numbers of the closed forms of :mod:`analytic.regression_theory` at (d, T, g, sigma); requires T >= d + 2."""
    dd = check_int("features (d)", features, minimum=1)
    tt = check_int("rows (T)", rows, minimum=dd + 2)
    gg = check_int("generations", generations, minimum=0)
    s = check_positive_real("noise (sigma)", noise)
    at = {"d": dd, "T": tt, "g": gg, "sigma": s}
    risk = F.group("regression_theory", "risk", cached=cached)
    return {"one_generation": risk["one_generation"].subs_float(at),
            "replace": risk["replace"].subs_float(at),
            "accumulate": risk["accumulate"].subs_float(at, doit=True),
            "accumulate_bound": risk["accumulate_bound"].subs_float(at)}
