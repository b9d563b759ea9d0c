"""``collapse theory gaussian-nd|discrete|mixing|accumulate``: closed forms at your parameters.

(``collapse theory gaussian`` lives in :mod:`collapse.commands.gaussian`.) Every
value comes from the sympy derivations in ``analytic``; ``--json`` prints one flat
object whose keys name the quantities.
"""

from __future__ import annotations

import argparse
import json

from collapse.commands._args import int_at_least, open_fraction, positive_float

ESTIMATORS = ("unbiased", "mle")


def _probabilities(text: str) -> tuple[float, ...]:
    try:
        p = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated probabilities, got {text!r}") from None
    if len(p) < 2 or any(not (0 <= v <= 1) for v in p) or abs(sum(p) - 1) > 1e-9:
        raise argparse.ArgumentTypeError(f"expected at least 2 probabilities in [0, 1] summing to 1, got {text!r}")
    return p


def _args_gaussian_nd(p) -> None:
    p.add_argument("--samples", "-M", type=int_at_least(2), default=100)
    p.add_argument("--generations", "-n", type=int_at_least(0), default=100)
    p.add_argument("--dim", "-d", type=int_at_least(1), default=2)
    p.add_argument("--estimator", choices=ESTIMATORS, default="unbiased")


def _args_discrete(p) -> None:
    p.add_argument("--samples", "-M", type=int_at_least(1), default=100)
    p.add_argument("--generations", "-n", type=int_at_least(0), default=10)
    p.add_argument("--p0", type=_probabilities, default=(0.5, 0.3, 0.15, 0.05),
                   help="the original distribution, comma-separated (default 0.5,0.3,0.15,0.05)")


def _args_mixing(p) -> None:
    p.add_argument("--samples", "-M", type=int_at_least(3), default=100)
    p.add_argument("--gamma", type=open_fraction, default=0.1, help="fraction of fresh real data per generation")
    p.add_argument("--estimator", choices=ESTIMATORS, default="unbiased")
    p.add_argument("--sigma0", type=positive_float, default=1.0)
    p.add_argument("--p0", type=_probabilities, default=(0.5, 0.3, 0.15, 0.05))
    p.add_argument("--bandwidth", type=positive_float, default=0.1, help="KDE bandwidth h")
    p.add_argument("--lam", type=positive_float, default=1.0, help="synthetic-to-real ratio lambda (retraining)")
    p.add_argument("--real", type=int_at_least(1), default=1000, help="real sample size N (retraining)")


def _args_rates(p) -> None:
    p.add_argument("--count", type=positive_float, default=10.0, help="m = M lambda_0, the expected first count")
    p.add_argument("--generations", "-n", type=int_at_least(0), default=100)


def _args_tails(p) -> None:
    p.add_argument("--beta", type=positive_float, default=2.0, help="Zipf exponent beta > 1")
    p.add_argument("--samples", "-T", type=int_at_least(1), default=10000)
    p.add_argument("--cut", "-k", type=int_at_least(1), default=None, help="rank at which the model's tail is cut")


def _args_regression(p) -> None:
    p.add_argument("--features", "-d", type=int_at_least(1), default=10)
    p.add_argument("--rows", "-T", type=int_at_least(3), default=100)
    p.add_argument("--generations", "-n", type=int_at_least(0), default=10)
    p.add_argument("--noise", type=positive_float, default=1.0)


def _args_accumulate(p) -> None:
    p.add_argument("--samples", "-M", type=int_at_least(2), default=100)
    p.add_argument("--generations", "-n", type=int_at_least(0), default=1000)
    p.add_argument("--estimator", choices=ESTIMATORS, default="unbiased")
    p.add_argument("--sigma0", type=positive_float, default=1.0)


def register(top, groups) -> None:
    """One ``collapse theory NAME`` per row of :data:`SUBCOMMANDS`, each with ``--json``."""
    for name, help_, add_args, func in SUBCOMMANDS:
        p = groups["theory"].add_parser(name, help=help_)
        add_args(p)
        p.add_argument("--json", action="store_true", help="print one flat JSON object")
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
    from collapse.analytic.gaussian_nd import evaluate_nd

    v = evaluate_nd(args.estimator, args.samples, args.generations, args.dim)
    return _print(v, args.json, f"{args.dim}-D Gaussian chain, {args.estimator}, M = {args.samples}, "
                                f"n = {args.generations} (factors relative to Sigma_0)")


