"""``collapse simulate regression``: least squares on labels of the previous generation's model."""

from __future__ import annotations

from collapse.commands._args import FloatRange
from collapse.commands._families import add_common, simulate
from collapse.commands._options import add_option


def register(top, groups) -> None:
    p = groups["simulate"].add_parser(
        "regression", help="OLS refitted on its own labels (replace, accumulate, or mixed with real data)",
        description="Fixed Gaussian design; labels are the previous model's predictions plus noise. "
                    "Under mix:ALPHA,BETA,GAMMA the model's and the real data's shares are uniform subsets of the "
                    "design's rows. Saves the in-sample excess risk per chain and generation.")
    add_common(p, name="regression", generations=50, chains=1000)
    add_option(p, "samples", default=64, minimum=2, note="rows of the fixed design, more than --dim")
    add_option(p, "dim", default=8, note="number of features")
    p.add_argument("--noise", type=FloatRange(0, 1e6, low_open=True), default=1.0,
                   help="standard deviation sigma of the label noise, in (0, 10^6] (default 1.0)")
    p.set_defaults(func=_simulate)


def _simulate(args) -> int:
    from collapse.core.validation import InvalidArgument
    from collapse.simulate.experiments.chains import RegressionExperiment, regression_name
    from collapse.simulate.loop import Regime

    if args.samples <= args.dim:
        raise InvalidArgument("--samples", f"more than --dim ({args.dim})", args.samples)
    n_model, _, n_real = Regime.parse(args.regime).shares(args.samples)
    if max(n_model, n_real) < args.dim:  # the mix regime's shares: one must hold d distinct rows of the design
        raise InvalidArgument("--samples", f"a design whose model share or real-data share under --regime "
                              f"{args.regime} holds at least --dim ({args.dim}) rows (they hold {n_model} and "
                              f"{n_real})", args.samples)
    cfg = RegressionExperiment(args.chains, args.samples, args.dim, args.noise, args.generations, args.regime,
                               args.seed)
    return simulate(args, regression_name(cfg), cfg)
