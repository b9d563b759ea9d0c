"""``collapse simulate regression``: least squares on labels of the previous generation's model."""

from __future__ import annotations

from collapse.commands._args import positive_float
from collapse.commands._families import add_common, simulate
from collapse.commands._options import add_option


def register(top, groups) -> None:
    p = groups["simulate"].add_parser(
        "regression", help="OLS refitted on its own labels (accumulate vs replace)",
        description="Fixed Gaussian design; labels are the previous model's predictions plus noise. "
                    "Saves the in-sample excess risk per chain and generation.")
    add_common(p, name="regression", generations=50, chains=1000)
    add_option(p, "samples", default=64, minimum=2, note="rows of the fixed design, more than --dim")
    add_option(p, "dim", default=8, note="number of features")
    p.add_argument("--noise", type=positive_float, default=1.0,
                   help="standard deviation sigma of the label noise (default 1.0)")
    p.set_defaults(func=_simulate)


def _simulate(args) -> int:
    from collapse.core.validation import InvalidArgument
    from collapse.simulate.experiments.chains import RegressionExperiment, regression_name

    if args.samples <= args.dim:
        raise InvalidArgument("--samples", f"more than --dim ({args.dim})", args.samples)
    cfg = RegressionExperiment(args.chains, args.samples, args.dim, args.noise, args.generations, args.regime,
                               args.seed)
    return simulate(args, regression_name(cfg), cfg)
