"""Sweeps: a grid of simulation configs, each cell run independently, resumably, anywhere.

A grid file (TOML) names a family of :data:`collapse.simulate.sweep.metrics.FAMILIES` and
lists values per parameter; the Cartesian product is the grid::

    family = "gaussian"
    [grid]
    samples = [10, 100, 1000]      # a list is swept
    estimator = ["unbiased", "mle"]
    generations = 200              # a scalar is fixed
    chains = 2000
    seed = [1, 2, 3]               # the seeds themselves; or `seeds = 3` for 0, 1, 2

Each cell is identified by the sha256 of its canonical JSON (family plus every
parameter, defaults filled in, keys sorted): the hash does not depend on the order
of the grid file or on how a value was spelled (``1`` or ``1.0`` for a real).
Its generator is ``SeedSequence([seed, int(hash)])``, so a cell's result is the
same whichever executor, worker or order runs it, and cells that differ only in a
non-seed parameter still get independent streams.

A cell's result is one file ``<out>/cells/<hash>.json``, created only if absent
(written to a temporary file, then hard-linked into place, which fails rather than
replaces), so an interrupted sweep resumes by running only the missing cells and a
finished cell is never recomputed or overwritten. Results are written by the
process that submitted the cells, as each one finishes: workers need no shared
file system.

Executors: ``local`` (a :class:`concurrent.futures.ProcessPoolExecutor`; one
worker runs in-process) and ``dask`` (:mod:`dask.distributed`, imported only
then; a ``LocalCluster`` unless a scheduler address or a client is given). A
worker that dies mid-cell costs nothing but a rerun: Dask reschedules its tasks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import itertools
import json
import os
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from collapse.core.runio import TMP_SUFFIX, atomic_write_bytes, atomic_write_text, file_mode, metadata
from collapse.core.runner import Run
from collapse.core.validation import InvalidArgument, check_choice, check_int
from collapse.simulate.sweep.metrics import BUILT_IN, FAMILIES, CellFamily

EXECUTORS = ("local", "dask")
_TOP_KEYS = ("family", "grid", "name", "description")

__all__ = [
    "EXECUTORS", "Cell", "Grid", "SweepError", "SweepReport", "cell_path", "load_grid", "parse_grid",
    "read_results", "run_cell", "run_sweep", "summarize", "write_once", "write_summary",
]


class SweepError(RuntimeError):
    """Some cells raised; the others are saved, and a rerun retries only the failed ones."""


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


@dataclasses.dataclass(frozen=True)
class Cell:
    """One grid point: a family and every parameter (``seed`` included), validated and canonical."""

    family: str
    params: Mapping[str, Any] = dataclasses.field(hash=False)
    #: the family itself, carried to whichever process runs the cell (not part of its identity)
    spec: CellFamily | None = dataclasses.field(default=None, compare=False, hash=False, repr=False)

    @property
    def key(self) -> str:
        """sha256 of the canonical JSON of ``{"family", "params"}`` (64 hex digits)."""
        return hashlib.sha256(canonical_json({"family": self.family, "params": dict(self.params)}).encode()).hexdigest()

    @property
    def seed(self) -> int:
        return int(self.params["seed"])

    def seed_sequence(self) -> np.random.SeedSequence:
        """The cell's own stream: its seed plus its config hash (independent of who runs it, or when)."""
        return np.random.SeedSequence([self.seed, int(self.key, 16)])


@dataclasses.dataclass(frozen=True)
class Grid:
    """A family and, per parameter, the tuple of values taken (length 1: fixed)."""

    family: str
    axes: Mapping[str, tuple] = dataclasses.field(hash=False)
    name: str = "sweep"
    spec: CellFamily | None = dataclasses.field(default=None, compare=False, hash=False, repr=False)

    @property
    def swept(self) -> tuple[str, ...]:
        return tuple(k for k, v in self.axes.items() if len(v) > 1)

    def cells(self) -> list[Cell]:
        """The Cartesian product, in grid-file order (last parameter fastest)."""
        names = list(self.axes)
        return [Cell(self.family, dict(zip(names, combo)), self.spec) for combo in itertools.product(*self.axes.values())]


# ---- parsing and validation ----------------------------------------------------------------

