"""Real `collapse sweep` processes: two on one folder share the cells (each computed once); a
SIGTERM or a Ctrl-C stops the pool's workers and leaves no temporary file; the rerun resumes.

The cells are of family ``slow-test`` (:mod:`tests.sweep.slow_family`): they sleep instead of
computing, so timings hold on a loaded machine, and each logs its start to ``$SWEEP_TEST_LOG``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from collapse.core.runio import TMP_SUFFIX
from collapse.core.validation import InvalidArgument

from .slow_family import LOG, MAIN, SLOW

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 120  # a bound, not an expectation: each process below takes a few seconds


def _grid(tmp_path: Path, seeds: int, sleep: float) -> Path:
    path = tmp_path / "slow.toml"
    path.write_text(f'family = "slow-test"\n[grid]\nsleep = {sleep}\nseeds = {seeds}\n')
    return path


def _start(tmp_path: Path, *args: str, log: Path, **kwargs) -> subprocess.Popen:
    env = os.environ | {"PYTHONPATH": str(ROOT), LOG: str(log)}
    return subprocess.Popen([sys.executable, "-c", MAIN, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def _finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"no exit within {TIMEOUT_S} s: {err[-2000:]}")
    return proc.returncode, out, err


def _log(path: Path) -> list[int]:
    return [int(line.split()[0]) for line in path.read_text().splitlines()] if path.exists() else []


def _leftovers(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.name.endswith(TMP_SUFFIX) or p.suffix == ".claim")


def _wait_for(predicate, what: str, timeout: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


# ---- processes: children and liveness (psutil when installed, else /proc) ----------------------

def _children(pid: int) -> list[int]:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is in the test extra
        kids, frontier = [], [pid]
        while frontier:
            parent = frontier.pop()
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    fields = stat.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == parent:
                    kids.append(int(stat.parent.name))
                    frontier.append(kids[-1])
        return kids
    return [p.pid for p in psutil.Process(pid).children(recursive=True)]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return state not in ("Z", "X")


# ---- two processes, one folder -----------------------------------------------------------------

def test_two_processes_share_one_folder_and_compute_each_cell_once(tmp_path):
    grid, out, log = _grid(tmp_path, seeds=8, sleep=0.5), tmp_path / "run", tmp_path / "log"
    args = ("sweep", str(grid), "--out", str(out), "--workers", "2", "-q", "--json")
    procs = [_start(tmp_path, *args, log=log) for _ in range(2)]
    results = [_finish(p) for p in procs]
    assert [rc for rc, _, _ in results] == [0, 0], [err[-2000:] for _, _, err in results]
    reports = [json.loads(stdout) for _, stdout, _ in results]
    assert sorted(_log(log)) == list(range(8))  # every cell computed exactly once, by one of them
    assert sum(r["ran"] for r in reports) == 8
    for r in reports:  # each accounts for every cell, and writes the full summary
        assert r["total"] == 8 and r["skipped"] + r["ran"] + r["by_others"] == 8, r
    assert len((out / "summary.csv").read_text().splitlines()) == 1 + 8
    joined = [err for _, _, err in results if "another process is sweeping" in err]
    assert len(joined) <= 1 and all(err.count("\n") == 1 for err in joined)  # one line, from the second one
    assert not _leftovers(out)


def test_a_running_sweep_refuses_force_and_another_config_from_a_second_one(tmp_path, monkeypatch):
    from collapse.simulate.sweep import metrics as SM
    from collapse.simulate.sweep.grid import parse_grid, run_sweep

    monkeypatch.setitem(SM.FAMILIES, SLOW.name, SLOW)

    grid, out, log = _grid(tmp_path, seeds=3, sleep=1.0), tmp_path / "run", tmp_path / "log"
    owner = _start(tmp_path, "sweep", str(grid), "--out", str(out), "--workers", "1", "-q", log=log)
    try:
        _wait_for(lambda: _log(log), "the first cell to start")
        small = parse_grid({"family": "slow-test", "grid": {"sleep": 0.0}})
        with pytest.raises(InvalidArgument) as info:
            run_sweep(small, out, workers=1, force=True)
        assert info.value.name == "--force"
        other = parse_grid({"family": "gaussian", "grid": {"chains": 2, "generations": 1, "samples": 2}})
        with pytest.raises(InvalidArgument) as info:
            run_sweep(other, out, workers=1)
        assert info.value.name == "config" and "slow-test" in str(info.value)
    finally:
        owner.send_signal(signal.SIGTERM)
        _finish(owner)


# ---- interrupts --------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C", "SIGKILL"])
def test_an_interrupt_stops_the_workers_leaves_no_temporaries_and_the_rerun_resumes(tmp_path, how):
    grid, out, log = _grid(tmp_path, seeds=6, sleep=0.6), tmp_path / "run", tmp_path / "log"
    args = ("sweep", str(grid), "--out", str(out), "--workers", "2", "-q", "--json")
    proc = _start(tmp_path, *args, log=log, start_new_session=True)  # its own process group, as in a terminal
    try:
        _wait_for(lambda: any((out / "cells").glob("*.json")), "the first cell file")
        children = _children(proc.pid)
        assert len(children) >= 2  # the two pool workers (and multiprocessing's resource tracker)
        if how == "Ctrl-C":  # SIGINT to the whole group, workers included
            os.killpg(proc.pid, signal.SIGINT)
        else:
            proc.send_signal(getattr(signal, how))
        rc, stdout, err = _finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert rc == {"SIGTERM": 143, "Ctrl-C": 130, "SIGKILL": -9}[how], err[-2000:]
    if how != "SIGKILL":  # SIGKILL: nothing runs in the sweep; its workers get SIGTERM from the kernel
        assert "Traceback" not in err and err.count("\n") == 1 and "rerun" in err, err
    _wait_for(lambda: not [c for c in children if _alive(c)], "the workers to exit", timeout=15)
    if how != "SIGKILL":
        assert not _leftovers(out), _leftovers(out)
    else:  # the killed process's claims are left, unheld: the rerun takes them over (and removes them)
        assert any(p.suffix == ".claim" for p in _leftovers(out))
    done = {p.name for p in (out / "cells").glob("*.json")}
    assert 1 <= len(done) < 6
    started = len(_log(log))

    rc, stdout, err = _finish(_start(tmp_path, *args, log=log))
    assert rc == 0, err[-2000:]
    rep = json.loads(stdout)
    assert (rep["total"], rep["skipped"], rep["ran"]) == (6, len(done), 6 - len(done))
    again = _log(log)[started:]  # what the rerun computed: only the cells without a file
    assert len(again) == 6 - len(done) and len(set(again)) == len(again)
    records = [json.loads(p.read_text()) for p in (out / "cells").glob("*.json")]
    assert sorted(r["seed"] for r in records) == list(range(6))
    assert {r["seed"] for r in records if r["key"] + ".json" in done}.isdisjoint(again)
    assert not _leftovers(out)


# ---- claims ------------------------------------------------------------------------------------

def test_a_claim_is_held_until_released_and_dies_with_its_process(tmp_path):
    from collapse.simulate.sweep.grid import _Claim

    first = _Claim.take(tmp_path, "k")
    assert first is not None and json.loads((tmp_path / "k.claim").read_text())["pid"] == os.getpid()
    assert _Claim.take(tmp_path, "k") is None  # held (by this very process, through another descriptor)
    first.release()
    assert not (tmp_path / "k.claim").exists()
    first.release()  # twice is harmless
    code = ("import sys, time; from collapse.simulate.sweep.grid import _Claim; from pathlib import Path; "
            "c = _Claim.take(Path(sys.argv[1]), 'k'); print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              env=os.environ | {"PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "held"
        assert _Claim.take(tmp_path, "k") is None  # a live process holds it
    finally:
        holder.kill()
        holder.communicate(timeout=TIMEOUT_S)
    assert (tmp_path / "k.claim").exists()  # left behind by the killed holder...
    taken = _Claim.take(tmp_path, "k")  # ...and taken over
    assert taken is not None
    taken.release()
