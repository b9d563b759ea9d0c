"""``collapse advise gaussian|discrete``: how much real data (or how large samples) meets a target.

The answer is the smallest value of one knob (``--knob fresh``: the fraction of fresh real
data per generation; ``samples``: the constant sample size M, or with ``--growth`` the rate of
M_i = M_0 r^i; ``accumulate``: M when every generation refits on all data so far) whose exact
value meets the target at generation G (:mod:`collapse.analytic.advise`), then a simulation of
that answer through the literal loop (:mod:`collapse.simulate.experiments.advise_check`) with
its standard error. A target no value meets is an answer too (exit status 0, with the best
value reached); exit status 1 only when the simulation disagrees with the prediction by more
than 5 standard errors (false alarm 5.7e-7 when the prediction is right).
"""

from __future__ import annotations

import json
import math

from collapse.commands._args import FloatRange, IntRange
from collapse.commands._options import add, add_option

#: a simulated mean this many standard errors from the predicted interval fails the check
Z_FAIL = 5.0


def register(top, groups) -> None:
    p = top.add_parser(
        "advise", help="the smallest fraction of fresh real data (or sample size) that meets a target",
        description="Answer with the smallest fraction of fresh real data, the sample size (or its growth "
                    "rate) or the accumulate policy that meets a target at generation G, from the exact "
                    "closed forms, then check it by simulating the answer through the literal loop.")
    sub = p.add_subparsers(dest="advise_target", metavar="FAMILY", required=True)
    g = sub.add_parser("gaussian", help="1-D Gaussian refitted by mean and variance: E[W2^2] or E[sigma^2]",
                       description="Truth N(0, sigma_0^2). Target E[W2^2(model_G, truth)] <= EPS (--w2, the "
                                   "default 0.1) or E[sigma_G^2]/sigma_0^2 >= TAU (--sigma2-ratio).")
    target = g.add_mutually_exclusive_group()
    target.add_argument("--w2", type=FloatRange(0, 1e6, low_open=True), default=None, metavar="EPS",
                        help="target E[W2^2(model_G, truth)] <= EPS (default 0.1 when no target is given)")
    target.add_argument("--sigma2-ratio", type=FloatRange(0, 100, low_open=True), default=None, metavar="TAU",
                        help="target E[sigma_G^2] / sigma_0^2 >= TAU")
    _common(g, generations=50, max_samples=10 ** 5, min_samples=2, samples_cap=10 ** 6,
            knobs=("fresh", "samples", "accumulate", "weight"))
    g.add_argument("--ratio", type=FloatRange(0, 100, low_open=True), default=1.0, metavar="K",
                   help="with --knob weight: the synthetic-to-real size ratio K of weight:W,K (default 1.0)")
    g.add_argument("--estimator", choices=("unbiased", "mle"), default="unbiased",
                   help="variance estimator: divide by M-1 (unbiased, default) or by M (mle)")
    g.add_argument("--sigma0", type=FloatRange(0, 1e6, low_open=True), default=1.0,
                   help="standard deviation sigma_0 of the truth (default 1.0)")
    g.set_defaults(func=_gaussian)

    d = sub.add_parser("discrete", help="categorical refitted by frequencies: the tail mass it keeps",
                       description="Truth p_0 over K states, p_0(k) proportional to k^(-s) (--zipf s; 0 is "
                                   "uniform). Target: the expected p_0-mass of the tail states still in "
                                   "generation G's model, as a share of the tail's mass, >= TAU.")
    d.add_argument("--kept", type=FloatRange(0, 1, low_open=True), default=0.5, metavar="TAU",
                   help="target share TAU of the tail's p_0-mass kept (default 0.5)")
    d.add_argument("--tail", type=FloatRange(0, 1, low_open=True), default=1.0, metavar="Q",
                   help="the tail is the ceil(Q K) states of smallest p_0 (default 1.0: every state)")
    d.add_argument("--states", "-K", type=IntRange(2, 1000), default=50, help="number of states K (default 50)")
    d.add_argument("--zipf", type=FloatRange(0, 10), default=1.0, metavar="S",
                   help="Zipf exponent s of p_0(k) ~ k^(-s); 0 is the uniform distribution (default 1.0)")
    _common(d, generations=20, max_samples=1000, min_samples=1, samples_cap=10 ** 4,
            knobs=("fresh", "samples", "accumulate"))
    d.set_defaults(func=_discrete)


