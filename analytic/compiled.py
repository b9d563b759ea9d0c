r"""Derived expressions as data: small JSON trees, evaluated without sympy.

The closed forms of :mod:`collapse.analytic` are derived by sympy, which takes
seconds (and importing sympy alone is a third of a second). The command line
evaluates them from trees stored in the derivation cache (:mod:`collapse.analytic.forms`)
instead; this module builds those trees (building imports sympy, inside the
functions that build) and evaluates them (evaluating never imports sympy). A tree
is JSON data, never code: it is walked by the small interpreters below, with no
``eval``, ``exec`` or pickle, and only the mpmath names of :data:`MPMATH_NAMES`
can be called.

Every number keeps coming out exactly as it did from sympy, so there are two kinds
of entry, one per way the toolkit turned an expression into numbers:

``"py"`` (:func:`py_tree`, evaluated by :func:`lambdified`)
    the Python code ``sympy.lambdify(args, expr, "mpmath")`` generates for the
    expression, as its syntax tree: ``["+", a, b]``, ``["*", a, b]``, ``["**", a, b]``,
    ``["neg", a]``, ``["call", "gamma", x]``, ``["arg", 0]``, ``["lit", 2]``,
    ``["name", "pi"]``. The interpreter applies the same Python operators to the same
    mpmath functions in the same order, so the values are those of the lambdified
    function, bit for bit.
``"sym"`` (:func:`sym_tree`, evaluated by :func:`mp_value` or :func:`subs_value`)
    sympy's own structure: ``["Integer", 3]``, ``["Rational", 1, 2]``,
    ``["Float", sign, man, exp, prec]``, ``["Symbol", "M"]``, ``["Const", "Pi"]``,
    ``["Add", ...]``, ``["Mul", ...]``, ``["Pow", b, e]``, ``["Fn", "polygamma", m, x]``,
    ``["Sum", body, ["Symbol", "j"], lo, hi]`` (and ``"Product"``), with the symbols'
    assumptions alongside. :func:`mp_value` evaluates it with mpmath at the current
    precision (for values sympy computed with ``sympy.N``); :func:`subs_value`
    reproduces ``float(expr.subs(values))`` exactly, including sympy's 53-bit Float
    arithmetic when Python floats are substituted (see its docstring).

:func:`to_sympy` rebuilds either kind into a sympy expression (used by the tests:
the rebuilt expression equals the fresh derivation).
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import mpmath
from mpmath import libmp

__all__ = [
    "MPMATH_NAMES", "SYM_FUNCTIONS", "Unsupported",
    "check_entry", "lambdified", "mp_value", "py_tree", "subs_value", "sym_tree", "to_sympy",
]


class Unsupported(ValueError):
    """An expression (or a value) this module cannot turn into a tree, or evaluate exactly as sympy would."""


#: mpmath names lambdify's code may use; a tree naming anything else is refused
MPMATH_NAMES = frozenset({
    "mpf", "gamma", "loggamma", "rgamma", "polygamma", "psi", "digamma", "harmonic", "zeta", "sqrt", "log",
    "exp", "expm1", "log1p", "binomial", "factorial", "rf", "ff", "fabs", "power", "pi", "e", "euler",
})
#: sympy functions a "sym" tree may apply (their mpmath counterparts evaluate them)
SYM_FUNCTIONS = {"gamma": "gamma", "loggamma": "loggamma", "polygamma": "polygamma", "harmonic": "harmonic",
                 "zeta": "zeta", "log": "log", "exp": "exp", "factorial": "factorial", "binomial": "binomial"}
_SYM_CONSTANTS = {"Pi": "pi", "Exp1": "e", "EulerGamma": "euler"}
_PY_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
_PY_UNARY = {"neg": operator.neg, "pos": operator.pos}
assert all(hasattr(mpmath, name) for name in MPMATH_NAMES)


# ------------------------------------------------------------------ building (sympy)
def py_tree(expr, args: Sequence) -> dict[str, Any]:
    """The "py" entry of ``expr``: the syntax tree of ``sympy.lambdify(args, expr, "mpmath")``."""
    import ast
    import inspect
    import textwrap

    import sympy as sp

    fn = sp.lambdify(tuple(args), expr, modules="mpmath")
    module = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    node = module.body[0]
    if not (isinstance(node, ast.FunctionDef) and len(node.body) == 1 and isinstance(node.body[0], ast.Return)):
        raise Unsupported(f"lambdify generated more than one return statement for {expr}")
    positions = {a.arg: i for i, a in enumerate(node.args.args)}
    return {"kind": "py", "args": [str(a) for a in args], "symbols": _symbol_table(args),
            "tree": _from_ast(node.body[0].value, positions)}


def _from_ast(node, positions: dict[str, int]) -> list:
    import ast

    if isinstance(node, ast.Constant) and type(node.value) in (int, float, str):
        if isinstance(node.value, float) and not math.isfinite(node.value):
            raise Unsupported(f"non-finite literal {node.value!r}")
        return ["lit", node.value]
    if isinstance(node, ast.Name):
        if node.id in positions:
            return ["arg", positions[node.id]]
        return ["name", _mpmath_name(node.id)]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "mpmath":
        return ["name", _mpmath_name(node.attr)]
    if isinstance(node, ast.BinOp):
        ops = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
        if type(node.op) in ops:
            return [ops[type(node.op)], _from_ast(node.left, positions), _from_ast(node.right, positions)]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return ["neg" if isinstance(node.op, ast.USub) else "pos", _from_ast(node.operand, positions)]
    if isinstance(node, ast.Call) and not node.keywords:
        func = _from_ast(node.func, positions)
        if func[0] == "name":
            return ["call", func[1], *(_from_ast(a, positions) for a in node.args)]
    raise Unsupported(f"lambdify's code has a construct the tree does not model: {ast.dump(node)[:200]}")


def _mpmath_name(name: str) -> str:
    if name not in MPMATH_NAMES:
        raise Unsupported(f"lambdify's code uses {name!r}, not in MPMATH_NAMES")
    return name


def _symbol_table(symbols) -> dict[str, dict[str, bool]]:
    import sympy as sp

    table: dict[str, dict[str, bool]] = {}
    for s in symbols:
        if not isinstance(s, sp.Symbol) or isinstance(s, sp.Dummy):
            raise Unsupported(f"{s!r} is not a plain Symbol")
        assumptions = {k: bool(v) for k, v in sorted(s.assumptions0.items()) if v is not None}
        if table.setdefault(s.name, assumptions) != assumptions:
            raise Unsupported(f"two symbols named {s.name!r} with different assumptions")
    return table


def sym_tree(expr) -> dict[str, Any]:
    """The "sym" entry of ``expr``: its sympy structure, args in sympy's own order."""
    import sympy as sp

    expr = sp.sympify(expr)
    symbols = []

    def conv(e) -> list:
        if e.is_Integer:
            return ["Integer", int(e)]
        if e.is_Rational:
            return ["Rational", int(e.p), int(e.q)]
        if e.is_Float:
            sign, man, exp, _ = e._mpf_
            return ["Float", int(sign), int(man), int(exp), int(e._prec)]
        if isinstance(e, sp.Symbol) and not isinstance(e, sp.Dummy):
            symbols.append(e)
            return ["Symbol", e.name]
        if type(e).__name__ in _SYM_CONSTANTS and not e.args:
            return ["Const", type(e).__name__]
        if e.is_Add or e.is_Mul:
            return ["Add" if e.is_Add else "Mul", *(conv(a) for a in e.args)]
        if e.is_Pow:
            return ["Pow", conv(e.base), conv(e.exp)]
        if isinstance(e, (sp.Sum, sp.Product)) and len(e.limits) == 1:
            j, lo, hi = e.limits[0]
            return [type(e).__name__, conv(e.function), conv(j), conv(lo), conv(hi)]
        if isinstance(e, sp.Function) and type(e).__name__ in SYM_FUNCTIONS:
            return ["Fn", type(e).__name__, *(conv(a) for a in e.args)]
        raise Unsupported(f"no tree node for {type(e).__name__}: {e}")

    tree = conv(expr)
    return {"kind": "sym", "symbols": _symbol_table(symbols), "tree": tree}


