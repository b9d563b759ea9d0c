"""Small grids shared by the sweep tests (fixed seeds: the same cells every run)."""

from __future__ import annotations

import pytest
from collapse.simulate.sweep.grid import Grid, parse_grid


def small_grid(seeds: int = 2, chains: int = 500, generations: int = 20) -> Grid:
    """gaussian, 2 sample sizes x 2 estimators x ``seeds`` seeds; each cell a few milliseconds."""
    return parse_grid({"family": "gaussian", "grid": {
        "samples": [10, 100], "estimator": ["unbiased", "mle"], "generations": generations,
        "chains": chains, "seeds": seeds}}, name="small")


@pytest.fixture
def grid() -> Grid:
    return small_grid()
