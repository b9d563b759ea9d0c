"""Closed forms derived with sympy: exact, no sampling.

Each derived quantity is a function returning a sympy expression built from
symbols with assumptions; numeric values come from those expressions (mpmath,
any precision), never from a second hand-typed copy.

Public API (``__all__``), imported on first use, so ``import collapse.analytic``
does not import sympy:

- numbers at given parameters: :func:`gaussian_values` (constant M),
  :func:`gaussian_schedule_values` (any schedule M_0, M_1, ...),
  :func:`gaussian_accumulate_values`, :func:`evaluate_nd` (Wishart chain),
  :func:`mix_moments` (real data mixed in), :func:`loss_by` and
  :func:`exact_absorption_times` (discrete chain), :func:`extinction_values`
  (Poisson chain), :func:`unseen_mass_value` and :func:`cut_test_error_value`
  (Zipf tails), :func:`risk_values` (least squares), :func:`lambdified`;
- Theorem 3.1's expressions: :func:`closed_forms`, :func:`one_step`,
  :func:`w2_bounded` (in the symbols of :mod:`.gaussian`);
- the topic modules, each holding its expressions and the sympy symbols they are
  written in (``gaussian.M``, ``gaussian.n``, ``discrete.t``...): :mod:`.gaussian`,
  :mod:`.gaussian_nd`, :mod:`.gaussian_mixing`, :mod:`.discrete`,
  :mod:`.discrete_time`, :mod:`.mixing`, :mod:`.rates`, :mod:`.tails`,
  :mod:`.regression_theory`, :mod:`.numeric`.

Anything else (names starting with ``_``, module internals not listed in a topic
module's own ``__all__``) is private.

This package never imports ``simulate``, ``proofs``, ``figures`` or ``llm``.
"""

from collapse.core import lazy_exports

#: public name -> "module" or "module:attribute", imported on first access
_EXPORTS = {
    # numbers at given parameters
    "ESTIMATORS": "collapse.analytic.gaussian:ESTIMATORS",
    "QUANTITIES": "collapse.analytic.gaussian:QUANTITIES",
    "gaussian_values": "collapse.analytic.numeric:gaussian_values",
    "gaussian_schedule_values": "collapse.analytic.numeric:gaussian_schedule_values",
    "gaussian_accumulate_values": "collapse.analytic.numeric:gaussian_accumulate_values",
    "lambdified": "collapse.analytic.numeric:lambdified",
    "evaluate_nd": "collapse.analytic.gaussian_nd:evaluate_nd",
    "mix_moments": "collapse.analytic.gaussian_mixing:mix_moments",
    "loss_by": "collapse.analytic.discrete_time:loss_by",
    "exact_absorption_times": "collapse.analytic.discrete_time:exact_absorption_times",
    "extinction_values": "collapse.analytic.rates:extinction_values",
    "unseen_mass_value": "collapse.analytic.tails:unseen_mass_value",
    "cut_test_error_value": "collapse.analytic.tails:cut_test_error_value",
    "risk_values": "collapse.analytic.regression_theory:risk_values",
    # Theorem 3.1 as expressions
    "closed_forms": "collapse.analytic.gaussian:closed_forms",
    "one_step": "collapse.analytic.gaussian:one_step",
    "w2_bounded": "collapse.analytic.gaussian:w2_bounded",
    # the topic modules (expressions and their symbols)
    "gaussian": "collapse.analytic.gaussian",
    "gaussian_nd": "collapse.analytic.gaussian_nd",
    "gaussian_mixing": "collapse.analytic.gaussian_mixing",
    "discrete": "collapse.analytic.discrete",
    "discrete_time": "collapse.analytic.discrete_time",
    "mixing": "collapse.analytic.mixing",
    "rates": "collapse.analytic.rates",
    "tails": "collapse.analytic.tails",
    "regression_theory": "collapse.analytic.regression_theory",
    "numeric": "collapse.analytic.numeric",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
