"""Results are content-addressed files: resume runs only the missing cells and never rewrites one."""

from __future__ import annotations

import json

import pytest
from collapse.simulate.sweep.grid import cell_path, read_results, run_sweep, write_once

from .conftest import small_grid


def _snapshot(out):
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in (out / "cells").glob("*.json")}


def _metrics(grid, out):
    return {r["key"]: r["metrics"] for r in read_results(grid, out)}


def test_half_then_full_runs_only_the_rest(tmp_path):
    half, full = small_grid(seeds=2), small_grid(seeds=4)
    first = run_sweep(half, tmp_path, workers=1)
    assert (first.total, first.skipped, first.ran) == (8, 0, 8)
    before = _snapshot(tmp_path)
    saved = []
    second = run_sweep(full, tmp_path, workers=2, on_saved=lambda cell, path: saved.append(cell.params["seed"]))
    assert (second.total, second.skipped, second.ran) == (16, 8, 8)
    assert sorted(saved) == [2] * 4 + [3] * 4
    after = _snapshot(tmp_path)
    assert {k: after[k] for k in before} == before  # same bytes, same mtimes
    third = run_sweep(full, tmp_path, workers=2)
    assert (third.skipped, third.ran) == (16, 0) and _snapshot(tmp_path) == after


def test_interrupted_sweep_resumes_to_the_same_results(tmp_path):
    grid = small_grid(seeds=2)

    def stop_after_three(cell, path, seen=[]):  # noqa: B006 - a counter local to this test
        seen.append(path)
        if len(seen) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(grid, tmp_path / "a", workers=1, on_saved=stop_after_three)
    assert len(read_results(grid, tmp_path / "a")) == 3
    rep = run_sweep(grid, tmp_path / "a", workers=1)
    assert (rep.skipped, rep.ran) == (3, 5)
    run_sweep(grid, tmp_path / "b", workers=2)  # uninterrupted, other executor width and order
    assert _metrics(grid, tmp_path / "a") == _metrics(grid, tmp_path / "b")


def test_an_existing_cell_file_is_never_recomputed_or_overwritten(tmp_path):
    from collapse.simulate.sweep.grid import run_cell

    grid = small_grid(seeds=1)
    cell = grid.cells()[0]
    path = cell_path(tmp_path, cell)
    path.parent.mkdir(parents=True)
    record = {**run_cell(cell), "sentinel": True}  # a complete record of this cell, marked
    path.write_text(json.dumps(record) + "\n")
    rep = run_sweep(grid, tmp_path, workers=1)
    assert (rep.skipped, rep.ran) == (1, 3)
    assert json.loads(path.read_text()) == record


def test_write_once_keeps_the_first_file_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "x" / "cell.json"
    assert write_once(target, "first\n") is True
    assert write_once(target, "second\n") is False
    assert target.read_text() == "first\n"
    assert [p.name for p in target.parent.iterdir()] == ["cell.json"]


def test_cell_file_carries_config_seed_and_version(tmp_path):
    from collapse import __version__

    grid = small_grid(seeds=1)
    run_sweep(grid, tmp_path, workers=1)
    rec = read_results(grid, tmp_path)[0]
    cell = grid.cells()[0]
    assert rec["key"] == cell.key and rec["params"] == dict(cell.params) and rec["seed"] == 0
    assert rec["meta"]["config"] == {"family": "gaussian", "params": dict(cell.params)}
    assert rec["meta"]["versions"]["collapse-toolkit"] == __version__


def test_a_failing_cell_is_reported_after_the_others_are_saved(tmp_path, monkeypatch):
    from collapse.simulate.sweep import metrics as sweep_metrics
    from collapse.simulate.sweep.grid import SweepError

    grid = small_grid(seeds=1)
    family = sweep_metrics.FAMILIES["gaussian"]
    real_run = family.run

    def run(cfg, params, rng):
        if params["samples"] == 10 and params["estimator"] == "mle":
            raise FloatingPointError("boom")
        return real_run(cfg, params, rng)

    monkeypatch.setitem(sweep_metrics.FAMILIES, "gaussian", sweep_metrics.CellFamily(
        family.name, family.params, family.build, run, family.metrics))
    with pytest.raises(SweepError, match="1 of 4 cells failed"):
        run_sweep(grid, tmp_path, workers=1)
    assert len(read_results(grid, tmp_path)) == 3


def test_the_sweep_run_owns_its_cells_and_summary(tmp_path):
    """run.json records the sweep's files, so another experiment cannot silently overwrite them."""
    from collapse.core.runner import MANIFEST
    from collapse.simulate.sweep.grid import OWNED, summarize, write_summary

    grid = small_grid(seeds=1)
    run_sweep(grid, tmp_path, workers=1)
    write_summary(summarize(grid, tmp_path), tmp_path)
    files = json.loads((tmp_path / MANIFEST).read_text())["runs"]["sweep"]["files"]
    assert set(OWNED) <= set(files) and {"cells", "grid.json", "summary.csv"} <= set(OWNED)
    assert run_sweep(grid, tmp_path, workers=1, force=True).ran == 4  # --force deletes what the run owns
    assert not (tmp_path / "summary.csv").exists()
