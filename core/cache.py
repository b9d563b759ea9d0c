"""A small on-disk cache of derived data, keyed by a hash of the source that derives it.

One JSON file per name in the cache folder: ``$COLLAPSE_CACHE_DIR`` if set, else
``$XDG_CACHE_HOME/collapse-toolkit``, else ``~/.cache/collapse-toolkit``. Each file
holds ``{"key": ..., "data": ...}``; :func:`load` returns the data only when the key
matches, so a file written from other source (or other library versions) is stale
and ignored, as is a damaged one. :func:`store` writes atomically
(:func:`collapse.core.runio.atomic_write_text`) and reports failure instead of
raising: a cache folder that cannot be written means no caching, never an error.

The files are data (JSON), never code: nothing read from the cache is executed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["ENV_DIR", "cache_dir", "load", "package_version", "path_for", "source_key", "store"]

#: environment variable naming the cache folder (tests point it at a temporary folder)
ENV_DIR = "COLLAPSE_CACHE_DIR"
_APP = "collapse-toolkit"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def cache_dir() -> Path | None:
    """The cache folder (not created here), or None when no home folder can be found."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):  # the XDG spec: a relative value is ignored
        return Path(xdg) / _APP
    try:
        return Path.home() / ".cache" / _APP
    except RuntimeError:  # no HOME and no passwd entry
        return None


def path_for(name: str, directory: str | os.PathLike | None = None) -> Path | None:
    """Where the cache file of ``name`` lives (``<folder>/<name>.json``)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"cache name must be a plain file name, got {name!r}")
    folder = Path(directory) if directory is not None else cache_dir()
    return None if folder is None else folder / f"{name}.json"


def package_version(name: str) -> str:
    """The installed version of distribution ``name``, cheaply (no import of the package).

    ``__version__`` of an already imported module; else the ``NAME-VERSION.dist-info``
    folder beside the package (``importlib.metadata`` costs tens of milliseconds at
    start-up, too much for the command line); else ``importlib.metadata``;
    ``"absent"`` when the package is not installed.
    """
    version = getattr(sys.modules.get(name), "__version__", None)
    if isinstance(version, str):
        return version
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return "absent"
    where = list(spec.submodule_search_locations or []) or ([os.path.dirname(spec.origin)] if spec.origin else [])
    prefix = name.replace("-", "_").lower() + "-"
    for folder in where[:1]:
        try:
            entries = os.listdir(os.path.dirname(os.path.abspath(folder)))
        except OSError:
            break
        found = sorted(e[len(prefix):-len(".dist-info")] for e in entries
                       if e.endswith(".dist-info") and e.lower().startswith(prefix))
        if found:
            return ",".join(found)
    try:
        from importlib.metadata import PackageNotFoundError, version as _version

        return _version(name)
    except (ImportError, PackageNotFoundError):  # pragma: no cover - a package without metadata
        return "unknown"


def source_key(files: Iterable[str | os.PathLike], *, versions: Mapping[str, str] | None = None,
               fmt: int = 1) -> str:
    """sha256 of the bytes of ``files`` (with their names), the ``versions`` and the format number ``fmt``.

    Any edit of any of the files, or another version of a listed package, gives
    another key. Raises OSError when a file cannot be read.
    """
    h = hashlib.sha256()
    h.update(f"format {fmt}\n".encode())
    for pkg, ver in sorted((versions or {}).items()):
        h.update(f"version {pkg} {ver}\n".encode())
    for path in sorted((Path(p) for p in files), key=lambda p: p.name):
        data = path.read_bytes()
        h.update(f"file {path.name} {len(data)}\n".encode())
        h.update(data)
    return h.hexdigest()


def load(name: str, key: str, directory: str | os.PathLike | None = None) -> dict[str, Any] | None:
    """The data stored under ``name`` with this ``key``; None if absent, stale, damaged or unreadable."""
    path = path_for(name, directory)
    if path is None:
        return None
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
        return None
    if not isinstance(obj, dict) or obj.get("key") != key or not isinstance(obj.get("data"), dict):
        return None
    return obj["data"]


def store(name: str, key: str, data: Mapping[str, Any], directory: str | os.PathLike | None = None) -> bool:
    """Write ``data`` (JSON-able) under ``name`` and ``key`` atomically; False if the folder is not writable."""
    path = path_for(name, directory)
    if path is None:
        return False
    from collapse.core.runio import atomic_write_text  # here: only a miss writes (keeps start-up light)

    text = json.dumps({"key": key, "data": data}, separators=(",", ":"), allow_nan=False)
    try:
        atomic_write_text(path, text + "\n")
    except OSError:
        return False
    return True
