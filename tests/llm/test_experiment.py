"""The generational loop end to end on a tiny model: files, resume equivalence, refusals, bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from collapse.core.runio import load_npz, read_json
from collapse.core.validation import InvalidArgument
from collapse.llm.experiment import Runtime, load_summary, run
from tests.llm.conftest import tiny_config

QUIET = Runtime(progress=False)


def test_run_writes_every_generation(tiny_run):
    cfg, out = tiny_run
    _, rows = load_summary(out)
    assert len(rows) == len(cfg.settings) * len(cfg.seeds) * cfg.generations
    real = load_npz(out / "data" / "blocks.npz")[1]["train"]
    for s in cfg.settings:
        d = out / "runs" / s.name / "seed0"
        g0 = load_npz(d / "gen00" / "train.npz")[1]
        np.testing.assert_array_equal(g0["blocks"], real)
        gen = load_npz(d / "gen00" / "generated.npz")[1]["blocks"]
        assert gen.shape == (len(real), cfg.new_tokens)
        g1 = load_npz(d / "gen01" / "train.npz")[1]
        assert g1["is_real"].sum() == round(s.keep_real * len(real))
        np.testing.assert_array_equal(g1["blocks"][~g1["is_real"]], gen[~g1["is_real"]])
        m = read_json(d / "gen01" / "metrics.json")
        assert m["config"]["seeds"] == [0] and "versions" in m and m["test"]["perplexity"] > 1
        assert len(m["examples"]) == cfg.n_examples and m["truth"]["kl"] >= 0
        scores = load_npz(d / "gen01" / "scores.npz")[1]
        assert scores["perplexity_gen0"].shape == (len(real),)
        assert not (d / "gen01" / "generated.npz").exists()  # the last generation writes no data


def test_summary_by_generation_has_one_row_per_setting_and_generation(tiny_run):
    import csv

    cfg, out = tiny_run
    rows = list(csv.DictReader((out / "llm_summary_by_generation.csv").read_text().splitlines()))
    assert len(rows) == len(cfg.settings) * cfg.generations
    assert all(r["runs"] == str(len(cfg.seeds)) and float(r["test_perplexity_mean"]) > 1 for r in rows)


def test_generation_zero_scores_its_own_data_with_the_generation_zero_model(tiny_run):
    """Scores of generation 0's data equal the test-free recomputation with the saved generation-0 model."""
    from collapse.llm.evaluate import sequence_perplexity
    from collapse.llm.model import load_checkpoint, load_pretrained

    cfg, out = tiny_run
    d = out / "runs" / cfg.settings[0].name / "seed0"
    model, _ = load_pretrained(str(out / "pretrained"))
    load_checkpoint(model, d / "gen00" / "model.safetensors")
    train = load_npz(d / "gen01" / "train.npz")[1]["blocks"]
    np.testing.assert_allclose(load_npz(d / "gen01" / "scores.npz")[1]["perplexity_gen0"],
                               sequence_perplexity(model, train), rtol=1e-5)


class Killed(Exception):
    pass


@pytest.mark.parametrize("kill_after", [("gen00", "model.safetensors"), ("gen00", "generated.npz"),
                                        ("gen00", "metrics.json"), ("gen01", "model.safetensors")],
                         ids=lambda k: "/".join(k))
