"""The bottom layer: what every other package of the toolkit shares.

Argument validation (:mod:`collapse.core.validation`), atomic result files and
their metadata (:mod:`collapse.core.runio`), and the one experiment runner
(:mod:`collapse.core.runner`). Nothing here imports any other part of the
project, and nothing here imports numpy at module level, so the command line
starts fast.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
