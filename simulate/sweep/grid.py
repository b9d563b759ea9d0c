"""Sweeps: a grid of simulation configs, each cell run independently, resumably, anywhere.

A grid file (TOML, at most :data:`MAX_GRID_BYTES`) names a family of
:data:`collapse.simulate.sweep.metrics.FAMILIES` and lists values per parameter; the
Cartesian product is the grid::

    family = "gaussian"
    [grid]
    samples = [10, 100, 1000]      # a list is swept
    estimator = ["unbiased", "mle"]
    generations = 200              # a scalar is fixed
    chains = 2000
    seed = [1, 2, 3]               # the seeds themselves; or `seeds = 3` for 0, 1, 2

Every value is checked strictly before anything runs: an integer parameter takes a TOML
integer (not ``true``, not ``10.0``), a real one a finite number, a choice a string, each
within the bounds of :data:`collapse.simulate.sweep.metrics.LIMITS` (those of the command
line: chains <= 10^7, generations <= 10^6, samples <= 10^9, seed in [0, 2^32 - 1]...); a
cell whose memory estimate does not fit this machine is refused
(:func:`collapse.core.validation.check_memory`), and so is a grid of more than
:data:`MAX_CELLS` cells, counted from the list lengths before any cell is built.

Each cell is identified by the sha256 of its canonical JSON (family plus every
parameter, defaults filled in, keys sorted): the hash does not depend on the order
of the grid file or on how a value was spelled (``1`` or ``1.0`` for a real).
Its generator is ``SeedSequence([seed, int(hash)])``, so a cell's result is the
same whichever executor, worker or order runs it, and cells that differ only in a
non-seed parameter still get independent streams.

A cell's result is one file ``<out>/cells/<hash>.json``, created only if absent
(written to a temporary file, then hard-linked into place, which fails rather than
replaces), so an interrupted sweep resumes by running only the missing cells and a
finished cell is never recomputed or overwritten. On resume every cell file is read
back and checked (a JSON record whose key, family and parameters are the cell's, with
its metrics): a damaged one (truncated, empty, garbage, another cell's) is reported on
stderr, moved aside to ``<hash>.json.damaged`` and recomputed, never counted done.
Results are written by the process that submitted the cells, as each one finishes:
workers need no shared file system.

**Several processes, one folder.** A cell is computed under a claim: the submitting
process holds an advisory lock (``flock``) on ``cells/<hash>.claim`` (which names its pid
and host) from just before the cell is submitted until its result file is in place. A
claim dies with its process, so a killed sweep's cells are taken over by the next one.
The first ``collapse sweep`` on a folder opens the folder's run (which holds the folder's
``.lock`` for the rest of the process); a second one on the same folder, seeing the lock
held, *joins* it instead of being refused: it checks that ``run.json`` holds a sweep of
the same family, says so in one line on stderr, and then both take unclaimed cells one
by one (no cell is computed twice), each waits for the cells the other holds, and each
writes the full summary when all are done. ``--force`` is refused while another process
sweeps the folder, as is any other experiment that wants the folder.

**Interrupts.** SIGINT (:class:`KeyboardInterrupt`) or SIGTERM (:class:`Terminated`) stops
a sweep: its worker processes are terminated (they ignore SIGINT themselves, so a Ctrl-C
in a terminal reaches the sweep, not them), its claims are released and no temporary file
is left; the next run resumes with the missing cells.

Executors: ``local`` (a :class:`concurrent.futures.ProcessPoolExecutor`; one
worker runs in-process) and ``dask`` (:mod:`dask.distributed`, imported only
then; a ``LocalCluster`` unless a scheduler address or a client is given; an address that
answers within ``connect_timeout`` seconds or an :class:`InvalidArgument` naming it). A
worker that dies mid-cell costs nothing but a rerun: Dask reschedules its tasks.

The sweep's run (``run.json``) owns ``cells/``, ``grid.json``, ``summary.csv`` and
``summary.parquet``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import itertools
import json
import math
import os
import re
import signal
import socket
import sys
import tempfile
import threading
import time
import tomllib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from numbers import Real
from pathlib import Path
from typing import Any

import numpy as np
from collapse.core.runio import (
    TMP_SUFFIX,
    as_json,
    atomic_write_bytes,
    atomic_write_text,
    file_mode,
    metadata,
)
from collapse.core.runner import Run, config_diff, stored_config
from collapse.core.validation import InvalidArgument, check_choice, check_memory
from collapse.simulate.sweep.metrics import (
    BUILT_IN,
    FAMILIES,
    LIMITS,
    CellFamily,
    strict_int,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: claims are O_EXCL files with a liveness check
    fcntl = None  # type: ignore[assignment]

EXECUTORS = ("local", "dask")
#: the most cells one grid may have (the product of its list lengths); split a larger grid into files
MAX_CELLS = 100_000
#: the largest grid file read
MAX_GRID_BYTES = 1_000_000
#: the most worker processes (``local``) or LocalCluster workers (``dask``)
MAX_WORKERS = 256
#: seconds a Dask scheduler address gets to answer
CONNECT_TIMEOUT_S = 5.0
#: the files of a sweep's run folder that its run owns
OWNED = ("cells", "grid.json", "summary.csv", "summary.parquet")
_TOP_KEYS = ("family", "grid", "name", "description")
_POLL_S = 0.2  # how often cells held by another process are looked at again
_JOIN_WAIT_S = 3.0  # how long a joining process waits for the folder's owner to record its sweep

__all__ = [
    "CONNECT_TIMEOUT_S", "EXECUTORS", "MAX_CELLS", "MAX_GRID_BYTES", "MAX_WORKERS", "Cell", "Grid", "SweepError",
    "SweepReport", "Terminated", "cell_path", "check_scheduler_address", "interrupts_raise", "load_grid",
    "parse_grid", "read_cell", "read_results", "run_cell", "run_sweep", "summarize", "write_once", "write_summary",
]


class SweepError(RuntimeError):
    """Some cells raised; the others are saved, and a rerun retries only the failed ones."""


class Terminated(KeyboardInterrupt):
    """The sweep got SIGTERM (raised in the main thread while :func:`run_sweep` runs)."""

    def __init__(self, signum: int = signal.SIGTERM):
        super().__init__(signum)
        self.signum = int(signum)


class _Shown(str):
    """A value shown as it is in an :class:`InvalidArgument` message (no quotes)."""

    def __repr__(self) -> str:
        return str(self)


def _short(v: Any, limit: int = 80) -> Any:
    text = repr(v)
    return v if len(text) <= limit else _Shown(text[:limit] + "...")


def canonical_json(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def _key(family: str, params: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json({"family": family, "params": dict(params)}).encode()).hexdigest()


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
        return _key(self.family, self.params)

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

    @property
    def size(self) -> int:
        """The number of cells (the product of the axes' lengths), without building them."""
        return math.prod(len(v) for v in self.axes.values())

    def cells(self) -> list[Cell]:
        """The Cartesian product, in grid-file order (last parameter fastest)."""
        names = list(self.axes)
        return [Cell(self.family, dict(zip(names, combo)), self.spec) for combo in itertools.product(*self.axes.values())]


# ---- parsing and validation ----------------------------------------------------------------

def load_grid(path: str | os.PathLike) -> Grid:
    """Read and validate a grid file (see the module docstring); :class:`InvalidArgument` naming the file."""
    path = Path(path)
    see = "see examples/sweep_gaussian.toml"
    try:
        if not path.exists():
            raise InvalidArgument("GRID", f"an existing TOML file ({see})", _Shown(f"{path} (no such file)"))
        if path.is_dir():
            raise InvalidArgument("GRID", f"a TOML file, not a folder ({see})", _Shown(f"{path} (a folder)"))
        if not path.is_file():
            raise InvalidArgument("GRID", f"a regular TOML file ({see})", _Shown(f"{path} (not a regular file)"))
        size = path.stat().st_size
        if size > MAX_GRID_BYTES:
            raise InvalidArgument("GRID", f"a grid file of at most {MAX_GRID_BYTES} bytes (split the grid into "
                                  "several files)", _Shown(f"{path} ({size} bytes)"))
        data = path.read_bytes()[:MAX_GRID_BYTES + 1]
    except OSError as exc:
        raise InvalidArgument("GRID", "a readable TOML file", _Shown(f"{path} ({exc.strerror or exc})")) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidArgument("GRID", "a UTF-8 text file (save the grid as UTF-8)",
                              _Shown(f"{path} (byte {exc.start} is not UTF-8)")) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        why = " ".join(str(exc).split())[:200]
        raise InvalidArgument("GRID", "a valid TOML file (fix what the parser names)", _Shown(f"{path}: {why}")) from None
    except RecursionError:
        raise InvalidArgument("GRID", "a valid TOML file", _Shown(f"{path}: nested too deeply")) from None
    return parse_grid(raw, name=path.stem)


def parse_grid(raw: Mapping[str, Any], *, name: str = "sweep") -> Grid:
    """Validate a grid given as a mapping (the parsed TOML); raise :class:`InvalidArgument`.

    Every value is checked against its parameter's validator, the number of cells against
    :data:`MAX_CELLS` (before the product is built), every distinct parameter combination
    against the family's config (and its memory estimate against this machine).
    """
    if not isinstance(raw, Mapping):
        raise InvalidArgument("grid file", "a table of family = ... and [grid]", _short(raw))
    for key in raw:
        _choice("grid file key", key, _TOP_KEYS)
    family = FAMILIES[_choice("family", raw.get("family"), tuple(FAMILIES))]
    for key, limit in (("name", 100), ("description", 10_000)):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip() or len(raw[key]) > limit):
            raise InvalidArgument(key, f"a text of 1 to {limit} characters", _short(raw[key]))
    values = raw.get("grid")
    if not isinstance(values, Mapping):
        raise InvalidArgument("grid", "a [grid] table of parameter = value or [values]", _short(values))
    values = dict(values)
    if "seeds" in values:
        if "seed" in values:
            raise InvalidArgument("grid.seeds", "either seed = [...] or seeds = COUNT, not both", _short(values["seeds"]))
        values["seed"] = range(strict_int("grid.seeds", values.pop("seeds"), 1, MAX_CELLS))
    params = {**family.params}
    axes: dict[str, tuple] = {}
    for key, given in values.items():
        if key != "seed":
            _choice("grid parameter", key, ("seed", "seeds", *params))
        items = given if isinstance(given, (list, range)) else [given]
        if not items:
            raise InvalidArgument(f"grid.{key}", "a value or a non-empty list", _short(given))
        if len(items) > MAX_CELLS:
            raise InvalidArgument(f"grid.{key}", f"at most {MAX_CELLS} values", _Shown(f"{len(items)} values"))
        check = _check_seed if key == "seed" else params[key].check
        canon = tuple(check(f"grid.{key}", v) for v in items)
        if len(set(canon)) != len(canon):
            raise InvalidArgument(f"grid.{key}", "distinct values", _short(given))
        axes[key] = canon
    axes.setdefault("seed", (0,))
    for key, spec in params.items():  # defaults, so that spelling a default out changes no hash
        axes.setdefault(key, (spec.default,))
    count = math.prod(len(v) for v in axes.values())
    if count > MAX_CELLS:
        shape = " x ".join(f"{len(v)} {k}" for k, v in axes.items() if len(v) > 1)
        raise InvalidArgument("grid", f"at most {MAX_CELLS} cells (split the grid into several files)",
                              _Shown(f"{count} cells ({shape})"))
    # a family of the user's travels with the cells (workers have only the built-in table)
    grid = Grid(family.name, axes, str(raw.get("name", name)), None if family.name in BUILT_IN else family)
    _check_combinations(grid)
    return grid


