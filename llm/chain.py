"""One chain of the experiment (a setting and a seed): every generation's data, training, generation, scores.

Generation ``g`` lives in ``runs/SETTING/seedS/genGG/`` (:meth:`Chain.rel`); its
``metrics.json`` is written last and marks it finished: a finished generation is
read back, never recomputed, and a damaged file of it is reported by name
(:class:`~collapse.core.runner.DamagedFile`).

Every rank runs the same control flow: what is finished is rank 0's answer,
broadcast (:meth:`Chain.done`); rank 0 alone writes (:mod:`collapse.llm.distributed`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from collapse.core.runio import metadata
from collapse.core.runner import DamagedFile, Run, read_result
from collapse.llm import distributed
from collapse.llm.config import ExperimentConfig, Setting
from collapse.llm.world import Runtime, World

__all__ = ["Chain", "Step", "run_chain"]

TRAIN, CHECKPOINT, TRAIN_LOG = "train.npz", "model.safetensors", "train.json"
GENERATED, SCORES, METRICS = "generated.npz", "scores.npz", "metrics.json"


@dataclasses.dataclass(frozen=True)
class Chain:
    """A chain's context: what it runs (config, setting, seed), on what (world), where (run), how (runtime).

    ``run`` is the opened :class:`~collapse.core.runner.Run` on rank 0 and a reading view of the same
    folder on the other ranks; its writes are only ever made by rank 0 (:meth:`save_npz`, :meth:`save_json`).
    """

    cfg: ExperimentConfig
    world: World
    run: Run
    rt: Runtime
    setting: Setting
    seed: int
    on_saved: Callable[[Path], None] | None = None

    def rel(self, g: int, name: str = "") -> str:
        """Generation ``g``'s folder (or its file ``name``) relative to the run folder."""
        d = f"runs/{self.setting.name}/seed{self.seed}/gen{g:02d}"
        return f"{d}/{name}" if name else d

    def gen_dir(self, g: int) -> Path:
        return self.run.path(self.rel(g))

    def meta(self, g: int, **extra: Any) -> dict[str, Any]:
        """The provenance block of generation ``g``'s results."""
        return metadata(self.cfg, self.seed, setting=self.setting.name, generation=g, **extra)

    def done(self, g: int, name: str) -> bool:
        """Whether generation ``g``'s ``name`` is complete, as rank 0 sees it, on every rank.

        Every rank reads the file, so a damaged one is the same DamagedFile on every rank.
        """
        return distributed.broadcast(self.run.done(self.rel(g, name)))

    def arrays(self, g: int, name: str) -> dict[str, np.ndarray]:
        """The arrays of generation ``g``'s NPZ file ``name``."""
        return read_result(self.run.path(self.rel(g, name)))[1]

    def save_npz(self, g: int, name: str, **arrays: Any) -> None:
        """Rank 0 writes ``name`` of generation ``g`` (with :meth:`meta`); every rank waits for it."""
        distributed.on_main(self.run.save_npz, self.rel(g, name), self.meta(g), **arrays)

    def save_json(self, g: int, name: str, obj: Any) -> None:
        distributed.on_main(self.run.save_json, self.rel(g, name), obj)

    def saved(self, g: int, name: str) -> None:
        """Tell ``on_saved`` (tests: a simulated kill) that ``name`` of generation ``g`` is written."""
        if self.on_saved is not None:
            self.on_saved(self.gen_dir(g) / name)


@dataclasses.dataclass
class Step:
    """One generation of a chain while it is computed: its random stream and what it has made so far."""

    chain: Chain
    g: int
    stream: np.random.SeedSequence
    train: np.ndarray | None = None
    is_real: np.ndarray | None = None
    model: Any = None
    gen0: Any = None  # the chain's generation-0 model, which scores every generation's data


