"""collapse: executable companion to Shumailov et al., Nature 631, 755-759 (2024).

The package ``collapse`` holds the command line and the small shared helpers
(argument validation, run files). The science lives in the sibling packages:

- ``analytic``  closed forms derived with sympy (exact, no sampling);
- ``simulate``  the generational chains, vectorised over many chains;
- ``proofs``    the paper's claims as checkable objects;
- ``figures``   one module per figure, reading saved results only;
- ``llm``       the OPT-125m / wikitext-2 experiment (torch, transformers).

This module must stay import-light: ``collapse --help`` imports it.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
