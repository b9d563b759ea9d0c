"""Run files: atomic writes, and the metadata every result carries.

Every result file (JSON, NPZ, CSV) is written to a temporary file in the same
directory and moved into place with :func:`os.replace`, so a killed run never
leaves a half-written file, and an existing result is only ever replaced by a
complete one.
"""

from __future__ import annotations

import dataclasses
import functools
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
    "git_state", "metadata", "package_versions", "read_json", "save_json", "save_npz", "source_folder",
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


#: import names whose distribution is named otherwise (looked up without reading every RECORD file)
_DIST_ALIASES = {
    "flint": "python-flint", "sklearn": "scikit-learn", "PIL": "pillow", "yaml": "PyYAML",
    "_pytest": "pytest", "dateutil": "python-dateutil", "mpl_toolkits": "matplotlib",
    "markdown_it": "markdown-it-py", "_distutils_hack": "setuptools", "pkg_resources": "setuptools",
    "google": "protobuf", "attr": "attrs", "cpuinfo": "py-cpuinfo", "torchgen": "torch", "functorch": "torch",
    "tlz": "toolz", "_multiprocess": "multiprocess", "_hypothesis_globals": "hypothesis",
    "_hypothesis_pytestplugin": "hypothesis", "_hypothesis_ftz_detector": "hypothesis", "py": "pytest",
}
#: top-level import name -> ((distribution, version), ...) it comes from; () when none (stdlib, a script)
_DISTS_OF: dict[str, tuple[tuple[str, str], ...]] = {}
#: not installed distributions: the standard library, the interpreter's own modules, this project
_SKIP = (frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
         | {"__main__", "__mp_main__", "collapse"})
_SELF = "collapse-toolkit"
_PACKAGES_DISTRIBUTIONS: dict[str, list[str]] | None = None


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _by_name(top: str) -> tuple[str, str] | None:
    """The distribution named like module ``top``, or else as :data:`_DIST_ALIASES` says, that provides it."""
    from importlib import metadata as im

    for guess in dict.fromkeys((top, _DIST_ALIASES.get(top, top))):
        try:
            dist = im.distribution(guess)
        except (im.PackageNotFoundError, ValueError):
            continue
        declared = (dist.read_text("top_level.txt") or "").split()
        if not declared or top in declared:  # a name match whose declared modules say otherwise is no match
            return dist.metadata["Name"] or guess, dist.version
    return None


def _below_site_packages(file: str) -> str | None:
    """The first path component below the site-packages folder ``file`` lies in (None: it lies in none)."""
    parts = Path(file).parts
    for k in range(len(parts) - 2, -1, -1):
        if parts[k] in ("site-packages", "dist-packages"):
            return parts[k + 1]
    return None


def _dists_of(top: str, module: Any) -> tuple[tuple[str, str], ...]:
    """The installed distributions (name, version) that provide top-level module ``top``, cached.

    A distribution named like the module (numpy, torch) or as :data:`_DIST_ALIASES` says is
    found at once; so is the package that an extension module registered under a top-level name
    comes from (scipy's ``_csparsetools``: the folder below site-packages). A module without a
    file (made at run time) is no distribution's, nor is one in the interpreter's standard library
    folder. Any other module falls back to :func:`importlib.metadata.packages_distributions`, which
    reads every installed distribution's file list: computed once per process, and only then.
    """
    global _PACKAGES_DISTRIBUTIONS
    if top in _DISTS_OF:
        return _DISTS_OF[top]
    from importlib import metadata as im

    file = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", None) or ()), None)
    below = _below_site_packages(file) if isinstance(file, str) else None
    found: list[tuple[str, str]] = []
    if not isinstance(file, str) or top.startswith("__editable__"):
        pass  # a module made at run time, or setuptools' finder of an editable install
    elif below is None and _in_stdlib(file):
        pass
    else:
        owner = below.partition(".")[0] if below else top  # the folder (or module file) below site-packages
        hit = _by_name(top) or (_by_name(owner) if owner != top else None)
        if hit is not None:
            found.append(hit)
        elif owner not in _SKIP and not owner.startswith("__editable__"):
            if _PACKAGES_DISTRIBUTIONS is None:
                try:
                    _PACKAGES_DISTRIBUTIONS = im.packages_distributions()
                except Exception:  # a broken installed distribution must not stop a result being saved
                    _PACKAGES_DISTRIBUTIONS = {}
            for name in dict.fromkeys(_PACKAGES_DISTRIBUTIONS.get(top, ()) or _PACKAGES_DISTRIBUTIONS.get(owner, ())):
                try:
                    found.append((name, im.version(name)))
                except Exception:
                    continue
    _DISTS_OF[top] = tuple(found)
    return _DISTS_OF[top]


