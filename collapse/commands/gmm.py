"""``collapse simulate|figures|bench gmm``: the Supplementary Material's Gaussian-mixture chain."""

from __future__ import annotations

from collapse.commands._args import FloatRange, IntRange
from collapse.commands._families import add_common, add_figure, print_report, simulate
from collapse.commands._options import add, add_option


def register(top, groups) -> None:
    p = groups["simulate"].add_parser(
        "gmm", help="2-component Gaussian mixtures refitted by batched EM (Supplementary Material)",
        description="1000 points from a 2-D isotropic blob; a 2-component full-covariance mixture is "
                    "fitted by EM (tol 1e-5, up to 2000 iterations) and resampled each generation. "
                    "Resumable: rerun the same command after an interruption.")
    add_common(p, name="gmm", generations=2000, chains=8)
    add_option(p, "samples", default=1000, minimum=2, note="points drawn from the fitted mixture")
    p.add_argument("--tol", type=FloatRange(0, 1, low_open=True), default=1e-5,
                   help="EM tolerance, in (0, 1] (default 1e-5)")
    p.add_argument("--max-iter", type=IntRange(1, 10 ** 5), default=2000,
                   help="EM iterations at most, 1 .. 10^5 (default 2000)")
    p.set_defaults(func=_simulate)

    add_figure(groups, "gmm", "scatter panels and L2 distance to generation 0 (log scale)")

    p = groups["bench"].add_parser("gmm", help="batched EM vs a loop of scikit-learn fits")
    add(p, "chains", chains=64)
    add_option(p, "generations", default=3, minimum=1)
    p.add_argument("--reference-chains", type=IntRange(1, 10 ** 4), default=16,
                   help="chains fitted one by one with scikit-learn for the reference timing, 1 .. 10^4 "
                        "(default 16)")
    add(p, "seed", "json")
    p.set_defaults(func=_bench)


def _simulate(args) -> int:
    from collapse.simulate.experiments.gmm import GMMExperiment

    cfg = GMMExperiment(args.chains, args.samples, args.generations, tol=args.tol, max_iter=args.max_iter,
                        regime=args.regime, seed=args.seed)
    return simulate(args, "gmm", cfg)


def _bench(args) -> int:
    from collapse.simulate.bench.families import bench_gmm

    print_report(bench_gmm(args.chains, 1000, args.generations, args.reference_chains, args.seed), args.json)
    return 0