def _choice(name: str, v: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(v, str) or v not in choices:
        raise InvalidArgument(name, "one of " + ", ".join(repr(c) for c in choices), _short(v))
    return v


def _check_seed(name: str, v: Any) -> int:
    return strict_int(name, v, 0, LIMITS["seed"])


def _check_combinations(grid: Grid) -> None:
    """Build each distinct non-seed combination's config (the family checks it) and check its memory."""
    names = [k for k in grid.axes if k != "seed"]
    family = grid.spec if grid.spec is not None else FAMILIES[grid.family]
    worst: tuple[float, dict[str, Any]] = (-1.0, {})
    seed = grid.axes["seed"][0]
    for combo in itertools.product(*(grid.axes[k] for k in names)):
        params = {**dict(zip(names, combo)), "seed": seed}
        cell = Cell(grid.family, params, grid.spec)
        _build(cell, where=", ".join(f"{k}={params[k]!r}" for k in grid.swept if k != "seed"))
        if family.memory is not None:
            need = float(family.memory(params))
            if need > worst[0]:
                worst = (need, params)
    if worst[0] >= 0:
        need, params = worst
        sizes = ", ".join(f"{k}={params[k]}" for k in ("chains", "samples", "generations", "dim", "states",
                                                       "components") if k in params)
        check_memory(f"grid cell ({sizes})", need, f"one {grid.family} cell (lower chains or samples)")


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


_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252}))"
_ADDRESS = re.compile(rf"(?:(?P<scheme>tcp|tls|ws|wss|ucx)://)?(?P<host>{_HOST}):(?P<port>[0-9]{{1,5}})/?")


