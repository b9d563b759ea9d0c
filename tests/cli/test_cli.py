"""The command line: help, import weight, JSON shapes, exit codes, figures, resume."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from collapse.cli import main

HEAVY = ("sympy", "numpy", "scipy", "matplotlib", "torch", "transformers", "flint")


def _run(*args: str) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONWARNINGS": "error"}
    return subprocess.run([sys.executable, "-m", "collapse.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_parser_imports_nothing_heavy():
    """`collapse --help` must not import the scientific stack (that is what keeps it fast)."""
    code = ("import sys; from collapse.cli import build_parser; build_parser(); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_help_lists_commands():
    out = _run("--help")
    assert out.returncode == 0
    for cmd in ("verify", "theory", "simulate", "figures", "bench", "reproduce"):
        assert cmd in out.stdout


def test_theory_gaussian_json(capsys):
    assert main(["theory", "gaussian", "--samples", "100", "--generations", "1000", "--estimator", "unbiased",
                 "--sigma0", "2", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert set(values) == {"E_sigma2", "E_sigma", "Var_mu", "E_W2sq", "E_log_sigma2", "Var_log_sigma2"}
    assert values["E_sigma2"] == pytest.approx(4.0)
    assert values["Var_mu"] == pytest.approx(4.0 * 1000 / 100)


def test_theory_schedule_expression(capsys):
    assert main(["theory", "gaussian", "--schedule", "10*(i+1)**2", "-n", "20", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert values["W2_bounded"] is True
    assert main(["theory", "gaussian", "--schedule", "10*(i+1)", "-n", "20", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["W2_bounded"] is False


@pytest.mark.parametrize(
    "argv, needle",
    [
        pytest.param(["theory", "gaussian", "--samples", "1"], "--samples", id="M<2"),
        pytest.param(["theory", "gaussian", "--sigma0", "0"], "--sigma0", id="sigma0-zero"),
        pytest.param(["theory", "gaussian", "--sigma0", "nan"], "--sigma0", id="sigma0-nan"),
        pytest.param(["theory", "gaussian", "--sigma0", "inf"], "--sigma0", id="sigma0-inf"),
        pytest.param(["theory", "gaussian", "--generations", "-3"], "--generations", id="negative-n"),
        pytest.param(["theory", "gaussian", "--estimator", "biased"], "--estimator", id="unknown-estimator"),
        pytest.param(["theory", "gaussian", "--schedule", "i", "-n", "3"], "schedule[0]", id="schedule-M<2"),
        pytest.param(["theory", "gaussian", "--schedule", "i/2+2", "-n", "3"], "--schedule", id="schedule-fraction"),
        pytest.param(["theory", "gaussian", "--schedule", "x+2"], "--schedule", id="schedule-other-symbol"),
        pytest.param(["verify", "--only", "no-such-claim"], "--only", id="unknown-claim"),
    ],
)
def test_bad_input_exit_2_without_traceback(argv, needle):
    out = _run(*argv)
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr and "expected" in out.stderr or "invalid choice" in out.stderr
    assert "Traceback" not in out.stderr


def test_verify_json_structure():
    out = _run("verify", "--json", "--only", "gaussian")
    assert out.returncode == 0, out.stderr
    claims = json.loads(out.stdout)
    assert {c["id"] for c in claims} >= {"thm3.1-gaussian-collapse", "gaussian-w2-schedule"}
    for c in claims:
        assert {"id", "title", "status", "checks"} <= set(c)
        assert c["status"] in ("pass", "fail")
        for chk in c["checks"]:
            assert {"name", "kind", "status"} <= set(chk)
            assert chk["kind"] in ("symbolic", "certificate", "simulation", "consistency")


def test_verify_report_markdown(tmp_path):
    report = tmp_path / "claims.md"
    assert main(["verify", "--only", "schedule", "--report", str(report)]) == 0
    text = report.read_text()
    assert "gaussian-w2-schedule" in text and "[symbolic: checked]" in text


def test_figures_list(capsys):
    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    assert "gaussian" in out and "collapse figures gaussian" in out


def test_simulate_then_figure(tmp_path):
    run = tmp_path / "run"
    assert main(["simulate", "gaussian", "--samples", "10", "100", "--generations", "30", "--chains", "16",
                 "--out", str(run)]) == 0
    assert main(["figures", "gaussian", "--out", str(run)]) == 0
    png = run / "figures" / "gaussian_single.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (run / "figures" / "gaussian_single.pdf").read_bytes()[:5] == b"%PDF-"


def test_simulate_gaussian_regime_and_json(tmp_path, capsys):
    """--regime picks the regimes (default both); --json prints the result's path and numbers nothing else."""
    import numpy as np

    from collapse.core.runio import load_npz

    run = tmp_path / "run"
    assert main(["simulate", "gaussian", "-M", "10", "-n", "5", "-c", "4", "--regime", "accumulate", "--quiet",
                 "--json", "-o", str(run)]) == 0
    path = run / "results" / "gaussian_single.npz"
    assert json.loads(capsys.readouterr().out) == {"results": str(path)}
    meta, arrays = load_npz(path)
    assert meta["config"]["regimes"] == ["accumulate"] and set(arrays) == {"accumulate_M10_mu", "accumulate_M10_sigma2"}
    assert np.isfinite(arrays["accumulate_M10_sigma2"]).all()
    both = tmp_path / "both"
    assert main(["simulate", "gaussian", "-M", "10", "-n", "5", "-c", "4", "--regime", "replace", "--regime",
                 "accumulate", "--quiet", "-o", str(both)]) == 0
    assert load_npz(both / "results" / "gaussian_single.npz")[0]["config"]["regimes"] == ["replace", "accumulate"]


