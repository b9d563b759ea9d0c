"""Fidelity of the real path: the hub's lines and ids from local files, the variant, the per-line </s>,
the release's per-epoch cosine, the paper's hyperparameters without --preset, precision (--dtype)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from collapse.core.validation import InvalidArgument
from collapse.llm.data import (
    RAW_VARIANT,
    TOKENS_VARIANT,
    check_data_path,
    line_convention,
    load_corpus,
    read_lines,
    tokenize_lines,
)
from tests.llm.test_any_causal_lm import wiki_text
from tests.llm.test_any_causal_lm import one_thread  # noqa: F401 -- an autouse fixture


def hub_rows(path):
    """The hub's ``text`` rows of a WikiText file: the ``wikitext`` dataset script's own loop, verbatim in effect."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for row in f:
            rows.append(row if row.strip() else "")
    return rows


@pytest.fixture(scope="module")
def opt_tok():
    from collapse.llm.pretrain import train_tokenizer

    return train_tokenizer(wiki_text().splitlines(keepends=True), 300, "opt")


@pytest.fixture(scope="module")
def gpt2_tok():
    from collapse.llm.pretrain import train_tokenizer

    return train_tokenizer(wiki_text().splitlines(keepends=True), 300, "gpt2")


@pytest.fixture(scope="module")
def tiny_lm(opt_tok):
    """A randomly initialised 2-layer OPT over ``opt_tok`` (no synthetic language: this file tests the real path)."""
    from tests.llm.test_any_causal_lm import family_model

    return family_model("opt", opt_tok).eval(), opt_tok, None


def _raw_dir(tmp_path, ext="raw"):
    d = tmp_path / "wikitext-2-raw"
    d.mkdir()
    for i, split in enumerate(("train", "valid", "test")):
        (d / f"wiki.{split}.{ext}").write_text(wiki_text(n_articles=4, seed=i))
    return d


# ---------------------------------------------------------------------------- lines and ids


def test_lines_are_the_hub_rows(tmp_path):
    f = tmp_path / "wiki.valid.raw"
    # a blank line of spaces, CRLF and a lone CR, characters str.splitlines() breaks at, no final newline
    f.write_bytes(" \n = Title = \n \n a\x0cb \u2028 c\r\n d\re \n\n last".encode())
    assert read_lines(f) == hub_rows(f)
    assert read_lines(f)[:3] == ["", " = Title = \n", ""]


def test_local_raw_folder_gives_the_hub_token_stream(tmp_path, opt_tok, gpt2_tok):
    d = _raw_dir(tmp_path)
    corpus = load_corpus(str(d))
    assert corpus.variant.startswith(RAW_VARIANT + ";")
    for split in ("train", "valid", "test"):
        rows = hub_rows(d / f"wiki.{split}.raw")
        assert corpus.split(split) == rows
        for tok in (opt_tok, gpt2_tok):
            np.testing.assert_array_equal(tokenize_lines(tok, corpus.split(split)), tokenize_lines(tok, rows))
    # the old reading (splitlines, newline dropped) gives a byte-level BPE other ids
    old = (d / "wiki.train.raw").read_text().splitlines()
    assert not np.array_equal(tokenize_lines(gpt2_tok, old), tokenize_lines(gpt2_tok, corpus.train))


def test_shared_wikitext_file_reads_as_the_hub_rows(shared_dir):
    f = shared_dir / "data" / "wikitext-2" / "wiki.valid.tokens"
    if not f.exists():
        pytest.skip("wiki.valid.tokens is not in ../shared")
    rows = read_lines(f)
    assert rows == hub_rows(f) and len(rows) == 3760
    corpus = load_corpus(str(f.parent))
    assert corpus.train + corpus.valid + corpus.test == rows
    assert corpus.variant.startswith(TOKENS_VARIANT) and "not the paper's raw text" in corpus.note


