"""The one experiment runner: a run folder that holds its config, keeps finished work, resumes.

Every experiment of the toolkit (the simulated families, the Supplementary Gaussian,
the regimes and theory experiments, the VAE, the language-model driver, sweep cells,
``reproduce``'s parts) writes through a :class:`Run`. Its contract:

- **The folder holds the config.** ``FOLDER/run.json`` records, for every experiment
  run into the folder (by name: one folder may hold several, e.g. ``reproduce``'s
  ``results/``), its config, the provenance of the first start, and the files it owns.
- **A resume with a different config is refused**, naming the keys that differ
  (``generations: 2000 -> 300``); ``force=True`` (``--force`` on the command line)
  deletes what that experiment wrote and starts it over; a new folder also starts afresh.
- **Finished work is never recomputed**: :meth:`Run.done` says whether a result is
  complete; :meth:`Run.once` computes it only when it is not.
- **A damaged file is reported by name, with what to do** (:class:`DamagedFile`, an
  :class:`~collapse.core.validation.InvalidArgument`: one line, exit status 2). Every file
  the run writes has its size and sha256 recorded in ``run.json``; :meth:`Run.done` checks
  them, so a truncated or edited file is noticed even where its format cannot tell
  (model weights, a figure), and a resume never counts it as finished work.
- **An experiment writes only files it owns**: a path another experiment in the folder
  owns (or a folder holding one of them) is refused, so pointing one command at another's
  run folder cannot overwrite its results.
- **Temporary files of a killed run are removed** when the folder is opened again.
- **Results are written atomically and readable by others** (mode 0644 under the usual
  umask, see :mod:`collapse.core.runio`).

One process writes a folder at a time: opening takes an advisory lock on
``FOLDER/.lock`` (held until the process exits), so a second process gets a one-line
refusal instead of a race.

Example
-------
>>> run = Run.open(folder, "gmm", config, force=False)          # doctest: +SKIP
>>> if not run.done("results/gmm.npz"):                          # doctest: +SKIP
...     run.save_npz("results/gmm.npz", run.metadata(), l2=l2)
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from collapse.core.runio import (
    TMP_SUFFIX,
    as_json,
    atomic_write_bytes,
    atomic_write_text,
    load_npz,
    metadata,
    read_json,
    save_json,
    save_npz,
)
from collapse.core.validation import InvalidArgument

__all__ = ["MANIFEST", "DamagedFile", "FolderBusy", "Run", "check_out_dir", "config_diff", "file_digest", "read_result",
           "stored_config"]

#: the file in every run folder that holds the configs of the experiments run into it
MANIFEST = "run.json"
_FORMAT = 1
#: files up to this size have their sha256 checked on resume (larger ones: their size)
HASH_LIMIT = 1 << 30
_LOCKS: dict[Path, int] = {}  # folders this process holds, so it can open a folder twice


class DamagedFile(InvalidArgument):
    """A result file that exists but cannot be read back (truncated, garbage, wrong kind)."""

    def __init__(self, path: Path, why: str, advice: str = "delete it to recompute it, or rerun with --force"):
        super().__init__(str(path), f"a complete result file ({advice})", f"a damaged file: {why}")

    def __str__(self) -> str:  # the path is not a Python value: no quotes around it
        return f"{self.name}: expected {self.expected}, got {self.got}"


class FolderBusy(InvalidArgument):
    """Another process holds the run folder's lock (it is writing the folder now)."""


def config_diff(old: Any, new: Any, prefix: str = "") -> list[str]:
    """The differences between two JSON-like configs, one ``key: old -> new`` per leaf.

    >>> config_diff({"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}, "d": 4})
    ['b.c: 2 -> 3', 'd: (absent) -> 4']
    """
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out: list[str] = []
        for k in sorted(set(old) | set(new), key=str):
            key = f"{prefix}.{k}" if prefix else str(k)
            if k not in old:
                out.append(f"{key}: (absent) -> {new[k]!r}")
            elif k not in new:
                out.append(f"{key}: {old[k]!r} -> (absent)")
            else:
                out += config_diff(old[k], new[k], key)
        return out
    return [] if old == new else [f"{prefix or 'config'}: {old!r} -> {new!r}"]


def check_out_dir(path: str | os.PathLike, option: str = "--out") -> Path:
    """Return ``path`` as a directory that exists and this process can write, or raise.

    Checked before any work starts: the empty string, an existing file, a path under a
    file, a read-only or unwritable directory each get one line naming ``option``.
    """
    if str(path).strip() == "":
        raise InvalidArgument(option, "a directory path", str(path))
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InvalidArgument(option, "a directory (this is an existing file)", str(p))
    for parent in p.parents:
        if parent.exists() and not parent.is_dir():
            raise InvalidArgument(option, f"a directory path (its parent {parent} is a file)", str(p))
    try:
        p.mkdir(parents=True, exist_ok=True)
        probe = p / f".write-probe.{os.getpid()}{TMP_SUFFIX}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        why = "read-only file system" if exc.errno == errno.EROFS else (exc.strerror or type(exc).__name__)
        raise InvalidArgument(option, "a directory this user can write", f"{p} ({why})") from None
    return p


