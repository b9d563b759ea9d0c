"""Packaging: one import root, ``collapse``, and a wheel that works on its own.

pyproject.toml maps the repository's top-level folders to subpackages of
``collapse`` (``[tool.setuptools.package-dir]``) and lists every package
(``packages``). A subpackage missing from that list is left out of the wheel
although the editable checkout finds it, so the list is checked against the
folders; and the wheel is built and installed into a fresh environment, beside
another project's ``llm``, to show that it installs nothing but ``collapse`` and
that discovery (claims, figures, commands) finds the same modules as here.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _setuptools_config() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["setuptools"]


def _package_folders() -> dict[str, Path]:
    """``{package: folder}`` for every folder with an ``__init__.py`` under the mapped roots."""
    found: dict[str, Path] = {}
    for pkg, folder in _setuptools_config()["package-dir"].items():
        base = ROOT / folder
        for init in sorted(base.rglob("__init__.py")):
            rel = init.parent.relative_to(base).parts
            if "__pycache__" not in rel:
                found[".".join([pkg, *rel])] = init.parent
    return found


def test_packages_list_names_every_package_folder():
    listed = _setuptools_config()["packages"]
    found = _package_folders()
    assert len(listed) == len(set(listed)), f"packages listed twice: {sorted(p for p in listed if listed.count(p) > 1)}"
    missing = sorted(set(found) - set(listed))
    extra = sorted(set(listed) - set(found))
    assert not missing and not extra, (
        "pyproject.toml [tool.setuptools] packages must name exactly the package folders:\n"
        + "".join(f"  missing: {p!r}  ({found[p].relative_to(ROOT)}/)\n" for p in missing)
        + "".join(f"  listed without a folder with an __init__.py: {p!r}\n" for p in extra))


def test_every_folder_of_modules_is_a_package():
    """A folder of .py files without ``__init__.py`` is a namespace folder: the list above would miss it,
    and the wheel would leave it out."""
    bad = []
    for folder in _setuptools_config()["package-dir"].values():
        for sub in sorted({p.parent for p in (ROOT / folder).rglob("*.py")}):
            if "__pycache__" not in sub.parts and not (sub / "__init__.py").exists():
                bad.append(str(sub.relative_to(ROOT)))
    assert not bad, "folders of modules without an __init__.py: " + ", ".join(bad)


def test_bare_import_of_a_checkout_folder_is_refused(tmp_path, monkeypatch):
    """tests/conftest.py's guard: ``import figures`` fails loudly; another project's ``llm`` imports."""
    for name in ("figures", "llm", "core"):
        monkeypatch.delitem(sys.modules, name, raising=False)
        with pytest.raises(ImportError, match=f"import collapse.{name} instead"):
            importlib.import_module(name)
    other = tmp_path / "elsewhere"
    (other / "llm").mkdir(parents=True)
    (other / "llm" / "__init__.py").write_text("STANDIN = True\n")
    monkeypatch.setattr(sys, "path", [*sys.path, str(other)])  # after the checkout's root
    importlib.invalidate_caches()
    name = "llm"  # a variable: tests/test_layers.py refuses a literal bare name
    try:
        assert importlib.import_module(name).STANDIN is True
    finally:
        sys.modules.pop(name, None)


# ------------------------------------------------------------------ the wheel, installed on its own
def command_tree(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """``{"": top-level commands, group: its targets}`` of the ``collapse`` parser (shipped to the probe)."""
    import argparse

    def choices(p):
        return [a.choices for a in p._actions if isinstance(a, argparse._SubParsersAction)]

    (top,) = choices(parser)
    tree = {"": sorted(top)}
    for name, sub in top.items():
        for group in choices(sub):
            tree[name] = sorted(group)
    return tree


PROBE = """
import argparse, json, sys
import collapse, collapse.core, collapse.analytic, collapse.simulate, collapse.proofs, collapse.figures
import collapse.llm
from collapse.cli import build_parser
from collapse.figures.registry import all_figures
from collapse.proofs.registry import all_claims
{command_tree}
out = {{"files": {{m: sys.modules[m].__file__ for m in (
           "collapse", "collapse.core", "collapse.analytic", "collapse.simulate", "collapse.proofs",
           "collapse.figures", "collapse.llm")}},
       "claims": [c.id for c in all_claims()], "figures": sorted(all_figures()),
       "commands": command_tree(build_parser())}}
try:
    import llm
    out["llm"] = [llm.__file__, getattr(llm, "STANDIN", None)]
except ImportError as exc:
    out["llm"] = repr(exc)
print(json.dumps(out))
"""

STANDIN_PYPROJECT = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "llm-standin"
version = "1.0"
description = "another project's top-level llm"

[tool.setuptools]
packages = ["llm"]
"""