def test_tokenized_variant_is_recorded_and_mixed_variants_refused(tmp_path):
    d = _raw_dir(tmp_path, ext="tokens")
    corpus = load_corpus(str(d))
    assert corpus.variant.startswith(TOKENS_VARIANT) and "wikitext-2-v1" in corpus.note
    assert "unlike WikiText-2's" in corpus.variant  # 4 small articles, not WikiText-2's line counts
    (d / "wiki.test.tokens").rename(d / "wiki.test.raw")
    with pytest.raises(InvalidArgument, match="one variant"):
        check_data_path(str(d))
    raw = tmp_path / "raw-with-unk"
    raw.mkdir()
    for split in ("train", "valid", "test"):
        (raw / f"wiki.{split}.raw").write_text(" = A = \n the <unk> river .\n")
    assert "holds <unk>" in load_corpus(str(raw)).variant


def test_opt_per_line_eos_is_checked_on_the_tokenizer(opt_tok, gpt2_tok):
    conv = line_convention(opt_tok)
    eos = opt_tok.convert_tokens_to_ids("</s>")
    assert conv.before == (eos,) and conv.after == () and conv.empty == (eos,) and conv.opt_release
    lines = ["", " = A = \n", "", " the river .\n"]
    ids = tokenize_lines(opt_tok, lines)
    starts = np.cumsum([0] + [len(opt_tok(x)["input_ids"]) for x in lines[:-1]])
    assert set(np.flatnonzero(ids == eos)) == set(starts)  # one </s> at the start of every line, empty ones too
    other = line_convention(gpt2_tok)
    assert not other.opt_release and other.before == other.after == other.empty == () and other.newline
    assert "OPT's per-line </s> (the release's convention): no" in other.describe()


def test_a_tokenizer_that_drops_the_newline_and_adds_nothing_is_named(opt_tok):
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    t = Tokenizer(models.WordLevel({"the": 0, "cat": 1, "[UNK]": 2}, unk_token="[UNK]"))
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    conv = line_convention(PreTrainedTokenizerFast(tokenizer_object=t, unk_token="[UNK]"))
    assert conv.newline == () and not conv.separated
    assert "newline is dropped" in conv.describe() and "lines run together" in conv.describe()


# ---------------------------------------------------------------------------- the schedule


@pytest.fixture
def step_lrs():
    """The learning rate of every optimiser step taken while the fixture is active."""
    from torch.optim.optimizer import register_optimizer_step_pre_hook

    seen: list[float] = []
    handle = register_optimizer_step_pre_hook(lambda opt, args, kwargs: seen.append(opt.param_groups[0]["lr"]))
    yield seen
    handle.remove()


@pytest.mark.parametrize("epochs", [1, 5, 10])
def test_per_epoch_cosine_is_the_release_formula(tiny_lm, step_lrs, epochs):
    import copy

    from collapse.llm.train import TrainConfig, fine_tune

    model, tok, _ = tiny_lm
    blocks = np.random.default_rng(0).integers(5, len(tok), size=(6, 8))
    cfg = TrainConfig(epochs=epochs, lr=2e-5, min_lr=1e-6, batch_size=4)  # 2 steps per epoch
    hist = fine_tune(copy.deepcopy(model), blocks, blocks[:2], cfg, seed=0)
    direct = [1e-6 + (2e-5 - 1e-6) * (1 + math.cos(math.pi * e / epochs)) / 2 for e in range(epochs)]
    np.testing.assert_allclose(hist["lr"], direct, rtol=0, atol=1e-15)
    np.testing.assert_allclose(step_lrs, np.repeat(direct, 2), rtol=0, atol=1e-15)  # every step of epoch e
    # torch's CosineAnnealingLR(T_max=epochs, eta_min=1e-6) stepped per epoch, as the release
    w = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([w], lr=2e-5)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs, eta_min=1e-6)
    torch_lrs = []
    for _ in range(epochs):
        torch_lrs.append(opt.param_groups[0]["lr"])
        w.grad = torch.zeros(1)
        opt.step()
        sched.step()
    np.testing.assert_allclose(hist["lr"], torch_lrs, rtol=1e-9)


def test_per_step_cosine_is_the_formula(tiny_lm, step_lrs):
    import copy

    from collapse.llm.train import TrainConfig, cosine_lr, fine_tune

    model, tok, _ = tiny_lm
    blocks = np.random.default_rng(0).integers(5, len(tok), size=(6, 8))
    fine_tune(copy.deepcopy(model), blocks, blocks[:2], TrainConfig(epochs=3, lr=1e-3, min_lr=1e-5, batch_size=2,
                                                                    schedule="step"), seed=0)
    assert step_lrs == [cosine_lr(1e-3, 1e-5, t, 9) for t in range(9)]
    assert cosine_lr(1e-3, 1e-5, 9, 9) == pytest.approx(1e-5, abs=1e-18)