def check_scheduler_address(text: str) -> str:
    """``text`` if it is a Dask scheduler address (``tcp://host:port``, ``tls://...``, ``inproc://...``).

    Raises ValueError saying why not (the command line's ``--scheduler`` check).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("an empty address")
    if any(ch.isspace() for ch in text):
        raise ValueError("spaces in an address")
    if text.startswith("inproc://"):
        if len(text) == len("inproc://"):
            raise ValueError("inproc:// needs an address after it")
        return text
    m = _ADDRESS.fullmatch(text)
    if m is None:
        scheme = text.partition("://")[0] if "://" in text else None
        if scheme is not None and scheme not in ("tcp", "tls", "ws", "wss", "ucx"):
            raise ValueError(f"unknown protocol {scheme!r}: tcp, tls, ws, wss, ucx or inproc")
        raise ValueError("not of the form tcp://HOST:PORT")
    if not 1 <= int(m["port"]) <= 65535:
        raise ValueError("a port is in 1..65535")
    return text


# ---- one cell ------------------------------------------------------------------------------

def run_cell(cell: Cell) -> dict[str, Any]:
    """Run one cell and return its result record (pure: writes nothing, runs anywhere)."""
    family = _family(cell)
    config = _build(cell)
    rng = np.random.default_rng(cell.seed_sequence())
    t0 = time.perf_counter()
    metrics = family.run(config, cell.params, rng)
    if not isinstance(metrics, Mapping) or not all(isinstance(k, str) and _number(v) for k, v in metrics.items()):
        raise InvalidArgument(f"{family.name} run()", "a mapping of metric name -> real number", _short(metrics))
    metrics = {k: float(v) for k, v in metrics.items()}
    return {"key": cell.key, "family": cell.family, "params": dict(cell.params), "seed": cell.seed,
            "metrics": metrics, "wall_s": time.perf_counter() - t0, "pid": os.getpid(), "host": socket.gethostname()}


def cell_path(out_dir: str | os.PathLike, cell: Cell | str) -> Path:
    key = cell if isinstance(cell, str) else cell.key
    return Path(out_dir) / "cells" / f"{key}.json"


def _number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, (bool, np.bool_))


def _problem(rec: Any, cell: Cell) -> str | None:
    """Why ``rec`` is not a complete result record of ``cell`` (None when it is)."""
    if not isinstance(rec, dict):
        return f"a JSON {type(rec).__name__}, not a cell record"
    if "key" not in rec:
        return "not a cell record (no key)"
    if rec.get("key") != cell.key:
        return f"the record of another cell (key {str(rec.get('key'))[:16]!r})"
    params = rec.get("params")
    if rec.get("family") != cell.family or not isinstance(params, dict):
        return "no family and parameters"
    try:
        if _key(rec["family"], params) != cell.key:
            return "parameters that are not its cell's"
    except (TypeError, ValueError):
        return "parameters that are not its cell's"
    metrics = rec.get("metrics")
    if not isinstance(metrics, dict) or not all(_number(v) for v in metrics.values()):
        return "no metrics"
    missing = [m for m in _family(cell).metrics if m not in metrics]
    if missing:
        return f"no {missing[0]!r} metric"
    if not _number(rec.get("wall_s")) or rec.get("seed") != cell.seed:
        return "no wall_s or seed"
    return None


def read_cell(path: str | os.PathLike, cell: Cell) -> tuple[str, Any]:
    """``("ok", record)``, ``("missing", None)`` or ``("damaged", why)`` for ``cell``'s result file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return "missing", None
    except OSError as exc:
        return "damaged", exc.strerror or type(exc).__name__
    if not raw.strip():
        return "damaged", "empty"
    try:
        rec = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return "damaged", "not JSON (" + " ".join(str(exc).split())[:80] + ")"
    why = _problem(rec, cell)
    return ("damaged", why) if why else ("ok", rec)


