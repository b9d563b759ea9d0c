"""What every chain of a run shares: the real blocks, the pretrained model, the truth (synthetic world).

Made once per run folder by rank 0 (:func:`open_world`), in two phases so that bad
input leaves nothing behind:

1. **checks that can fail fast, writing nothing**: no other experiment in the folder
   owns one of this one's outputs; the data path is checked, the model is loaded (a
   real one) and its context checked, the memory of the training and beam-search
   batches estimated, the corpus read (UTF-8), tokenized and cut into blocks (every
   split at least one block), the synthetic language drawn -- whatever is not on disk
   yet is built in memory;
2. **the run is opened** (:class:`collapse.core.runner.Run`: ``OUT/run.json`` holds
   the config, a resume with another config is refused) and what is missing is
   written: the blocks, the true language, the pretrained stand-in, the truth's
   beam search.

Every other rank then reads what rank 0 made (:func:`read_world`), without taking
the folder's lock and without writing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from collapse.core.runio import as_json, atomic_dir, metadata
from collapse.core.runner import MANIFEST, Run, check_out_dir, read_result
from collapse.core.validation import InvalidArgument
from collapse.llm.config import ExperimentConfig

__all__ = ["NAME", "OUTPUTS", "Runtime", "World", "open_world", "read_world", "prepare"]

#: the experiment's name in ``OUT/run.json``
NAME = "llm"
BLOCKS, LANGUAGE, TRUTH_BEAM = "data/blocks.npz", "data/language.npz", "data/truth_beam.npz"
PRETRAINED = "pretrained"
#: the summary files, named for the experiment: a folder may hold another experiment's summary.csv (a sweep's)
SUMMARY_JSON, SUMMARY_CSV, SUMMARY_BY_GENERATION = "llm_summary.json", "llm_summary.csv", \
    "llm_summary_by_generation.csv"
#: the experiment's outputs in its folder besides ``runs/SETTING`` (one per setting, owned as each chain starts):
#: each is owned through the run (``OUT/run.json``), so ``force`` deletes exactly these and nothing
#: another experiment or the user keeps in the folder (a ``data/`` or ``runs/`` of their own)
OUTPUTS = (BLOCKS, LANGUAGE, TRUTH_BEAM, PRETRAINED, SUMMARY_JSON, SUMMARY_CSV, SUMMARY_BY_GENERATION)


@dataclasses.dataclass(frozen=True)
class Runtime:
    """How to run (not what): free to change between a run and its resume."""

    device: str = "cpu"
    gen_batch_size: int = 64
    eval_batch_size: int = 64
    progress: bool = True
    threads: int = 0  # torch CPU threads; 0 keeps torch's default
    workers: int = 1  # processes running chains side by side (one process: 1); never under torchrun


@dataclasses.dataclass
class World:
    """What every chain of a run shares: tokenizer, the pretrained weights, real blocks, the truth."""

    model: Any
    tokenizer: Any
    pretrained_state: dict
    blocks: dict[str, np.ndarray]
    language: Any = None  # HiddenMarkovLanguage for the synthetic corpus


@dataclasses.dataclass
class _Draft:
    """Phase 1's findings, nothing written: the model (real) or the language (synthetic), new blocks."""

    tokenizer: Any
    model: Any = None
    language: Any = None
    blocks: dict[str, np.ndarray] | None = None  # None: on disk already (or made in phase 2)
    note: str = ""


# ---------------------------------------------------------------------------- the entry points


def open_world(cfg: ExperimentConfig, out: Path, rt: Runtime, *, force: bool = False) -> tuple[Run, World]:
    """Rank 0: check what can fail fast, open the run in ``out``, make what is missing; return both.

    Raises
    ------
    InvalidArgument
        Bad input (nothing is written then), or a resume with another config (named).
    DamagedFile
        A file of the run that cannot be read back (named).
    """
    out = check_out_dir(out)
    _check_free(cfg, out)
    fresh = force or not (out / BLOCKS).exists()
    draft = _draft(cfg, fresh, rt)
    run = Run.open(out, NAME, cfg, force=force)
    _own_outputs(run)
    world = _make_synthetic(cfg, draft, run, rt) if cfg.model == "synthetic" else _make_real(cfg, draft, run)
    return run, _on_device(world, rt)