def to_sympy(entry: Mapping[str, Any]):
    """Rebuild an entry (either kind) into a sympy expression."""
    import sympy as sp

    syms = {name: sp.Symbol(name, **a) for name, a in entry["symbols"].items()}
    if entry["kind"] == "py":
        args = [syms[name] for name in entry["args"]]
        funcs = {"mpf": _strict_number, "gamma": sp.gamma, "loggamma": sp.loggamma, "rgamma": lambda x: 1 / sp.gamma(x),
                 "polygamma": sp.polygamma, "psi": sp.polygamma, "digamma": sp.digamma, "harmonic": sp.harmonic,
                 "zeta": sp.zeta, "sqrt": sp.sqrt, "log": sp.log, "exp": sp.exp, "binomial": sp.binomial,
                 "factorial": sp.factorial, "rf": sp.RisingFactorial, "ff": sp.FallingFactorial, "fabs": sp.Abs,
                 "power": sp.Pow, "expm1": lambda x: sp.exp(x) - 1, "log1p": lambda x: sp.log(1 + x),
                 "pi": sp.pi, "e": sp.E, "euler": sp.EulerGamma}

        def conv(node):
            tag = node[0]
            if tag == "lit":
                return _strict_number(node[1])
            if tag == "arg":
                return args[node[1]]
            if tag == "name":
                return funcs[node[1]]
            if tag in _PY_BINARY:
                return _PY_BINARY[tag](conv(node[1]), conv(node[2]))
            if tag in _PY_UNARY:
                return _PY_UNARY[tag](conv(node[1]))
            if tag == "call":
                return funcs[node[1]](*(conv(a) for a in node[2:]))
            raise Unsupported(f"unknown py node {tag!r}")

        return conv(entry["tree"])

    def conv_sym(node):
        tag = node[0]
        if tag == "Integer":
            return sp.Integer(node[1])
        if tag == "Rational":
            return sp.Rational(node[1], node[2])
        if tag == "Float":
            return sp.Float._new((node[1], node[2], node[3], int(node[2]).bit_length()), node[4])
        if tag == "Symbol":
            return syms[node[1]]
        if tag == "Const":
            return getattr(sp.S, node[1])
        if tag == "Add":
            return sp.Add(*(conv_sym(a) for a in node[1:]))
        if tag == "Mul":
            return sp.Mul(*(conv_sym(a) for a in node[1:]))
        if tag == "Pow":
            return sp.Pow(conv_sym(node[1]), conv_sym(node[2]))
        if tag in ("Sum", "Product"):
            return getattr(sp, tag)(conv_sym(node[1]), (conv_sym(node[2]), conv_sym(node[3]), conv_sym(node[4])))
        if tag == "Fn" and node[1] in SYM_FUNCTIONS:
            return getattr(sp, node[1])(*(conv_sym(a) for a in node[2:]))
        raise Unsupported(f"unknown sym node {tag!r}")

    return conv_sym(entry["tree"])


