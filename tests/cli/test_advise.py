"""``collapse advise``: answers, the simulated check, --json, bad input, an unreachable target.

The simulated checks run with fixed seeds; each passes when the literal loop's mean lies within
5 standard errors of the exact value (or interval), so a correct prediction fails one with
probability P(|Z| > 5) = 5.7e-7 <= 1e-6 (the normal approximation of a mean of >= 1000 chains).
Bad values of every option are covered by tests/cli/test_bad_input.py (``-k advise``); here the
combinations only the handler can refuse.
"""

from __future__ import annotations

import json

import pytest

from collapse.cli import main


def run(capsys, *argv):
    code = main(["advise", *argv])
    out, err = capsys.readouterr()
    return code, out, err


CHECKED = [
    ("gaussian", "--w2", "0.1", "-n", "30", "-M", "100"),
    ("gaussian", "--w2", "0.1", "-n", "30", "--knob", "samples"),
    ("gaussian", "--w2", "0.08", "-n", "20", "--knob", "accumulate", "--over", "all"),
    ("gaussian", "--sigma2-ratio", "0.9", "-n", "30", "--estimator", "mle", "-M", "60"),
    ("discrete", "--kept", "0.5", "--tail", "0.5", "-K", "20", "-n", "10", "-M", "100"),
    ("discrete", "--kept", "0.5", "--tail", "0.5", "-K", "20", "-n", "10", "--knob", "samples"),
    ("discrete", "--kept", "0.6", "-K", "20", "-n", "10", "--knob", "accumulate"),
    ("gaussian", "--sigma2-ratio", "0.9", "-n", "20", "--knob", "weight", "--ratio", "2", "-M", "60"),
]


@pytest.mark.parametrize("argv", CHECKED, ids=lambda a: " ".join(a))
def test_the_simulated_check_agrees(capsys, argv):
    code, out, err = run(capsys, *argv, "--json", "--seed", "7", "--check-chains", "1500")
    res = json.loads(out)
    assert code == 0 and res["met"], res
    chk = res["check"]
    assert chk["chains"] == 1500 and chk["within_5se"] and chk["se"] > 0
    lo, hi = res["answer"]["predicted"]
    assert lo - 5 * chk["se"] <= chk["simulated"] <= hi + 5 * chk["se"]


def test_text_answer_then_table(capsys):
    code, out, err = run(capsys, "gaussian", "--w2", "0.1", "-n", "20", "-M", "50", "--check-chains", "300", "-q")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].startswith("smallest fraction of fresh real data: gamma = ")
    assert "does not" in lines[0] and "regime mix:" in lines[0]
    assert lines[1].split() == ["knob", "predicted", "simulated", "se", "within", "5", "se"]
    assert lines[2].startswith("answer") and lines[2].rstrip().endswith("yes")
    assert lines[3].startswith("one below")
    assert lines[4].startswith("search: exact: bisection on the integers; check: 300 chains")


def test_json_shape(capsys):
    code, out, err = run(capsys, "discrete", "--kept", "0.5", "-K", "10", "-n", "5", "-M", "40", "--json",
                         "--check-chains", "200")
    res = json.loads(out)
    assert set(res) >= {"inputs", "answer_line", "met", "answer", "below", "necessary", "tolerance", "check",
                        "seed", "versions"}
    assert res["inputs"]["family"] == "discrete" and res["inputs"]["states"] == 10
    assert set(res["answer"]) >= {"value", "regime", "predicted", "generation", "gamma", "n_real", "samples"}
    assert res["seed"] == 20240724 and "collapse-toolkit" in res["versions"]
    assert set(res["check"]) >= {"chains", "generation", "simulated", "se", "within_5se"}
    assert out.count("\n") == 1  # one object, one line


def test_growth_and_no_check(capsys):
    code, out, err = run(capsys, "gaussian", "--w2", "0.5", "-n", "20", "--knob", "samples", "--growth",
                         "-M", "20", "--no-check", "--json")
    res = json.loads(out)
    assert code == 0 and res["met"] and res["check"] is None
    assert res["answer"]["rate"] > 1 and res["answer"]["schedule"][0] == 20
    assert "relative width" in res["tolerance"]


def test_unreachable_target_is_an_answer(capsys):
    code, out, err = run(capsys, "gaussian", "--w2", "0.001", "-n", "20", "-M", "50", "--check-chains", "200", "-q")
    assert code == 0
    assert out.startswith("no fraction of fresh data <= 1 meets E[W2^2(model, truth)] <= 0.001")
    assert "the best, gamma = 1" in out.splitlines()[0] and "raise M" in out.splitlines()[0]
    code, out, err = run(capsys, "discrete", "--kept", "0.99", "--tail", "0.2", "-n", "10", "--knob", "samples",
                         "--max-samples", "50", "--no-check", "--json")
    res = json.loads(out)
    assert code == 0 and not res["met"] and res["answer"]["samples"] == 50


@pytest.mark.parametrize("argv, option", [
    (("gaussian", "--knob", "samples", "-M", "10"), "--samples"),
    (("discrete", "--knob", "accumulate", "-M", "10"), "--samples"),
    (("gaussian", "--growth", "-M", "10"), "--growth"),
    (("gaussian", "--knob", "samples", "--growth", "-M", "10", "-n", "1"), "--generations"),
    (("gaussian", "-M", "500", "--max-samples", "100"), "--max-samples"),
    (("gaussian", "--w2", "0.1", "--sigma2-ratio", "0.5"), "--sigma2-ratio"),
    (("gaussian", "--knob", "weight", "--w2", "0.1"), "--knob"),
    (("gaussian", "--knob", "weight", "--sigma2-ratio", "0.9", "-M", "10", "--ratio", "50"), "--ratio"),
], ids=lambda a: " ".join(a) if isinstance(a, tuple) else a)
def test_combinations_refused_in_one_line(capsys, argv, option):
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["advise", *argv, "--no-check"]))
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and "Traceback" not in err


@pytest.mark.parametrize("argv", [("gaussian", "--w2", "0.9", "-n", "60", "-M", "3"),
                                  ("gaussian", "--w2", "0.5", "-n", "200", "-M", "4")], ids=" ".join)
def test_long_horizons_at_small_m_answer(capsys, argv):
    """E[sigma^24] overflows floats here (it was a LinAlgError traceback): an answer, with a finite bracket."""
    code, out, err = run(capsys, *argv, "--no-check", "--json")
    res = json.loads(out)
    assert code == 0 and "Traceback" not in err and res["met"]
    lo, hi = res["answer"]["predicted"]
    assert 0 < lo <= hi <= float(argv[2]) and res["answer"]["bracket_note"] == ""


def test_a_numeric_failure_is_one_line(capsys, monkeypatch):
    from collapse.analytic import advise as A

    def broken(problem):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(A, "advise", broken)
    with pytest.raises(SystemExit) as exc:
        raise SystemExit(main(["advise", "gaussian", "-n", "5", "-M", "10", "--no-check"]))
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert exc.value.code == 2 and out == "" and len(lines) == 1 and "Traceback" not in err
    assert "--samples / --generations" in lines[0] and "ZeroDivisionError" in lines[0]
