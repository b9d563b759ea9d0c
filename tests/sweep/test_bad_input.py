"""Bad grids and bad options: one line naming the option or file, exit status 2, nothing written.

Grid values are typed strictly (``generations = true`` is not one generation, ``10.0`` is not
an integer), bounded like the command line's options, checked for memory per cell, and a grid
of too many cells is refused from the list lengths alone, before any cell is built.
"""

from __future__ import annotations

import math
import time

import pytest
from collapse.core.validation import InvalidArgument
from collapse.simulate.sweep.grid import (
    MAX_CELLS,
    MAX_GRID_BYTES,
    MAX_WORKERS,
    load_grid,
    parse_grid,
    run_sweep,
)

from collapse.cli import main

from .conftest import small_grid

STRICT = [
    # (id, grid table, InvalidArgument.name, a fragment of .expected)
    ("bool generations", {"generations": True}, "grid.generations", "integer"),
    ("bool in a list", {"samples": [10, False]}, "grid.samples", "integer"),
    ("float chains", {"chains": 100.0}, "grid.chains", "integer"),
    ("chains too many", {"chains": 10 ** 7 + 1}, "grid.chains", "<= 10^7"),
    ("generations too many", {"generations": 10 ** 6 + 1}, "grid.generations", "<= 1000000"),
    ("samples too many", {"samples": 10 ** 9 + 1}, "grid.samples", "<= 10^9"),
    ("seed too large", {"seed": 2 ** 32}, "grid.seed", "2^32 - 1"),
    ("bool seed", {"seed": True}, "grid.seed", "integer"),
    ("float seed", {"seed": 1.0}, "grid.seed", "integer"),
    ("seeds bool", {"seeds": True}, "grid.seeds", "integer"),
    ("seeds too many", {"seeds": 10 ** 9}, "grid.seeds", f"<= {MAX_CELLS}"),
    ("bool real", {"sigma0": True}, "grid.sigma0", "finite real"),
    ("nan real", {"mu0": math.nan}, "grid.mu0", "finite real"),
    ("inf real", {"sigma0": math.inf}, "grid.sigma0", "finite real"),
    ("huge real", {"mu0": 1e300}, "grid.mu0", "10^12"),
    ("tolerance above 1", {"collapse_tol": 2.0}, "grid.collapse_tol", "<= 1"),
    ("choice not a string", {"estimator": 1}, "grid.estimator", "'mle'"),
    ("nested list", {"samples": [[10, 20]]}, "grid.samples", "integer"),
    ("table value", {"samples": {"a": 1}}, "grid.samples", "integer"),
]


@pytest.mark.parametrize("values, name, expected", [c[1:] for c in STRICT], ids=[c[0] for c in STRICT])
def test_grid_values_are_strictly_typed_and_bounded(values, name, expected):
    with pytest.raises(InvalidArgument) as info:
        parse_grid({"family": "gaussian", "grid": values})
    assert info.value.name == name
    assert expected in info.value.expected, info.value.expected


def test_other_families_bound_their_sizes():
    for family, values, name in [("discrete", {"states": 10 ** 6 + 1}, "grid.states"),
                                 ("gaussian-nd", {"dim": 10 ** 4 + 1}, "grid.dim"),
                                 ("gmm", {"components": True}, "grid.components"),
                                 ("gmm", {"max_iter": 10 ** 6 + 1}, "grid.max_iter"),
                                 ("kde", {"bandwidth": -0.1}, "grid.bandwidth"),
                                 ("discrete", {"regime": 3}, "grid.regime")]:
        with pytest.raises(InvalidArgument) as info:
            parse_grid({"family": family, "grid": values})
        assert info.value.name == name, family


def test_a_grid_of_a_billion_cells_is_refused_at_once_with_its_count():
    axis = list(range(2, 1002))
    t0 = time.perf_counter()
    with pytest.raises(InvalidArgument) as info:
        parse_grid({"family": "gaussian", "grid": {"samples": axis, "chains": axis, "seed": list(range(1000))}})
    assert time.perf_counter() - t0 < 2.0  # the count comes from the list lengths: nothing is built
    assert info.value.name == "grid" and f"at most {MAX_CELLS} cells" in info.value.expected
    assert "1000000000 cells" in str(info.value)
    with pytest.raises(InvalidArgument, match="at most"):
        parse_grid({"family": "gaussian", "grid": {"samples": list(range(2, 1002)), "seeds": 101}})


def test_a_cell_that_cannot_fit_in_memory_is_refused_naming_its_sizes():
    with pytest.raises(InvalidArgument) as info:
        parse_grid({"family": "kde", "grid": {"chains": 10 ** 7, "samples": [100, 10 ** 9]}})
    assert info.value.name.startswith("grid cell (chains=10000000, samples=1000000000")
    assert "of memory" in info.value.expected
    parse_grid({"family": "gaussian", "grid": {"chains": 10 ** 6, "samples": 10 ** 9}})  # fast sampler: O(chains)


def test_top_level_values_are_checked():
    for raw, name in [({"family": ["gaussian"], "grid": {}}, "family"),
                      ({"family": "gaussian", "grid": {}, "name": 3}, "name"),
                      ({"family": "gaussian", "grid": {}, "description": ""}, "description"),
                      ({"family": "gaussian", "grid": {"x" * 10 ** 5: 1}}, "grid parameter")]:
        with pytest.raises(InvalidArgument) as info:
            parse_grid(raw)
        assert info.value.name == name
        assert len(str(info.value)) < 1000  # a huge value is cut, the message stays one readable line