def run_chain(chain: Chain) -> list[dict]:
    """All generations of one setting and seed; finished generations are read back, not recomputed."""
    from tqdm.auto import tqdm

    cfg = chain.cfg
    distributed.on_main(chain.run.own, f"runs/{chain.setting.name}")  # force deletes the setting's folder
    streams = np.random.SeedSequence(chain.seed).spawn(cfg.generations)
    gen0 = None
    rows = []
    for g in tqdm(range(cfg.generations), desc=f"{chain.setting.name} seed {chain.seed}",
                  disable=not chain.rt.progress):
        if _finished(chain, g):
            rows.append(read_result(chain.run.path(chain.rel(g, METRICS))))
            continue
        step = Step(chain, g, streams[g])
        step.train, step.is_real = _train_data(step)
        step.model = _trained_model(step)
        chain.saved(g, CHECKPOINT)
        _generate(step)
        gen0 = step.gen0 = gen0 if gen0 is not None else _gen0_model(step)
        rows.append(_finish(step))
    return rows


ADVICE = "delete it to recompute this generation, or rerun with --force"


def _finished(chain: Chain, g: int) -> bool:
    """Whether generation ``g`` is finished; its data for the next generation is checked then too.

    ``metrics.json`` marks a finished generation only when it is this generation's (setting, seed,
    generation and the numbers the summary reads) and ``scores.npz`` beside it is complete; a
    damaged or foreign one is refused by name (:class:`~collapse.core.runner.DamagedFile`), never
    counted as done. Without ``scores.npz`` (deleted) the generation is finished again.
    """
    if not chain.done(g, METRICS):
        return False
    check_metrics(chain.run.path(chain.rel(g, METRICS)), chain.setting.name, chain.seed, g)
    if not chain.done(g, SCORES):
        return False
    check_scores(chain.run.path(chain.rel(g, SCORES)), chain.run.path(chain.rel(g, TRAIN)),
                 where=(chain.setting.name, chain.seed, g))
    if g + 1 < chain.cfg.generations:
        chain.done(g, GENERATED)  # complete, or absent (then the next generation's train.npz holds it)
    return True


