"""Damaged files: a cell file that does not read back as its cell is reported, moved aside and
recomputed (never counted done); a damaged summary or grid.json read by ``collapse figures sweep``
is one line naming the file and saying how to rewrite it."""

from __future__ import annotations

import json
import shutil

import pytest
from collapse.simulate.sweep.grid import cell_path, read_cell, read_results, run_sweep

from collapse.cli import main

from .conftest import small_grid


def _truncate(path, other):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _rewrite(transform):
    def damage(path, other):
        rec = json.loads(path.read_text())
        path.write_text(json.dumps(transform(rec)))
    return damage


DAMAGE = {
    "truncated": _truncate,
    "empty": lambda path, other: path.write_bytes(b""),
    "garbage": lambda path, other: path.write_bytes(b"\x00\xff garbage {"),
    "a list": lambda path, other: path.write_text("[1, 2]\n"),
    "another cell's record": lambda path, other: shutil.copyfile(other, path),
    "renamed parameters": _rewrite(lambda r: {**r, "params": {**r["params"], "samples": 11}}),
    "no metrics": _rewrite(lambda r: {k: v for k, v in r.items() if k != "metrics"}),
    "a metric missing": _rewrite(lambda r: {**r, "metrics": {k: v for k, v in r["metrics"].items() if k != "w2sq"}}),
    "a folder": lambda path, other: (path.unlink(), path.mkdir()),
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A finished 4-cell sweep, copied by each test that damages it."""
    grid = small_grid(seeds=1)
    out = tmp_path_factory.mktemp("finished")
    run_sweep(grid, out, workers=1)
    return grid, out


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_a_damaged_cell_is_reported_moved_aside_and_recomputed(tmp_path, finished, kind):
    grid, src = finished
    out = tmp_path / "run"
    shutil.copytree(src, out)
    cells = grid.cells()
    path, other = cell_path(out, cells[0]), cell_path(out, cells[1])
    good = json.loads(path.read_text())
    DAMAGE[kind](path, other)
    assert read_cell(path, cells[0])[0] == "damaged"
    assert [r["key"] for r in read_results(grid, out)] == [c.key for c in cells[1:]]  # never counted done
    notes = []
    rep = run_sweep(grid, out, workers=1, warn=notes.append)
    assert (rep.total, rep.skipped, rep.ran) == (4, 3, 1)
    assert len(notes) == 1 and "\n" not in notes[0] and str(path) in notes[0] and "damaged" in notes[0]
    aside = path.with_name(path.name + ".damaged")
    assert aside.exists()  # kept for a look, out of the way
    state, rec = read_cell(path, cells[0])
    assert state == "ok" and rec["metrics"] == good["metrics"]  # recomputed: the same stream, the same numbers
    assert run_sweep(grid, out, workers=1, warn=notes.append).ran == 0 and len(notes) == 1


def test_cli_reports_a_damaged_cell_in_one_line(tmp_path, finished, capsys):
    grid, src = finished
    out = tmp_path / "run"
    shutil.copytree(src, out)
    toml = tmp_path / "small.toml"
    toml.write_text('family = "gaussian"\n[grid]\nsamples = [10, 100]\nestimator = ["unbiased", "mle"]\n'
                    "generations = 20\nchains = 500\nseeds = 1\n")
    path = cell_path(out, grid.cells()[2])
    path.write_text('{"key": "truncat')
    assert main(["sweep", str(toml), "--out", str(out), "--workers", "1", "-q"]) == 0
    captured = capsys.readouterr()
    assert "4 cells, 3 already done, 1 ran" in captured.out
    lines = captured.err.splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "Traceback" not in captured.err


# ---- the summary, read by figures sweep -------------------------------------------------------

def _cut_mid_row(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 7])


def _widen_a_row(path):
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].rstrip("\n") + ",extra\n"
    path.write_text("".join(lines))


def _blank_a_metric(path):
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text())))
    rows[1][rows[0].index("sigma2")] = ""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue())


SUMMARY_DAMAGE = {
    "truncated": ("summary.csv", _cut_mid_row),
    "empty": ("summary.csv", lambda p: p.write_bytes(b"")),
    "binary": ("summary.csv", lambda p: p.write_bytes(bytes(range(256)) * 3)),
    "no header": ("summary.csv", lambda p: p.write_text("1,2,3\n4,5,6\n")),
    "a row too wide": ("summary.csv", _widen_a_row),
    "a metric blank": ("summary.csv", _blank_a_metric),
    "grid.json garbage": ("grid.json", lambda p: p.write_text("{not json")),
    "grid.json no axes": ("grid.json", lambda p: p.write_text('{"family": "gaussian"}\n')),
}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A finished sweep with its summary, written by the command line."""
    root = tmp_path_factory.mktemp("swept")
    toml = root / "g.toml"
    toml.write_text('family = "gaussian"\n[grid]\nsamples = [10, 100]\nestimator = ["unbiased", "mle"]\n'
                    "generations = 5\nchains = 100\nseeds = 1\n")
    assert main(["sweep", str(toml), "--out", str(root / "run"), "--workers", "1", "-q"]) == 0
    return root / "run"


def _figure(out, capsys, *argv):
    try:
        rc = main(["figures", "sweep", "--out", str(out), *argv])
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr()


@pytest.mark.parametrize("kind", list(SUMMARY_DAMAGE))
def test_a_damaged_summary_is_one_line_naming_it_with_what_to_do(tmp_path, swept, capsys, kind):
    out = tmp_path / "run"
    shutil.copytree(swept, out)
    name, damage = SUMMARY_DAMAGE[kind]
    damage(out / name)
    rc, captured = _figure(out, capsys, "--metric", "sigma2", "--x", "samples")
    assert rc == 2
    err = captured.err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert str(out / name) in err and "collapse sweep GRID.toml --out" in err, err
    assert not list(out.glob("sweep_*"))  # no figure drawn


@pytest.mark.parametrize("argv, option, valid", [
    (["--metric", "nope", "--x", "samples"], "--metric", ["'sigma2'", "'w2sq'"]),
    (["--metric", "sigma2", "--x", "nope"], "--x", ["'samples'", "'estimator'"]),
    (["--metric", "sigma2", "--x", "samples", "--hue", "nope"], "--hue", ["'estimator'"]),
    (["--metric", "sigma2", "--x", "samples", "--hue", "samples"], "--hue", ["'estimator'"]),
])
def test_unknown_columns_list_the_valid_names(tmp_path, swept, capsys, argv, option, valid):
    rc, captured = _figure(swept, capsys, *argv, "--figures-dir", str(tmp_path / "figs"))
    assert rc == 2 and captured.err.count("\n") == 1 and f"{option}: expected one of" in captured.err
    assert all(v in captured.err for v in valid), captured.err
    assert not (tmp_path / "figs").exists() or not any((tmp_path / "figs").iterdir())


@pytest.mark.parametrize("option, value", [("--metric", "w2 sq"), ("--x", "../x"), ("--hue", ""),
                                           ("--metric", "")])
def test_malformed_column_names_are_refused_when_parsed(swept, capsys, option, value):
    args = {"--metric": "sigma2", "--x": "samples", option: value}
    rc, captured = _figure(swept, capsys, *[w for kv in args.items() for w in kv])
    assert rc == 2 and captured.err.count("\n") == 1 and option in captured.err and "Traceback" not in captured.err
