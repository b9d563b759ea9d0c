"""argparse types that reject bad values with 'expected X, got Y' (exit status 2), and the parser.

Every option of every subcommand that takes a value has one of the types below (or
``choices``): an integer or a real with both bounds, a path whose use is declared
(a folder or a file, read or written) and checked when the command line is parsed,
before any work starts and without writing anything, or a text whose check is its own.
``tests/cli/test_bad_input.py`` walks every parser, reads each option's type from here and
applies that type's bad values, so an option added later is covered without anyone
remembering to.

:class:`Parser` prints an argparse error as one line (``collapse simulate gmm: error:
argument --chains/-c: expected an integer in [1, 10000000], got '-1'``), exit status 2.

The common options themselves (--seed, --out, ...) are in :mod:`collapse.commands._options`.
"""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

__all__ = [
    "ArgType", "FloatRange", "IntRange", "Parser", "PathArg", "TextArg", "finite_float", "float_range",
    "in_dir", "in_file", "int_at_least", "int_range", "open_fraction", "out_dir", "out_file", "path_arg",
    "positive_float", "text_arg",
]


class _Formatter(argparse.HelpFormatter):
    """Help that states every option's accepted values (its type's ``expected``) unless it already does."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        t = action.type
        if isinstance(t, ArgType) and t.kind in ("int", "float") and t.expected not in text:
            text = f"{text}; accepts {t.expected.removeprefix('a ').removeprefix('an ')}"
        return text


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage block), exit status 2.

    Its help says, for every numeric option, the range it accepts.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        message = " ".join(str(message).split())  # one line, whatever argparse composed
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class ArgType:
    """An argparse type that knows what it accepts (``expected``) and its kind, for the tests."""

    kind = "text"
    expected = "a value"

    def parse(self, text: str) -> Any:  # pragma: no cover - subclasses
        raise NotImplementedError

    def __call__(self, text: str) -> Any:
        return self.parse(text)

    def fail(self, text: Any, why: str | None = None) -> NoReturn:
        got = repr(text) if why is None else f"{text!r} ({why})"
        raise argparse.ArgumentTypeError(f"expected {self.expected}, got {got}")

    @property
    def __name__(self) -> str:  # argparse names a type by __name__ in some messages
        return self.expected

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.expected!r})"


class IntRange(ArgType):
    """An integer in ``[low, high]`` (both bounds documented in the help)."""

    kind = "int"

    def __init__(self, low: int, high: int):
        if low > high:
            raise TypeError(f"empty range [{low}, {high}]")
        self.low, self.high = int(low), int(high)
        self.expected = f"an integer in [{low}, {_big(high)}]"

    def parse(self, text: str) -> int:
        s = text.strip()
        if not s or len(s) > 40:
            self.fail(text)
        try:
            value = int(s)
        except ValueError:
            self.fail(text)
        if not self.low <= value <= self.high:
            self.fail(text)
        return value


class FloatRange(ArgType):
    """A finite real number in a range; ``low_open``/``high_open`` exclude the bound itself."""

    kind = "float"

    def __init__(self, low: float, high: float, *, low_open: bool = False, high_open: bool = False,
                 expected: str | None = None):
        self.low, self.high, self.low_open, self.high_open = float(low), float(high), low_open, high_open
        if expected is None:
            lo = "(" if low_open else "["
            hi = ")" if high_open else "]"
            expected = f"a number in {lo}{_num(low)}, {_num(high)}{hi}"
        self.expected = expected

    def parse(self, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            self.fail(text)
        if not math.isfinite(value):
            self.fail(text)
        if value < self.low or value > self.high or (self.low_open and value == self.low) or (
                self.high_open and value == self.high):
            self.fail(text)
        return value


class TextArg(ArgType):
    """A text checked by ``check(text)`` (returns the value, raises ValueError with a reason).

    ``bad`` lists texts the check must refuse (the tests apply them, with the empty string).
    """

    kind = "text"

    def __init__(self, expected: str, check: Callable[[str], Any] | None = None, *, bad: tuple[str, ...] = (),
                 allow_empty: bool = False, max_length: int = 10_000):
        self.expected, self.check, self.bad, self.allow_empty = expected, check, bad, allow_empty
        self.max_length = max_length

    def parse(self, text: str) -> Any:
        if (not self.allow_empty and not text.strip()) or len(text) > self.max_length:
            self.fail(text if len(text) <= 60 else text[:60] + "...")
        if self.check is None:
            return text
        try:
            return self.check(text)
        except (ValueError, TypeError) as exc:
            why = str(exc).splitlines()[0] if str(exc) else None
            self.fail(text, why)


def _big(n: int) -> str:
    return f"{n}" if n < 10 ** 7 or n != 10 ** round(math.log10(n)) else f"10^{round(math.log10(n))}"


def _num(x: float) -> str:
    if x == int(x) and abs(x) < 1e7:
        return str(int(x))
    if x != 0 and abs(x) == 10 ** round(math.log10(abs(x))):
        return ("-" if x < 0 else "") + f"10^{round(math.log10(abs(x)))}"
    return f"{x:g}"


# ---------------------------------------------------------------------------- paths

class PathArg(ArgType):
    """A path, checked when parsed for what the command does with it; nothing is written.

    ``use`` is one of

    - ``"out_dir"``: a folder the command writes (created if missing): not an existing file,
      not under a file, on a writable file system, writable by this user;
    - ``"out_file"``: a file the command writes: not a folder, its folder writable;
    - ``"in_dir"``: an existing folder the command reads;
    - ``"in_file"``: an existing, readable regular file of at most ``max_bytes``.
    """

    kind = "path"
    USES = ("out_dir", "out_file", "in_dir", "in_file")

    def __init__(self, use: str, *, max_bytes: int = 2 ** 31):
        if use not in self.USES:
            raise TypeError(f"unknown path use {use!r}")
        self.use, self.max_bytes = use, max_bytes
        self.expected = {"out_dir": "a folder this user can write", "out_file": "a file path this user can write",
                         "in_dir": "an existing folder", "in_file": "an existing readable file"}[use]

    def parse(self, text: str) -> Path:
        if text.strip() == "":
            self.fail(text, "the empty string is not a path")
        if "\0" in text:
            self.fail(text, "a path cannot hold a NUL character")
        p = Path(text).expanduser()
        why = {"out_dir": _why_not_out_dir, "out_file": _why_not_out_file, "in_dir": _why_not_in_dir,
               "in_file": self._why_not_in_file}[self.use](p)
        if why:
            self.fail(text, why)
        return p

    def _why_not_in_file(self, p: Path) -> str | None:
        try:
            if not p.exists():
                return "no such file"
            if p.is_dir():
                return "a folder, not a file"
            if not p.is_file():
                return "not a regular file"
            if not os.access(p, os.R_OK):
                return "not readable"
            size = p.stat().st_size
        except OSError as exc:
            return exc.strerror or type(exc).__name__
        if size > self.max_bytes:
            return f"{size} bytes, more than the {self.max_bytes} this option reads"
        return None


def _existing_ancestor(p: Path) -> Path:
    q = p if p.is_absolute() else Path.cwd() / p
    while not q.exists() and q != q.parent:
        q = q.parent
    return q


def _why_not_writable_dir(d: Path) -> str | None:
    """Why a new entry cannot be made in existing ``d`` (None when it can)."""
    if not d.is_dir():
        return f"{d} is a file, not a folder"
    try:
        if os.statvfs(d).f_flag & os.ST_RDONLY:
            return f"{d} is on a read-only file system"
    except (OSError, AttributeError):  # pragma: no cover - no statvfs: access() below decides
        pass
    if not os.access(d, os.W_OK | os.X_OK):
        return f"{d} is not writable by this user"
    return None


def _why_not_out_dir(p: Path) -> str | None:
    try:
        if p.exists():
            if not p.is_dir():
                return "an existing file, not a folder"
            return _why_not_writable_dir(p)
        return _why_not_writable_dir(_existing_ancestor(p))
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def _why_not_out_file(p: Path) -> str | None:
    try:
        if p.is_dir():
            return "an existing folder, not a file"
        if p.exists():
            if not p.is_file():
                return "not a regular file"
            if not os.access(p, os.W_OK):
                return "an existing file this user cannot write"
        return _why_not_writable_dir(_existing_ancestor(p.parent))
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def _why_not_in_dir(p: Path) -> str | None:
    try:
        if not p.exists():
            return "no such folder"
        if not p.is_dir():
            return "a file, not a folder"
        if not os.access(p, os.R_OK | os.X_OK):
            return "not readable"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


# ---------------------------------------------------------------------------- constructors

def int_range(low: int, high: int) -> IntRange:
    return IntRange(low, high)


def int_at_least(minimum: int, maximum: int = 10 ** 9) -> IntRange:
    """An integer in ``[minimum, maximum]`` (the maximum is documented: every size has a bound)."""
    return IntRange(minimum, maximum)


def float_range(low: float, high: float, **kwargs: Any) -> FloatRange:
    return FloatRange(low, high, **kwargs)


def text_arg(expected: str, check: Callable[[str], Any] | None = None, **kwargs: Any) -> TextArg:
    return TextArg(expected, check, **kwargs)


def out_dir() -> PathArg:
    return PathArg("out_dir")


def out_file() -> PathArg:
    return PathArg("out_file")


def in_dir() -> PathArg:
    return PathArg("in_dir")


def in_file(max_bytes: int = 2 ** 31) -> PathArg:
    return PathArg("in_file", max_bytes=max_bytes)


#: a finite number > 0 and at most 10^12
positive_float = FloatRange(0, 1e12, low_open=True)
#: a number strictly between 0 and 1 (a fraction of the data, say)
open_fraction = FloatRange(0, 1, low_open=True, high_open=True)
#: a finite number of magnitude at most 10^12
finite_float = FloatRange(-1e12, 1e12)
#: a folder the command writes (kept for callers of the older name)
path_arg = PathArg("out_dir")
