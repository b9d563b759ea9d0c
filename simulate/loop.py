"""One generational loop for every family, with the data regime as a parameter.

References: Shumailov et al. (2024), section "Theoretical intuition": the dataset
of generation i+1 is drawn from p_{i+1} = alpha p_theta_{i+1} + beta p_i + gamma p_0.

The regimes (all act on the data, never on the family):

``replace``               generation g+1 is fitted to M_g points of generation g
                          only (the paper's alpha = 1 case);
``mix``                   the paper's mixture: of the M_g training points,
                          round(alpha M_g) come from the current model, round(beta M_g)
                          are a random subset of the previous training set D_{g-1}
                          (data used by the previous generation), and the rest
                          (about gamma M_g) are fresh draws from p_0 (real data);
``accumulate``            refit on every point drawn so far (the pool grows by M_g);
``accumulate-subsample``  refit on a uniform subset of M_g points of that pool.

Generation 0 is the true distribution, so D_0 is M_0 fresh points from p_0 in every
regime. Share sizes are deterministic (not multinomial) so that all chains keep
rectangular arrays; subsets are drawn without replacement, independently per chain.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from collapse.core.validation import InvalidArgument, check_choice, check_int, check_schedule
from collapse.simulate.base import Family, as_generator

#: regimes taking no parameters that every sampler in the package supports
#: (kept as the two names :mod:`collapse.simulate.families.gaussian` validates against)
REGIMES = ("replace", "accumulate")
#: every regime the generic loop runs
REGIME_KINDS = ("replace", "mix", "accumulate", "accumulate-subsample")

__all__ = ["REGIMES", "REGIME_KINDS", "LoopState", "Regime", "run_chain", "run_generations", "step", "subset"]

Source = Callable[[int, np.random.Generator], np.ndarray]


@dataclasses.dataclass(frozen=True)
class Regime:
    """A data regime of the loop.

    ``kind`` is one of :data:`REGIME_KINDS`; ``alpha``, ``beta``, ``gamma`` (non-negative,
    summing to 1) are the paper's mixing weights and matter only for ``mix``.
    """

    kind: str = "replace"
    alpha: float = 1.0
    beta: float = 0.0
    gamma: float = 0.0

    def __post_init__(self) -> None:
        check_choice("regime", self.kind, REGIME_KINDS)
        w = (self.alpha, self.beta, self.gamma)
        if not all(isinstance(x, (int, float)) and np.isfinite(x) and x >= 0 for x in w) or abs(sum(w) - 1) > 1e-9:
            raise InvalidArgument("mixing weights (alpha, beta, gamma)", "non-negative numbers summing to 1", w)
        if self.kind != "mix" and w != (1.0, 0.0, 0.0) and w != (1, 0, 0):
            raise InvalidArgument("mixing weights", f"(1, 0, 0) for regime {self.kind!r}", w)

    @classmethod
    def parse(cls, text: "str | Regime") -> "Regime":
        """``"replace"``, ``"accumulate"``, ``"accumulate-subsample"`` or ``"mix:ALPHA,BETA,GAMMA"``."""
        if isinstance(text, Regime):
            return text
        if not isinstance(text, str):
            raise InvalidArgument("regime", "a Regime or a string such as 'mix:0.8,0.1,0.1'", text)
        kind, _, rest = text.partition(":")
        if kind != "mix":
            if rest:
                raise InvalidArgument("regime", f"no weights for {kind!r}", text)
            return cls(check_choice("regime", kind, REGIME_KINDS))
        try:
            a, b, c = (float(x) for x in rest.split(","))
        except ValueError:
            raise InvalidArgument("regime", "'mix:ALPHA,BETA,GAMMA' with three numbers", text) from None
        return cls("mix", a, b, c)

    def shares(self, m: int) -> tuple[int, int, int]:
        """(n_model, n_previous, n_real) for a training set of ``m`` points."""
        if self.kind != "mix":
            return m, 0, 0
        n_prev = int(round(self.beta * m))
        n_real = min(int(round(self.gamma * m)), m - n_prev)
        return m - n_prev - n_real, n_prev, n_real

    def __str__(self) -> str:
        # shortest round-trip repr, so that parse(str(r)) == r
        return self.kind if self.kind != "mix" else "mix:" + ",".join(repr(float(w)) for w in (self.alpha, self.beta, self.gamma))


@dataclasses.dataclass(frozen=True)
class LoopState:
    """Where a chain is: enough to resume it exactly (with the generator's state).

    ``params``  the fitted model of generation ``generation`` (leading axis n_chains);
    ``data``    D_{generation-1}, the training set ``params`` was fitted to
                (None at generation 0), shape (n_chains, n, ...);
    ``pool``    every point drawn so far (accumulate regimes only).
    """

    generation: int
    params: Any
    data: np.ndarray | None = None
    pool: np.ndarray | None = None


def subset(data: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """A uniform random subset of ``k`` points per chain, without replacement.

    ``data`` : ndarray of shape (n_chains, n, ...); returns shape (n_chains, k, ...).
    Falls back to drawing with replacement when ``k > n`` (schedules that grow).
    """
    C, n = data.shape[:2]
    if k > n:
        idx = rng.integers(0, n, size=(C, k))
    elif k == n:
        idx = rng.permuted(np.broadcast_to(np.arange(n), (C, n)), axis=1)
    else:
        idx = np.argpartition(rng.random((C, n)), k - 1, axis=1)[:, :k] if k > 0 else np.zeros((C, 0), int)
    idx = idx.reshape(idx.shape + (1,) * (data.ndim - 2))
    return np.take_along_axis(data, idx, axis=1)


def step(
    family: Family, state: LoopState, m: int, rng: np.random.Generator, regime: Regime, source: Source
) -> LoopState:
    """One generation: build the training set of ``m`` points under ``regime``, refit."""
    if state.data is None:  # generation 0 is the truth: D_0 is real data
        new = source(m, rng)
    elif regime.kind == "mix":
        n_model, n_prev, n_real = regime.shares(m)
        parts = [family.sample(state.params, n_model, rng), subset(state.data, n_prev, rng), source(n_real, rng)]
        new = np.concatenate([p for p in parts if p.shape[1] > 0], axis=1)
    else:
        new = family.sample(state.params, m, rng)  # (n_chains, m, ...)
    pool = state.pool
    if regime.kind in ("accumulate", "accumulate-subsample"):
        pool = new if pool is None else np.concatenate([pool, new], axis=1)
        train = pool if regime.kind == "accumulate" else subset(pool, m, rng)
    else:
        train = new
    return LoopState(state.generation + 1, family.fit(train), train, pool)


def run_generations(
    family: Family,
    params0: Any,
    schedule: Sequence[int],
    rng: np.random.Generator,
    *,
    regime: "str | Regime" = "replace",
    on_generation: Callable[[int, Any], None] | None = None,
    on_data: Callable[[int, np.ndarray], None] | None = None,
    source: Source | None = None,
    state: LoopState | None = None,
) -> Any:
    """Run the literal chain: sample ``M_g`` points from the current model, refit.

    Parameters
    ----------
    family : Family
        Supplies ``fit`` and ``sample``.
    params0 : params of the family
        Generation 0, the true distribution (leading axis ``n_chains``).
    schedule : sequence of int, length G
        ``M_g``, the size of the training set of generation g+1.
    rng : numpy.random.Generator
    regime : str or Regime
        One of :data:`REGIME_KINDS` (``"mix:ALPHA,BETA,GAMMA"`` for the mixture), or a
        :class:`Regime`. See the module docstring.
    on_generation : callable(g, params), optional
        Called for g = 0 (with ``params0``) and after each refit, g = 1..G.
    on_data : callable(g, data), optional
        Called with D_g, the training set of generation g+1, shape (n_chains, M_g, ...).
    source : callable(m, rng) -> ndarray, optional
        Fresh real data, shape (n_chains, m, ...); default ``family.sample(params0, m, rng)``.
        The VAE passes its real dataset here.
    state : LoopState, optional
        Resume from this state (``schedule`` then lists the remaining generations).

    Returns
    -------
    params of the family
        The last generation's.
    """
    return run_chain(family, params0, schedule, rng, regime=regime, on_generation=on_generation,
                     on_data=on_data, source=source, state=state).params


def run_chain(
    family: Family,
    params0: Any,
    schedule: Sequence[int],
    rng: np.random.Generator,
    *,
    regime: "str | Regime" = "replace",
    on_generation: Callable[[int, Any], None] | None = None,
    on_data: Callable[[int, np.ndarray], None] | None = None,
    source: Source | None = None,
    state: LoopState | None = None,
) -> LoopState:
    """As :func:`run_generations`, returning the final :class:`LoopState` (to save or resume)."""
    rng = as_generator(rng)
    regime = Regime.parse(regime)
    schedule = check_schedule("schedule", schedule, minimum=1)
    if source is None:
        def source(m: int, rng: np.random.Generator) -> np.ndarray:
            return family.sample(params0, m, rng)
    if state is None:
        state = LoopState(0, params0)
        if on_generation is not None:
            on_generation(0, params0)
    else:
        check_int("state.generation", state.generation, minimum=0)
    for m in schedule:
        state = step(family, state, m, rng, regime, source)
        if on_data is not None:
            on_data(state.generation - 1, state.data)
        if on_generation is not None:
            on_generation(state.generation, state.params)
    return state