def read_world(cfg: ExperimentConfig, out: Path, rt: Runtime, run: Run | None = None) -> tuple[Run, World]:
    """Any other rank, after rank 0's :func:`open_world`: its results read back; no lock taken, nothing written.

    ``run``: the view of the folder to return (default: a reading view, whose writes go through rank 0 only).
    """
    run = Run(Path(out), NAME, as_json(cfg)) if run is None else run
    draft = _draft(cfg, False, rt)
    blocks = _read_blocks(run)
    if cfg.model == "synthetic":
        from collapse.llm.model import load_pretrained

        model, tok = load_pretrained(str(run.path(PRETRAINED)))
        world = World(model=model, tokenizer=tok, pretrained_state={}, blocks=blocks, language=draft.language)
    else:
        world = World(model=draft.model, tokenizer=draft.tokenizer, pretrained_state={}, blocks=blocks)
    return run, _on_device(world, rt)


def prepare(cfg: ExperimentConfig, out: Path, rt: Runtime, *, force: bool = False) -> World:
    """Load or make the real blocks and the pretrained model (cached under ``out``): :func:`open_world`'s world."""
    return open_world(cfg, out, rt, force=force)[1]


def _check_free(cfg: ExperimentConfig, out: Path) -> None:
    """Refuse, before anything is written, a folder where another experiment owns one of this one's outputs.

    The same rule as :meth:`collapse.core.runner.Run.own`, applied to every output at once and
    before ``run.json`` gets an entry for this experiment.
    """
    path = out / MANIFEST
    if not path.exists():
        return
    manifest = read_result(path)
    runs = manifest.get("runs") if isinstance(manifest, dict) else None
    if not isinstance(runs, dict):
        return  # Run.open names the damaged manifest
    mine = list(OUTPUTS) + [f"runs/{s.name}" for s in cfg.settings]
    for other, entry in runs.items():
        files = entry.get("files", []) if other != NAME and isinstance(entry, dict) else []
        for f in files:
            for rel in mine:
                if rel == f or rel.startswith(f + "/") or f.startswith(rel + "/"):
                    raise InvalidArgument("--out", f"a run folder where {rel} is free (experiment {other!r} owns "
                                          f"{f} in it; choose another --out)", str(out))


def _own_outputs(run: Run) -> None:
    """Record the layout's outputs as the run's (the runner refuses one another experiment owns)."""
    for rel in OUTPUTS:
        run.own(rel)


def _on_device(world: World, rt: Runtime) -> World:
    from collapse.llm.model import state_to_cpu

    world.model.to(rt.device)
    world.pretrained_state = state_to_cpu(world.model)
    return world


# ---------------------------------------------------------------------------- blocks


def _draft(cfg: ExperimentConfig, fresh: bool, rt: Runtime) -> _Draft:
    return _draft_synthetic(cfg, fresh, rt) if cfg.model == "synthetic" else _draft_real(cfg, fresh, rt)


def _blocks_of(ids: np.ndarray, cfg: ExperimentConfig, split: str, name: str, what: str) -> np.ndarray:
    """``ids`` cut into blocks; too few tokens for one block is bad input, named ``name`` and ``what``."""
    from collapse.llm.data import build_blocks

    if len(ids) < cfg.block_size:
        raise InvalidArgument(name, f"enough text for at least one {cfg.block_size}-token {split} block "
                              f"(block_size={cfg.block_size})", f"{what}: {len(ids)} tokens")
    return build_blocks(ids, cfg.block_size)


