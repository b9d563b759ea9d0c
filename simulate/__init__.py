"""The generational chains: fit -> sample -> fit ..., vectorised over many chains.

Every model family offers ``fit(data) -> params`` and ``sample(params, m, rng) -> data``
with a leading chain axis; :func:`simulate.loop.run_generations` drives any family
under any data regime. Families with sufficient statistics also get an exact fast
sampler (see :mod:`collapse.simulate.families.gaussian`).

This package never imports ``analytic``, ``proofs``, ``figures`` or ``llm``.
"""

from collapse.simulate.base import Family
from collapse.simulate.loop import REGIME_KINDS, REGIMES, LoopState, Regime, run_chain, run_generations

__all__ = ["Family", "LoopState", "REGIMES", "REGIME_KINDS", "Regime", "run_chain", "run_generations"]