def stored_config(folder: str | os.PathLike, name: str) -> Any:
    """The config experiment ``name`` was run with in ``folder`` (from its ``run.json``), for readers.

    Raises
    ------
    InvalidArgument
        ``folder`` holds no run of ``name``.
    DamagedFile
        ``run.json`` cannot be read.
    """
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise InvalidArgument("results", f"a run folder of {name!r} (with {MANIFEST})", str(folder))
    data = read_result(path)
    runs = data.get("runs") if isinstance(data, dict) else None
    if not isinstance(runs, dict):
        raise DamagedFile(path, "not a run manifest", "delete the folder, or choose a new --out")
    if name not in runs:
        raise InvalidArgument("results", f"a run folder of {name!r} (it holds {', '.join(sorted(runs)) or 'none'})",
                              str(folder))
    return runs[name]["config"]


def read_result(path: Path) -> Any:
    """Read a result file back (NPZ: ``(meta, arrays)``, JSON: the object); :class:`DamagedFile` if unreadable."""
    try:
        if path.suffix == ".npz":
            with open(path, "rb") as fh:
                head = fh.read(4)
            if head != b"PK\x03\x04":  # not a zip archive: say so (numpy's message suggests unpickling it)
                raise ValueError("empty" if not head else "not an NPZ (zip) file")
            return load_npz(path)
        if path.suffix == ".json":
            return read_json(path)
        return path.read_bytes()
    except Exception as exc:  # noqa: BLE001 -- any unreadable file gets the same advice
        raise DamagedFile(path, f"{type(exc).__name__}: {exc}".splitlines()[0][:200]) from None


def file_digest(path: Path) -> list:
    """``[size, sha256 hex]`` of a file (the hash only up to :data:`HASH_LIMIT` bytes, else "")."""
    size = path.stat().st_size
    if size > HASH_LIMIT:
        return [size, ""]
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return [size, h.hexdigest()]


def _lock(folder: Path) -> None:
    """Hold ``folder/.lock`` for the rest of this process (advisory; POSIX ``flock``)."""
    key = folder.resolve()
    if key in _LOCKS:
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no lock, one writer is then the user's duty
        return
    fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise FolderBusy("--out", "a run folder no other process is writing", str(folder)) from None
    _LOCKS[key] = fd


