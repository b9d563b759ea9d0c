"""The one experiment runner: each clause of its contract, and the bad folders it refuses up front."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import numpy as np
import pytest

from collapse.core.runio import load_npz
from collapse.core.runner import MANIFEST, DamagedFile, Run, check_out_dir, config_diff
from collapse.core.validation import InvalidArgument


def _fresh(tmp_path, name="exp", config=None, **kw):
    return Run.open(tmp_path, name, {"M": 10, "sizes": (1, 2), "nested": {"a": 1}} if config is None else config,
                    seed=7, **kw)


def test_the_folder_holds_the_config(tmp_path):
    run = _fresh(tmp_path)
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    entry = manifest["runs"]["exp"]
    assert entry["config"] == {"M": 10, "sizes": [1, 2], "nested": {"a": 1}}
    assert entry["started"]["seed"] == 7 and "collapse-toolkit" in entry["started"]["versions"]
    path = run.save_npz("results/x.npz", run.metadata(), x=np.arange(3))
    meta, arrays = load_npz(path)
    assert meta["config"] == entry["config"] and meta["seed"] == 7 and meta["experiment"] == "exp"


def test_resume_with_the_same_config_keeps_finished_work(tmp_path):
    run = _fresh(tmp_path)
    made = []
    path = run.once("results/x.npz", lambda p: (made.append(1), run.save_npz("results/x.npz", x=np.zeros(2))))
    stamp = path.stat().st_mtime_ns
    again = _fresh(tmp_path)  # tuples compare equal to the lists JSON gives back
    again.once("results/x.npz", lambda p: made.append(2))
    assert made == [1] and path.stat().st_mtime_ns == stamp and again.done("results/x.npz")


def test_resume_with_another_config_is_refused_naming_the_keys(tmp_path):
    run = _fresh(tmp_path)
    run.save_npz("results/x.npz", x=np.zeros(2))
    before = (tmp_path / "results" / "x.npz").read_bytes()
    with pytest.raises(InvalidArgument) as err:
        _fresh(tmp_path, config={"M": 11, "sizes": (1, 2), "nested": {"a": 2}, "extra": True})
    msg = str(err.value)
    assert "M: 10 -> 11" in msg and "nested.a: 1 -> 2" in msg and "extra: (absent) -> True" in msg
    assert "sizes" not in msg and "--force" in msg
    assert (tmp_path / "results" / "x.npz").read_bytes() == before


def test_force_deletes_only_what_this_experiment_wrote(tmp_path):
    run = _fresh(tmp_path)
    run.save_npz("results/x.npz", x=np.zeros(2))
    run.own("cells")
    run.write_text("cells/a.json", "{}")
    other = _fresh(tmp_path, name="other", config={"k": 1})
    other.write_text("results/y.txt", "keep")
    (tmp_path / "mine.txt").write_text("a user's file")
    new = _fresh(tmp_path, config={"M": 11}, force=True)
    assert not (tmp_path / "results" / "x.npz").exists() and not (tmp_path / "cells").exists()
    assert (tmp_path / "results" / "y.txt").read_text() == "keep" and (tmp_path / "mine.txt").exists()
    assert json.loads((tmp_path / MANIFEST).read_text())["runs"]["exp"]["config"] == {"M": 11}
    assert not new.done("results/x.npz")


def test_a_result_of_another_config_is_refused_not_overwritten(tmp_path):
    """A file written before the folder had a manifest (or by hand) is not silently replaced."""
    from collapse.core.runio import metadata, save_npz

    save_npz(tmp_path / "results" / "x.npz", metadata({"M": 3}), x=np.zeros(1))
    run = _fresh(tmp_path)
    with pytest.raises(InvalidArgument) as err:
        run.done("results/x.npz")
    assert "M: 3 -> 10" in str(err.value)


@pytest.mark.parametrize("name, content", [
    pytest.param("results/x.npz", b"", id="empty-npz"),
    pytest.param("results/x.npz", b"PK\x03\x04garbage", id="garbage-npz"),
    pytest.param("parts/p.json", b'{"status": "do', id="truncated-json"),
])
def test_a_damaged_result_is_reported_by_name_with_what_to_do(tmp_path, name, content):
    run = _fresh(tmp_path)
    if name.endswith(".npz"):
        run.save_npz(name, x=np.zeros(1000))
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DamagedFile) as err:
        run.done(name)
    msg = str(err.value)
    assert msg.startswith(str(tmp_path / name)) and "delete it" in msg and "--force" in msg
    assert "\n" not in msg


def test_a_damaged_manifest_is_reported(tmp_path):
    (tmp_path / MANIFEST).write_text("[1, 2")
    with pytest.raises(DamagedFile) as err:
        _fresh(tmp_path)
    assert MANIFEST in str(err.value)


def test_temporaries_of_a_killed_run_are_removed_on_resume(tmp_path):
    run = _fresh(tmp_path)
    run.save_npz("results/x.npz", x=np.zeros(2))
    (tmp_path / "results" / ".x.npz.abc123.tmp").write_bytes(b"half")
    (tmp_path / ".pretrained.q1.tmp").mkdir()
    (tmp_path / ".pretrained.q1.tmp" / "w.bin").write_bytes(b"half")
    _fresh(tmp_path)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")) == []
    assert (tmp_path / "results" / "x.npz").exists()


def test_a_killed_writer_leaves_only_a_temporary_that_resume_removes(tmp_path):
    """kill -9 in the middle of an atomic write: the old result stands, the temporary goes on resume."""
    run = _fresh(tmp_path)
    run.write_text("results/r.txt", "complete")
    code = (
        "import os, sys\n"
        "from collapse.core import runio\n"
        "real = os.replace\n"
        "def die(src, dst):\n"
        "    os.kill(os.getpid(), 9)\n"
        "os.replace = die\n"
        f"runio.atomic_write_text({str(tmp_path / 'results' / 'r.txt')!r}, 'half-written')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == -9
    assert (tmp_path / "results" / "r.txt").read_text() == "complete"
    assert any(p.name.endswith(".tmp") for p in (tmp_path / "results").iterdir())
    _fresh(tmp_path)
    assert [p.name for p in (tmp_path / "results").iterdir()] == ["r.txt"]


def test_every_file_is_readable_by_others(tmp_path):
    old = os.umask(0o022)
    try:
        run = _fresh(tmp_path)
        for p in (run.save_npz("a.npz", x=np.zeros(1)), run.save_json("b.json", {}), run.write_text("c.md", "x"),
                  tmp_path / MANIFEST):
            assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
    finally:
        os.umask(old)


def test_another_process_writing_the_folder_is_refused(tmp_path):
    _fresh(tmp_path)  # this process holds the folder now
    code = ("from collapse.core.runner import Run\n"
            f"Run.open({str(tmp_path)!r}, 'exp', {{'M': 10, 'sizes': [1, 2], 'nested': {{'a': 1}}}})\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode != 0 and "no other process is writing" in proc.stderr
    _fresh(tmp_path)  # the same process may open it again


@pytest.mark.parametrize("make, why", [
    pytest.param(lambda t: "", "a directory path", id="empty"),
    pytest.param(lambda t: (t / "f").write_text("x") and t / "f", "existing file", id="a-file"),
    pytest.param(lambda t: (t / "f").write_text("x") and t / "f" / "sub", "is a file", id="under-a-file"),
])
def test_bad_output_folders_are_refused_before_any_work(tmp_path, make, why):
    with pytest.raises(InvalidArgument) as err:
        check_out_dir(make(tmp_path), "--out")
    assert str(err.value).startswith("--out: expected") and why in str(err.value)


def test_an_unwritable_folder_is_refused(tmp_path):
    """A read-only bind mount (root ignores chmod); skipped where mounting is not allowed."""
    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["mount", "--bind", "-o", "ro", str(ro), str(ro)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a read-only bind mount here")
    try:
        with pytest.raises(InvalidArgument) as err:
            Run.open(ro / "run", "exp", {})
        assert "read-only file system" in str(err.value)
    finally:
        subprocess.run(["umount", str(ro)], check=True)


def test_config_diff_names_leaves():
    assert config_diff({"a": [1, 2], "b": {"c": 1}}, {"a": [1, 2], "b": {"c": 1}}) == []
    assert config_diff({"a": 1}, {"b": 1}) == ["a: 1 -> (absent)", "b: (absent) -> 1"]
    assert config_diff(1, 2) == ["config: 1 -> 2"]


# ---- digests: a changed file is noticed even where its format cannot tell ------------------------

@pytest.mark.parametrize("damage", ["truncate", "flip", "append"])
def test_a_changed_opaque_file_is_not_counted_done(tmp_path, damage):
    """Model weights or a figure (no format to parse): their recorded size and sha256 decide."""
    run = _fresh(tmp_path)
    path = run.write_bytes("model/weights.bin", bytes(range(256)) * 64)
    assert run.done("model/weights.bin")
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:100]
    elif damage == "flip":
        data[5000] ^= 1  # same size: only the hash tells
    else:
        data += b"x"
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(DamagedFile, match="weights.bin"):
        _fresh(tmp_path).done("model/weights.bin")
    assert path.read_bytes() == before  # reported, never overwritten


def test_once_records_what_make_wrote(tmp_path):
    run = _fresh(tmp_path)
    run.once("out.bin", lambda p: p.write_bytes(b"abc"))
    (tmp_path / "out.bin").write_bytes(b"abd")
    with pytest.raises(DamagedFile, match="out.bin"):
        run.once("out.bin", lambda p: p.write_bytes(b"abc"))


def test_an_intact_file_stays_done_and_a_missing_one_is_redone(tmp_path):
    run = _fresh(tmp_path)
    run.write_text("notes.txt", "hello\n")
    assert _fresh(tmp_path).done("notes.txt")
    (tmp_path / "notes.txt").unlink()
    assert not _fresh(tmp_path).done("notes.txt")


# ---- ownership: one experiment cannot overwrite another's files ----------------------------------

@pytest.mark.parametrize("mine, theirs", [("summary.json", "summary.json"), ("cells/a.json", "cells"),
                                          ("cells", "cells/a.json")])
def test_a_file_another_experiment_owns_is_refused(tmp_path, mine, theirs):
    sweep = _fresh(tmp_path, name="sweep")
    sweep.own(theirs)
    if "." in theirs:
        sweep.write_text(theirs, "the sweep's\n")
    other = _fresh(tmp_path, name="llm", config={"x": 1})
    with pytest.raises(InvalidArgument, match="'sweep' owns"):
        other.write_text(mine, "overwritten\n") if "." in mine else other.own(mine)
    if "." in theirs:
        assert (tmp_path / theirs).read_text() == "the sweep's\n"


def test_experiments_share_a_folder_with_their_own_files(tmp_path):
    a = _fresh(tmp_path, name="a")
    b = _fresh(tmp_path, name="b", config={"y": 2})
    a.write_text("results/a.txt", "a\n")
    b.write_text("results/b.txt", "b\n")  # siblings in one folder: no conflict
    assert a.done("results/a.txt") and b.done("results/b.txt")


def test_garbage_npz_is_named_without_suggesting_to_unpickle(tmp_path):
    run = _fresh(tmp_path)
    (tmp_path / "x.npz").write_bytes(b"\x80\x04garbage")
    with pytest.raises(DamagedFile) as info:
        run.done("x.npz")
    assert "pickle" not in str(info.value) and "not an NPZ" in str(info.value)
