"""Mutations of the rates-of-collapse checks (proofs/rates.py): each alters one formula of analytic.rates."""

from __future__ import annotations

import sympy as sp

from collapse.analytic import rates as R


def _alter(name, change, module=R):
    orig = getattr(module, name)
    return name, lambda *a, **k: change(orig(*a, **k))


MUTATIONS = {
    # the one-step heterozygosity ratio gets a wrong constant
    "bernoulli-moments": lambda mp: mp.setattr(R, *_alter("bernoulli_step", lambda st: st | {
        "het_ratio": st["het_ratio"] * (1 + 1 / R.M**2)})),
    # the closed form's exponent is off by one generation
    "bernoulli-heterozygosity-induction": lambda mp: mp.setattr(R, *_alter("bernoulli_heterozygosity",
                                                                           lambda e: e.subs(R.t, R.t + 1))),
    # rate (1 - 1/M)^(t + 1): the exact enumeration disagrees from t = 0
    "bernoulli-enumerated": lambda mp: mp.setattr(R, *_alter("bernoulli_heterozygosity", lambda e: e.subs(R.t, R.t + 1))),
    # the second eigenvalue (M)_2 / M^2 gets a wrong constant
    "bernoulli-decay-rate": lambda mp: mp.setattr(R, *_alter("wf_eigenvalue", lambda e: e * (1 + 1 / R.M**2))),
    # the minimum taken at i = 2 instead of i = 1
    "bernoulli-survival-proof": lambda mp: mp.setattr(R, *_alter("min_nonabsorbed_heterozygosity",
                                                                 lambda e: e * 2 * (R.M - 2) / (R.M - 1))),
    # the bound decays one generation too fast
    "bernoulli-survival-exact": lambda mp: mp.setattr(R, *_alter("bernoulli_survival_bound",
                                                                 lambda e: e.subs(R.t, R.t + 1))),
    # rate (1 - 1/M)^(2t) instead of (1 - 1/M)^t
    "bernoulli-chain": lambda mp: mp.setattr(R, *_alter("bernoulli_heterozygosity", lambda e: e.subs(R.t, 2 * R.t))),
    # M + 1 draws summed instead of M
    "poisson-refit-branching": lambda mp: mp.setattr(R, *_alter("refit_count_pgf", lambda e: e.subs(R.M, R.M + 1))),
    # exponent 2m instead of m
    "poisson-extinction-exact": lambda mp: mp.setattr(R, *_alter("extinction_probability", lambda e: e**2)),
    # the numeric iteration one generation late
    "poisson-extinction-enumerated": lambda mp: mp.setattr(R, *_alter("extinction_values", lambda v: [0.0] + v[:-1])),
    # the lower bound 1% high: its base case r_0 = 1 fails
    "gw-bounds-telescoping": lambda mp: mp.setattr(R, *_alter("survival_bounds",
                                                              lambda b: (b[0] * sp.Rational(101, 100), b[1]))),
    # the Taylor coefficient 1/12 halved
    "gw-increment-bounds": lambda mp: mp.setattr(R, *_alter("increment_bounds",
                                                            lambda b: (b[0], b[0] + (b[1] - b[0]) / 2))),
    # upper bound 2/(t + 1) instead of 2/(t + 2)
    "gw-survival-bounds": lambda mp: mp.setattr(R, *_alter("survival_bounds", lambda b: (b[0], b[1].subs(R.t, R.t - 1)))),
    # lower bound raised by 1%
    "gw-survival-certified": lambda mp: mp.setattr(R, *_alter("survival_bounds",
                                                              lambda b: (b[0] * sp.Rational(101, 100), b[1]))),
    # offspring mean 1.1: a supercritical process
    "poisson-chain-extinction": lambda mp: mp.setattr(R, *_alter("offspring_pgf",
                                                                 lambda e: e.subs(R.s, 1 + sp.Rational(11, 10) * (R.s - 1)))),
}