def _common(p, *, generations: int, max_samples: int, min_samples: int, samples_cap: int,
            knobs: tuple[str, ...]) -> None:
    p.add_argument("--knob", choices=knobs, default="fresh",
                   help="what to search: the fraction of fresh real data (fresh, default), the sample size "
                        "(samples; with --growth the growth rate), or M when accumulating all data (accumulate)"
                        + ("; weight: He, Xu & Cheng's optimal weight of the real data for weight:W,K "
                           "(--sigma2-ratio targets only)" if "weight" in knobs else ""))
    add_option(p, "generations", default=generations, minimum=1, maximum=10 ** 4,
               note="the horizon G; at most 10^4")
    add_option(p, "samples", default=None, minimum=min_samples, maximum=samples_cap,
               default_text="100; M of --knob fresh and weight, M_0 of --growth; not with the knobs that search M",
               note=f"at most {samples_cap}")
    p.add_argument("--growth", action="store_true",
                   help="with --knob samples: search the rate r of M_i = floor(M_0 r^i + 1/2), M_0 = --samples")
    p.add_argument("--max-samples", type=IntRange(min_samples, samples_cap), default=max_samples,
                   help=f"the largest M searched (the last M_i with --growth; default {max_samples})")
    p.add_argument("--over", choices=("final", "all"), default="final",
                   help="ask the target of generation G only (final, default) or of every g = 1..G (all)")
    p.add_argument("--check-chains", type=IntRange(2, 10 ** 6), default=None,
                   help="chains of the simulated check (default: as many as take a few seconds)")
    p.add_argument("--no-check", action="store_true", help="skip the simulated check")
    add(p, "quiet", "seed", "json")


def _problem_args(args, family: str) -> dict:
    from collapse.core.validation import InvalidArgument

    searched = args.knob in ("samples", "accumulate") and not args.growth
    if searched and args.samples is not None:
        raise InvalidArgument("--samples", f"no value with --knob {args.knob} (M is what it searches; --growth "
                                           "with --knob samples fixes M_0)", args.samples)
    if args.growth and args.knob != "samples":
        raise InvalidArgument("--growth", "--knob samples", f"--knob {args.knob}")
    if args.growth and args.generations < 2:
        raise InvalidArgument("--generations", "at least 2 with --growth", args.generations)
    samples = None if searched else (args.samples if args.samples is not None else 100)
    if samples is not None and samples > args.max_samples:
        raise InvalidArgument("--max-samples", f"at least --samples = {samples}", args.max_samples)
    return dict(family=family, generations=args.generations, knob=args.knob, samples=samples,
                growth=args.growth, over=args.over, max_samples=args.max_samples)


def _gaussian(args) -> int:
    from collapse.analytic.advise import Problem

    target, level = ("sigma2", args.sigma2_ratio) if args.sigma2_ratio is not None else ("w2", args.w2 or 0.1)
    from collapse.core.validation import InvalidArgument

    if args.knob == "weight" and target != "sigma2":
        raise InvalidArgument("--knob", "--sigma2-ratio with --knob weight (E[W2^2] needs E[sigma_G], which the "
                                        "weighted chain has no closed form or bound for here)", "weight")
    if args.knob == "weight" and not 1 <= round((args.samples or 100) / (1 + args.ratio)) < (args.samples or 100):
        raise InvalidArgument("--ratio", f"a ratio K leaving real and synthetic points in M = {args.samples or 100}",
                              args.ratio)
    problem = Problem(target=target, level=level, estimator=args.estimator, sigma0=args.sigma0, ratio=args.ratio,
                      **_problem_args(args, "gaussian"))
    return _run(args, problem, {"estimator": args.estimator, "sigma0": args.sigma0, "ratio": args.ratio})


def _discrete(args) -> int:
    from collapse.analytic.advise import Problem, zipf_truth

    p0 = zipf_truth(args.states, args.zipf)
    problem = Problem(target="kept", level=args.kept, p0=p0, tail=args.tail, **_problem_args(args, "discrete"))
    return _run(args, problem, {"states": args.states, "zipf": args.zipf, "tail": args.tail})


