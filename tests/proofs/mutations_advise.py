"""Mutations of the advisor's checks (proofs/advise.py): each alters one formula or step of analytic.advise."""

from __future__ import annotations

import dataclasses

from collapse.analytic import advise as A


def _alter(name, change):
    orig = getattr(A, name)
    return name, lambda *a, **k: change(orig(*a, **k))


def _scaled_value(factor):
    """gaussian_value's (lo, hi, g, note) with both ends scaled: a wrong exact value or bracket."""
    return _alter("gaussian_value", lambda r: (r[0] * factor, r[1] * factor, r[2], r[3]))


def _chi2_one_more_df(mp):
    """Every chi-square batch with one degree of freedom too many: wrong sigma moments of every order >= 2."""
    orig = A._chi2_moments
    mp.setattr(A, "_chi2_moments", lambda df, top, one: orig(None if df is None else df + 1, top, one))


def _one_node_fewer(mp):
    """The orthogonal-polynomial recurrence stops one order early: valid but not the sharp (Markov-Krein) bracket."""
    orig = A._recurrence
    mp.setattr(A, "_recurrence", lambda m, n: orig(m, max(1, n - 1)))


def _brackets_shifted(mp):
    """Every verified E[W2^2] bracket moved up by 2%."""
    mp.setattr(A, *_alter("w2_brackets", lambda out: {
        g: dataclasses.replace(b, lo=b.lo * 1.02, hi=b.hi * 1.02) for g, b in out.items()}))


def _answer_one_too_large(mp):
    """The bisection answers one knob value above the smallest meeting one."""
    orig = A._smallest
    mp.setattr(A, "_smallest", lambda ok, low, high: min(high + 1, orig(ok, low, high) + 1))


MUTATIONS = {
    "fresh-moments-literal": _chi2_one_more_df,
    "fresh-sqrt-bounds": _one_node_fewer,
    "fresh-w2-two-generations": _brackets_shifted,
    # the fresh draws' count chain 2% low
    "fresh-discrete-enumerated": lambda mp: mp.setattr(A, *_alter("presence_curve", lambda x: x * 0.98)),
    # the predicted E[W2^2] (fresh) 10% high: the literal loop's mean falls outside the bracket
    "fresh-answer-loop": lambda mp: mp.setattr(A, *_scaled_value(1.1)),
    "samples-search-exact": _answer_one_too_large,
    # the predicted E[W2^2] (replace) 5% high
    "samples-answer-loop": lambda mp: mp.setattr(A, *_scaled_value(1.05)),
}
