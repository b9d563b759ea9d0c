"""``collapse simulate regression``: least squares on labels of the previous generation's model."""

from __future__ import annotations

from collapse.commands._args import int_at_least, positive_float
from collapse.commands._families import add_common, simulate


def register(top, groups) -> None:
    p = groups["simulate"].add_parser(
        "regression", help="OLS refitted on its own labels (accumulate vs replace)",
        description="Fixed Gaussian design; labels are the previous model's predictions plus noise. "
                    "Saves the in-sample excess risk per chain and generation.")
    add_common(p, name="regression", generations=50, chains=1000)
    p.add_argument("--samples", "-n", type=int_at_least(2), default=64)
    p.add_argument("--dim", "-d", type=int_at_least(1), default=8)
    p.add_argument("--noise", type=positive_float, default=1.0)
    p.set_defaults(func=_simulate)


def _simulate(args) -> int:
    from collapse.core.validation import InvalidArgument
    from collapse.simulate.experiments.chains import RegressionExperiment, regression_name

    if args.samples <= args.dim:
        raise InvalidArgument("--samples", f"more than --dim ({args.dim})", args.samples)
    cfg = RegressionExperiment(args.chains, args.samples, args.dim, args.noise, args.generations, args.regime,
                               args.seed)
    return simulate(args, regression_name(cfg), cfg)
