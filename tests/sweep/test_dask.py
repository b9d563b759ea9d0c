"""The Dask executor: a LocalCluster with 2 worker processes, one killed mid-sweep.

The result set must come out complete and bitwise identical to a local run with
the same seeds: each cell's stream depends only on its config, and a cell lost
with its worker is simply rerun elsewhere.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

distributed = pytest.importorskip("distributed")

from collapse.simulate.sweep.grid import parse_grid, read_results, run_sweep

TIMEOUT_S = 180  # generous: two shared cores, worker start-up and a restart after the kill


def _grid():
    """12 cells of ~0.15 s each: long enough that a kill lands mid-sweep."""
    return parse_grid({"family": "gaussian", "grid": {
        "samples": [10, 100], "estimator": ["unbiased", "mle"], "generations": 300, "chains": 20000,
        "seeds": 3}}, name="dask")


@pytest.fixture
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="1GiB",
                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster, Client(cluster) as c:
        c.wait_for_workers(2, timeout=TIMEOUT_S)
        yield c


def _run_with_timeout(**kwargs):
    with ThreadPoolExecutor(1) as pool:  # as_completed has no timeout of its own
        return pool.submit(run_sweep, **kwargs).result(timeout=TIMEOUT_S)


def _metrics(grid, out):
    return {r["key"]: r["metrics"] for r in read_results(grid, out)}


def test_worker_killed_mid_sweep_still_gives_the_local_results(tmp_path, client):
    grid = _grid()
    killed = {}
    lock = threading.Lock()

    def kill_a_busy_worker(cell, path):
        with lock:
            if killed:
                return
            busy = [addr for addr, keys in client.processing().items() if keys]
            addr = busy[0] if busy else next(iter(client.scheduler_info()["workers"]))
            pid = client.run(os.getpid, workers=[addr])[addr]
            killed.update(addr=addr, pid=pid, saved=len(list((tmp_path / "dask" / "cells").glob("*.json"))))
            os.kill(pid, signal.SIGKILL)

    rep = _run_with_timeout(grid=grid, out_dir=tmp_path / "dask", executor="dask", client=client,
                            on_saved=kill_a_busy_worker)
    assert killed and killed["saved"] < len(grid.cells())  # the kill happened mid-sweep
    assert (rep.total, rep.ran) == (12, 12)
    local = run_sweep(grid, tmp_path / "local", executor="local", workers=2)
    assert local.ran == 12
    dask_results = _metrics(grid, tmp_path / "dask")
    assert set(dask_results) == {c.key for c in grid.cells()}
    assert dask_results == _metrics(grid, tmp_path / "local")  # bitwise: JSON floats round-trip exactly


def test_dask_resume_skips_finished_cells(tmp_path, client):
    grid = _grid()
    first = parse_grid({"family": "gaussian", "grid": {
        "samples": [10, 100], "estimator": ["unbiased", "mle"], "generations": 300, "chains": 20000,
        "seeds": 1}})
    run_sweep(first, tmp_path, executor="local", workers=1)
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cells").glob("*.json")}
    rep = _run_with_timeout(grid=grid, out_dir=tmp_path, executor="dask", client=client)
    assert (rep.skipped, rep.ran) == (4, 8)
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "cells").glob("*.json")}
    assert {k: after[k] for k in before} == before and len(after) == 12


def test_own_local_cluster_and_cli(tmp_path, capsys):
    """No client given: run_sweep starts (and closes) its own LocalCluster; the CLI path too."""
    from collapse.cli import main

    grid = tmp_path / "g.toml"
    grid.write_text('family = "discrete"\n[grid]\nsamples = [5, 10]\nstates = 3\ngenerations = 20\n'
                    "chains = 200\nseed = 4\n")
    out = tmp_path / "run"
    with ThreadPoolExecutor(1) as pool:
        rc = pool.submit(main, ["sweep", str(grid), "--executor", "dask", "--workers", "1", "--out", str(out),
                                "--quiet"]).result(timeout=TIMEOUT_S)
    assert rc == 0 and "2 cells, 0 already done, 2 ran" in capsys.readouterr().out
    local = tmp_path / "local"
    assert main(["sweep", str(grid), "--out", str(local), "--workers", "1", "--quiet"]) == 0
    from collapse.simulate.sweep.grid import load_grid

    g = load_grid(grid)
    assert _metrics(g, out) == _metrics(g, local) and len(_metrics(g, out)) == 2
    assert main(["sweep", str(grid), "--scheduler", "tcp://127.0.0.1:1", "--out", str(out)]) == 2
    assert "--scheduler: expected --executor dask" in capsys.readouterr().err


def test_an_unreachable_scheduler_is_one_line_within_a_bound(tmp_path, capsys):
    import socket
    import time

    from collapse.cli import main

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    grid = tmp_path / "g.toml"
    grid.write_text('family = "discrete"\n[grid]\nsamples = 5\nstates = 3\ngenerations = 2\nchains = 4\n')
    out = tmp_path / "run"
    t0 = time.perf_counter()
    rc = main(["sweep", str(grid), "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{port}", "--out", str(out),
               "-q"])
    assert time.perf_counter() - t0 < 60  # 5 s to connect, then the refusal
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("collapse: error: --scheduler: ") and f"127.0.0.1:{port}" in err
    assert not out.exists()  # refused before anything was written
