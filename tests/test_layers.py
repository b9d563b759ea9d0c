"""The import layers of ``collapse``, checked on the source (``ast``), without importing anything.

Why: the toolkit is one import root whose subpackages are layered so that imports
point one way (see ``collapse/__init__.py``). ``collapse.core`` is the bottom and
imports nothing of the project; the closed forms (``collapse.analytic``) and the
simulated chains (``collapse.simulate``) stand on it and are independent of each
other, so a simulation can never be "checked" against the formula it imports;
``collapse.proofs`` checks claims against both; ``collapse.llm`` (torch,
transformers) may use the closed forms but nothing simulated; ``collapse.figures``
draws saved results and the closed forms beside them, so it needs neither torch
(``collapse.llm``) nor the claim checker (``collapse.proofs``); the command line
(``collapse``, ``collapse.cli``, ``collapse.commands.*``, ``collapse.reproduce``,
``collapse.report``) sits on top and may import everything, and nothing below it
imports it. Every import counts: module level, inside functions, relative
(resolved), and ``importlib.import_module`` / ``__import__`` /
``pytest.importorskip`` of a literal name.

Heavy imports: ``torch``, ``transformers`` and ``matplotlib`` may be imported at
module level only in ``collapse.llm`` and ``collapse.figures``; everywhere else
only inside functions, so that ``collapse --help``, the claims and the
simulations start without them. The one torch user outside ``collapse.llm`` is
the VAE family of the simulations (``collapse.simulate.families.vae``); it imports
torch only inside its functions, so it gets no exception. An import under
``if TYPE_CHECKING:`` never runs and is not heavy.

Bare top-level names (``import figures``, ``from llm.x import y``): the folders are
installed only as ``collapse.<name>``; a bare import works in a checkout by accident
(the repository root on ``sys.path``), loads a second copy of the module, and fails
in an installed wheel or picks up another project's ``llm``. They are refused in
the project and in tests/.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the layer -> the other layers it may import (a layer may always import itself).
TOP = "top"  # collapse, collapse.cli, collapse.commands.*, collapse.reproduce, collapse.report
ALLOWED: dict[str, frozenset[str]] = {
    "collapse.core": frozenset(),
    "collapse.analytic": frozenset({"collapse.core"}),
    "collapse.simulate": frozenset({"collapse.core"}),
    "collapse.proofs": frozenset({"collapse.core", "collapse.analytic", "collapse.simulate"}),
    "collapse.llm": frozenset({"collapse.core", "collapse.analytic"}),
    "collapse.figures": frozenset({"collapse.core", "collapse.analytic", "collapse.simulate"}),
    TOP: frozenset({"collapse.core", "collapse.analytic", "collapse.simulate", "collapse.proofs",
                    "collapse.llm", "collapse.figures"}),
}
#: third-party packages that only these layers may import at module level.
HEAVY = frozenset({"torch", "transformers", "matplotlib"})
HEAVY_AT_MODULE_LEVEL = frozenset({"collapse.llm", "collapse.figures"})
#: the folders' names, importable only as ``collapse.<name>``.
BARE = frozenset({"analytic", "simulate", "proofs", "figures", "llm", "core"})
#: calls whose first (literal string) argument is a module that gets imported.
IMPORT_CALLS = frozenset({"import_module", "__import__", "importorskip"})


def package_dirs() -> dict[str, Path]:
    """``{package: folder}`` from pyproject.toml's ``[tool.setuptools.package-dir]``."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        mapping = tomllib.load(f)["tool"]["setuptools"]["package-dir"]
    return {pkg: ROOT / folder for pkg, folder in mapping.items()}


def _modules_under(pkg: str, folder: Path) -> Iterator[tuple[str, Path, bool]]:
    """``(dotted name, file, is_package)`` for every .py file under ``folder``."""
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(folder)
        if "__pycache__" in rel.parts:
            continue
        parts = list(rel.with_suffix("").parts)
        is_pkg = parts[-1] == "__init__"
        if is_pkg:
            parts.pop()
        yield ".".join([pkg, *parts]), path, is_pkg


def project_modules() -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is_package)}`` for every module of the project's packages."""
    mods: dict[str, tuple[Path, bool]] = {}
    for pkg, folder in package_dirs().items():
        for name, path, is_pkg in _modules_under(pkg, folder):
            assert name not in mods, f"{name} is both {mods[name][0]} and {path}"
            mods[name] = (path, is_pkg)
    return mods


def suite_modules() -> dict[str, tuple[Path, bool]]:
    """The same for tests/ (a package: ``tests.cli.test_cli``...)."""
    return {name: (path, is_pkg) for name, path, is_pkg in _modules_under("tests", ROOT / "tests")}


def layer_of(module: str) -> str | None:
    """The layer of a module of the project; None for anything else (stdlib, third party)."""
    for layer in ALLOWED:
        if layer != TOP and (module == layer or module.startswith(layer + ".")):
            return layer
    if module == "collapse" or module.startswith("collapse."):
        return TOP
    return None