def test_killed_run_resumes_to_the_same_results(tiny_run, tmp_path, kill_after):
    cfg, full = tiny_run
    cfg = dataclasses.replace(cfg, settings=cfg.settings[:1])
    out = tmp_path / "resumed"

    def kill(path):
        if (path.parent.name, path.name) == kill_after:
            raise Killed

    with pytest.raises(Killed):
        run(cfg, out, QUIET, on_saved=kill)
    d = out / "runs" / cfg.settings[0].name / "seed0"
    assert (d / kill_after[0] / kill_after[1]).exists() and not (d / "gen01" / "metrics.json").exists()
    run(cfg, out, QUIET)
    ref = full / "runs" / cfg.settings[0].name / "seed0"
    for g in ("gen00", "gen01"):
        for f in ("train.npz", "scores.npz"):
            a, b = load_npz(d / g / f)[1], load_npz(ref / g / f)[1]
            for k in a:
                np.testing.assert_allclose(a[k], b[k], rtol=1e-6, err_msg=f"{g}/{f}:{k}")
        assert read_json(d / g / "metrics.json")["test"] == pytest.approx(read_json(ref / g / "metrics.json")["test"])
    np.testing.assert_array_equal(load_npz(d / "gen00" / "generated.npz")[1]["blocks"],
                                  load_npz(ref / "gen00" / "generated.npz")[1]["blocks"])


def test_finished_run_is_not_recomputed(tiny_run):
    cfg, out = tiny_run
    f = out / "runs" / cfg.settings[0].name / "seed0" / "gen01" / "metrics.json"
    before = (f.stat().st_mtime_ns, f.read_bytes())
    run(cfg, out, QUIET)
    assert (f.stat().st_mtime_ns, f.read_bytes()) == before


def _snapshot(out):
    return {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}


def test_resume_with_another_config_is_refused_and_touches_nothing(tiny_run):
    cfg, out = tiny_run
    before = _snapshot(out)
    with pytest.raises(InvalidArgument, match=r"generations: 2 -> 3"):
        run(dataclasses.replace(cfg, generations=3), out, QUIET)
    with pytest.raises(InvalidArgument, match=r"lr"):
        run(dataclasses.replace(cfg, lr=0.5), out, QUIET)
    syn = dataclasses.replace(cfg.synthetic, n_words=41)
    with pytest.raises(InvalidArgument, match=r"synthetic\.n_words: 40 -> 41") as err:
        run(dataclasses.replace(cfg, synthetic=syn), out, QUIET)
    assert err.value.name == "config" and "--force" in str(err.value)
    assert _snapshot(out) == before


def _damage_checkpoint(out, setting):
    d = out / "runs" / setting / "seed0" / "gen01"
    (d / "metrics.json").unlink()  # make the run need generation 1's model again
    (d / "model.safetensors").write_bytes(b"\x00" * 64)
    return "model.safetensors"


def _damage_blocks(out, setting):
    (out / "data" / "blocks.npz").write_bytes(b"PK\x03\x04 truncated")
    return "blocks.npz"


@pytest.mark.parametrize("damage", [_damage_checkpoint, _damage_blocks], ids=["checkpoint", "data-blocks"])
def test_corrupt_file_in_a_run_is_reported_and_kept(tiny_run, tmp_path, damage):
    import shutil

    cfg, full = tiny_run
    out = tmp_path / "copy"
    shutil.copytree(full, out)
    name = damage(out, cfg.settings[0].name)
    before = _snapshot(out)
    with pytest.raises(InvalidArgument, match=name):
        run(cfg, out, QUIET)
    assert _snapshot(out) == before


BAD_INPUTS = [
    pytest.param(dict(model="no-such-org/no-such-model-xyz", data="wikitext"), "model", id="unknown-model-offline"),
    pytest.param(dict(model="no-such-org/no-such-model-xyz", data="/no/such/wikitext/dir"), "data",
                 id="unknown-model-and-missing-data"),  # the path is checked before any model is loaded
    pytest.param(dict(block_size=40, new_tokens=16), "block_size", id="block-beyond-context"),
    pytest.param(dict(generations=0), "generations", id="zero-generations"),
    pytest.param(dict(seeds=(1, 1)), "seeds", id="repeated-seeds"),
    pytest.param(dict(model="synthetic", data="wikitext"), "data", id="synthetic-model-real-data"),
]