def check_metrics(path: Path, setting: str, seed: int, g: int) -> dict:
    """``path`` read back as generation ``g``'s metrics of ``setting`` and ``seed`` (else DamagedFile)."""
    m = read_result(path)
    if not isinstance(m, dict):
        raise DamagedFile(path, f"a JSON {type(m).__name__}, not a metrics object", ADVICE)
    try:
        ppl = m["test"]["perplexity"]
        where = (m["setting"], int(m["seed"]), int(m["generation"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise DamagedFile(path, f"no {exc} in it: not a metrics file of 'collapse llm run'", ADVICE) from None
    if where != (setting, seed, g):
        raise DamagedFile(path, f"the metrics of another run ({where[0]}, seed {where[1]}, generation {where[2]})",
                          ADVICE)
    if not isinstance(ppl, (int, float)) or isinstance(ppl, bool):
        raise DamagedFile(path, f"test perplexity {ppl!r} is not a number", ADVICE)
    return m


def check_scores(path: Path, train: Path | None = None, *, where: tuple | None = None) -> dict[str, np.ndarray]:
    """The arrays of a ``scores.npz`` (else DamagedFile): of ``where`` (setting, seed, generation) when given,
    with as many rows as ``train`` (its blocks) when given."""
    meta, arrays = read_result(path)
    if where is not None and isinstance(meta, dict) and (
            meta.get("setting"), meta.get("seed"), meta.get("generation")) != tuple(where):
        raise DamagedFile(path, f"the scores of another run ({meta.get('setting')}, seed {meta.get('seed')}, "
                          f"generation {meta.get('generation')})", ADVICE)
    ppl = arrays.get("perplexity_gen0")
    if ppl is None or ppl.ndim != 1 or len(ppl) == 0:
        raise DamagedFile(path, "no per-sequence perplexity_gen0 in it", ADVICE)
    if train is not None and train.exists():
        blocks = read_result(train)[1].get("blocks")
        n = -1 if blocks is None else len(blocks)
        if len(ppl) != n:
            raise DamagedFile(path, f"{len(ppl)} scores for the {n} blocks of {train.name}: of another run", ADVICE)
    return arrays


def _train_data(step: Step) -> tuple[np.ndarray, np.ndarray]:
    """Generation ``g``'s training blocks and which of them are real (saved once, then reread)."""
    from collapse.llm.data import mix_real

    ch, g = step.chain, step.g
    if ch.done(g, TRAIN):
        arrays = ch.arrays(g, TRAIN)
        return arrays["blocks"], arrays["is_real"]
    real = ch.world.blocks["train"]
    if g == 0:
        blocks, is_real = real, np.ones(len(real), dtype=bool)
    else:
        prev = ch.arrays(g - 1, GENERATED)["blocks"]
        rng = np.random.default_rng(step.stream)
        blocks, is_real = mix_real(prev, real, ch.setting.keep_real, rng)  # the same choice on every rank
    ch.save_npz(g, TRAIN, blocks=blocks, is_real=is_real)
    return blocks, is_real


def _trained_model(step: Step):
    """Fine-tune on the step's data from the pretrained weights (or load this generation's checkpoint)."""
    from collapse.llm.model import checkpoint_bytes, load_checkpoint
    from collapse.llm.train import fine_tune

    ch, g = step.chain, step.g
    ckpt = ch.gen_dir(g) / CHECKPOINT
    model = ch.world.model
    model.load_state_dict(ch.world.pretrained_state)
    if ch.done(g, CHECKPOINT) and ch.done(g, TRAIN_LOG):  # the weights' size and sha256 as recorded
        load_checkpoint(model, ckpt)
        return model
    hist = fine_tune(model, step.train, ch.world.blocks["valid"], ch.cfg.train_config(ch.setting),
                     seed=int(step.stream.generate_state(1)[0]), device=ch.rt.device,
                     eval_batch_size=ch.rt.eval_batch_size, progress=ch.rt.progress, data_parallel=True)
    if distributed.is_main():
        ch.run.write_bytes(ch.rel(g, CHECKPOINT), checkpoint_bytes(
            model, {"setting": ch.setting.name, "seed": str(ch.seed), "generation": str(g)}))
    distributed.barrier()
    ch.save_json(g, TRAIN_LOG, ch.meta(g, history=hist))
    return model


#: the spawn key (below a generation's stream) of the uniforms a sampling decoding draws
DECODING_STREAM = 2 ** 20


def decoding_uniforms(stream: np.random.SeedSequence, n: int, new_tokens: int, which: int = 0) -> np.ndarray:
    """The uniforms of a sampling decoding for ``n`` prompts (:func:`collapse.llm.generate.uniforms`):
    ``which`` 0 for the next generation's data, 1 for Example 1; fixed by the generation's stream."""
    from collapse.llm.generate import uniforms

    child = np.random.SeedSequence(stream.entropy, spawn_key=tuple(stream.spawn_key) + (DECODING_STREAM + which,))
    return uniforms(np.random.default_rng(child), n, new_tokens)


def _continue(step: Step, prompts: np.ndarray, which: int, batch_size: int) -> np.ndarray:
    """This generation's model's continuations of ``prompts`` with the setting's decoding (every rank: a shard)."""
    from collapse.llm.generate import decode

    ch, cfg = step.chain, step.chain.cfg
    d = ch.setting.decoder(cfg.num_beams)
    u = decoding_uniforms(step.stream, len(prompts), cfg.new_tokens, which) if d.stochastic else None
    mine, u = distributed.shard(prompts), None if u is None else distributed.shard(u)
    out = decode(step.model, mine, d, new_tokens=cfg.new_tokens, repetition_penalty=ch.setting.repetition_penalty,
                 batch_size=batch_size, device=ch.rt.device, progress=ch.rt.progress and which == 0, u=u)
    return distributed.gather(out)


def _generate(step: Step) -> None:
    """This model's continuations of the real training blocks: the next generation's data (none after the last)."""
    ch, g, cfg = step.chain, step.g, step.chain.cfg
    if g + 1 >= cfg.generations or ch.done(g, GENERATED):
        return
    ch.save_npz(g, GENERATED, blocks=_continue(step, ch.world.blocks["train"], 0, ch.rt.gen_batch_size))
    ch.saved(g, GENERATED)


def _gen0_model(step: Step):
    """A second copy of this chain's generation-0 model, which scores every generation's data."""
    import copy

    from collapse.llm.model import load_checkpoint

    gen0 = copy.deepcopy(step.model)
    if step.g != 0:
        step.chain.run.intact(step.chain.rel(0, CHECKPOINT))  # its size and sha256 as written (DamagedFile)
        load_checkpoint(gen0, step.chain.gen_dir(0) / CHECKPOINT)
    return gen0.eval()


def _finish(step: Step) -> dict:
    """Score the generation and write ``metrics.json``, which marks it finished; return it as written."""
    ch, g = step.chain, step.g
    row = ch.meta(g, **_evaluate(step))
    ch.save_json(g, METRICS, row)
    row = read_result(ch.run.path(ch.rel(g, METRICS)))
    ch.saved(g, METRICS)
    return row


def _evaluate(step: Step) -> dict:
    """Test perplexity, per-sequence perplexity under generation 0, truth scores, Example-1 continuations.

    The two scorings over many blocks are split across ranks; the rest is rank 0's,
    which writes ``scores.npz`` (the returned dict is complete on rank 0 only).
    """
    from collapse.llm.evaluate import diversity, perplexity_stats

    ch, world, rt = step.chain, step.chain.world, step.chain.rt
    kw = dict(device=rt.device, batch_size=rt.eval_batch_size)
    test_nll = _sharded_nll(step.model, world.blocks["test"], kw)
    m = {"test": perplexity_stats(test_nll), "decoding": ch.setting.decoder(ch.cfg.num_beams).name}
    scores = {"perplexity_gen0": np.exp(_sharded_nll(step.gen0, step.train, kw).mean(axis=1)),
              "is_real": step.is_real, "test_nll": test_nll.mean(axis=1)}
    examples = _examples(step)  # every rank decodes its shard of the prompts
    if distributed.is_main():
        m["examples"] = examples
        made = step.train[~step.is_real] if step.g else step.train  # generation 0's data is all real
        m["data"] = diversity(made)  # distinct_tokens, loop_fraction (flat: a metrics part is one level)
        if ch.run.done(ch.rel(step.g, GENERATED)):  # rank 0 alone here: no broadcast (Chain.done is collective)
            m["continuations"] = diversity(ch.arrays(step.g, GENERATED)["blocks"])
        if world.language is not None:
            from collapse.llm.groundtruth import data_coverage, model_vs_truth, true_token_nll

            n_real = int(world.blocks["train"].size)
            m["truth"] = model_vs_truth(world.language, step.model, world.blocks["test"], **kw)
            m["data"].update(data_coverage(world.language, step.train, generation=step.g, n_real=n_real))
            scores["true_nll"] = true_token_nll(world.language, step.train).mean(axis=1)
        ch.run.save_npz(ch.rel(step.g, SCORES), ch.meta(step.g), **scores)
    distributed.barrier()
    return m


def _examples(step: Step) -> list[dict[str, str]]:
    """Example 1: the model's continuations of the first test blocks, as text (the setting's decoding)."""
    cfg, world = step.chain.cfg, step.chain.world
    prompts = world.blocks["test"][: cfg.n_examples]
    if not len(prompts):
        return []
    cont = _continue(step, prompts, 1, max(1, len(prompts)))
    return [{"prompt": world.tokenizer.decode(p), "continuation": world.tokenizer.decode(c)}
            for p, c in zip(prompts, cont)]


def _sharded_nll(model, blocks: np.ndarray, kw: dict) -> np.ndarray:
    """:func:`llm.evaluate.token_nll` of ``blocks``, each rank scoring a shard; shape (n, L-1) on every rank."""
    from collapse.llm.evaluate import token_nll

    return distributed.gather(token_nll(model, distributed.shard(blocks), **kw))