def _strict_number(value):
    """A literal of a "py" tree as a sympy number, never via ``sympify`` (the tree may come from a file).

    int -> Integer, float -> Float, a str only if it is a float literal -> Float; else :class:`Unsupported`.
    """
    import re

    import sympy as sp

    if type(value) is int:
        return sp.Integer(value)
    if type(value) is float:
        return sp.Float(value)
    if isinstance(value, sp.Basic):  # mpf(x) of a value already built from the tree (never text)
        return value
    if (type(value) is str and len(value) <= 1000  # a bounded exponent: sp.Float("1e99999999") takes minutes
            and re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,4})?", value)):
        return sp.Float(value)
    raise Unsupported(f"a literal must be an int, a float or a float's text, got {value!r:.80}")


# ------------------------------------------------------------------ checking (data read back)
_SYM_ARITY = {"Integer": (1, 1), "Rational": (2, 2), "Float": (4, 4), "Symbol": (1, 1), "Const": (1, 1),
              "Add": (2, None), "Mul": (2, None), "Pow": (2, 2), "Sum": (4, 4), "Product": (4, 4), "Fn": (1, None)}


def check_entry(entry: Any) -> None:
    """Raise :class:`Unsupported` unless ``entry`` is a well-formed tree entry (either kind).

    Used on everything read back from the cache: a damaged entry is rebuilt, not evaluated.
    """
    if not isinstance(entry, dict) or entry.get("kind") not in ("py", "sym"):
        raise Unsupported("an entry must be a dict with kind 'py' or 'sym'")
    symbols = entry.get("symbols")
    if not isinstance(symbols, dict) or not all(
            isinstance(k, str) and isinstance(v, dict) and all(isinstance(a, str) and isinstance(b, bool)
                                                               for a, b in v.items())
            for k, v in symbols.items()):
        raise Unsupported("malformed symbol table")
    if entry["kind"] == "py":
        args = entry.get("args")
        if not isinstance(args, list) or not all(isinstance(a, str) and a in symbols for a in args):
            raise Unsupported("malformed argument list")
        _compile_py(entry.get("tree"), len(args))
    else:
        _check_sym(entry.get("tree"), symbols)


