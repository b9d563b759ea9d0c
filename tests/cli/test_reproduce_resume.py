"""``collapse reproduce`` resumes part by part and never keeps a damaged part as done.

The parts are replaced by two tiny ones (the real ones take minutes); what is tested is
reproduce's own bookkeeping: part records, their outputs' digests, the seed in the folder's
config, and the one-line refusals.
"""

from __future__ import annotations

import pytest

import collapse.reproduce as R
from collapse.core.runner import DamagedFile
from collapse.core.validation import InvalidArgument


@pytest.fixture
def tiny(monkeypatch):
    """reproduce with two parts that write one figure-like file each; the report is a stub."""
    calls = []

    def make(name):
        def run(r):
            calls.append(name)
            r.own("figures")
            path = r.path(f"figures/{name}.png")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"\x89PNG fake " + name.encode() * 50)
            return [path]
        return run

    def parts(scale, seed, options=None, force=False):
        return [R.Part(n, f"part {n}", {"seed": seed, "n": n}, make(n)) for n in ("a", "b")]

    def build(out, scale, seed):
        return out / "report.md", out / "report.html"

    monkeypatch.setattr(R, "parts", parts)
    monkeypatch.setattr("collapse.report.build", build)
    return calls


def test_a_finished_part_is_kept(tiny, tmp_path):
    assert R.reproduce(tmp_path, "quick", 5) == 0
    assert tiny == ["a", "b"]
    assert R.reproduce(tmp_path, "quick", 5) == 0
    assert tiny == ["a", "b"]  # nothing recomputed


def test_a_deleted_output_redoes_its_part_only(tiny, tmp_path):
    R.reproduce(tmp_path, "quick", 5)
    (tmp_path / "figures" / "b.png").unlink()
    R.reproduce(tmp_path, "quick", 5)
    assert tiny == ["a", "b", "b"]


@pytest.mark.parametrize("damage", ["truncate", "edit"])
def test_a_damaged_output_is_named_not_kept_done(tiny, tmp_path, damage):
    R.reproduce(tmp_path, "quick", 5)
    png = tmp_path / "figures" / "a.png"
    data = png.read_bytes()
    png.write_bytes(data[:10] if damage == "truncate" else data[:-1] + b"!")
    before = png.read_bytes()
    with pytest.raises(DamagedFile, match="a.png"):
        R.reproduce(tmp_path, "quick", 5)
    assert png.read_bytes() == before and tiny == ["a", "b"]


def test_another_seed_into_the_same_folder_is_refused(tiny, tmp_path):
    R.reproduce(tmp_path, "quick", 5)
    with pytest.raises(InvalidArgument, match="seed: 5 -> 6"):
        R.reproduce(tmp_path, "quick", 6)
    assert tiny == ["a", "b"]
    assert R.reproduce(tmp_path, "quick", 6, force=True) == 0  # --force starts over with the new seed
    assert tiny == ["a", "b", "a", "b"]


def test_quick_refuses_full_only_options(tiny, tmp_path):
    with pytest.raises(InvalidArgument, match="--model"):
        R.reproduce(tmp_path / "x", "quick", 5, model="facebook/opt-125m")
    assert not (tmp_path / "x").exists()


def test_a_damaged_part_record_is_named(tiny, tmp_path):
    R.reproduce(tmp_path, "quick", 5)
    (tmp_path / "parts" / "a.json").write_text("{ truncated")
    with pytest.raises(DamagedFile, match="a.json"):
        R.reproduce(tmp_path, "quick", 5)
