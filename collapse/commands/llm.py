"""``collapse llm run``, ``collapse figures llm`` and ``collapse bench llm``.

Nothing heavy at import: torch and transformers load inside the handlers (the checks of
``--model``, ``--data`` and ``--settings`` import light modules of :mod:`collapse.llm` when
those options are parsed).

Every option has a documented range; what depends on several options (``--min-lr`` at
most ``--lr``, prompt plus continuation within the model's context, the batches' memory)
is checked before anything is written, and an error of the experiment's config is
reported under the option that sets it (``block_size`` -> ``--block-size``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from collapse.commands._args import FloatRange, IntRange, PathArg, TextArg
from collapse.commands._families import print_files
from collapse.commands._options import add, add_option
from collapse.core.validation import InvalidArgument
from collapse.llm.limits import (  # imports nothing: the parser stays light
    LIMITS,
    MAX_BATCH_SIZE,
    MAX_GEN_BATCH,
    MAX_LR,
    MAX_PROMPTS,
    MAX_THREADS,
    MAX_WEIGHT_DECAY,
    MAX_WORKERS,
)

DEFAULT_OUT = Path("results") / "llm"
#: the config's names for its values (in library errors) -> the options that set them
OPTION_OF = {
    "model": "--model", "data": "--data", "generations": "--generations", "seeds": "--seeds",
    "settings": "--settings", "setting": "--settings", "block_size": "--block-size", "new_tokens": "--new-tokens",
    "num_beams": "--num-beams", "lr": "--lr", "min_lr": "--min-lr", "weight_decay": "--weight-decay",
    "schedule": "--schedule", "batch_size": "--batch-size", "max_blocks": "--max-blocks", "device": "--device",
    "gen_batch_size": "--gen-batch-size", "threads": "--threads", "results": "--out", "prompts": "--prompts",
    "dtype": "--dtype", "workers": "--workers", "decoding": "--decoding",
}
#: ``collapse llm pretrain``: the config's names -> its options
PRETRAIN_OPTION_OF = {
    "data": "--data", "arch": "--arch", "vocab_size": "--vocab-size", "hidden_size": "--hidden", "layers": "--layers",
    "heads": "--heads", "context": "--context", "block_size": "--block-size", "epochs": "--epochs",
    "batch_size": "--batch-size", "lr": "--lr", "max_lines": "--max-lines", "seed": "--seed", "dtype": "--dtype",
    "device": "--device", "config": "--out",
}


def _as_option(exc: InvalidArgument, options: dict[str, str] = OPTION_OF) -> InvalidArgument:
    """``exc`` with the option that sets the value it names (a damaged file or a config clash as it is)."""
    flag = options.get(exc.name) if type(exc) is InvalidArgument else None
    if flag is None:
        return exc
    return InvalidArgument(flag, exc.expected, exc.got)


def _model_name(text: str) -> str:
    from collapse.llm.model import check_model_name

    return check_model_name(text)


def _data_path(text: str) -> str:
    from collapse.llm.data import check_data_path

    return check_data_path(text)


def _settings(text: str) -> tuple[str, ...]:
    from collapse.llm.config import parse_settings

    return parse_settings(text)


def _why(check):
    """A TextArg check raising ValueError with the reason of the library's InvalidArgument (its ``got (why)``)."""
    def checked(text: str):
        try:
            return check(text)
        except InvalidArgument as exc:
            got = str(exc.got)
            if got.startswith(text + " (") and got.endswith(")"):
                raise ValueError(got[len(text) + 2:-1]) from None
            raise ValueError(got if got != text else exc.expected) from None
    return checked


#: --model: 'synthetic', a local model folder (config.json) or a hub id, checked when parsed
model_arg = TextArg("'synthetic', a local model folder (holding config.json) or a Hugging Face hub id",
                    _why(_model_name), bad=("./no/such/model", "/no/such/model-dir", "bad id!", "a//b", "."),
                    max_length=500)
#: --data: 'synthetic', 'wikitext', a local WikiText-2 folder or a text file, checked when parsed
data_arg = TextArg("'synthetic', 'wikitext' (hub), a local WikiText-2 folder (wiki.{train,valid,test}.{raw,tokens}) "
                   "or a UTF-8 text file", _why(_data_path), bad=("/no/such/wikitext", "./missing.txt", "."),
                   max_length=4000)


