"""Mutations of the data-regime formulas (discrete mixing and pooling, accumulate, KDE, Gaussian mixing, retraining)."""

from __future__ import annotations

import sympy as sp

from collapse.analytic import gaussian as G
from collapse.analytic import gaussian_mixing as GX
from collapse.analytic import mixing as X
from collapse.simulate.loop import Regime


def _wrap(module, name, change):
    orig = getattr(module, name)
    return lambda mp: mp.setattr(module, name, lambda *a, **k: change(orig(*a, **k)))


def _swapped_shares(mp):
    orig = Regime.shares
    mp.setattr(Regime, "shares", lambda self, m: tuple(reversed(orig(self, m))) if self.kind == "mix" else orig(self, m))


MUTATIONS = {
    "discrete-mix-fixed-point": _wrap(X, "discrete_mix_fixed_point", lambda e: 2 * e),
    "discrete-mix-second-derivation": _wrap(X, "discrete_mix_recursion", lambda ab: (ab[0], 2 * ab[1])),
    "discrete-mix-enumerated": _wrap(X, "discrete_mix_heterozygosity", lambda e: e * (1 + 1 / X.M**2)),
    "discrete-mix-positive": _wrap(X, "discrete_mix_fixed_point", lambda e: -e),
    "discrete-mix": _wrap(X, "discrete_mix_heterozygosity", lambda e: e * 9 / 10),
    "pool-enumerated": _wrap(X, "discrete_pool_heterozygosity", lambda v: [e * sp.Rational(101, 100) for e in v]),
    "pool-limit": _wrap(X, "discrete_pool_factors", lambda f: f | {"accumulate": f["accumulate"] ** 2}),
    "pool-regimes": _wrap(X, "discrete_pool_heterozygosity", lambda v: [e * sp.Rational(95, 100) for e in v]),
    "accumulate-steps": _wrap(G, "accumulate_step", lambda d: d | {"mean_step": 2 * d["mean_step"]}),
    "accumulate-pair-derivation": _wrap(G, "accumulate_step", lambda d: d | {"ss_step": d["ss_step"] + 1 / G.M}),
    "accumulate-literal-moments": _wrap(G, "accumulate_step", lambda d: d | {"ss_step": d["ss_step"] * 11 / 10}),
    "accumulate-vs-replace": _wrap(G, "accumulate_step", lambda d: d | {"mean_step": 3 * d["mean_step"] / 2}),
    "accumulate-loop": _wrap(G, "accumulate_step", lambda d: d | {"ss_step": d["ss_step"] * 11 / 10}),
    "kde-forms": _wrap(X, "kde_variance", lambda tf: (tf[0], 2 * tf[1])),
    "kde-pair-derivation": _wrap(X, "kde_variance", lambda tf: (6 * tf[0] / 5, tf[1])),
    "kde": _wrap(X, "kde_variance", lambda tf: (6 * tf[0] / 5, tf[1])),
    # analytic.gaussian_mixing (the other gaussian-fresh-data / retrain-stability checks are in test_mutations.py)
    "mix-second-derivation": _wrap(GX, "mix_recursion", lambda Ab: (Ab[0], 2 * Ab[1])),
    "mix-literal-moments": _wrap(GX, "mix_recursion", lambda Ab: (Ab[0] + sp.diag(sp.Rational(1, 10), 0), Ab[1])),
    "mix-shares": _swapped_shares,
    "retrain-fixed-point-consistency": _wrap(GX, "retrain_fixed_point", lambda e: 2 * e),
    "retrain-unrolled": _wrap(GX, "retrain_fixed_point", lambda e: 2 * e),
}


def _loop_regime_replaced(mp):
    """The loop ignores the regime (every regime runs as replace)."""
    from collapse.simulate import loop as L

    orig = L.step
    mp.setattr(L, "step", lambda family, state, m, rng, regime, source: orig(family, state, m, rng, Regime(), source))


MUTATIONS |= {"mix-law": _loop_regime_replaced, "pool-law": _loop_regime_replaced}
