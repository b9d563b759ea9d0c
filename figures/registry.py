"""Discovery of figure modules: every ``figures/<name>.py`` with a ``FIGURES`` list."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from collapse.core.discover import submodules


@dataclasses.dataclass(frozen=True)
class FigureSpec:
    """A paper figure.

    name      short id used on the command line (``collapse figures NAME``);
    title     what it shows;
    paper     where the paper shows it;
    command   the command that makes it from scratch;
    draw      ``draw(results_dir, out_dir) -> list[Path]`` writing PNG and PDF files;
    results   the results file (relative to results_dir) that ``draw`` reads;
    describe  ``describe(results_dir) -> Description``: what the paper shows at that
              place, what this run shows, and the numbers to set side by side.
    """

    name: str
    title: str
    paper: str
    command: str
    draw: Callable[[Path, Path], list[Path]]
    results: str = ""
    describe: "Callable[[Path], Description] | None" = None


@dataclasses.dataclass(frozen=True)
class Number:
    """One of the paper's reported numbers beside this run's (``scale``: "same" or "reduced")."""

    quantity: str
    paper: str
    run: str
    scale: str
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Description:
    paper: str
    run: str
    numbers: tuple[Number, ...] = ()


def all_figures() -> dict[str, FigureSpec]:
    from collapse import figures

    found: dict[str, FigureSpec] = {}
    for mod in submodules(figures, skip=("registry", "style")):
        for spec in getattr(mod, "FIGURES", []):
            found[spec.name] = spec
    return found
