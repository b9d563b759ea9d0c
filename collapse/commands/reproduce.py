"""``collapse reproduce``: the toolkit's main job."""

from __future__ import annotations

from pathlib import Path

from collapse.commands._args import add_seed, path_arg
from collapse.commands._families import add_force


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
    p.add_argument("--out", type=path_arg, default=None, help="run folder (default runs/<scale>)")
    p.add_argument("--mnist", type=Path, default=None, help="folder with the MNIST idx files (--full VAE)")
    p.add_argument("--model", default=None, help="--full language model: hub id or local directory (facebook/opt-125m)")
    p.add_argument("--data", default=None, help="--full WikiText-2: 'wikitext' (hub) or a local directory")
    add_force(p)
    add_seed(p)
    p.set_defaults(func=_run)


def _run(args) -> int:
    from collapse.reproduce import reproduce

    from collapse.core.validation import InvalidArgument

    if args.mnist is not None and not args.mnist.is_dir():
        raise InvalidArgument("--mnist", "a folder with the MNIST idx files", str(args.mnist))
    options = {k: v for k, v in (("mnist", args.mnist), ("model", args.model), ("data", args.data)) if v}
    return reproduce(args.out or Path("runs") / args.scale, args.scale, args.seed, force=args.force, **options)
