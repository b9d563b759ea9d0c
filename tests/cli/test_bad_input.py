"""Bad input on every option of every subcommand: one line, exit status 2, nothing written.

The cases are generated from the parsers themselves: every subcommand is walked, each
option's type is read (:mod:`collapse.commands._args`: an integer or real range, a path
with its use, a checked text; or ``choices``), and that type's bad values are applied one
at a time. An option added later is covered without anyone listing it; one that takes a
value without a declared type fails :func:`test_every_option_has_a_checked_type`.

Each case runs ``collapse.cli.main(argv)`` in this process (the parsers and handlers are
the same as in a subprocess; a few cases are rerun as real processes below), in a fresh
working folder, with a time bound (``signal.alarm``): a hang fails. It asserts

- exit status 2;
- stderr is exactly one line, naming the option (one of its flags) and saying "expected";
- no traceback, nothing on stdout;
- nothing written: the working folder (where every default run folder lies) holds the same
  files, with the same bytes, after the case as before.

``python -m pytest tests/cli/test_bad_input.py -q`` runs them; the case count is
:data:`CASES`'s length (printed by ``test_case_count``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shutil
import signal
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from collapse.cli import build_parser, main
from collapse.commands._args import FloatRange, IntRange, PathArg, TextArg

#: seconds a case may take; a hang (or a bad value accepted and run) fails
TIME_BOUND = 30
#: minimal arguments each command needs besides the option under test (GRID: a valid grid file)
REQUIRED = {("sweep",): ["GRID"]}


def walk(parser, path=()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from walk(sub, path + (name,))


def takes_value(action) -> bool:
    return not isinstance(action, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction,
                                   argparse._StoreTrueAction, argparse._StoreFalseAction,
                                   argparse._StoreConstAction, argparse._CountAction, argparse._AppendConstAction))


PARSER = build_parser()
OPTIONS = [(path, a) for path, p in walk(PARSER) for a in p._actions if takes_value(a)]


def _num(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() and abs(x) < 1e18 else repr(x)


def bad_values(action) -> list[tuple[str, str]]:
    """(label, value) pairs the option must refuse; a value may name a fixture (``@FILE``...)."""
    t = action.type
    if action.choices is not None:
        return [("unknown choice", "no-such-choice"), ("empty", "")]
    if isinstance(t, IntRange):
        return [("below the range", str(t.low - 1)), ("above the range", str(t.high + 1)),
                ("huge", "1" + "0" * 30), ("negative", "-5") if t.low > -5 else ("text", "x"),
                ("nan", "nan"), ("inf", "inf"), ("text", "seven"), ("fraction", "1.5"), ("empty", "")]
    if isinstance(t, FloatRange):
        below = t.low if t.low_open else t.low - max(1.0, abs(t.low))
        above = t.high if t.high_open else t.high * 10 + 1
        return [("below the range", _num(below)), ("above the range", _num(above)), ("nan", "nan"),
                ("inf", "inf"), ("-inf", "-inf"), ("huge", "1e400"), ("text", "seven"), ("empty", "")]
    if isinstance(t, PathArg):
        common = [("empty", ""), ("blank", "  ")]
        return common + {
            "out_dir": [("an existing file", "@FILE"), ("under a file", "@FILE/sub"),
                        ("read-only file system", "@RO/sub"), ("immutable folder", "@IMMUTABLE/sub")],
            "out_file": [("an existing folder", "@DIR"), ("under a file", "@FILE/x.out"),
                         ("read-only file system", "@RO/x.out"), ("immutable folder", "@IMMUTABLE/x.out")],
            "in_dir": [("missing", "@MISSING"), ("a file", "@FILE")],
            "in_file": [("missing", "@MISSING"), ("a folder", "@DIR")],
        }[t.use]
    if isinstance(t, TextArg):
        out = [("empty", "")] if not t.allow_empty else []
        return out + [(f"bad text {v!r}", v) for v in t.bad] + [("too long", "x" * (t.max_length + 1))]
    return []


CASES = [pytest.param(path, action, label, value, id=f"{' '.join(path)} {action.option_strings[0] if action.option_strings else action.dest}: {label}")
         for path, action in OPTIONS for label, value in bad_values(action)]


def test_every_option_has_a_checked_type():
    """An option that takes a value must have a type from collapse.commands._args (or choices)."""
    untyped = [f"collapse {' '.join(path)} {'/'.join(a.option_strings) or a.dest}"
               for path, a in OPTIONS
               if a.choices is None and not isinstance(a.type, (IntRange, FloatRange, PathArg, TextArg))]
    assert not untyped, "options without a checked type (use collapse.commands._args): " + ", ".join(untyped)


def test_case_count():
    n_options = len(OPTIONS)
    assert len(CASES) >= 5 * n_options * 0.9, (len(CASES), n_options)
    print(f"{len(CASES)} bad-input cases over {n_options} options")


# ---- the fixtures a case's value may name -------------------------------------------------------

@pytest.fixture(scope="session")
def places(tmp_path_factory):
    """Paths the bad values point at: a file, a folder, a missing path, a read-only and an immutable folder."""
    root = tmp_path_factory.mktemp("bad-input-places")
    (root / "file.txt").write_text("not a folder\n")
    (root / "dir").mkdir()
    ro = root / "ro"
    ro.mkdir()
    mounted = subprocess.run(["mount", "--bind", str(ro), str(ro)], capture_output=True).returncode == 0 and \
        subprocess.run(["mount", "-o", "remount,ro,bind", str(ro)], capture_output=True).returncode == 0
    imm = root / "immutable"
    imm.mkdir()
    immutable = subprocess.run(["chattr", "+i", str(imm)], capture_output=True).returncode == 0
    grid = root / "grid.toml"
    grid.write_text('family = "gaussian"\n[grid]\nsamples = [10]\ngenerations = 2\nchains = 4\nseed = 1\n')
    out = {"@FILE": root / "file.txt", "@DIR": root / "dir", "@MISSING": root / "missing" / "nothing",
           "@RO": ro if mounted else None, "@IMMUTABLE": imm if immutable else None, "GRID": grid}
    yield out
    if mounted:
        subprocess.run(["umount", str(ro)], capture_output=True)
    if immutable:
        subprocess.run(["chattr", "-i", str(imm)], capture_output=True)


def _resolve(value: str, places) -> str:
    for key in ("@FILE", "@DIR", "@MISSING", "@RO", "@IMMUTABLE"):
        if value.startswith(key):
            if places[key] is None:
                pytest.skip(f"{key} cannot be made here (needs root: mount --bind / chattr)")
            return str(places[key]) + value[len(key):]
    return value


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*"))}


class _Timeout(BaseException):
    pass


def run_in_process(argv: list[str], cwd: Path, bound: int = TIME_BOUND) -> tuple[int | str, str, str]:
    """``collapse ARGV`` in this process: (exit status or "timeout"/"exception", stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()

    def alarm(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(bound)
    try:
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code: int | str = main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except _Timeout:
                code = "timeout"
            except Exception:  # noqa: BLE001 -- the defect under test: shown in the failure
                traceback.print_exc()
                code = "exception"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("path, action, label, value", CASES)
def test_bad_value_is_one_line_exit_2_nothing_written(path, action, label, value, places, tmp_path):
    value = _resolve(value, places)
    flag = action.option_strings[0] if action.option_strings else None
    argv = list(path) + [str(places[a]) if a in places else a for a in REQUIRED.get(path, [])]
    if flag is None:  # a positional: replace the required one
        argv = list(path) + [value]
    else:
        argv += [f"{flag}={value}" if value.startswith("-") else flag, *([] if value.startswith("-") else [value])]
    work = tmp_path / "work"
    work.mkdir()
    (work / "keep.txt").write_text("a file the user had\n")
    before = _snapshot(work)
    code, out, err = run_in_process(argv, work)
    lines = [line for line in err.splitlines() if line.strip()]
    shown = f"collapse {' '.join(argv)!s}\nexit {code}\nstderr:\n{err}\nstdout:\n{out[:2000]}"
    assert code == 2, shown
    assert "Traceback" not in err and len(lines) == 1, shown
    names = set(action.option_strings) | {action.dest, action.metavar or action.dest}
    assert any(n and n in lines[0] for n in names), f"the message does not name the option {names}\n{shown}"
    assert "expected" in lines[0] or "invalid choice" in lines[0], shown
    assert out == "", shown
    assert _snapshot(work) == before, f"something was written\n{shown}"


# ---- a few as real processes: exit status and stderr of the installed entry point ---------------

@pytest.mark.parametrize("argv", [
    ["simulate", "gmm", "--chains", "-1"],
    ["theory", "gaussian", "--sigma0", "nan"],
    ["reproduce", "--out", "@FILE"],
    ["verify", "--report", "@DIR"],
], ids=lambda a: " ".join(a))
def test_as_a_process(argv, places, tmp_path):
    argv = [_resolve(a, places) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "collapse.cli", *argv], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_read_only_place_is_really_read_only(places):
    """The read-only fixtures refuse writes even to root (else the cases above would prove nothing)."""
    for key in ("@RO", "@IMMUTABLE"):
        if places[key] is None:
            continue
        with pytest.raises(OSError):
            (places[key] / "probe").write_text("x")
    shutil.disk_usage(places["@DIR"])  # the ordinary folder is usable


# ---- every size at its documented maximum: a closed form answers in bounded time --------------

def _at_maximum(action) -> str | None:
    t = action.type
    if isinstance(t, IntRange):
        return str(t.high)
    if isinstance(t, FloatRange) and not t.high_open:
        return _num(t.high)
    return None


#: closed forms only (simulations at their maxima are long runs a user may ask for; they are bounded by
#: their memory estimate instead, in tests/simulate)
MAXIMA = [pytest.param(path, a, id=f"{' '.join(path)} {a.option_strings[0]}={_at_maximum(a)}")
          for path, a in OPTIONS if path[:1] == ("theory",) and a.option_strings and _at_maximum(a) is not None]


@pytest.mark.parametrize("path, action", MAXIMA)
def test_theory_at_its_maximum_answers_in_bounded_time(path, action, tmp_path):
    """A theory command at the top of an option's range finishes (or refuses in one line) within the bound."""
    argv = [*path, action.option_strings[0], _at_maximum(action), "--json"]
    code, out, err = run_in_process(argv, tmp_path, bound=TIME_BOUND)
    assert code in (0, 2), f"collapse {' '.join(argv)}: exit {code}\n{err}"
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err


THEORY_AT_MAXIMA = [pytest.param(path, [a for a in p._actions if a.option_strings and takes_value(a)
                                        and _at_maximum(a) is not None], id=" ".join(path))
                    for path, p in walk(PARSER) if path[:1] == ("theory",) and len(path) == 2]


@pytest.mark.parametrize("path, actions", THEORY_AT_MAXIMA)
def test_theory_with_every_size_at_its_maximum_answers_in_bounded_time(path, actions, tmp_path):
    argv = [*path, "--json"]
    for a in actions:
        if a.option_strings[0] == "--schedule":
            continue
        argv += [a.option_strings[0], _at_maximum(a)]
    code, out, err = run_in_process(argv, tmp_path, bound=TIME_BOUND)
    assert code in (0, 2), f"collapse {' '.join(argv)}: exit {code}\n{err}"
    if code == 2:
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
