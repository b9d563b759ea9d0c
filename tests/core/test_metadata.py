"""The provenance block of every result: package versions and the git commit of the checkout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import collapse.core.runio as runio
from collapse import __version__
from collapse.core.runio import metadata, package_versions

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_git_cache():
    """A fresh per-process git cache for the test, and again after it (other tests see the real one)."""
    runio.git_state.cache_clear()
    yield
    runio.git_state.cache_clear()


def test_keys_kept_and_json_serialisable():
    meta = metadata({"M": 3}, seed=5, part="x")
    assert {"config", "seed", "versions", "created", "command"} <= set(meta)
    assert meta["config"] == {"M": 3} and meta["seed"] == 5 and meta["part"] == "x"
    assert meta["versions"]["collapse-toolkit"] == __version__
    assert list(meta["versions"])[:2] == ["collapse-toolkit", "python"]
    assert json.loads(json.dumps(meta)) == meta


def test_versions_name_the_distributions_of_imported_packages():
    import flint  # noqa: F401
    import numpy
    import scipy  # noqa: F401
    import sklearn  # noqa: F401

    versions = metadata()["versions"]
    assert versions["numpy"] == numpy.__version__
    # recorded by distribution name, not import name
    assert "python-flint" in versions and "scikit-learn" in versions and "scipy" in versions
    assert "flint" not in versions and "sklearn" not in versions
    assert not any(name in versions for name in ("os", "json", "collapse", "sys"))  # stdlib and the project


def test_versions_include_torch_and_transformers_once_imported():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from importlib.metadata import version

    versions = metadata()["versions"]
    assert versions["torch"] == version("torch") == torch.__version__
    assert versions["transformers"] == version("transformers") == transformers.__version__


def test_a_package_imported_later_appears_in_later_metadata(monkeypatch):
    """The versions are read from sys.modules at each call, not frozen at the first one."""
    pytest.importorskip("mdurl")
    for name in [n for n in sys.modules if n == "mdurl" or n.startswith("mdurl.")]:
        monkeypatch.delitem(sys.modules, name)
    assert "mdurl" not in package_versions()
    import mdurl  # noqa: F401

    assert "mdurl" in package_versions()


def test_git_commit_recorded_in_this_checkout(fresh_git_cache):
    if runio.source_folder() != CHECKOUT or not (CHECKOUT / ".git").exists():
        pytest.skip("the package is not imported from this git checkout")
    try:
        head = subprocess.run(["git", "-C", str(CHECKOUT), "rev-parse", "HEAD"], capture_output=True,
                              text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pytest.skip("git cannot read this checkout")
    git = metadata()["git"]
    assert git["commit"] == head and isinstance(git["dirty"], bool)


def test_no_commit_and_no_error_outside_a_checkout(tmp_path, monkeypatch, fresh_git_cache):
    monkeypatch.setattr(runio, "source_folder", lambda: tmp_path)  # an installed wheel: no .git
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: calls.append(a))
    meta = metadata({"M": 1})
    assert "git" not in meta and meta["versions"]["collapse-toolkit"] == __version__
    assert calls == []  # git is not even asked


@pytest.mark.parametrize("failure", [FileNotFoundError("git"), subprocess.TimeoutExpired("git", 5),
                                     subprocess.CalledProcessError(128, "git")])
def test_failing_git_means_no_commit(tmp_path, monkeypatch, fresh_git_cache, failure):
    (tmp_path / ".git").mkdir()
    monkeypatch.setattr(runio, "source_folder", lambda: tmp_path)

    def fail(*args, **kwargs):
        assert kwargs.get("timeout"), "git must run with a timeout"
        raise failure

    monkeypatch.setattr(subprocess, "run", fail)
    assert "git" not in metadata()


def test_git_runs_once_per_process(tmp_path, monkeypatch, fresh_git_cache):
    (tmp_path / ".git").mkdir()
    monkeypatch.setattr(runio, "source_folder", lambda: tmp_path)
    calls = []

    def fake_git(args, **kwargs):
        calls.append(args)
        out = "0123456789abcdef0123456789abcdef01234567\n" if "rev-parse" in args else " M core/runio.py\n"
        return subprocess.CompletedProcess(args, 0, stdout=out, stderr="")

    monkeypatch.setattr(subprocess, "run", fake_git)
    metas = [metadata(seed=k) for k in range(5)]
    assert len(calls) == 2  # rev-parse HEAD and status --porcelain, once
    assert all(m["git"] == {"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": True} for m in metas)
    metas[0]["git"]["dirty"] = False  # a caller changing its copy does not change the cache
    assert metadata()["git"]["dirty"] is True


def test_clean_tree_is_not_dirty(tmp_path, monkeypatch, fresh_git_cache):
    (tmp_path / ".git").mkdir()
    monkeypatch.setattr(runio, "source_folder", lambda: tmp_path)
    monkeypatch.setattr(subprocess, "run", lambda args, **kw: subprocess.CompletedProcess(
        args, 0, stdout="a" * 40 + "\n" if "rev-parse" in args else "", stderr=""))
    assert metadata()["git"] == {"commit": "a" * 40, "dirty": False}


def test_metadata_is_cheap_once_warm():
    import time

    metadata()
    t0 = time.perf_counter()
    for _ in range(50):
        metadata()
    assert (time.perf_counter() - t0) / 50 < 0.02  # no git, no scan of installed packages per call
