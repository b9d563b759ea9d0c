"""``collapse reproduce``: the toolkit's main job."""

from __future__ import annotations

from pathlib import Path

from collapse.commands._args import PathArg
from collapse.commands._options import add, add_option
from collapse.commands.llm import data_arg, model_arg


def register(top, groups) -> None:
    p = top.add_parser(
        "reproduce", help="verify every claim and draw every figure into one run folder (resumable)",
        description="Verify the paper's claims and regenerate its figures into --out. Rerunning resumes: "
                    "finished parts are kept.")
    scale = p.add_mutually_exclusive_group()
    scale.add_argument("--quick", dest="scale", action="store_const", const="quick",
                       help="embedded defaults, no downloads (default)")
    scale.add_argument("--full", dest="scale", action="store_const", const="full",
                       help="the paper's sizes and thorough verification")
    p.set_defaults(scale="quick")
    add_option(p, "out", default=None, default_text="runs/<scale>")
    p.add_argument("--mnist", type=PathArg("in_dir"), default=None,
                   help="folder with the MNIST idx files (--full VAE)")
    p.add_argument("--model", type=model_arg, default=None, metavar="MODEL",
                   help="--full language model: hub id or local model folder (default facebook/opt-125m)")
    p.add_argument("--data", type=data_arg, default=None, metavar="DATA",
                   help="--full WikiText-2: 'wikitext' (hub) or a local folder")
    add(p, "force", "seed", "json")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from collapse.reproduce import reproduce

    options = {k: v for k, v in (("mnist", args.mnist), ("model", args.model), ("data", args.data)) if v}
    out = args.out or Path("runs") / args.scale
    if not args.json:
        return reproduce(out, args.scale, args.seed, force=args.force, **options)
    import contextlib
    import sys

    with contextlib.redirect_stdout(sys.stderr):  # stdout is the JSON alone
        code = reproduce(out, args.scale, args.seed, force=args.force, **options)
    _print_json(out, args.scale, args.seed, options)
    return code


def _print_json(out: Path, scale: str, seed: int, options: dict) -> None:
    """The part statuses (from OUT/parts/*.json) and the report paths, as one JSON object."""
    import json

    from collapse.core.runner import read_result
    from collapse.reproduce import parts

    records = {}
    for part in parts(scale, seed, options):
        path = out / "parts" / f"{part.name}.json"
        rec = read_result(path) if path.exists() else {"status": "missing"}
        rec = rec if isinstance(rec, dict) else {"status": "damaged"}
        records[part.name] = {k: rec[k] for k in ("status", "seconds", "files", "error") if k in rec}
    print(json.dumps({"run_folder": str(out), "parts": records,
                      "report": {"html": str(out / "report.html"), "md": str(out / "report.md")}}, indent=2))
