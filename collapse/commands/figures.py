"""``collapse figures --list``: every paper figure and the command that makes it."""

from __future__ import annotations


def register(top, groups) -> None:
    p = groups["figures"].parser
    p.add_argument("--list", action="store_true", help="name every figure with the command that makes it")
    p.set_defaults(func=_list)


def _list(args) -> int:
    from collapse.figures.registry import all_figures

    if not args.list and args.figures_target is None:
        print("collapse figures: name a figure, or --list to see them all")
        return 2
    for spec in all_figures().values():
        print(f"{spec.name:<12} {spec.title}\n{'':<12} paper: {spec.paper}\n{'':<12} make:  {spec.command}")
    return 0
