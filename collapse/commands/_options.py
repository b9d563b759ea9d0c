"""The command line's common options, defined once.

Every subcommand adds these through :func:`add` (or :func:`add_option`, for a per-command
minimum, note or destination), so ``--seed``, ``--out``, ``--json``, ``--quiet``,
``--chains``, ``--generations``, ``--samples``... have the same flags, meaning, default and
help everywhere. A command passes only what is its own: the default of an option whose
default is per command (the run folder, the number of generations), a larger minimum
(M >= 2 where a variance is estimated), a note appended to the help.

``tests/cli/test_conventions.py`` walks every parser and fails on an option that departs
from this table, on an old spelling from :data:`OLD_SPELLINGS`, on a short flag that means
two things, on an option without help and on a subcommand without ``--json``.

=================  ==================  ==========  ===========================  ======================================
option             flags               default     accepted                     meaning
=================  ==================  ==========  ===========================  ======================================
seed               --seed              20240724    0 .. 2^32 - 1                root seed; streams from SeedSequence(seed)
out                --out, -o           per command a folder it can write        the run folder (read by figures)
json               --json              off                                      print the result as JSON on stdout
quiet              --quiet, -q         off                                      no progress bars
force              --force             off                                      start over instead of resuming
chains             --chains, -c        per command 1 .. 10^7                    independent chains
generations        --generations, -n   per command 0 .. 10^6                    number of generations n
samples            --samples, -M       per command 1 .. 10^9                    sample size M per generation
dim                --dim, -d           per command 1 .. 10^4                    dimension d
figures_dir        --figures-dir       per command a folder it can write        where figures go (default OUT/figures)
=================  ==================  ==========  ===========================  ======================================

A command may narrow a range (``minimum=2`` where a variance is estimated, a smaller
``maximum`` where the work grows faster than linearly); the simulations also refuse, before
any work, a run whose memory estimate does not fit this machine
(:func:`collapse.core.validation.check_memory`).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from collapse.commands._args import IntRange, PathArg

__all__ = ["OPTIONS", "OLD_SPELLINGS", "Option", "PER_COMMAND", "add", "add_option", "help_text"]


class _PerCommand:
    def __repr__(self) -> str:
        return "PER_COMMAND"


#: the default of an option that each command sets (``add(p, "out", out=Path("runs/gmm"))``)
PER_COMMAND: Any = _PerCommand()
_UNSET: Any = object()


@dataclasses.dataclass(frozen=True)
class Option:
    """One common option: its flags (long first), help, default and value type."""

    flags: tuple[str, ...]
    help: str
    default: Any = PER_COMMAND
    #: integer options: the smallest value accepted (a command may ask for a larger one)
    minimum: int | None = None
    #: integer options: the largest value accepted (a command may ask for a smaller one)
    maximum: int | None = None
    #: a path option's use (see :class:`collapse.commands._args.PathArg`); a command may say "in_dir"
    path: str | None = None
    flag: bool = False  # on/off (store_true)
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.flags[0].lstrip("-").replace("-", "_")

    @property
    def short(self) -> tuple[str, ...]:
        return tuple(f for f in self.flags if not f.startswith("--"))


OPTIONS: dict[str, Option] = {
    "seed": Option(("--seed",), "root seed; independent streams come from SeedSequence(seed).spawn",
                   default=20240724, minimum=0, maximum=2 ** 32 - 1),
    "out": Option(("--out", "-o"), "run folder", path="out_dir", metavar="DIR"),
    "json": Option(("--json",), "print the result as JSON on stdout (messages go to stderr)",
                   default=False, flag=True),
    "quiet": Option(("--quiet", "-q"), "no progress bars", default=False, flag=True),
    "force": Option(("--force",), "start over: delete what an earlier run of this experiment wrote into the run "
                                  "folder (without it, a rerun resumes, and one with another configuration is "
                                  "refused)", default=False, flag=True),
    "chains": Option(("--chains", "-c"), "independent chains, simulated together", minimum=1, maximum=10 ** 7),
    "generations": Option(("--generations", "-n"), "number of generations n", minimum=0, maximum=10 ** 6,
                          metavar="N"),
    "samples": Option(("--samples", "-M"), "sample size M per generation", minimum=1, maximum=10 ** 9,
                      metavar="M"),
    "dim": Option(("--dim", "-d"), "dimension d", minimum=1, maximum=10 ** 4, metavar="D"),
    "figures_dir": Option(("--figures-dir",), "where the figures go", path="out_dir", metavar="DIR"),
}

#: spellings these options had before, or would plausibly get: none may appear in any parser
OLD_SPELLINGS: dict[str, str] = {
    "--no-progress": "quiet", "--silent": "quiet", "--progress": "quiet",
    "--run": "out", "--results": "out", "--output": "out", "--outdir": "out", "--out-dir": "out",
    "--run-dir": "out",
    "--rows": "samples", "-T": "samples", "--sample-size": "samples", "--n-samples": "samples",
    "--num-samples": "samples",
    "--features": "dim", "--dimension": "dim",
    "--count": "samples",  # theory rates' expected count is --expected-count, not a sample size
    "--n-chains": "chains", "--num-chains": "chains",
    "--n-generations": "generations", "--num-generations": "generations", "--gens": "generations",
    "--random-seed": "seed",
}


def _shown(default: Any) -> str:
    if isinstance(default, (list, tuple)):
        return " ".join(str(v) for v in default)
    return str(default)


def help_text(name: str, *, default: Any = None, note: str | None = None, default_text: str | None = None,
              required: bool = False) -> str:
    """The help of common option ``name``: the table's text, the command's note, then its default."""
    opt = OPTIONS[name]
    text = opt.help + (f"; {note}" if note else "")
    if opt.flag or required:
        return text
    if default_text is not None:
        return f"{text} (default {default_text})"
    if default is None:
        raise TypeError(f"option {name!r}: a default of None needs default_text saying what it means")
    return f"{text} (default {_shown(default)})"


def add_option(parser: argparse.ArgumentParser, name: str, *, default: Any = _UNSET, minimum: int | None = None,
               maximum: int | None = None, use: str | None = None, note: str | None = None,
               default_text: str | None = None, dest: str | None = None, nargs: str | None = None,
               required: bool = False) -> argparse.Action:
    """Add common option ``name`` to ``parser``.

    ``default`` is required for the options whose table default is :data:`PER_COMMAND` (unless
    ``required``); ``minimum`` raises an integer option's lower bound and ``maximum`` lowers its
    upper one; ``use`` says what a path option's command does with it (``"in_dir"``: a folder
    it only reads; default the table's); ``note`` is appended to
    the help; ``default_text`` says what a default of None means; ``dest`` keeps an attribute
    name a handler reads.
    """
    opt = OPTIONS[name]
    if default is _UNSET:
        default = opt.default
    if default is PER_COMMAND:
        if not required:
            raise TypeError(f"option {name!r} has no common default: pass the command's default")
        default = None
    kwargs: dict[str, Any] = {"help": help_text(name, default=default, note=note, default_text=default_text,
                                                required=required)}
    if opt.flag:
        kwargs["action"] = "store_true"
    else:
        kwargs["default"] = default
        if opt.minimum is not None:
            low = opt.minimum if minimum is None else minimum
            high = opt.maximum if maximum is None else maximum
            if low < opt.minimum or high > opt.maximum:
                raise TypeError(f"option {name!r}: range [{low}, {high}] is wider than the table's "
                                f"[{opt.minimum}, {opt.maximum}]")
            kwargs["type"] = IntRange(low, high)
        elif opt.path:
            kwargs["type"] = PathArg(use or opt.path)
        if opt.metavar:
            kwargs["metavar"] = opt.metavar
        if nargs is not None:
            kwargs["nargs"] = nargs
        if required:
            kwargs["required"] = True
    if dest is not None:
        kwargs["dest"] = dest
    action = parser.add_argument(*opt.flags, **kwargs)
    action.common_option = name  # read by tests/cli/test_conventions.py
    return action


def add(parser: argparse.ArgumentParser, *names: str, **defaults: Any) -> None:
    """Add the common options ``names`` to ``parser``; ``defaults``: per-command defaults by option name.

    ``add(p, "generations", "chains", "out", "quiet", "seed", "json", generations=1000, chains=256,
    out=Path("runs/gaussian"))``.
    """
    unknown = set(defaults) - set(names)
    if unknown:
        raise TypeError(f"defaults for options not added: {sorted(unknown)}")
    for name in names:
        add_option(parser, name, default=defaults.get(name, _UNSET))
