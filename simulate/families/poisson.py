"""The Poisson model refitted by maximum likelihood on its own samples.

Each generation draws M points from Poisson(lambda) and refits lambda' as their
mean (the maximum-likelihood estimate). M lambda' is then Poisson(M lambda): the
count process is a critical Galton-Watson process with Poisson(1) offspring, and
every chain ends at lambda = 0 (see :mod:`collapse.analytic.rates`).

References: Suresh, Thangaraj, Khandavally, "Rate of model collapse in recursive
training", AISTATS 2025 (the Poisson model).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from collapse.core.validation import InvalidArgument, check_int, check_positive_real
from collapse.simulate.base import as_generator, check_weights
from collapse.simulate.loop import run_generations

__all__ = ["PoissonFamily", "PoissonParams", "simulate_poisson"]


@dataclasses.dataclass(frozen=True, eq=False)
class PoissonParams:
    """Poisson rates, one per chain: ``rate`` ndarray of shape (n_chains,)."""

    rate: np.ndarray


@dataclasses.dataclass(frozen=True)
class PoissonFamily:
    """Maximum-likelihood fit (the sample mean) of a Poisson law."""

    name: str = "poisson"

    def fit(self, data: np.ndarray) -> PoissonParams:
        """``data`` : int ndarray of shape (n_chains, n_samples >= 1); returns the sample means."""
        if data.ndim != 2 or data.shape[1] < 1:
            raise InvalidArgument("data", "an integer array of shape (n_chains, n_samples >= 1)", data.shape)
        return PoissonParams(data.mean(axis=1))

    def fit_weighted(self, data: np.ndarray, weights: np.ndarray) -> PoissonParams:
        """The weighted mean sum_i w_i x_i (the weighted likelihood's maximiser)."""
        if data.ndim != 2 or data.shape[1] < 1:
            raise InvalidArgument("data", "an integer array of shape (n_chains, n_samples >= 1)", data.shape)
        return PoissonParams((check_weights(data, weights) * data).sum(axis=1))

    def log_density(self, params: PoissonParams, x: np.ndarray) -> np.ndarray:
        """log pmf x log(rate) - rate - log x! per chain: ``x`` (n_chains, n) -> (n_chains, n)."""
        from scipy import special

        rate = np.asarray(params.rate, dtype=float)[:, None]
        return special.xlogy(x, rate) - rate - special.gammaln(np.asarray(x, dtype=float) + 1)

    def max_log_density(self, params: PoissonParams) -> np.ndarray:
        """The log pmf at the mode floor(rate), shape (n_chains,)."""
        rate = np.asarray(params.rate, dtype=float)
        return self.log_density(params, np.floor(rate)[:, None])[:, 0]

    def sample(self, params: PoissonParams, m: int, rng: np.random.Generator) -> np.ndarray:
        """Return int ndarray of shape (n_chains, m): m Poisson(rate) draws per chain."""
        rate = np.asarray(params.rate, dtype=float)
        return rng.poisson(rate[:, None], size=(rate.shape[0], m))


def simulate_poisson(n_chains: int, rate0: float, samples: int, generations: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Run the literal chain (sample, refit) for ``generations`` generations.

    Parameters
    ----------
    n_chains : int
        Independent chains.
    rate0 : float
        lambda_0 > 0, the true rate (generation 0).
    samples : int
        M, points drawn per generation.
    generations : int
        Number of refits t >= 1.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (n_chains, generations + 1)
        lambda_t for t = 0..generations (column 0 is lambda_0).
    """
    rng = as_generator(rng)
    C = check_int("n_chains", n_chains, minimum=1)
    lam0 = check_positive_real("rate0", rate0)
    M = check_int("samples (M)", samples, minimum=1)
    G = check_int("generations", generations, minimum=1)
    out = np.empty((C, G + 1))

    def record(g: int, params: PoissonParams) -> None:
        out[:, g] = params.rate

    run_generations(PoissonFamily(), PoissonParams(np.full(C, lam0)), (M,) * G, rng, on_generation=record)
    return out
