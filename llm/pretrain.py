"""``collapse llm pretrain``: a tokenizer and a tiny causal LM trained on local text, for the real protocol offline.

Without the Hugging Face hub there is no ``facebook/opt-125m``; this makes a stand-in from
the text the user has (a WikiText-2 folder, or one text file), so that::

    collapse llm pretrain --data ../shared/data/wikitext-2 --out models/tiny-opt
    collapse llm run --model models/tiny-opt --data ../shared/data/wikitext-2

runs the whole protocol (the paper's hyperparameters) on real text.

What it does
------------
1. reads the corpus as ``collapse llm run`` does (:func:`collapse.llm.data.load_corpus`: the same
   lines, the same train / valid / test cut), and keeps to the **train split**: the valid and test
   splits are never seen, so test perplexity stays honest;
2. trains a byte-level BPE tokenizer (the ``tokenizers`` library) on those lines, saved in the
   files a hub tokenizer has: ``--arch opt`` as ``facebook/opt-125m``'s (``</s>`` before every line,
   empty ones too: the release's convention), ``--arch gpt2`` as GPT-2's (no special tokens; the
   newline separates lines);
3. trains a small model of that shape from scratch (AdamW, cosine per step, best validation epoch);
4. writes model and tokenizer with ``save_pretrained`` into ``--out``, through a
   :class:`collapse.core.runner.Run`: every file atomically, ``config.json`` last (a folder without it
   is not a model yet), ``pretrain.json`` beside them with the losses, the seed, the corpus and the
   tokenizer's line convention (probed on the reloaded tokenizer, and checked: a tokenizer that
   does not keep its convention is an error, not a silent difference). Rerunning the same command
   finds the work done; other options on the same ``--out`` are refused (``--force`` starts over).

Nothing heavy is imported here: torch, transformers and tokenizers load inside the functions.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from collapse.core.validation import InvalidArgument, check_choice, check_int
from collapse.llm.limits import MAX_BATCH_SIZE, MAX_LR

__all__ = ["NAME", "ARCHS", "PRETRAIN_LIMITS", "PretrainConfig", "pretrain", "train_tokenizer", "build_model"]

#: the experiment's name in ``OUT/run.json``
NAME = "llm-pretrain"
ARCHS = ("opt", "gpt2")
LOG = "pretrain.json"
#: (smallest, largest) of every size (the command line enforces them when it parses)
PRETRAIN_LIMITS = {
    "vocab_size": (264, 65536),  # the 256 byte symbols, the special tokens, some merges
    "hidden_size": (8, 1024),
    "layers": (1, 24),
    "heads": (1, 32),
    "context": (4, 2048),
    "block_size": (2, 2048),
    "epochs": (1, 1000),
    "batch_size": (1, MAX_BATCH_SIZE),
    "max_lines": (0, 10 ** 8),
}
#: the special tokens of each shape, in id order (OPT's vocabulary starts <s> <pad> </s> <unk>)
_SPECIALS = {"opt": ["<s>", "<pad>", "</s>", "<unk>"], "gpt2": ["<|endoftext|>"]}


@dataclasses.dataclass(frozen=True)
class PretrainConfig:
    """Everything that decides the pretrained model (execution details such as the device are not in it)."""

    data: str
    arch: str = "opt"
    vocab_size: int = 4096
    hidden_size: int = 128
    layers: int = 2
    heads: int = 4
    context: int = 256
    block_size: int = 64
    epochs: int = 2
    batch_size: int = 32
    lr: float = 1e-3
    max_lines: int = 0
    seed: int = 20240724
    dtype: str = "fp32"

    def __post_init__(self):
        check_choice("arch", self.arch, ARCHS)
        for name, (low, high) in PRETRAIN_LIMITS.items():
            check_int(name, getattr(self, name), minimum=low, maximum=high)
        check_int("seed", self.seed, minimum=0, maximum=2 ** 32 - 1)
        check_choice("dtype", self.dtype, ("fp32", "bf16", "fp16"))
        if not 0 < float(self.lr) <= MAX_LR:
            raise InvalidArgument("lr", f"a number in (0, {MAX_LR:g}]", self.lr)
        if self.hidden_size % self.heads:
            raise InvalidArgument("heads", f"a divisor of hidden_size = {self.hidden_size}", self.heads)
        if self.block_size > self.context:
            raise InvalidArgument("block_size", f"at most the context of {self.context} tokens", self.block_size)


def train_tokenizer(lines: list[str], vocab_size: int, arch: str):
    """A byte-level BPE tokenizer trained on ``lines``, in the hub files of ``arch``'s tokenizer, loaded back.

    ``opt``: ``vocab.json`` + ``merges.txt`` + a ``tokenizer_config.json`` saying ``GPT2Tokenizer`` with
    ``add_bos_token`` and ``</s>`` as BOS and EOS, as ``facebook/opt-125m`` ships them; ``gpt2``: the same
    files with ``<|endoftext|>`` and no BOS added.
    """
    from tokenizers import ByteLevelBPETokenizer
    from transformers import AutoTokenizer

    check_choice("arch", arch, ARCHS)
    specials = _SPECIALS[arch]
    bpe = ByteLevelBPETokenizer(add_prefix_space=False)
    bpe.train_from_iterator(lines, vocab_size=vocab_size, min_frequency=2, special_tokens=specials,
                            show_progress=False)
    if arch == "opt":
        conf = {"add_bos_token": True, "bos_token": "</s>", "eos_token": "</s>", "pad_token": "<pad>",
                "unk_token": "</s>"}
    else:
        conf = {"add_bos_token": False, "bos_token": specials[0], "eos_token": specials[0], "unk_token": specials[0]}
    conf.update(tokenizer_class="GPT2Tokenizer", add_prefix_space=False, errors="replace")
    with tempfile.TemporaryDirectory() as tmp:
        bpe.save_model(tmp)
        Path(tmp, "tokenizer_config.json").write_text(json.dumps(conf, indent=2))
        return AutoTokenizer.from_pretrained(tmp, local_files_only=True)


def build_model(cfg: PretrainConfig, tokenizer):
    """A randomly initialised model of ``cfg.arch``'s shape over ``tokenizer``'s vocabulary (seeded)."""
    from transformers import GPT2Config, GPT2LMHeadModel, OPTConfig, OPTForCausalLM

    from collapse.llm.model import seed_torch

    seed_torch(cfg.seed)
    vocab = len(tokenizer)
    if cfg.arch == "opt":
        return OPTForCausalLM(OPTConfig(
            vocab_size=vocab, hidden_size=cfg.hidden_size, num_hidden_layers=cfg.layers,
            num_attention_heads=cfg.heads, ffn_dim=4 * cfg.hidden_size, max_position_embeddings=cfg.context,
            word_embed_proj_dim=cfg.hidden_size, dropout=0.1, attention_dropout=0.0,
            pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id))
    return GPT2LMHeadModel(GPT2Config(
        vocab_size=vocab, n_positions=cfg.context, n_embd=cfg.hidden_size, n_layer=cfg.layers, n_head=cfg.heads,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id))


def _check_convention(arch: str, convention) -> None:
    """The reloaded tokenizer must keep the shape's line convention (a loader that drops it is caught here)."""
    if arch == "opt":
        ok, want = convention.opt_release, "</s> before every line, empty ones too (OPT's)"
    else:
        ok, want = not convention.before and not convention.after and bool(convention.newline), \
            "no special tokens, the newline kept (GPT-2's)"
    if not ok or not convention.round_trip:
        raise InvalidArgument("arch", f"a tokenizer that keeps its line convention: {want}, decoding to the text",
                              f"{arch} ({convention.describe()})")