def _check_sym(node, symbols) -> None:
    if not isinstance(node, list) or not node or node[0] not in _SYM_ARITY:
        raise Unsupported(f"malformed sym node {node!r:.80}")
    tag, args = node[0], node[1:]
    lo, hi = _SYM_ARITY[tag]
    if len(args) < lo or (hi is not None and len(args) > hi):
        raise Unsupported(f"{tag} with {len(args)} arguments")
    ints = lambda *xs: all(type(x) is int for x in xs)  # noqa: E731
    if tag == "Integer" and ints(*args):
        return
    if tag == "Rational" and ints(*args) and args[1] > 0:
        return
    if tag == "Float" and ints(*args) and args[0] in (0, 1) and args[1] >= 0 and args[3] > 0:
        return
    if tag == "Symbol" and args[0] in symbols:
        return
    if tag == "Const" and args[0] in _SYM_CONSTANTS:
        return
    if tag == "Fn":
        if args[0] not in SYM_FUNCTIONS or len(args) < 2:
            raise Unsupported(f"unknown function {args[0]!r:.40}")
        args = args[1:]
    elif tag in ("Sum", "Product") and not (isinstance(args[1], list) and args[1][:1] == ["Symbol"]):
        raise Unsupported(f"{tag} without a bound symbol")
    elif tag in ("Integer", "Rational", "Float", "Symbol", "Const"):
        raise Unsupported(f"malformed {tag} node")
    for a in args:
        _check_sym(a, symbols)


# ------------------------------------------------------------------ "py": lambdify's code
def lambdified(entry: Mapping[str, Any]) -> Callable[..., Any]:
    """The function ``sympy.lambdify(args, expr, "mpmath")`` would return, from a "py" entry.

    Arguments are positional, in the order of ``entry["args"]``; ints stay ints and
    mpf stay mpf, exactly as they would in the generated code.
    """
    if entry.get("kind") != "py":
        raise Unsupported("lambdified needs a 'py' entry")
    nargs = len(entry["args"])
    body = _compile_py(entry["tree"], nargs)

    def fn(*values):
        if len(values) != nargs:
            raise TypeError(f"expected {nargs} arguments ({', '.join(entry['args'])}), got {len(values)}")
        return body(values)

    return fn


