"""Chains side by side: one process per CPU core, each running whole chains (a setting and a seed).

The chains of a run are independent once the world (real blocks, pretrained stand-in, truth)
exists, and a tiny model gains little from a second torch thread; so on a CPU the run's
chains are shared out among ``workers`` processes (``spawn``: a fresh interpreter each), each
with one thread. Every chain is computed exactly as it would be in one process (same
streams, same order inside the chain), so the results do not depend on the number of workers.

The run folder's contract is kept: the parent process alone writes ``run.json``. It owns every
setting's folder before the workers start; a worker writes its chain's files (atomically, as
always) and sends the name of each finished file to the parent, which records its size and
sha256 (:meth:`collapse.core.runner.Run.record`) and rewrites the summaries after each chain.
A worker's error is raised in the parent (the others are stopped), with its message.
"""

from __future__ import annotations

import dataclasses
import pickle
import queue as queue_mod
import traceback
from pathlib import Path

from collapse.core.runio import as_json
from collapse.core.runner import Run

__all__ = ["run_chains"]


class _WorkerRun(Run):
    """A worker's view of the run folder: writes files, leaves ``run.json`` to the parent."""

    def __init__(self, folder: Path, name: str, config, report):
        super().__init__(folder, name, config)
        self._report = report

    def own(self, rel) -> Path:  # the parent owns every setting's folder before the workers start
        return self.folder / rel

    def record(self, rel) -> None:
        self._report(("record", Path(rel).as_posix()))


def run_chains(cfg, out: Path, rt, run: Run, tasks: list, workers: int) -> None:
    """Run every ``(setting, seed)`` of ``tasks`` in ``workers`` processes; the summaries after each chain."""
    import multiprocessing as mp

    from tqdm.auto import tqdm

    from collapse.llm.summary import write_summary

    for setting in dict.fromkeys(s for s, _ in tasks):
        run.own(f"runs/{setting.name}")  # as run_chain would, but here, in the one process writing run.json
    ctx = mp.get_context("spawn")
    todo, done = ctx.Queue(), ctx.Queue()
    for setting, seed in sorted(tasks, key=lambda t: -t[0].epochs):  # the longest chains first
        todo.put((setting.name, seed))
    for _ in range(workers):
        todo.put(None)
    wrt = dataclasses.replace(rt, progress=False, workers=1, threads=rt.threads or 1)
    procs = [ctx.Process(target=_worker, args=(cfg, str(out), wrt, todo, done), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    finished = 0
    bar = tqdm(total=len(tasks), desc=f"chains ({workers} processes)", disable=not rt.progress)
    try:
        while finished < workers:
            try:
                msg = done.get(timeout=5.0)
            except queue_mod.Empty:
                dead = [p for p in procs if not p.is_alive() and p.exitcode not in (0, None)]
                if dead:
                    raise RuntimeError(f"a chain worker died (exit code {dead[0].exitcode})") from None
                continue
            kind = msg[0]
            if kind == "record":
                run.record(msg[1])
            elif kind == "chain":
                write_summary(run)
                bar.update(1)
            elif kind == "exit":
                finished += 1
            elif kind == "error":
                raise _unpickled(msg[1], msg[2])
    finally:
        bar.close()
        for p in procs:
            if p.is_alive() and finished < workers:
                p.terminate()
        for p in procs:
            p.join(timeout=30)
    write_summary(run)


def _unpickled(blob: bytes | None, text: str) -> BaseException:
    """The worker's exception: an InvalidArgument (a damaged file, bad input) as itself, others by their text."""
    if blob is not None:
        try:
            kind, name, expected, got = pickle.loads(blob)
            from collapse.core.runner import DamagedFile
            from collapse.core.validation import InvalidArgument

            cls = DamagedFile if kind == "DamagedFile" else InvalidArgument
            exc = cls.__new__(cls)
            Exception.__init__(exc, text)
            exc.name, exc.expected, exc.got = name, expected, got
            return exc
        except Exception:  # noqa: BLE001 -- not one of ours: its text
            pass
    return RuntimeError(f"a chain worker failed: {text}")


def _as_blob(exc: BaseException) -> bytes | None:
    from collapse.core.validation import InvalidArgument

    if not isinstance(exc, InvalidArgument):
        return None
    got = exc.got
    try:
        pickle.dumps(got)
    except Exception:  # noqa: BLE001
        got = str(got)
    return pickle.dumps((type(exc).__name__, exc.name, exc.expected, got))


def _worker(cfg, out: str, rt, todo, done) -> None:
    """One worker: read the world, then run chains from ``todo`` until told to stop (``None``)."""
    try:
        from collapse.llm.chain import Chain, run_chain
        from collapse.llm.experiment import _limit_threads
        from collapse.llm.world import NAME, read_world

        _limit_threads(rt.threads)
        view = _WorkerRun(Path(out), NAME, as_json(cfg), done.put)
        _, world = read_world(cfg, Path(out), rt, run=view)
        settings = {s.name: s for s in cfg.settings}
        while (task := todo.get()) is not None:
            name, seed = task
            run_chain(Chain(cfg, world, view, rt, settings[name], seed))
            done.put(("chain", name, seed))
    except BaseException as exc:  # noqa: BLE001 -- every failure goes to the parent, which raises it
        text = str(exc) if hasattr(exc, "expected") else \
            "".join(traceback.format_exception_only(type(exc), exc)).strip()
        done.put(("error", _as_blob(exc), text))
        return
    done.put(("exit",))