def test_run_sweep_bounds_workers_and_checks_the_scheduler(tmp_path):
    grid = small_grid(seeds=1)
    for bad in (0, MAX_WORKERS + 1, True, 2.0):
        with pytest.raises(InvalidArgument) as info:
            run_sweep(grid, tmp_path / "w", workers=bad)
        assert info.value.name == "workers"
    with pytest.raises(InvalidArgument) as info:
        run_sweep(grid, tmp_path / "w", executor="dask", scheduler="http://host:8786")
    assert info.value.name == "scheduler"
    assert not (tmp_path / "w").exists()


def _cli(argv, capsys):
    """(exit status, stderr) of ``collapse ARGV``, an argparse error included."""
    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    return rc, capsys.readouterr().err


def _one_line(err: str, *names: str) -> None:
    assert err.count("\n") == 1 and "Traceback" not in err, err
    for name in names:
        assert name in err, (name, err)


GOOD = 'family = "gmm"\n[grid]\nsamples = [10, 20]\nchains = 4\ngenerations = 3\n'
FILES = [
    # (id, what the grid path is, text fragments of the one line)
    ("missing", lambda p: None, ["GRID.toml", "no such file"]),
    ("a folder", lambda p: p.mkdir(), ["GRID.toml", "a folder"]),
    ("not UTF-8", lambda p: p.write_bytes(b'family = "gaussian"\n# \xff\xfe\n[grid]\n'), ["GRID", "UTF-8"]),
    ("garbage TOML", lambda p: p.write_text("family = [[[\n"), ["GRID", "valid TOML"]),
    ("binary", lambda p: p.write_bytes(bytes(range(256)) * 4), ["GRID"]),
    ("too large", lambda p: p.write_text(GOOD + "#" * MAX_GRID_BYTES), ["GRID.toml", f"{MAX_GRID_BYTES}"]),
    ("duplicate key", lambda p: p.write_text(GOOD + "generations = true\n"), ["GRID", "valid TOML"]),
    ("generations true", lambda p: p.write_text(GOOD.replace("generations = 3", "generations = true")),
     ["grid.generations", "integer"]),
    ("too many cells", lambda p: p.write_text(f'family = "gaussian"\n[grid]\nsamples = {list(range(2, 1002))}\n'
                                              f"chains = {list(range(2, 1002))}\nseeds = 1000\n"),
     ["grid", "cells"]),
]


@pytest.mark.parametrize("make, fragments", [c[1:] for c in FILES], ids=[c[0] for c in FILES])
def test_cli_bad_grid_file_is_one_line_and_writes_nothing(tmp_path, capsys, make, fragments):
    path = tmp_path / "g.toml"
    make(path)
    rc, err = _cli(["sweep", str(path), "--out", str(tmp_path / "out"), "--quiet"], capsys)
    assert rc == 2
    _one_line(err, *fragments)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv, fragments", [
    (["--executor", "dask", "--scheduler", "tcp://"], ["--scheduler", "tcp://HOST:PORT"]),
    (["--executor", "dask", "--scheduler", "http://host:8786"], ["--scheduler", "protocol"]),
    (["--executor", "dask", "--scheduler", "tcp://host:99999"], ["--scheduler", "port"]),
    (["--executor", "dask", "--scheduler", ""], ["--scheduler"]),
    (["--workers", "0"], ["--workers", "[1, 256]"]),
    (["--workers", "257"], ["--workers", "[1, 256]"]),
    (["--workers", "two"], ["--workers"]),
    (["--executor", "spark"], ["--executor"]),
], ids=["scheme-only", "http", "port", "empty", "workers-0", "workers-257", "workers-text", "executor"])
def test_cli_bad_options_are_refused_when_parsed(tmp_path, capsys, argv, fragments):
    path = tmp_path / "g.toml"
    path.write_text(GOOD)
    rc, err = _cli(["sweep", str(path), "--out", str(tmp_path / "out"), "-q", *argv], capsys)
    assert rc == 2
    _one_line(err, *fragments)
    assert not (tmp_path / "out").exists()


def test_bad_input_to_a_finished_sweep_changes_nothing(tmp_path, capsys):
    good, bad = tmp_path / "g.toml", tmp_path / "bad.toml"
    good.write_text(GOOD)
    out = tmp_path / "out"
    assert main(["sweep", str(good), "--out", str(out), "--workers", "1", "-q"]) == 0
    capsys.readouterr()
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad.write_text(GOOD.replace("chains = 4", "chains = 4.0"))
    rc, err = _cli(["sweep", str(bad), "--out", str(out), "-q"], capsys)
    assert rc == 2
    _one_line(err, "grid.chains")
    rc, err = _cli(["sweep", str(good), "--out", str(out), "-q", "--workers", "1000"], capsys)
    assert rc == 2
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_load_grid_names_the_file(tmp_path):
    with pytest.raises(InvalidArgument, match="no such file"):
        load_grid(tmp_path / "absent.toml")
    with pytest.raises(InvalidArgument, match="not a folder"):
        load_grid(tmp_path)
    big = tmp_path / "big.toml"
    big.write_text("#" * (MAX_GRID_BYTES + 1))
    with pytest.raises(InvalidArgument, match="split the grid"):
        load_grid(big)


def test_the_cli_limits_are_the_library_ones():
    from collapse.simulate.sweep import grid

    from collapse.commands import sweep as command

    assert command.GRID_MAX_BYTES == grid.MAX_GRID_BYTES and command.MAX_WORKERS == grid.MAX_WORKERS
