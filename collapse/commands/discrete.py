"""``collapse simulate|figures|bench discrete``: the discrete chain with exact approximation."""

from __future__ import annotations

from collapse.commands._args import IntRange
from collapse.commands._families import add_common, add_figure, print_report, simulate
from collapse.commands._options import add, add_option

#: the largest number of states K accepted (the memory check refuses what does not fit before that)
MAX_STATES = 10 ** 7


def register(top, groups) -> None:
    p = groups["simulate"].add_parser(
        "discrete", help="discrete chains with exact approximation (K states, many chains at once)",
        description="Refit the empirical distribution of M draws, generation after generation; records "
                    "heterozygosity, absorption and support size (results/discrete.npz).")
    add_common(p, name="discrete", generations=1000, chains=10_000)
    p.add_argument("--states", "-K", type=IntRange(1, MAX_STATES), default=100,
                   help="number of states K, 1 .. 10^7 (default 100)")
    add(p, "samples", samples=100)
    p.add_argument("--sampler", choices=("wright-fisher", "multinomial", "literal"), default=None,
                   help="exact sampler (default wright-fisher; literal for regimes other than replace)")
    p.set_defaults(func=_simulate)

    add_figure(groups, "discrete", "absorption and heterozygosity decay against theory")

    p = groups["bench"].add_parser("discrete", help="Wright-Fisher sampler vs multinomial and literal ones")
    add(p, "chains", chains=10_000)
    p.add_argument("--states", "-K", type=IntRange(1, MAX_STATES), default=100,
                   help="number of states K, 1 .. 10^7 (default 100)")
    add(p, "samples", samples=100)
    add_option(p, "generations", default=1000, minimum=1)
    p.add_argument("--reference-chains", type=IntRange(1, 10 ** 6), default=500,
                   help="chains run by the multinomial and literal reference samplers, 1 .. 10^6 (default 500)")
    add(p, "seed", "json")
    p.set_defaults(func=_bench)


def _simulate(args) -> int:
    from collapse.simulate.experiments.chains import DiscreteExperiment

    sampler = args.sampler or ("wright-fisher" if args.regime == "replace" else "literal")
    cfg = DiscreteExperiment(args.chains, args.states, args.samples, args.generations, regime=args.regime,
                             sampler=sampler, seed=args.seed)
    return simulate(args, "discrete", cfg)


def _bench(args) -> int:
    from collapse.simulate.bench.families import bench_discrete

    print_report(bench_discrete(args.chains, args.states, args.samples, args.generations, args.reference_chains,
                                args.seed), args.json)
    return 0
