"""``collapse simulate kde``: Gaussian-kernel density estimates refitted on their samples."""

from __future__ import annotations

from collapse.commands._args import FloatRange
from collapse.commands._families import add_common, simulate
from collapse.commands._options import add


def register(top, groups) -> None:
    p = groups["simulate"].add_parser("kde", help="fixed-bandwidth Gaussian KDE chain from N(0, 1)")
    add_common(p, name="kde", generations=200, chains=256)
    add(p, "samples", samples=100)
    p.add_argument("--bandwidth", type=FloatRange(0, 1000, low_open=True), default=0.1,
                   help="kernel bandwidth h, in (0, 1000] (p_0 = N(0, 1); default 0.1)")
    p.set_defaults(func=_simulate)


def _simulate(args) -> int:
    from collapse.simulate.experiments.chains import KDEExperiment

    cfg = KDEExperiment(args.chains, args.samples, args.generations, args.bandwidth, args.regime, args.seed)
    return simulate(args, "kde", cfg)
