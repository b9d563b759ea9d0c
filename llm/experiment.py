"""The generational loop, resumable: real data -> fine-tune -> beam-generate -> fine-tune -> ...

Directory layout (every file written atomically; ``metrics.json`` last, so it
marks a finished generation)::

    OUT/config.json                    the ExperimentConfig + provenance; a resume must match it
    OUT/data/blocks.npz                real train / valid / test blocks
    OUT/data/language.npz              (synthetic) the true language's parameters
    OUT/data/truth_beam.npz            (synthetic) beam search on the true distribution: a perfect model's data
    OUT/pretrained/                    (synthetic) the stand-in model + tokenizer, save_pretrained format
    OUT/runs/SETTING/seedS/genGG/
        train.npz      the blocks this generation trained on (is_real marks kept real blocks)
        model.safetensors, train.json  best-validation weights and the training history
        generated.npz  this model's continuations of the real training blocks (next generation's data)
        scores.npz     per-sequence perplexity of train.npz under generation 0 (and the truth's NLL)
        metrics.json   test perplexity, ground-truth scores, Example-1 continuations
    OUT/summary.json, OUT/summary.csv  one row per setting / seed / generation
    OUT/summary_by_generation.csv      mean and std over seeds per setting / generation

Each generation starts from the pretrained weights and trains on the previous
generation's generated blocks (setting 2: a random 10% replaced by real ones).

Launched by ``torchrun`` or ``accelerate launch`` the same code runs data-parallel
(:mod:`llm.distributed`): every rank trains on a shard of each batch, generates
and scores a shard of the blocks; results are gathered in order and rank 0
alone writes the files above.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from collapse.runio import atomic_write_text, load_npz, metadata, read_json, save_json, save_npz
from collapse.validation import InvalidArgument
from llm import distributed
from llm.config import ExperimentConfig, Setting, config_from_dict, preset

__all__ = ["Runtime", "World", "run", "run_quick", "prepare", "load_summary"]


@dataclasses.dataclass(frozen=True)
class Runtime:
    """How to run (not what): free to change between a run and its resume."""

    device: str = "cpu"
    gen_batch_size: int = 64
    eval_batch_size: int = 64
    progress: bool = True
    threads: int = 0  # torch CPU threads; 0 keeps torch's default


@dataclasses.dataclass
class World:
    """What every chain of a run shares: tokenizer, the pretrained weights, real blocks, the truth."""

    model: Any
    tokenizer: Any
    pretrained_state: dict
    blocks: dict[str, np.ndarray]
    language: Any = None  # HiddenMarkovLanguage for the synthetic corpus


# ---------------------------------------------------------------------------- config and data


def _check_config(cfg: ExperimentConfig, out: Path) -> None:
    """Write ``config.json`` on first use; refuse a resume whose config differs, naming the fields."""
    path = out / "config.json"
    new = json.loads(json.dumps(dataclasses.asdict(cfg)))
    if path.exists():
        try:
            old = read_json(path)["config"]
        except (ValueError, KeyError, OSError):
            raise InvalidArgument("out", "a results directory with a readable config.json", str(out)) from None
        if old != new:
            diffs = [f"{k}: {old.get(k)!r} -> {new.get(k)!r}" for k in sorted(set(old) | set(new))
                     if old.get(k) != new.get(k)]
            raise InvalidArgument(
                "config", f"the configuration {out} was started with, to resume it (or a new --out)",
                "; ".join(diffs))
        return
    save_json(path, metadata(cfg, seed=None, kind="llm-experiment"))


def prepare(cfg: ExperimentConfig, out: Path, rt: Runtime) -> World:
    """Load or make the real blocks and the pretrained model (cached under ``out``)."""
    if cfg.model == "synthetic":
        world = _prepare_synthetic(cfg, out, rt)
    else:
        world = _prepare_real(cfg, out)
    from llm.model import state_to_cpu

    world.model.to(rt.device)
    world.pretrained_state = state_to_cpu(world.model)
    return world


def _save_blocks(path: Path, cfg: ExperimentConfig, note: str, blocks: dict[str, np.ndarray]) -> None:
    if cfg.max_blocks:
        blocks = {k: v[: cfg.max_blocks] for k, v in blocks.items()}
    for k, v in blocks.items():
        if len(v) < 1:
            raise InvalidArgument("data", f"enough text for at least one {cfg.block_size}-token {k} block", note)
    save_npz(path, metadata(cfg, note=note), **blocks)


def _load_blocks(path: Path) -> dict[str, np.ndarray]:
    try:
        return load_npz(path)[1]  # load_npz closes the file also when the archive is damaged
    except Exception as exc:  # noqa: BLE001 -- any unreadable file gets the same advice
        raise InvalidArgument("data", f"a readable {path.name} (move it away to rebuild it)",
                              f"{path} ({type(exc).__name__})") from None


def _prepare_real(cfg: ExperimentConfig, out: Path) -> World:
    from llm.data import SPLITS, build_blocks, load_corpus, tokenize_lines
    from llm.model import check_context, load_pretrained

    model, tok = load_pretrained(cfg.model)
    check_context(model, cfg.block_size, cfg.new_tokens)
    path = out / "data" / "blocks.npz"
    if not path.exists():
        corpus = load_corpus(cfg.data)
        blocks = {s: build_blocks(tokenize_lines(tok, corpus.split(s)), cfg.block_size) for s in SPLITS}
        _save_blocks(path, cfg, corpus.note, blocks)
    return World(model=model, tokenizer=tok, pretrained_state={}, blocks=_load_blocks(path))


def _prepare_synthetic(cfg: ExperimentConfig, out: Path, rt: Runtime) -> World:
    from llm.data import build_blocks, tokenize_lines
    from llm.model import load_pretrained
    from llm.synthetic import build_tokenizer, make_language

    syn = cfg.synthetic
    ss = np.random.SeedSequence(cfg.data_seed).spawn(6)
    shape = dict(n_words=syn.n_words, n_states=syn.n_states, n_topics=syn.n_topics,
                 topic_tilt=syn.topic_tilt, zipf_exponent=syn.zipf_exponent, mean_line_words=syn.mean_line_words,
                 topic_switch=syn.topic_switch)
    lang = make_language(np.random.default_rng(ss[0]), **shape)
    tok = build_tokenizer(lang.words)
    path = out / "data" / "blocks.npz"
    if not path.exists():
        sizes = {"train": syn.train_tokens, "valid": syn.valid_tokens, "test": syn.test_tokens}
        blocks = {}
        for i, (split, n) in enumerate(sizes.items()):
            lines = lang.sample_lines(n, np.random.default_rng(ss[1 + i]))
            blocks[split] = build_blocks(tokenize_lines(tok, [lang.line_text(x) for x in lines]), cfg.block_size)
        save_npz(out / "data" / "language.npz", metadata(cfg, note="true language: hidden Markov chain"),
                 transition=lang.transition, emission=lang.emission, words=np.array(lang.words))
        _save_blocks(path, cfg, "synthetic hidden-Markov language", blocks)
    pre = out / "pretrained"
    if not (pre / "config.json").exists():
        pre_lang = make_language(np.random.default_rng(ss[0]), dynamics_rng=np.random.default_rng(ss[4]),
                                 dynamics_mix=syn.pretrain_mix, **shape)
        lines = pre_lang.sample_lines(syn.pretrain_tokens, np.random.default_rng(ss[5]))
        pre_blocks = build_blocks(tokenize_lines(tok, [lang.line_text(x) for x in lines]), cfg.block_size)
        _pretrain_standin(cfg, tok, pre_blocks, pre, rt, seed=int(ss[5].generate_state(1)[0]))
    if not (out / "data" / "truth_beam.npz").exists():
        _truth_beam(cfg, lang, _load_blocks(path)["train"], out)
    model, tok = load_pretrained(str(pre))
    return World(model=model, tokenizer=tok, pretrained_state={}, blocks=_load_blocks(path), language=lang)


def _truth_beam(cfg, lang, train: np.ndarray, out: Path) -> None:
    """What a perfect generation-0 model would write under the protocol's beam search (no penalty)."""
    from llm.groundtruth import data_coverage, truth_beam_search

    blocks = truth_beam_search(lang, train, cfg.new_tokens, cfg.num_beams)
    save_npz(out / "data" / "truth_beam.npz", metadata(cfg, coverage=data_coverage(lang, blocks)), blocks=blocks)


