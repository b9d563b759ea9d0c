"""Mutations of the heavy-tail checks (proofs/tails.py): each alters one formula of analytic.tails."""

from __future__ import annotations

import sympy as sp

from collapse.analytic import tails as Z


def _alter(name, change, module=Z):
    orig = getattr(module, name)
    return name, lambda *a, **k: change(orig(*a, **k))


MUTATIONS = {
    # (1 - q)^(T + 1): one draw too many
    "zipf-unseen-formula": lambda mp: mp.setattr(Z, *_alter("unseen_probability", lambda e: e * (1 - Z.q))),
    # the 1/beta factor of the constant dropped
    "zipf-scaling-constant": lambda mp: mp.setattr(Z, *_alter("scaling_constant", lambda ke: (ke[0] * Z.beta, ke[1]))),
    # the Taylor bound q^2/2 replaced by q^2/3 (not a bound)
    "zipf-error-band": lambda mp: mp.setattr(Z, *_alter("exp_chord_bound", lambda e: e * sp.Rational(2, 3))),
    # the constant 2% too large
    "zipf-band-certified": lambda mp: mp.setattr(Z, *_alter("scaling_constant",
                                                            lambda ke: (ke[0] * sp.Rational(102, 100), ke[1]))),
    # half the draws: (1 - q)^(T/2)
    "zipf-unseen-sim": lambda mp: mp.setattr(Z, *_alter("unseen_probability", lambda e: e.subs(Z.T, Z.T / 2))),
    # the tail starts at rank k instead of k + 1
    "tail-cut-floor": lambda mp: mp.setattr(Z, *_alter("plateau", lambda e: e.subs(Z.k, Z.k - 1))),
    # the integral bounds exchanged
    "tail-cut-certified": lambda mp: mp.setattr(Z, *_alter("plateau_bounds", lambda b: (b[1], b[0]))),
    # the floor doubled
    "tail-cut-sim": lambda mp: mp.setattr(Z, *_alter("plateau", lambda e: 2 * e)),
}
