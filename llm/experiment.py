"""The generational loop, resumable: real data -> fine-tune -> beam-generate -> fine-tune -> ...

Directory layout (a :class:`collapse.core.runner.Run` folder: every file written
atomically, mode 0644; ``metrics.json`` last, so it marks a finished generation)::

    OUT/run.json                       the ExperimentConfig + provenance, and the files the run owns;
                                       a resume must match it (``force`` starts over)
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
    OUT/llm_summary.json, OUT/llm_summary.csv   one row per setting / seed / generation; the JSON also holds
                                       the diversity of generation 0's text (real, true-model beam, each
                                       setting) and the verdicts of Fig. 1's claims (collapse.llm.claims)
    OUT/llm_summary_by_generation.csv           mean and std over seeds per setting / generation

Every file is written through the :class:`~collapse.core.runner.Run` and owned by it
(``run.json`` lists ``data/...``, ``pretrained``, ``runs/SETTING``, the summaries), so
``force`` deletes only these, and the folder may hold other experiments' files (the
summaries carry the experiment's name: a sweep writes ``summary.csv``).

Each generation starts from the pretrained weights and trains on the previous
generation's generated blocks (setting 2: a random 10% replaced by real ones).

The pieces: :mod:`collapse.llm.world` (the data, the stand-in, the truth: what the
chains share), :mod:`collapse.llm.chain` (one setting and seed, generation by
generation), :mod:`collapse.llm.summary` (the summary files).

Launched by ``torchrun`` or ``accelerate launch`` the same code runs data-parallel
(:mod:`collapse.llm.distributed`): every rank trains on a shard of each batch, generates
and scores a shard of the blocks; results are gathered in order and rank 0
alone opens the run folder and writes the files above.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from collapse.llm import distributed
from collapse.llm.chain import Chain, run_chain
from collapse.llm.config import ExperimentConfig, preset
from collapse.llm.summary import SUMMARY_FIELDS, load_summary, write_summary
from collapse.llm.world import SUMMARY_JSON, Runtime, World, open_world, prepare, read_world

__all__ = ["Runtime", "World", "run", "run_quick", "prepare", "load_summary", "SUMMARY_FIELDS"]


def run(cfg: ExperimentConfig, out: Path, rt: Runtime = Runtime(),
        on_saved: Callable[[Path], None] | None = None, *, force: bool = False) -> Path:
    """Run (or resume) every setting and seed of ``cfg`` in ``out``; return the summary path.

    A resume with a different configuration is refused, naming what differs;
    ``force=True`` deletes this experiment's earlier results in ``out`` and starts over.
    """
    from collapse.llm.model import resolve_device

    out = Path(out)
    rt = dataclasses.replace(rt, device=resolve_device(rt.device))
    owns_group = distributed.init(rt.device)  # under torchrun / accelerate launch; else one process
    try:
        rt = dataclasses.replace(rt, progress=rt.progress and distributed.is_main())
        return _run_all(cfg, out, rt, on_saved, force)
    finally:
        if owns_group:
            distributed.shutdown()


def _run_all(cfg: ExperimentConfig, out: Path, rt: Runtime, on_saved, force: bool) -> Path:
    _limit_threads(rt.threads)
    # rank 0 checks the input, opens the run and makes the data and the stand-in; the others then read them
    if distributed.is_main():
        run_, world = open_world(cfg, out, rt, force=force)
    distributed.barrier()
    if not distributed.is_main():
        run_, world = read_world(cfg, out, rt)
    tasks = [(setting, seed) for setting in cfg.settings for seed in cfg.seeds]
    workers = min(rt.workers, len(tasks)) if not distributed.active() and on_saved is None else 1
    if workers > 1:
        from collapse.llm.parallel import run_chains

        run_chains(cfg, out, rt, run_, tasks, workers)
        return out / SUMMARY_JSON
    for setting, seed in tasks:
        run_chain(Chain(cfg, world, run_, rt, setting, seed, on_saved))
        distributed.on_main(write_summary, run_)
    return out / SUMMARY_JSON


def _limit_threads(threads: int) -> None:
    """``threads`` torch threads (0: torch's default); numpy's BLAS on one thread when torch has one.

    The matrices here are small: a second BLAS thread gains little and, on a machine shared with
    other work, loses much (its threads spin waiting for a core).
    """
    if not threads:
        return
    import torch

    torch.set_num_threads(threads)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # scikit-learn's dependency; without it numpy keeps its own threads
        return
    threadpool_limits(threads, user_api="blas")


def run_quick(out_dir: Path, seed: int = 0, *, device: str = "cpu", progress: bool = False,
              force: bool = False, workers: int = 0) -> Path:
    """The ``quick`` preset (both settings and the ablation, 6 generations, seeds ``seed``, ``seed+1``).

    Resumable: call it again on the same ``out_dir`` to continue. Returns the
    path of ``llm_summary.json``; ``collapse figures llm --out out_dir`` draws it.
    ``workers``: processes running chains side by side (0: one per CPU core, at most 2).
    """
    import os

    cfg = preset("quick", seeds=(int(seed), int(seed) + 1))
    workers = workers or max(1, min(2, os.cpu_count() or 1))
    return run(cfg, Path(out_dir), Runtime(device=device, progress=progress, threads=1, workers=workers),
               force=force)