def _budget(cfg: PretrainConfig, vocab: int, device: str) -> None:
    """Refuse, before any training, batches whose memory estimate does not fit (fp32 bytes)."""
    from collapse.llm.model import check_fits

    h, n = cfg.hidden_size, cfg.layers
    params = (vocab + cfg.context) * h + n * 12 * h * h
    per_block = cfg.block_size * (3 * vocab + 24 * n * h) * 4.0
    check_fits("batch_size", 6 * 4.0 * params + cfg.batch_size * per_block,
               f"training batches of {cfg.batch_size} blocks of {cfg.block_size} tokens ({params:,} parameters, "
               f"a vocabulary of {vocab})", device)


#: files save_pretrained may write: in a folder this command did not make, they are someone else's model
_MODEL_FILES = ("config.json", "generation_config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json",
                "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", LOG)


def _check_not_foreign(out: Path) -> None:
    """Refuse an ``--out`` holding model files that an earlier ``llm pretrain`` did not write (never overwritten)."""
    from collapse.core.runner import MANIFEST, read_result

    if not out.is_dir():
        return
    mine: set[str] = set()
    if (out / MANIFEST).exists():
        runs = read_result(out / MANIFEST).get("runs", {})
        mine = set(runs.get(NAME, {}).get("files", [])) if isinstance(runs, dict) else set()
    theirs = sorted(f for f in _MODEL_FILES if (out / f).exists() and f not in mine)
    if theirs:
        raise InvalidArgument("config", "a new folder, or one 'collapse llm pretrain' wrote (a model folder made "
                              "otherwise is never overwritten)", f"{out} (holds {', '.join(theirs)})")