@pytest.mark.parametrize("overrides, name", BAD_INPUTS)
def test_bad_input_is_a_clear_error_and_loses_nothing(tiny_run, tmp_path, monkeypatch, overrides, name):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    keep = tmp_path / "keep.txt"
    keep.write_text("earlier result")
    with pytest.raises(InvalidArgument) as err:
        run(tiny_config(**overrides), tmp_path, QUIET)
    assert err.value.name == name and "expected" in str(err.value)
    assert keep.read_text() == "earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]  # the corrected command is not refused


def test_local_model_with_a_missing_data_directory(tiny_run, tmp_path):
    _, out = tiny_run
    with pytest.raises(InvalidArgument) as err:
        run(tiny_config(model=str(out / "pretrained"), data=str(tmp_path / "no-such-wikitext")), tmp_path / "o", QUIET)
    assert err.value.name == "data" and "wiki" in str(err.value)
    # nothing left to refuse the corrected command: no run.json (nor the older config.json), no file at all
    assert not (tmp_path / "o" / "run.json").exists() and not (tmp_path / "o" / "config.json").exists()
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_missing_data_directory(tmp_path):
    from collapse.llm.data import load_corpus

    with pytest.raises(InvalidArgument, match="wiki"):
        load_corpus(str(tmp_path / "nowhere"))
    with pytest.raises(InvalidArgument, match="wiki"):
        load_corpus(str(tmp_path))  # exists, but holds no WikiText file