@functools.cache
def _stdlib_folders() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple({str(Path(paths[k]).resolve()) for k in ("stdlib", "platstdlib") if paths.get(k)})


def _in_stdlib(file: str) -> bool:
    try:
        resolved = Path(file).resolve()
    except (OSError, RuntimeError, ValueError):
        return False
    return any(resolved.is_relative_to(folder) for folder in _stdlib_folders())


def package_versions() -> dict[str, str]:
    """Distribution name -> version of every installed package imported in this process (sorted by name).

    Read from ``sys.modules`` at the time of the call: a package imported later (torch, by the
    language-model experiment) appears in the results written after its import. What each
    top-level module comes from is looked up once per process.
    """
    tops: dict[str, Any] = {}
    for name, mod in sys.modules.copy().items():  # a copy: another thread may import meanwhile
        top = name.partition(".")[0]
        if top not in tops and mod is not None and top not in _SKIP:
            tops[top] = sys.modules.get(top, mod)
    versions: dict[str, str] = {}
    for top, mod in tops.items():
        for dist, version in _dists_of(top, mod):
            if _norm(dist) != _SELF:
                versions[dist] = version
    return dict(sorted(versions.items(), key=lambda kv: kv[0].lower()))


def source_folder() -> Path:
    """The folder the ``collapse`` package is imported from: a git checkout's root when run from one."""
    import collapse.core

    return Path(collapse.core.__file__).resolve().parents[1]


#: git commands are bounded by this many seconds; one that runs longer means no commit is recorded
GIT_TIMEOUT_S = 5.0


@functools.cache
def git_state() -> dict[str, Any] | None:
    """``{"commit": sha, "dirty": bool}`` of the checkout the package runs from, or None (cached per process).

    None when the source folder is not a git checkout (an installed wheel), git is missing, or it
    fails or takes longer than :data:`GIT_TIMEOUT_S`: a result is saved without a commit then,
    never refused. ``dirty``: the tree had uncommitted changes (``git status --porcelain`` printed
    something). ``--no-optional-locks``: reading the state never takes the index lock, so it never
    disturbs a git command someone else runs in the same checkout.
    """
    import subprocess

    root = source_folder()
    if not (root / ".git").exists():
        return None
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    for var in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):  # the checkout at root, not one a caller set
        env.pop(var, None)

    def git(*args: str) -> str:
        return subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args], env=env, cwd=root,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, check=True,
                              timeout=GIT_TIMEOUT_S).stdout

    try:
        commit = git("rev-parse", "HEAD").strip()
        dirty = bool(git("status", "--porcelain").strip())
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return None
    if len(commit) not in (40, 64) or any(c not in "0123456789abcdef" for c in commit):
        return None
    return {"commit": commit, "dirty": dirty}


def metadata(config: Any = None, seed: int | None = None, **extra: Any) -> dict[str, Any]:
    """The provenance block stored inside every result: config, seed, versions, git commit, time.

    ``versions``: ``collapse-toolkit`` and ``python``, then every installed distribution imported
    in this process by its distribution name (``python-flint``, ``scikit-learn``, ``torch``...).
    ``git``: ``{"commit", "dirty"}`` when the package runs from a git checkout (absent otherwise).
    """
    versions = {_SELF: __version__, "python": platform.python_version()}
    versions.update(package_versions())
    out = {
        "config": _jsonable(config),
        "seed": seed,
        "versions": versions,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(sys.argv),
    }
    git = git_state()
    if git is not None:
        out["git"] = dict(git)
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