def _run(args, problem, truth: dict) -> int:
    from collapse.analytic.advise import advise
    from collapse.core.validation import InvalidArgument

    try:
        advice = advise(problem)
    except InvalidArgument:
        raise
    except (ArithmeticError, ValueError, RuntimeError) as e:  # a numeric failure of the exact values: one line, exit 2
        raise InvalidArgument("--samples / --generations", "a problem whose exact values stay computable (fewer "
                              "generations or more samples)", f"{type(e).__name__}: {e}") from None
    check = None if args.no_check else _check(args, advice)
    if args.json:
        print(json.dumps(_as_json(args, advice, check, truth)))
    else:
        print(headline(advice))
        print(_table(advice, check))
        for e in (advice.answer, advice.below):
            if e is not None and e.note:
                print(f"bracket at {_knob(advice, e)}: {e.note}")
        print(f"search: {advice.tolerance}" + ("" if check is None else f"; check: {check.chains} chains of the "
              f"literal loop, seed {args.seed}, {check.seconds:.1f} s"))
    return 1 if check is not None and not _within(advice.answer, check) else 0


def _check(args, advice):
    import numpy as np

    from collapse.analytic.advise import tail_states
    from collapse.simulate.experiments.advise_check import (
        default_chains,
        simulate_answer,
    )
    from collapse.simulate.experiments.chains import streams

    pr, a = advice.problem, advice.answer
    discrete = pr.family == "discrete"
    chains = args.check_chains or default_chains(a.regime, a.schedule[:a.generation],
                                                 len(pr.p0) if discrete else None)
    extra = (dict(p0=pr.p0, tail=tail_states(pr.p0, pr.tail)) if discrete
             else dict(estimator=pr.estimator, sigma0=pr.sigma0))
    rng: np.random.Generator = streams(args.seed, 1)[0]
    return simulate_answer(pr.family, a.regime, a.schedule, a.generation, chains, rng, quantity=pr.target,
                           progress=not (args.quiet or args.json), **extra)


def _distance(e, check) -> float:
    """Standard errors between the simulated mean and the predicted interval [lo, hi] (0 inside)."""
    gap = max(e.lo - check.mean, check.mean - e.hi, 0.0)
    return gap / check.se if check.se > 0 else (0.0 if gap == 0 else math.inf)


def _within(e, check) -> bool:
    return _distance(e, check) <= Z_FAIL


# ------------------------------------------------------------------ words
def _g(x: float) -> str:
    return f"{x:.6g}"


def _value(e) -> str:
    return _g(e.lo) if e.lo == e.hi else f"in [{_g(e.lo)}, {_g(e.hi)}]"


def _knob(advice, e) -> str:
    pr = advice.problem
    if pr.knob == "weight":
        return f"w = {e.knob_value:.6g}"
    if pr.knob == "fresh":
        return f"gamma = {_g(e.n_real / pr.samples)}"
    if pr.growth:
        return f"r = {e.knob_value:.7g}"
    return f"M = {int(e.knob_value)}"


def _target(pr, e) -> str:
    G = pr.generations
    if pr.target == "w2":
        what, rel = "E[W2^2(model, truth)]", "<="
    elif pr.target == "sigma2":
        what, rel = "E[sigma^2]/sigma_0^2", ">="
    else:
        n_tail = max(1, math.ceil(pr.tail * len(pr.p0) - 1e-12))
        what = (f"the share of the tail's p_0-mass kept (the {n_tail} rarest of {len(pr.p0)} states)"
                if n_tail < len(pr.p0) else "the share of p_0's mass kept")
        rel = ">="
    if pr.over == "all":
        worst = "max" if pr.target == "w2" else "min"
        return f"{worst} over g = 1..{G} of {what} {rel} {_g(pr.level)} (the {worst} is at g = {e.generation})"
    return f"{what} {rel} {_g(pr.level)} at generation {G}"


def _setting(advice, e) -> str:
    pr = advice.problem
    if pr.knob == "weight":
        return (f"on the {e.n_real} fresh real points of M = {pr.samples} per generation, K = {_g(pr.ratio)}, "
                f"regime {e.regime}")
    if pr.knob == "fresh":
        share = "all" if e.n_real == pr.samples else f"{e.n_real} of"
        return f"{share} M = {pr.samples} points per generation fresh, regime {e.regime}"
    if pr.growth:
        return f"M_i = floor({pr.samples} * {e.knob_value:.7g}^i + 1/2), M_{len(e.schedule) - 1} = {e.schedule[-1]}"
    if pr.knob == "accumulate":
        return "per generation, every point kept: accumulate"
    return "per generation, replace"


_NOUN = {"fresh": "smallest fraction of fresh real data", "samples": "smallest sample size",
         "growth": "smallest growth rate", "accumulate": "smallest M when accumulating"}