def load_grid(path: str | os.PathLike) -> Grid:
    """Read and validate a grid file (see the module docstring)."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidArgument("GRID", "an existing TOML file", str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidArgument("GRID", "a valid TOML file", f"{path}: {exc}") from None
    return parse_grid(raw, name=path.stem)


def parse_grid(raw: Mapping[str, Any], *, name: str = "sweep") -> Grid:
    """Validate a grid given as a mapping (the parsed TOML); raise :class:`InvalidArgument`."""
    for key in raw:
        check_choice("grid file key", key, _TOP_KEYS)
    family = FAMILIES.get(check_choice("family", raw.get("family"), tuple(FAMILIES)))
    values = raw.get("grid")
    if not isinstance(values, Mapping):
        raise InvalidArgument("grid", "a [grid] table of parameter = value or [values]", values)
    values = dict(values)
    if "seeds" in values:
        if "seed" in values:
            raise InvalidArgument("grid.seeds", "either seed = [...] or seeds = COUNT, not both", values["seeds"])
        values["seed"] = list(range(check_int("grid.seeds", values.pop("seeds"), minimum=1)))
    params = {**family.params}
    axes: dict[str, tuple] = {}
    for key, given in values.items():
        if key != "seed":
            check_choice("grid parameter", key, ("seed", "seeds", *params))
        items = given if isinstance(given, list) else [given]
        if not items:
            raise InvalidArgument(f"grid.{key}", "a value or a non-empty list", given)
        check = (lambda n, v: check_int(n, v, minimum=0)) if key == "seed" else params[key].check
        canon = tuple(check(f"grid.{key}", v) for v in items)
        if len(set(canon)) != len(canon):
            raise InvalidArgument(f"grid.{key}", "distinct values", given)
        axes[key] = canon
    axes.setdefault("seed", (0,))
    for key, spec in params.items():  # defaults, so that spelling a default out changes no hash
        axes.setdefault(key, (spec.default,))
    # a family of the user's travels with the cells (workers have only the built-in table)
    grid = Grid(family.name, axes, str(raw.get("name", name)), None if family.name in BUILT_IN else family)
    for cell in grid.cells():  # the config classes check the combinations, before anything runs
        _build(cell, where=", ".join(f"{k}={cell.params[k]!r}" for k in grid.swept))
    return grid


def _family(cell: Cell) -> CellFamily:
    return cell.spec if cell.spec is not None else FAMILIES[cell.family]


def _build(cell: Cell, where: str = "") -> Any:
    family = _family(cell)
    try:
        return family.build(cell.params)
    except InvalidArgument as exc:
        if not where:
            raise
        raise InvalidArgument(f"grid cell ({where}): {exc.name}", exc.expected, exc.got) from None


# ---- one cell ------------------------------------------------------------------------------

def run_cell(cell: Cell) -> dict[str, Any]:
    """Run one cell and return its result record (pure: writes nothing, runs anywhere)."""
    family = _family(cell)
    config = _build(cell)
    rng = np.random.default_rng(cell.seed_sequence())
    t0 = time.perf_counter()
    metrics = family.run(config, cell.params, rng)
    return {"key": cell.key, "family": cell.family, "params": dict(cell.params), "seed": cell.seed,
            "metrics": metrics, "wall_s": time.perf_counter() - t0, "pid": os.getpid()}


def cell_path(out_dir: str | os.PathLike, cell: Cell | str) -> Path:
    key = cell if isinstance(cell, str) else cell.key
    return Path(out_dir) / "cells" / f"{key}.json"


def write_once(path: str | os.PathLike, text: str) -> bool:
    """Create ``path`` with ``text`` atomically unless it exists; return whether it was written.

    The text goes to a temporary file in the same folder, which is then hard-linked
    to ``path``: ``link`` fails if ``path`` exists, so a racing writer never replaces
    a finished result (``os.replace`` would). File systems without hard links fall
    back to an existence check and a rename.
    """
    path = Path(path)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # no hard links here
            if path.exists():
                return False
            os.replace(tmp, path)
        return True
    finally:
        Path(tmp).unlink(missing_ok=True)


def _save_result(out_dir: Path, result: Mapping[str, Any], executor: str) -> bool:
    record = dict(result)
    record["meta"] = metadata({"family": result["family"], "params": result["params"]}, result["seed"],
                              sweep_cell=result["key"], executor=executor)
    return write_once(cell_path(out_dir, result["key"]), json.dumps(record, indent=2, allow_nan=True) + "\n")


# ---- executors -----------------------------------------------------------------------------

Outcome = tuple[Cell, "dict[str, Any] | BaseException"]


def _local(cells: Sequence[Cell], workers: int) -> Iterator[Outcome]:
    if workers <= 1 or len(cells) <= 1:
        for cell in cells:
            try:
                yield cell, run_cell(cell)
            except Exception as exc:  # noqa: BLE001 -- recorded, reported at the end; other cells go on
                yield cell, exc
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # spawn, not fork: the parent may hold threads (a Dask client, tqdm's monitor)
    with ProcessPoolExecutor(max_workers=min(workers, len(cells)),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(run_cell, c): c for c in cells}
        try:
            for fut in as_completed(futures):
                exc = fut.exception()
                yield futures[fut], exc if exc is not None else fut.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _dask(cells: Sequence[Cell], workers: int, scheduler: str | None, client: Any) -> Iterator[Outcome]:
    from dask.distributed import Client, LocalCluster, as_completed

    with contextlib.ExitStack() as stack:
        if client is None:
            if scheduler:
                client = stack.enter_context(Client(scheduler))
            else:
                cluster = stack.enter_context(LocalCluster(n_workers=workers, threads_per_worker=1,
                                                           processes=True, dashboard_address=None))
                client = stack.enter_context(Client(cluster))
        # deterministic keys: resubmitting a cell (another client, a retry) shares the task
        futures = {client.submit(run_cell, c, key=f"sweep-cell-{c.key}"): c for c in cells}
        for fut in as_completed(futures):
            cell = futures[fut]
            try:
                yield cell, fut.result()
            except Exception as exc:  # noqa: BLE001 -- as in _local: one failed cell stops no other
                yield cell, exc
            finally:
                fut.release()


@dataclasses.dataclass(frozen=True)
class SweepReport:
    """``total`` cells in the grid, ``skipped`` already done, ``ran`` now, ``failed`` keys, ``wall_s``."""

    total: int
    skipped: int
    ran: int
    failed: tuple[str, ...]
    wall_s: float


def run_sweep(grid: Grid, out_dir: str | os.PathLike, *, executor: str = "local", workers: int | None = None,
              scheduler: str | None = None, client: Any = None, progress: bool = False,
              on_saved: Callable[[Cell, Path], None] | None = None, force: bool = False) -> SweepReport:
    """Run every cell of ``grid`` whose result is missing under ``out_dir``; write each as it finishes.

    Parameters
    ----------
    grid : Grid
    out_dir : path
        Run folder: ``cells/<hash>.json`` per cell and ``grid.json``.
    executor : {"local", "dask"}
    workers : int, optional
        Processes (``local``) or ``LocalCluster`` workers (``dask``); default the machine's cores.
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``); default a ``LocalCluster``.
    client : dask.distributed.Client, optional
        Use this client (and its cluster) instead.
    on_saved : callable(cell, path), optional
        Called after each new result file is in place.
    force : bool
        Delete the cells an earlier sweep wrote into ``out_dir`` and start over.

    Returns
    -------
    SweepReport

    Raises
    ------
    SweepError
        If any cell raised (all others are saved first).
    """
    check_choice("executor", executor, EXECUTORS)
    workers = check_int("workers", workers if workers is not None else (os.cpu_count() or 1), minimum=1)
    # Cells are content-addressed (their file names are hashes of their configs), so the
    # run's config is only the family: a grown grid resumes, a finished cell is kept.
    run = Run.open(out_dir, "sweep", {"family": grid.family}, force=force)
    out_dir = run.folder
    run.own("cells")
    run.write_text("grid.json", json.dumps(
        {"family": grid.family, "name": grid.name, "axes": {k: list(v) for k, v in grid.axes.items()}}, indent=2) + "\n")
    cells = grid.cells()
    todo = [c for c in cells if not run.done(cell_path(out_dir, c).relative_to(out_dir))]
    t0 = time.perf_counter()
    failed: list[tuple[str, BaseException]] = []
    outcomes = _local(todo, workers) if executor == "local" else _dask(todo, workers, scheduler, client)
    from tqdm.auto import tqdm

    with contextlib.closing(outcomes), tqdm(total=len(todo), desc=f"sweep {grid.name}", unit="cell",
                                            disable=not progress or not todo) as bar:
        for cell, result in outcomes:
            bar.update()
            if isinstance(result, BaseException):
                failed.append((cell.key, result))
                continue
            if _save_result(out_dir, result, executor) and on_saved is not None:
                on_saved(cell, cell_path(out_dir, cell))
    if failed:
        key, exc = failed[0]
        raise SweepError(f"{len(failed)} of {len(todo)} cells failed (first: {key[:12]}: {exc!r}); the others are "
                         f"saved, rerun to retry the failed ones")
    return SweepReport(len(cells), len(cells) - len(todo), len(todo), (), time.perf_counter() - t0)


# ---- results and summary -------------------------------------------------------------------

def read_results(grid: Grid, out_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """The saved result records of ``grid``'s cells, in grid order (missing cells left out)."""
    out = []
    for cell in grid.cells():
        path = cell_path(out_dir, cell)
        if path.exists():
            out.append(json.loads(path.read_text(encoding="utf-8")))
    return out


