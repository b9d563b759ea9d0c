"""collapse.core.expr: user formulas parsed by a whitelist, never executed (issue 14)."""

from __future__ import annotations

import math
import os
import string
import subprocess
import sys
import time

import pytest
import sympy as sp
from collapse.core.expr import MAX_LENGTH, Expr, parse_expression
from collapse.core.validation import InvalidArgument
from hypothesis import given, settings
from hypothesis import strategies as st

I = sp.Symbol("i", integer=True, nonnegative=True)


# ------------------------------------------------------------------ valid expressions
@pytest.mark.parametrize(
    "text, i, expected",
    [
        ("2**i + 3", 4, 19),
        ("10 + 2*i", 7, 24),
        ("100*(i+1)**2", 2, 900),
        ("-i**2", 3, -9),
        ("(-2)**i", 3, -8),
        ("2**-i", 2, 0.25),
        ("i/2 + 2", 1, 2.5),
        ("i/2 + 2", 2, 3.0),
        ("+i - -1", 5, 6),
        ("3 * (i - 1) / 4", 5, 3.0),
        ("sqrt(16) + sqrt(i)", 9, 7),
        ("sqrt(2)", 0, math.sqrt(2)),
        ("exp(1)", 0, math.e),
        ("log(e**2)", 0, 2.0),
        ("log(8, 2)", 0, 3.0),
        ("floor(2.7) + ceil(i/3)", 4, 4),
        ("abs(3 - i)", 10, 7),
        ("min(i, 3, 2.5)", 4, 2.5),
        ("max(i, 3)", 4, 4),
        ("round(2.5) + round(i/4)", 1, 3),
        ("pi", 0, math.pi),
        ("1e3 + 1_000", 0, 2000.0),
        ("2**(i + 1)**2", 1, 16),
        ("2**3**2", 0, 512),
        ("1e15", 0, 1e15),
    ],
)
def test_valid_expressions_evaluate(text, i, expected):
    value = parse_expression(text).evaluate(i=i)
    assert value == pytest.approx(expected, rel=1e-15)
    assert type(value) is type(expected)


def test_integer_arithmetic_stays_exact():
    e = parse_expression("2**i + 3")
    assert e.evaluate(i=4) == 19 and type(e.evaluate(i=4)) is int
    assert parse_expression("3**40 + i").evaluate(i=1) == 3**40 + 1  # beyond float's 53 bits


def test_other_variables_and_no_variables():
    e = parse_expression("a * b + 1", variables=("a", "b"), option="--f")
    assert e.evaluate(a=2, b=3) == 7
    assert parse_expression("2 + 3", variables=()).evaluate() == 5
    with pytest.raises(InvalidArgument, match="--f"):
        parse_expression("i", variables=("a",), option="--f")


# ------------------------------------------------------------------ refused constructs
REFUSED = [
    "__import__('os').system('echo hi')",
    "().__class__",
    "i.real",
    "[1]",
    "lambda: 1",
    "9**9**9",
    "10**10**10",
    "x" * 10000,
    "(" * 60 + "1" + ")" * 60,
    "-" * 200 + "1",
    "1e400",
    "2^i",
    "'abc'",
    "b'abc'",
    "1j",
    "True",
    "None",
    "...",
    "x + 1",
    "sqrt",
    "sqrt(i, 2)",
    "exp()",
    "abs(x=1)",
    "max(*[1, 2])",
    "open('f')",
    "eval('1')",
    "i(2)",
    "(1).real",
    "{1: 2}",
    "{1}",
    "(1, 2)",
    "1, 2",
    "i < 2",
    "i and 2",
    "not i",
    "~i",
    "i // 2",
    "i % 2",
    "i if i else 2",
    "[k for k in range(3)]",
    "(k for k in range(3))",
    "f'{i}'",
    "(j := 2)",
    "i[0]",
    "10000000000000000",
    "1e16",
    "12345678901234567",
    "",
    "   ",
    "1 +",
    "\x00",
    "1**100000",
    "2.0**2000",
    "exp(1000)",
    "sqrt(-1)",
    "log(0)",
    "(-8)**(1/3)",
    "1/0",
    "0**-1",
    "1/(2-2)",
    "+".join(["1"] * 260),
]


