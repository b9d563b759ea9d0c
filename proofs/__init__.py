"""The paper's claims as checkable objects.

A :class:`proofs.core.Claim` carries its statement, where the paper (or a cited
paper) makes it, its proof as steps, and simulation evidence. Each step is a
check (``symbolic``: an identity sympy proves exactly; ``certificate``: an
inequality proved with rigorous ball arithmetic over the whole parameter range)
or a cited standard theorem, listed as such and never dressed as a check.
``simulation`` checks hold a simulated chain against the closed forms.

Public API (``__all__``), imported on first use, so ``import collapse.proofs``
imports neither sympy nor numpy:

- finding and running claims: :func:`all_claims`, :func:`select` (glob on the id),
  :func:`verify` (what ``collapse verify`` runs), :func:`run_claims`, :class:`Context`
  (seed, thorough);
- what they are made of: :class:`Claim`, :class:`Check`, :class:`Cited`,
  :class:`Outcome`; what a run returns: :class:`ClaimResult`, :class:`CheckResult`;
- the multiple-testing rule: :func:`holm`, :data:`FAMILY_ALPHA`;
- rendering results: :func:`table` (the terminal table), :func:`markdown` (the report).

``proofs`` depends on ``analytic`` and ``simulate``, never the other way round.
"""

from collapse.core import lazy_exports

#: public name -> "module" or "module:attribute", imported on first access
_EXPORTS = {
    "all_claims": "collapse.proofs.registry:all_claims",
    "select": "collapse.proofs.registry:select",
    "verify": "collapse.proofs.registry:verify",
    "run_claims": "collapse.proofs.core:run_claims",
    "Context": "collapse.proofs.core:Context",
    "Claim": "collapse.proofs.core:Claim",
    "Check": "collapse.proofs.core:Check",
    "Cited": "collapse.proofs.core:Cited",
    "Outcome": "collapse.proofs.core:Outcome",
    "ClaimResult": "collapse.proofs.core:ClaimResult",
    "CheckResult": "collapse.proofs.core:CheckResult",
    "holm": "collapse.proofs.core:holm",
    "FAMILY_ALPHA": "collapse.proofs.core:FAMILY_ALPHA",
    "table": "collapse.proofs.report:table",
    "markdown": "collapse.proofs.report:markdown",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
