r"""Arithmetic expressions typed by users, parsed safely: no ``eval``, ``exec`` or ``sympify``.

A command-line option such as ``--schedule "100*(i+1)**2"`` holds a formula in a
variable. :func:`parse_expression` reads it with :func:`ast.parse` and keeps only a
whitelist of constructs, as a small frozen tree (:class:`Expr`) that is evaluated
by the interpreter below (:meth:`Expr.evaluate`) or rebuilt node by node into a
sympy expression (:meth:`Expr.to_sympy`). User text is never executed: anything
outside the grammar raises :class:`~collapse.core.validation.InvalidArgument`
naming the option, what is allowed and what came.

Grammar (Python's own syntax and precedence, restricted)::

    expr   := expr ("+" | "-") expr | expr ("*" | "/") expr
            | ("-" | "+") expr | expr "**" expr
            | "(" expr ")" | number | variable | "pi" | "e"
            | func "(" expr ("," expr)* ")"
    number := an int or float literal (1, 2.5, 1e3, 1_000), |x| <= 1e15
    func   := sqrt | exp | log | floor | ceil | abs | min | max | round

``log`` takes one argument (natural log) or two (``log(x, base)``); ``min`` and
``max`` one or more; the others exactly one. ``round(x)`` rounds half up
(``floor(x + 1/2)``, the same in sympy). ``^`` is refused (use ``**``). Refused
too: strings, complex numbers, ``True``/``None``, other names, attribute access,
subscripts, keyword arguments, lambdas, comprehensions, comparisons, ``//``, ``%``...

Bounds, so that no text can make the parser or the evaluator work for long: at
most :data:`MAX_LENGTH` characters, parentheses and the tree nested at most
:data:`MAX_DEPTH` deep, at most :data:`MAX_NODES` nodes, literals of magnitude at
most 1e15. Evaluation refuses, without computing it, an integer exponent above
10^4 in magnitude and any value (intermediate ones included) whose magnitude would
exceed 1e300; constant sub-expressions are evaluated while parsing, so ``9**9**9``
is refused at once.

Evaluation uses Python ints where everything is integral (``2**i + 3`` at ``i = 4``
is the int 19; ``sqrt(16)`` is 4, ``floor``/``ceil``/``round`` give ints) and floats
otherwise (``/`` always gives a float). Every value must be finite and real, else
:class:`InvalidArgument` says at which point and why (``at i = 3: division by zero``).

``str(expr)`` is canonical text (minimal parentheses, Python syntax) that parses back
to an equal tree, so it can be stored in a config file.

Nothing here imports sympy at module level (``collapse.core`` must import fast):
:meth:`Expr.to_sympy` imports it when called.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field
from typing import Any

from collapse.core.validation import InvalidArgument

__all__ = ["CONSTANTS", "FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "MAX_NODES", "Expr", "parse_expression"]

MAX_LENGTH = 500
MAX_DEPTH = 50
MAX_NODES = 500
MAX_LITERAL = 10**15
MAX_EXPONENT = 10**4
MAX_MAGNITUDE = 1e300
_MAX_INT = 10**300

#: function name -> (fewest, most) arguments (None: no upper bound)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "sqrt": (1, 1), "exp": (1, 1), "log": (1, 2), "floor": (1, 1), "ceil": (1, 1), "abs": (1, 1),
    "min": (1, None), "max": (1, None), "round": (1, 1),
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_OPERATOR_NAMES = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
                   ast.BitOr: "|", ast.BitAnd: "&"}
_CONSTRUCTS = {
    "Attribute": "attribute access", "Subscript": "subscripts", "Lambda": "lambda", "ListComp": "comprehensions",
    "SetComp": "comprehensions", "DictComp": "comprehensions", "GeneratorExp": "comprehensions",
    "Compare": "comparisons", "BoolOp": "and/or", "IfExp": "if/else", "Tuple": "tuples (a comma outside a call)",
    "List": "lists", "Set": "sets", "Dict": "dicts", "JoinedStr": "f-strings", "Starred": "*arguments",
    "NamedExpr": ":=", "Slice": "slices", "Await": "await", "Yield": "yield", "YieldFrom": "yield",
}
#: binding strength of a node when printed (higher binds tighter)
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "neg": 3, "**": 4}
_ATOM = 5


def _allowed(variables: tuple[str, ...]) -> str:
    names = ", ".join(variables)
    return (f"an arithmetic expression in {names or 'no variables'}: numbers (|x| <= 1e15), {names + ', ' if names else ''}"
            f"pi, e, + - * / ** and parentheses, and the functions {', '.join(FUNCTIONS)}")


def _shown(text: str) -> str:
    return text if len(text) <= 120 else text[:120] + "..."


def parse_expression(text: str, *, variables: tuple[str, ...] | list[str] = ("i",),
                     option: str = "--schedule") -> Expr:
    """Parse ``text`` (see the module's grammar) into an :class:`Expr` in ``variables``.

    Raises :class:`InvalidArgument` (``option``, what is allowed, the text) for anything
    outside the grammar or its bounds; never executes any part of ``text``.

    >>> e = parse_expression("2**i + 3")
    >>> e.evaluate(i=4), str(e)
    (19, '2**i + 3')
    """
    variables = tuple(variables)
    for name in variables:
        if not (isinstance(name, str) and name.isidentifier()) or name in FUNCTIONS or name in CONSTANTS:
            raise ValueError(f"variable name {name!r} is not an identifier, or is a function or constant name")

    def refuse(reason: str) -> InvalidArgument:
        return InvalidArgument(option, f"{_allowed(variables)} ({reason})", _shown(text) if isinstance(text, str) else text)

    if not isinstance(text, str):
        raise refuse("text")
    if len(text) > MAX_LENGTH:
        raise refuse(f"at most {MAX_LENGTH} characters, not {len(text)}")
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise refuse(f"parentheses nested at most {MAX_DEPTH} deep")
    if not text.strip():
        raise refuse("not empty")
    try:
        module = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        raise refuse("this is not valid syntax") from None

    count = 0

    def walk(node: ast.AST, level: int) -> tuple:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise refuse(f"at most {MAX_NODES} terms and operators")
        if level > MAX_DEPTH:
            raise refuse(f"nested at most {MAX_DEPTH} deep")
        if isinstance(node, ast.Constant):
            value = node.value
            if type(value) is int:
                if abs(value) > MAX_LITERAL:
                    raise refuse("numbers at most 1e15 in magnitude")
                return ("int", value)
            if type(value) is float:
                if not math.isfinite(value) or abs(value) > MAX_LITERAL:
                    raise refuse("numbers at most 1e15 in magnitude")
                return ("float", value)
            kind = {str: "strings", bytes: "strings", complex: "complex numbers"}.get(type(value), repr(value))
            raise refuse(f"{kind} are not allowed" if kind.endswith("s") else f"{kind} is not allowed")
        if isinstance(node, ast.Name):
            if node.id in variables:
                return ("var", node.id)
            if node.id in CONSTANTS:
                return ("const", node.id)
            if node.id in FUNCTIONS:
                raise refuse(f"{node.id} must be called: {node.id}(...)")
            raise refuse(f"unknown name {node.id[:40]!r}")
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return ("neg", walk(node.operand, level + 1))
            if isinstance(node.op, ast.UAdd):
                return walk(node.operand, level + 1)
            raise refuse("operator " + ("not" if isinstance(node.op, ast.Not) else "~") + " is not allowed")
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.BitXor):
                raise refuse("use ** for powers, not ^")
            op = _BINARY.get(type(node.op))
            if op is None:
                raise refuse(f"operator {_OPERATOR_NAMES.get(type(node.op), '?')} is not allowed")
            return (op, walk(node.left, level + 1), walk(node.right, level + 1))
        if isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            if name not in FUNCTIONS:
                raise refuse("only the functions listed can be called")
            if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
                raise refuse(f"{name}() takes positional arguments only")
            fewest, most = FUNCTIONS[name]
            if len(node.args) < fewest or (most is not None and len(node.args) > most):
                wanted = str(fewest) if fewest == most else f"{fewest} or more" if most is None else f"{fewest} to {most}"
                raise refuse(f"{name}() takes {wanted} argument{'s' if wanted != '1' else ''}, not {len(node.args)}")
            return ("call", name, *(walk(a, level + 1) for a in node.args))
        what = _CONSTRUCTS.get(type(node).__name__, f"Python syntax other than arithmetic ({type(node).__name__})")
        raise refuse(f"{what} not allowed")

    tree = walk(module.body, 1)
    expr = Expr(tree, variables, option)
    _check_constants(expr, tree)
    return expr


def _check_constants(expr: Expr, node: tuple) -> bool:
    """Evaluate every maximal constant sub-expression (refusing ``9**9**9`` now); True if ``node`` is constant."""
    tag = node[0]
    if tag in ("int", "float", "const"):
        return True
    if tag == "var":
        return False
    kids = node[2:] if tag == "call" else node[1:]
    constant = [_check_constants(expr, k) for k in kids]
    if all(constant):
        expr._eval(node, {})
        return True
    return False


@dataclass(frozen=True)
class Expr:
    """A parsed expression: ``tree`` (nested tuples) in ``variables``; built by :func:`parse_expression`.

    Nodes: ``("int", 3)``, ``("float", 2.5)``, ``("var", "i")``, ``("const", "pi")``,
    ``("neg", x)``, ``("+", a, b)`` (and ``-``, ``*``, ``/``, ``**``), ``("call", "sqrt", x, ...)``.
    Two expressions are equal when their trees and variables are; ``option`` (the name used
    in error messages) is not compared.
    """

    tree: tuple
    variables: tuple[str, ...] = ("i",)
    option: str = field(default="--schedule", compare=False)

    # ---------------------------------------------------------------- text
    def __str__(self) -> str:
        return _text(self.tree)

    def free_variables(self) -> frozenset[str]:
        """The variables the expression uses."""
        out: set[str] = set()

        def visit(node: tuple) -> None:
            if node[0] == "var":
                out.add(node[1])
            elif node[0] not in ("int", "float", "const"):
                for k in node[2:] if node[0] == "call" else node[1:]:
                    visit(k)

        visit(self.tree)
        return frozenset(out)

    # ---------------------------------------------------------------- numbers
    def evaluate(self, **values: float) -> int | float:
        """The value at ``values`` (one per variable): an int where everything is integral, else a float.

        Raises :class:`InvalidArgument` (naming the option and the point) where the value
        is not a finite real number of magnitude at most 1e300.
        """
        unknown = set(values) - set(self.variables)
        missing = self.free_variables() - set(values)
        if unknown or missing:
            raise TypeError(f"evaluate() needs values for {sorted(self.free_variables())}; "
                            f"unknown {sorted(unknown)}, missing {sorted(missing)}")
        for name, v in values.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise TypeError(f"the value of {name} must be a finite int or float, got {v!r}")
        return self._eval(self.tree, values)

    def _fail(self, env: dict, why: str) -> InvalidArgument:
        where = ", ".join(f"{k} = {env[k]}" for k in self.variables if k in env)
        return InvalidArgument(self.option, f"a finite real value of magnitude <= 1e300 "
                                            f"({'at ' + where + ': ' if where else ''}{why})",
                               _shown(str(self)))

    def _checked(self, value: Any, env: dict) -> int | float:
        if isinstance(value, int):
            if abs(value) > _MAX_INT:
                raise self._fail(env, "magnitude above 1e300")
            return value
        if isinstance(value, complex):
            raise self._fail(env, "not a real number")
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise self._fail(env, "magnitude above 1e300")
        return value

    def _eval(self, node: tuple, env: dict) -> int | float:
        tag = node[0]
        if tag in ("int", "float"):
            return node[1]
        if tag == "var":
            return env[node[1]]
        if tag == "const":
            return CONSTANTS[node[1]]
        if tag == "neg":
            return -self._eval(node[1], env)
        if tag == "call":
            args = [self._eval(a, env) for a in node[2:]]
            return self._checked(self._call(node[1], args, env), env)
        a, b = self._eval(node[1], env), self._eval(node[2], env)
        try:
            if tag == "+":
                value = a + b
            elif tag == "-":
                value = a - b
            elif tag == "*":
                value = a * b
            elif tag == "/":
                if b == 0:
                    raise self._fail(env, "division by zero")
                value = a / b
            else:
                value = self._pow(a, b, env)
        except OverflowError:
            raise self._fail(env, "magnitude above 1e300") from None
        return self._checked(value, env)

    def _pow(self, b: float, e: float, env: dict) -> float:
        if isinstance(e, int) and abs(e) > MAX_EXPONENT:
            raise self._fail(env, f"an integer exponent above {MAX_EXPONENT} in magnitude")
        if b == 0:
            if e < 0:
                raise self._fail(env, "division by zero (0 to a negative power)")
            return b**e if isinstance(b, int) and isinstance(e, int) else float(b) ** float(e)
        if b < 0 and not float(e).is_integer():
            raise self._fail(env, "a negative number to a fractional power")
        if e * math.log10(abs(b)) > 300:  # |b**e| > 1e300: refused before computing it
            raise self._fail(env, "magnitude above 1e300")
        if isinstance(b, int) and isinstance(e, int):
            return b**e  # exact for e >= 0; a float for e < 0
        if b < 0:
            return float(b) ** int(e)
        return float(b) ** float(e)

    def _call(self, name: str, args: list, env: dict) -> int | float:
        x = args[0]
        try:
            if name == "sqrt":
                if x < 0:
                    raise self._fail(env, "sqrt of a negative number")
                if isinstance(x, int):
                    r = math.isqrt(x)
                    if r * r == x:
                        return r
                return math.sqrt(x)
            if name == "exp":
                if x > 700:
                    raise self._fail(env, "magnitude above 1e300")
                return math.exp(x)
            if name == "log":
                if x <= 0:
                    raise self._fail(env, "log of a number <= 0")
                if len(args) == 1:
                    return math.log(x)
                base = args[1]
                if base <= 0 or base == 1:
                    raise self._fail(env, "log to a base <= 0 or equal to 1")
                return math.log(x) / math.log(base)
            if name == "floor":
                return math.floor(x)
            if name == "ceil":
                return math.ceil(x)
            if name == "abs":
                return abs(x)
            if name == "min":
                return min(args)
            if name == "max":
                return max(args)
            if name == "round":  # half up, as floor(x + 1/2) in to_sympy
                return x if isinstance(x, int) else math.floor(x + 0.5)
        except OverflowError:
            raise self._fail(env, "magnitude above 1e300") from None
        raise AssertionError(name)  # pragma: no cover - the parser admits only FUNCTIONS

    # ---------------------------------------------------------------- sympy
    def to_sympy(self, symbols: dict[str, Any] | None = None):
        """The sympy expression, built node by node (never from text); ``symbols``: variable name -> Symbol.

        Variables missing from ``symbols`` become plain ``sympy.Symbol(name)``.
        """
        import sympy as sp

        syms = dict(symbols or {})
        funcs = {"sqrt": sp.sqrt, "exp": sp.exp, "log": sp.log, "floor": sp.floor, "ceil": sp.ceiling,
                 "abs": sp.Abs, "min": sp.Min, "max": sp.Max, "round": lambda x: sp.floor(x + sp.Rational(1, 2))}

        def conv(node: tuple):
            tag = node[0]
            if tag == "int":
                return sp.Integer(node[1])
            if tag == "float":
                return sp.Float(repr(node[1]))
            if tag == "var":
                if node[1] not in syms:
                    syms[node[1]] = sp.Symbol(node[1])
                return syms[node[1]]
            if tag == "const":
                return {"pi": sp.pi, "e": sp.E}[node[1]]
            if tag == "neg":
                return -conv(node[1])
            if tag == "call":
                return funcs[node[1]](*(conv(a) for a in node[2:]))
            a, b = conv(node[1]), conv(node[2])
            if tag == "+":
                return a + b
            if tag == "-":
                return a - b
            if tag == "*":
                return a * b
            if tag == "/":
                return a / b
            return sp.Pow(a, b)

        return conv(self.tree)


def _prec(node: tuple) -> int:
    return _PREC.get(node[0], _ATOM)


def _text(node: tuple) -> str:
    tag = node[0]
    if tag == "int":
        return str(node[1])
    if tag == "float":
        return repr(node[1])
    if tag in ("var", "const"):
        return node[1]
    if tag == "call":
        return f"{node[1]}({', '.join(_text(a) for a in node[2:])})"
    if tag == "neg":
        inner = _text(node[1])
        return f"-{inner}" if _prec(node[1]) >= _PREC["neg"] and node[1][0] != "neg" else f"-({inner})"
    left, right = node[1], node[2]
    p = _PREC[tag]
    if tag == "**":  # right-associative; the base of a power binds tighter than a unary minus
        lt = _text(left) if _prec(left) > p else f"({_text(left)})"
        rt = _text(right) if _prec(right) >= _PREC["neg"] else f"({_text(right)})"
        return f"{lt}**{rt}"
    lt = _text(left) if _prec(left) >= p else f"({_text(left)})"
    rt = _text(right) if _prec(right) > p else f"({_text(right)})"
    return f"{lt} {tag} {rt}"
