"""Atomic result files: a failed write never corrupts what was already there."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from collapse import __version__
from collapse.core.runio import atomic_write_text, load_npz, metadata, save_json, save_npz


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


def test_written_files_and_folders_are_readable_by_others(tmp_path):
    """tempfile makes owner-only files; results are for sharing (0644 / 0755 under umask 022)."""
    import stat

    from collapse.core.runio import atomic_dir, file_mode

    old = os.umask(0o022)
    try:
        f = atomic_write_text(tmp_path / "a.txt", "x")
        d = atomic_dir(tmp_path / "d", lambda tmp: (tmp / "w.bin").write_bytes(b"1"))
        assert stat.S_IMODE(f.stat().st_mode) == 0o644 == file_mode()
        assert stat.S_IMODE(d.stat().st_mode) == 0o755 and stat.S_IMODE((d / "w.bin").stat().st_mode) == 0o644
        os.umask(0o077)  # a user who asks for private files gets them
        assert stat.S_IMODE(atomic_write_text(tmp_path / "b.txt", "y").stat().st_mode) == 0o600
    finally:
        os.umask(old)


def test_atomic_dir_keeps_the_old_folder_when_filling_fails(tmp_path):
    from collapse.core.runio import atomic_dir

    atomic_dir(tmp_path / "d", lambda tmp: (tmp / "old").write_text("1"))

    def fail(tmp):
        (tmp / "new").write_text("2")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_dir(tmp_path / "d", fail)
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["old"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]
