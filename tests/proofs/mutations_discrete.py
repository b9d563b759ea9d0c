"""Mutations of the discrete chain's formulas; each must make the named check fail."""

from __future__ import annotations

import sympy as sp

from collapse.analytic import discrete as A
from collapse.analytic import discrete_time as T


def _wrap(module, name, change):
    orig = getattr(module, name)
    return lambda mp: mp.setattr(module, name, lambda *a, **k: change(orig(*a, **k)))


MUTATIONS = {
    "loss-pgf": _wrap(A, "loss_probability", lambda e: e.subs(A.M, A.M - 1)),
    "early-loss-bound": _wrap(A, "loss_probability", lambda e: e.subs(A.M, 2 * A.M)),
    "loss-one-generation": _wrap(A, "loss_probability", lambda e: e.subs(A.M, A.M + 5)),
    "martingale-and-deltas": _wrap(A, "one_step_moments", lambda d: d | {"mean": d["mean"] * (1 + 1 / A.M)}),
    "absorption-probability": _wrap(A, "absorption_probability", lambda e: e**2),
    "absorption": _wrap(A, "absorption_probability", lambda e: e**2),
    "heterozygosity-factor": _wrap(A, "heterozygosity_factor", lambda e: e.subs(A.M, A.M / 2)),
    "heterozygosity": _wrap(A, "expected_heterozygosity", lambda e: e.subs(A.t, A.t + 3)),
    "diffusion-time": _wrap(T, "diffusion_time", lambda e: 2 * e),
    "exact-vs-diffusion": _wrap(T, "exact_absorption_times", lambda ts: [t * sp.Rational(11, 10) for t in ts]),
    "absorption-time": _wrap(T, "exact_absorption_times", lambda ts: [t * 1.2 for t in ts]),
    "lost-mass": _wrap(T, "loss_by", lambda p: p**2),
}