def _move_aside(path: Path) -> Path:
    """Rename a damaged file to ``<name>.damaged`` (``.damaged.1``... if taken); return the new path."""
    for n in range(1000):
        aside = path.with_name(path.name + (".damaged" if n == 0 else f".damaged.{n}"))
        if not aside.exists():
            os.rename(path, aside)
            return aside
    path.unlink()  # pragma: no cover - a thousand damaged copies: keep none
    return path


def write_once(path: str | os.PathLike, text: str) -> bool:
    """Create ``path`` with ``text`` atomically unless it exists; return whether it was written.

    The text goes to a temporary file in the same folder, which is then hard-linked
    to ``path``: ``link`` fails if ``path`` exists, so a racing writer never replaces
    a finished result (``os.replace`` would). File systems without hard links fall
    back to an existence check and a rename. A temporary file removed under it (by a
    process opening the folder, which deletes leftovers) is written again.
    """
    path = Path(path)
    for attempt in range(3):
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
            except FileNotFoundError:
                if attempt == 2:
                    raise
                continue
            except OSError:  # no hard links here
                if path.exists():
                    return False
                os.replace(tmp, path)
            return True
        finally:
            Path(tmp).unlink(missing_ok=True)
    return False  # pragma: no cover - the loop returns or raises


def _save_result(out_dir: Path, result: Mapping[str, Any], executor: str) -> bool:
    record = dict(result)
    record["meta"] = metadata({"family": result["family"], "params": result["params"]}, result["seed"],
                              sweep_cell=result["key"], executor=executor)
    return write_once(cell_path(out_dir, result["key"]), json.dumps(record, indent=2, allow_nan=True) + "\n")


