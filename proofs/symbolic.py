"""Exact symbolic checks: identities, and proofs by induction on the generation n.

:func:`decide_zero` never reports a false "fail": a residual sympy cannot simplify is
evaluated at 50 digits at random points (from a fixed seed, so the verdict is
reproducible); numerically zero everywhere is "undecided", otherwise "nonzero" with
the point as witness.
"""

from __future__ import annotations

import dataclasses

import sympy as sp

__all__ = ["Zero", "decide_zero", "induction", "is_zero", "peel_last"]

#: the fixed seed of decide_zero's sample points
ZERO_SEED = 20240724


@dataclasses.dataclass(frozen=True)
class Zero:
    """The verdict of :func:`decide_zero`.

    ``status``  "proved" (sympy simplified the residual to 0), "undecided" (numerically
                zero, |value| < 10^-(dps-10) relative to its terms, at every sample point),
                "nonzero" (not zero at ``witness``);
    ``witness`` for "nonzero": ``{"point": {symbol name: value}, "value": residual there}``
                (strings, so that JSON carries them exactly);
    ``detail``  one line saying which.
    """

    status: str
    witness: dict | None = None
    detail: str = ""

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    @property
    def nonzero(self) -> bool:
        return self.status == "nonzero"


def is_zero(expr: sp.Expr) -> bool:
    """True when sympy proves ``expr == 0`` exactly (never a numerical tolerance)."""
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    for quick in (sp.expand, lambda e: sp.cancel(sp.together(e))):  # exact too, and most residuals fall here
        try:
            if quick(expr) == 0:
                return True
        except (sp.PolynomialError, TypeError, ValueError, RecursionError):
            pass
    for simp in (sp.simplify, lambda e: sp.simplify(sp.gammasimp(sp.powsimp(sp.expand_log(e, force=True), force=True)))):
        if simp(expr) == 0:
            return True
    return False


def _sample_point(symbols, domain, rng) -> dict:
    """One random point respecting each symbol's assumptions (or its ``domain`` bounds), exact rationals."""
    point = {}
    for sym in symbols:
        integer = bool(sym.is_integer)
        if sym in domain:
            lo, hi = domain[sym]
        elif sym.is_positive or (sym.is_nonnegative and integer):
            lo, hi = (1, 12) if sym.is_positive else (0, 12)
            lo, hi = (lo, hi) if integer else (sp.Rational(1, 10), 5)
        elif sym.is_nonnegative:
            lo, hi = 0, 5
        elif sym.is_negative:
            lo, hi = (-12, -1) if integer else (-5, sp.Rational(-1, 10))
        else:
            lo, hi = (-6, 6) if integer else (-3, 3)
        lo, hi = sp.nsimplify(lo, rational=True), sp.nsimplify(hi, rational=True)
        if integer:
            a, b = int(sp.ceiling(lo)), int(sp.floor(hi))
            point[sym] = sp.Integer(int(rng.integers(a, b + 1)))
        else:  # a rational strictly inside (lo, hi), away from the ends
            k = int(rng.integers(1, 1000))
            point[sym] = lo + (hi - lo) * sp.Rational(k, 1000)
            if sym.is_nonzero and point[sym] == 0:
                point[sym] = lo + (hi - lo) * sp.Rational(k + 1, 1000)
    return point


def _evaluate(expr: sp.Expr, point: dict, dps: int):
    """(value, scale) of ``expr`` at ``point`` to ``dps`` digits, or None where it cannot be evaluated."""
    e = expr.subs(point)
    if e.has(sp.Sum, sp.Product, sp.Integral):
        e = e.doit()
    value = sp.N(e, dps, maxn=4 * dps + 200)
    if not value.is_number or value.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        return None
    terms = e.args if isinstance(e, sp.Add) else (e,)
    scale = 1.0
    for t in terms:
        tv = sp.N(t, 15)
        if tv.is_number and tv.is_finite:
            scale = max(scale, float(abs(tv)))
    return value, scale


def decide_zero(expr: sp.Expr, *, samples: int = 6, dps: int = 50, domain: dict | None = None,
                seed: int = ZERO_SEED) -> Zero:
    """Decide whether ``expr`` is identically 0: proved by sympy, else tested at 50 digits.

    ``domain`` maps a symbol to ``(low, high)``: sample it there (integers for integer
    symbols), overriding its assumptions' default range. The points are drawn from a
    fixed seed, so a run is reproducible. Raises ValueError when no sample point gives a
    number (the residual cannot be decided either way).
    """
    import numpy as np

    expr = sp.sympify(expr)
    if is_zero(expr):
        return Zero("proved", detail="sympy simplifies the residual to 0")
    domain = dict(domain or {})
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    if not symbols:
        samples = 1
    rng = np.random.default_rng(seed)
    tol_exp = dps - 10
    evaluated, tries = 0, 0
    while evaluated < samples and tries < 8 * samples:
        tries += 1
        point = _sample_point(symbols, domain, rng)
        try:
            got = _evaluate(expr, point, dps)
        except (ValueError, TypeError, ZeroDivisionError, ArithmeticError):
            got = None
        if got is None:
            continue
        value, scale = got
        evaluated += 1
        if abs(value) > sp.Float(10, dps) ** (-tol_exp) * scale:
            witness = {"point": {s.name: str(v) for s, v in point.items()}, "value": str(sp.N(value, 20))}
            where = ", ".join(f"{k} = {v}" for k, v in witness["point"].items()) or "the constant"
            return Zero("nonzero", witness, f"residual = {witness['value']} at {where}")
    if evaluated == 0:
        raise ValueError(f"decide_zero: the residual evaluates to no number at {tries} sample points: {expr}")
    return Zero("undecided", detail=f"sympy cannot simplify the residual; |residual| < 1e-{tol_exp} "
                                    f"(relative to its terms) at {evaluated} random points at {dps} digits")


def peel_last(expr: sp.Expr, n: sp.Symbol) -> sp.Expr:
    """Split the last factor/term off every Sum/Product whose upper limit is ``n``.

    ``Sum(f(i), (i, a, n))`` becomes ``Sum(f(i), (i, a, n - 1)) + f(n)`` and
    ``Product(f(i), (i, a, n))`` becomes ``Product(f(i), (i, a, n - 1)) * f(n)``:
    the step of a proof by induction over schedules M_0, M_1, ...
    """

    def split(e):
        (var, lo, hi), = e.limits
        if hi != n:
            return e
        head = e.func(e.function, (var, lo, n - 1))
        last = e.function.subs(var, n)
        return head + last if isinstance(e, sp.Sum) else head * last

    return expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)) and len(e.limits) == 1, split)


def induction(f: sp.Expr, n: sp.Symbol, initial: sp.Expr, step) -> tuple[bool, str]:
    """Prove that ``f(n)`` solves ``f(0) = initial``, ``f(n+1) = step(f(n), n)``.

    Returns ``(holds, detail)``; both the base case and the step must simplify to 0.
    """
    base = sp.simplify(f.subs(n, 0).doit() - initial)
    if base != 0 and not is_zero(base):
        return False, f"base case fails: f(0) - initial = {base}"
    diff = peel_last(f.subs(n, n + 1), n) - step(f, n)
    if not is_zero(diff):
        return False, f"induction step fails: f(n+1) - step(f(n)) = {sp.simplify(diff)}"
    return True, "base case and induction step hold exactly"