def _compile_py(node, nargs: int) -> Callable[[Sequence], Any]:
    """Closures over the tree (walked once here, so that a call costs no look-ups)."""
    if not isinstance(node, list) or not node or not isinstance(node[0], str):
        raise Unsupported(f"malformed py node {node!r}")
    tag = node[0]
    if tag == "lit" and len(node) == 2 and type(node[1]) in (int, float, str):
        value = node[1]
        if isinstance(value, str):
            raise Unsupported("a bare string literal outside mpf(...)")
        return lambda env: value
    if tag == "arg" and len(node) == 2 and type(node[1]) is int and 0 <= node[1] < nargs:
        i = node[1]
        return lambda env: env[i]
    if tag == "name" and len(node) == 2 and node[1] in MPMATH_NAMES:
        obj = getattr(mpmath, node[1])
        return lambda env: obj
    if tag in _PY_BINARY and len(node) == 3:
        op, a, b = _PY_BINARY[tag], _compile_py(node[1], nargs), _compile_py(node[2], nargs)
        return lambda env: op(a(env), b(env))
    if tag in _PY_UNARY and len(node) == 2:
        op, a = _PY_UNARY[tag], _compile_py(node[1], nargs)
        return lambda env: op(a(env))
    if tag == "call" and len(node) >= 2 and node[1] in MPMATH_NAMES:
        fn = getattr(mpmath, node[1])
        if node[1] == "mpf" and len(node) == 3 and node[2][:1] == ["lit"] and type(node[2][1]) in (int, str):
            literal = node[2][1]  # mpf(1), mpf('0.25'): converted at call time, at the current precision
            return lambda env: fn(literal)
        args = [_compile_py(a, nargs) for a in node[2:]]
        if len(args) == 1:
            a0 = args[0]
            return lambda env: fn(a0(env))
        return lambda env: fn(*[a(env) for a in args])
    raise Unsupported(f"malformed py node {node!r}")


# ------------------------------------------------------------------ "sym": mpmath
def mp_value(entry: Mapping[str, Any], values: Mapping[str, Any]):
    """The value of a "sym" entry with mpmath at the current precision (``values`` by symbol name).

    Sums and products run over their (integer) ranges; integers are exact until
    they meet an mpf.
    """
    if entry.get("kind") != "sym":
        raise Unsupported("mp_value needs a 'sym' entry")
    return mpmath.mpmathify(_mp(entry["tree"], dict(values)))


def _mp(node, env: dict[str, Any]):
    tag = node[0]
    if tag == "Integer":
        return mpmath.mpf(node[1])
    if tag == "Rational":
        return mpmath.mpf(node[1]) / node[2]
    if tag == "Float":
        return mpmath.mpf((node[1], node[2], node[3], int(node[2]).bit_length()))
    if tag == "Symbol":
        if node[1] not in env:
            raise Unsupported(f"no value for symbol {node[1]!r}")
        return mpmath.mpmathify(env[node[1]])
    if tag == "Const" and node[1] in _SYM_CONSTANTS:
        return +getattr(mpmath, _SYM_CONSTANTS[node[1]])
    if tag == "Add":
        return mpmath.fsum(_mp(a, env) for a in node[1:])
    if tag == "Mul":
        return mpmath.fprod(_mp(a, env) for a in node[1:])
    if tag == "Pow":
        base, expo = _mp(node[1], env), _mp(node[2], env)
        return base ** (int(expo) if expo == int(expo) else expo)
    if tag in ("Sum", "Product"):
        var = node[2][1]
        lo, hi = _mp(node[3], env), _mp(node[4], env)
        if lo != int(lo) or hi != int(hi):
            raise Unsupported(f"{tag} over a non-integer range")
        terms = [_mp(node[1], {**env, var: j}) for j in range(int(lo), int(hi) + 1)]
        return mpmath.fsum(terms) if tag == "Sum" else mpmath.fprod(terms)
    if tag == "Fn" and node[1] in SYM_FUNCTIONS:
        args = [_mp(a, env) for a in node[2:]]
        if node[1] == "polygamma":
            return mpmath.polygamma(int(args[0]), args[1])
        return getattr(mpmath, SYM_FUNCTIONS[node[1]])(*args)
    raise Unsupported(f"unknown sym node {tag!r}")


# ------------------------------------------------------------------ "sym": sympy's subs + float
class _Flt:
    """A sympy Float: a raw mpf and its precision in bits."""

    __slots__ = ("mpf", "prec")

    def __init__(self, mpf, prec: int):
        self.mpf, self.prec = mpf, prec


class _Sym:
    """A factor sympy leaves unevaluated until ``float()``: a constant (pi) or its integer power."""

    __slots__ = ("const", "power")

    def __init__(self, const: str, power: int = 1):
        self.const, self.power = const, power


_RND = libmp.round_nearest  # sympy's rounding (sympy.core.numbers.rnd, sympy.core.evalf.rnd)
_LATE = math.inf  # the phase of a factor that never becomes a number