# ---- claims: one process computes a cell ----------------------------------------------------

def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class _Claim:
    """This process computes one cell: it holds ``cells/<key>.claim`` until :meth:`release`."""

    def __init__(self, path: Path, fd: int):
        self.path, self.fd = path, fd

    @classmethod
    def take(cls, cells_dir: Path, key: str) -> _Claim | None:
        """The claim of cell ``key``, or None while a live process (this one included) holds it."""
        path = cells_dir / f"{key}.claim"
        stamp = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}).encode()
        if fcntl is None:  # pragma: no cover - exercised only where there is no flock
            return cls._take_exclusive(path, stamp)
        for _ in range(10):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, file_mode())
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                return None
            try:  # the holder before us may have removed the file we opened: lock the one at the path
                same = os.stat(path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, stamp, 0)
            return cls(path, fd)
        return None  # pragma: no cover - the file keeps changing under us: someone else has it

    @classmethod
    def _take_exclusive(cls, path: Path, stamp: bytes) -> _Claim | None:  # pragma: no cover - no flock
        for _ in range(2):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, file_mode())
            except FileExistsError:
                try:
                    holder = json.loads(path.read_text(encoding="utf-8"))
                    stale = holder.get("host") == socket.gethostname() and not _pid_alive(int(holder["pid"]))
                except (OSError, ValueError, KeyError, TypeError, AttributeError):
                    stale = time.time() - path.stat().st_mtime > 60 if path.exists() else True
                if not stale:
                    return None
                path.unlink(missing_ok=True)
                continue
            os.write(fd, stamp)
            return cls(path, fd)
        return None

    def release(self) -> None:
        fd, self.fd = self.fd, -1  # first: a second release (after an interrupt) closes nothing twice
        if fd < 0:
            return
        try:
            with contextlib.suppress(OSError):
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    self.path.unlink()
        finally:
            os.close(fd)


# ---- executors -----------------------------------------------------------------------------
# Each takes cells one at a time (submit), says which have finished (wait), and gives a cell's
# result or exception (outcome): the sweep claims a cell only when a worker is free for it.

def _worker_init(parent: int) -> None:
    """In a pool worker: Ctrl-C reaches the sweep, which then terminates the workers; on Linux the
    worker also gets SIGTERM when the sweep dies without cleaning up (SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the sweep died before that: nobody will collect this worker's results
        os._exit(1)


class _Done:
    """A finished cell of :class:`_Inline`: its result or exception."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value


class _Inline:
    """One worker: the cell runs in this process when submitted."""

    def __init__(self) -> None:
        self.capacity = 1

    def start(self) -> None:
        pass

    def submit(self, cell: Cell) -> Any:
        try:
            return _Done(run_cell(cell))
        except Exception as exc:  # noqa: BLE001 -- recorded, reported at the end; other cells go on
            return _Done(exc)

    def wait(self, handles: list, timeout: float | None) -> list:
        return list(handles)

    def outcome(self, handle: Any) -> Any:
        return handle.value

    def close(self, interrupted: bool) -> None:
        pass


class _Pool:
    """Worker processes on this machine (spawned, not forked: the parent may hold threads)."""

    def __init__(self, workers: int):
        self.workers, self.pool = workers, None
        self.capacity = 2 * workers  # a worker finds its next cell queued while this process saves the last

    def start(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_worker_init, initargs=(os.getpid(),))

    def submit(self, cell: Cell) -> Any:
        self.start()
        return self.pool.submit(run_cell, cell)

    def wait(self, handles: list, timeout: float | None) -> list:
        from concurrent.futures import FIRST_COMPLETED, wait

        return list(wait(handles, timeout=timeout, return_when=FIRST_COMPLETED).done)

    def outcome(self, fut: Any) -> Any:
        exc = fut.exception()
        return exc if exc is not None else fut.result()

    def close(self, interrupted: bool) -> None:
        pool, self.pool = self.pool, None
        if pool is None:
            return
        if interrupted:  # the cells running are lost anyway: stop their processes now
            procs = list((getattr(pool, "_processes", None) or {}).values())
            for p in procs:
                with contextlib.suppress(Exception):
                    p.terminate()
            for p in procs:
                with contextlib.suppress(Exception):
                    p.join(5)
                    if p.is_alive():
                        p.kill()
                        p.join(1)
        pool.shutdown(wait=True, cancel_futures=True)