def _real_data(text: str) -> str:
    if text == "synthetic":
        raise ValueError("the synthetic language has its own tokenizer and stand-in: give real text")
    return _data_path(text)


#: pretrain --data: real text only
real_data_arg = TextArg("'wikitext' (hub), a local WikiText-2 folder (wiki.{train,valid,test}.{raw,tokens}) or a "
                        "UTF-8 text file", _why(_real_data), bad=("synthetic", "/no/such/wikitext", "./missing.txt",
                                                                  "."), max_length=4000)
def _decodings(text: str) -> tuple[str, ...]:
    from collapse.llm.generate import parse_decodings

    return tuple(d.name for d in parse_decodings(text))


#: --decoding: a comma-separated list of decodings (collapse.llm.generate.parse_decoding)
decoding_arg = TextArg("comma-separated decodings: beamB (B in 1..64; the paper: beam5), greedy, sample, tempT "
                       "(T in (0, 10]), topkK (K >= 1), toppP (P in (0, 1]), or sampling options joined by '-' "
                       "(temp0.8-topp0.95)", _why(_decodings),
                       bad=(",", "beam5,", "beam0", "beam65", "greedy,greedy", "temp0", "temp11", "topk0", "topk1.5",
                            "topp0", "topp1.5", "nucleus", "temp0.7-temp0.8"), max_length=500)
#: --settings: a comma-separated subset of the paper's settings
settings_arg = TextArg("comma-separated names from no-data-kept, 10pct-kept, repetition-penalty", _why(_settings),
                       bad=(",", "no-data-kept,", "no-data-kept,no-data-kept", "nope", "all"), max_length=200)


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
    r.add_argument("--model", type=model_arg, metavar="MODEL",
                   help="'synthetic' (the offline stand-in), a local model folder holding config.json, or a hub id "
                        "(facebook/opt-125m; offline only if already in the local cache; any causal LM; 'collapse "
                        "llm pretrain' makes one from local text); a real model without --preset runs with the "
                        "paper preset's hyperparameters (default: the preset's)")
    r.add_argument("--data", type=data_arg, metavar="DATA",
                   help="'synthetic', 'wikitext' (the hub), a local WikiText-2 folder holding "
                        "wiki.{train,valid,test}.{raw,tokens} (or one of them, cut 80/10/10), or one UTF-8 text "
                        "file (cut 80/10/10); default: the preset's, 'wikitext' with a real --model")
    _add_protocol_options(r)
    _add_device(r)
    _add_dtype(r, "the preset's: fp32, as the release")
    r.add_argument("--gen-batch-size", type=IntRange(1, MAX_GEN_BATCH), default=64,
                   help=f"prompts per beam-search batch, 1..{MAX_GEN_BATCH}; a batch that cannot fit in memory "
                        "is refused before the run starts (default 64)")
    r.add_argument("--threads", type=IntRange(0, MAX_THREADS), default=None,
                   help=f"torch CPU threads, 0..{MAX_THREADS}; 0: torch's default (default: 1 for the tiny synthetic "
                        "model, whose small matrices gain little from threads and lose much on a shared machine; "
                        "else 0)")
    r.add_argument("--workers", type=IntRange(0, MAX_WORKERS), default=0,
                   help=f"processes running chains side by side, 0..{MAX_WORKERS}; 0: one per CPU core (at most "
                        "the chains) for the synthetic stand-in on the CPU, else 1 (default 0)")
    add(r, "quiet", "json")
    r.set_defaults(func=_run)
    _register_pretrain(sub)


def _add_dtype(p, default: str) -> None:
    p.add_argument("--dtype", choices=("fp32", "bf16", "fp16"), default=None,
                   help="precision of training, beam search and scoring: fp32, or bf16 / fp16 mixed precision "
                        f"(autocast; fp16 needs a CUDA GPU, bf16 a GPU that has it or the CPU); recorded in the "
                        f"run's config (default: {default})")


