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
from collapse.simulate.base import check_weights
from collapse.simulate.families.discrete import DiscreteFamily, DiscreteParams

__all__ = ["KDEFamily", "KDEParams"]


@dataclasses.dataclass(frozen=True, eq=False)
class KDEParams:
    """Kernel centres, one set per chain: ``centres`` (n_chains, n, d); ``bandwidth`` h;
    ``weights`` (n_chains, n), the centres' mixture weights (None: equal, 1/n; a weighted fit's)."""

    centres: np.ndarray
    bandwidth: float
    weights: np.ndarray | None = None

    def _mixture(self) -> np.ndarray:
        C, n = self.centres.shape[:2]
        return np.full((C, n), 1.0 / n) if self.weights is None else self.weights

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """log of the estimated density at ``x`` (n_chains, q, d) -> (n_chains, q), in chunks of query points
        (a chunk holds at most about 2^22 point-centre pairs)."""
        C, n, d = self.centres.shape
        h = self.bandwidth
        with np.errstate(divide="ignore"):
            logw = np.log(self._mixture())[:, None, :]  # (C, 1, n)
        out = np.empty(x.shape[:2])
        step = max(1, 2**22 // max(C * n * d, 1))
        for a in range(0, x.shape[1], step):
            d2 = ((x[:, a:a + step, None, :] - self.centres[:, None, :, :]) ** 2).sum(-1)  # (C, q, n)
            t = logw - 0.5 * d2 / h**2
            top = t.max(-1, keepdims=True)
            out[:, a:a + step] = (top + np.log(np.exp(t - top).sum(-1, keepdims=True)))[..., 0]
        return out - 0.5 * d * np.log(2 * np.pi * h**2)

    def density(self, x: np.ndarray) -> np.ndarray:
        """The estimated density at ``x`` (n_chains, q, d) -> (n_chains, q)."""
        if self.weights is not None:
            return np.exp(self.log_density(x))
        d = self.centres.shape[-1]
        h = self.bandwidth
        d2 = ((x[:, :, None, :] - self.centres[:, None, :, :]) ** 2).sum(-1)  # (C, q, n)
        return np.exp(-0.5 * d2 / h**2).mean(-1) / (2 * np.pi * h**2) ** (d / 2)


#: ``max_log_density`` runs mean-shift from this many of the highest-density centres
MODE_STARTS = 32


@dataclasses.dataclass(frozen=True)
class KDEFamily:
    """Gaussian-kernel KDE with fixed bandwidth ``bandwidth`` in ``dim`` dimensions."""

    bandwidth: float = 0.1
    name: str = "kde"

    def __post_init__(self) -> None:
        check_positive_real("bandwidth", self.bandwidth)

    @staticmethod
    def _points(data: np.ndarray) -> np.ndarray:
        data = np.asarray(data, dtype=float)
        if data.ndim == 2:
            data = data[..., None]
        if data.ndim != 3 or data.shape[1] < 1:
            raise InvalidArgument("data", "an array of shape (n_chains, n_samples >= 1[, d])", data.shape)
        return data

    def fit(self, data: np.ndarray) -> KDEParams:
        """``data`` : ndarray of shape (n_chains, n_samples, d) or (n_chains, n_samples) for d = 1."""
        return KDEParams(self._points(data), self.bandwidth)

    def fit_weighted(self, data: np.ndarray, weights: np.ndarray) -> KDEParams:
        """The weighted kernel mixture sum_i w_i N(x_i, h^2 I); ``weights`` (n_chains, n_samples)."""
        data = self._points(data)
        return KDEParams(data, self.bandwidth, check_weights(data, weights))

    def sample(self, params: KDEParams, m: int, rng: np.random.Generator) -> np.ndarray:
        """Return ndarray of shape (n_chains, m, d): a random centre (by weight) plus N(0, h^2 I) noise."""
        C, n, d = params.centres.shape
        if params.weights is None:
            idx = rng.integers(0, n, size=(C, m))
        else:  # inverse CDF of the weights: a centre of weight 0 is never picked
            idx = DiscreteFamily(n).sample(DiscreteParams(params.weights), m, rng)
        picked = np.take_along_axis(params.centres, idx[..., None], axis=1)
        return picked + params.bandwidth * rng.standard_normal((C, m, d))

    def log_density(self, params: KDEParams, x: np.ndarray) -> np.ndarray:
        """log of the kernel mixture at ``x`` (n_chains, q, d) or (n_chains, q) -> (n_chains, q)."""
        x = np.asarray(x, dtype=float)
        return params.log_density(x[..., None] if x.ndim == 2 else x)

    def max_log_density(self, params: KDEParams, *, iterations: int = 500) -> np.ndarray:
        """log max of each chain's mixture, (n_chains,): Gaussian mean-shift (a fixed-point ascent,
        x <- sum_j r_j(x) c_j) from the :data:`MODE_STARTS` centres of highest density.

        Mean-shift never decreases the density (Carreira-Perpinan, "Gaussian mean-shift is an
        EM algorithm", IEEE TPAMI 2007), so the result is at least the best start's density;
        it is the global maximum when that lies in the basin of a start (a numerical maximum:
        the ``curate`` regime counts a candidate above it as at the maximum).
        """
        c, h = params.centres, params.bandwidth
        n = c.shape[1]
        at_centres = params.log_density(c)  # (C, n)
        k = min(n, MODE_STARTS)
        x = np.take_along_axis(c, np.argsort(-at_centres, axis=1)[:, :k, None], axis=1)  # (C, k, d)
        with np.errstate(divide="ignore"):
            logw = np.log(params._mixture())[:, None, :]
        for _ in range(iterations):
            t = logw - 0.5 * ((x[:, :, None, :] - c[:, None, :, :]) ** 2).sum(-1) / h**2  # (C, k, n)
            r = np.exp(t - t.max(-1, keepdims=True))
            new = (r @ c) / r.sum(-1, keepdims=True)
            done = np.abs(new - x).max() <= 1e-12 * h
            x = new
            if done:
                break
        return np.maximum(params.log_density(x).max(axis=1), at_centres.max(axis=1))