def test_real_wikitext_path_with_a_local_model(shared_dir, tiny_lm, tmp_path):
    """The WikiText-2 code path end to end: a local model directory and the shared validation file."""
    wt = shared_dir / "data" / "wikitext-2"
    if not (wt / "wiki.valid.tokens").exists():
        pytest.skip("wiki.valid.tokens is not in ../shared")
    from transformers import AutoTokenizer

    from collapse.llm.model import TinyOPT

    # a word-level tokenizer for this text would be large; OPT's byte-level BPE is not available offline,
    # so train a small BPE on the split itself with the tokenizers library
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    text = (wt / "wiki.valid.tokens").read_text(encoding="utf-8").splitlines()
    tk = Tokenizer(models.BPE(unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.train_from_iterator(text[:2000], trainers.BpeTrainer(vocab_size=300, special_tokens=["<s>", "<pad>", "</s>",
                                                                                              "<unk>"]))
    tk.post_processor = processors.TemplateProcessing(single="</s> $A", special_tokens=[("</s>", 2)])
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token="</s>", eos_token="</s>", pad_token="<pad>",
                                  unk_token="<unk>")
    model = dataclasses.replace(TinyOPT(), max_position_embeddings=64, hidden_size=32, ffn_dim=64,
                                num_hidden_layers=1, num_attention_heads=2).build(len(tok), seed=0)
    mdir = tmp_path / "model"
    model.save_pretrained(mdir)
    tok.save_pretrained(mdir)
    assert AutoTokenizer.from_pretrained(mdir)("x")["input_ids"][0] == 2
    cfg = tiny_config(model=str(mdir), data=str(wt), max_blocks=12, settings=tiny_config().settings[1:])
    run(cfg, tmp_path / "out", QUIET)
    _, rows = load_summary(tmp_path / "out")
    assert [r["generation"] for r in rows] == [0, 1] and all(r["truth_kl"] is None for r in rows)
    note = load_npz(tmp_path / "out" / "data" / "blocks.npz")[0]["note"]
    assert "cut 80/10/10" in note


def test_quick_preset_covers_both_settings_the_ablation_and_two_seeds():
    from collapse.llm.config import preset

    cfg = preset("quick")
    assert {s.name for s in cfg.settings} == {"no-data-kept", "10pct-kept", "repetition-penalty"}
    assert len(cfg.seeds) >= 2 and cfg.generations >= 3
    kept = cfg.setting("10pct-kept")
    assert (kept.epochs, kept.keep_real) == (10, 0.1) and cfg.setting("no-data-kept").epochs == 5
    assert cfg.setting("repetition-penalty").repetition_penalty == 2.0
    paper = preset("paper")
    assert (paper.model, paper.data, paper.lr, paper.min_lr, paper.batch_size) == (
        "facebook/opt-125m", "wikitext", 2e-5, 1e-6, 128)
    assert (paper.block_size, paper.new_tokens, paper.num_beams, len(paper.seeds), paper.generations) == (
        64, 64, 5, 5, 10)


def test_run_quick_runs_the_quick_preset_in_the_given_directory(monkeypatch, tmp_path):
    import collapse.llm.experiment as ex

    seen = {}
    monkeypatch.setattr(ex, "run", lambda cfg, out, rt, force=False: seen.update(cfg=cfg, out=out, rt=rt, force=force)
                        or out / "llm_summary.json")
    assert ex.run_quick(tmp_path, seed=7) == tmp_path / "llm_summary.json"
    assert seen["cfg"].seeds == (7, 8) and seen["out"] == tmp_path and seen["rt"].device == "cpu"
    assert seen["force"] is False
    ex.run_quick(tmp_path, seed=7, force=True)
    assert seen["force"] is True  # reproduce --force reaches the llm run
    assert seen["cfg"].generations == ex.preset("quick").generations


@pytest.fixture(scope="module")
def parallel_run(tmp_path_factory):
    """The tiny experiment with a sampling decoding besides setting 1, its chains in two processes."""
    from collapse.llm.config import PAPER_SETTINGS, decoding_settings

    cfg = tiny_config(settings=(PAPER_SETTINGS[0],) + decoding_settings(["topp0.9"], 2))
    out = tmp_path_factory.mktemp("llm-parallel")
    run(cfg, out, Runtime(progress=False, workers=2, threads=1))
    return cfg, out


def _same_chain(a, b, setting, generations):
    for g in range(generations):
        d, e = a / "runs" / setting / "seed0" / f"gen{g:02d}", b / "runs" / setting / "seed0" / f"gen{g:02d}"
        for f in ("train.npz", "scores.npz"):
            x, y = load_npz(d / f)[1], load_npz(e / f)[1]
            for k in x:
                np.testing.assert_allclose(x[k], y[k], rtol=1e-6, err_msg=f"{setting}/gen{g}/{f}:{k}")
        assert read_json(d / "metrics.json")["test"] == pytest.approx(read_json(e / "metrics.json")["test"])


def test_chains_in_two_processes_give_the_one_process_results(tiny_run, parallel_run):
    """Setting 1 run beside another in two worker processes is the chain of the one-process run; the parent
    recorded every file's digest in run.json."""
    cfg, serial = tiny_run
    pcfg, out = parallel_run
    _same_chain(serial, out, "no-data-kept", cfg.generations)
    digests = read_json(out / "run.json")["runs"]["llm"]["digests"]
    for s in pcfg.settings:
        for g in range(pcfg.generations):
            assert f"runs/{s.name}/seed0/gen{g:02d}/metrics.json" in digests
    _, rows = load_summary(out)
    assert {r["decoding"] for r in rows} == {"beam2", "topp0.9"} and len(rows) == 2 * pcfg.generations


def test_a_killed_sampling_chain_resumes_to_the_same_draws(parallel_run, tmp_path):
    """Sampling draws its uniforms from the generation's stream: a resumed chain writes the same data."""
    pcfg, full = parallel_run
    cfg = dataclasses.replace(pcfg, settings=pcfg.settings[1:])
    out = tmp_path / "resumed"

    def kill(path):
        if (path.parent.name, path.name) == ("gen00", "metrics.json"):
            raise Killed

    with pytest.raises(Killed):
        run(cfg, out, QUIET, on_saved=kill)
    run(cfg, out, QUIET)
    _same_chain(full, out, cfg.settings[0].name, cfg.generations)
    np.testing.assert_array_equal(
        load_npz(out / "runs" / cfg.settings[0].name / "seed0" / "gen00" / "generated.npz")[1]["blocks"],
        load_npz(full / "runs" / cfg.settings[0].name / "seed0" / "gen00" / "generated.npz")[1]["blocks"])
