"""Mutations of the data-regime formulas (discrete mixing, accumulate, KDE)."""

from __future__ import annotations

from collapse.analytic import gaussian as G
from collapse.analytic import mixing as X


def _wrap(module, name, change):
    orig = getattr(module, name)
    return lambda mp: mp.setattr(module, name, lambda *a, **k: change(orig(*a, **k)))


MUTATIONS = {
    "discrete-mix-fixed-point": _wrap(X, "discrete_mix_fixed_point", lambda e: 2 * e),
    "discrete-mix": _wrap(X, "discrete_mix_heterozygosity", lambda e: e * 9 / 10),
    "accumulate-steps": _wrap(G, "accumulate_step", lambda d: d | {"mean_step": 2 * d["mean_step"]}),
    "accumulate-vs-replace": _wrap(G, "accumulate_step", lambda d: d | {"mean_step": 3 * d["mean_step"] / 2}),
    "kde-forms": _wrap(X, "kde_variance", lambda tf: (tf[0], 2 * tf[1])),
    "kde": _wrap(X, "kde_variance", lambda tf: (6 * tf[0] / 5, tf[1])),
}