def subs_value(entry: Mapping[str, Any], values: Mapping[str, Any]) -> float:
    """``float(expr.subs(values))``, bit for bit, without sympy (``values`` by symbol name).

    ``values`` are ints (exact, as sympy Integers) or floats (sympy Floats of 53 bits).
    With floats the result depends on the order sympy does its arithmetic in, so that
    order is reproduced: ``subs`` with a dict substitutes one symbol at a time, in the
    order of their names, and after each substitution every Add and Mul folds the
    arguments that have become numbers into its coefficient, in the order of its
    arguments (exact for Integers and Rationals; a Float meeting a Rational rounds the
    Rational to the Float's precision first); Float powers, sums and products are
    mpmath's, rounded to nearest. A product left with a constant such as pi**2 is
    evaluated the way ``evalf`` evaluates a product (at 4 more bits, then rounded to 53).
    Raises :class:`Unsupported` for the patterns it does not model (the caller then
    asks sympy); the tests check it against sympy on random values.
    """
    if entry.get("kind") != "sym":
        raise Unsupported("subs_value needs a 'sym' entry")
    env, rank = {}, {}
    for i, name in enumerate(sorted(values)):  # sympy's subs: symbols ordered by name
        v = values[name]
        if isinstance(v, bool):
            raise Unsupported(f"boolean value for {name!r}")
        if isinstance(v, numbers.Integral):
            env[name] = Fraction(int(v))
        elif isinstance(v, float):
            env[name] = _Flt(libmp.from_float(float(v)), 53)
        else:
            raise Unsupported(f"value of {name!r} must be an int or a float, got {type(v).__name__}")
        rank[name] = i
    _, value = _subs(entry["tree"], env, rank)
    return _to_float(value)


def _subs(node, env, rank) -> tuple[float, Any]:
    """(phase at which the node becomes a number, its value)."""
    tag = node[0]
    if tag == "Integer":
        return -1, Fraction(node[1])
    if tag == "Rational":
        return -1, Fraction(node[1], node[2])
    if tag == "Float":
        return -1, _Flt((node[1], node[2], node[3], int(node[2]).bit_length()), node[4])
    if tag == "Symbol":
        if node[1] not in env:
            raise Unsupported(f"no value for symbol {node[1]!r}")
        return rank[node[1]], env[node[1]]
    if tag == "Const" and node[1] in _SYM_CONSTANTS:
        return _LATE, _Sym(node[1])
    if tag in ("Add", "Mul"):
        return _fold(tag, node[1:], env, rank)
    if tag == "Pow":
        pb, b = _subs(node[1], env, rank)
        pe, e = _subs(node[2], env, rank)
        if isinstance(e, Fraction) and e == 0:
            return pe, Fraction(1)  # x**0 = 1 as soon as the exponent is 0
        if isinstance(b, Fraction) and b == 1:
            return pb, Fraction(1)
        return max(pb, pe), _pow(b, e)
    if tag == "Fn" and node[1] == "harmonic" and len(node) == 4:
        pn, nv = _subs(node[2], env, rank)
        pm, mv = _subs(node[3], env, rank)
        if not (isinstance(nv, Fraction) and isinstance(mv, Fraction) and nv.denominator == mv.denominator == 1
                and nv >= 0):
            raise Unsupported("harmonic(n, m) with n, m not non-negative integers")
        m = int(mv)
        return max(pn, pm), sum((Fraction(1, k**m) for k in range(1, int(nv) + 1)), Fraction(0))
    raise Unsupported(f"subs_value does not model {tag} nodes")


