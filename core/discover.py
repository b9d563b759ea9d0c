"""Find the modules of a package by walking its folder: one mechanism for claims, figures,
commands and mutation tables, the same under a wheel install and an editable one.

Modules are imported by their full dotted name (``collapse.proofs.gaussian``), never by
a bare top-level name, so a package of another project that owns ``llm`` or ``proofs``
cannot be picked up instead.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

__all__ = ["submodules"]


def submodules(package: ModuleType, *, skip_private: bool = True, skip: tuple[str, ...] = ()) -> list[ModuleType]:
    """The modules directly inside ``package``, imported, in name order.

    Parameters
    ----------
    package : module
        An imported package (it has ``__path__``).
    skip_private : bool
        Leave out names starting with ``_`` (helpers such as ``_args``).
    skip : tuple of str
        Further names to leave out.
    """
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names
            if not (skip_private and name.startswith("_")) and name not in skip]
