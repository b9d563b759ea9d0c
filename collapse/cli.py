"""The ``collapse`` command line.

Commands are discovered, not listed: every public module in :mod:`collapse.commands`
defines ``register(top, groups)``; ``top`` is the top-level subparsers object
(``collapse verify``, ``collapse reproduce``, ``collapse llm``...) and ``groups``
maps the two-level commands (``theory``, ``simulate``, ``figures``, ``bench``)
to their subparsers, so ``collapse theory gaussian`` is added by the gaussian
module and ``collapse figures gmm`` by the gmm one. Command modules import
nothing heavy at module level: the handler imports what it needs when it runs,
so ``collapse --help`` starts in a fraction of a second.

A handler returns an exit status. :class:`collapse.core.validation.InvalidArgument`
becomes ``collapse: error: <message>`` and exit status 2, never a traceback; so does a
missing module of an optional extra (:data:`EXTRAS`), with the pip command that installs
it. The options common to many commands (``--seed``, ``--out``, ``--json``...) are defined
once, in :mod:`collapse.commands._options`.
"""

from __future__ import annotations

import argparse
import sys

from collapse import __version__
from collapse.core.validation import InvalidArgument

GROUPS = {
    "theory": "closed-form values of the paper's quantities at your parameters",
    "simulate": "simulate a model family's generational chain and save the results",
    "figures": "draw a paper figure from saved results (see --list)",
    "bench": "benchmarks, reported as speed ratios against a reference in the same run",
}

#: top-level module -> the optional extra of pyproject.toml that installs it
EXTRAS = {
    "torch": "llm", "transformers": "llm", "tokenizers": "llm", "safetensors": "llm", "datasets": "llm",
    "huggingface_hub": "llm",
    "dask": "sweep", "distributed": "sweep",
}


def build_parser() -> argparse.ArgumentParser:
    from collapse.commands._args import Parser

    parser = Parser(
        prog="collapse",
        description=(
            "Executable companion to Shumailov et al., 'AI models collapse when trained on "
            "recursively generated data' (Nature 2024): verify the paper's claims, simulate its "
            "chains, regenerate its figures."
        ),
    )
    parser.add_argument("--version", action="version", version=f"collapse-toolkit {__version__}")
    top = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    groups = {}
    for name, help_ in GROUPS.items():
        p = top.add_parser(name, help=help_, description=help_)
        groups[name] = p.add_subparsers(dest=f"{name}_target", metavar="TARGET", required=name != "figures")
        groups[name].parser = p  # lets a module add group-level options (figures --list)
    import collapse.commands as commands
    from collapse.core.discover import submodules

    for mod in submodules(commands):  # helpers such as _args are private
        mod.register(top, groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.parse_args([args.command, "--help"])
    try:
        return int(args.func(args) or 0)
    except InvalidArgument as exc:
        print(f"collapse: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        extra, module = _missing_extra(exc)
        if extra is None:
            raise
        print(f"collapse: error: {_command(parser, args)} needs the '{extra}' extra: "
              f"pip install 'collapse-toolkit[{extra}]' (missing module {module})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("collapse: interrupted; finished results are kept, rerun the command to resume", file=sys.stderr)
        return 130


def _missing_extra(exc: ModuleNotFoundError) -> tuple[str | None, str]:
    """(extra, module) when ``exc`` is an optional extra's module that is not installed, else (None, name)."""
    import importlib.util

    module = (exc.name or "").partition(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None, module
    try:
        installed = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken one
        installed = False
    return (None if installed else extra), module  # installed: a broken install, keep the traceback


def _command(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The subcommand that ran, as typed: ``llm run``, ``simulate vae``."""
    words = []
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        name = getattr(args, subs[0].dest, None) if subs else None
        if name is None:
            return " ".join(words) or parser.prog
        words.append(name)
        parser = subs[0].choices[name]


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
