"""The simulated check of an advisor's answer: the literal loop, run with the answer's knob.

``collapse advise`` computes its answer from exact values (``collapse.analytic.advise``);
this module runs the answer itself through the generic loop
(:func:`collapse.simulate.loop.run_chain`: draw the training set under the regime, refit the
family, generation after generation) with the real families
(:class:`~collapse.simulate.families.gaussian.GaussianFamily`,
:class:`~collapse.simulate.families.discrete.DiscreteFamily`) and returns the simulated mean
of the target's quantity at one generation with its standard error. It shares nothing with
the closed forms: no moment, no recursion, only draws and fits.

Quantities per chain (the truth is N(0, sigma_0^2), or the categorical p_0):

``w2``      W2^2(N(mu_g, sigma_g^2), N(0, sigma_0^2)) = mu_g^2 + (sigma_g - sigma_0)^2;
``sigma2``  sigma_g^2 / sigma_0^2;
``kept``    sum of p_0 over the tail states with positive probability in generation g's
            model, divided by the tail's p_0-mass.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np
from collapse.core.validation import (
    InvalidArgument,
    check_choice,
    check_int,
    check_memory,
)
from collapse.simulate.loop import Regime, run_chain

__all__ = ["CHAIN_BUDGET", "CheckResult", "default_chains", "simulate_answer"]

#: point-operations (points drawn and fitted, summed over chains and generations) of the default check
CHAIN_BUDGET = 4 * 10 ** 7
#: the default number of chains stays in this range
DEFAULT_CHAINS = (200, 20_000)


@dataclasses.dataclass(frozen=True)
class CheckResult:
    """The simulated mean of the quantity at ``generation`` over ``chains`` chains, its standard error."""

    chains: int
    generation: int
    mean: float
    se: float
    seconds: float


def _cost_per_chain(regime: str, schedule: Sequence[int], n_states: int | None) -> float:
    per_point = 1.0 if n_states is None else 1.0 + min(n_states, 16) / 4
    pool, cost = 0, 0.0
    for m in schedule:
        pool += m
        cost += (pool if regime == "accumulate" else m) * per_point + (n_states or 0)
    return cost


def default_chains(regime: str, schedule: Sequence[int], n_states: int | None = None) -> int:
    """Chains so that the check costs about :data:`CHAIN_BUDGET` point-operations (a few seconds)."""
    low, high = DEFAULT_CHAINS
    return int(min(high, max(low, CHAIN_BUDGET // max(1.0, _cost_per_chain(regime, schedule, n_states)))))


def simulate_answer(family: str, regime: str, schedule: Sequence[int], generation: int, chains: int,
                    rng: np.random.Generator, *, quantity: str, estimator: str = "unbiased", sigma0: float = 1.0,
                    p0: Sequence[float] | None = None, tail: np.ndarray | None = None,
                    progress: bool = False) -> CheckResult:
    """Run ``chains`` literal chains under ``regime`` for ``generation`` generations of ``schedule``.

    Parameters
    ----------
    family : {"gaussian", "discrete"}
    regime : str
        A regime of :func:`collapse.simulate.loop.run_chain` (``"replace"``, ``"accumulate"``,
        ``"mix:ALPHA,BETA,GAMMA"``).
    schedule : sequence of int
        M_g; only the first ``generation`` entries are run (later ones cannot change generation g).
    generation : int
        The generation g whose model is measured, 1 <= g <= len(schedule).
    quantity : {"w2", "sigma2", "kept"}
        See the module docstring.
    p0, tail : the discrete truth and the indices of its tail states.
    progress : bool
        A progress bar on stderr, shown once the run has taken a second.

    Returns
    -------
    CheckResult
    """
    check_choice("family", family, ("gaussian", "discrete"))
    check_choice("quantity", quantity, ("w2", "sigma2") if family == "gaussian" else ("kept",))
    g = check_int("generation", generation, minimum=1, maximum=len(schedule))
    C = check_int("chains", chains, minimum=2)
    sched = tuple(schedule[:g])
    Regime.parse(regime)
    family_, params0 = _family(family, C, estimator, sigma0, p0)
    point = 8 if family == "gaussian" else 8 + 8  # a float, or a label plus its count
    kept = sum(sched) if regime == "accumulate" else 2 * max(sched)
    check_memory("--check-chains", C * kept * point * 3, "the simulated check")
    from tqdm.auto import tqdm

    start = time.perf_counter()
    with tqdm(total=g, desc="check", unit="gen", disable=not progress, leave=False, delay=1.0) as bar:
        state = run_chain(family_, params0, sched, rng, regime=regime, on_generation=lambda k, _: k and bar.update())
    x = _quantity(quantity, state.params, sigma0, p0, tail)
    return CheckResult(C, g, float(np.mean(x)), float(np.std(x, ddof=1) / np.sqrt(C)), time.perf_counter() - start)


def _family(family: str, C: int, estimator: str, sigma0: float, p0):
    if family == "gaussian":
        from collapse.simulate.families.gaussian import GaussianFamily, GaussianParams

        return GaussianFamily(estimator), GaussianParams(np.zeros(C), np.full(C, float(sigma0) ** 2))
    from collapse.simulate.families.discrete import (
        DiscreteFamily,
        DiscreteParams,
        check_simplex,
    )

    if p0 is None:
        raise InvalidArgument("p0", "the discrete truth", p0)
    p = check_simplex("p0", p0)
    return DiscreteFamily(p.size), DiscreteParams(np.broadcast_to(p, (C, p.size)).copy())


def _quantity(quantity: str, params, sigma0: float, p0, tail) -> np.ndarray:
    if quantity == "w2":
        return params.mean**2 + (np.sqrt(params.var) - sigma0) ** 2
    if quantity == "sigma2":
        return params.var / sigma0**2
    p = np.asarray(p0, dtype=float)[tail]
    return (params.probs[:, tail] > 0) @ p / p.sum()