def _pretrain_standin(cfg, tok, blocks, pre: Path, rt: Runtime, seed: int) -> None:
    """Train the tiny OPT from scratch on the pretraining corpus; publish the directory atomically."""
    from llm.train import TrainConfig, fine_tune

    syn = cfg.synthetic
    model = syn.arch.build(len(tok), seed).to(rt.device)
    n_valid = max(1, len(blocks) // 20)
    tc = TrainConfig(epochs=syn.pretrain_epochs, lr=syn.pretrain_lr, min_lr=syn.pretrain_lr / 30,
                     batch_size=32, schedule="step")
    fine_tune(model, blocks[n_valid:], blocks[:n_valid], tc, seed=seed, device=rt.device,
              eval_batch_size=rt.eval_batch_size, progress=rt.progress)
    from llm.model import quiet_transformers

    quiet_transformers()
    tmp = Path(tempfile.mkdtemp(prefix=".pretrained.", dir=pre.parent))
    model.to("cpu").save_pretrained(tmp)
    tok.save_pretrained(tmp)
    if pre.exists():  # a leftover without config.json is an interrupted copy
        shutil.rmtree(pre)
    tmp.rename(pre)


# ---------------------------------------------------------------------------- one chain


def _gen_dir(out: Path, setting: Setting, seed: int, g: int) -> Path:
    return out / "runs" / setting.name / f"seed{seed}" / f"gen{g:02d}"


def _train_data(cfg, world, setting, seed, g, out, rng) -> tuple[np.ndarray, np.ndarray]:
    """Generation ``g``'s training blocks and which of them are real (saved once, then reread)."""
    from llm.data import mix_real

    path = _gen_dir(out, setting, seed, g) / "train.npz"
    if distributed.exists(path):
        arrays = _load_blocks(path)
        return arrays["blocks"], arrays["is_real"]
    real = world.blocks["train"]
    if g == 0:
        blocks, is_real = real, np.ones(len(real), dtype=bool)
    else:
        prev = _load_blocks(_gen_dir(out, setting, seed, g - 1) / "generated.npz")["blocks"]
        blocks, is_real = mix_real(prev, real, setting.keep_real, rng)  # the same choice on every rank
    distributed.on_main(save_npz, path, metadata(cfg, seed, setting=setting.name, generation=g),
                        blocks=blocks, is_real=is_real)
    return blocks, is_real


def _trained_model(cfg, world, setting, seed, g, out, rt, train, torch_seed):
    """Fine-tune on ``train`` from the pretrained weights (or load this generation's checkpoint)."""
    from llm.model import load_checkpoint, save_checkpoint
    from llm.train import fine_tune

    d = _gen_dir(out, setting, seed, g)
    model = world.model
    model.load_state_dict(world.pretrained_state)
    if distributed.broadcast((d / "model.safetensors").exists() and (d / "train.json").exists()):
        load_checkpoint(model, d / "model.safetensors")
        return model
    hist = fine_tune(model, train, world.blocks["valid"], cfg.train_config(setting), seed=torch_seed,
                     device=rt.device, eval_batch_size=rt.eval_batch_size, progress=rt.progress,
                     data_parallel=True)
    distributed.on_main(save_checkpoint, model, d / "model.safetensors",
                        {"setting": setting.name, "seed": str(seed), "generation": str(g)})
    distributed.on_main(save_json, d / "train.json",
                        metadata(cfg, seed, setting=setting.name, generation=g, history=hist))
    return model


def _evaluate(cfg, world, setting, seed, g, out, rt, model, gen0, train, is_real) -> dict:
    """Test perplexity, per-sequence perplexity under generation 0, truth scores, Example-1 continuations.

    The two scorings over many blocks are split across ranks; the rest is rank 0's,
    which writes ``scores.npz`` (the returned dict is complete on rank 0 only).
    """
    from llm.evaluate import perplexity_stats
    from llm.generate import beam_generate

    d = _gen_dir(out, setting, seed, g)
    kw = dict(device=rt.device, batch_size=rt.eval_batch_size)
    m = {"test": perplexity_stats(_sharded_nll(model, world.blocks["test"], kw))}
    scores = {"perplexity_gen0": np.exp(_sharded_nll(gen0, train, kw).mean(axis=1)), "is_real": is_real}
    if distributed.is_main():
        prompts = world.blocks["test"][: cfg.n_examples]
        cont = beam_generate(model, prompts, new_tokens=cfg.new_tokens, num_beams=cfg.num_beams,
                             repetition_penalty=setting.repetition_penalty, device=rt.device)
        m["examples"] = [{"prompt": world.tokenizer.decode(p), "continuation": world.tokenizer.decode(c)}
                         for p, c in zip(prompts, cont)]
        if world.language is not None:
            from llm.groundtruth import data_coverage, model_vs_truth, true_token_nll

            m["truth"] = model_vs_truth(world.language, model, world.blocks["test"], **kw)
            m["data"] = data_coverage(world.language, train)
            scores["true_nll"] = true_token_nll(world.language, train).mean(axis=1)
        save_npz(d / "scores.npz", metadata(cfg, seed, setting=setting.name, generation=g), **scores)
    distributed.barrier()
    return m


def _sharded_nll(model, blocks: np.ndarray, kw: dict) -> np.ndarray:
    """:func:`llm.evaluate.token_nll` of ``blocks``, each rank scoring a shard; shape (n, L-1) on every rank."""
    from llm.evaluate import token_nll

    return distributed.gather(token_nll(model, distributed.shard(blocks), **kw))


def run_chain(cfg: ExperimentConfig, world: World, setting: Setting, seed: int, out: Path, rt: Runtime,
              on_saved: Callable[[Path], None] | None = None) -> list[dict]:
    """All generations of one setting and seed; finished generations are read back, not recomputed."""
    from tqdm.auto import tqdm

    from llm.generate import beam_generate

    streams = np.random.SeedSequence(seed).spawn(cfg.generations)
    gen0 = None
    rows = []
    for g in tqdm(range(cfg.generations), desc=f"{setting.name} seed {seed}", disable=not rt.progress):
        d = _gen_dir(out, setting, seed, g)
        if distributed.exists(d / "metrics.json"):
            rows.append(read_json(d / "metrics.json"))
            continue
        rng = np.random.default_rng(streams[g])
        torch_seed = int(streams[g].generate_state(1)[0])
        train, is_real = _train_data(cfg, world, setting, seed, g, out, rng)
        model = _trained_model(cfg, world, setting, seed, g, out, rt, train, torch_seed)
        _notify(on_saved, d / "model.safetensors")
        if g + 1 < cfg.generations and not distributed.exists(d / "generated.npz"):
            mine = beam_generate(model, distributed.shard(world.blocks["train"]), new_tokens=cfg.new_tokens,
                                 num_beams=cfg.num_beams, repetition_penalty=setting.repetition_penalty,
                                 batch_size=rt.gen_batch_size, device=rt.device, progress=rt.progress)
            distributed.on_main(save_npz, d / "generated.npz", metadata(cfg, seed, setting=setting.name, generation=g),
                                blocks=distributed.gather(mine))
            _notify(on_saved, d / "generated.npz")
        if gen0 is None:
            gen0 = _gen0_model(out, setting, seed, g, model)
        metrics = _evaluate(cfg, world, setting, seed, g, out, rt, model, gen0, train, is_real)
        row = metadata(cfg, seed, setting=setting.name, generation=g, **metrics)
        distributed.on_main(save_json, d / "metrics.json", row)
        rows.append(read_json(d / "metrics.json"))
        _notify(on_saved, d / "metrics.json")
    return rows


def _gen0_model(out, setting, seed, g, model):
    """A second copy of this chain's generation-0 model, which scores every generation's data."""
    import copy

    from llm.model import load_checkpoint

    gen0 = copy.deepcopy(model)
    if g != 0:
        load_checkpoint(gen0, _gen_dir(out, setting, seed, 0) / "model.safetensors")
    return gen0.eval()


def _notify(cb, path: Path) -> None:
    if cb is not None:
        cb(path)


# ---------------------------------------------------------------------------- whole run


def run(cfg: ExperimentConfig, out: Path, rt: Runtime = Runtime(),
        on_saved: Callable[[Path], None] | None = None) -> Path:
    """Run (or resume) every setting and seed of ``cfg`` in ``out``; return the summary path.

    A resume with a different configuration is refused, naming what differs.
    """
    from llm.model import resolve_device

    out = Path(out)
    rt = dataclasses.replace(rt, device=resolve_device(rt.device))
    owns_group = distributed.init(rt.device)  # under torchrun / accelerate launch; else one process
    try:
        return _run_all(cfg, out, dataclasses.replace(rt, progress=rt.progress and distributed.is_main()), on_saved)
    finally:
        if owns_group:
            distributed.shutdown()


def _run_all(cfg: ExperimentConfig, out: Path, rt: Runtime, on_saved) -> Path:
    if rt.threads:
        import torch

        torch.set_num_threads(rt.threads)
    out.mkdir(parents=True, exist_ok=True)
    # rank 0 checks the config and makes the data and the stand-in; the others then read them
    world = _prepare_checked(cfg, out, rt) if distributed.is_main() else None
    distributed.barrier()
    if world is None:
        world = prepare(cfg, out, rt)
    for setting in cfg.settings:
        for seed in cfg.seeds:
            run_chain(cfg, world, setting, seed, out, rt, on_saved)
            distributed.on_main(write_summary, cfg, out)
    return out / "summary.json"


def _prepare_checked(cfg: ExperimentConfig, out: Path, rt: Runtime) -> World:
    """:func:`prepare` after :func:`_check_config`; bad input found before anything was made leaves no config."""
    fresh = not (out / "config.json").exists()
    _check_config(cfg, out)
    try:
        return prepare(cfg, out, rt)
    except InvalidArgument:
        # leave no config behind to refuse the corrected command
        if fresh and not (out / "data").exists() and not (out / "pretrained").exists():
            (out / "config.json").unlink()
        raise


def run_quick(out_dir: Path, seed: int = 0, *, device: str = "cpu", progress: bool = False) -> Path:
    """The ``quick`` preset (both settings and the ablation, 6 generations, seeds ``seed``, ``seed+1``).

    Resumable: call it again on the same ``out_dir`` to continue. Returns the
    path of ``summary.json``; ``collapse figures llm --results out_dir`` draws it.
    """
    cfg = preset("quick", seeds=(int(seed), int(seed) + 1))
    return run(cfg, Path(out_dir), Runtime(device=device, progress=progress, threads=1))


SUMMARY_FIELDS = ("setting", "seed", "generation", "test_perplexity", "mean_perplexity_gen0",
                  "truth_kl", "tail_mass_model", "tail_mass_true", "missing_unigram_mass", "missing_bigram_mass")


def write_summary(cfg: ExperimentConfig, out: Path) -> None:
    """``summary.json`` (all metrics rows) and ``summary.csv`` (the headline numbers) from finished generations."""
    rows = []
    for f in sorted((out / "runs").glob("*/seed*/gen*/metrics.json")):
        m = read_json(f)
        _, scores = load_npz(f.parent / "scores.npz")
        truth, data = m.get("truth", {}), m.get("data", {})
        rows.append({
            "setting": m["setting"], "seed": m["seed"], "generation": m["generation"],
            "test_perplexity": m["test"]["perplexity"],
            "mean_perplexity_gen0": float(scores["perplexity_gen0"].mean()),
            "truth_kl": truth.get("kl"), "tail_mass_model": truth.get("tail_mass_model"),
            "tail_mass_true": truth.get("tail_mass_true"),
            "missing_unigram_mass": data.get("missing_unigram_mass"),
            "missing_bigram_mass": data.get("missing_bigram_mass"),
        })
    save_json(out / "summary.json", metadata(cfg, rows=rows))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    atomic_write_text(out / "summary.csv", buf.getvalue())
    atomic_write_text(out / "summary_by_generation.csv", _by_generation(rows))


def _by_generation(rows: list[dict]) -> str:
    """Mean and standard deviation over seeds of the headline numbers, per setting and generation."""
    keys = [k for k in SUMMARY_FIELDS[3:] if any(r[k] is not None for r in rows)]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["setting"], r["generation"]), []).append(r)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["setting", "generation", "runs"] + [f"{k}_{s}" for k in keys for s in ("mean", "std")])
    for (setting, g), rs in groups.items():
        stats = []
        for k in keys:
            v = np.array([r[k] for r in rs], dtype=float)
            stats += [v.mean(), v.std()]
        w.writerow([setting, g, len(rs)] + [f"{x:.6g}" for x in stats])
    return buf.getvalue()


def load_summary(out: Path) -> tuple[ExperimentConfig, list[dict]]:
    """The config and summary rows of a finished (or partial) run directory."""
    path = Path(out) / "summary.json"
    if not path.exists():
        raise InvalidArgument("results", "a directory written by 'collapse llm run' (summary.json)", str(out))
    s = read_json(path)
    return config_from_dict(s["config"]), s["rows"]
