"""Validation at the boundary: say which argument, what was expected, what came.

Library functions call these on their public arguments; the command line turns
:class:`InvalidArgument` into a one-line message and exit status 2.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from typing import Any

__all__ = [
    "InvalidArgument",
    "check_choice",
    "check_finite_real",
    "check_int",
    "check_positive_real",
    "check_schedule",
]


class InvalidArgument(ValueError):
    """A public argument had the wrong type or value.

    The message always has the form ``<name>: expected <what>, got <value>``.
    """

    def __init__(self, name: str, expected: str, got: Any):
        self.name, self.expected, self.got = name, expected, got
        super().__init__(f"{name}: expected {expected}, got {got!r}")


def check_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """Return ``value`` as ``int``; it must be an integer (not bool) >= ``minimum``."""
    what = "an integer" if minimum is None else f"an integer >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, Integral):
        if isinstance(value, Real) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise InvalidArgument(name, what, value)
    value = int(value)
    if minimum is not None and value < minimum:
        raise InvalidArgument(name, what, value)
    return value


def check_finite_real(name: str, value: Any) -> float:
    """Return ``value`` as ``float``; it must be a finite real number."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise InvalidArgument(name, "a finite real number", value)
    return float(value)


def check_positive_real(name: str, value: Any) -> float:
    """Return ``value`` as ``float``; it must be finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise InvalidArgument(name, "a finite real number > 0", value)
    return float(value)


def check_choice(name: str, value: Any, choices: Sequence[str]) -> str:
    """Return ``value``; it must be one of ``choices``."""
    if value not in choices:
        raise InvalidArgument(name, "one of " + ", ".join(repr(c) for c in choices), value)
    return value


def check_schedule(name: str, values: Iterable[Any], *, minimum: int = 2) -> tuple[int, ...]:
    """Return a sample-size schedule ``(M_0, M_1, ...)`` as a tuple of ints >= ``minimum``."""
    try:
        items = list(values)
    except TypeError:
        raise InvalidArgument(name, f"a sequence of integers >= {minimum}", values) from None
    out = []
    for j, v in enumerate(items):
        out.append(check_int(f"{name}[{j}]", v, minimum=minimum))
    return tuple(out)
