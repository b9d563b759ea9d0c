"""``collapse reproduce``: the toolkit's main job."""

from __future__ import annotations

from pathlib import Path

from collapse.commands._options import add, add_option


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
    p.add_argument("--mnist", type=Path, default=None, help="folder with the MNIST idx files (--full VAE)")
    p.add_argument("--model", default=None, help="--full language model: hub id or local directory (facebook/opt-125m)")
    p.add_argument("--data", default=None, help="--full WikiText-2: 'wikitext' (hub) or a local directory")
    add(p, "force", "seed", "json")
    p.set_defaults(func=_run)


def _run(args) -> int:
    from collapse.reproduce import reproduce

    from collapse.core.validation import InvalidArgument

    if args.mnist is not None and not args.mnist.is_dir():
        raise InvalidArgument("--mnist", "a folder with the MNIST idx files", str(args.mnist))
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

    from collapse.reproduce import parts

    records = {}
    for part in parts(scale, seed, options):
        path = out / "parts" / f"{part.name}.json"
        rec = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"status": "missing"}
        records[part.name] = {k: rec[k] for k in ("status", "seconds", "files", "error") if k in rec}
    print(json.dumps({"run_folder": str(out), "parts": records,
                      "report": {"html": str(out / "report.html"), "md": str(out / "report.md")}}, indent=2))
