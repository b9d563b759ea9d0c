"""``collapse theory|simulate|figures|bench gaussian``: the 1-D Gaussian chain of Theorem 3.1."""

from __future__ import annotations

import json
from pathlib import Path

from collapse.commands._args import FloatRange, IntRange, TextArg, positive_float
from collapse.commands._families import add_figure_options, draw, regime_arg, simulate
from collapse.commands._options import add, add_option

ESTIMATORS = ("unbiased", "mle")  # mirrors analytic.gaussian.ESTIMATORS without importing sympy


def register(top, groups) -> None:
    _register_theory(groups["theory"])
    _register_simulate(groups["simulate"])
    _register_figures(groups["figures"])
    _register_bench(groups["bench"])


def _register_theory(g) -> None:
    p = g.add_parser(
        "gaussian", help="closed forms of the 1-D Gaussian chain (Theorem 3.1)",
        description="Closed-form E[sigma_n^2], E[sigma_n], Var[mu_n], E[W2^2], E[log sigma_n^2], "
                    "Var[log sigma_n^2] after n generations of M samples (derived by sympy, evaluated by mpmath).")
    add_option(p, "samples", default=100, minimum=2)
    add(p, "generations", generations=1000)
    p.add_argument("--estimator", choices=ESTIMATORS, default="unbiased",
                   help="variance estimator: divide by M-1 (unbiased, Theorem 3.1) or by M (mle, np.std)")
    p.add_argument("--sigma0", type=positive_float, default=1.0, help="standard deviation of generation 0")
    p.add_argument("--moment", "-r", type=FloatRange(0, 1000, low_open=True), default=None,
                   help="also report E[sigma_n^(2r)], r in (0, 1000]")
    p.add_argument("--schedule", default=None, metavar="M_i", type=SCHEDULE,
                   help="a sample-size schedule instead of constant M: comma-separated sizes for generations "
                        "0..n-1, or an expression in i such as '100*(i+1)**2' (then also says whether E[W2^2] "
                        "stays bounded as n -> infinity)")
    p.add_argument("--dps", type=IntRange(5, 1000), default=30,
                   help="decimal digits of precision (mpmath; 5 to 1000, default 30)")
    add(p, "json")
    p.set_defaults(func=_theory)


def _register_simulate(g) -> None:
    p = g.add_parser("gaussian", help="the single-Gaussian experiment (Supplementary Material)")
    add_option(p, "samples", default=[100, 500, 1000, 10000], minimum=2, nargs="+",
               note="several sizes give one set of chains each")
    p.add_argument("--regime", type=regime_arg, action="append", dest="regimes", default=None,
                   help="data regime: replace (refit on the last generation's samples) or accumulate (on all data "
                        "so far), exact fast sampler; or curate:Q, weight:W,K, mix:ALPHA,BETA,GAMMA, "
                        "accumulate-subsample (the literal sampler); repeat it for several (default replace and "
                        "accumulate, as the Supplementary Material's figure)")
    add_option(p, "generations", default=1000, minimum=1)
    add_option(p, "chains", default=256, minimum=2)
    p.add_argument("--estimator", choices=ESTIMATORS, default="mle",
                   help="variance estimator: divide by M (mle, np.std, the authors' code; default) or by M-1 "
                        "(unbiased)")
    add(p, "out", "force", "quiet", "seed", "json", out=Path("runs/gaussian"))
    p.set_defaults(func=_simulate)


def _register_figures(g) -> None:
    for name, help_ in (("gaussian", "single-Gaussian figure (Supplementary Material) from saved results"),
                        ("gaussian-theory", "E[W2^2], E[sigma], Var[mu] against generation: closed form and simulation"),
                        ("regimes", "fresh real data (fixed points against gamma) and accumulate against replace")):
        p = g.add_parser(name, help=help_)
        add_figure_options(p, run="gaussian")
        p.set_defaults(func=draw, figure=name)


def _register_bench(g) -> None:
    p = g.add_parser("gaussian", help="fast vs literal sampler on the same work")
    add_option(p, "samples", default=100, minimum=2)
    add(p, "chains", chains=10000)
    add_option(p, "generations", default=50, minimum=1)
    p.add_argument("--repeats", type=IntRange(1, 100), default=3,
                   help="timings per sampler, the best one kept (1 to 100, default 3)")
    p.add_argument("--big", action="store_true", help="also time 10^5 chains x 10^3 generations (fast sampler)")
    add(p, "seed", "json")
    p.set_defaults(func=_bench)


