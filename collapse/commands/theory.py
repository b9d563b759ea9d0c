"""``collapse theory gaussian-nd|discrete|mixing|accumulate``: closed forms at your parameters.

(``collapse theory gaussian`` lives in :mod:`collapse.commands.gaussian`.) Every
value comes from the sympy derivations in ``analytic``, read from the derivation
cache (:mod:`collapse.analytic.forms`: ``cached=True``), so that a warm run imports
no sympy and derives nothing; ``--json`` prints one flat object whose keys name
the quantities.
"""

from __future__ import annotations

import json

from collapse.commands._args import FloatRange, IntRange, TextArg, open_fraction, positive_float
from collapse.commands._options import add, add_option

ESTIMATORS = ("unbiased", "mle")
#: at most this many states in --p0
MAX_STATES = 1000


def _check_probabilities(text: str) -> tuple[float, ...]:
    import math

    try:
        p = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise ValueError("not a list of numbers") from None
    if not 2 <= len(p) <= MAX_STATES:
        raise ValueError(f"{len(p)} values")
    if any(not (math.isfinite(v) and 0 <= v <= 1) for v in p):
        raise ValueError("a value outside [0, 1]")
    if abs(math.fsum(p) - 1) > 1e-9:
        raise ValueError(f"they sum to {math.fsum(p):.12g}")
    return p


_probabilities = TextArg(f"2 to {MAX_STATES} comma-separated probabilities in [0, 1] summing to 1",
                         _check_probabilities, bad=("0.5", "0.5,0.6", "-0.5,1.5", "a,b", "nan,0.5", "0.5,,0.5"))


def _args_estimator(p) -> None:
    p.add_argument("--estimator", choices=ESTIMATORS, default="unbiased",
                   help="variance (covariance in d dimensions) estimator: divide by M-1 (unbiased, default) "
                        "or by M (mle)")


def _args_sigma0(p) -> None:
    p.add_argument("--sigma0", type=positive_float, default=1.0,
                   help="standard deviation sigma_0 of generation 0 (default 1.0)")


def _args_p0(p) -> None:
    p.add_argument("--p0", type=_probabilities, default=(0.5, 0.3, 0.15, 0.05),
                   help="the original distribution, comma-separated (default 0.5,0.3,0.15,0.05)")


def _args_gaussian_nd(p) -> None:
    add_option(p, "samples", default=100, minimum=2)
    add(p, "generations", "dim", generations=100, dim=2)
    _args_estimator(p)


def _args_discrete(p) -> None:
    # bounds: the exact binomial chain is an (M+1) x (M+1) matrix iterated n times (a few seconds at the top)
    add_option(p, "samples", default=100, maximum=1000, note="at most 1000 (the exact chain's matrix)")
    add_option(p, "generations", default=10, maximum=10 ** 4, note="at most 10^4")
    _args_p0(p)


def _args_mixing(p) -> None:
    add_option(p, "samples", default=100, minimum=3, note="real and generated points together")
    p.add_argument("--gamma", type=open_fraction, default=0.1,
                   help="fraction of fresh real data per generation (default 0.1)")
    _args_estimator(p)
    _args_sigma0(p)
    _args_p0(p)
    p.add_argument("--bandwidth", type=positive_float, default=0.1, help="KDE bandwidth h (default 0.1)")
    p.add_argument("--lam", type=positive_float, default=1.0,
                   help="synthetic-to-real ratio lambda (retraining; default 1.0)")
    p.add_argument("--real", type=IntRange(1, 10 ** 9), default=1000,
                   help="real sample size N (retraining; 1 to 10^9, default 1000)")


def _args_rates(p) -> None:
    # dest "count": the name the handler reads
    p.add_argument("--expected-count", dest="count", type=FloatRange(0, 1e6, low_open=True), default=10.0,
                   metavar="m", help="m = M lambda_0, the expected total count N_1 of the first generation's M "
                                     "Poisson draws (an expected count, not a sample size; in (0, 10^6], "
                                     "default 10.0)")
    add_option(p, "generations", default=100, maximum=10 ** 4, note="at most 10^4 (mpmath iteration)")


def _args_tails(p) -> None:
    p.add_argument("--beta", type=FloatRange(1, 100, low_open=True), default=2.0,
                   help="Zipf exponent beta in (1, 100] (default 2.0)")
    add_option(p, "samples", default=10000, maximum=10 ** 6, note="T in the tails analysis, at most 10^6")
    p.add_argument("--cut", "-k", type=IntRange(1, 10 ** 4), default=None,
                   help="rank at which the model's tail is cut (1 to 10^4)")