def _blocks(tokenizer, lines: list[str], cfg: PretrainConfig, split: str, where: str):
    from collapse.llm.data import build_blocks, tokenize_lines

    ids = tokenize_lines(tokenizer, lines)
    if len(ids) < cfg.block_size:
        raise InvalidArgument("data", f"enough text for at least one {cfg.block_size}-token {split} block",
                              f"{where}: {len(ids)} tokens")
    return build_blocks(ids, cfg.block_size)


def pretrain(cfg: PretrainConfig, out: Path, *, device: str = "auto", progress: bool = True,
             force: bool = False, threads: int = 0) -> dict[str, Any]:
    """Train the tokenizer and the model of ``cfg``; write them into ``out``; return the log (``pretrain.json``).

    ``threads``: torch CPU threads (0 keeps torch's default); not part of the result.

    Rerun on the same ``out`` with the same ``cfg``: the finished model is kept (the log says so);
    with another ``cfg``: refused, naming what differs (``force=True`` starts over).
    """
    import sys

    from collapse.core.runner import Run
    from collapse.llm.data import data_note, line_convention, load_corpus
    from collapse.llm.model import check_dtype, describe_model, load_pretrained, quiet_transformers, resolve_device
    from collapse.llm.train import TrainConfig, fine_tune

    device = resolve_device(device)
    check_dtype(cfg.dtype, device)
    if cfg.data in ("synthetic",):
        raise InvalidArgument("data", "real text: a local WikiText-2 folder, a text file or 'wikitext'", cfg.data)
    out = Path(out)
    _check_not_foreign(out)
    if not force and (out / "config.json").exists() and (out / LOG).exists():
        run = Run.open(out, NAME, cfg, seed=cfg.seed)  # refuses another config, names the difference
        if run.done("config.json") and run.done(LOG):
            log = run.read(LOG)
            return dict(log, resumed=True)
    if threads:
        import torch

        torch.set_num_threads(int(threads))
    corpus = load_corpus(cfg.data)  # bad input is named before the folder is touched
    lim = cfg.max_lines or None
    train_lines, valid_lines = corpus.train[:lim], corpus.valid[:lim]

    def say(msg: str) -> None:
        if progress:
            print(msg, file=sys.stderr)

    say(f"tokenizer: byte-level BPE, up to {cfg.vocab_size} tokens, on {len(train_lines)} train lines")
    tok = train_tokenizer(train_lines, cfg.vocab_size, cfg.arch)
    _budget(cfg, len(tok), device)
    train = _blocks(tok, train_lines, cfg, "train", f"the train split of {cfg.data}")
    valid = _blocks(tok, valid_lines, cfg, "valid", f"the valid split of {cfg.data}")
    run = Run.open(out, NAME, cfg, seed=cfg.seed, force=force)
    model = build_model(cfg, tok).to(device)
    say(f"model: {describe_model(model)}; {len(train)} train blocks, {len(valid)} valid blocks of {cfg.block_size}")
    tc = TrainConfig(epochs=cfg.epochs, lr=cfg.lr, min_lr=cfg.lr / 10, batch_size=cfg.batch_size, schedule="step",
                     dtype=cfg.dtype)
    history = fine_tune(model, train, valid, tc, seed=cfg.seed, device=device, progress=progress)
    quiet_transformers()
    with tempfile.TemporaryDirectory() as tmp:
        model.to("cpu").save_pretrained(tmp)
        tok.save_pretrained(tmp)
        reloaded, tok2 = load_pretrained(tmp)  # what `collapse llm run --model OUT` will load
        convention = line_convention(tok2)
        _check_convention(cfg.arch, convention)
        log = run.metadata(
            history=history, model=describe_model(reloaded), vocab=len(tok2), train_blocks=len(train),
            valid_blocks=len(valid), train_lines=len(train_lines), corpus=corpus.note, variant=corpus.variant,
            line_convention=convention.as_dict(), note=data_note(corpus, tok2),
            use=f"collapse llm run --model {out} --data {cfg.data}")
        files = sorted(p for p in Path(tmp).rglob("*") if p.is_file())
        for p in files:  # every file atomically, config.json last: before it the folder is no model
            if p.name != "config.json":
                run.write_bytes(p.relative_to(tmp).as_posix(), p.read_bytes())
        run.save_json(LOG, log)
        run.write_bytes("config.json", Path(tmp, "config.json").read_bytes())
    return dict(run.read(LOG), resumed=False)