def _fold(tag: str, args, env, rank) -> tuple[float, Any]:
    """An Add or Mul: numbers folded into the coefficient phase by phase, in argument order."""
    kids = [_subs(a, env, rank) for a in args]
    order = sorted(range(len(kids)), key=lambda i: (kids[i][0], i))
    acc: Any = Fraction(0) if tag == "Add" else Fraction(1)
    late: list[_Sym] = []
    phases = sorted({kids[i][0] for i in order})
    for phase in phases:
        for i in order:
            p, v = kids[i]
            if p != phase:
                continue
            if isinstance(v, tuple):  # a product with a constant inside this one: not modelled
                raise Unsupported("an unevaluated constant below the top-level product")
            if isinstance(v, _Sym):
                if tag == "Add":
                    raise Unsupported("a sum with an unevaluated constant")
                late.append(v)
            else:
                acc = _add(acc, v) if tag == "Add" else _mul(acc, v)
        rest = [j for j in order if kids[j][0] > phase]
        if tag == "Mul" and isinstance(acc, Fraction):
            if acc == 0 and phase != _LATE:
                return phase, Fraction(0)  # the Mul is the Integer 0 from here on
            if acc != 1 and len(rest) == 1 and args[rest[0]][0] == "Add" and kids[rest[0]][0] != _LATE:
                raise Unsupported("Rational * Add: sympy distributes the coefficient")
    if late:
        return _LATE, (acc, late)
    return phases[-1] if phases else -1, acc


def _as_mpf(x, prec: int):
    """A number as an mpf at ``prec`` bits, as sympy's ``_as_mpf_op`` does."""
    if isinstance(x, _Flt):
        return x.mpf
    return libmp.from_rational(x.numerator, x.denominator, prec, _RND)


def _add(a, b):
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a + b
    prec = max(x.prec for x in (a, b) if isinstance(x, _Flt))
    return _Flt(libmp.mpf_add(_as_mpf(a, prec), _as_mpf(b, prec), prec, _RND), prec)


def _mul(a, b):
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a * b
    prec = max(x.prec for x in (a, b) if isinstance(x, _Flt))
    return _Flt(libmp.mpf_mul(_as_mpf(a, prec), _as_mpf(b, prec), prec, _RND), prec)


def _pow(b, e):
    if not (isinstance(e, Fraction) and e.denominator == 1):
        raise Unsupported("a power with a non-integer exponent")
    n = int(e)
    if isinstance(b, tuple):
        raise Unsupported("a power of a product with an unevaluated constant")
    if isinstance(b, _Sym):
        return _Sym(b.const, b.power * n)
    if isinstance(b, Fraction):
        if b == 0 and n < 0:
            raise Unsupported("0 to a negative power")
        return b**n
    if isinstance(b, _Flt):
        if b.mpf == libmp.fzero:
            if n < 0:
                raise Unsupported("0.0 to a negative power")
            return b
        return _Flt(libmp.mpf_pow_int(b.mpf, n, b.prec, _RND), b.prec)
    raise Unsupported("a power of something that is not a number")


def _to_float(value) -> float:
    """``float()`` of the resulting sympy number (or of coefficient * constants, via evalf)."""
    if isinstance(value, Fraction):  # Number.__float__: the Rational rounded to nearest at 53 bits
        return libmp.to_float(libmp.from_rational(value.numerator, value.denominator, 53, _RND))
    if isinstance(value, _Flt):
        return libmp.to_float(libmp.mpf_pos(value.mpf, 53, _RND))
    coeff, late = value
    # Expr.__float__ -> evalf(15) -> evalf_mul at prec = 53 + 4: every factor at
    # working_prec = prec + len(args) + 5 (a Rational rounded down, as evalf_rational
    # does), their exact product rounded to prec, then Float._new rounds to 53 bits
    prec = 53 + 4
    working = prec + (1 + len(late)) + 5
    if isinstance(coeff, Fraction):
        product = libmp.from_rational(coeff.numerator, coeff.denominator, working, libmp.round_down)
    else:
        product = coeff.mpf
    for factor in late:
        product = libmp.mpf_mul(product, _evalf_const_power(factor, working))  # exact
    return libmp.to_float(libmp.mpf_pos(libmp.mpf_pos(product, prec, _RND), 53, _RND))


def _evalf_const_power(factor: _Sym, prec: int):
    """evalf_pow(const**n, prec): the constant at prec + log2|n| + 5 bits, the power rounded down to prec."""
    const = {"Pi": libmp.mpf_pi, "Exp1": libmp.mpf_e, "EulerGamma": libmp.mpf_euler}[factor.const]
    n = factor.power
    if n == 1:
        return const(prec)
    if n == 0:
        return libmp.fone
    return libmp.mpf_pow_int(const(prec + int(math.log2(abs(n))) + 5), n, prec)
