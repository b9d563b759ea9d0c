"""Issue 14 for the language-model commands: every bad input is one line on stderr naming the option
(or the file), exit status 2, no traceback, nothing written; damaged results are named, never counted
as done; a run folder shared with another experiment keeps that experiment's files.

In-process (``collapse.cli.main``) with the tiny configurations of ``conftest.py``; HF_HUB_OFFLINE is set.
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

from collapse.cli import main
from collapse.core.runner import MANIFEST, DamagedFile, Run
from collapse.core.runio import read_json
from collapse.core.validation import InvalidArgument
from collapse.llm.experiment import Runtime, load_summary, run
from tests.llm.conftest import tiny_config

QUIET = Runtime(progress=False)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def out(tmp_path):
    """A run folder holding one earlier file: a refused command must leave it exactly so."""
    d = tmp_path / "out"
    d.mkdir()
    (d / "keep.txt").write_text("earlier")
    return d


def _untouched(d) -> bool:
    return sorted(p.name for p in d.iterdir()) == ["keep.txt"] and (d / "keep.txt").read_text() == "earlier"


def refused(argv, capsys, option: str) -> str:
    """``collapse ARGV`` exits 2 with one stderr line naming ``option`` and no traceback; that line."""
    capsys.readouterr()  # what the fixtures printed
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse: the value is refused while the command line is parsed
        code = exc.code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert option in lines[0], lines[0]
    return lines[0]


def llm_run(out, *extra):
    return ["llm", "run", "--quick", "--quiet", "--out", out, *extra]


# ---------------------------------------------------------------------------- 1. rates


@pytest.mark.parametrize("option, value", [
    ("--lr", "-1"), ("--lr", "0"), ("--lr", "nan"), ("--lr", "inf"), ("--lr", "11"), ("--lr", "1e308"),
    ("--lr", "fast"), ("--min-lr", "-1e-9"), ("--min-lr", "nan"), ("--min-lr", "-inf"), ("--min-lr", "11"),
    ("--weight-decay", "-0.01"), ("--weight-decay", "nan"), ("--weight-decay", "inf"), ("--weight-decay", "1e6"),
])
def test_rates_out_of_range_are_refused_when_parsed(out, capsys, option, value):
    line = refused(llm_run(out, f"{option}={value}"), capsys, option)  # "=": argparse reads -1e-9 as a flag
    assert "expected a number in" in line
    assert _untouched(out)


@pytest.mark.parametrize("extra", [["--lr", "1e-6"], ["--lr", "1e-4", "--min-lr", "1e-3"]],
                         ids=["lr-below-the-presets-min-lr", "min-lr-above-lr"])
def test_min_lr_above_lr_is_refused_before_any_work(out, capsys, extra):
    line = refused(llm_run(out, *extra), capsys, "--min-lr")
    assert "lr = " in line
    assert _untouched(out)


def test_train_config_checks_its_rates():
    from collapse.llm.train import TrainConfig

    assert TrainConfig(lr=1e-3, min_lr=0.0, weight_decay=0.0).min_lr == 0.0
    for kw, name in (({"lr": 0.0}, "lr"), ({"lr": 20.0}, "lr"), ({"lr": 1e-3, "min_lr": 1e-2}, "min_lr"),
                     ({"weight_decay": -1.0}, "weight_decay"), ({"weight_decay": float("nan")}, "weight_decay")):
        with pytest.raises(InvalidArgument) as err:
            TrainConfig(**kw)
        assert err.value.name == name


# ---------------------------------------------------------------------------- 2. settings


@pytest.mark.parametrize("value", ["", " ", ",", "no-data-kept,", "nope", "no-data-kept,nope",
                                   "no-data-kept,no-data-kept"])
def test_empty_unknown_or_repeated_settings_are_refused(out, capsys, value):
    line = refused(llm_run(out, "--settings", value), capsys, "--settings")
    assert all(name in line for name in ("no-data-kept", "10pct-kept", "repetition-penalty"))
    assert _untouched(out)


def test_settings_select_and_order_the_settings(monkeypatch, tmp_path):
    import collapse.llm.experiment as ex

    seen = []
    monkeypatch.setattr(ex, "run", lambda cfg, o, rt, force=False: seen.append(cfg) or o / "llm_summary.json")
    assert main(["llm", "run", "--quick", "-q", "-o", str(tmp_path), "--settings", "10pct-kept, no-data-kept"]) == 0
    assert [s.name for s in seen[0].settings] == ["10pct-kept", "no-data-kept"]


# ---------------------------------------------------------------------------- 3. sizes


@pytest.mark.parametrize("option, value", [
    ("--num-beams", "65"), ("--num-beams", "0"), ("--block-size", "2049"), ("--block-size", "1"),
    ("--new-tokens", "2049"), ("--seeds", "101"), ("--seeds", "0"), ("--threads", "257"), ("--threads", "-1"),
    ("--batch-size", "4097"), ("--gen-batch-size", "4097"), ("--gen-batch-size", "0"),
    ("--max-blocks", "10000001"), ("--generations", "1001"), ("--generations", "0"), ("--seeds", "1e3"),
])
def test_sizes_have_documented_maxima(out, capsys, option, value):
    line = refused(llm_run(out, f"{option}={value}"), capsys, option)
    assert "expected an integer in [" in line
    assert _untouched(out)


@pytest.mark.parametrize("value", ["0", "-2", "4097", "10000000000", "nan", "two"])
def test_bench_prompts_out_of_range(capsys, value):
    refused(["bench", "llm", f"--prompts={value}"], capsys, "--prompts")


@pytest.mark.parametrize("extra, option", [
    (["--max-blocks", "0", "--batch-size", "4096"], "--batch-size"),
    (["--max-blocks", "0", "--gen-batch-size", "4096", "--num-beams", "64"], "--gen-batch-size"),
])
def test_batches_that_cannot_fit_in_memory_are_refused_before_any_work(out, capsys, monkeypatch, extra, option):
    from collapse.core import validation

    monkeypatch.setattr(validation, "available_memory", lambda: 2 ** 30)  # this machine: 1 GiB
    line = refused(llm_run(out, *extra), capsys, option)
    assert "fits in" in line and "GiB" in line
    assert _untouched(out)


def test_new_tokens_must_match_the_blocks_they_replace(out, capsys):
    refused(llm_run(out, "--block-size", "32", "--new-tokens", "16"), capsys, "--new-tokens")
    assert _untouched(out)


# ---------------------------------------------------------------------------- 4. bench --prompts


def test_bench_with_fewer_prompts_than_the_one_at_a_time_run(monkeypatch, capsys):
    """--prompts 2 (or 1, 3): the one-at-a-time comparison takes at most as many prompts as the batch."""
    from collapse.llm import bench

    real = bench.measure
    monkeypatch.setattr(bench, "measure", lambda prompts, device: real(
        prompts=prompts, device=device, single=4, new_tokens=4, num_beams=2, block_size=8, repeats=1))
    assert main(["bench", "llm", "--prompts", "2", "--device", "cpu", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["prompts"] == 2 and r["batched_equals_one_at_a_time"] is True and r["batched_speedup"] > 0


# ---------------------------------------------------------------------------- 5. --data and --model


@pytest.fixture
def model_dir(tiny_lm, tmp_path):
    """A local model folder (config.json, weights, tokenizer) of the tiny 1-layer OPT (context 48)."""
    model, tok, _ = tiny_lm
    d = tmp_path / "model"
    model.save_pretrained(d)
    tok.save_pretrained(d)
    return d


def _file(path, data):
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


def _wikitext(d, **texts):
    d.mkdir()
    for name, text in texts.items():
        (d / name.replace("_", ".")).write_bytes(text if isinstance(text, bytes) else text.encode())
    return d


@pytest.mark.parametrize("make, why", [
    (lambda t: t / "no-such-wikitext", "no such file or folder"),
    (lambda t: _wikitext(t / "w", notes_txt="x"), "no wiki."),
    (lambda t: _wikitext(t / "w", wiki_valid_raw=""), "empty"),
    (lambda t: (t / "w" / "wiki.train.raw").mkdir(parents=True) or t / "w", "a folder, not a file"),
    (lambda t: _wikitext(t / "w", wiki_train_raw="a\n", wiki_test_raw="b\n"), "only wiki."),
    (lambda t: _file(t / "e.txt", ""), "empty"),
], ids=["missing", "folder-without-wiki-files", "empty-split-file", "split-file-is-a-folder", "two-of-three",
        "empty-file"])
def test_data_paths_are_checked_when_parsed(out, tmp_path, capsys, make, why):
    line = refused(llm_run(out, "--data", make(tmp_path)), capsys, "--data")
    assert why in line
    assert _untouched(out)


LATIN1 = "= Caf\u00e9 =\n" + "le caf\u00e9 est tr\u00e8s bon\n" * 50
WORDS = " ".join(f"w{i}" for i in range(40))


@pytest.mark.parametrize("make, why", [
    (lambda t: _file(t / "latin1.txt", LATIN1.encode("latin-1")), "UTF-8"),
    (lambda t: _file(t / "two.txt", f"{WORDS}\n\n{WORDS}\n"), "at least 3 non-empty lines"),
    (lambda t: _file(t / "short.txt", "a\nb\nc\nd\n"), "16-token"),
    (lambda t: _wikitext(t / "w", wiki_train_raw=WORDS * 4, wiki_valid_raw="a b", wiki_test_raw=WORDS * 4),
     "valid"),
    (lambda t: _wikitext(t / "w", wiki_valid_tokens="\n".join(["x"] * 40).encode("utf-16")), "UTF-8"),
], ids=["not-utf8", "too-few-lines-to-split", "too-short-for-a-block", "valid-split-too-short", "utf16-split"])
def test_data_too_short_or_not_utf8_is_refused_before_any_training(out, tmp_path, capsys, model_dir, make, why):
    line = refused(llm_run(out, "--model", model_dir, "--data", make(tmp_path), "--block-size", "16"), capsys,
                   "--data")
    assert why in line
    assert _untouched(out)


@pytest.mark.parametrize("make, why", [
    (lambda t: (t / "empty-model").mkdir() or t / "empty-model", "config.json"),
    (lambda t: _file(t / "weights.bin", b"\0"), "a file, not a folder"),
    (lambda t: "./no/such/model", "no such folder"),
    (lambda t: t / "missing-model", "no such folder"),
    (lambda t: "not a hub id!", "neither an existing folder nor a hub id"),
], ids=["folder-without-config", "a-file", "missing-relative", "missing-absolute", "not-a-hub-id"])
def test_model_paths_are_checked_when_parsed(out, tmp_path, capsys, make, why):
    line = refused(llm_run(out, "--model", make(tmp_path)), capsys, "--model")
    assert why in line
    assert _untouched(out)


def test_hub_model_offline_says_the_hub_cannot_be_reached_and_a_folder_is_accepted(out, capsys):
    line = refused(llm_run(out, "--model", "no-such-org/no-such-model-xyz"), capsys, "--model")
    assert "cannot be reached" in line and "local model folder" in line
    assert _untouched(out)


def test_unreadable_model_folder_is_one_line(out, tmp_path, capsys):
    bad = tmp_path / "bad-model"
    bad.mkdir()
    (bad / "config.json").write_text("{ not json")
    line = refused(llm_run(out, "--model", bad), capsys, "--model")
    assert str(bad) in line
    assert _untouched(out)


def test_synthetic_model_with_other_data_names_data(out, tmp_path, capsys):
    (tmp_path / "t.txt").write_text("a\nb\nc\n")
    refused(llm_run(out, "--data", tmp_path / "t.txt"), capsys, "--data")
    assert _untouched(out)


def test_a_text_file_is_a_corpus_cut_in_three(tmp_path):
    from collapse.llm.data import load_corpus

    f = tmp_path / "corpus.txt"
    f.write_text("".join(f" = Article {i} = \n{WORDS}\n" for i in range(10)))
    c = load_corpus(str(f))
    assert c.train and c.valid and c.test and "cut 80/10/10" in c.note
    assert len(c.train) + len(c.valid) + len(c.test) == 20


# ---------------------------------------------------------------------------- 6. damaged results


def _copy(tiny_run, tmp_path):
    cfg, full = tiny_run
    out = tmp_path / "copy"
    shutil.copytree(full, out, ignore=shutil.ignore_patterns(".lock"))
    return cfg, out


def _gen(out, cfg, g=1, name="metrics.json"):
    return out / "runs" / cfg.settings[0].name / "seed0" / f"gen{g:02d}" / name


def _truncate(f):
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])


def _other_generation(f):
    shutil.copyfile(f.parent.parent / "gen00" / f.name, f)


def _other_config(f):
    m = json.loads(f.read_text())
    m["config"]["lr"] = 0.5
    f.write_text(json.dumps(m))


DAMAGES = {
    "truncated": _truncate,
    "empty": lambda f: f.write_bytes(b""),
    "garbage": lambda f: f.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
    "a-json-list": lambda f: f.write_text("[1, 2, 3]"),
    "no-test-perplexity": lambda f: f.write_text(json.dumps({"setting": "x"})),
}


@pytest.mark.parametrize("name, damage", [("metrics.json", d) for d in (*DAMAGES, "another-generation",
                                                                      "another-config")]
                         + [("scores.npz", d) for d in ("truncated", "empty", "garbage", "another-generation")])
def test_figures_of_a_damaged_result_name_the_file(tiny_run, tmp_path, capsys, name, damage):
    cfg, out = _copy(tiny_run, tmp_path)
    f = _gen(out, cfg, 1, name)
    {**DAMAGES, "another-generation": _other_generation, "another-config": _other_config}[damage](f)
    figs = tmp_path / "figs"
    line = refused(["figures", "llm", "--out", out, "--figures-dir", figs], capsys, str(f))
    assert "--force" in line or "delete" in line
    assert not figs.exists() or not any(figs.iterdir())  # checked before any figure is drawn


@pytest.mark.parametrize("rel", ["data/blocks.npz", "data/language.npz", "data/truth_beam.npz", MANIFEST])
def test_figures_of_a_damaged_data_file_name_it(tiny_run, tmp_path, capsys, rel):
    _, out = _copy(tiny_run, tmp_path)
    (out / rel).write_bytes(b"PK\x03\x04 truncated")
    figs = tmp_path / "figs"
    refused(["figures", "llm", "--out", out, "--figures-dir", figs], capsys, str(out / rel))
    assert not figs.exists() or not any(figs.iterdir())


def test_figures_of_a_missing_folder_name_out(tmp_path, capsys):
    refused(["figures", "llm", "--out", tmp_path / "nowhere"], capsys, "--out")


def _snapshot(d):
    return {p: p.read_bytes() for p in d.rglob("*") if p.is_file() and p.name != ".lock"}


@pytest.mark.parametrize("damage", ["empty", "garbage", "a-json-list", "another-generation", "another-config"])
def test_resume_refuses_a_damaged_finished_generation_by_name(tiny_run, tmp_path, damage):
    cfg, out = _copy(tiny_run, tmp_path)
    f = _gen(out, cfg)
    {**DAMAGES, "another-generation": _other_generation, "another-config": _other_config}[damage](f)
    before = _snapshot(out)
    with pytest.raises(InvalidArgument) as err:
        run(cfg, out, QUIET)
    assert str(f) in str(err.value) and "\n" not in str(err.value)
    assert _snapshot(out) == before  # reported, kept, not counted as done and not overwritten


def test_resume_refuses_a_foreign_metrics_file_even_without_its_digest(tiny_run, tmp_path):
    """A metrics.json of another generation is refused by its content too (a folder written before digests)."""
    cfg, out = _copy(tiny_run, tmp_path)
    manifest = read_json(out / MANIFEST)
    manifest["runs"]["llm"].pop("digests", None)
    (out / MANIFEST).write_text(json.dumps(manifest))
    f = _gen(out, cfg)
    _other_generation(f)
    with pytest.raises(DamagedFile, match="another run"):
        run(cfg, out, QUIET)


def test_resume_recomputes_a_generation_whose_scores_are_missing(tiny_run, tmp_path):
    cfg, out = _copy(tiny_run, tmp_path)
    scores = _gen(out, cfg, 1, "scores.npz")
    ref = np.load(scores)["perplexity_gen0"]
    scores.unlink()
    run(cfg, out, QUIET)
    np.testing.assert_allclose(np.load(scores)["perplexity_gen0"], ref, rtol=1e-6)
    assert len(load_summary(out)[1]) == len(tiny_run[0].settings) * cfg.generations


# ---------------------------------------------------------------------------- 7. a folder shared with others


def test_llm_run_in_another_experiments_folder_keeps_its_files(tmp_path):
    folder = tmp_path / "shared"
    sweep = Run.open(folder, "sweep", {"grid": [1, 2]})
    sweep.write_text("summary.csv", "param,metric\n1,2\n")
    sweep.own("cells")
    (folder / "cells").mkdir()
    (folder / "cells" / "c1.json").write_text("{}")
    (folder / "runs" / "gmm").mkdir(parents=True)  # the user's own runs/ and data/, owned by nobody
    (folder / "runs" / "gmm" / "results.npz").write_bytes(b"mine")
    (folder / "data").mkdir()
    (folder / "data" / "mine.txt").write_text("mine")
    theirs = _snapshot(folder)
    theirs.pop(folder / MANIFEST)
    cfg = tiny_config(generations=1, settings=tiny_config().settings[:1])
    run(cfg, folder, QUIET)
    runs = read_json(folder / MANIFEST)["runs"]
    assert set(runs) == {"sweep", "llm"} and runs["sweep"]["files"] == ["summary.csv", "cells"]
    assert (folder / "llm_summary.csv").exists() and len(load_summary(folder)[1]) == 1
    run(dataclasses.replace(cfg, settings=tiny_config().settings[1:]), folder, QUIET, force=True)
    assert {p: b for p, b in _snapshot(folder).items() if p in theirs} == theirs  # sweep's and the user's, intact
    assert not (folder / "runs" / cfg.settings[0].name).exists()  # the llm's own earlier setting: deleted


def test_llm_run_where_another_experiment_owns_its_outputs_is_refused_before_writing(tmp_path, capsys):
    folder = tmp_path / "shared"
    other = Run.open(folder, "other", {"a": 1})
    other.own("data")
    before = (folder / MANIFEST).read_bytes()
    with pytest.raises(InvalidArgument) as err:
        run(tiny_config(), folder, QUIET)
    assert err.value.name == "--out" and "'other' owns data" in str(err.value)
    assert (folder / MANIFEST).read_bytes() == before  # no entry for the llm: nothing to refuse later
    assert {p.name for p in folder.iterdir()} <= {".lock", MANIFEST}


# ---------------------------------------------------------------------------- the same in real processes


def _collapse(*argv, cwd):
    import os
    import subprocess
    import sys

    env = os.environ | {"HF_HUB_OFFLINE": "1", "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "collapse.cli", *map(str, argv)], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120, check=False)


def test_in_a_process_damaged_metrics_and_a_nan_rate_are_one_line(tiny_run, tmp_path):
    cfg, out = _copy(tiny_run, tmp_path)
    f = _gen(out, cfg)
    _truncate(f)
    for argv, named in ((["figures", "llm", "--out", out, "--figures-dir", tmp_path / "figs"], str(f)),
                        (["llm", "run", "--quick", "-q", "--out", tmp_path / "o", "--lr", "nan"], "--lr")):
        p = _collapse(*argv, cwd=tmp_path)
        lines = p.stderr.strip().splitlines()
        assert p.returncode == 2 and len(lines) == 1 and named in lines[0] and "Traceback" not in p.stderr, p.stderr
    assert not (tmp_path / "figs").exists() and not (tmp_path / "o").exists()