def _args_regression(p) -> None:
    # dests "features" and "rows": the names the handler reads
    add_option(p, "dim", default=10, dest="features", note="number of features")
    add_option(p, "samples", default=100, minimum=3, dest="rows", note="rows T of the design, at least dim + 2")
    add_option(p, "generations", default=10, maximum=10 ** 4, note="at most 10^4")
    p.add_argument("--noise", type=positive_float, default=1.0,
                   help="standard deviation sigma of the label noise (default 1.0)")


def _args_accumulate(p) -> None:
    add_option(p, "samples", default=100, minimum=2)
    add_option(p, "generations", default=1000, maximum=10 ** 5, note="at most 10^5")
    _args_estimator(p)
    _args_sigma0(p)


def register(top, groups) -> None:
    """One ``collapse theory NAME`` per row of :data:`SUBCOMMANDS`, each with ``--json``."""
    for name, help_, add_args, func in SUBCOMMANDS:
        p = groups["theory"].add_parser(name, help=help_)
        add_args(p)
        add(p, "json")
        p.set_defaults(func=func)


def _print(values: dict, as_json: bool, title: str) -> int:
    if as_json:
        print(json.dumps({k: (float(v) if not isinstance(v, bool) else v) for k, v in values.items()}))
        return 0
    print(title)
    for k, v in values.items():
        print(f"  {k:<28} {v:.12g}" if not isinstance(v, bool) else f"  {k:<28} {v}")
    return 0


def _gaussian_nd(args) -> int:
    from collapse.analytic.numeric import evaluate_nd

    v = evaluate_nd(args.estimator, args.samples, args.generations, args.dim, cached=True)
    return _print(v, args.json, f"{args.dim}-D Gaussian chain, {args.estimator}, M = {args.samples}, "
                                f"n = {args.generations} (factors relative to Sigma_0)")


def _discrete(args) -> int:
    import numpy as np

    from collapse.analytic import wright_fisher as W
    from collapse.analytic.forms import group

    A = group("discrete", "theory", cached=True)  # analytic.discrete's expressions, by name
    m, t, p0 = args.samples, args.generations, np.asarray(args.p0)
    H0 = 1 - float(np.sum(p0**2))
    sub = {"M": m, "t": t}
    out = {"H0": H0, "E_H": A["expected_heterozygosity"].subs_float(sub | {"H0": H0})}
    loss = [A["loss_probability"].subs_float({"M": m, "q": q}) for q in p0]
    out["E_states_lost_one_generation"] = sum(loss)
    out["E_lost_mass"] = float(np.dot(p0, W.loss_at(p0, m, t)))
    for k, q in enumerate(p0):
        out[f"Var_p_{k}"] = A["frequency_variance"].subs_float(sub | {"x0": q})
        out[f"P_lost_one_generation_{k}"] = loss[k]
        out[f"P_absorbed_at_{k}"] = A["absorption_probability"].subs_float({"x0": q})
    if len(p0) == 2 and m >= 2 and float(p0[0] * m).is_integer() and m <= 2000:
        out["E_absorption_time_exact"] = float(W.exact_absorption_times(m)[int(p0[0] * m)])
    if len(p0) == 2:  # two states only: the diffusion time at p0[0] as a rational (nsimplify), with sympy
        import sympy as sp

        from collapse.analytic import discrete_time as T

        out["E_absorption_time_diffusion"] = float(T.diffusion_time().subs({T.x: sp.nsimplify(p0[0]), T.Msym: m}))
    return _print(out, args.json, f"discrete chain, M = {m}, t = {t}, p0 = {list(args.p0)}")


def _sum_of_squares(p: tuple[float, ...]) -> float:
    """``float(np.sum(np.asarray(p) ** 2))`` bit for bit: numpy adds fewer than 8 values left to right
    from 0.0 (its pairwise sum starts at 8), and squares as x * x; numpy is imported only for longer p."""
    if len(p) < 8:
        total = 0.0
        for v in p:
            total += v * v
        return total
    import numpy as np

    return float(np.sum(np.asarray(p) ** 2))