def summarize(grid: Grid, out_dir: str | os.PathLike,
              theory: Callable[[str, Mapping[str, Any]], Mapping[str, float]] | None = None) -> list[dict[str, Any]]:
    """One row per finished cell: ``key``, the parameters, the metrics, ``theory_<metric>`` and ``wall_s``.

    ``theory(family, params)`` returns closed-form values keyed by metric name (the
    command line passes one built on :mod:`collapse.analytic`).
    """
    rows = []
    for rec in read_results(grid, out_dir):
        row = {"key": rec["key"], "family": rec["family"], **rec["params"], **rec["metrics"]}
        if theory is not None:
            row.update({f"theory_{k}": float(v) for k, v in theory(rec["family"], rec["params"]).items()})
        row["wall_s"] = rec["wall_s"]
        rows.append(row)
    return rows


def write_summary(rows: Sequence[Mapping[str, Any]], out_dir: str | os.PathLike) -> list[Path]:
    """``summary.csv`` (and ``summary.parquet`` when pyarrow is installed), atomically."""
    import csv

    columns = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    paths = [atomic_write_text(Path(out_dir) / "summary.csv", buf.getvalue())]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return paths
    table = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    paths.append(atomic_write_bytes(Path(out_dir) / "summary.parquet", sink.getvalue().to_pybytes()))
    return paths