@dataclass(frozen=True)
class Import:
    target: str  # the module imported, absolute
    line: int
    module_level: bool  # runs when the module is imported (not inside a function, not TYPE_CHECKING)
    statement: str


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve_relative(name: str, is_pkg: bool, level: int, module: str | None) -> str:
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imports_of(name: str, path: Path, is_pkg: bool, known: set[str]) -> list[Import]:
    """Every import of the file at ``path`` (module ``name``), with the absolute module it names.

    ``from X import a`` names ``X.a`` when that is a module of the project, else ``X``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Import] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            module_level = False
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                visit(child, False)
            for child in node.orelse:
                visit(child, module_level)
            visit(node.test, module_level)
            return
        stmt = lines[node.lineno - 1].strip() if hasattr(node, "lineno") else ""
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(Import(alias.name, node.lineno, module_level, stmt))
        elif isinstance(node, ast.ImportFrom):
            base = (_resolve_relative(name, is_pkg, node.level, node.module) if node.level
                    else node.module or "")
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append(Import(sub if sub in known else base, node.lineno, module_level, stmt))
        elif isinstance(node, ast.Call):
            func = node.func
            fname = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if (fname in IMPORT_CALLS and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.append(Import(node.args[0].value, node.lineno, module_level, stmt))
        for child in ast.iter_child_nodes(node):
            visit(child, module_level)

    visit(tree, True)
    return found


def _where(path: Path, imp: Import) -> str:
    return f"{path.relative_to(ROOT)}:{imp.line}: {imp.statement}"


def _all_imports(modules: dict[str, tuple[Path, bool]]) -> Iterator[tuple[str, Path, Import]]:
    """Every import of ``modules``, once per (file, line, module)."""
    known = set(project_modules()) | set(suite_modules())
    for name, (path, is_pkg) in sorted(modules.items()):
        seen = set()
        for imp in imports_of(name, path, is_pkg, known):
            if (imp.line, imp.target) not in seen:
                seen.add((imp.line, imp.target))
                yield name, path, imp


def test_every_package_folder_is_found():
    """The walk sees each layer (a renamed folder must not make the checks vacuous)."""
    layers = {layer_of(name) for name in project_modules()}
    assert layers == set(ALLOWED), layers
    assert "collapse.cli" in project_modules() and "collapse.core.validation" in project_modules()


def test_imports_follow_the_layers():
    bad = []
    for name, path, imp in _all_imports(project_modules()):
        src, dst = layer_of(name), layer_of(imp.target)
        if dst is None or dst == src:
            continue
        if dst not in ALLOWED[src]:
            what = "imports the top (command line)" if dst == TOP else f"{src} -> {dst}"
            bad.append(f"{_where(path, imp)}   [{what}]")
    assert not bad, "imports against the layers (allowed: see ALLOWED in tests/test_layers.py):\n" + "\n".join(bad)


def test_no_bare_top_level_names():
    bad = [f"{_where(path, imp)}   [use collapse.{imp.target}]"
           for _, path, imp in _all_imports({**project_modules(), **suite_modules()})
           if imp.target.split(".")[0] in BARE]
    assert not bad, "bare imports of the project's folders (import them as collapse.<name>):\n" + "\n".join(bad)


def test_heavy_imports_only_inside_functions():
    bad = [f"{_where(path, imp)}   [{imp.target.split('.')[0]} at module level in {layer_of(name)}]"
           for name, path, imp in _all_imports(project_modules())
           if imp.module_level and imp.target.split(".")[0] in HEAVY
           and layer_of(name) not in HEAVY_AT_MODULE_LEVEL]
    assert not bad, ("torch / transformers / matplotlib at module level (import them inside the function "
                     "that needs them):\n" + "\n".join(bad))


def test_the_checker_sees_what_it_should(tmp_path):
    """The resolver itself: relative imports, ``from pkg import submodule``, functions, TYPE_CHECKING."""
    src = tmp_path / "m.py"
    src.write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import registry\n"
        "from ..simulate import loop\n"
        "from collapse import proofs\n"
        "if TYPE_CHECKING:\n"
        "    import torch\n"
        "def f():\n"
        "    import matplotlib\n"
        "    importlib.import_module('llm.model')\n"
        "class C:\n"
        "    import transformers\n")
    known = {"collapse.figures.registry", "collapse.simulate.loop", "collapse.proofs"}
    got = [(i.target, i.module_level) for i in imports_of("collapse.figures.m", src, False, known)]
    assert got == [("typing", True), ("collapse.figures.registry", True), ("collapse.simulate.loop", True),
                   ("collapse.proofs", True), ("torch", False), ("matplotlib", False), ("llm.model", False),
                   ("transformers", True)]
    assert _resolve_relative("collapse.figures", True, 1, "style") == "collapse.figures.style"
    assert layer_of("collapse") == layer_of("collapse.commands.verify") == TOP
    assert layer_of("collapse.core") == "collapse.core" and layer_of("collapsed") is None