def test_figures_json_lists_the_files(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["simulate", "gaussian", "-M", "10", "-n", "5", "-c", "4", "--quiet", "-o", str(run)]) == 0
    capsys.readouterr()
    assert main(["figures", "gaussian", "-o", str(run), "--figures-dir", str(tmp_path / "figs"), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert sorted(Path(f).name for f in files) == ["gaussian_single.pdf", "gaussian_single.png"]
    assert all(Path(f).parent == tmp_path / "figs" and Path(f).stat().st_size > 0 for f in files)


def test_verify_list_json_and_quiet(capsys):
    assert main(["verify", "--list", "--only", "gaussian", "--json"]) == 0
    claims = json.loads(capsys.readouterr().out)
    assert {"id", "title"} == set(claims[0]) and any(c["id"] == "thm3.1-gaussian-collapse" for c in claims)
    assert main(["verify", "--only", "gaussian-w2-schedule", "--quiet"]) == 0
    assert "gaussian-w2-schedule" in capsys.readouterr().out


def test_reproduce_json(tmp_path, monkeypatch, capsys):
    """--json: stdout is one object, the part statuses and the report paths; the messages go to stderr."""
    import collapse.reproduce as R

    ok = R.Part("ok", "fine", {}, lambda out: [])
    monkeypatch.setattr(R, "parts", lambda scale, seed, options=None, force=False: [ok])
    assert main(["reproduce", "--out", str(tmp_path), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["parts"]["ok"]["status"] == "done" and rep["run_folder"] == str(tmp_path)
    assert Path(rep["report"]["html"]).exists() and Path(rep["report"]["md"]).exists()


def test_simulate_refuses_other_config_and_keeps_file(tmp_path):
    run = tmp_path / "run"
    assert main(["simulate", "gaussian", "--samples", "10", "--generations", "5", "--chains", "4", "--out", str(run)]) == 0
    path = run / "results" / "gaussian_single.npz"
    before = path.read_bytes()
    assert main(["simulate", "gaussian", "--samples", "10", "--generations", "6", "--chains", "4", "--out", str(run)]) == 2
    assert path.read_bytes() == before


def test_bench_gaussian_json(capsys):
    assert main(["bench", "gaussian", "--chains", "50", "--generations", "5", "--repeats", "1", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["speedup_fast_over_literal"] > 0 and rep["fast_chain_generations_per_s"] > 0


def test_reproduce_resumes(tmp_path, monkeypatch):
    """A second run keeps finished parts; a removed figure part is redone."""
    import collapse.reproduce as R

    import collapse.simulate.experiments as EX
    from collapse.simulate.experiments.gaussian_moments import GaussianTheoryConfig
    from collapse.simulate.experiments.single_gaussian import SingleGaussianConfig

    monkeypatch.setitem(EX.FIGURE_RUNS, "gaussian", lambda seed, **_: [
        ("gaussian_single", SingleGaussianConfig(sample_sizes=(10, 100), generations=20, chains=8, seed=seed))])
    monkeypatch.setitem(EX.FIGURE_RUNS, "gaussian-theory", lambda seed, **_: [
        ("gaussian_theory", GaussianTheoryConfig(generations=20, chains=100, seed=seed))])
    calls = []
    orig = R.parts

    def small_parts(scale, seed, options=None, force=False):
        out = [p for p in orig(scale, seed, options, force) if p.name.startswith("figure-gaussian")]
        return [R.Part(p.name, p.description, p.config, lambda o, p=p: (calls.append(p.name), p.run(o))[1])
                for p in out]

    monkeypatch.setattr(R, "parts", small_parts)
    out = tmp_path / "q"
    assert R.reproduce(out) == 0
    assert calls == ["figure-gaussian", "figure-gaussian-theory"]
    (out / "parts" / "figure-gaussian.json").unlink()
    assert R.reproduce(out) == 0
    assert calls == ["figure-gaussian", "figure-gaussian-theory", "figure-gaussian"]
    assert R.reproduce(out) == 0  # configs hold tuples; their JSON records must still match
    assert calls == ["figure-gaussian", "figure-gaussian-theory", "figure-gaussian"]
    assert (out / "figures" / "gaussian_single.png").exists() and (out / "README.md").exists()
    page = (out / "report.html").read_text()
    assert "data:image/png;base64,iVBOR" in page and "<table>" in page  # figures embedded as PNG
    report = (out / "report.md").read_text()
    assert "*In the paper" in report and "*This run:*" in report and "| quantity | paper | this run |" in report


def test_reproduce_records_failing_part_and_continues(tmp_path, monkeypatch):
    import collapse.reproduce as R

    def boom(out: Path):
        raise RuntimeError("deliberate")

    ok = R.Part("ok", "fine", {}, lambda out: [])
    monkeypatch.setattr(R, "parts", lambda scale, seed, options=None, force=False: [R.Part("bad", "fails", {}, boom), ok])
    assert R.reproduce(tmp_path) == 1
    assert json.loads((tmp_path / "parts" / "bad.json").read_text())["status"] == "failed"
    assert json.loads((tmp_path / "parts" / "ok.json").read_text())["status"] == "done"
    assert "failed: bad" in (tmp_path / "report.md").read_text()


def test_same_seed_same_numbers(tmp_path):
    """Two runs with the same seed give bit-identical results (CPU)."""
    import numpy as np

    from collapse.core.runio import load_npz
    from collapse.simulate.experiments import run_experiment
    from collapse.simulate.experiments.gaussian_moments import GaussianTheoryConfig
    from collapse.simulate.experiments.single_gaussian import SingleGaussianConfig

    single = SingleGaussianConfig(sample_sizes=(10, 100), generations=20, chains=8, seed=7)
    theory = GaussianTheoryConfig(generations=20, chains=100, seed=7)
    for cfg, name in ((single, "gaussian_single"), (theory, "gaussian_theory")):
        a = load_npz(run_experiment(tmp_path / "a", name, cfg))[1]
        b = load_npz(run_experiment(tmp_path / "b", name, cfg))[1]
        assert a.keys() == b.keys()
        for k in a:
            assert np.array_equal(a[k], b[k]), k
