"""``collapse llm run``, ``collapse figures llm`` and ``collapse bench llm``.

Nothing heavy at import: torch and transformers load inside the handlers.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from collapse.commands._args import int_at_least, positive_float

DEFAULT_OUT = Path("results") / "llm"


def register(top, groups) -> None:
    p = top.add_parser(
        "llm", help="the OPT-125m / WikiText-2 experiment (Fig. 1b, 1c, Example 1), offline by default",
        description="The language-model experiment. Offline default: a synthetic language with a known truth and "
                    "a tiny OPT pretrained on it; --preset paper: facebook/opt-125m on WikiText-2.")
    sub = p.add_subparsers(dest="llm_command", metavar="COMMAND", required=True)
    r = sub.add_parser("run", help="run or resume the generational experiment",
                       description="Run (or resume: rerun the same command) every setting, seed and generation. "
                                   "A resume with different options is refused. Data-parallel on several GPUs or "
                                   "nodes when started by torchrun or accelerate launch "
                                   "(e.g. torchrun --nproc_per_node 8 -m collapse.cli llm run ...).")
    r.add_argument("--quick", action="store_true",
                   help="the quick preset: synthetic, 2 seeds, 6 generations, 256 blocks (minutes on a CPU)")
    r.add_argument("--preset", choices=("offline", "paper", "quick"), default=None,
                   help="offline (default): synthetic language + tiny OPT; paper: opt-125m on WikiText-2")
    r.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"results directory (default {DEFAULT_OUT})")
    r.add_argument("--model", help="'synthetic', a local model directory, or a hub id (facebook/opt-125m)")
    r.add_argument("--data", help="'synthetic', 'wikitext' (hub), or a local WikiText-2 directory")
    r.add_argument("--generations", type=int_at_least(1))
    r.add_argument("--seeds", type=int_at_least(1), help="number of runs (seeds 0..n-1)")
    r.add_argument("--settings", help="comma-separated subset of: no-data-kept,10pct-kept,repetition-penalty")
    r.add_argument("--block-size", type=int_at_least(2))
    r.add_argument("--new-tokens", type=int_at_least(1))
    r.add_argument("--num-beams", type=int_at_least(1))
    r.add_argument("--lr", type=positive_float, help="AdamW learning rate (paper 2e-5; offline presets 1e-3)")
    r.add_argument("--min-lr", type=positive_float, help="end of the cosine schedule (paper 1e-6)")
    r.add_argument("--weight-decay", type=float, help="AdamW weight decay (default 0.01, torch's)")
    r.add_argument("--schedule", choices=("epoch", "step"), help="cosine annealed per epoch (release) or per step")
    r.add_argument("--batch-size", type=int_at_least(1))
    r.add_argument("--max-blocks", type=int_at_least(0), help="use only the first N blocks of every split")
    r.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    r.add_argument("--gen-batch-size", type=int_at_least(1), default=64, help="prompts per beam-search batch")
    r.add_argument("--threads", type=int_at_least(0), default=None,
                   help="torch CPU threads; 0: torch's default (default: 1 for the tiny synthetic model, whose "
                        "small matrices gain little from threads and lose much on a shared machine; else 0)")
    r.add_argument("--no-progress", action="store_true")
    r.set_defaults(func=_run)

    f = groups["figures"].add_parser("llm", help="Fig. 1b/1c, the repetition ablation, ground truth, Example 1",
                                     description="Draw the language-model figures from a results directory.")
    f.add_argument("--results", type=Path, default=DEFAULT_OUT, help=f"run directory (default {DEFAULT_OUT})")
    f.add_argument("--out", type=Path, default=None, help="where figures go (default RESULTS/figures)")
    f.set_defaults(func=_figures)

    b = groups["bench"].add_parser("llm", help="training / beam-search tokens per second; batched vs one-at-a-time",
                                   description="Throughput of the tiny stand-in on this machine, and the speed-up "
                                               "of batched beam search over one prompt at a time (target >= 5x).")
    b.add_argument("--prompts", type=int_at_least(1), default=64, help="prompts in the batched run (default 64)")
    b.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    b.add_argument("--out", type=Path, default=None, help="also save the numbers as JSON here")
    b.add_argument("--paper", action="store_true",
                   help="measure a random model of OPT-125m's shape instead and estimate the time of one generation "
                        "of the paper's protocol on this device")
    b.set_defaults(func=_bench)


def _run(args: argparse.Namespace) -> int:
    from llm.config import preset
    from llm.experiment import Runtime, run

    name = args.preset or ("quick" if args.quick else "offline")
    overrides = dict(model=args.model, data=args.data, generations=args.generations, block_size=args.block_size,
                     new_tokens=args.new_tokens, num_beams=args.num_beams, lr=args.lr, min_lr=args.min_lr,
                     weight_decay=args.weight_decay, schedule=args.schedule, batch_size=args.batch_size,
                     max_blocks=args.max_blocks)
    if args.model and args.model != "synthetic" and not args.data:
        overrides["data"] = "wikitext"
    if args.seeds:
        overrides["seeds"] = tuple(range(args.seeds))
    cfg = preset(name, **overrides)
    if args.settings:
        from dataclasses import replace

        cfg = replace(cfg, settings=tuple(cfg.setting(s.strip()) for s in args.settings.split(",")))
    threads = args.threads if args.threads is not None else (1 if cfg.model == "synthetic" else 0)
    rt = Runtime(device=args.device, gen_batch_size=args.gen_batch_size, progress=not args.no_progress,
                 threads=threads)
    path = run(cfg, args.out, rt)
    from llm.distributed import env_rank

    if env_rank() == 0:  # under torchrun / accelerate launch every rank gets here
        print(f"results: {path.parent} (summary.csv); draw them with: collapse figures llm --results {path.parent}")
    return 0


def _figures(args: argparse.Namespace) -> int:
    from figures.llm import draw_all

    out = args.out or args.results / "figures"
    for p in draw_all(args.results, out):
        print(p)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from llm.bench import main

    return main(prompts=args.prompts, device=args.device, out=args.out, paper=args.paper)