# ---------------------------------------------------------------------------- the command line's defaults


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, tiny_lm):
    model, tok, _ = tiny_lm
    d = tmp_path_factory.mktemp("model")
    model.save_pretrained(d)
    tok.save_pretrained(d)
    return d


def _config(argv):
    from collapse.cli import build_parser
    from collapse.commands.llm import _config

    return _config(build_parser().parse_args(["llm", "run", *argv]))[0]


def test_a_real_model_without_preset_gets_the_paper_hyperparameters(model_dir, tmp_path):
    (tmp_path / "t.txt").write_text(wiki_text())
    cfg = _config(["--model", str(model_dir), "--data", str(tmp_path / "t.txt")])
    assert (cfg.lr, cfg.min_lr, cfg.batch_size, cfg.schedule, cfg.dtype) == (2e-5, 1e-6, 128, "epoch", "fp32")
    assert [s.epochs for s in cfg.settings] == [5, 10, 5] and cfg.generations == 10 and len(cfg.seeds) == 5
    offline = _config(["--preset", "offline", "--model", str(model_dir), "--data", str(tmp_path / "t.txt")])
    assert (offline.lr, offline.batch_size) == (1e-3, 32)  # asked for by name: kept
    assert _config([]).lr == 1e-3 and _config(["--model", "synthetic"]).lr == 1e-3  # the offline default
    assert _config(["--preset", "paper"]).dtype == "fp32"
    assert _config(["--dtype", "bf16"]).dtype == "bf16"


def test_fp16_on_the_cpu_is_refused_in_one_line(capsys, tmp_path):
    from collapse.cli import main

    assert main(["llm", "run", "--quick", "--dtype", "fp16", "--device", "cpu", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--dtype" in err and "fp16" in err
    assert not (tmp_path / "r").exists()


# ---------------------------------------------------------------------------- precision


def test_precision_is_fp32_unless_asked():
    from collapse.llm.model import autocast_dtype, precision

    assert autocast_dtype("cpu") is None
    with precision("bf16"):
        assert autocast_dtype("cpu") is torch.bfloat16
    assert autocast_dtype("cpu") is None
    with pytest.raises(InvalidArgument), precision("fp8"):
        pass


def test_bf16_training_runs_and_is_recorded(tiny_lm):
    import copy

    from collapse.llm.train import TrainConfig, fine_tune

    model, tok, _ = tiny_lm
    blocks = np.random.default_rng(0).integers(5, len(tok), size=(4, 8))
    hist = fine_tune(copy.deepcopy(model), blocks, blocks, TrainConfig(epochs=1, lr=1e-3, batch_size=4,
                                                                       dtype="bf16"), seed=0)
    assert hist["dtype"] == "bf16" and np.isfinite(hist["valid_loss"][0])


def test_weights_saved_in_fp16_load_in_fp32(tiny_lm, tmp_path):
    import copy

    from collapse.llm.model import load_pretrained

    model, tok, _ = tiny_lm
    copy.deepcopy(model).half().save_pretrained(tmp_path)  # as facebook/opt-125m is stored
    tok.save_pretrained(tmp_path)
    loaded, _ = load_pretrained(str(tmp_path))
    assert {p.dtype for p in loaded.parameters()} == {torch.float32}


def test_a_tokenizer_larger_than_the_model_is_refused(opt_tok, tmp_path):
    from collapse.llm.model import load_pretrained
    from collapse.llm.pretrain import train_tokenizer
    from tests.llm.test_any_causal_lm import family_model

    small = train_tokenizer(wiki_text().splitlines(keepends=True), 264, "opt")
    assert len(small) < len(opt_tok)
    family_model("opt", small).save_pretrained(tmp_path)
    opt_tok.save_pretrained(tmp_path)
    with pytest.raises(InvalidArgument, match="embed"):
        load_pretrained(str(tmp_path))
