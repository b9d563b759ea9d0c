"""Test set-up: Hypothesis profiles and shared fixtures.

Profiles (choose with HYPOTHESIS_PROFILE; CI=true selects ``ci``):
- ``default``  fast local runs;
- ``ci``       derandomized (the same examples every run: no flakes), used by .ci/run;
- ``thorough`` many more examples, for local runs before a release.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from importlib.machinery import PathFinder
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

CHECKOUT = Path(__file__).resolve().parents[1]
#: the checkout's folders that are installed only as ``collapse.<name>`` (pyproject.toml's package-dir)
BARE_NAMES = frozenset({"analytic", "simulate", "proofs", "figures", "llm", "core"})


class BareImportGuard(importlib.abc.MetaPathFinder):
    """Refuse ``import figures`` (and the other folders' bare names) when it would load this checkout's folder.

    pytest puts the repository root on ``sys.path`` (tests/ is a package), so a bare
    import would quietly load a second copy of ``collapse.figures`` under another
    name, and would fail in an installed wheel. A package of the same name that lives
    elsewhere on ``sys.path`` (another project's ``llm``) is imported as usual, even
    where the root comes first.
    """

    @staticmethod
    def _is_checkout(entry) -> bool:
        return isinstance(entry, str) and Path(os.path.abspath(entry or os.curdir)) == CHECKOUT

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or fullname not in BARE_NAMES:
            return None
        here = [p for p in sys.path if self._is_checkout(p)]
        if not here:
            return None
        spec = PathFinder.find_spec(fullname, [p for p in sys.path if not self._is_checkout(p)])
        if spec is not None:
            return spec  # a third-party package of that name
        if PathFinder.find_spec(fullname, here) is not None:
            raise ImportError(f"'import {fullname}' would load this checkout's {fullname}/ folder a second time; "
                              f"import collapse.{fullname} instead", name=fullname)
        return None


if not any(isinstance(f, BareImportGuard) for f in sys.meta_path):
    sys.meta_path.insert(0, BareImportGuard())

matplotlib.use("Agg")

settings.register_profile("default", max_examples=15, deadline=None)
settings.register_profile(
    "ci", max_examples=15, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def _private_derivation_cache(tmp_path_factory):
    """Commands run by the tests cache derivations in a folder of the test run, never the user's."""
    old = os.environ.get("COLLAPSE_CACHE_DIR")
    os.environ["COLLAPSE_CACHE_DIR"] = str(tmp_path_factory.mktemp("derivation-cache"))
    yield
    if old is None:
        os.environ.pop("COLLAPSE_CACHE_DIR", None)
    else:
        os.environ["COLLAPSE_CACHE_DIR"] = old


@pytest.fixture
def shared_dir() -> Path:
    """../shared beside the checkout; tests that need it skip where it is absent."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present beside this checkout")
    return SHARED


def pytest_configure(config):
    # the full source-mutation table (tests/proofs/test_source_mutations.py) runs only when asked for
    config.addinivalue_line(
        "markers", "mutation: the full source-mutation table (python -m tests.proofs.mutate); "
                   "runs only with -m mutation or COLLAPSE_MUTATIONS=1")