class _Dask:
    """A dask.distributed client: given, connected to ``scheduler``, or of a LocalCluster of its own."""

    def __init__(self, workers: int, scheduler: str | None, client: Any, connect_timeout: float):
        self.workers, self.scheduler, self.client, self.timeout = workers, scheduler, client, connect_timeout
        self.capacity = 2 * workers
        self.stack = contextlib.ExitStack()
        self.futures: set = set()

    def start(self) -> None:
        if self.client is not None:
            self._size()
            return
        from dask.distributed import Client, LocalCluster

        try:
            if self.scheduler:
                try:
                    self.client = self.stack.enter_context(Client(self.scheduler, timeout=f"{self.timeout}s"))
                except (OSError, TimeoutError) as exc:
                    why = " ".join(str(exc).split())[:160] or type(exc).__name__
                    raise InvalidArgument("scheduler", "the address of a running Dask scheduler (start one with "
                                          "`dask scheduler`, or leave the option out for a LocalCluster)",
                                          _Shown(f"{self.scheduler} ({why})")) from None
            else:
                cluster = self.stack.enter_context(LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                                                processes=True, dashboard_address=None))
                self.client = self.stack.enter_context(Client(cluster))
        except BaseException:
            self.stack.close()
            raise
        self._size()

    def _size(self) -> None:
        with contextlib.suppress(Exception):
            # twice the threads: a worker finds its next cell queued, not a round trip away
            self.capacity = 2 * max(self.workers, sum(self.client.nthreads().values()))

    def submit(self, cell: Cell) -> Any:
        if self.client is None:
            self.start()
        # deterministic keys: resubmitting a cell (another client, a retry) shares the task
        fut = self.client.submit(run_cell, cell, key=f"sweep-cell-{cell.key}")
        self.futures.add(fut)
        return fut

    def wait(self, handles: list, timeout: float | None) -> list:
        from dask.distributed import wait

        with contextlib.suppress(TimeoutError):
            wait(handles, timeout=timeout, return_when="FIRST_COMPLETED")
        return [f for f in handles if f.done()]

    def outcome(self, fut: Any) -> Any:
        try:
            return fut.result()
        except Exception as exc:  # noqa: BLE001 -- as for local cells: one failed cell stops no other
            return exc
        finally:
            self.futures.discard(fut)
            fut.release()

    def close(self, interrupted: bool) -> None:
        try:
            if interrupted and self.futures and self.client is not None:
                with contextlib.suppress(Exception):
                    self.client.cancel(list(self.futures))
        finally:
            self.futures.clear()
            self.stack.close()


# ---- the sweep -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class SweepReport:
    """``total`` cells in the grid, ``skipped`` already done, ``ran`` now, ``failed`` keys, ``wall_s``;
    ``by_others``: cells another process sweeping the same folder finished meanwhile."""

    total: int
    skipped: int
    ran: int
    failed: tuple[str, ...]
    wall_s: float
    by_others: int = 0


def _busy(exc: InvalidArgument) -> bool:
    """Whether ``exc`` is :meth:`Run.open` saying another process holds the folder's lock."""
    from collapse.core.runner import FolderBusy

    return isinstance(exc, FolderBusy)


def _open(out_dir: str | os.PathLike, grid: Grid, force: bool, warn: Callable[[str], None]) -> tuple[Path, bool]:
    """Open the sweep's run in ``out_dir`` (or join the process sweeping it); ``(folder, joined)``."""
    config = {"family": grid.family}
    try:
        run = Run.open(out_dir, "sweep", config, force=force)
    except InvalidArgument as exc:
        if not _busy(exc):
            raise
        busy = exc
    else:
        for rel in OWNED:
            run.own(rel)
        return run.folder, False
    folder = Path(out_dir)
    if force:
        raise InvalidArgument("--force", "a run folder no other process is writing (stop the other process first, "
                              "or leave --force out to share its sweep)", _Shown(str(folder)))
    deadline = time.monotonic() + _JOIN_WAIT_S
    while True:  # the owner may be writing run.json right now
        try:
            stored = stored_config(folder, "sweep")
            break
        except InvalidArgument:
            if time.monotonic() > deadline:
                raise busy from None
            time.sleep(0.05)
    want = as_json(config)
    if stored != want:
        raise InvalidArgument("config", f"the configuration another process is sweeping {folder} with (wait for it, "
                              "or choose a new --out)", "; ".join(config_diff(stored, want)))
    warn(f"collapse sweep: another process is sweeping {folder}; sharing its cells (each is computed once)")
    return folder, True


class _Deferral:
    """While a sweep runs (main thread): SIGTERM raises :class:`Terminated`, SIGINT
    :class:`KeyboardInterrupt`, except inside :func:`_signals_held` sections (writing a result,
    taking or releasing a claim, stopping the workers), which they wait for."""

    depth = 0
    pending: int | None = None


_DEFER = _Deferral()


def _raise(signum: int) -> None:
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Terminated(signum)


