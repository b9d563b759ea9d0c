"""argparse types that reject bad values with 'expected X, got Y' (exit status 2).

The common options themselves (--seed, --out, ...) are in :mod:`collapse.commands._options`.
"""

from __future__ import annotations

import argparse
import math


def int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def _float_type(accept, expected: str, name: str):
    """An argparse type: a float for which ``accept(value)`` holds, else 'expected <expected>, got <text>'."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and accept(value)):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = name
    return parse


positive_float = _float_type(lambda v: v > 0, "a finite number > 0", "positive_float")
#: a number strictly between 0 and 1 (a fraction of the data, say)
open_fraction = _float_type(lambda v: 0 < v < 1, "a number in (0, 1)", "open_fraction")
finite_float = _float_type(lambda v: True, "a finite number", "finite_float")


def path_arg(text: str):
    """argparse type for a file or folder path: the empty string is refused (``Path('')`` means '.')."""
    from pathlib import Path

    if text.strip() == "":
        raise argparse.ArgumentTypeError("expected a path, got ''")
    return Path(text)
