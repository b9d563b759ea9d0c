"""Mutations of the weighting / verification checks (proofs/weighting.py): each alters one formula of analytic.weighting."""

from __future__ import annotations

import sympy as sp
from collapse.analytic import weighting as W


def _alter(name, change):
    orig = getattr(W, name)
    return name, lambda *a, **k: change(orig(*a, **k))


def _kept(change):
    return _alter("curate_gaussian_kept", lambda d: d | change(d))


MUTATIONS = {
    # the mean error's step with a wrong synthetic-noise term
    "weighting-moment-step": lambda mp: mp.setattr(W, *_alter("weight_step", lambda st: (
        st[0] + (1 - W.w) ** 2 * W.b / W.n_s**2, st[1]))),
    # the known-variance fixed point off by a factor
    "weighting-known-variance-exact": lambda mp: mp.setattr(W, *_alter("known_variance_fixed_point",
                                                                        lambda e: e * (1 + W.w / 10))),
    # the leading-order error with a wrong (1 - w)^2 coefficient
    "weighting-ar1-series": lambda mp: mp.setattr(W, *_alter("leading_mean_error",
                                                              lambda e: e + (1 - W.w) ** 2 / (10 * W.w))),
    # the paper's expression with k read as the synthetic-to-real ratio K
    "weighting-minimiser": lambda mp: mp.setattr(W, "optimal_weight_expr",
                                                 lambda: (sp.sqrt(W.K**2 + 4 * W.K) - W.K) / 2),
    # w* off by 1%: the exact minimiser no longer approaches it at rate 1/n
    "weighting-exact-minimiser": lambda mp: mp.setattr(W, *_alter("optimal_weight_expr", lambda e: e * sp.Rational(101, 100))),
    # the mean error's step 3% too large
    "weighting-sampler-stationary": lambda mp: mp.setattr(W, *_alter("weight_step", lambda st: (
        st[0] * sp.Rational(103, 100), st[1]))),
    # the mean error's step scaled by a factor growing with w: the predicted order of the weights reverses
    "weighting-sampler-ordering": lambda mp: mp.setattr(W, *_alter("weight_step", lambda st: (
        st[0] * (1 + 2 * (W.w - sp.Rational(1, 2))), st[1]))),
    # the kept variance with a wrong Q term
    "curate-kept-identity": lambda mp: mp.setattr(W, *_kept(lambda d: {"v": d["v"] * (1 + W.Q / 10)})),
    # the kept mean shifted by Q/100
    "curate-kept-quadrature": lambda mp: mp.setattr(W, *_kept(lambda d: {"m": d["m"] + W.Q / 100})),
    # E[1/chi2_(M-1)] = 1/(M - 2)
    "curate-precision-recursion": lambda mp: mp.setattr(W, "inverse_chi2_mean", lambda: 1 / (W.M - 2)),
    # the variance bound decays half as fast
    "curate-bounds": lambda mp: mp.setattr(W, *_alter("curate_variance_bound",
                                                      lambda e: e.subs(W.n, W.n / 2))),
    # the tilt with exponent Q + 1
    "curate-discrete-exact": lambda mp: mp.setattr(W, *_alter_tilt(1)),
    # the kept mean 5% off (times 1 + Q/10)
    "curate-gaussian-one-step": lambda mp: mp.setattr(W, *_kept(lambda d: {"m": d["m"] * (1 + W.Q / 10)})),
    # E[1/sigma_n^2] 2% too large
    "curate-gaussian-chain": lambda mp: mp.setattr(W, *_alter("curate_precision", lambda e: e * sp.Rational(102, 100))),
    # the tilt with exponent Q + 0.2
    "curate-discrete-sampler": lambda mp: mp.setattr(W, *_alter_tilt(sp.Rational(1, 5))),
}


def _alter_tilt(extra):
    orig = W.tilted_pmf
    return "tilted_pmf", lambda p, p0, q: orig(p, p0, sp.nsimplify(q) + extra)
