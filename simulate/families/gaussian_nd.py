"""The d-dimensional Gaussian chain: refit mean and covariance, literal and Wishart samplers.

``literal``  draws M points per chain from N(mu, Sigma) and refits (the generic loop);
``fast``     draws the sufficient statistics: the mean step L Z / sqrt(M) and the
             Wishart scatter matrix through its Bartlett factor A (lower triangular,
             A_jj^2 ~ chi2_{M-j}, N(0,1) below the diagonal). The chain carries the
             Cholesky factor itself, L_{i+1} = sqrt(c) L_i A, which stays lower
             triangular, so no factorisation is ever needed and log det Sigma_n =
             2 sum log diag L_n is exact even when Sigma_n underflows.

References: Shumailov et al. (2024), Theorem 3.1 (multidimensional Gaussian);
Bartlett decomposition, e.g. Muirhead, Aspects of Multivariate Statistical
Theory (1982), Theorem 3.2.14.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from collapse.core.validation import InvalidArgument, check_choice, check_int, check_schedule
from collapse.simulate.base import as_generator, check_weights
from collapse.simulate.families.gaussian import ESTIMATORS, SAMPLERS, _keep_mask
from collapse.simulate.loop import Regime, run_generations

_DDOF = {"unbiased": 1, "mle": 0}

__all__ = ["GaussianNDChain", "GaussianNDConfig", "GaussianNDFamily", "GaussianNDParams", "simulate_gaussian_nd"]


@dataclasses.dataclass(frozen=True)
class GaussianNDParams:
    """``mean`` : (n_chains, d); ``cov`` : (n_chains, d, d)."""

    mean: np.ndarray
    cov: np.ndarray


@dataclasses.dataclass(frozen=True)
class GaussianNDFamily:
    estimator: str = "unbiased"
    name: str = "gaussian-nd"

    def __post_init__(self) -> None:
        check_choice("estimator", self.estimator, ESTIMATORS)

    def fit(self, data: np.ndarray) -> GaussianNDParams:
        """``data`` : (n_chains, n_samples, d) -> sample mean and covariance per chain."""
        if data.ndim != 3 or data.shape[1] < 2:
            raise InvalidArgument("data", "an array of shape (n_chains, n_samples >= 2, d)", data.shape)
        mean = data.mean(axis=1)
        dev = data - mean[:, None, :]
        cov = np.einsum("cmi,cmj->cij", dev, dev) / (data.shape[1] - _DDOF[self.estimator])
        return GaussianNDParams(mean, cov)

    def fit_weighted(self, data: np.ndarray, weights: np.ndarray) -> GaussianNDParams:
        """Weighted mean and covariance sum_i w_i (x_i - mean)(x_i - mean)^T, divided by
        1 - sum_i w_i^2 for ``unbiased``. ``data`` (n_chains, n_samples, d), ``weights`` (n_chains, n_samples)."""
        if data.ndim != 3 or data.shape[1] < 2:
            raise InvalidArgument("data", "an array of shape (n_chains, n_samples >= 2, d)", data.shape)
        w = check_weights(data, weights)
        mean = np.einsum("cm,cmi->ci", w, data)
        dev = data - mean[:, None, :]
        cov = np.einsum("cm,cmi,cmj->cij", w, dev, dev)
        if self.estimator == "unbiased":
            norm = 1.0 - (w**2).sum(axis=1)
            if np.any(norm <= 0):
                raise InvalidArgument("weights", "at least two points of positive weight per chain (the unbiased "
                                      "covariance divides by 1 - sum w^2)", int(np.argmin(norm)))
            cov = cov / norm[:, None, None]
        return GaussianNDParams(mean, cov)

    def log_density(self, params: GaussianNDParams, x: np.ndarray) -> np.ndarray:
        """log N(x; mean, cov) per chain: ``x`` (n_chains, n, d) -> (n_chains, n); cov positive definite."""
        L = np.linalg.cholesky(params.cov)  # (C, d, d)
        y = np.linalg.solve(L, np.swapaxes(x - params.mean[:, None, :], 1, 2))  # (C, d, n)
        return -0.5 * (y**2).sum(axis=1) + self.max_log_density(params)[:, None]

    def max_log_density(self, params: GaussianNDParams) -> np.ndarray:
        """log of the density at the mean, -(d log 2 pi + log det cov) / 2, shape (n_chains,)."""
        d = params.mean.shape[1]
        return -0.5 * (d * np.log(2 * np.pi) + np.linalg.slogdet(params.cov)[1])

    def sample(self, params: GaussianNDParams, m: int, rng: np.random.Generator) -> np.ndarray:
        """(n_chains, m, d) points; the covariance is factorised by an eigendecomposition (PSD-safe)."""
        w, v = np.linalg.eigh(params.cov)
        root = v * np.sqrt(np.clip(w, 0.0, None))[:, None, :]  # root @ root.T = cov
        z = rng.standard_normal((params.mean.shape[0], m, params.mean.shape[1]))
        return params.mean[:, None, :] + np.einsum("cij,cmj->cmi", root, z)


@dataclasses.dataclass(frozen=True)
class GaussianNDConfig:
    """``cov0`` is Sigma_0 (default identity); M_i - 1 >= d is required for a nonsingular fit."""

    n_chains: int
    schedule: tuple[int, ...]
    dim: int = 2
    cov0: tuple[tuple[float, ...], ...] | None = None
    estimator: str = "unbiased"
    regime: str = "replace"
    sampler: str = "fast"

    def __post_init__(self) -> None:
        check_int("n_chains", self.n_chains, minimum=1)
        check_int("dim", self.dim, minimum=1)
        object.__setattr__(self, "schedule", check_schedule("schedule (samples per generation)", self.schedule,
                                                            minimum=self.dim + 1))
        check_choice("estimator", self.estimator, ESTIMATORS)
        check_choice("sampler", self.sampler, SAMPLERS)
        if self.sampler == "literal":  # the generic loop runs every regime
            object.__setattr__(self, "regime", str(Regime.parse(self.regime)))
        else:
            check_choice("regime", self.regime, ("replace",))
        if self.cov0 is not None:
            c = np.asarray(self.cov0, dtype=float)
            if c.shape != (self.dim, self.dim) or not np.all(np.isfinite(c)) or not np.allclose(c, c.T):
                raise InvalidArgument("cov0", f"a finite symmetric {self.dim}x{self.dim} matrix", self.cov0)
            if np.linalg.eigvalsh(c).min() <= 0:
                raise InvalidArgument("cov0", "a positive-definite matrix", self.cov0)

    def sigma0(self) -> np.ndarray:
        return np.eye(self.dim) if self.cov0 is None else np.asarray(self.cov0, dtype=float)


@dataclasses.dataclass(frozen=True)
class GaussianNDChain:
    """``mean`` (n_chains, K, d), ``cov`` (n_chains, K, d, d), ``logdet`` (n_chains, K) at ``generations`` (K,)."""

    config: GaussianNDConfig
    generations: np.ndarray
    mean: np.ndarray
    cov: np.ndarray
    logdet: np.ndarray


def simulate_gaussian_nd(config: GaussianNDConfig, rng: np.random.Generator,
                         *, keep: Sequence[int] | None = None) -> GaussianNDChain:
    rng = as_generator(rng)
    C, d, G = config.n_chains, config.dim, len(config.schedule)
    mask = _keep_mask(G, keep)
    gens = np.flatnonzero(mask)
    slot = {g: k for k, g in enumerate(gens)}
    mean = np.empty((C, gens.size, d))
    cov = np.empty((C, gens.size, d, d))
    logdet = np.empty((C, gens.size))

    def record(g, m, S, ld):
        if mask[g]:
            mean[:, slot[g]], cov[:, slot[g]], logdet[:, slot[g]] = m, S, ld

    S0 = config.sigma0()
    if config.sampler == "literal":
        fam = GaussianNDFamily(config.estimator)
        p0 = GaussianNDParams(np.zeros((C, d)), np.broadcast_to(S0, (C, d, d)).copy())
        run_generations(fam, p0, config.schedule, rng, regime=config.regime,
                        on_generation=lambda g, p: record(g, p.mean, p.cov, np.linalg.slogdet(p.cov)[1]))
    else:
        _fast(config, rng, record, S0)
    return GaussianNDChain(config, gens, mean, cov, logdet)


def _fast(config: GaussianNDConfig, rng: np.random.Generator, record, S0: np.ndarray) -> None:
    C, d, ddof = config.n_chains, config.dim, _DDOF[config.estimator]
    L = np.broadcast_to(np.linalg.cholesky(S0), (C, d, d)).copy()
    mean = np.zeros((C, d))
    logdet = np.full(C, np.linalg.slogdet(S0)[1])
    record(0, mean, S0, logdet)
    rows, cols = np.tril_indices(d, -1)
    dof = np.arange(d)  # row j (0-based) has chi2_{M-1-j} on the diagonal
    for g, m in enumerate(config.schedule):
        mean = mean + np.einsum("cij,cj->ci", L, rng.standard_normal((C, d))) / np.sqrt(m)
        A = np.zeros((C, d, d))
        chi = 2.0 * rng.standard_gamma((m - 1 - dof) / 2.0, size=(C, d))
        A[:, dof, dof] = np.sqrt(chi)
        A[:, rows, cols] = rng.standard_normal((C, rows.size))
        L = np.sqrt(1.0 / (m - ddof)) * (L @ A)
        logdet = logdet + np.log(chi).sum(axis=1) - d * np.log(m - ddof)
        record(g + 1, mean, L @ np.swapaxes(L, 1, 2), logdet)