def _mixing(args) -> int:
    from collapse.analytic.forms import group

    # analytic.gaussian_mixing's and analytic.mixing's expressions, by name
    GX = group("gaussian_mixing", f"mix_fixed_point:{args.estimator}", cached=True)
    RX = group("gaussian_mixing", "retrain", cached=True)
    X = group("mixing", "theory", cached=True)
    m = args.samples
    n_real = max(2, int(round(args.gamma * m)))
    n_model = m - n_real
    fp = {"n1": n_model, "n2": n_real, "sigma0": args.sigma0}
    H0 = 1 - _sum_of_squares(args.p0)
    h_star = X["discrete_mix_fixed_point"].subs_float({"M": m, "n_prev": 0, "n_real": n_real, "H0": H0})
    out = {
        "n_real": n_real, "n_model": n_model,
        "gaussian_stationary_E_dmu2": GX["E_dmu2"].subs_float(fp),
        "gaussian_stationary_E_sigma2": GX["E_sigma2"].subs_float(fp),
        "discrete_stationary_heterozygosity": h_star, "discrete_stationary_E_dist2": H0 - h_star,
        "kde_stationary_variance": X["kde_variance_fixed_point"].subs_float({"M": m, "h": args.bandwidth}),
        "retrain_rate": RX["rate"].subs_float({"lambda": args.lam}),
        "retrain_stationary_E_dmu2": RX["fixed_point"].subs_float(
            {"lambda": args.lam, "N": args.real, "sigma": args.sigma0}),
    }
    return _print(out, args.json, f"real data mixed in: M = {m}, gamma = {args.gamma} ({n_real} real points)")


def _accumulate(args) -> int:
    import math

    from collapse.analytic import numeric as N

    v = N.gaussian_accumulate_values(args.estimator, [args.samples] * args.generations, args.sigma0, cached=True)
    rep = N.gaussian_values(args.estimator, args.samples, args.generations, args.sigma0, cached=True)
    out = {"accumulate_E_dmu2": float(v["E_dmu2"][-1]), "accumulate_E_sigma2": float(v["E_sigma2"][-1]),
           "accumulate_bound_E_dmu2": math.pi**2 / 6 * args.sigma0**2 / args.samples,
           "replace_E_dmu2": float(rep["Var_mu"]), "replace_E_sigma2": float(rep["E_sigma2"])}
    return _print(out, args.json, f"accumulate vs replace, {args.estimator}, M = {args.samples}, n = {args.generations}")


def _rates(args) -> int:
    from collapse.analytic.numeric import extinction_values

    ext = extinction_values(args.count, args.generations, cached=True)
    out = {"P_extinct_by_t": ext[-1], "P_survive_t": 1 - ext[-1]}
    return _print(out, args.json, f"Poisson chain, m = M lambda_0 = {args.count}, t = {args.generations}")


def _tails(args) -> int:
    from collapse.analytic.numeric import cut_test_error_value, unseen_mass_value

    out = {"E_unseen_mass": unseen_mass_value(args.beta, args.samples, cached=True)}
    if args.cut is not None:
        out["E_test_error_cut"] = cut_test_error_value(args.beta, args.samples, args.cut, cached=True)
    return _print(out, args.json, f"Zipf(beta = {args.beta}), T = {args.samples}")


def _regression(args) -> int:
    from collapse.analytic.numeric import risk_values

    out = risk_values(args.features, args.rows, args.generations, args.noise, cached=True)
    return _print(out, args.json, f"least squares, d = {args.features}, T = {args.rows}, n = {args.generations}")


#: (name, help, options, handler) of every ``collapse theory`` subcommand defined here
SUBCOMMANDS = (
    ("gaussian-nd", "the d-dimensional Gaussian chain (Wishart covariance)", _args_gaussian_nd, _gaussian_nd),
    ("discrete", "the discrete chain: heterozygosity, loss, absorption, lost mass", _args_discrete, _discrete),
    ("mixing", "fixed points with real data mixed in, KDE, retraining stability", _args_mixing, _mixing),
    ("rates", "Poisson chain with MLE refits: extinction probability (Galton-Watson)", _args_rates, _rates),
    ("tails", "Zipf data: unseen mass after T samples, and a tail cut at rank k", _args_tails, _tails),
    ("regression", "least squares on generated labels: replace against accumulate", _args_regression,
     _regression),
    ("accumulate", "Gaussian chain refitted on all data so far, against replace", _args_accumulate, _accumulate),
)