def _register_pretrain(sub) -> None:
    from collapse.llm.pretrain import PRETRAIN_LIMITS as L  # imports nothing heavy

    p = sub.add_parser(
        "pretrain", help="train a byte-level BPE tokenizer and a tiny OPT (or GPT-2) on local text, for "
                         "'llm run --model OUT' without the hub",
        description="Train a byte-level BPE tokenizer and a small causal LM from scratch on the train split of "
                    "--data and save both with save_pretrained into --out, so that 'collapse llm run --model OUT "
                    "--data DATA' runs the paper's protocol on real text without the Hugging Face hub. Rerunning "
                    "the same command keeps the finished model; other options on the same --out are refused "
                    "(--force starts over).")
    p.add_argument("--data", type=real_data_arg, metavar="DATA", required=True,
                   help="a local WikiText-2 folder holding wiki.{train,valid,test}.{raw,tokens} (or one of them, cut "
                        "80/10/10 as 'llm run' cuts it), one UTF-8 text file, or 'wikitext' (the hub); only the "
                        "train split is trained on")
    add_option(p, "out", default=None, required=True,
               note="the model folder written (config.json last, with the tokenizer and pretrain.json)")
    p.add_argument("--arch", choices=("opt", "gpt2"), default="opt",
                   help="opt (default): OPT's shape and tokenizer files, </s> before every line as facebook/opt-125m; "
                        "gpt2: GPT-2's, no special tokens per line")

    def sized(flag: str, name: str, text: str) -> None:
        p.add_argument(flag, type=IntRange(*L[name]), metavar="N", default=None, dest=name, help=text)

    sized("--vocab-size", "vocab_size", "tokenizer vocabulary, byte symbols and special tokens included (default 4096)")
    sized("--hidden", "hidden_size", "hidden size of the model (default 128)")
    sized("--layers", "layers", "transformer layers (default 2)")
    sized("--heads", "heads", "attention heads, a divisor of --hidden (default 4)")
    sized("--context", "context", "positions the model knows; 'llm run' needs --block-size + --new-tokens of them, "
                                  "128 for the paper's 64 + 64 (default 256)")
    sized("--block-size", "block_size", "tokens per training block, at most --context (default 64)")
    sized("--epochs", "epochs", "passes over the train split (default 2)")
    sized("--batch-size", "batch_size", "blocks per optimiser step (default 32)")
    sized("--max-lines", "max_lines", "read only the first N lines of the train and valid splits; 0: all (default 0)")
    p.add_argument("--lr", type=FloatRange(0, MAX_LR, low_open=True), default=None,
                   help=f"AdamW learning rate, in (0, {MAX_LR:g}], cosine-annealed per step to a tenth of it "
                        "(default 1e-3)")
    add(p, "seed")
    _add_device(p)
    _add_dtype(p, "fp32")
    p.add_argument("--threads", type=IntRange(0, MAX_THREADS), default=1,
                   help=f"torch CPU threads, 0..{MAX_THREADS}; 0: torch's default (default 1: a small model's "
                        "matrices gain little from threads and lose much on a shared machine)")
    add(p, "force", "quiet", "json")
    p.set_defaults(func=_pretrain)


def _pretrain(args: argparse.Namespace) -> int:
    from collapse.llm.pretrain import PretrainConfig, pretrain

    given = dict(arch=args.arch, vocab_size=args.vocab_size, hidden_size=args.hidden_size, layers=args.layers,
                 heads=args.heads, context=args.context, block_size=args.block_size, epochs=args.epochs,
                 batch_size=args.batch_size, lr=args.lr, max_lines=args.max_lines, dtype=args.dtype)
    try:
        cfg = PretrainConfig(data=args.data, seed=args.seed, **{k: v for k, v in given.items() if v is not None})
        log = pretrain(cfg, args.out, device=args.device, progress=not args.quiet, force=args.force,
                       threads=args.threads)
    except InvalidArgument as exc:
        raise _as_option(exc, PRETRAIN_OPTION_OF) from None
    if args.json:
        print(json.dumps({k: log[k] for k in ("model", "vocab", "train_blocks", "valid_blocks", "history", "note",
                                              "use", "resumed", "seed")}, indent=2, default=str))
    else:
        h = log["history"]
        print(f"model: {args.out} ({log['model']}{'; already complete' if log['resumed'] else ''}); validation "
              f"loss {h['valid_loss'][h['best_epoch']]:.3f} (epoch {h['best_epoch'] + 1}); run the protocol on it "
              f"with: {log['use']}")
    return 0


def _add_device(p) -> None:
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                   help="where torch runs: auto (default) takes cuda when a GPU is visible, else cpu")


