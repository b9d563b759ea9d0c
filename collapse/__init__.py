"""collapse: executable companion to Shumailov et al., Nature 631, 755-759 (2024).

One import root; the repository's top-level folders are installed as its subpackages
(``pyproject.toml`` maps them), layered so that imports point one way::

    collapse.core       (bottom) validation, run folders and the experiment runner, atomic files
    collapse.analytic   closed forms derived with sympy (exact, no sampling)
    collapse.simulate   the generational chains: families, the loop, experiments, sweeps
    collapse.proofs     the paper's claims as checkable objects
    collapse.llm        the OPT-125m / wikitext-2 experiment (torch, transformers)
    collapse.figures    one module per figure, reading saved results only
    collapse.cli, collapse.commands, collapse.reproduce, collapse.report   (top) the command line

This module must stay import-light: ``collapse --help`` imports it.
"""

from collapse.core import __version__

__all__ = ["__version__"]