def _on_signal(signum: int, frame: Any) -> None:
    if _DEFER.depth:
        if _DEFER.pending is None:
            _DEFER.pending = signum
        return
    _raise(signum)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """Within this block SIGTERM raises :class:`Terminated` and SIGINT :class:`KeyboardInterrupt`
    (both held back out of the sweep's short critical sections), so cleanup code runs.

    Main thread only (elsewhere a no-op); SIGINT only where its handler is Python's default.
    """
    if not _main_thread() or signal.getsignal(signal.SIGTERM) is _on_signal:
        yield
        return
    old_term = signal.signal(signal.SIGTERM, _on_signal)
    old_int = signal.getsignal(signal.SIGINT)
    if old_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, _on_signal)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old_term)
        if old_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, old_int)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """A critical section: SIGINT and SIGTERM are acted on when it ends, so it is never cut short."""
    if not _main_thread():
        yield
        return
    _DEFER.depth += 1
    try:
        yield
    finally:
        _DEFER.depth -= 1
        if not _DEFER.depth and _DEFER.pending is not None:
            signum, _DEFER.pending = _DEFER.pending, None
            if signal.getsignal(signum) is _on_signal:
                _raise(signum)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_sweep(grid: Grid, out_dir: str | os.PathLike, *, executor: str = "local", workers: int | None = None,
              scheduler: str | None = None, client: Any = None, progress: bool = False,
              on_saved: Callable[[Cell, Path], None] | None = None, force: bool = False,
              warn: Callable[[str], None] | None = None,
              connect_timeout: float = CONNECT_TIMEOUT_S) -> SweepReport:
    """Run every cell of ``grid`` whose result is missing under ``out_dir``; write each as it finishes.

    Parameters
    ----------
    grid : Grid
    out_dir : path
        Run folder: ``cells/<hash>.json`` per cell and ``grid.json``.
    executor : {"local", "dask"}
    workers : int, optional
        Processes (``local``) or ``LocalCluster`` workers (``dask``), 1 to :data:`MAX_WORKERS`;
        default the machine's cores.
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:8786``); default a ``LocalCluster``. It must
        answer within ``connect_timeout`` seconds, before anything is written.
    client : dask.distributed.Client, optional
        Use this client (and its cluster) instead.
    on_saved : callable(cell, path), optional
        Called after each new result file is in place.
    force : bool
        Delete the cells an earlier sweep wrote into ``out_dir`` and start over.
    warn : callable(str), optional
        Where one-line notices go (a damaged cell file, joining another process); default stderr.

    Returns
    -------
    SweepReport

    Raises
    ------
    SweepError
        If any cell raised (all others are saved first).
    InvalidArgument
        A bad argument, an unreachable scheduler, a folder another experiment holds.
    Terminated, KeyboardInterrupt
        SIGTERM, SIGINT: the workers are stopped first, finished cells are kept.
    """
    check_choice("executor", executor, EXECUTORS)
    workers = strict_int("workers", workers if workers is not None else min(os.cpu_count() or 1, MAX_WORKERS),
                         1, MAX_WORKERS)
    if scheduler is not None:
        try:
            check_scheduler_address(scheduler)
        except ValueError as exc:
            raise InvalidArgument("scheduler", "a Dask scheduler address such as tcp://host:8786",
                                  _Shown(f"{scheduler!r} ({exc})")) from None
    warn = warn if warn is not None else _stderr
    t0 = time.perf_counter()
    cells = grid.cells()
    if executor == "dask":
        ex: Any = _Dask(workers, scheduler, client, connect_timeout)
    else:
        ex = _Inline() if workers <= 1 else _Pool(workers)
    with interrupts_raise():
        interrupted = True
        try:
            if executor == "dask" and (scheduler or client is not None):
                ex.start()  # an unreachable scheduler is refused before anything is written
            folder, _joined = _open(out_dir, grid, force, warn)
            atomic_write_text(folder / "grid.json", json.dumps(
                {"family": grid.family, "name": grid.name, "axes": {k: list(v) for k, v in grid.axes.items()}},
                indent=2) + "\n")
            (folder / "cells").mkdir(parents=True, exist_ok=True)
            todo = [c for c in cells if read_cell(cell_path(folder, c), c)[0] != "ok"]
            if isinstance(ex, _Pool):
                ex.workers = min(workers, max(len(todo), 1))
            ran, by_others, failed = _schedule(ex, todo, folder, executor, grid.name, progress, on_saved, warn)
            interrupted = False
        finally:
            with _signals_held():  # stopping the workers is not cut short by a second Ctrl-C
                ex.close(interrupted)
    if failed:
        key, exc = failed[0]
        raise SweepError(f"{len(failed)} of {len(todo)} cells failed (first: {key[:12]}: {exc!r}); the others are "
                         f"saved, rerun to retry the failed ones")
    return SweepReport(len(cells), len(cells) - len(todo), ran, (), time.perf_counter() - t0, by_others)


