"""Shared helpers of the family command modules (discrete, gmm, kde, regression, vae)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from collapse.commands._args import add_seed, int_at_least

#: regime names accepted on the command line (mix takes weights: mix:ALPHA,BETA,GAMMA)
REGIME_HELP = ("data regime: replace (default), accumulate, accumulate-subsample, or "
               "mix:ALPHA,BETA,GAMMA (the paper's p_{i+1} = alpha p_theta + beta p_i + gamma p_0)")


def regime_arg(text: str) -> str:
    """argparse type: validate a regime string (exit status 2 on a bad one)."""
    from simulate.loop import Regime

    from collapse.validation import InvalidArgument

    try:
        return str(Regime.parse(text))
    except InvalidArgument as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_common(p: argparse.ArgumentParser, *, name: str, generations: int, chains: int | None,
               regime: bool = True) -> None:
    if regime:
        p.add_argument("--regime", type=regime_arg, default="replace", help=REGIME_HELP)
    p.add_argument("--generations", type=int_at_least(1), default=generations,
                   help=f"number of generations (default {generations})")
    if chains is not None:
        p.add_argument("--chains", type=int_at_least(1), default=chains,
                       help=f"independent chains, simulated together (default {chains})")
    p.add_argument("--out", type=Path, default=Path(f"runs/{name}"), help=f"run folder (default runs/{name})")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_seed(p)


def add_figure(groups, name: str, help_: str, func) -> None:
    p = groups["figures"].add_parser(name, help=help_, description=help_)
    p.add_argument("--run", type=Path, default=Path(f"runs/{name}"),
                   help=f"run folder (default runs/{name}); the quick experiment is simulated first when "
                        "its results are missing")
    add_seed(p)
    p.set_defaults(func=func, figure=name)


def draw(args, ensure) -> int:
    """Draw figure ``args.figure`` from ``args.run/results`` (simulating the quick run if missing)."""
    from figures.registry import all_figures

    spec = all_figures()[args.figure]
    results = args.run / "results"
    if not (results / spec.results).exists():
        print(f"no results in {results}; running the quick experiment first", file=sys.stderr)
        ensure(results, args.seed)
    for path in spec.draw(results, args.run / "figures"):
        print(path)
    return 0


def print_report(report: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    for k, v in report.items():
        print(f"{k:<45} {v:.4g}" if isinstance(v, float) else f"{k:<45} {v}")
