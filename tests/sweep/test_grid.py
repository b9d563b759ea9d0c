"""Grid files: parsing, bad input (table-driven), and the config hash."""

from __future__ import annotations

import pytest
from collapse.core.validation import InvalidArgument
from collapse.simulate.sweep.grid import Cell, load_grid, parse_grid
from collapse.simulate.sweep.metrics import FAMILIES

from collapse.cli import main

from .conftest import small_grid

BAD = [
    # (id, grid mapping, expected InvalidArgument.name, a fragment of .expected)
    ("unknown family", {"family": "gausian", "grid": {}}, "family", "'gaussian'"),
    ("no family", {"grid": {"samples": 10}}, "family", "one of"),
    ("unknown top key", {"family": "gaussian", "grid": {}, "gird": {}}, "grid file key", "'grid'"),
    ("no grid table", {"family": "gaussian", "grid": [1, 2]}, "grid", "[grid] table"),
    ("unknown parameter", {"family": "gaussian", "grid": {"sample": [10]}}, "grid parameter", "'samples'"),
    ("parameter of another family", {"family": "gaussian", "grid": {"states": 3}}, "grid parameter", "one of"),
    ("samples too small", {"family": "gaussian", "grid": {"samples": [1, 10]}}, "grid.samples", ">= 2"),
    ("samples not a number", {"family": "gaussian", "grid": {"samples": "ten"}}, "grid.samples", "integer"),
    ("samples fractional", {"family": "gaussian", "grid": {"samples": 10.5}}, "grid.samples", "integer"),
    ("bad estimator", {"family": "gaussian", "grid": {"estimator": ["mle", "ml"]}}, "grid.estimator", "'mle'"),
    ("negative sigma0", {"family": "gaussian", "grid": {"sigma0": -1.0}}, "grid.sigma0", "> 0"),
    ("empty list", {"family": "gaussian", "grid": {"samples": []}}, "grid.samples", "non-empty"),
    ("duplicate values", {"family": "gaussian", "grid": {"sigma0": [1, 1.0]}}, "grid.sigma0", "distinct"),
    ("seed and seeds", {"family": "gaussian", "grid": {"seed": [1], "seeds": 2}}, "grid.seeds", "not both"),
    ("zero seeds", {"family": "gaussian", "grid": {"seeds": 0}}, "grid.seeds", ">= 1"),
    ("negative seed", {"family": "gaussian", "grid": {"seed": [3, -1]}}, "grid.seed", ">= 0"),
    ("bad regime", {"family": "discrete", "grid": {"regime": "mix:0.5,0.6,0.1"}}, "grid.regime", "summing to 1"),
    ("singular covariance", {"family": "gaussian-nd", "grid": {"dim": 4, "samples": [4, 100]}},
     "grid cell (samples=4): schedule (samples per generation)[0]", ">= 5"),
    ("combination rejected", {"family": "gaussian-nd", "grid": {"regime": ["replace", "accumulate"]}},
     "grid cell (regime='accumulate'): regime", "'replace'"),
]


@pytest.mark.parametrize("raw, name, expected", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_grid_raises_invalid_argument(raw, name, expected):
    with pytest.raises(InvalidArgument) as info:
        parse_grid(raw)
    assert info.value.name == name
    assert expected in info.value.expected


def test_bad_toml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('family = "gaussian"\n[grid\nsamples = 1\n')
    with pytest.raises(InvalidArgument, match="valid TOML"):
        load_grid(bad)
    with pytest.raises(InvalidArgument, match="existing TOML file"):
        load_grid(tmp_path / "absent.toml")


@pytest.mark.parametrize("text", ['family = "gausian"\n[grid]\n', 'family = "gaussian"\n[grid]\nsamples = [1]\n',
                                  'family = "gaussian"\n[grid\n'])
def test_cli_bad_grid_is_one_line_exit_2(tmp_path, capsys, text):
    path = tmp_path / "g.toml"
    path.write_text(text)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("collapse: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_grid_is_the_cartesian_product_with_defaults():
    g = small_grid(seeds=3)
    cells = g.cells()
    assert len(cells) == 2 * 2 * 3 and g.swept == ("samples", "estimator", "seed")
    assert {c.params["seed"] for c in cells} == {0, 1, 2}
    assert all(set(c.params) == set(FAMILIES["gaussian"].params) | {"seed"} for c in cells)
    assert cells[0].params["sigma0"] == 1.0 and cells[0].params["regime"] == "replace"
    assert len({c.key for c in cells}) == len(cells)


def test_every_family_parses_and_runs_one_tiny_cell():
    from collapse.simulate.sweep.grid import run_cell

    for name, family in FAMILIES.items():
        g = parse_grid({"family": name, "grid": {"chains": 3, "generations": 2, "samples": 20}})
        result = run_cell(g.cells()[0])
        assert set(family.metrics) <= set(result["metrics"]), name
        assert all(isinstance(v, float) for v in result["metrics"].values())


def test_hash_is_pinned():
    """The canonical form is a file-format promise: changing it orphans every saved cell."""
    cell = parse_grid({"family": "gaussian", "grid": {"samples": 10, "seed": 7}}).cells()[0]
    assert cell.key == Cell("gaussian", dict(sorted(cell.params.items()))).key
    assert cell.key == "3d59b49e3fd2ad92c375d905a621c9c53d091a3e69ae841b46a10ef03c81db1a"


def test_hash_ignores_order_spelling_and_spelled_out_defaults():
    a = parse_grid({"family": "gaussian", "grid": {"samples": [10, 100], "sigma0": 1, "seed": [0, 1]}})
    b = parse_grid({"family": "gaussian", "grid": {"seed": [1, 0], "sigma0": 1.0, "samples": [100, 10],
                                                   "estimator": "unbiased", "mu0": 0}})
    assert {c.key for c in a.cells()} == {c.key for c in b.cells()}
    c = parse_grid({"family": "gaussian", "grid": {"samples": [10, 100], "seed": [0, 1], "sigma0": 2.0}})
    assert not {x.key for x in a.cells()} & {x.key for x in c.cells()}


def test_streams_differ_between_cells_with_the_same_seed():
    import numpy as np

    cells = parse_grid({"family": "gaussian", "grid": {"samples": [10, 11], "seed": 3}}).cells()
    draws = [np.random.default_rng(c.seed_sequence()).random(4) for c in cells]
    assert not np.array_equal(draws[0], draws[1])
    again = np.random.default_rng(cells[0].seed_sequence()).random(4)
    assert np.array_equal(draws[0], again)


def test_example_grid_parses():
    from pathlib import Path

    g = load_grid(Path(__file__).resolve().parents[2] / "examples" / "sweep_gaussian.toml")
    assert g.family == "gaussian" and len(g.cells()) == 32

