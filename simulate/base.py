"""The one interface every model family implements."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

P = TypeVar("P")


@runtime_checkable
class Family(Protocol[P]):
    """A model family refitted each generation.

    ``data`` always has a leading chain axis: ``(n_chains, n_samples, ...)``;
    ``params`` is a frozen dataclass whose arrays have a leading ``n_chains`` axis.
    """

    name: str

    def fit(self, data: np.ndarray) -> P:
        """Fit one model per chain. ``data`` : ndarray of shape (n_chains, n_samples, ...)."""
        ...

    def sample(self, params: P, m: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``m`` points per chain: ndarray of shape (n_chains, m, ...)."""
        ...


def as_generator(rng: Any) -> np.random.Generator:
    """Require an ``np.random.Generator`` (randomness is always an argument)."""
    if not isinstance(rng, np.random.Generator):
        from collapse.core.validation import InvalidArgument

        raise InvalidArgument("rng", "a numpy.random.Generator (e.g. np.random.default_rng(seed))", rng)
    return rng
