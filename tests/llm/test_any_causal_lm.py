"""Any Hugging Face causal LM runs the protocol: OPT, GPT-2, GPT-NeoX / Pythia, Llama-style, Qwen2.

Each is a tiny randomly initialised model (2 layers, hidden 32) with a byte-level BPE
tokenizer trained here, saved with ``save_pretrained`` into a folder, then run as a user
would: ``collapse llm run --model DIR --data FILE`` (one generation, 16-token blocks).
The tokenizers carry the line conventions of their families: OPT's ``</s>`` before every
line; Llama 3's ``<|begin_of_text|>`` before every line; GPT-2's, Pythia's and Qwen2's
nothing (the kept newline separates lines). The run's notes must record which.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tokenizers")

WORDS = ("the river city north old stone bridge king army war song album band record film star game team "
         "season church built first later known many after during while which was were has had its their").split()


def wiki_text(n_articles: int = 6, lines_per_article: int = 5, seed: int = 0) -> str:
    """A small WikiText-like text: `` = Title = `` headings, blank lines, sentence paragraphs."""
    rng = np.random.default_rng(seed)
    out = []
    for a in range(n_articles):
        out += [" ", f" = {WORDS[a].title()} {WORDS[a + 7]} = ", " "]
        for _ in range(lines_per_article):
            out.append(" " + " ".join(" ".join(rng.choice(WORDS, size=rng.integers(5, 12))) + " ." for _ in range(2)))
            out.append(" ")
    return "\n".join(out) + "\n"


def _bpe(text: str, specials: list[str], vocab: int = 300):
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer(add_prefix_space=False)
    bpe.train_from_iterator(text.splitlines(keepends=True), vocab_size=vocab, min_frequency=2,
                            special_tokens=specials, show_progress=False)
    return bpe


def family_tokenizer(family: str, text: str, folder: Path):
    """Save a tokenizer of ``family``'s convention into ``folder``; return it loaded back by AutoTokenizer."""
    from tokenizers import processors
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    from collapse.llm.pretrain import train_tokenizer

    if family in ("opt", "gpt2"):  # the hub files of OPT / GPT-2 (vocab.json, merges.txt, tokenizer_config.json)
        tok = train_tokenizer(text.splitlines(keepends=True), 300, family)
    else:
        specials = {"gpt_neox": ["<|endoftext|>", "<|padding|>"], "qwen2": ["<|endoftext|>"],
                    "llama": ["<|begin_of_text|>", "<|end_of_text|>"]}[family]
        bpe = _bpe(text, specials)
        if family == "llama":  # Llama 3: a byte-level BPE whose post-processor puts <|begin_of_text|> first
            bos = specials[0]
            bpe.post_processor = processors.TemplateProcessing(
                single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, bpe.token_to_id(bos))])
        tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token=specials[0] if family == "llama"
                                      else None, eos_token=specials[-1] if family == "llama" else specials[0])
        tok.save_pretrained(folder)
        conf_path = folder / "tokenizer_config.json"
        conf = json.loads(conf_path.read_text())
        conf["tokenizer_class"] = {"gpt_neox": "GPTNeoXTokenizer", "qwen2": "Qwen2Tokenizer",
                                   "llama": "PreTrainedTokenizerFast"}[family]
        conf_path.write_text(json.dumps(conf))
        tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    tok.save_pretrained(folder)
    return tok


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models on a shared 2-core machine: one torch thread is several times faster than two."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def family_model(family: str, tok, seed: int = 0):
    """A randomly initialised 2-layer, hidden-32 model of ``family`` over ``tok``'s vocabulary."""
    import torch
    import transformers as tf

    torch.manual_seed(seed)
    v, eos = len(tok), tok.eos_token_id
    bos = tok.bos_token_id if tok.bos_token_id is not None else eos
    pad = tok.pad_token_id if tok.pad_token_id is not None else eos
    common = dict(vocab_size=v, bos_token_id=bos, eos_token_id=eos, pad_token_id=pad)
    if family == "opt":
        cfg = tf.OPTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, ffn_dim=64,
                           max_position_embeddings=64, word_embed_proj_dim=32, **common)
    elif family == "gpt2":
        cfg = tf.GPT2Config(n_embd=32, n_layer=2, n_head=2, n_positions=64, **common)
    elif family == "gpt_neox":
        cfg = tf.GPTNeoXConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                               max_position_embeddings=64, **common)
    elif family == "llama":
        cfg = tf.LlamaConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                             intermediate_size=64, max_position_embeddings=64, **common)
    else:
        cfg = tf.Qwen2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=1,
                             intermediate_size=64, max_position_embeddings=64, **common)
    return tf.AutoModelForCausalLM.from_config(cfg)


def save_family(family: str, text: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tok = family_tokenizer(family, text, folder)
    family_model(family, tok).save_pretrained(folder)
    return folder


#: the family, its model class, and what the run's notes must say of its line convention
FAMILIES = [
    ("opt", "OPTForCausalLM", "adds ['</s>' (2)] before", "OPT's per-line </s> (the release's convention): yes"),
    ("gpt2", "GPT2LMHeadModel", "adds [] before and [] after", "newline is kept"),
    ("gpt_neox", "GPTNeoXForCausalLM", "adds [] before and [] after", "newline is kept"),
    ("llama", "LlamaForCausalLM", "adds ['<|begin_of_text|>' (0)] before", "convention): no"),
    ("qwen2", "Qwen2ForCausalLM", "adds [] before and [] after", "newline is kept"),
]


@pytest.fixture(scope="module")
def text_file(tmp_path_factory):
    f = tmp_path_factory.mktemp("text") / "articles.txt"
    f.write_text(wiki_text())
    return f


@pytest.mark.parametrize("family, cls, before, convention", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_family_runs_the_protocol_and_its_line_convention_is_recorded(family, cls, before, convention, text_file,
                                                                      tmp_path, monkeypatch):
    from collapse.cli import main
    from collapse.core.runner import read_result
    from collapse.llm.model import load_pretrained

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = save_family(family, text_file.read_text(), tmp_path / family)
    model, _ = load_pretrained(str(folder))
    assert type(model).__name__ == cls
    out = tmp_path / "run"
    code = main(["llm", "run", "--model", str(folder), "--data", str(text_file), "--out", str(out),
                 "--generations", "1", "--seeds", "1", "--settings", "no-data-kept", "--block-size", "16",
                 "--max-blocks", "6", "--batch-size", "4", "--num-beams", "2", "--gen-batch-size", "8",
                 "--threads", "1", "--quiet"])
    assert code == 0
    note = read_result(out / "data" / "blocks.npz")[0]["note"]
    assert "every line tokenized on its own" in note and before in note and convention in note, note
    metrics = json.loads((out / "runs" / "no-data-kept" / "seed0" / "gen00" / "metrics.json").read_text())
    assert np.isfinite(metrics["test"]["perplexity"]) and metrics["test"]["perplexity"] > 1
    config = json.loads((out / "run.json").read_text())["runs"]["llm"]["config"]
    assert config["dtype"] == "fp32" and config["lr"] == 2e-5  # the paper's, without --preset
