"""``collapse llm pretrain``: a tokenizer and a tiny model from local text, then the protocol on it, offline.

On ``../shared/data/wikitext-2`` when present (skipped otherwise), and on a small generated
text file everywhere; a few hundred lines at most, a few dozen optimiser steps.
"""

from __future__ import annotations

import json

import pytest

from collapse.cli import main
from tests.llm.test_any_causal_lm import one_thread, wiki_text  # noqa: F401 -- one_thread: an autouse fixture

TINY = ["--vocab-size", "300", "--hidden", "32", "--layers", "1", "--heads", "2", "--context", "64",
        "--block-size", "16", "--epochs", "1", "--batch-size", "16", "--seed", "7", "--quiet"]


def _files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name != ".lock"}


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_pretrain_on_shared_wikitext_then_the_protocol_runs_on_it(shared_dir, tmp_path, offline, capsys):
    from collapse.core.runner import read_result
    from collapse.llm.model import load_pretrained

    data = shared_dir / "data" / "wikitext-2"
    if not (data / "wiki.valid.tokens").exists():
        pytest.skip("wiki.valid.tokens is not in ../shared")
    out = tmp_path / "tiny-opt"
    argv = ["llm", "pretrain", "--data", str(data), "--out", str(out), "--max-lines", "40", *TINY]
    assert main(argv) == 0
    assert "collapse llm run --model" in capsys.readouterr().out
    log = json.loads((out / "pretrain.json").read_text())
    assert log["seed"] == 7 and log["config"]["seed"] == 7 and log["train_lines"] == 40
    assert log["line_convention"]["opt_release"]
    assert "OPT's per-line </s> (the release's convention): yes" in log["note"]
    assert "wikitext-2-v1" in log["variant"] and len(log["history"]["valid_loss"]) == 1
    model, tok = load_pretrained(str(out))
    assert type(model).__name__ == "OPTForCausalLM" and len(tok) <= 300

    before = _files(out)
    assert main(argv) == 0  # the same command: done, nothing rewritten
    assert _files(out) == before
    assert main([*argv[:-1], "--epochs", "2", "--quiet"]) == 2  # other options on the same folder: refused
    assert "epochs: 1 -> 2" in capsys.readouterr().err
    assert _files(out) == before

    run = tmp_path / "run"
    assert main(["llm", "run", "--model", str(out), "--data", str(data), "--out", str(run), "--generations", "1",
                 "--seeds", "1", "--settings", "no-data-kept", "--block-size", "16", "--max-blocks", "8",
                 "--batch-size", "8", "--num-beams", "2", "--threads", "1", "--quiet"]) == 0
    note = read_result(run / "data" / "blocks.npz")[0]["note"]
    assert "wikitext-2-v1" in note and "OPT's per-line </s> (the release's convention): yes" in note
    assert json.loads((run / "runs" / "no-data-kept" / "seed0" / "gen00" / "metrics.json").read_text())["test"][
        "perplexity"] > 1


def test_pretrain_gpt2_shape_on_a_text_file(tmp_path, offline):
    from collapse.llm.model import load_pretrained

    text = tmp_path / "articles.txt"
    text.write_text(wiki_text(n_articles=8))
    out = tmp_path / "tiny-gpt2"
    assert main(["llm", "pretrain", "--data", str(text), "--out", str(out), "--arch", "gpt2", *TINY]) == 0
    log = json.loads((out / "pretrain.json").read_text())
    conv = log["line_convention"]
    assert conv["before"] == conv["after"] == conv["empty"] == [] and conv["newline"] and not conv["opt_release"]
    model, _ = load_pretrained(str(out))
    assert type(model).__name__ == "GPT2LMHeadModel"
    assert log["history"]["lr"] == [1e-3]


@pytest.mark.parametrize("extra, flag", [(["--hidden", "30", "--heads", "4"], "--heads"),
                                         (["--block-size", "128", "--context", "64"], "--block-size"),
                                         (["--max-lines", "1", "--block-size", "64"], "--data")])
def test_pretrain_bad_combinations_are_one_line_and_write_nothing(tmp_path, offline, capsys, extra, flag):
    text = tmp_path / "articles.txt"
    text.write_text(wiki_text(n_articles=4))
    out = tmp_path / "m"
    assert main(["llm", "pretrain", "--data", str(text), "--out", str(out), *TINY, *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and flag in err, err
    assert not out.exists()


def test_pretrain_never_overwrites_a_model_folder_it_did_not_make(tmp_path, offline, capsys):
    out = tmp_path / "someone-elses-model"
    out.mkdir()
    (out / "config.json").write_text("{}")
    text = tmp_path / "articles.txt"
    text.write_text(wiki_text(n_articles=4))
    assert main(["llm", "pretrain", "--data", str(text), "--out", str(out), *TINY, "--force"]) == 2
    assert "--out" in capsys.readouterr().err and (out / "config.json").read_text() == "{}"
    assert sorted(p.name for p in out.iterdir()) == ["config.json"]
