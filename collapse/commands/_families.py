"""Shared helpers of the family command modules (discrete, gaussian, gmm, kde, regression, vae)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from collapse.commands._args import TextArg
from collapse.commands._options import add, add_option

#: regime names accepted on the command line (mix, curate and weight take numbers)
REGIME_HELP = ("data regime: replace (default), accumulate, accumulate-subsample, "
               "mix:ALPHA,BETA,GAMMA (the paper's p_{i+1} = alpha p_theta + beta p_i + gamma p_0), "
               "curate:Q (a verifier keeps each model sample x with probability (p_0(x)/max p_0)^Q, "
               "Q in [0, 1]; Q = 0 is replace) or weight:W,K (M/(1+K) fresh real points and the rest from "
               "the model, refitted with total weight W in [0, 1] on the real part; K in (0, 10^6])")


def _regime(text: str) -> str:
    """A regime string in its canonical form (``InvalidArgument``, a ValueError, on a bad one)."""
    from collapse.simulate.loop import Regime

    return str(Regime.parse(text))


#: argparse type of --regime: replace, accumulate, accumulate-subsample, mix:ALPHA,BETA,GAMMA, curate:Q, weight:W,K
regime_arg = TextArg("a regime: replace, accumulate, accumulate-subsample, mix:ALPHA,BETA,GAMMA (weights >= 0 "
                     "summing to 1), curate:Q (Q in [0, 1]) or weight:W,K (W in [0, 1], K in (0, 10^6])", _regime,
                     bad=("fresh", "mix", "mix:1,1,1", "mix:a,b,c", "mix:-1,1,1", "replace:0.5", "mix:nan,0,1",
                          "curate", "curate:", "curate:1.5", "curate:-0.1", "curate:nan", "curate:inf",
                          "curate:0.5,1", "curate:x", "weight", "weight:0.5", "weight:1.5,1", "weight:-0.1,1",
                          "weight:0.5,0", "weight:0.5,-1", "weight:0.5,1e7", "weight:0.5,inf", "weight:nan,1",
                          "weight:0.5,1,2", "weight:a,b", "replace:curate"), max_length=200)


#: regime kinds a family's run refuses, with the reason (checked when --regime is parsed, before any work)
REFUSED_REGIMES = {
    "vae": {"curate": "the VAE has no tractable density of the real data for the verifier",
            "weight": "the VAE's fit takes no weights"},
    "regression": {"curate": "its candidates must be independent draws, and the fixed design's rows are not"},
}


def regime_arg_for(name: str) -> TextArg:
    """:data:`regime_arg`, less the kinds family ``name`` refuses (:data:`REFUSED_REGIMES`)."""
    refused = REFUSED_REGIMES.get(name)
    if not refused:
        return regime_arg

    def check(text: str) -> str:
        canonical = _regime(text)
        kind = canonical.partition(":")[0]
        if kind in refused:
            raise ValueError(f"{name} refuses {kind}: {refused[kind]}")
        return canonical

    kinds = ", ".join(k for k in refused)
    return TextArg(f"{regime_arg.expected}, except {kinds} for {name}", check,
                   bad=regime_arg.bad + tuple({"curate": "curate:0.5", "weight": "weight:0.5,1"}[k] for k in refused),
                   max_length=regime_arg.max_length)


def add_common(p: argparse.ArgumentParser, *, name: str, generations: int, chains: int | None,
               regime: bool = True) -> None:
    """The options of every ``collapse simulate FAMILY``: regime, generations, chains, run folder, ..."""
    if regime:
        refused = REFUSED_REGIMES.get(name, {})
        note = f" ({name}: not {' or '.join(refused)})" if refused else ""
        p.add_argument("--regime", type=regime_arg_for(name), default="replace", help=REGIME_HELP + note)
    add_option(p, "generations", default=generations, minimum=1)
    if chains is not None:
        add(p, "chains", chains=chains)
    add(p, "out", "force", "quiet", "seed", "json", out=Path(f"runs/{name}"))


def simulate(args, name: str, config) -> int:
    """Run (or resume) experiment ``config`` as ``name`` in ``args.out``; print the result's path.

    ``args.regimes`` (``simulate gaussian``'s repeatable ``--regime``), when given, replaces the
    config's ``regimes``. With ``--json``: ``{"results": path}``.
    """
    from collapse.simulate.experiments import run_experiment

    regimes = getattr(args, "regimes", None)
    if regimes and hasattr(config, "regimes"):
        config = dataclasses.replace(config, regimes=tuple(dict.fromkeys(regimes)))
    path = run_experiment(args.out, name, config, force=args.force, progress=not getattr(args, "quiet", False))
    if getattr(args, "json", False):
        print(json.dumps({"results": str(path)}))
    else:
        print(f"results: {path}")
    return 0


#: the help note of ``collapse figures NAME --out``
FIGURE_OUT_NOTE = ("reads OUT/results and writes OUT/figures; the quick experiment is simulated first when its "
                   "results are missing")


def add_figure_options(p: argparse.ArgumentParser, *, run: str) -> None:
    """The options of a ``collapse figures NAME`` drawn from a simulation run folder (default runs/RUN)."""
    add_option(p, "out", default=Path(f"runs/{run}"), note=FIGURE_OUT_NOTE)
    add_option(p, "figures_dir", default=None, default_text="OUT/figures")
    add(p, "quiet", "seed", "json")


def add_figure(groups, name: str, help_: str, func=None) -> None:
    p = groups["figures"].add_parser(name, help=help_, description=help_)
    add_figure_options(p, run=name)
    p.set_defaults(func=func or draw, figure=name)


def draw(args) -> int:
    """Draw figure ``args.figure`` from ``args.out/results`` (running its default experiments if missing)."""
    from collapse.figures.registry import all_figures
    from collapse.simulate.experiments import figure_runs, run_figure
    from collapse.simulate.experiments.results import check_readable

    spec = all_figures()[args.figure]
    results = args.out / "results"
    if not (results / spec.results).exists():
        # a result that is there but damaged is not missing: it is reported (DamagedFile, naming it)
        # before anything runs, and never overwritten by the default experiment
        for name, _ in figure_runs(args.figure, args.seed):
            if (results / f"{name}.npz").exists():
                check_readable(results / f"{name}.npz")
        print(f"no results in {results}; running the default experiment first", file=sys.stderr)
        run_figure(args.out, args.figure, args.seed, progress=not args.quiet)
    paths = spec.draw(results, args.figures_dir or args.out / "figures")
    print_files(paths, args.json)
    return 0


def print_files(paths, as_json: bool, **extra) -> None:
    """The files a command wrote: one per line, or ``{"files": [...], **extra}`` with ``--json``."""
    if as_json:
        print(json.dumps({"files": [str(p) for p in paths], **extra}))
        return
    for path in paths:
        print(path)


def print_report(report: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, indent=2))
        return
    for k, v in report.items():
        print(f"{k:<45} {v:.4g}" if isinstance(v, float) else f"{k:<45} {v}")