def _schedule(ex: Any, todo: list[Cell], folder: Path, executor: str, name: str, progress: bool,
              on_saved: Callable[[Cell, Path], None] | None,
              warn: Callable[[str], None]) -> tuple[int, int, list[tuple[str, BaseException]]]:
    """Claim, submit and save ``todo``'s cells, as many at a time as ``ex`` has workers.

    Returns (cells run here, cells another process finished, failures).
    """
    from tqdm.auto import tqdm

    cells_dir = folder / "cells"
    queue: deque[Cell] = deque(todo)
    held: list[Cell] = []  # claimed by another process: looked at again every _POLL_S
    inflight: dict[Any, tuple[Cell, _Claim]] = {}
    ran = by_others = 0
    failed: list[tuple[str, BaseException]] = []
    with tqdm(total=len(todo), desc=f"sweep {name}", unit="cell", disable=not progress or not todo) as bar:
        try:
            while queue or held or inflight:
                while queue and len(inflight) < ex.capacity:
                    cell = queue.popleft()
                    with _signals_held():
                        claim = _Claim.take(cells_dir, cell.key)
                    if claim is None:
                        held.append(cell)
                        continue
                    path = cell_path(folder, cell)
                    state, info = read_cell(path, cell)  # under the claim: nobody else writes it now
                    if state == "ok":
                        claim.release()
                        by_others += 1
                        bar.update()
                        continue
                    if state == "damaged":
                        with _signals_held():
                            aside = _move_aside(path)
                        warn(f"collapse sweep: {path}: a damaged cell file ({info}); moved aside to {aside.name}, "
                             "computing the cell again")
                    try:
                        handle = ex.submit(cell)
                    except Exception as exc:  # noqa: BLE001 -- a broken pool: this cell fails, the sweep reports it
                        claim.release()
                        failed.append((cell.key, exc))
                        bar.update()
                        continue
                    except BaseException:
                        claim.release()
                        raise
                    inflight[handle] = (cell, claim)
                if inflight:
                    done = ex.wait(list(inflight), timeout=_POLL_S if held else None)
                else:
                    time.sleep(_POLL_S if len(held) < 1000 else 1.0)
                    done = []
                for handle in done:
                    cell, claim = inflight.pop(handle)
                    try:
                        result = ex.outcome(handle)
                        bar.update()
                        if isinstance(result, BaseException):
                            failed.append((cell.key, result))
                            continue
                        ran += 1
                        with _signals_held():  # a signal now would leave a temporary file behind
                            saved = _save_result(folder, result, executor)
                            claim.release()
                    finally:
                        claim.release()
                    if saved and on_saved is not None:
                        on_saved(cell, cell_path(folder, cell))
                if held and len(inflight) < ex.capacity:
                    queue.extend(held)
                    held.clear()
        finally:
            for _, claim in inflight.values():  # the workers are stopped after this; their cells are not done
                claim.release()
    _remove_stale_claims(cells_dir)
    return ran, by_others, failed


def _remove_stale_claims(cells_dir: Path) -> None:
    """Remove the claim files a killed process left (nobody holds them: taking one and releasing it does)."""
    for path in cells_dir.glob("*.claim"):
        with _signals_held():
            claim = _Claim.take(cells_dir, path.stem)
            if claim is not None:
                claim.release()


# ---- results and summary -------------------------------------------------------------------

def read_results(grid: Grid, out_dir: str | os.PathLike) -> list[dict[str, Any]]:
    """The saved result records of ``grid``'s cells, in grid order (missing and damaged cells left out)."""
    out = []
    for cell in grid.cells():
        state, rec = read_cell(cell_path(out_dir, cell), cell)
        if state == "ok":
            out.append(rec)
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


def _write_retrying(write: Callable[[], Path]) -> Path:
    """``write()``, once more if its temporary file was removed under it (another process opening the folder)."""
    try:
        return write()
    except FileNotFoundError:
        return write()


def write_summary(rows: Sequence[Mapping[str, Any]], out_dir: str | os.PathLike) -> list[Path]:
    """``summary.csv`` (and ``summary.parquet`` when pyarrow is installed), atomically."""
    import csv

    columns = list(dict.fromkeys(k for row in rows for k in row))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    paths = [_write_retrying(lambda: atomic_write_text(Path(out_dir) / "summary.csv", buf.getvalue()))]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return paths
    table = pa.Table.from_pylist([{c: row.get(c) for c in columns} for row in rows])
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    data = sink.getvalue().to_pybytes()
    paths.append(_write_retrying(lambda: atomic_write_bytes(Path(out_dir) / "summary.parquet", data)))
    return paths