def _copy_build_inputs(dest: Path) -> Path:
    """The checkout's build inputs (pyproject, readme, licence, the mapped folders) copied to ``dest``.

    The wheel is built from the copy so that its build/ and egg-info never land in the shared checkout.
    """
    dest.mkdir()
    for f in ROOT.iterdir():
        if f.is_file() and (f.name in {"pyproject.toml", "README.md", "MANIFEST.in", "setup.py", "setup.cfg"}
                            or f.name.upper().startswith(("LICEN", "COPYING", "NOTICE", "AUTHORS"))):
            shutil.copy2(f, dest / f.name)
    for folder in set(_setuptools_config()["package-dir"].values()):
        shutil.copytree(ROOT / folder, dest / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


@pytest.mark.slow
def test_wheel_installs_alone_beside_another_llm(tmp_path, monkeypatch):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1", MPLBACKEND="Agg",
               COLUMNS="120")
    run_dir = tmp_path / "cwd"  # empty: nothing importable from the working directory
    run_dir.mkdir()

    def run(*args, check=True):
        proc = subprocess.run([str(a) for a in args], cwd=run_dir, env=env, capture_output=True, text=True,
                              timeout=300)
        if check and proc.returncode != 0:
            pytest.fail(f"{' '.join(map(str, args))} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        return proc

    # the wheel, with this environment's setuptools and wheel (no build isolation: offline)
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", _copy_build_inputs(tmp_path / "src"), "--no-deps",
        "--no-build-isolation", "--no-index", "--no-cache-dir", "-w", wheels)
    (wheel,) = wheels.glob("collapse_toolkit-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        (dist_info,) = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        assert {n.split("/")[0] for n in names} == {"collapse", dist_info}, "the wheel installs another top name"
        if f"{dist_info}/top_level.txt" in names:
            assert z.read(f"{dist_info}/top_level.txt").decode().split() == ["collapse"]
        record = z.read(f"{dist_info}/RECORD").decode()
    assert {line.split("/")[0] for line in record.splitlines() if line} == {"collapse", dist_info}
    # every module of the checkout is in the wheel, where the package-dir mapping puts it
    mapping = _setuptools_config()["package-dir"]
    expected = {"/".join([*pkg.split("."), *p.relative_to(ROOT / folder).parts])
                for pkg, folder in mapping.items() for p in (ROOT / folder).rglob("*.py")
                if "__pycache__" not in p.parts}
    assert not expected - set(names), f"modules missing from the wheel: {sorted(expected - set(names))}"

    # a fresh environment that sees this one's third-party packages but not its editable install:
    # a plain path line in a .pth file adds the folder; the .pth hooks inside it are not run
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    py = venv / "bin" / "python"
    purelib = Path(run(py, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip())
    here = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (purelib / "_parent_env.pth").write_text("".join(f"{p}\n" for p in here))
    assert run(py, "-c", "import numpy, pip, setuptools").returncode == 0
    proc = run(py, "-c", "import collapse", check=False)
    assert proc.returncode != 0 and "ModuleNotFoundError" in proc.stderr, "the fresh venv sees the editable install"

    pip_install = (py, "-m", "pip", "install", "--no-deps", "--no-index", "--no-cache-dir", "--ignore-installed")
    standin = tmp_path / "standin"
    (standin / "llm").mkdir(parents=True)
    (standin / "pyproject.toml").write_text(STANDIN_PYPROJECT)
    (standin / "llm" / "__init__.py").write_text('"""Another project\'s llm."""\nSTANDIN = True\n')
    run(*pip_install, "--no-build-isolation", standin)
    # --ignore-installed: the parent env's editable collapse-toolkit is visible to pip; never touch it
    run(*pip_install, wheel)

    installed = {line.split(",")[0] for line in
                 (purelib / dist_info / "RECORD").read_text().splitlines() if line}
    assert {p.split("/")[0] for p in installed if not p.startswith("..")} == {"collapse", dist_info}

    probe = PROBE.format(command_tree=textwrap.dedent(inspect.getsource(command_tree)))
    got = json.loads(run(py, "-c", probe).stdout)
    assert got["llm"] == [str(purelib / "llm" / "__init__.py"), True], got["llm"]
    for mod, file in got["files"].items():
        assert Path(file).is_relative_to(purelib) and not Path(file).is_relative_to(ROOT), (mod, file)
    assert got["files"]["collapse.llm"] == str(purelib / "collapse" / "llm" / "__init__.py")

    # discovery finds the same modules as in this editable checkout
    from collapse.cli import build_parser
    from collapse.figures.registry import all_figures
    from collapse.proofs.registry import all_claims

    assert got["claims"] == [c.id for c in all_claims()]
    assert got["figures"] == sorted(all_figures())
    assert got["commands"] == command_tree(build_parser())
    monkeypatch.setenv("COLUMNS", env["COLUMNS"])
    assert run(venv / "bin" / "collapse", "--help").stdout == build_parser().format_help()

    # removing the other project's llm leaves collapse (and collapse.llm) alone
    run(py, "-m", "pip", "uninstall", "-y", "llm-standin")
    got = json.loads(run(py, "-c", probe).stdout)
    assert "ModuleNotFoundError" in got["llm"] and got["files"]["collapse.llm"].startswith(str(purelib))
    run(venv / "bin" / "collapse", "verify", "--only", "thm3.1-gaussian-collapse")
