"""The generational chains: fit -> sample -> fit ..., vectorised over many chains.

Every model family offers ``fit(data) -> params`` and ``sample(params, m, rng) -> data``
with a leading chain axis; :func:`collapse.simulate.loop.run_generations` drives any
family under any data regime. Families with sufficient statistics also get an exact fast
sampler (see :mod:`collapse.simulate.families.gaussian`).

Rooms:

- :mod:`.loop`, :mod:`.base`, :mod:`.schedules`: the one loop, its regimes, sample sizes;
- :mod:`.families`: one module per model family (fit / sample);
- :mod:`.experiments`: the paper's experiments, run into run folders by the one runner;
- :mod:`.sweep`: grids of configs, one content-addressed result per cell;
- :mod:`.bench`: benchmarks, as ratios against a reference in the same process.

This package imports only :mod:`collapse.core`: never ``analytic``, ``proofs``,
``figures`` or ``llm``.
"""

from collapse.simulate.base import Family
from collapse.simulate.loop import REGIME_KINDS, REGIMES, LoopState, Regime, run_chain, run_generations

__all__ = ["Family", "LoopState", "REGIMES", "REGIME_KINDS", "Regime", "run_chain", "run_generations"]