@pytest.mark.parametrize("text", REFUSED, ids=lambda t: repr(t[:30]))
def test_refused_with_invalid_argument_naming_the_option(text):
    with pytest.raises(InvalidArgument) as info:
        parse_expression(text, option="--schedule").evaluate(i=0)
    message = str(info.value)
    assert message.startswith("--schedule: expected ") and "\n" not in message
    assert info.value.name == "--schedule"
    assert len(message) < 600


def test_messages_say_what_is_allowed():
    with pytest.raises(InvalidArgument, match=r"use \*\* for powers, not \^"):
        parse_expression("2^i")
    with pytest.raises(InvalidArgument, match="attribute access") as info:
        parse_expression("i.real")
    assert "sqrt, exp, log" in str(info.value)
    with pytest.raises(InvalidArgument, match="at most 500 characters"):
        parse_expression("1" * (MAX_LENGTH + 1))
    with pytest.raises(InvalidArgument, match="nested"):
        parse_expression("(" * 60 + "i" + ")" * 60)


def test_too_large_powers_refused_without_computing():
    start = time.perf_counter()
    for text in ("9**9**9", "10**10**10", "(10**15)**(10**15)", "2**i"):
        with pytest.raises(InvalidArgument):
            parse_expression(text).evaluate(i=5000)
    assert time.perf_counter() - start < 1


def test_evaluation_errors_name_the_point():
    e = parse_expression("1/(i-3)")
    assert e.evaluate(i=2) == -1.0
    with pytest.raises(InvalidArgument, match=r"^--schedule: .*at i = 3: division by zero"):
        e.evaluate(i=3)
    with pytest.raises(InvalidArgument, match=r"at i = 2: sqrt of a negative number"):
        parse_expression("sqrt(1 - i)").evaluate(i=2)
    with pytest.raises(InvalidArgument, match=r"at i = 1100: magnitude above 1e300"):
        parse_expression("2**i").evaluate(i=1100)


def test_evaluate_needs_the_variables():
    with pytest.raises(TypeError):
        parse_expression("i + 1").evaluate()
    with pytest.raises(TypeError):
        parse_expression("i + 1").evaluate(i=1, j=2)
    with pytest.raises(TypeError):
        parse_expression("i + 1").evaluate(i="1")


# ------------------------------------------------------------------ text round trip
@pytest.mark.parametrize(
    "text, canonical",
    [
        ("10+2*i", "10 + 2 * i"),
        ("100*(i+1)**2", "100 * (i + 1)**2"),
        ("(-2)**i", "(-2)**i"),
        ("-2**i", "-2**i"),
        ("2**-i", "2**-i"),
        ("(2**i)**2", "(2**i)**2"),
        ("2**i**2", "2**i**2"),
        ("i-(i-1)", "i - (i - 1)"),
        ("(i-1)-i", "i - 1 - i"),
        ("i/(2*i)", "i / (2 * i)"),
        ("-(i*2)", "-(i * 2)"),
        ("-(-i)", "-(-i)"),
        ("+i", "i"),
        ("2.50e0 * pi", "2.5 * pi"),
        ("log( i+1 , 2 )", "log(i + 1, 2)"),
        ("min(i,3)", "min(i, 3)"),
        ("1e-5 + 0x10", "1e-05 + 16"),
    ],
)
def test_str_is_canonical_and_round_trips(text, canonical):
    e = parse_expression(text)
    assert str(e) == canonical
    again = parse_expression(str(e))
    assert again == e and str(again) == canonical
    assert again.evaluate(i=3) == e.evaluate(i=3)


def test_equality_compares_trees_not_options():
    assert parse_expression("i+1", option="--a") == parse_expression("(i) + 1", option="--b")
    assert parse_expression("1 + i") != parse_expression("1.0 + i")
    assert isinstance(parse_expression("i"), Expr)
    assert hash(parse_expression("i + 1")) == hash(parse_expression("i+1"))


