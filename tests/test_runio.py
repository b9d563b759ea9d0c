"""Atomic result files: a failed write never corrupts what was already there."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from collapse import __version__
from collapse.runio import atomic_write_text, load_npz, metadata, save_json, save_npz


def test_failed_write_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "r.json"
    save_json(path, {"a": 1})

    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        atomic_write_text(path, "garbage")
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temp file left behind


def test_npz_carries_config_seed_and_version(tmp_path):
    path = save_npz(tmp_path / "x.npz", metadata({"M": 10}, seed=7), x=np.arange(3))
    meta, arrays = load_npz(path)
    assert meta["config"] == {"M": 10} and meta["seed"] == 7
    assert meta["versions"]["collapse-toolkit"] == __version__
    np.testing.assert_array_equal(arrays["x"], np.arange(3))


def test_result_exists_keeps_same_config_and_refuses_another(tmp_path):
    from collapse.runio import result_exists
    from collapse.validation import InvalidArgument

    path = tmp_path / "r.npz"
    assert not result_exists(path, {"sizes": (1, 2)})
    save_npz(path, metadata({"sizes": (1, 2)}), x=np.arange(2))
    assert result_exists(path, {"sizes": (1, 2)})  # tuples compare equal to the lists JSON gives back
    before = path.read_bytes()
    with pytest.raises(InvalidArgument, match="same config"):
        result_exists(path, {"sizes": (1, 3)})
    assert path.read_bytes() == before
