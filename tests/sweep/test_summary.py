"""Summary table, closed forms beside the metrics, the figure, and the command line end to end."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from collapse.core.validation import InvalidArgument
from collapse.simulate.sweep.grid import (
    parse_grid,
    run_cell,
    run_sweep,
    summarize,
    write_summary,
)

from collapse.cli import main
from collapse.commands.sweep import theory_values

from .conftest import small_grid


def test_summary_has_one_row_per_cell_with_theory(tmp_path):
    grid = small_grid(seeds=2)
    run_sweep(grid, tmp_path, workers=1)
    rows = summarize(grid, tmp_path, theory_values)
    assert len(rows) == 8
    assert {"samples", "estimator", "seed", "w2sq", "w2sq_se", "theory_w2sq", "theory_sigma2"} <= set(rows[0])
    paths = write_summary(rows, tmp_path)
    with paths[0].open() as fh:
        table = list(csv.DictReader(fh))
    assert [r["key"] for r in table] == [c.key for c in grid.cells()]


def test_parquet_matches_csv(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    grid = small_grid(seeds=1)
    run_sweep(grid, tmp_path, workers=1)
    rows = summarize(grid, tmp_path, theory_values)
    write_summary(rows, tmp_path)
    table = pq.read_table(tmp_path / "summary.parquet").to_pylist()
    assert table == rows


# (family, extra grid values, metric): the simulated mean agrees with the closed form within
# 5 standard errors (fixed seeds; light-tailed cases only: at small M the mean of sigma^2-type
# quantities is carried by rare chains and its standard error is itself unreliable)
AGREE = [
    ("gaussian", {"samples": 100, "generations": 10}, ["dmu2", "sigma2", "log_sigma2", "w2sq"]),
    ("gaussian", {"samples": 50, "generations": 10, "regime": "accumulate"}, ["dmu2", "sigma2"]),
    ("gaussian-nd", {"samples": 50, "generations": 5, "dim": 3}, ["dmu2", "trace_cov", "logdet"]),
    ("kde", {"samples": 50, "generations": 10, "bandwidth": 0.3}, ["var"]),
    ("regression", {"samples": 32, "dim": 4, "generations": 5}, ["risk"]),
]


@pytest.mark.parametrize("family, extra, metrics", AGREE, ids=[f"{a[0]}-{i}" for i, a in enumerate(AGREE)])
def test_metrics_agree_with_closed_forms(family, extra, metrics):
    cell = parse_grid({"family": family, "grid": {"chains": 4000, "seed": 1, **extra}}).cells()[0]
    got = run_cell(cell)["metrics"]
    theory = theory_values(family, cell.params)
    for m in metrics:
        assert abs(got[m] - theory[m]) < 5 * got[f"{m}_se"], (m, got[m], theory[m], got[f"{m}_se"])


def test_discrete_heterozygosity_agrees_with_closed_form():
    import math

    cell = parse_grid({"family": "discrete", "grid": {"chains": 4000, "states": 5, "samples": 20,
                                                      "generations": 10, "seed": 2}}).cells()[0]
    got = run_cell(cell)["metrics"]["heterozygosity"]
    want = theory_values("discrete", cell.params)["heterozygosity"]
    assert want == pytest.approx(0.8 * (1 - 1 / 20) ** 10, rel=1e-12)
    # per-chain H is in [0, 1]: the standard error of the mean is below 0.5 / sqrt(chains)
    assert abs(got - want) < 5 * 0.5 / math.sqrt(4000)


def test_cli_sweep_then_figure(tmp_path, capsys):
    grid = tmp_path / "g.toml"
    grid.write_text('family = "gaussian"\n[grid]\nsamples = [10, 100]\nestimator = ["unbiased", "mle"]\n'
                    "generations = 10\nchains = 200\nseeds = 2\n")
    out = tmp_path / "run"
    assert main(["sweep", str(grid), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert "8 cells, 0 already done, 8 ran" in capsys.readouterr().out
    assert main(["sweep", str(grid), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert "8 cells, 8 already done, 0 ran" in capsys.readouterr().out
    assert main(["sweep", str(grid), "-o", str(out), "--workers", "1", "-q", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert (rep["total"], rep["skipped"], rep["ran"], rep["failed"]) == (8, 8, 0, [])
    assert str(out / "summary.csv") in rep["summary"]
    assert main(["figures", "sweep", "-o", str(out), "--metric", "sigma2", "--x", "samples", "--json",
                 "--figures-dir", str(tmp_path / "figs")]) == 0
    assert {Path(f).name for f in json.loads(capsys.readouterr().out)["files"]} == {
        "sweep_sigma2_vs_samples.png", "sweep_sigma2_vs_samples.pdf"}
    assert main(["figures", "sweep", "--out", str(out), "--metric", "w2sq", "--x", "samples",
                 "--hue", "estimator"]) == 0
    assert (out / "sweep_w2sq_vs_samples_by_estimator.png").stat().st_size > 0
    assert (out / "sweep_w2sq_vs_samples_by_estimator.pdf").stat().st_size > 0
    assert main(["figures", "sweep", "--out", str(out), "--metric", "estimator", "--x", "samples"]) == 2
    assert "--metric: expected one of" in capsys.readouterr().err


def test_figure_rejects_unknown_columns(tmp_path):
    from collapse.figures.sweep import plot_sweep

    grid = small_grid(seeds=1)
    run_sweep(grid, tmp_path, workers=1)
    write_summary(summarize(grid, tmp_path), tmp_path)
    with pytest.raises(InvalidArgument) as info:
        plot_sweep(tmp_path, "w2sq", "sample")
    assert info.value.name == "--x"
    with pytest.raises(InvalidArgument, match="summary.csv"):
        plot_sweep(tmp_path / "nothing", "w2sq", "samples")
    paths = plot_sweep(tmp_path, "collapsed", "estimator", hue="samples")  # a categorical x
    assert all(p.exists() for p in paths)