# ------------------------------------------------------------------ sympy
@pytest.mark.parametrize(
    "text, expected",
    [
        ("100*(i+1)**2", 100 * (I + 1) ** 2),
        ("10 + 2*i", 10 + 2 * I),
        ("i/2 + 2", I / 2 + 2),
        ("2**-i", 2 ** (-I)),
        ("0.5*i", sp.Float("0.5") * I),
        ("sqrt(i) + exp(i) + log(i) + log(i, 2)", sp.sqrt(I) + sp.exp(I) + sp.log(I) + sp.log(I, 2)),
        ("floor(i/3) + ceil(i/3) + abs(i - 3)", sp.floor(I / 3) + sp.ceiling(I / 3) + sp.Abs(I - 3)),
        ("min(i, 3) + max(i, 2, 5)", sp.Min(I, 3) + sp.Max(I, 2, 5)),
        ("round(i/2)", sp.floor(I / 2 + sp.Rational(1, 2))),
        ("pi * e", sp.pi * sp.E),
        ("-(i - 1)", -(I - 1)),
    ],
)
def test_to_sympy(text, expected):
    got = parse_expression(text).to_sympy({"i": I})
    assert got == expected
    assert got.free_symbols <= {I}


def test_to_sympy_agrees_with_evaluate():
    e = parse_expression("3*(i + 1)**2 + floor(sqrt(i)) - max(i, 4) + round(i/3)")
    s = e.to_sympy({"i": I})
    for j in range(12):
        assert s.subs(I, j) == e.evaluate(i=j)


# ------------------------------------------------------------------ random text
TOKENS = ["i", "1", "2", "0", "3.5", "1e15", "pi", "e", "+", "-", "*", "/", "**", "(", ")", ",", " ",
          "sqrt(", "exp(", "log(", "floor(", "ceil(", "abs(", "min(", "max(", "round(", "9", "^", ".", "_",
          "[", "]", "'", "lambda", ":", "x", "__import__", "=", "j"]


def _check_never_crashes(text: str) -> None:
    start = time.perf_counter()
    try:
        e = parse_expression(text)
    except InvalidArgument:
        pass
    else:
        assert parse_expression(str(e)) == e
        for j in (0, 1, 7, 1000, 10**6):
            try:
                value = e.evaluate(i=j)
            except InvalidArgument:
                continue
            assert isinstance(value, (int, float)) and not isinstance(value, bool)
            assert math.isfinite(value) and abs(value) <= 1e300
    assert time.perf_counter() - start < 1


@settings(deadline=1000)
@given(st.text(alphabet=string.printable, max_size=600))
def test_random_printable_text_only_invalid_argument(text):
    _check_never_crashes(text)


@settings(deadline=1000)
@given(st.lists(st.sampled_from(TOKENS), max_size=120).map("".join))
def test_random_token_soup_only_invalid_argument(text):
    _check_never_crashes(text)


@settings(deadline=1000)
@given(st.text(max_size=80))
def test_random_unicode_only_invalid_argument(text):
    _check_never_crashes(text)


# ------------------------------------------------------------------ the command line
def _cli(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONWARNINGS": "error"}
    return subprocess.run([sys.executable, "-m", "collapse.cli", *args], check=False, capture_output=True,
                          text=True, cwd=tmp_path, env=env, timeout=300)


def test_cli_schedule_runs_no_code(tmp_path):
    out = _cli(tmp_path, "theory", "gaussian", "-M", "10", "-n", "5",
               "--schedule", "__import__('os').system('touch PWNED')")
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and "--schedule: expected" in lines[0], out.stderr
    assert not (tmp_path / "PWNED").exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "schedule, needle",
    [
        ("i", "schedule[0] = 0 at i = 0"),
        ("i/2 + 2", "schedule[1] = 2.5 at i = 1"),
        ("10**8 + i", "schedule[0] = 100000000 at i = 0"),
        ("10, 1", "schedule[1] = 1"),
        ("floor(10 + 1/(i-3))", "at i = 3: division by zero"),
        ("x + 2", "unknown name 'x'"),
    ],
)
def test_cli_bad_schedule_one_line(tmp_path, schedule, needle):
    out = _cli(tmp_path, "theory", "gaussian", "-n", "5", "--schedule", schedule)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "--schedule" in lines[0] and needle in lines[0], out.stderr


def test_cli_valid_schedule_still_works(tmp_path):
    out = _cli(tmp_path, "theory", "gaussian", "-M", "10", "-n", "5", "--schedule", "10 + 2*i", "--json")
    assert out.returncode == 0, out.stderr
    assert '"W2_bounded": false' in out.stdout
    out = _cli(tmp_path, "theory", "gaussian", "-n", "5", "--schedule", "10, 20, 30", "--json")
    assert out.returncode == 0, out.stderr