def _remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files and folders a killed writer left (names ``.*<TMP_SUFFIX>``)."""
    removed = []
    for p in sorted(folder.rglob(f".*{TMP_SUFFIX}")):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
        removed.append(p)
    return removed


@dataclasses.dataclass
class Run:
    """One experiment's run in a folder: use :meth:`open`, then ``done`` / ``once`` / ``save_*``.

    Attributes
    ----------
    folder : Path
        The run folder (it holds ``run.json``).
    name : str
        The experiment's name in the folder (``"gmm"``, ``"llm"``, ``"sweep"``...).
    config : Any
        The config as it reads back from JSON (tuples are lists).
    seed : int or None
        The root seed, stored with every result.
    """

    folder: Path
    name: str
    config: Any
    seed: int | None = None

    # ---------------------------------------------------------------- opening

    @classmethod
    def open(cls, folder: str | os.PathLike, name: str, config: Any, *, seed: int | None = None,
             force: bool = False, option: str = "--out") -> Run:
        """Open (or start) experiment ``name`` in ``folder`` with ``config``.

        Raises
        ------
        InvalidArgument
            ``folder`` cannot be a writable directory, another process writes it, or the
            folder holds ``name`` with another config (the differing keys are named).
        DamagedFile
            ``run.json`` cannot be read.
        """
        folder = check_out_dir(folder, option)
        _lock(folder)
        _remove_stale_temporaries(folder)
        run = cls(folder, name, as_json(config), seed)
        runs = run._manifest()
        entry = runs.get(name)
        if entry is not None and entry.get("config") != run.config:
            if not force:
                diffs = config_diff(entry.get("config"), run.config)
                raise InvalidArgument(
                    "config", f"the configuration {folder} was started with for {name!r}, to resume it "
                    "(or --force to start over, or a new --out)", "; ".join(diffs))
            run._discard(entry)
            entry = None
        elif entry is not None and force:
            run._discard(entry)
            entry = None
        if entry is None:
            runs[name] = {"config": run.config, "files": [], "started": metadata(seed=seed)}
            run._write_manifest(runs)
        return run

    def _manifest(self) -> dict[str, Any]:
        path = self.folder / MANIFEST
        if not path.exists():
            return {}
        data = read_result(path)
        if not isinstance(data, dict) or not isinstance(data.get("runs"), dict):
            raise DamagedFile(path, "not a run manifest", "delete the folder, or choose a new --out")
        return data["runs"]

    def _write_manifest(self, runs: dict[str, Any]) -> None:
        save_json(self.folder / MANIFEST, {"format": _FORMAT, "runs": runs})

    def _discard(self, entry: Mapping[str, Any]) -> None:
        """Delete the files an earlier run of this experiment wrote (``force``)."""
        for rel in entry.get("files", []):
            p = self.folder / rel
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink(missing_ok=True)

    # ---------------------------------------------------------------- results

    def path(self, rel: str | os.PathLike) -> Path:
        """The absolute path of ``rel`` inside the folder."""
        return self.folder / rel

    def own(self, rel: str | os.PathLike) -> Path:
        """Record that this experiment owns ``rel`` (a file or a folder): ``force`` deletes it.

        Raises
        ------
        InvalidArgument
            Another experiment in the folder owns ``rel``, a folder above it, or a file under it.
        """
        rel = Path(rel).as_posix()
        runs = self._manifest()
        for other, entry in runs.items():
            if other == self.name:
                continue
            for f in entry.get("files", []):
                if rel == f or rel.startswith(f + "/") or f.startswith(rel + "/"):
                    raise InvalidArgument(
                        "--out", f"a run folder where {rel} is free (experiment {other!r} owns {f} in it; "
                        "choose another --out)", str(self.folder))
        files = runs[self.name].setdefault("files", [])
        if not any(rel == f or rel.startswith(f + "/") for f in files):
            files.append(rel)
            self._write_manifest(runs)
        return self.folder / rel

    def record(self, rel: str | os.PathLike) -> None:
        """Record the size and sha256 of finished file ``rel`` (the writers here call it)."""
        rel = Path(rel).as_posix()
        path = self.folder / rel
        if not path.is_file():
            return
        runs = self._manifest()
        runs[self.name].setdefault("digests", {})[rel] = file_digest(path)
        self._write_manifest(runs)

    def intact(self, rel: str | os.PathLike) -> bool:
        """False when ``rel`` is missing; True when it is as written; :class:`DamagedFile` when it changed.

        Files with no recorded digest (written before digests were kept) count as intact.
        """
        rel = Path(rel).as_posix()
        path = self.folder / rel
        if not path.exists():
            return False
        want = self._manifest().get(self.name, {}).get("digests", {}).get(rel)
        if want is None or not path.is_file():
            return True
        size = path.stat().st_size
        if size != want[0]:
            raise DamagedFile(path, f"{size} bytes, {want[0]} when it was written")
        if size <= HASH_LIMIT and file_digest(path)[1] != want[1]:
            raise DamagedFile(path, "its contents changed since it was written (sha256 differs)")
        return True

    def done(self, rel: str | os.PathLike, *, config: Any = None) -> bool:
        """Whether ``rel`` is a complete result of this run (then it is kept, never recomputed).

        False when the file does not exist. An NPZ or JSON result is read back: a damaged
        one raises :class:`DamagedFile`; one whose stored ``config`` is not this run's
        (or ``config``, for a part with a config of its own) is refused, never overwritten.
        """
        path = self.folder / rel
        if not self.intact(rel):
            return False
        if path.suffix not in (".npz", ".json"):  # opaque (model weights): its size and sha256 were checked
            return True
        data = read_result(path)
        meta = data[0] if path.suffix == ".npz" else data
        want = self.config if config is None else as_json(config)
        if isinstance(meta, dict) and "config" in meta and meta["config"] != want:
            raise InvalidArgument("config", f"{path} to hold results of this config (or --force to start "
                                  "over, or a new --out)", "; ".join(config_diff(meta["config"], want)))
        return True

    def read(self, rel: str | os.PathLike) -> Any:
        """Read result ``rel`` back (see :func:`read_result`)."""
        return read_result(self.folder / rel)

    def once(self, rel: str | os.PathLike, make: Callable[[Path], Any], *, config: Any = None) -> Path:
        """Return ``folder/rel``, calling ``make(path)`` first unless :meth:`done` says it is complete."""
        if not self.done(rel, config=config):
            self.own(rel)
            make(self.folder / rel)
            self.record(rel)
        return self.folder / rel

    def metadata(self, **extra: Any) -> dict[str, Any]:
        """The provenance block of a result of this run (config, seed, versions, command...)."""
        return metadata(self.config, self.seed, experiment=self.name, **extra)

    def save_npz(self, rel: str | os.PathLike, meta: Mapping[str, Any] | None = None, **arrays: Any) -> Path:
        """Write an NPZ result atomically (``meta`` defaults to :meth:`metadata`)."""
        self.own(rel)
        out = save_npz(self.folder / rel, self.metadata() if meta is None else meta, **arrays)
        self.record(rel)
        return out

    def save_json(self, rel: str | os.PathLike, obj: Any) -> Path:
        self.own(rel)
        out = save_json(self.folder / rel, obj)
        self.record(rel)
        return out

    def write_text(self, rel: str | os.PathLike, text: str) -> Path:
        self.own(rel)
        out = atomic_write_text(self.folder / rel, text)
        self.record(rel)
        return out

    def write_bytes(self, rel: str | os.PathLike, data: bytes) -> Path:
        self.own(rel)
        out = atomic_write_bytes(self.folder / rel, data)
        self.record(rel)
        return out