def headline(advice) -> str:
    """The one-line answer a practitioner can act on."""
    pr, a = advice.problem, advice.answer
    if pr.knob == "weight":
        verb = "meets" if advice.met else "does not meet"
        return (f"optimal weight of the real data: {_knob(advice, a)} ({_setting(advice, a)}) {verb} "
                f"{_target(pr, a)} (exact value {_value(a)})")
    if not advice.met:
        space = {"fresh": f"no fraction of fresh data <= 1 meets {_target(pr, a)} with M = {pr.samples}",
                 "samples": (f"no growth rate with M_{pr.generations - 1} <= {pr.max_samples} meets {_target(pr, a)}"
                             if pr.growth else f"no M <= {pr.max_samples} meets {_target(pr, a)}"),
                 "accumulate": f"accumulating with no M <= {pr.max_samples} meets {_target(pr, a)}"}[pr.knob]
        hint = {"fresh": "raise M", "samples": "raise --max-samples or M_0" if pr.growth else "raise --max-samples",
                "accumulate": "raise --max-samples"}[pr.knob]
        return f"{space}: the best, {_knob(advice, a)} ({_setting(advice, a)}), gives {_value(a)}; {hint}"
    noun = _NOUN["growth" if pr.growth else pr.knob]
    out = f"{noun}: {_knob(advice, a)} ({_setting(advice, a)}) meets {_target(pr, a)} (exact value {_value(a)})"
    if advice.below is not None:
        b = advice.below
        out += f"; {_knob(advice, b)} does not ({_value(b)})"
    if advice.necessary is not None and advice.necessary < a.knob_value:
        v = advice.necessary
        low = f"gamma = {_g(v / pr.samples)}" if pr.knob == "fresh" else f"M = {int(v)}"
        out += f"; from {low} up the bounds on the exact value do not exclude the target"
    return out


def _table(advice, check) -> str:
    rows = [("", "knob", "predicted", "simulated", "se", "within 5 se")]
    a = advice.answer
    if check is None:
        rows.append(("answer", _knob(advice, a), _value(a).removeprefix("in "), "(not checked)", "", ""))
    else:
        rows.append(("answer", _knob(advice, a), _value(a).removeprefix("in "), _g(check.mean), f"{check.se:.2g}",
                     "yes" if _within(a, check) else f"NO ({_distance(a, check):.1f} se)"))
    if advice.below is not None:
        rows.append(("one below", _knob(advice, advice.below), _value(advice.below).removeprefix("in "), "", "", ""))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)


def _evaluation_json(advice, e) -> dict | None:
    if e is None:
        return None
    pr = advice.problem
    out = {"value": e.knob_value, "regime": e.regime, "predicted": [e.lo, e.hi], "generation": e.generation,
           "bracket_note": e.note}
    if pr.knob == "weight":
        out |= {"weight": e.knob_value, "ratio": pr.ratio, "n_real": e.n_real, "samples": pr.samples}
    elif pr.knob == "fresh":
        out |= {"gamma": e.n_real / pr.samples, "n_real": e.n_real, "samples": pr.samples}
    elif pr.growth:
        out |= {"rate": e.knob_value, "schedule": list(e.schedule)}
    else:
        out |= {"samples": int(e.knob_value)}
    return out


def _as_json(args, advice, check, truth: dict) -> dict:
    from collapse.core.runio import metadata

    pr = advice.problem
    inputs = {"family": pr.family, "target": pr.target, "level": pr.level, "generations": pr.generations,
              "knob": pr.knob, "samples": pr.samples, "growth": pr.growth, "over": pr.over,
              "max_samples": pr.max_samples, **truth}
    meta = metadata(config=inputs, seed=args.seed)
    out = {"inputs": inputs, "answer_line": headline(advice), "met": advice.met,
           "answer": _evaluation_json(advice, advice.answer), "below": _evaluation_json(advice, advice.below),
           "necessary": advice.necessary, "tolerance": advice.tolerance,
           "check": None if check is None else {
               "chains": check.chains, "generation": check.generation, "simulated": check.mean, "se": check.se,
               "se_from_prediction": _distance(advice.answer, check), "within_5se": _within(advice.answer, check),
               "seconds": check.seconds},
           "seed": args.seed, "versions": meta["versions"]}
    if "git" in meta:
        out["git"] = meta["git"]
    return out
