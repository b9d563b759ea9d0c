"""The bottom layer: what every other package of the toolkit shares.

Argument validation (:mod:`collapse.core.validation`), atomic result files and
their metadata (:mod:`collapse.core.runio`), and the one experiment runner
(:mod:`collapse.core.runner`). Nothing here imports any other part of the
project, and nothing here imports numpy at module level, so the command line
starts fast.

Public names (``__all__``) are imported on first use (PEP 562), so ``import
collapse.core`` imports nothing; :func:`lazy_exports` gives the other packages of
the toolkit the same behaviour.
"""

__version__ = "0.1.0"

#: public name -> "module" or "module:attribute", imported on first access
_EXPORTS = {
    # validation: bad input raises InvalidArgument("<name>: expected <what>, got <value>")
    "InvalidArgument": "collapse.core.validation:InvalidArgument",
    "check_choice": "collapse.core.validation:check_choice",
    "check_finite_real": "collapse.core.validation:check_finite_real",
    "check_int": "collapse.core.validation:check_int",
    "check_positive_real": "collapse.core.validation:check_positive_real",
    "check_schedule": "collapse.core.validation:check_schedule",
    # run folders: config kept, finished work kept, resume with another config refused
    "Run": "collapse.core.runner:Run",
    "DamagedFile": "collapse.core.runner:DamagedFile",
    "read_result": "collapse.core.runner:read_result",
    # self-describing result files, written atomically
    "metadata": "collapse.core.runio:metadata",
    "save_json": "collapse.core.runio:save_json",
    "read_json": "collapse.core.runio:read_json",
    "save_npz": "collapse.core.runio:save_npz",
    "load_npz": "collapse.core.runio:load_npz",
}


def lazy_exports(package: str, exports: dict[str, str]):
    """PEP 562 ``__getattr__`` and ``__dir__`` for a package whose public names load on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : dict of str to str
        Public name -> ``"module"`` (a module) or ``"module:attribute"``.

    Returns
    -------
    (__getattr__, __dir__)
        Assign them at the package's module level; a name, once imported, is cached in
        the package's namespace.

    Example
    -------
    >>> _EXPORTS = {"run_chain": "collapse.simulate.loop:run_chain"}     # doctest: +SKIP
    >>> __all__ = list(_EXPORTS)                                          # doctest: +SKIP
    >>> __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)            # doctest: +SKIP
    """
    import sys

    def __getattr__(name: str):
        target = exports.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        from importlib import import_module

        module, _, attribute = target.partition(":")
        value = import_module(module)
        if attribute:
            value = getattr(value, attribute)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(exports))

    return __getattr__, __dir__


__all__ = ["__version__", "lazy_exports", *_EXPORTS]
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
