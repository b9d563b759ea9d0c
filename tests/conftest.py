"""Test set-up: Hypothesis profiles and shared fixtures.

Profiles (choose with HYPOTHESIS_PROFILE; CI=true selects ``ci``):
- ``default``  fast local runs;
- ``ci``       derandomized (the same examples every run: no flakes), used by .ci/run;
- ``thorough`` many more examples, for local runs before a release.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")

settings.register_profile("default", max_examples=15, deadline=None)
settings.register_profile(
    "ci", max_examples=15, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the checkout; tests that need it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside this checkout")
    return SHARED
