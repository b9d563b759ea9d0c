"""``collapse llm run``, ``collapse figures llm`` and ``collapse bench llm``.

Nothing heavy at import: torch and transformers load inside the handlers.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from collapse.commands._args import int_at_least, path_arg, positive_float
from collapse.commands._families import print_files
from collapse.commands._options import add, add_option

DEFAULT_OUT = Path("results") / "llm"


def register(top, groups) -> None:
    _register_run(top)
    _register_figures(groups["figures"])
    _register_bench(groups["bench"])


def _register_run(top) -> None:
    p = top.add_parser(
        "llm", help="the OPT-125m / WikiText-2 experiment (Fig. 1b, 1c, Example 1), offline by default",
        description="The language-model experiment. Offline default: a synthetic language with a known truth and "
                    "a tiny OPT pretrained on it; --preset paper: facebook/opt-125m on WikiText-2.")
    sub = p.add_subparsers(dest="llm_command", metavar="COMMAND", required=True)
    r = sub.add_parser("run", help="run or resume the generational experiment",
                       description="Run (or resume: rerun the same command) every setting, seed and generation. "
                                   "A resume with different options is refused (--force starts over). "
                                   "Data-parallel on several GPUs or "
                                   "nodes when started by torchrun or accelerate launch "
                                   "(e.g. torchrun --nproc_per_node 8 -m collapse.cli llm run ...).")
    r.add_argument("--quick", action="store_true",
                   help="the quick preset: synthetic, 2 seeds, 6 generations, 256 blocks (minutes on a CPU)")
    r.add_argument("--preset", choices=("offline", "paper", "quick"), default=None,
                   help="offline (default): synthetic language + tiny OPT; paper: opt-125m on WikiText-2")
    add(r, "out", "force", out=DEFAULT_OUT)
    r.add_argument("--model", help="'synthetic', a local model directory, or a hub id (facebook/opt-125m)")
    r.add_argument("--data", help="'synthetic', 'wikitext' (hub), or a local WikiText-2 directory")
    _add_protocol_options(r)
    _add_device(r)
    r.add_argument("--gen-batch-size", type=int_at_least(1), default=64,
                   help="prompts per beam-search batch (default 64)")
    r.add_argument("--threads", type=int_at_least(0), default=None,
                   help="torch CPU threads; 0: torch's default (default: 1 for the tiny synthetic model, whose "
                        "small matrices gain little from threads and lose much on a shared machine; else 0)")
    add(r, "quiet", "json")
    r.set_defaults(func=_run)


def _add_device(p) -> None:
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where torch runs: auto (default) takes cuda when a GPU is visible, else cpu")


def _add_protocol_options(r) -> None:
    """What the experiment does (its config): each overrides the preset's value."""
    add_option(r, "generations", default=None, minimum=1, default_text="the preset's")
    r.add_argument("--seeds", type=int_at_least(1), help="number of runs (seeds 0..n-1)")
    r.add_argument("--settings", help="comma-separated subset of: no-data-kept,10pct-kept,repetition-penalty")
    r.add_argument("--block-size", type=int_at_least(2),
                   help="tokens per block: the training sequences and the prompts (paper 64)")
    r.add_argument("--new-tokens", type=int_at_least(1),
                   help="tokens each model writes after every prompt (paper 64)")
    r.add_argument("--num-beams", type=int_at_least(1), help="beam-search width (paper 5)")
    r.add_argument("--lr", type=positive_float, help="AdamW learning rate (paper 2e-5; offline presets 1e-3)")
    r.add_argument("--min-lr", type=positive_float, help="end of the cosine schedule (paper 1e-6)")
    r.add_argument("--weight-decay", type=float, help="AdamW weight decay (default 0.01, torch's)")
    r.add_argument("--schedule", choices=("epoch", "step"), help="cosine annealed per epoch (release) or per step")
    r.add_argument("--batch-size", type=int_at_least(1), help="training batch size in blocks (paper 128)")
    r.add_argument("--max-blocks", type=int_at_least(0), help="use only the first N blocks of every split")


def _register_figures(g) -> None:
    f = g.add_parser("llm", help="Fig. 1b/1c, the repetition ablation, ground truth, Example 1",
                     description="Draw the language-model figures from the run folder of 'collapse llm run'.")
    add_option(f, "out", default=DEFAULT_OUT, note="the one 'collapse llm run' wrote: reads OUT/summary.json and "
                                                   "OUT/runs, writes OUT/figures")
    add_option(f, "figures_dir", default=None, default_text="OUT/figures")
    add(f, "json")
    f.set_defaults(func=_figures)


def _register_bench(g) -> None:
    b = g.add_parser("llm", help="training / beam-search tokens per second; batched vs one-at-a-time",
                     description="Throughput of the tiny stand-in on this machine, and the speed-up "
                                 "of batched beam search over one prompt at a time (target >= 5x).")
    b.add_argument("--prompts", type=int_at_least(1), default=64, help="prompts in the batched run (default 64)")
    _add_device(b)
    b.add_argument("--save", type=path_arg, default=None, metavar="FILE.json",
                   help="also save the numbers, with the run's metadata, as JSON here")
    b.add_argument("--paper", action="store_true",
                   help="measure a random model of OPT-125m's shape instead and estimate the time of one generation "
                        "of the paper's protocol on this device")
    add(b, "json")
    b.set_defaults(func=_bench)


def _run(args: argparse.Namespace) -> int:
    from collapse.llm.config import preset
    from collapse.llm.experiment import Runtime, run

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
    rt = Runtime(device=args.device, gen_batch_size=args.gen_batch_size, progress=not args.quiet,
                 threads=threads)
    path = run(cfg, args.out, rt, force=args.force)
    from collapse.llm.distributed import env_rank

    if env_rank() != 0:  # under torchrun / accelerate launch every rank gets here
        return 0
    if args.json:
        from collapse.core.runner import read_result

        print(json.dumps({"summary": str(path), "rows": read_result(path).get("rows", [])}, indent=2))
    else:
        print(f"results: {path.parent} (summary.csv); draw them with: collapse figures llm --out {path.parent}")
    return 0


def _figures(args: argparse.Namespace) -> int:
    from collapse.figures.llm import draw_all

    print_files(draw_all(args.out, args.figures_dir or args.out / "figures"), args.json)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from collapse.llm.bench import main

    if not args.json:
        return main(prompts=args.prompts, device=args.device, out=args.save, paper=args.paper)
    import contextlib
    import sys
    import tempfile

    from collapse.core.runner import read_result

    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(sys.stderr):  # stdout: the JSON alone
        save = args.save or Path(tmp) / "bench-llm.json"
        code = main(prompts=args.prompts, device=args.device, out=save, paper=args.paper)
        numbers = read_result(save)
    print(json.dumps(numbers, indent=2, default=str))
    return code