def _discrete(args) -> int:
    import numpy as np
    import sympy as sp

    from collapse.analytic import discrete as A
    from collapse.analytic import discrete_time as T

    m, t, p0 = args.samples, args.generations, np.asarray(args.p0)
    H0 = 1 - float(np.sum(p0**2))
    sub = {A.M: m, A.t: t}
    out = {"H0": H0, "E_H": float(A.expected_heterozygosity().subs(sub | {A.H0: H0}))}
    loss = [float(A.loss_probability().subs({A.M: m, A.q: q})) for q in p0]
    out["E_states_lost_one_generation"] = sum(loss)
    out["E_lost_mass"] = float(sum(q * T.loss_by(q, m, t)[-1] for q in p0))
    for k, q in enumerate(p0):
        out[f"Var_p_{k}"] = float(A.frequency_variance().subs(sub | {A.x0: q}))
        out[f"P_lost_one_generation_{k}"] = loss[k]
        out[f"P_absorbed_at_{k}"] = float(A.absorption_probability().subs(A.x0, q))
    if len(p0) == 2 and m >= 2 and float(p0[0] * m).is_integer() and m <= 2000:
        out["E_absorption_time_exact"] = float(T.exact_absorption_times(m)[int(p0[0] * m)])
    if len(p0) == 2:
        out["E_absorption_time_diffusion"] = float(T.diffusion_time().subs({T.x: sp.nsimplify(p0[0]), T.Msym: m}))
    return _print(out, args.json, f"discrete chain, M = {m}, t = {t}, p0 = {list(args.p0)}")


def _mixing(args) -> int:
    import numpy as np

    from collapse.analytic import gaussian as G
    from collapse.analytic import gaussian_mixing as GX
    from collapse.analytic import mixing as X

    m = args.samples
    n_real = max(2, int(round(args.gamma * m)))
    n_model = m - n_real
    fp = GX.mix_fixed_point(args.estimator).subs({GX.n1: n_model, GX.n2: n_real, G.sigma0: args.sigma0})
    H0 = 1 - float(np.sum(np.asarray(args.p0) ** 2))
    h_star = float(X.discrete_mix_fixed_point().subs({X.M: m, X.n_prev: 0, X.n_real: n_real, X.H0: H0}))
    out = {
        "n_real": n_real, "n_model": n_model,
        "gaussian_stationary_E_dmu2": float(fp[0]), "gaussian_stationary_E_sigma2": float(fp[1]),
        "discrete_stationary_heterozygosity": h_star, "discrete_stationary_E_dist2": H0 - h_star,
        "kde_stationary_variance": float(X.kde_variance_fixed_point().subs({X.M: m, X.h: args.bandwidth})),
        "retrain_rate": float(GX.retrain_recursion()[0].subs(GX.lam, args.lam)),
        "retrain_stationary_E_dmu2": float(GX.retrain_fixed_point().subs(
            {GX.lam: args.lam, GX.Nreal: args.real, GX.sigma: args.sigma0})),
    }
    return _print(out, args.json, f"real data mixed in: M = {m}, gamma = {args.gamma} ({n_real} real points)")


def _accumulate(args) -> int:
    import math

    from collapse.analytic import numeric as N

    v = N.gaussian_accumulate_values(args.estimator, [args.samples] * args.generations, args.sigma0)
    rep = N.gaussian_values(args.estimator, args.samples, args.generations, args.sigma0)
    out = {"accumulate_E_dmu2": float(v["E_dmu2"][-1]), "accumulate_E_sigma2": float(v["E_sigma2"][-1]),
           "accumulate_bound_E_dmu2": math.pi**2 / 6 * args.sigma0**2 / args.samples,
           "replace_E_dmu2": float(rep["Var_mu"]), "replace_E_sigma2": float(rep["E_sigma2"])}
    return _print(out, args.json, f"accumulate vs replace, {args.estimator}, M = {args.samples}, n = {args.generations}")


def _rates(args) -> int:
    from collapse.analytic.rates import extinction_values

    ext = extinction_values(args.count, args.generations)
    out = {"P_extinct_by_t": ext[-1], "P_survive_t": 1 - ext[-1]}
    return _print(out, args.json, f"Poisson chain, m = M lambda_0 = {args.count}, t = {args.generations}")


def _tails(args) -> int:
    from collapse.analytic.tails import cut_test_error_value, unseen_mass_value

    out = {"E_unseen_mass": unseen_mass_value(args.beta, args.samples)}
    if args.cut is not None:
        out["E_test_error_cut"] = cut_test_error_value(args.beta, args.samples, args.cut)
    return _print(out, args.json, f"Zipf(beta = {args.beta}), T = {args.samples}")


def _regression(args) -> int:
    from collapse.analytic.regression_theory import risk_values

    out = risk_values(args.features, args.rows, args.generations, args.noise)
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
