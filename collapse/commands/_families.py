"""Shared helpers of the family command modules (discrete, gmm, kde, regression, vae)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from collapse.commands._args import add_seed, int_at_least, path_arg

#: regime names accepted on the command line (mix takes weights: mix:ALPHA,BETA,GAMMA)
REGIME_HELP = ("data regime: replace (default), accumulate, accumulate-subsample, or "
               "mix:ALPHA,BETA,GAMMA (the paper's p_{i+1} = alpha p_theta + beta p_i + gamma p_0)")


def regime_arg(text: str) -> str:
    """argparse type: validate a regime string (exit status 2 on a bad one)."""
    from collapse.simulate.loop import Regime

    from collapse.core.validation import InvalidArgument

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
    p.add_argument("--out", type=path_arg, default=Path(f"runs/{name}"), help=f"run folder (default runs/{name})")
    add_force(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_seed(p)


def add_force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="start over: delete what an earlier run of this experiment wrote into the run folder "
                        "(without it, a rerun resumes, and one with another configuration is refused)")


def simulate(args, name: str, config) -> int:
    """Run (or resume) experiment ``config`` as ``name`` in ``args.out``; print the result's path."""
    from collapse.simulate.experiments import run_experiment

    path = run_experiment(args.out, name, config, force=args.force, progress=not getattr(args, "quiet", False))
    print(f"results: {path}")
    return 0


def add_figure(groups, name: str, help_: str, func=None) -> None:
    p = groups["figures"].add_parser(name, help=help_, description=help_)
    p.add_argument("--run", type=Path, default=Path(f"runs/{name}"),
                   help=f"run folder (default runs/{name}); the quick experiment is simulated first when "
                        "its results are missing")
    add_seed(p)
    p.set_defaults(func=func or draw, figure=name)


def draw(args) -> int:
    """Draw figure ``args.figure`` from ``args.run/results`` (running its default experiments if missing)."""
    from collapse.figures.registry import all_figures
    from collapse.simulate.experiments import run_figure

    spec = all_figures()[args.figure]
    results = args.run / "results"
    if not (results / spec.results).exists():
        print(f"no results in {results}; running the default experiment first", file=sys.stderr)
        run_figure(args.run, args.figure, args.seed, progress=True)
    for path in spec.draw(results, args.run / "figures"):
        print(path)
    return 0


def print_report(report: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    for k, v in report.items():
        print(f"{k:<45} {v:.4g}" if isinstance(v, float) else f"{k:<45} {v}")