def _add_protocol_options(r) -> None:
    """What the experiment does (its config): each overrides the preset's value (ranges: collapse.llm.limits)."""
    add_option(r, "generations", default=None, minimum=1, maximum=LIMITS["generations"],
               note="each generation of each chain fine-tunes and saves a model", default_text="the preset's")
    r.add_argument("--seeds", type=IntRange(1, LIMITS["seeds"]),
                   help=f"number of runs (seeds 0..n-1), 1..{LIMITS['seeds']} (default: the preset's)")
    r.add_argument("--decoding", type=decoding_arg, metavar="LIST",
                   help="also run setting no-data-kept with each of these decodings (its own setting, "
                        "decoding-NAME): beamB, greedy, sample, tempT, topkK, toppP, e.g. beam5,greedy,sample,"
                        "temp0.7,topk20,topp0.9; beam search of --num-beams is no-data-kept itself (default: none)")
    r.add_argument("--settings", type=settings_arg, metavar="NAMES",
                   help="comma-separated subset of: no-data-kept,10pct-kept,repetition-penalty (default: all three)")
    r.add_argument("--block-size", type=IntRange(2, LIMITS["block_size"]),
                   help=f"tokens per block: the training sequences and the prompts, 2..{LIMITS['block_size']} (OPT's "
                        "positions); with --new-tokens within the model's context (paper 64)")
    r.add_argument("--new-tokens", type=IntRange(1, LIMITS["new_tokens"]),
                   help=f"tokens each model writes after every prompt, 1..{LIMITS['new_tokens']}; equal to "
                        "--block-size when there is more than one generation, as the continuations are the next "
                        "generation's training blocks (default: --block-size if given, else the preset's; paper 64)")
    r.add_argument("--num-beams", type=IntRange(1, LIMITS["num_beams"]),
                   help=f"beam-search width, 1..{LIMITS['num_beams']} (paper 5)")
    r.add_argument("--lr", type=FloatRange(0, MAX_LR, low_open=True),
                   help=f"AdamW learning rate, in (0, {MAX_LR:g}] (paper 2e-5; offline presets 1e-3)")
    r.add_argument("--min-lr", type=FloatRange(0, MAX_LR),
                   help=f"end of the cosine schedule, in [0, {MAX_LR:g}] and at most --lr (paper 1e-6; offline "
                        "presets 1e-5)")
    r.add_argument("--weight-decay", type=FloatRange(0, MAX_WEIGHT_DECAY),
                   help=f"AdamW weight decay, in [0, {MAX_WEIGHT_DECAY:g}] (default 0.01, torch's)")
    r.add_argument("--schedule", choices=("epoch", "step"), help="cosine annealed per epoch (release) or per step")
    r.add_argument("--batch-size", type=IntRange(1, MAX_BATCH_SIZE),
                   help=f"training batch size in blocks, 1..{MAX_BATCH_SIZE}; a batch that cannot fit in memory is "
                        "refused before the run starts (paper 128)")
    r.add_argument("--max-blocks", type=IntRange(0, LIMITS["max_blocks"]),
                   help=f"use only the first N blocks of every split, 0..{LIMITS['max_blocks']} (0: all)")


def _register_figures(g) -> None:
    f = g.add_parser("llm", help="Fig. 1b/1c, the repetition ablation, ground truth, Example 1",
                     description="Draw the language-model figures from the run folder of 'collapse llm run'.")
    add_option(f, "out", default=DEFAULT_OUT, use="in_dir",
               note="the one 'collapse llm run' wrote: reads OUT/run.json, OUT/data and OUT/runs")
    add_option(f, "figures_dir", default=None, default_text="OUT/figures")
    add(f, "json")
    f.set_defaults(func=_figures)


def _register_bench(g) -> None:
    b = g.add_parser("llm", help="training / beam-search tokens per second; batched vs one-at-a-time",
                     description="Throughput of the tiny stand-in on this machine, and the speed-up "
                                 "of batched beam search over one prompt at a time (target >= 5x).")
    b.add_argument("--prompts", type=IntRange(1, MAX_PROMPTS), default=64,
                   help=f"prompts in the batched run, 1..{MAX_PROMPTS} (default 64)")
    _add_device(b)
    b.add_argument("--save", type=PathArg("out_file"), default=None, metavar="FILE.json",
                   help="also save the numbers, with the run's metadata, as JSON here")
    b.add_argument("--paper", action="store_true",
                   help="measure a random model of OPT-125m's shape instead and estimate the time of one generation "
                        "of the paper's protocol on this device")
    add(b, "json")
    b.set_defaults(func=_bench)


