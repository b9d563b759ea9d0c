"""One module per topic; each defines ``register(top, groups)`` (see :mod:`collapse.cli`).

Keep module-level imports to the standard library and :mod:`collapse.core.validation`;
import numpy, sympy, torch... inside the handlers.
"""
