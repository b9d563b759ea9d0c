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
