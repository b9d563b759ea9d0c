"""The 1-D Gaussian chain of Theorem 3.1, in two exact samplers.

Generation 0 is the true distribution N(mu_0, sigma_0^2). Generation g+1 is fitted
to M_g points drawn from generation g: the sample mean, and the sample variance
divided by M_g - 1 (``unbiased``, the paper's Theorem 3.1) or by M_g (``mle``,
``np.std`` in the authors' Supplementary experiment).

``literal``  draws the M_g points and refits them (through the generic loop);
``fast``     draws the sufficient statistics directly. Given generation g,
             mean_batch ~ N(mu_g, sigma_g^2 / M_g) and
             sum of squared deviations ~ sigma_g^2 chi2_{M_g - 1},
             independent (Cochran's theorem), so the chain is exactly the same
             Markov chain at O(1) cost per chain and generation instead of O(M).

The two differ in one way that is a feature of floating point, not of the
chain: once sigma_g falls below about 1e-16 |mu_g|, the literal sampler's M
points round to the same number and the fitted variance is exactly 0, an
absorbing state (the paper remarks that floating point makes every chain
discrete). The fast sampler tracks sigma^2 multiplicatively until it underflows
float64 (below ~1e-308, e.g. M = 2 after a few hundred generations).

References: Shumailov et al. (2024), Theorem 3.1 and Supplementary Material
("single Gaussian" figure).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from collapse.core.validation import (
    InvalidArgument,
    check_choice,
    check_finite_real,
    check_int,
    check_positive_real,
    check_schedule,
)
from collapse.simulate.base import as_generator, check_weights
from collapse.simulate.loop import REGIMES, Regime, run_generations

ESTIMATORS = ("unbiased", "mle")
SAMPLERS = ("fast", "literal")
_DDOF = {"unbiased": 1, "mle": 0}

__all__ = [
    "ESTIMATORS",
    "SAMPLERS",
    "GaussianChain",
    "GaussianConfig",
    "GaussianFamily",
    "GaussianParams",
    "simulate_gaussian",
]


@dataclasses.dataclass(frozen=True)
class GaussianParams:
    """1-D Gaussians, one per chain. ``mean``, ``var`` : ndarray of shape (n_chains,)."""

    mean: np.ndarray
    var: np.ndarray


@dataclasses.dataclass(frozen=True)
class GaussianFamily:
    """Fit by sample mean and sample variance (ddof 1 for ``unbiased``, 0 for ``mle``)."""

    estimator: str = "unbiased"
    name: str = "gaussian"

    def __post_init__(self) -> None:
        check_choice("estimator", self.estimator, ESTIMATORS)

    def fit(self, data: np.ndarray) -> GaussianParams:
        """``data`` : ndarray of shape (n_chains, n_samples)."""
        if data.ndim != 2 or data.shape[1] < 2:
            raise InvalidArgument("data", "an array of shape (n_chains, n_samples >= 2)", data.shape)
        return GaussianParams(data.mean(axis=1), data.var(axis=1, ddof=_DDOF[self.estimator]))

    def sample(self, params: GaussianParams, m: int, rng: np.random.Generator) -> np.ndarray:
        """Return ndarray of shape (n_chains, m)."""
        z = rng.standard_normal((params.mean.shape[0], m))
        return params.mean[:, None] + np.sqrt(params.var)[:, None] * z

    def fit_weighted(self, data: np.ndarray, weights: np.ndarray) -> GaussianParams:
        """Weighted mean sum_i w_i x_i and variance sum_i w_i (x_i - mean)^2, divided by
        1 - sum_i w_i^2 for ``unbiased`` (reliability weights: with w_i = 1/M that is the
        ddof-1 variance). ``data``, ``weights`` : (n_chains, n_samples), rows of weights sum to 1."""
        if data.ndim != 2 or data.shape[1] < 2:
            raise InvalidArgument("data", "an array of shape (n_chains, n_samples >= 2)", data.shape)
        w = check_weights(data, weights)
        mean = (w * data).sum(axis=1)
        var = (w * (data - mean[:, None]) ** 2).sum(axis=1)
        if self.estimator == "unbiased":
            norm = 1.0 - (w**2).sum(axis=1)
            if np.any(norm <= 0):
                raise InvalidArgument("weights", "at least two points of positive weight per chain (the unbiased "
                                      "variance divides by 1 - sum w^2)", int(np.argmin(norm)))
            var = var / norm
        return GaussianParams(mean, var)

    def log_density(self, params: GaussianParams, x: np.ndarray) -> np.ndarray:
        """log N(x; mean, var) per chain: ``x`` (n_chains, n) -> (n_chains, n)."""
        v = params.var[:, None]
        return -0.5 * (np.log(2 * np.pi * v) + (x - params.mean[:, None]) ** 2 / v)

    def max_log_density(self, params: GaussianParams) -> np.ndarray:
        """log of the density at the mean, -log(2 pi var) / 2, shape (n_chains,)."""
        return -0.5 * np.log(2 * np.pi * params.var)


@dataclasses.dataclass(frozen=True)
class GaussianConfig:
    """Everything that defines a simulated Gaussian chain (saved beside its results).

    ``regime``: ``replace`` or ``accumulate`` for the ``fast`` sampler; any
    :class:`~collapse.simulate.loop.Regime` (``curate:Q``, ``weight:W,K``, ``mix:...``) for ``literal``.
    """

    n_chains: int
    schedule: tuple[int, ...]
    mu0: float = 0.0
    sigma0: float = 1.0
    estimator: str = "unbiased"
    regime: str = "replace"
    sampler: str = "fast"

    def __post_init__(self) -> None:
        check_int("n_chains", self.n_chains, minimum=1)
        object.__setattr__(self, "schedule", check_schedule("schedule (samples per generation)", self.schedule))
        check_finite_real("mu0", self.mu0)
        check_positive_real("sigma0", self.sigma0)
        check_choice("estimator", self.estimator, ESTIMATORS)
        check_choice("sampler", self.sampler, SAMPLERS)
        if self.sampler == "literal":  # the generic loop runs every regime
            object.__setattr__(self, "regime", str(Regime.parse(self.regime)))
        elif self.regime not in REGIMES:
            raise InvalidArgument("regime", f"one of {', '.join(REGIMES)} for sampler 'fast' (any regime with "
                                  "sampler='literal')", self.regime)

    @property
    def generations(self) -> int:
        return len(self.schedule)


@dataclasses.dataclass(frozen=True)
class GaussianChain:
    """Recorded trajectories.

    ``generations`` : ndarray of shape (K,), the recorded generation indices;
    ``mu``, ``sigma2`` : ndarray of shape (n_chains, K).
    """

    config: GaussianConfig
    generations: np.ndarray
    mu: np.ndarray
    sigma2: np.ndarray


def _keep_mask(G: int, keep: Sequence[int] | None) -> np.ndarray:
    mask = np.zeros(G + 1, dtype=bool)
    if keep is None:
        mask[:] = True
        return mask
    for k in keep:
        k = check_int("keep[]", k, minimum=0)
        if k > G:
            raise InvalidArgument("keep", f"generation indices in 0..{G}", k)
        mask[k] = True
    return mask


def simulate_gaussian(
    config: GaussianConfig, rng: np.random.Generator, *, keep: Sequence[int] | None = None
) -> GaussianChain:
    """Simulate ``config.n_chains`` independent chains.

    Parameters
    ----------
    config : GaussianConfig
    rng : numpy.random.Generator
    keep : sequence of int, optional
        Generations to record (default all, 0..G). Recording all of 10^5 chains
        x 10^3 generations takes 1.6 GB; pass e.g. ``[0, G]`` for large runs.

    Returns
    -------
    GaussianChain
    """
    rng = as_generator(rng)
    G = config.generations
    mask = _keep_mask(G, keep)
    gens = np.flatnonzero(mask)
    mu = np.empty((config.n_chains, gens.size))
    s2 = np.empty((config.n_chains, gens.size))
    slot = {g: j for j, g in enumerate(gens)}

    def record(g: int, m: np.ndarray, v: np.ndarray) -> None:
        if mask[g]:
            mu[:, slot[g]] = m
            s2[:, slot[g]] = v

    if config.sampler == "literal":
        family = GaussianFamily(config.estimator)
        p0 = GaussianParams(np.full(config.n_chains, config.mu0), np.full(config.n_chains, config.sigma0**2))
        run_generations(family, p0, config.schedule, rng, regime=config.regime,
                        on_generation=lambda g, p: record(g, p.mean, p.var))
    else:
        _fast(config, rng, record)
    return GaussianChain(config, gens, mu, s2)


def _fast(config: GaussianConfig, rng: np.random.Generator, record) -> None:
    """Sufficient-statistic sampler; same Markov chain as the literal one."""
    mean = np.full(config.n_chains, config.mu0)
    var = np.full(config.n_chains, config.sigma0**2)
    record(0, mean, var)
    if config.regime == "replace":
        _fast_replace(config, rng, record, mean, var)
    else:
        _fast_accumulate(config, rng, record, mean, var)


def _fast_replace(config, rng, record, mean, var) -> None:
    """sigma_{g+1}^2 = sigma_g^2 chi2_{M_g - 1} / (M_g - ddof);  mu_{g+1} = mu_g + sigma_g Z_g / sqrt(M_g).

    One generation per step on (n_chains,) buffers updated in place: drawing many
    generations at once was measured slower (the draws fall out of cache).
    """
    C, ddof = config.n_chains, _DDOF[config.estimator]
    mean, var = mean.copy(), var.copy()
    z, x, step = np.empty(C), np.empty(C), np.empty(C)
    for g, m in enumerate(config.schedule):
        rng.standard_normal(out=z)
        rng.standard_gamma((m - 1) / 2.0, out=x)  # chi2_{m-1} / 2
        np.multiply(var, 1.0 / m, out=step)
        np.sqrt(step, out=step)
        step *= z
        mean += step
        x *= 2.0 / (m - ddof)
        var *= x
        record(g + 1, mean, var)


def _fast_accumulate(config, rng, record, mean, var) -> None:
    """Pooled (count, mean, sum of squares), merged exactly each generation (Chan et al.)."""
    C, ddof = config.n_chains, _DDOF[config.estimator]
    n_pool, pool_mean, pool_ss = 0, np.zeros(C), np.zeros(C)
    for g, m in enumerate(config.schedule):
        batch_mean = mean + np.sqrt(var / m) * rng.standard_normal(C)
        batch_ss = var * (2.0 * rng.standard_gamma((m - 1) / 2.0, C))  # sigma^2 chi2_{m-1}
        n_new = n_pool + m
        delta = batch_mean - pool_mean
        pool_mean = pool_mean + delta * (m / n_new)
        pool_ss = pool_ss + batch_ss + delta**2 * (n_pool * m / n_new)
        n_pool = n_new
        mean, var = pool_mean, pool_ss / (n_pool - ddof)
        record(g + 1, mean, var)