def _schedule_syntax(text: str) -> str:
    """The --schedule text when it is a size list or a well-formed expression in i (values are checked later)."""
    import re

    from collapse.core.expr import parse_expression
    from collapse.core.validation import InvalidArgument

    if all(re.fullmatch(r"\s*[0-9]{1,20}\s*", part) for part in text.split(",")):
        return text
    try:
        parse_expression(text, variables=("i",), option="--schedule")
    except InvalidArgument as exc:  # its reason is the last parenthesis of what it expected
        why = exc.expected.rsplit(" (", 1)[-1].rstrip(")") if exc.expected.endswith(")") else exc.expected
        raise ValueError(why) from None
    return text


#: --schedule: checked when parsed (syntax), its sizes when the generations are known
SCHEDULE = TextArg("comma-separated sizes or an expression in i (numbers, i, + - * / **, parentheses, sqrt, exp, "
                   "log, floor, ceil, abs, min, max, round)", _schedule_syntax, max_length=500,
                   bad=("__import__('os').system('true')", "i.real", "1,,2", "i**", "[1]", "9**9**9"))


def _parse_schedule(text: str, generations: int):
    """A list of sizes, or an expression in i evaluated for i < generations.

    Returns ``(sizes, expr)``: ``expr`` is the sympy expression in ``analytic.gaussian.i``
    (None for a list). The text is parsed by :func:`collapse.core.expr.parse_expression`,
    never evaluated as code; every size must be an integer in 2 .. 10**7 (no huge computations).
    """
    import re

    from collapse.core.expr import parse_expression
    from collapse.core.validation import InvalidArgument

    largest = 10**7
    expected = f"integers from 2 to {largest}"
    parts = text.split(",")
    if all(re.fullmatch(r"\s*[0-9]{1,20}\s*", part) for part in parts):
        sizes = [int(part) for part in parts]
        for j, m in enumerate(sizes):
            if not 2 <= m <= largest:
                raise InvalidArgument("--schedule", f"comma-separated {expected} (schedule[{j}] = {m})", text)
        return sizes, None
    try:
        parsed = parse_expression(text, variables=("i",), option="--schedule")
    except InvalidArgument as exc:
        raise InvalidArgument("--schedule", f"comma-separated {expected} or {exc.expected}", exc.got) from None
    sizes = []
    for j in range(generations):
        v = parsed.evaluate(i=j)
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not (isinstance(v, int) and 2 <= v <= largest):
            raise InvalidArgument("--schedule", f"an expression in i giving {expected} for i = 0..{generations - 1} "
                                                f"(schedule[{j}] = {v!r} at i = {j})", text)
        sizes.append(v)
    from collapse.analytic import gaussian as A

    return sizes, parsed.to_sympy({"i": A.i})


def _theory(args) -> int:
    from collapse.analytic import numeric as N

    if args.schedule is None:  # closed forms from the derivation cache: no sympy once it is warm
        values = N.gaussian_values(args.estimator, args.samples, args.generations, args.sigma0,
                                   r=args.moment, dps=args.dps, cached=True)
        header = f"M = {args.samples}, n = {args.generations}"
        bounded = None
    else:  # a schedule iterates the one-step recursion with sympy
        from collapse.analytic import gaussian as A

        sched, expr = _parse_schedule(args.schedule, args.generations)
        values = N.gaussian_schedule_values(args.estimator, sched, args.sigma0, r=args.moment, dps=args.dps)
        header = f"schedule {args.schedule}, n = {len(sched)}"
        try:
            bounded = A.w2_bounded(args.estimator, expr) if expr is not None else None
        except (ValueError, TypeError, NotImplementedError):  # sympy cannot decide the series' convergence
            bounded = "undecided"
    if args.json:
        out = {k: float(v) for k, v in values.items()}
        if bounded is not None:
            out["W2_bounded"] = bounded
        print(json.dumps(out))
        return 0
    import mpmath

    print(f"1-D Gaussian chain, {args.estimator} variance, sigma0 = {args.sigma0}, {header}")
    for k, v in values.items():
        print(f"  {k:<15} {mpmath.nstr(v, min(args.dps, 20))}")
    if bounded == "undecided":
        print("  sup_n E[W2^2] undecided (sympy cannot decide whether the series converges)")
    elif bounded is not None:
        print(f"  sup_n E[W2^2] {'< infinity' if bounded else '= infinity'}")
    return 0


def _simulate(args) -> int:
    from collapse.simulate.experiments.single_gaussian import SingleGaussianConfig

    cfg = SingleGaussianConfig(sample_sizes=tuple(args.samples), generations=args.generations,
                               chains=args.chains, estimator=args.estimator, seed=args.seed)
    return simulate(args, "gaussian_single", cfg)


def _bench(args) -> int:
    from collapse.simulate.bench.gaussian import bench_gaussian

    report = bench_gaussian(samples=args.samples, chains=args.chains, generations=args.generations,
                            repeats=args.repeats, seed=args.seed, big=args.big)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for k, v in report.items():
            print(f"{k:<40} {v:.4g}" if isinstance(v, float) else f"{k:<40} {v}")
    return 0
