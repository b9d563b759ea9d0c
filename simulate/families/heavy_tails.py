"""Zipf data and the mass a learner never sees (Hutter's memorisation model).

A learner that memorises its T training tokens errs exactly on test tokens it has
not seen, so its test error is the unseen probability mass U_T = sum of p_i over
the states absent from the sample. With data from a model whose tail was cut at rank
k (the top k states renormalised: a model trained on its own truncated output) the
ranks beyond k are never seen. Both are simulated here, vectorised over chains.

References: Dohmatob, Feng, Yang, Charton, Kempe, "A tale of tails: model collapse as
a change of scaling laws", ICML 2024; see :mod:`collapse.analytic.tails` for the closed forms.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from collapse.core.validation import InvalidArgument, check_int
from collapse.simulate.base import as_generator
from collapse.simulate.families.discrete import DiscreteFamily, DiscreteParams, counts_of

__all__ = ["zipf_probabilities", "zipf_unseen_mass", "cut_tail_test_error"]


def _check_beta(beta: float) -> float:
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not 1 < beta < np.inf:
        raise InvalidArgument("beta", "a real number > 1 (Zipf exponent)", beta)
    return float(beta)


def zipf_probabilities(beta: float, ranks: np.ndarray) -> np.ndarray:
    """p_i = i^-beta / zeta(beta) at the given ranks (i >= 1), same shape as ``ranks``."""
    b = _check_beta(beta)
    return np.asarray(ranks, dtype=float) ** -b / special.zeta(b)


def zipf_unseen_mass(beta: float, samples: int, n_chains: int, rng: np.random.Generator) -> np.ndarray:
    """U_T per chain: the Zipf(beta) mass of the states absent from T = ``samples`` draws.

    Returns
    -------
    ndarray of shape (n_chains,)
    """
    rng = as_generator(rng)
    b = _check_beta(beta)
    T = check_int("samples (T)", samples, minimum=1)
    C = check_int("n_chains", n_chains, minimum=1)
    ranks = np.sort(rng.zipf(b, size=(C, T)), axis=1)  # (C, T), ranks >= 1
    first = np.ones_like(ranks, dtype=bool)
    first[:, 1:] = ranks[:, 1:] != ranks[:, :-1]  # each distinct rank counted once
    seen = np.where(first, zipf_probabilities(b, ranks), 0.0).sum(axis=1)
    return 1.0 - seen


def cut_tail_test_error(beta: float, samples: int, cut: int, n_chains: int,
                        rng: np.random.Generator) -> np.ndarray:
    """Test error per chain of a learner trained on T draws from Zipf(beta) cut at rank k.

    The training distribution is p restricted to ranks 1..k and renormalised; the
    test distribution is the full p. Returns ndarray of shape (n_chains,).
    """
    rng = as_generator(rng)
    b = _check_beta(beta)
    T = check_int("samples (T)", samples, minimum=1)
    k = check_int("cut (k)", cut, minimum=1)
    C = check_int("n_chains", n_chains, minimum=1)
    p = zipf_probabilities(b, np.arange(1, k + 1))
    train = DiscreteParams(np.broadcast_to(p / p.sum(), (C, k)).copy())
    seen = counts_of(DiscreteFamily(k).sample(train, T, rng), k) > 0  # (C, k)
    return 1.0 - seen.astype(float) @ p
