"""A model family of the user's own runs through the sweep runner, in this process and in workers."""

from __future__ import annotations

import numpy as np
import pytest
from collapse.core.validation import InvalidArgument, check_int
from collapse.simulate.sweep import metrics as SM
from collapse.simulate.sweep.grid import parse_grid, read_results, run_sweep


def _count(name, value):
    return check_int(name, value, minimum=1)


def _build(params):
    return {"chains": params["chains"], "generations": params["generations"]}


def _run(config, params, rng):
    """A Bernoulli(1/2) proportion refitted on its own draws: the mean stays 1/2 in expectation."""
    p = np.full(config["chains"], 0.5)
    for _ in range(config["generations"]):
        p = rng.binomial(20, p) / 20
    return {"mean": float(p.mean()), "fixed": float(np.mean((p == 0) | (p == 1)))}


#: module level, so that a worker process can unpickle it by reference
COIN = SM.CellFamily("coin-test", {"chains": SM.Param(200, _count), "generations": SM.Param(5, _count)},
                     _build, _run, ("mean", "fixed"))


@pytest.fixture(autouse=True)
def _registered(monkeypatch):
    monkeypatch.setitem(SM.FAMILIES, COIN.name, COIN)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_user_family_is_swept_like_a_built_in_one(tmp_path, workers):
    grid = parse_grid({"family": "coin-test", "grid": {"generations": [1, 40], "seeds": 2}})
    rep = run_sweep(grid, tmp_path, workers=workers)
    assert (rep.total, rep.ran) == (4, 4)
    rows = {(r["params"]["generations"], r["seed"]): r["metrics"] for r in read_results(grid, tmp_path)}
    assert set(rows) == {(1, 0), (1, 1), (40, 0), (40, 1)}
    # after 40 generations of M = 20 most chains are fixed at 0 or 1; after one, almost none
    assert all(rows[(40, s)]["fixed"] > rows[(1, s)]["fixed"] for s in (0, 1))
    assert run_sweep(grid, tmp_path, workers=workers).ran == 0  # resumes like any sweep


def test_registering_checks_the_family():
    with pytest.raises(InvalidArgument, match="built-in"):
        SM.register_family(SM.CellFamily("gaussian", {}, _build, _run, ()))
    with pytest.raises(InvalidArgument, match="CellFamily"):
        SM.register_family("coin")
    assert SM.register_family(COIN) is COIN and SM.FAMILIES["coin-test"] is COIN
