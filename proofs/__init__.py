"""The paper's claims as checkable objects.

A :class:`proofs.core.Claim` carries its statement, where the paper (or a cited
paper) makes it, its proof as steps, simulation evidence, the parts of its
statement (:class:`Part`) and errata (:class:`Erratum`). Each step is a check of
one of four kinds, or a cited standard theorem, listed as such and never dressed
as a check:

- ``symbolic``: an identity sympy proves exactly; ``certificate``: an inequality
  proved with rigorous ball arithmetic over the whole parameter range;
  ``simulation``: a simulated chain held against the closed forms.
- ``consistency``: a result checked against the equation that produced it (an
  ``rsolve`` solution against its recursion, a root re-substituted, a definition
  against itself). It runs, and a failure fails the claim, but it tests sympy and
  the wiring, not the claim: it is **not evidence**, and the report shows it as
  "consistency (not independent)".

**Independent.** A check of kind symbolic, certificate or simulation is counted as
evidence only when it reaches the claimed result by a route that shares no premise
with the derivation: exact computation from first principles on small instances,
the literal draw-and-refit sampler, or a second derivation by another method. Each
names its route in one line (``Check.route``). Every :class:`Part` of a statement,
and every number ``collapse theory`` prints (a module's ``THEORY_OUTPUTS``), must be
covered by at least one such check; ``tests/proofs/test_coverage.py`` enforces it.

**Undecided.** A residual sympy cannot simplify is evaluated at random points
(a fixed seed) at 50 digits (:func:`proofs.symbolic.decide_zero`): numerically zero
everywhere is "undecided" (shown and counted, does not fail the claim), otherwise
it fails with the witness point.

**Power.** Simulation checks are Holm-corrected together at family-wise
false-alarm probability :data:`FAMILY_ALPHA` (1e-6). Each states its power as
``Outcome.mde``: the smallest relative error in the checked quantity it detects
with probability 0.99 at ``Context.alpha`` = FAMILY_ALPHA / (number of simulation
checks in the registry), the smallest Holm threshold, so the statement holds at
every Holm step (:func:`proofs.stats.mde_z`, :func:`proofs.stats.ks_mde_scale`).
For moment-type quantities (``Outcome.moment``) it must be at most 1%.

**Errata.** Where the paper's text is wrong or ambiguous, a claim records the
paper's words, the correct statement and the check that decides between them
(:class:`Erratum`); ``collapse verify`` and the reports list them with that
check's status.

Public API (``__all__``), imported on first use, so ``import collapse.proofs``
imports neither sympy nor numpy:

- finding and running claims: :func:`all_claims`, :func:`select` (glob on the id),
  :func:`verify` (what ``collapse verify`` runs; ``jobs`` worker processes, results
  independent of it), :func:`run_claims`, :class:`Context` (seed, thorough, alpha);
- what they are made of: :class:`Claim`, :class:`Check`, :class:`Cited`,
  :class:`Part`, :class:`Erratum`, :class:`Outcome`, :data:`KINDS`; what a run
  returns: :class:`ClaimResult`, :class:`CheckResult`;
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
    "Part": "collapse.proofs.core:Part",
    "Erratum": "collapse.proofs.core:Erratum",
    "KINDS": "collapse.proofs.core:KINDS",
    "ClaimResult": "collapse.proofs.core:ClaimResult",
    "CheckResult": "collapse.proofs.core:CheckResult",
    "holm": "collapse.proofs.core:holm",
    "FAMILY_ALPHA": "collapse.proofs.core:FAMILY_ALPHA",
    "table": "collapse.proofs.report:table",
    "markdown": "collapse.proofs.report:markdown",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
