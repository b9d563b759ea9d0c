"""Mutations of the regression checks (proofs/regression.py): analytic.regression_theory and the
recursions of analytic.mixing that it reuses."""

from __future__ import annotations

import sympy as sp

from collapse.analytic import mixing as X
from collapse.analytic import regression_theory as RT


def _alter(module, name, change):
    orig = getattr(module, name)
    return name, lambda *a, **k: change(orig(*a, **k))


MUTATIONS = {
    # E[1/chi2_k] = 1/(k - 1): the -d-1 of the inverse Wishart becomes -d
    "ols-one-generation-risk": lambda mp: mp.setattr(RT, *_alter(RT, "inverse_chi2_mean",
                                                                 lambda mk: (mk[0].subs(mk[1], mk[1] + 1), mk[1]))),
    # the same degree-of-freedom slip, seen by the second derivation
    "ols-risk-bartlett": lambda mp: mp.setattr(RT, *_alter(RT, "inverse_chi2_mean",
                                                           lambda mk: (mk[0].subs(mk[1], mk[1] + 1), mk[1]))),
    # accumulate increments 1/j instead of 1/j^2
    "regression-accumulate-increments": lambda mp: mp.setattr(X, *_alter(X, "accumulate_risk", lambda e: e.replace(
        sp.harmonic, lambda n, *r: sp.harmonic(n)))),
    # the generation count off by one, against the exact propagation
    "regression-refit-propagation": lambda mp: mp.setattr(RT, *_alter(RT, "replace_test_error",
                                                                      lambda e: e.subs(RT.g, RT.g + 1))),
    # replace grows quadratically: g^2 v
    "regression-replace-linear": lambda mp: mp.setattr(X, *_alter(X, "replace_risk", lambda e: e * X.g)),
    # accumulate weights 1/j instead of 1/j^2: harmonic growth, unbounded
    "regression-accumulate-bounded": lambda mp: mp.setattr(X, *_alter(X, "accumulate_risk",
                                                                      lambda e: e.replace(sp.harmonic, lambda n, *r: sp.harmonic(n)))),
    # the generation count off by one: (g + 1) v
    "regression-replace-sim": lambda mp: mp.setattr(RT, *_alter(RT, "replace_test_error", lambda e: e.subs(RT.g, RT.g + 1))),
    # accumulate weights 1/j instead of 1/j^2
    "regression-accumulate-sim": lambda mp: mp.setattr(X, *_alter(X, "accumulate_risk",
                                                                  lambda e: e.replace(sp.harmonic, lambda n, *r: sp.harmonic(n)))),
}
