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
    "available_memory",
    "check_memory",
]


class InvalidArgument(ValueError):
    """A public argument had the wrong type or value.

    The message always has the form ``<name>: expected <what>, got <value>``.
    """

    def __init__(self, name: str, expected: str, got: Any):
        self.name, self.expected, self.got = name, expected, got
        super().__init__(f"{name}: expected {expected}, got {got!r}")


def check_int(name: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as ``int``; it must be an integer (not bool) in ``[minimum, maximum]``."""
    if maximum is not None:
        what = f"an integer in [{'-inf' if minimum is None else minimum}, {maximum}]"
    else:
        what = "an integer" if minimum is None else f"an integer >= {minimum}"
    if isinstance(value, bool):  # True is not the integer 1 here (a grid's `generations = true`)
        raise InvalidArgument(name, what, value)
    if not isinstance(value, Integral):
        if isinstance(value, Real) and math.isfinite(value) and float(value).is_integer():
            value = int(value)
        else:
            raise InvalidArgument(name, what, value)
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
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


def available_memory() -> int:
    """Bytes of memory this process can still use: ``MemAvailable`` (Linux), else total RAM / 2."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):  # pragma: no cover - no sysconf: assume 4 GiB
        return 4 * 2 ** 30


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def check_memory(name: str, needed: float, what: str = "this run", *, fraction: float = 0.8) -> None:
    """Refuse, before any work, a run whose memory estimate ``needed`` (bytes) does not fit.

    The limit is ``fraction`` of :func:`available_memory`; the message gives the estimate:
    ``--chains: expected a run that fits in 18.2 GiB of memory, got about 1.45 TiB (this run)``.
    """
    limit = fraction * available_memory()
    if not math.isfinite(needed) or needed > limit:
        shown = "an unbounded amount" if not math.isfinite(needed) else f"about {_bytes(needed)}"
        raise InvalidArgument(name, f"a run that fits in {_bytes(limit)} of memory",
                              _Raw(f"{shown} for {what}"))


class _Raw(str):
    """A value shown as it is in an InvalidArgument message (no quotes)."""

    def __repr__(self) -> str:
        return str(self)
