"""The paper's claims as checkable objects.

A :class:`proofs.core.Claim` carries its statement, where the paper (or a cited
paper) makes it, its proof as steps, and simulation evidence. Each step is a
check (``symbolic``: an identity sympy proves exactly; ``certificate``: an
inequality proved with rigorous ball arithmetic over the whole parameter range)
or a cited standard theorem, listed as such and never dressed as a check.
``simulation`` checks hold a simulated chain against the closed forms.

``proofs`` depends on ``analytic`` and ``simulate``, never the other way round.
"""
