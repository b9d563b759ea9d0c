"""The generational chains: fit -> sample -> fit ..., vectorised over many chains.

Every model family offers ``fit(data) -> params`` and ``sample(params, m, rng) -> data``
with a leading chain axis (the :class:`Family` protocol); :func:`run_generations` and
:func:`run_chain` drive any family, the toolkit's or your own, under any data regime
(:class:`Regime`: replace, the paper's mixture, accumulate, accumulate-subsample).
Families with sufficient statistics also get an exact fast sampler (see
:mod:`collapse.simulate.families.gaussian`).

Public API (``__all__``), imported on first use, so ``import collapse.simulate`` does
not import numpy:

- the loop: :class:`Family`, :class:`Regime`, :data:`REGIME_KINDS`, :data:`REGIMES`,
  :class:`LoopState`, :func:`run_generations`, :func:`run_chain`, :func:`subset`;
- sample-size schedules: :func:`make_schedule`, :func:`constant`, :func:`linear`,
  :func:`quadratic`, :data:`SCHEDULES`;
- sweeps of the built-in families (``collapse sweep``): :func:`parse_grid`,
  :func:`load_grid`, :class:`Grid`, :class:`Cell`, :func:`run_sweep`,
  :class:`SweepReport`, :class:`SweepError`, :func:`run_cell`, :func:`read_results`,
  :func:`summarize`, :func:`write_summary`;
- :mod:`collapse.simulate.families`: the model families (a package with its own API).

Rooms:

- :mod:`.loop`, :mod:`.base`, :mod:`.schedules`: the one loop, its regimes, sample sizes;
- :mod:`.families`: one module per model family (fit / sample);
- :mod:`.experiments`: the paper's experiments, run into run folders by the one runner;
- :mod:`.sweep`: grids of configs, one content-addressed result per cell;
- :mod:`.bench`: benchmarks, as ratios against a reference in the same process.

This package imports only :mod:`collapse.core`: never ``analytic``, ``proofs``,
``figures`` or ``llm``.
"""

from collapse.core import lazy_exports

#: public name -> "module" or "module:attribute", imported on first access
_EXPORTS = {
    # the loop and its regimes
    "Family": "collapse.simulate.base:Family",
    "Regime": "collapse.simulate.loop:Regime",
    "REGIME_KINDS": "collapse.simulate.loop:REGIME_KINDS",
    "REGIMES": "collapse.simulate.loop:REGIMES",
    "LoopState": "collapse.simulate.loop:LoopState",
    "run_generations": "collapse.simulate.loop:run_generations",
    "run_chain": "collapse.simulate.loop:run_chain",
    "subset": "collapse.simulate.loop:subset",
    # sample-size schedules
    "SCHEDULES": "collapse.simulate.schedules:SCHEDULES",
    "make_schedule": "collapse.simulate.schedules:make_schedule",
    "constant": "collapse.simulate.schedules:constant",
    "linear": "collapse.simulate.schedules:linear",
    "quadratic": "collapse.simulate.schedules:quadratic",
    # sweeps
    "Cell": "collapse.simulate.sweep.grid:Cell",
    "Grid": "collapse.simulate.sweep.grid:Grid",
    "SweepError": "collapse.simulate.sweep.grid:SweepError",
    "SweepReport": "collapse.simulate.sweep.grid:SweepReport",
    "load_grid": "collapse.simulate.sweep.grid:load_grid",
    "parse_grid": "collapse.simulate.sweep.grid:parse_grid",
    "read_results": "collapse.simulate.sweep.grid:read_results",
    "run_cell": "collapse.simulate.sweep.grid:run_cell",
    "run_sweep": "collapse.simulate.sweep.grid:run_sweep",
    "summarize": "collapse.simulate.sweep.grid:summarize",
    "write_summary": "collapse.simulate.sweep.grid:write_summary",
    # the model families
    "families": "collapse.simulate.families",
}

__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
