"""Run files: atomic writes, and the metadata every result carries.

Every result file (JSON, NPZ, CSV) is written to a temporary file in the same
directory and moved into place with :func:`os.replace`, so a killed run never
leaves a half-written file, and an existing result is only ever replaced by a
complete one.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from collapse.core import __version__

__all__ = [
    "TMP_SUFFIX", "as_json", "atomic_dir", "atomic_write_bytes", "atomic_write_text", "file_mode", "load_npz",
    "metadata", "read_json", "save_json", "save_npz",
]

#: suffix of every temporary file or folder a writer makes; a run folder removes leftovers on opening
TMP_SUFFIX = ".tmp"


def file_mode(directory: bool = False) -> int:
    """The mode a new file (0666) or folder (0777) gets under this process's umask: 0644 / 0755 usually.

    ``tempfile`` makes its files owner-only (0600); results are meant to be shared.
    """
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename), readable as any new file is."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, file_mode())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_dir(path: str | os.PathLike, fill) -> Path:
    """Make folder ``path`` atomically: ``fill(tmp)`` writes into a temporary sibling, renamed when complete.

    An existing ``path`` is replaced only by a complete folder.
    """
    import shutil

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent))
    try:
        fill(tmp)
        for p in (tmp, *tmp.rglob("*")):
            p.chmod(file_mode(directory=p.is_dir()))
        if path.exists():
            shutil.rmtree(path)
        tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if hasattr(obj, "tolist"):  # numpy scalars and arrays
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def metadata(config: Any = None, seed: int | None = None, **extra: Any) -> dict[str, Any]:
    """The provenance block stored inside every result: config, seed, versions, time."""
    versions = {"collapse-toolkit": __version__, "python": platform.python_version()}
    for mod in ("numpy", "scipy", "sympy", "mpmath", "matplotlib", "torch", "transformers"):
        m = sys.modules.get(mod)
        if m is not None:
            versions[mod] = getattr(m, "__version__", "?")
    out = {
        "config": _jsonable(config),
        "seed": seed,
        "versions": versions,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(sys.argv),
    }
    out.update(_jsonable(extra))
    return out


def as_json(obj: Any) -> Any:
    """``obj`` as it reads back from a JSON file (tuples become lists): the form configs are compared in."""
    return json.loads(json.dumps(_jsonable(obj)))


def save_json(path: str | os.PathLike, obj: Any) -> Path:
    return atomic_write_text(path, json.dumps(_jsonable(obj), indent=2, allow_nan=True) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def save_npz(path: str | os.PathLike, meta: Mapping[str, Any], **arrays: Any) -> Path:
    """Save arrays plus a ``meta`` JSON string (config, seed, versions) in one NPZ."""
    import numpy as np

    buf = io.BytesIO()
    np.savez_compressed(buf, meta=np.array(json.dumps(_jsonable(meta))), **arrays)
    return atomic_write_bytes(path, buf.getvalue())


def load_npz(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return ``(meta, arrays)`` from a file written by :func:`save_npz`."""
    import numpy as np

    # open the file ourselves: np.load leaves it open when the archive is damaged
    with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(str(z["meta"])) if "meta" in z.files else {}
    return meta, arrays
