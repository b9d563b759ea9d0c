"""Mutations of the discrete chain's formulas and samplers; each must make the named check fail."""

from __future__ import annotations

import dataclasses

import sympy as sp

from collapse.analytic import discrete as A
from collapse.analytic import discrete_time as T
from collapse.analytic import wright_fisher as W
from collapse.proofs import discrete as PD


def _wrap(module, name, change):
    orig = getattr(module, name)
    return lambda mp: mp.setattr(module, name, lambda *a, **k: change(orig(*a, **k)))


def _sampler_one_more_point(mp):
    """Every generation draws M + 1 points: the law of the counts is not the chain's."""
    orig = PD.simulate_discrete
    mp.setattr(PD, "simulate_discrete", lambda cfg, rng, **kw: orig(
        dataclasses.replace(cfg, schedule=tuple(m + 1 for m in cfg.schedule)), rng, **kw))


MUTATIONS = {
    "loss-enumerated": _wrap(A, "loss_probability", lambda e: e.subs(A.M, A.M + 1)),
    "loss-pgf": _wrap(A, "loss_probability", lambda e: e.subs(A.M, A.M - 1)),
    "early-loss-bound": _wrap(A, "loss_probability", lambda e: e.subs(A.M, 2 * A.M)),
    "loss-one-generation": _wrap(A, "loss_probability", lambda e: e.subs(A.M, A.M + 5)),
    "martingale-and-deltas": _wrap(A, "one_step_moments", lambda d: d | {"mean": d["mean"] * (1 + 1 / A.M)}),
    "absorption-enumerated": _wrap(A, "absorption_probability", lambda e: e**2),
    "absorption-probability": _wrap(A, "absorption_probability", lambda e: e**2),
    "absorption": _wrap(A, "absorption_probability", lambda e: e**2),
    "heterozygosity-factor": _wrap(A, "heterozygosity_factor", lambda e: e.subs(A.M, A.M / 2)),
    "het-closed-forms-by-induction": _wrap(A, "expected_heterozygosity", lambda e: e.subs(A.t, A.t + 1)),
    "het-enumerated": _wrap(A, "frequency_variance", lambda e: e * (1 + 1 / A.M)),
    "het-at-defaults": _wrap(A, "expected_heterozygosity", lambda e: e * (1 + 1 / A.M**3)),
    "heterozygosity": _wrap(A, "expected_heterozygosity", lambda e: e.subs(A.t, A.t + 3)),
    "samplers-law": _sampler_one_more_point,
    "diffusion-time": _wrap(T, "diffusion_time", lambda e: 2 * e),
    "diffusion-green": _wrap(T, "diffusion_time", lambda e: 2 * e),
    "exact-times-consistency": _wrap(T, "exact_absorption_times", lambda ts: [t * sp.Rational(11, 10) for t in ts]),
    "time-enumerated": _wrap(T, "exact_absorption_times", lambda ts: [t * sp.Rational(101, 100) for t in ts]),
    "exact-vs-diffusion": _wrap(T, "exact_absorption_times", lambda ts: [t * sp.Rational(11, 10) for t in ts]),
    "absorption-time": _wrap(T, "exact_absorption_times", lambda ts: [t * 1.2 for t in ts]),
    "lumpability-enumerated": _wrap(T, "transition_matrix", lambda P: P * P),
    "lost-mass-at-defaults": _wrap(W, "loss_at", lambda p: p * 1.001),
    "lost-mass": _wrap(W, "loss_at", lambda p: p**2),
}
