"""Exact symbolic checks: identities, and proofs by induction on the generation n."""

from __future__ import annotations

import sympy as sp

__all__ = ["is_zero", "peel_last", "induction"]


def is_zero(expr: sp.Expr) -> bool:
    """True when sympy proves ``expr == 0`` exactly (never a numerical tolerance)."""
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    for simp in (sp.simplify, lambda e: sp.simplify(sp.gammasimp(sp.powsimp(sp.expand_log(e, force=True), force=True)))):
        if simp(expr) == 0:
            return True
    return False


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