def _checked_blocks(cfg: ExperimentConfig, blocks: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The first ``max_blocks`` of every split."""
    if cfg.max_blocks:
        blocks = {k: v[: cfg.max_blocks] for k, v in blocks.items()}
    return blocks


def _check_budget(cfg: ExperimentConfig, rt: Runtime, *, vocab: int, hidden: int, layers: int, params: int) -> None:
    """Refuse, before anything is written, a run whose training or beam-search batches cannot fit (fp32 bytes).

    Training: weights, gradients and AdamW's two moments, the pretrained and best-epoch copies and the
    generation-0 scorer (7 copies), and per block of a batch its logits (with their softmax and
    gradient) and the layers' activations. Beam search: ``num_beams`` copies of every prompt of a
    batch, their key/value cache, the prompt's activations and the next token's scores.
    """
    from collapse.llm.model import check_fits

    f = 4.0
    cap = cfg.max_blocks or float("inf")  # no batch is larger than the split
    batch, prompts = int(min(cfg.batch_size, cap)), int(min(rt.gen_batch_size, cap))
    weights = 7 * f * params
    per_block = cfg.block_size * (3 * vocab + 24 * layers * hidden) * f
    check_fits("batch_size", weights + batch * per_block,
               f"training batches of {batch} blocks of {cfg.block_size} tokens ({params:,} parameters, "
               f"a vocabulary of {vocab})", rt.device)
    rows = prompts * cfg.num_beams
    # transformers' generate keeps only the last position's logits (logits_to_keep=1)
    per_row = ((cfg.block_size + cfg.new_tokens) * 2 * layers * hidden + 4 * vocab + 8 * cfg.block_size * hidden) * f
    check_fits("gen_batch_size", weights + rows * per_row,
               f"beam search of {prompts} prompts x {cfg.num_beams} beams x "
               f"{cfg.block_size + cfg.new_tokens} tokens", rt.device)


def _save_blocks(cfg: ExperimentConfig, run: Run, draft: _Draft) -> None:
    run.save_npz(BLOCKS, metadata(cfg, note=draft.note), **draft.blocks)


def _read_blocks(run: Run) -> dict[str, np.ndarray]:
    """The real blocks, once complete (:class:`~collapse.core.runner.DamagedFile` if unreadable, by name)."""
    return read_result(run.path(BLOCKS))[1]


# ---------------------------------------------------------------------------- a real model and corpus


def _draft_real(cfg: ExperimentConfig, fresh: bool, rt: Runtime) -> _Draft:
    from collapse.llm.data import check_data_path
    from collapse.llm.model import check_context, load_pretrained

    if cfg.data != "wikitext":
        check_data_path(cfg.data)  # a missing or wrong path is named before the model is loaded
    model, tok = load_pretrained(cfg.model)
    check_context(model, cfg.block_size, cfg.new_tokens)
    c = model.config
    _check_budget(cfg, rt, vocab=int(getattr(c, "vocab_size", len(tok))), hidden=int(getattr(c, "hidden_size", 768)),
                  layers=int(getattr(c, "num_hidden_layers", 12)), params=sum(p.numel() for p in model.parameters()))
    draft = _Draft(tokenizer=tok, model=model)
    if fresh:
        _real_blocks(cfg, draft)
    return draft


def _real_blocks(cfg: ExperimentConfig, draft: _Draft) -> None:
    from collapse.llm.data import SPLITS, data_note, load_corpus, tokenize_lines

    corpus = load_corpus(cfg.data)
    blocks = {}
    for s in SPLITS:
        where = f"the {s} split of {corpus.files[s]}" if s in corpus.files else f"the {s} split of {cfg.data}"
        blocks[s] = _blocks_of(tokenize_lines(draft.tokenizer, corpus.split(s)), cfg, s, "data", where)
    draft.note = data_note(corpus, draft.tokenizer)  # the variant and the tokenizer's line convention
    draft.blocks = _checked_blocks(cfg, blocks)


def _make_real(cfg: ExperimentConfig, draft: _Draft, run: Run) -> World:
    if not run.done(BLOCKS):
        if draft.blocks is None:
            _real_blocks(cfg, draft)
        _save_blocks(cfg, run, draft)
    return World(model=draft.model, tokenizer=draft.tokenizer, pretrained_state={}, blocks=_read_blocks(run))


# ---------------------------------------------------------------------------- the synthetic world


def _streams(cfg: ExperimentConfig) -> list[np.random.SeedSequence]:
    """The data seed's streams: 0 the language, 1-3 the splits, 4 the pretraining dynamics, 5 its text and seed."""
    return np.random.SeedSequence(cfg.data_seed).spawn(6)


def _shape(cfg: ExperimentConfig) -> dict[str, Any]:
    syn = cfg.synthetic
    return dict(n_words=syn.n_words, n_topics=syn.n_topics, n_sentence_types=syn.n_sentence_types,
                mean_sentence_words=syn.mean_sentence_words, topic_tilt=syn.topic_tilt,
                zipf_exponent=syn.zipf_exponent, skip=syn.skip, topic_switch=syn.topic_switch,
                type_order=syn.type_order, line_break=syn.line_break)


def _draft_synthetic(cfg: ExperimentConfig, fresh: bool, rt: Runtime) -> _Draft:
    from collapse.llm.synthetic import build_tokenizer, make_language

    lang = make_language(np.random.default_rng(_streams(cfg)[0]), **_shape(cfg))
    draft = _Draft(tokenizer=build_tokenizer(lang.words), language=lang, note="synthetic hidden-Markov language")
    a, vocab = cfg.synthetic.arch, len(draft.tokenizer)
    params = (vocab + a.max_position_embeddings) * a.hidden_size + a.num_hidden_layers * (
        4 * a.hidden_size ** 2 + 2 * a.hidden_size * a.ffn_dim)
    _check_budget(cfg, rt, vocab=vocab, hidden=a.hidden_size, layers=a.num_hidden_layers, params=params)
    if fresh:
        _synthetic_blocks(cfg, draft)
    return draft


def _synthetic_blocks(cfg: ExperimentConfig, draft: _Draft) -> None:
    from collapse.llm.data import tokenize_lines

    syn, lang, ss = cfg.synthetic, draft.language, _streams(cfg)
    sizes = {"train": syn.train_tokens, "valid": syn.valid_tokens, "test": syn.test_tokens}
    blocks = {}
    for i, (split, n) in enumerate(sizes.items()):
        lines = lang.sample_lines(n, np.random.default_rng(ss[1 + i]))
        ids = tokenize_lines(draft.tokenizer, [lang.line_text(x) for x in lines])
        blocks[split] = _blocks_of(ids, cfg, split, "block_size", f"the synthetic {split} text ({split}_tokens)")
    draft.blocks = _checked_blocks(cfg, blocks)


def _make_synthetic(cfg: ExperimentConfig, draft: _Draft, run: Run, rt: Runtime) -> World:
    from collapse.llm.model import load_pretrained

    lang = draft.language
    if not run.done(BLOCKS):
        if draft.blocks is None:
            _synthetic_blocks(cfg, draft)
        run.save_npz(LANGUAGE, metadata(cfg, note="true language: hidden Markov chain"),
                     transition=lang.transition, emission=lang.emission, words=np.array(lang.words),
                     unigram=lang.unigram())  # for readers without the language's code (figures)
        _save_blocks(cfg, run, draft)  # last: it marks the data complete
    blocks = _read_blocks(run)
    if not (run.path(PRETRAINED) / "config.json").exists():  # a folder without it is an interrupted copy
        _pretrain_standin(cfg, draft, run, rt)
    if not run.done(TRUTH_BEAM):
        _truth_beam(cfg, lang, blocks["train"], run)
    model, tok = load_pretrained(str(run.path(PRETRAINED)))
    return World(model=model, tokenizer=tok, pretrained_state={}, blocks=blocks, language=lang)


def _truth_beam(cfg: ExperimentConfig, lang, train: np.ndarray, run: Run) -> None:
    """What a perfect generation-0 model would write under the protocol's beam search (no penalty)."""
    from collapse.llm.evaluate import diversity
    from collapse.llm.groundtruth import data_coverage, truth_beam_search

    blocks = truth_beam_search(lang, train, cfg.new_tokens, cfg.num_beams)
    run.save_npz(TRUTH_BEAM, metadata(cfg, coverage=data_coverage(lang, blocks), diversity=diversity(blocks),
                                      real_diversity=diversity(train)), blocks=blocks)


def _pretrain_blocks(cfg: ExperimentConfig, draft: _Draft) -> np.ndarray:
    """The stand-in's pretraining text: the true words and emissions, other dynamics (``pretrain_mix``)."""
    from collapse.llm.data import build_blocks, tokenize_lines
    from collapse.llm.synthetic import make_language

    syn, ss = cfg.synthetic, _streams(cfg)
    pre_lang = make_language(np.random.default_rng(ss[0]), dynamics_rng=np.random.default_rng(ss[4]),
                             dynamics_mix=syn.pretrain_mix, **_shape(cfg))
    lines = pre_lang.sample_lines(syn.pretrain_tokens, np.random.default_rng(ss[5]))
    return build_blocks(tokenize_lines(draft.tokenizer, [draft.language.line_text(x) for x in lines]),
                        cfg.block_size)


def _pretrain_standin(cfg: ExperimentConfig, draft: _Draft, run: Run, rt: Runtime) -> None:
    """Train the tiny OPT from scratch on the pretraining corpus; publish its folder atomically."""
    from collapse.llm.model import quiet_transformers
    from collapse.llm.train import TrainConfig, fine_tune

    syn, tok = cfg.synthetic, draft.tokenizer
    blocks = _pretrain_blocks(cfg, draft)
    seed = int(_streams(cfg)[5].generate_state(1)[0])
    model = syn.arch.build(len(tok), seed).to(rt.device)
    n_valid = max(1, len(blocks) // 20)
    tc = TrainConfig(epochs=syn.pretrain_epochs, lr=syn.pretrain_lr, min_lr=syn.pretrain_lr / 30,
                     batch_size=32, schedule="step")
    fine_tune(model, blocks[n_valid:], blocks[:n_valid], tc, seed=seed, device=rt.device,
              eval_batch_size=rt.eval_batch_size, progress=rt.progress)
    quiet_transformers()

    def fill(tmp: Path) -> None:
        model.to("cpu").save_pretrained(tmp)
        tok.save_pretrained(tmp)

    atomic_dir(run.own(PRETRAINED), fill)
