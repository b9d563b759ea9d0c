"""Rigorous certificates with Arb ball arithmetic (python-flint).

An Arb ball ``[m +/- r]`` is guaranteed to contain the exact value of the
expression it came from, so ``ball < 0`` is a proof that the exact value is
negative (Arb returns True only when the whole ball lies below 0).

:func:`to_arb` evaluates a sympy expression on balls; :func:`negative_on_integers`
proves ``f(M) < 0`` at each integer of a finite range; :func:`negative_on_interval`
proves ``g(t) < 0`` for every real t of an interval by bisection (each piece is
evaluated on a ball covering it), the tool for the unbounded part of a range
after the substitution t = 1 / M.
"""

from __future__ import annotations

import dataclasses

import flint
import sympy as sp

__all__ = ["Certificate", "negative_on_integers", "negative_on_interval", "to_arb"]

flint.ctx.prec = 128


@dataclasses.dataclass(frozen=True)
class Certificate:
    holds: bool
    detail: str


def _arb_of_rational(q: sp.Rational) -> flint.arb:
    return flint.arb(flint.fmpq(int(q.p), int(q.q)))


def _atom(expr: sp.Expr, env: dict[sp.Symbol, flint.arb]) -> flint.arb | None:
    """A rational, a symbol's ball or a constant; None for a compound expression."""
    if expr.is_Rational:
        return _arb_of_rational(expr)
    if expr.is_Symbol:
        if expr not in env:
            raise ValueError(f"no value for symbol {expr} in the certificate")
        return env[expr]
    constants = {sp.pi: flint.arb.pi, sp.E: flint.arb.const_e, sp.EulerGamma: flint.arb.const_euler}
    for const, ball in constants.items():
        if expr is const:
            return ball()
    return None


def _power(expr: sp.Pow, base: flint.arb, ex: flint.arb) -> flint.arb:
    e = expr.args[1]
    if e.is_Integer:
        return base ** int(e)
    if e == sp.Rational(1, 2):
        return base.sqrt()
    return (ex * base.log()).exp()


def _polygamma(expr: sp.polygamma, env: dict[sp.Symbol, flint.arb]) -> flint.arb:
    order, x = expr.args
    xa = to_arb(x, env)
    if order == 0:
        return xa.digamma()
    if order == 1:
        return flint.arb(2).zeta(xa)  # trigamma(x) = Hurwitz zeta(2, x)
    raise ValueError(f"polygamma of order {order} is not supported in certificates")


def _sum(args: list[flint.arb]) -> flint.arb:
    total = flint.arb(0)
    for a in args:
        total += a
    return total


def _product(args: list[flint.arb]) -> flint.arb:
    total = flint.arb(1)
    for a in args:
        total *= a
    return total


#: functions of one argument and their Arb counterparts
_UNARY = {sp.exp: flint.arb.exp, sp.log: flint.arb.log, sp.gamma: flint.arb.gamma, sp.loggamma: flint.arb.lgamma}


def to_arb(expr: sp.Expr, env: dict[sp.Symbol, flint.arb]) -> flint.arb:
    """Evaluate ``expr`` with Arb balls; symbols are looked up in ``env``.

    Supported: rationals, pi, E, EulerGamma, +, *, powers, exp, log, sqrt, gamma,
    loggamma, polygamma(0, x) (digamma) and polygamma(1, x) (trigamma, as the
    Hurwitz zeta(2, x)). Anything else is refused rather than approximated.
    """
    atom = _atom(expr, env)
    if atom is not None:
        return atom
    if isinstance(expr, sp.polygamma):
        return _polygamma(expr, env)
    args = [to_arb(a, env) for a in expr.args]
    if isinstance(expr, sp.Add):
        return _sum(args)
    if isinstance(expr, sp.Mul):
        return _product(args)
    if isinstance(expr, sp.Pow):
        return _power(expr, *args)
    for func, ball in _UNARY.items():
        if isinstance(expr, func):
            return ball(args[0])
    raise ValueError(f"cannot evaluate {type(expr).__name__} ({expr}) in ball arithmetic")


def negative_on_integers(expr: sp.Expr, var: sp.Symbol, start: int, stop: int) -> Certificate:
    """Prove ``expr < 0`` at every integer ``var`` in ``[start, stop]``."""
    worst = None
    for m in range(start, stop + 1):
        val = to_arb(expr, {var: flint.arb(m)})
        if not val < 0:
            return Certificate(False, f"not certified negative at {var} = {m}: {val}")
        worst = val if worst is None or val.upper() > worst.upper() else worst
    return Certificate(True, f"certified < 0 at each integer {var} in [{start}, {stop}] (largest ball {worst})")


def negative_on_interval(expr: sp.Expr, var: sp.Symbol, lo: sp.Rational, hi: sp.Rational,
                         *, max_pieces: int = 4096) -> Certificate:
    """Prove ``expr < 0`` for every real ``var`` in the closed interval ``[lo, hi]``.

    Bisection: a piece is accepted when the ball evaluation of ``expr`` over the
    whole piece lies below 0, and split in two otherwise.
    """
    lo, hi = sp.Rational(lo), sp.Rational(hi)
    stack, accepted = [(lo, hi)], 0
    while stack:
        a, b = stack.pop()
        mid, rad = (a + b) / 2, (b - a) / 2
        ball = flint.arb(flint.fmpq(int(mid.p), int(mid.q)), flint.arb(flint.fmpq(int(rad.p), int(rad.q))).upper())
        val = to_arb(expr, {var: ball})
        if val < 0:
            accepted += 1
            continue
        if accepted + len(stack) >= max_pieces or b - a < sp.Rational(1, 2**40):
            return Certificate(False, f"not certified negative near {var} in [{a}, {b}]: {val}")
        stack.extend([(a, mid), (mid, b)])
    return Certificate(True, f"certified < 0 for all {var} in [{lo}, {hi}] ({accepted} ball pieces)")
