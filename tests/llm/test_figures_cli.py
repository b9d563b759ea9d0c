"""Figures from a finished tiny run, the command line (exit status 2 on bad input), and the benchmark."""

from __future__ import annotations

import subprocess
import sys

import pytest

from collapse.cli import main
from collapse.figures.llm import FIGURES, draw_all


def test_figures_and_example_table_are_written(tiny_run, tmp_path):
    _, out = tiny_run
    paths = draw_all(out, tmp_path)
    names = {p.name for p in paths}
    for stem in ("llm_fig1", "llm_groundtruth"):
        assert {f"{stem}.png", f"{stem}.pdf"} <= names
    assert {"llm_example1.md", "llm_example1.csv"} <= names
    assert all(p.stat().st_size > 0 for p in paths)
    md = (tmp_path / "llm_example1.md").read_text()
    assert "| 0 |" in md and "| 1 |" in md
    assert {s.name for s in FIGURES} >= {"llm-fig1", "llm-repetition", "llm-groundtruth", "llm-example1"}


def test_every_figure_describes_the_run(tiny_run):
    _, out = tiny_run
    for spec in FIGURES:
        if spec.describe is None:
            continue
        d = spec.describe(out)  # the tiny run has no repetition-penalty setting: said so, not an error
        assert d.paper and "generations" in d.run


def test_figures_command(tiny_run, tmp_path, capsys):
    _, out = tiny_run
    assert main(["figures", "llm", "--out", str(out), "--figures-dir", str(tmp_path)]) == 0
    assert (tmp_path / "llm_fig1.png").exists()


def test_figures_and_run_json(tiny_run, tmp_path, monkeypatch, capsys):
    """figures llm --json: the files written; llm run --json: the summary path and its rows."""
    import json

    import collapse.llm.experiment as ex

    _, out = tiny_run
    assert main(["figures", "llm", "-o", str(out), "--figures-dir", str(tmp_path), "--json"]) == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert str(tmp_path / "llm_fig1.png") in files
    monkeypatch.setattr(ex, "run", lambda cfg, o, rt, force=False: out / "llm_summary.json")
    assert main(["llm", "run", "--quick", "-q", "-o", str(out), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["summary"] == str(out / "llm_summary.json")
    assert len(rep["rows"]) == 2 * 2  # 2 settings x generations 0, 1
    assert {"setting", "seed", "generation", "test_perplexity"} <= set(rep["rows"][0])


def test_bench_json_is_the_saved_numbers(tmp_path, monkeypatch, capsys):
    import json

    import collapse.llm.bench as bench
    from collapse.core.runio import save_json

    def fake(prompts, device, out, paper):
        print("a table for people")
        if out is not None:
            save_json(out, {"batched_speedup": 7.5, "prompts": prompts})
        return 0

    monkeypatch.setattr(bench, "main", fake)
    assert main(["bench", "llm", "--prompts", "3", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"batched_speedup": 7.5, "prompts": 3} and "a table" in captured.err
    assert main(["bench", "llm", "--save", str(tmp_path / "b.json")]) == 0
    assert "a table" in capsys.readouterr().out and (tmp_path / "b.json").exists()


def test_figures_of_a_directory_without_results_is_exit_2(tmp_path, capsys):
    assert main(["figures", "llm", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("collapse: error: --out: expected") and "\n" not in err


@pytest.mark.parametrize("argv, name", [
    (["--model", "no-such-org/no-such-model-xyz"], "--model"),
    (["--block-size", "250"], "--block-size"),
], ids=["unknown-model-offline", "block-beyond-context"])
def test_run_command_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, capsys, argv, name):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    keep = tmp_path / "keep.txt"
    keep.write_text("earlier")
    code = main(["llm", "run", "--quick", "--quiet", "--out", str(tmp_path)] + argv)
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith(f"collapse: error: {name}: expected") and "\n" not in err
    assert keep.read_text() == "earlier"


def test_help_does_not_import_torch():
    code = ("import sys; from collapse.cli import build_parser; build_parser(); "
            "print(any(m in sys.modules for m in ('torch', 'transformers', 'matplotlib.pyplot')))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"


def test_bench_measures_and_checks_batched_equals_single():
    from collapse.llm.bench import measure

    r = measure(prompts=4, single=2, new_tokens=4, num_beams=2, block_size=8, device="cpu", repeats=1)
    assert r["batched_equals_one_at_a_time"] is True
    assert r["train_tokens_per_s"] > 0 and r["beam_new_tokens_per_s"] > 0 and r["batched_speedup"] > 0


def test_paper_projection_scales_measured_rates_to_the_protocol():
    from collapse.llm.bench import PAPER_WORKLOAD, measure_paper_model, project_generation

    tiny = dict(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, ffn_dim=32)
    r = measure_paper_model("cpu", train_batch=2, gen_prompts=2, arch=tiny, repeats=1)
    assert r["train_tokens_per_s"] > 0 and r["score_tokens_per_s"] > 0 and r["beam_new_tokens_per_s"] > 0
    rates = {"train_tokens_per_s": 100.0, "score_tokens_per_s": 400.0, "beam_new_tokens_per_s": 50.0}
    p5, p10 = project_generation(rates, 5), project_generation(rates, 10)
    w = PAPER_WORKLOAD
    assert p5["generate"] == p10["generate"] == w["train_tokens"] / w["block_size"] * w["new_tokens"] / 50.0
    assert p10["train"] == 2 * p5["train"] == 10 * w["train_tokens"] / 100.0
    assert p5["total"] == pytest.approx(p5["train"] + p5["validate"] + p5["generate"] + p5["evaluate"])


def test_stand_in_runs_say_so_in_the_figure_titles(tmp_path):
    from collapse.core.runner import Run
    from collapse.figures.llm import _what

    Run.open(tmp_path / "syn", "llm", {"model": "synthetic", "data": "synthetic"})
    Run.open(tmp_path / "opt", "llm", {"model": "facebook/opt-125m", "data": "wikitext"})
    assert _what(tmp_path / "syn") == "synthetic stand-in for OPT-125m / WikiText-2"
    assert _what(tmp_path / "opt") == "facebook/opt-125m on wikitext"


def test_quick_projection_adds_up_the_parts_of_a_generation():
    """bench llm's 'where the time goes': each chain is its generations' parts; the workers share the chains."""
    from collapse.llm.bench import _project_quick
    from collapse.llm.config import preset

    cfg = preset("quick")
    parts = {"train, one epoch": 1.0, "validation pass": 0.0, "beam search (5-way), every training block": 3.0,
             "beam search with penalty 2.0": 4.0, "scoring: test split + training data under generation 0": 0.5,
             "ground truth: KL and tail mass on the test split": 0.25,
             "ground truth: true NLL and coverage of the training data": 0.25, "language and blocks": 1.0,
             "world: beam search on the true model": 2.0, "world: pretraining the stand-in (projected)": 7.0}
    p = _project_quick(cfg, parts, workers=2)
    G, seeds = cfg.generations, len(cfg.seeds)
    assert p["world"] == 10.0
    assert p["chains of no-data-kept"] == seeds * (G * (5 + 1.0) + (G - 1) * 3.0)
    assert p["chains of 10pct-kept"] == seeds * (G * (10 + 1.0) + (G - 1) * 3.0)
    assert p["chains of repetition-penalty"] == seeds * (G * (5 + 1.0) + (G - 1) * 4.0)
    chains = sum(v for k, v in p.items() if k.startswith("chains"))
    assert p["run, one process"] == 10.0 + chains and p["run, 2 processes"] == 10.0 + chains / 2