def _run(args: argparse.Namespace) -> int:
    try:
        cfg, rt = _config(args)
        from collapse.llm.experiment import run
        from collapse.llm.model import check_dtype, precision, resolve_device

        check_dtype(cfg.dtype, resolve_device(rt.device))
        with precision(cfg.dtype):  # beam search and scoring; training takes it from the config
            path = run(cfg, args.out, rt, force=args.force)
    except InvalidArgument as exc:
        raise _as_option(exc) from None
    from collapse.llm.distributed import env_rank

    if env_rank() != 0:  # under torchrun / accelerate launch every rank gets here
        return 0
    if args.json:
        from collapse.core.runner import read_result

        print(json.dumps({"summary": str(path), "rows": read_result(path).get("rows", [])}, indent=2))
    else:
        print(f"results: {path.parent} ({path.with_suffix('.csv').name}); draw them with: "
              f"collapse figures llm --out {path.parent}")
    return 0


def _config(args: argparse.Namespace):
    """The experiment's config and runtime from the options (InvalidArgument names the config's field)."""
    from collapse.llm.config import PAPER_SETTINGS, preset
    from collapse.llm.experiment import Runtime

    if args.quick and args.preset not in (None, "quick"):
        raise InvalidArgument("--preset", "no other preset with --quick (the quick preset)", args.preset)
    # a real model without --preset gets the paper's hyperparameters (lr 2e-5, batch 128, fp32), not the offline ones
    real = args.model is not None and args.model != "synthetic"
    name = args.preset or ("quick" if args.quick else ("paper" if real else "offline"))
    overrides = dict(model=args.model, data=args.data, generations=args.generations, block_size=args.block_size,
                     new_tokens=args.new_tokens, num_beams=args.num_beams, lr=args.lr, min_lr=args.min_lr,
                     weight_decay=args.weight_decay, schedule=args.schedule, batch_size=args.batch_size,
                     max_blocks=args.max_blocks, dtype=args.dtype)
    if args.block_size and not args.new_tokens:  # a generation's continuations are the next one's blocks
        overrides["new_tokens"] = args.block_size
    if args.model and not args.data:
        overrides["data"] = "synthetic" if args.model == "synthetic" else "wikitext"
    if args.seeds:
        overrides["seeds"] = tuple(range(args.seeds))
    if args.settings:
        overrides["settings"] = tuple(next(s for s in PAPER_SETTINGS if s.name == n) for n in args.settings)
    if args.decoding:
        from collapse.llm.config import decoding_settings

        base = overrides.get("settings") or preset(name).settings
        overrides["settings"] = tuple(base) + decoding_settings(args.decoding, args.num_beams or 5)
    cfg = preset(name, **overrides)
    threads = args.threads if args.threads is not None else (1 if cfg.model == "synthetic" else 0)
    workers = args.workers
    if not workers:
        import os

        on_cpu = args.device == "cpu" or (args.device == "auto" and not _cuda_visible())
        workers = max(1, os.cpu_count() or 1) if cfg.model == "synthetic" and on_cpu else 1
    rt = Runtime(device=args.device, gen_batch_size=args.gen_batch_size, progress=not args.quiet,
                 threads=threads, workers=workers)
    return cfg, rt


def _cuda_visible() -> bool:
    import torch

    return torch.cuda.is_available()


def _figures(args: argparse.Namespace) -> int:
    from collapse.figures.llm import claims, draw_all

    try:
        files = draw_all(args.out, args.figures_dir or args.out / "figures")
        verdicts, note = claims(args.out)
    except InvalidArgument as exc:
        raise _as_option(exc) from None
    if args.json:
        print_files(files, True, claims=verdicts, claims_note=note)
        return 0
    print_files(files, False)
    print("\nThe claims of Fig. 1 and of the repetition ablation, on this run's data:")
    for v in verdicts:
        print(f"  {v['claim']}: {v['status'].upper()} -- {v['numbers']}" + (f"; why: {v['why']}" if v.get("why") else ""))
    print("  " + note)
    return 0


def _bench(args: argparse.Namespace) -> int:
    try:
        return _bench_run(args)
    except InvalidArgument as exc:
        raise _as_option(exc) from None


def _bench_run(args: argparse.Namespace) -> int:
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
