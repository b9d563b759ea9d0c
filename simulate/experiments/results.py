"""Reading a saved result back for a figure: every array it needs checked before it is drawn.

:func:`read_arrays` reads an NPZ result through :func:`collapse.core.runner.read_result`
(an unreadable file: :class:`~collapse.core.runner.DamagedFile`) and checks what the reader
says it needs: the experiment that wrote it (a swapped file of another experiment), the
config fields, and the arrays by name, number of dimensions and shape, the shapes tied to
each other and to the config through named dimensions. A result whose config is not the
one its run folder's ``run.json`` records for that experiment (a file copied from another
run) is refused too. Each failure is one :class:`DamagedFile` naming the file and what
to do, never a KeyError or IndexError from the drawing code; the file is left as it is.

>>> spec = {"het_mean": ("G1",), "p0": ("K",)}                                  # doctest: +SKIP
>>> meta, a = read_arrays(path, "discrete", spec, config={"n_chains": int},     # doctest: +SKIP
...                       dims=lambda cfg: {"G1": cfg["generations"] + 1})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from collapse.core.runner import MANIFEST, DamagedFile, config_diff, read_result
from collapse.core.validation import InvalidArgument

__all__ = ["ADVICE", "check_readable", "damaged", "read_arrays"]

#: what to do about a damaged result a figure reads
ADVICE = "delete it to recompute it, or rerun the simulation with --force"

#: a dimension: an exact size, a name whose size is the same wherever it appears, or None (any)
Dim = int | str | None

_TYPES = {int: "an integer", float: "a number", str: "a text", list: "a list", dict: "a mapping"}


def damaged(path: Path, why: str) -> DamagedFile:
    """The error for result ``path`` that reads but does not hold what its reader needs."""
    return DamagedFile(Path(path), why, ADVICE)


def _fits(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for k in kinds:
        if k is None or k is type(None):
            if value is None:
                return True
        elif k is int:
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                return True
        elif k is float:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return True
        elif isinstance(value, k):
            return True
    return False


def _shown(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join("null" if k in (None, type(None)) else _TYPES.get(k, k.__name__) for k in kinds)


def _check_config(path: Path, meta: Mapping[str, Any], fields: Mapping[str, Any]) -> dict:
    cfg = meta.get("config")
    if not isinstance(cfg, dict):
        raise damaged(path, "no config in its meta block (not a result written by collapse)")
    for key, kind in fields.items():
        if key not in cfg:
            raise damaged(path, f"its config has no {key!r}")
        if not _fits(cfg[key], kind):
            raise damaged(path, f"its config's {key!r} is {cfg[key]!r}, not {_shown(kind)}")
    return cfg


def _check_arrays(path: Path, arrays: Mapping[str, Any], spec: Mapping[str, tuple[Dim, ...]],
                  sizes: dict[str, int], integer: frozenset[str]) -> None:
    for key, dims in spec.items():
        if key not in arrays:
            raise damaged(path, f"no array {key!r}")
        a = arrays[key]
        kinds = "iu" if key in integer else "biuf"
        if not isinstance(a, np.ndarray) or a.dtype.kind not in kinds:
            what = "integers" if key in integer else "numbers"
            raise damaged(path, f"array {key!r} holds {getattr(a, 'dtype', type(a).__name__)}, not {what}")
        if a.ndim != len(dims):
            raise damaged(path, f"array {key!r} has {a.ndim} dimensions, not {len(dims)}")
        for axis, (dim, n) in enumerate(zip(dims, a.shape)):
            want = sizes.setdefault(dim, n) if isinstance(dim, str) else dim
            if want is not None and n != want:
                raise damaged(path, f"array {key!r} has shape {a.shape}: axis {axis} is {n}, not {want} "
                                    f"({dim} = {want})" if isinstance(dim, str) else
                                    f"array {key!r} has shape {a.shape}: axis {axis} is {n}, not {want}")


def _check_zip(path: Path) -> None:
    """An NPZ result is a zip archive: refuse anything else before numpy looks at it (an empty file,
    bytes of no archive, a bare .npy or pickle), with a reason of its own."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError as exc:
        raise damaged(path, f"cannot be read ({exc.strerror or type(exc).__name__})") from None
    if not head:
        raise damaged(path, "an empty file (0 bytes)")
    if head not in (b"PK\x03\x04", b"PK\x05\x06"):
        raise damaged(path, "not an NPZ archive (its first bytes are not a zip file's)")


