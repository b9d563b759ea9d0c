"""Numbers from the derived expressions, at any precision (mpmath).

Closed forms are turned into mpmath functions with :func:`sympy.lambdify`; the
general-schedule values iterate the derived one-step recursion. There is no
second hand-typed copy of any formula here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import mpmath
import sympy as sp

from collapse.analytic import gaussian as G
from collapse.core.validation import check_choice, check_int, check_positive_real, check_schedule

__all__ = ["gaussian_values", "gaussian_schedule_values", "lambdified"]


@functools.cache
def _lambdify(expr: sp.Expr, args: tuple[sp.Symbol, ...]):
    return sp.lambdify(args, expr, modules="mpmath")


def lambdified(expr: sp.Expr, *args: sp.Symbol):
    """An mpmath function of ``args`` computing ``expr`` (cached)."""
    return _lambdify(expr, tuple(args))


def _validate(estimator, sigma0, r, dps):
    check_choice("estimator", estimator, G.ESTIMATORS)
    sigma0 = check_positive_real("sigma0", sigma0)
    if r is not None:
        r = check_positive_real("moment order r", r)
    dps = check_int("dps (decimal digits)", dps, minimum=5)
    return sigma0, r, dps


def gaussian_values(
    estimator: str, samples: int, generations: int, sigma0: float = 1.0, *, r: float | None = None, dps: int = 30
) -> dict[str, mpmath.mpf]:
    """Closed-form values at constant sample size ``samples`` after ``generations``.

    Returns the :data:`analytic.gaussian.QUANTITIES` (and ``E_sigma2r`` when ``r`` is given).
    """
    sigma0, r, dps = _validate(estimator, sigma0, r, dps)
    m = check_int("samples (M)", samples, minimum=2)
    g = check_int("generations (n)", generations, minimum=0)
    forms = G.closed_forms(estimator)
    keys = list(G.QUANTITIES) + (["E_sigma2r"] if r is not None else [])
    out = {}
    with mpmath.workdps(dps):
        for key in keys:
            f = lambdified(forms[key], G.M, G.n, G.sigma0, G.r)
            out[key] = +f(mpmath.mpf(m), mpmath.mpf(g), mpmath.mpf(sigma0), mpmath.mpf(r if r is not None else 1))
    return out


def gaussian_schedule_values(
    estimator: str, schedule: Sequence[int], sigma0: float = 1.0, *, r: float | None = None, dps: int = 30
) -> dict[str, mpmath.mpf]:
    """Values after ``len(schedule)`` generations with M_i = ``schedule[i]``.

    Iterates the one-step recursion of :func:`analytic.gaussian.one_step`
    (the same recursion whose constant-M solution is
    :func:`analytic.gaussian.closed_forms`).
    """
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
                               *, dps: int = 30) -> dict[str, list[mpmath.mpf]]:
    """Exact E[(mu_n - mu_0)^2] and E[sigma_n^2] for n = 0..G under ``accumulate``.

    Iterates :func:`analytic.gaussian.accumulate_step` (the recursion is linear in
    E[SS] and E[sigma^2], so expectations propagate exactly).
    """
    sigma0, _, dps = _validate(estimator, sigma0, None, dps)
    sched = check_schedule("schedule", schedule)
    st = G.accumulate_step(estimator)
    mean_step = lambdified(st["mean_step"], st["N"], G.M)
    ss_step = lambdified(st["ss_step"], st["N"], G.M)
    ddof = int(st["ddof"])
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
