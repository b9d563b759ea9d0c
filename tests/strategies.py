"""Hypothesis strategies shared by every test module (one place, documented builders).

Statistical tests draw a ``seed`` and build ``np.random.default_rng(seed)``;
under the derandomized ``ci`` profile the seeds, hence the outcomes, are fixed.
"""

from __future__ import annotations

from hypothesis import strategies as st

#: a seed for np.random.default_rng
seeds = st.integers(min_value=0, max_value=2**32 - 1)

#: samples per generation for the Gaussian chain (M >= 2)
sample_sizes = st.integers(min_value=2, max_value=500)

#: the 1-D Gaussian's starting standard deviation, over many orders of magnitude
sigma0s = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)

estimators = st.sampled_from(["unbiased", "mle"])


@st.composite
def schedules(draw, min_size: int = 1, max_size: int = 20, min_m: int = 2, max_m: int = 1000):
    """A sample-size schedule (M_0, ..., M_{n-1}), each M_i in [min_m, max_m]."""
    return tuple(draw(st.lists(st.integers(min_m, max_m), min_size=min_size, max_size=max_size)))


# --- simulate/ families and regimes (issue 4) ---------------------------------

import numpy as np  # noqa: E402


@st.composite
def simplex_points(draw, min_k: int = 2, max_k: int = 8, min_prob: float = 0.0):
    """A probability vector of length K in [min_k, max_k]; every entry >= ``min_prob``.

    Built from integer weights so that ties, zeros (when ``min_prob`` = 0) and
    very uneven vectors all occur.
    """
    k = draw(st.integers(min_k, max_k))
    w = np.array(draw(st.lists(st.integers(0 if min_prob == 0 else 1, 50), min_size=k, max_size=k)), float)
    if w.sum() == 0:
        w[draw(st.integers(0, k - 1))] = 1.0
    p = w / w.sum()
    if min_prob > 0:
        p = min_prob + (1 - k * min_prob) * p
    return p


@st.composite
def pd_covariances(draw, dim: int = 2, min_eig: float = 0.05, max_eig: float = 20.0):
    """A symmetric positive-definite (dim, dim) matrix with eigenvalues in [min_eig, max_eig]."""
    eig = np.array(draw(st.lists(st.floats(min_eig, max_eig), min_size=dim, max_size=dim)))
    angle = draw(st.floats(0, np.pi))
    q = np.eye(dim)
    if dim >= 2:  # a rotation in the first plane; enough to make off-diagonals non-zero
        c, s = np.cos(angle), np.sin(angle)
        q[:2, :2] = [[c, -s], [s, c]]
    return (q * eig) @ q.T


@st.composite
def mixing_weights(draw, min_gamma: float = 0.0):
    """(alpha, beta, gamma), non-negative, summing to 1 (the paper's mixing regime)."""
    a, b, c = (draw(st.integers(0, 20)) for _ in range(3))
    c = max(c, 1) if min_gamma > 0 else c
    if a + b + c == 0:
        a = 1
    tot = a + b + c
    w = (a / tot, b / tot, c / tot)
    if w[2] < min_gamma:
        w = ((1 - min_gamma) * w[0] / (w[0] + w[1] or 1), (1 - min_gamma) * w[1] / (w[0] + w[1] or 1), min_gamma)
        if w[0] + w[1] == 0:
            w = (1 - min_gamma, 0.0, min_gamma)
    return w


#: named sample-size schedules: (kind, base M)
schedule_kinds = st.sampled_from(["constant", "linear", "quadratic"])

regime_names = st.sampled_from(["replace", "accumulate", "accumulate-subsample", "mix:0.5,0.25,0.25"])
