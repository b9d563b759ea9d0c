"""One generational loop for every family, with the data regime as a parameter.

References: Shumailov et al. (2024), section "Theoretical intuition": the dataset
of generation i+1 is drawn from p_{i+1} = alpha p_theta + beta p_i + gamma p_0;
``replace`` is the paper's alpha = 1 case, ``accumulate`` refits on all data so far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from collapse.validation import check_choice, check_schedule
from simulate.base import Family, as_generator

REGIMES = ("replace", "accumulate")

__all__ = ["REGIMES", "run_generations"]


def run_generations(
    family: Family,
    params0: Any,
    schedule: Sequence[int],
    rng: np.random.Generator,
    *,
    regime: str = "replace",
    on_generation: Callable[[int, Any], None] | None = None,
) -> Any:
    """Run the literal chain: sample ``M_g`` points from the current model, refit.

    Parameters
    ----------
    family : Family
        Supplies ``fit`` and ``sample``.
    params0 : params of the family
        Generation 0, the true distribution (leading axis ``n_chains``).
    schedule : sequence of int, length G
        ``M_g``, the sample size drawn from generation g to fit generation g+1.
    rng : numpy.random.Generator
    regime : {"replace", "accumulate"}
        ``replace`` fits generation g+1 on the M_g new points only (the paper);
        ``accumulate`` fits it on every point drawn so far (the original sample
        included), so the training set grows by M_g per generation.
    on_generation : callable(g, params), optional
        Called for g = 0 (with ``params0``) and after each refit, g = 1..G.

    Returns
    -------
    params of the family
        Generation G.
    """
    rng = as_generator(rng)
    regime = check_choice("regime", regime, REGIMES)
    schedule = check_schedule("schedule", schedule, minimum=1)
    params = params0
    if on_generation is not None:
        on_generation(0, params)
    pool = None
    for g, m in enumerate(schedule):
        new = family.sample(params, m, rng)  # (n_chains, m, ...)
        if regime == "accumulate":
            pool = new if pool is None else np.concatenate([pool, new], axis=1)
            params = family.fit(pool)
        else:
            params = family.fit(new)
        if on_generation is not None:
            on_generation(g + 1, params)
    return params