def check_readable(path: str | Path) -> None:
    """Raise :class:`DamagedFile` unless NPZ result ``path`` reads back (its contents are not checked)."""
    path = Path(path)
    _check_zip(path)
    read_result(path)


def _check_run_folder(path: Path, experiment: str, meta: Mapping[str, Any]) -> None:
    """Refuse a result whose config is not the one ``run.json`` beside ``results/`` records for it."""
    manifest = path.parent.parent / MANIFEST
    if "config" not in meta or not manifest.is_file():
        return
    try:
        data = read_result(manifest)
    except DamagedFile:  # a damaged run.json is reported by whatever writes the folder; drawing does not need it
        return
    runs = data.get("runs") if isinstance(data, dict) else None
    entry = runs.get(experiment) if isinstance(runs, dict) else None
    if not isinstance(entry, dict) or "config" not in entry or entry["config"] == meta["config"]:
        return
    diffs = config_diff(entry["config"], meta["config"])
    shown = "; ".join(diffs[:3]) + ("; ..." if len(diffs) > 3 else "")
    raise damaged(path, f"a result of another config than {manifest} records for {experiment!r} ({shown})")


def read_arrays(path: str | Path, experiment: str,
                spec: Mapping[str, tuple[Dim, ...]] | Callable[[dict], Mapping[str, tuple[Dim, ...]]], *,
                config: Mapping[str, Any] | None = None,
                dims: Callable[[dict], Mapping[str, int]] | None = None,
                integer: tuple[str, ...] = (),
                check: Callable[[dict, dict], str | None] | None = None) -> tuple[dict, dict]:
    """``(meta, arrays)`` of NPZ result ``path``, written by experiment ``experiment``, checked.

    Parameters
    ----------
    spec : mapping, or callable(config) -> mapping
        Array name -> its dimensions (:data:`Dim` each): ``{"l2": ("C", "G1")}``; a callable
        gets the (checked) config, for arrays named after it.
    config : mapping, optional
        Config field -> the type its value must have (``int``: an integer >= 0; a tuple of
        types, ``None`` among them for null).
    dims : callable(config) -> {name: size}, optional
        Sizes of named dimensions that the config fixes (``{"G1": cfg["generations"] + 1}``).
    integer : names of arrays that must hold integers.
    check : callable(config, arrays) -> reason or None, optional
        A last check of the values (an index within range, say).

    Raises
    ------
    InvalidArgument
        ``path`` does not exist.
    DamagedFile
        It cannot be read, holds another experiment's result or another config than its run
        folder records, or lacks what ``spec`` and ``config`` ask for.
    """
    path = Path(path)
    if not path.exists():
        raise InvalidArgument("results", f"a result file of {experiment!r} (run the simulation first)", str(path))
    _check_zip(path)
    data = read_result(path)
    if not (isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], dict)):
        raise damaged(path, "not an NPZ result with a meta block")
    meta, arrays = data
    got = meta.get("experiment")
    if got is not None and got != experiment:
        raise damaged(path, f"a result of experiment {got!r}, not {experiment!r}")
    cfg = _check_config(path, meta, config or {}) if config is not None else meta.get("config") or {}
    _check_run_folder(path, experiment, meta)
    try:
        sizes = dict(dims(cfg)) if dims is not None else {}
        spec = spec(cfg) if callable(spec) else spec
    except (KeyError, TypeError, ValueError) as exc:
        raise damaged(path, f"its config does not give the arrays' sizes ({type(exc).__name__}: {exc})") from None
    _check_arrays(path, arrays, spec, sizes, frozenset(integer))
    if check is not None:
        why = check(cfg, arrays)
        if why:
            raise damaged(path, why)
    return meta, arrays
