"""Gaussian kernel density estimates refitted on their own samples.

The fitted model of a generation is the KDE of its training set with a fixed
bandwidth ``h``: the sum of Gaussian kernels N(x_j, h^2 I) centred on the points.
Sampling picks a uniformly random centre and adds kernel noise. The kernel
spreads the data (+h^2 per generation) while resampling loses spread (a factor
(M - 1)/M), so the sample variance settles at (M - 1) h^2 (see
:func:`analytic.mixing.kde_variance`) instead of collapsing; the shape of p_0,
however, is forgotten.

References: Shumailov et al. (2024), Supplementary Material ("density estimation
in Hilbert spaces": the functional-approximation error of a kernel estimator).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from collapse.core.validation import InvalidArgument, check_positive_real

__all__ = ["KDEFamily", "KDEParams"]


@dataclasses.dataclass(frozen=True, eq=False)
class KDEParams:
    """Kernel centres, one set per chain: ``centres`` (n_chains, n, d); ``bandwidth`` h."""

    centres: np.ndarray
    bandwidth: float

    def density(self, x: np.ndarray) -> np.ndarray:
        """The estimated density at ``x`` (n_chains, q, d) -> (n_chains, q)."""
        d = self.centres.shape[-1]
        h = self.bandwidth
        d2 = ((x[:, :, None, :] - self.centres[:, None, :, :]) ** 2).sum(-1)  # (C, q, n)
        return np.exp(-0.5 * d2 / h**2).mean(-1) / (2 * np.pi * h**2) ** (d / 2)


@dataclasses.dataclass(frozen=True)
class KDEFamily:
    """Gaussian-kernel KDE with fixed bandwidth ``bandwidth`` in ``dim`` dimensions."""

    bandwidth: float = 0.1
    name: str = "kde"

    def __post_init__(self) -> None:
        check_positive_real("bandwidth", self.bandwidth)

    def fit(self, data: np.ndarray) -> KDEParams:
        """``data`` : ndarray of shape (n_chains, n_samples, d) or (n_chains, n_samples) for d = 1."""
        data = np.asarray(data, dtype=float)
        if data.ndim == 2:
            data = data[..., None]
        if data.ndim != 3 or data.shape[1] < 1:
            raise InvalidArgument("data", "an array of shape (n_chains, n_samples >= 1[, d])", data.shape)
        return KDEParams(data, self.bandwidth)

    def sample(self, params: KDEParams, m: int, rng: np.random.Generator) -> np.ndarray:
        """Return ndarray of shape (n_chains, m, d): a random centre plus N(0, h^2 I) noise."""
        C, n, d = params.centres.shape
        idx = rng.integers(0, n, size=(C, m))
        picked = np.take_along_axis(params.centres, idx[..., None], axis=1)
        return picked + params.bandwidth * rng.standard_normal((C, m, d))
