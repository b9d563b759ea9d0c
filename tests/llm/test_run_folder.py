"""The language-model driver as a run folder (collapse.core.runner): run.json, force, stale temporaries,
file modes, damaged files of finished generations, and the other ranks' reading view."""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat

import numpy as np
import pytest

from collapse.core.runio import as_json, load_npz, read_json
from collapse.core.runner import MANIFEST, DamagedFile
from collapse.core.validation import InvalidArgument
from collapse.llm.experiment import Runtime, load_summary, run

QUIET = Runtime(progress=False)
OUTPUTS = {"data/blocks.npz", "data/language.npz", "data/truth_beam.npz", "pretrained", "runs/no-data-kept",
           "runs/10pct-kept", "llm_summary.json", "llm_summary.csv", "llm_summary_by_generation.csv"}


def _snapshot(out):
    return {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}


def _copy(full, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(full, out)
    return out


def test_run_json_holds_the_config_and_owns_every_output(tiny_run):
    cfg, out = tiny_run
    entry = read_json(out / MANIFEST)["runs"]["llm"]
    assert entry["config"] == as_json(cfg)
    assert set(entry["files"]) >= OUTPUTS
    for p in out.rglob("*"):
        rel = p.relative_to(out).as_posix()
        if p.is_file() and rel not in (MANIFEST, ".lock"):
            assert any(rel == f or rel.startswith(f + "/") for f in entry["files"]), rel


def test_every_file_written_is_mode_0644_and_every_folder_0755(tiny_run):
    umask = os.umask(0)
    os.umask(umask)
    if umask != 0o022:
        pytest.skip(f"results follow the umask ({umask:03o}); this checks the usual 022")
    _, out = tiny_run
    pre = [p for p in (out / "pretrained").rglob("*") if p.is_file()]
    assert {p.name for p in pre} >= {"config.json", "model.safetensors", "tokenizer.json"}
    for p in out.rglob("*"):  # (out itself is pytest's, made 0700)
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode == (0o755 if p.is_dir() else 0o644), f"{p}: {mode:o}"


def test_force_starts_over(tiny_run, tmp_path):
    cfg, full = tiny_run
    out = _copy(full, tmp_path)
    (out / "notes.txt").write_text("not the experiment's")
    new = dataclasses.replace(cfg, settings=cfg.settings[:1], generations=1)
    with pytest.raises(InvalidArgument, match=r"generations: 2 -> 1"):
        run(new, out, QUIET)
    old = 1_000_000_000  # 2001: what is written from now on is newer
    for p in out.rglob("*"):
        os.utime(p, (old, old))
    run(new, out, QUIET, force=True)
    assert read_json(out / MANIFEST)["runs"]["llm"]["config"] == as_json(new)
    assert (out / "notes.txt").read_text() == "not the experiment's"
    assert sorted(p.name for p in (out / "runs").iterdir()) == [cfg.settings[0].name]
    chain = out / "runs" / cfg.settings[0].name / "seed0"
    assert sorted(p.name for p in chain.iterdir()) == ["gen00"]
    assert [r["generation"] for r in load_summary(out)[1]] == [0]
    for p in out.rglob("*"):  # everything of the experiment is new
        if p.is_file() and p.name not in ("notes.txt", ".lock"):
            assert p.stat().st_mtime > old + 1, p
    # the same data seed and chain seed: generation 0 is recomputed to the same result
    ref = full / "runs" / cfg.settings[0].name / "seed0" / "gen00"
    np.testing.assert_array_equal(load_npz(chain / "gen00" / "train.npz")[1]["blocks"],
                                  load_npz(ref / "train.npz")[1]["blocks"])
    assert read_json(chain / "gen00" / "metrics.json")["test"] == read_json(ref / "metrics.json")["test"]


def test_stale_temporaries_of_a_killed_run_are_removed_on_resume(tiny_run, tmp_path):
    cfg, full = tiny_run
    out = _copy(full, tmp_path)
    gen = out / "runs" / cfg.settings[0].name / "seed0" / "gen01"
    kept = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in gen.iterdir()}
    stale = [out / ".llm_summary.json.k1ll3d.tmp", gen / ".metrics.json.abc123.tmp", out / ".pretrained.xyz.tmp"]
    stale[0].write_text("{")
    stale[1].write_text("{")
    stale[2].mkdir()
    (stale[2] / "config.json").write_text("{")
    run(cfg, out, QUIET)
    assert not any(p.exists() for p in stale)
    assert {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in gen.iterdir()} == kept  # not recomputed


@pytest.mark.parametrize("name", ["metrics.json", "generated.npz"])
def test_damaged_file_of_a_finished_generation_is_named_and_kept(tiny_run, tmp_path, name):
    cfg, full = tiny_run
    out = _copy(full, tmp_path)
    f = out / "runs" / cfg.settings[0].name / "seed0" / "gen00" / name
    f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])  # truncated
    before = _snapshot(out)
    with pytest.raises(DamagedFile) as err:
        run(cfg, out, QUIET)
    assert str(f) in str(err.value) and "damaged" in str(err.value) and "\n" not in str(err.value)
    assert _snapshot(out) == before


def test_other_ranks_read_the_world_without_lock_or_writes(tiny_run, tmp_path):
    """read_world (every rank but 0) takes no lock and writes nothing; it sees what rank 0 made."""
    from collapse.llm.world import read_world

    cfg, full = tiny_run
    out = tmp_path / "copy"
    shutil.copytree(full, out, ignore=shutil.ignore_patterns(".lock"))
    before = _snapshot(out)
    run_, world = read_world(cfg, out, QUIET)
    assert _snapshot(out) == before and not (out / ".lock").exists()
    assert run_.config == as_json(cfg)
    blocks = load_npz(full / "data" / "blocks.npz")[1]
    assert world.blocks.keys() == blocks.keys()
    for k in blocks:
        np.testing.assert_array_equal(world.blocks[k], blocks[k])
    assert world.language is not None and world.pretrained_state


def test_run_command_passes_force(monkeypatch, tmp_path):
    import collapse.llm.experiment as ex
    from collapse.cli import main

    seen = []
    monkeypatch.setattr(ex, "run", lambda cfg, out, rt, force=False: seen.append(force) or out / "llm_summary.json")
    for extra in ([], ["--force"]):
        assert main(["llm", "run", "--quick", "--quiet", "--out", str(tmp_path)] + extra) == 0
    assert seen == [False, True]


def test_too_little_synthetic_text_is_bad_input_and_leaves_nothing(tmp_path):
    """Found while the data is built, before the run is opened: no run.json, no data/, nothing to refuse."""
    from tests.llm.conftest import tiny_config

    cfg = tiny_config(block_size=40, new_tokens=8, generations=1)
    cfg = dataclasses.replace(cfg, synthetic=dataclasses.replace(cfg.synthetic, test_tokens=1))
    with pytest.raises(InvalidArgument) as err:
        run(cfg, tmp_path / "o", QUIET)
    assert "block_size=40" in str(err.value)
    assert not any((tmp_path / "o").iterdir())
