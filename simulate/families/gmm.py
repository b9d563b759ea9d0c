"""Gaussian mixtures refitted by EM, batched over chains (Supplementary Material).

The experiment: 1000 points from one 2-D isotropic blob, a 2-component
full-covariance mixture fitted by EM (tol 1e-5, at most 2000 iterations) and
resampled, for about 2000 generations. The reference implementation is
scikit-learn's :class:`sklearn.mixture.GaussianMixture`; :func:`batched_em` runs
the same EM (same E- and M-steps, same ``reg_covar``, same stopping rule: the
change of the mean log-likelihood below ``tol``) for many chains in one set of
numpy calls, dropping each chain from the work as it converges.
Initialisation follows scikit-learn's default too: k-means (k-means++ seeding,
Lloyd iterations), then one M-step from the hard labels.

References: Shumailov et al. (2024), Supplementary Material, "Gaussian mixture"
figure; scikit-learn ``sklearn/mixture/_gaussian_mixture.py`` (the algorithm,
re-implemented from its documented behaviour, not copied).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from collapse.core.validation import InvalidArgument, check_int, check_positive_real
from collapse.simulate.base import check_weights

__all__ = ["EMResult", "GMMFamily", "GMMParams", "batched_em", "component_std", "kmeans_init", "l2_distance",
           "log_prob", "sklearn_fit"]

_LOG2PI = np.log(2 * np.pi)


@dataclasses.dataclass(frozen=True, eq=False)
class GMMParams:
    """Mixtures, one per chain.

    ``weights`` : (n_chains, K); ``means`` : (n_chains, K, d); ``covs`` : (n_chains, K, d, d).
    """

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray

    @classmethod
    def blob(cls, n_chains: int, n_components: int = 2, dim: int = 2, std: float = 1.0) -> "GMMParams":
        """One isotropic Gaussian N(0, std^2 I) written as K equal components (generation 0)."""
        C, K, d = n_chains, n_components, dim
        return cls(np.full((C, K), 1.0 / K), np.zeros((C, K, d)), np.broadcast_to(std**2 * np.eye(d), (C, K, d, d)).copy())

    def take(self, rows: np.ndarray) -> "GMMParams":
        return GMMParams(self.weights[rows], self.means[rows], self.covs[rows])


@dataclasses.dataclass(frozen=True, eq=False)
class EMResult:
    """``params`` fitted; ``n_iter`` (n_chains,) EM iterations; ``converged`` (n_chains,) bool;
    ``lower_bound`` (n_chains,) mean log-likelihood at the last E-step."""

    params: GMMParams
    n_iter: np.ndarray
    converged: np.ndarray
    lower_bound: np.ndarray


def _check_pd(covs: np.ndarray) -> np.ndarray:
    """Cholesky factors of ``covs``; a numerical failure is re-raised with advice."""
    try:
        return np.linalg.cholesky(covs)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            "a fitted covariance is not positive definite (a component collapsed onto too few "
            "points); increase reg_covar or the sample size") from None


def _features(x: np.ndarray) -> np.ndarray:
    """[1, x_i, x_i x_j (i <= j)] per point: (C, N, d) -> (C, N, 1 + d + d(d+1)/2).

    Both EM steps are linear in these: the M-step needs their responsibility-weighted
    sums, and a Gaussian log-density is a linear function of them. Each EM iteration
    is then two batched matrix products instead of per-component loops.
    """
    iu = np.triu_indices(x.shape[-1])
    quad = (x[..., :, None] * x[..., None, :])[..., iu[0], iu[1]]
    return np.concatenate([np.ones(x.shape[:-1] + (1,)), x, quad], axis=-1)


def _log_density_coefs(params: GMMParams) -> np.ndarray:
    """Q with F @ Q = log w_k + log N(x; mu_k, Sigma_k), shape (C, n_features, K)."""
    L = _check_pd(params.covs)
    d = params.covs.shape[-1]
    P = np.linalg.inv(params.covs)  # precisions (C, K, d, d)
    P = 0.5 * (P + np.swapaxes(P, -1, -2))
    Pmu = np.einsum("ckde,cke->ckd", P, params.means)
    log_det = 2 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    with np.errstate(divide="ignore"):
        const = np.log(params.weights) - 0.5 * (d * _LOG2PI + log_det + (Pmu * params.means).sum(-1))
    iu = np.triu_indices(d)
    # -x^T P x / 2 : diagonal terms once, off-diagonal ones twice (x_i x_j with i < j)
    quad = -0.5 * P[..., iu[0], iu[1]] * np.where(iu[0] == iu[1], 1.0, 2.0)
    return np.concatenate([const[..., None], Pmu, quad], axis=-1).transpose(0, 2, 1)


def log_prob(x: np.ndarray, params: GMMParams) -> np.ndarray:
    """log w_k + log N(x; mu_k, Sigma_k). ``x`` (C, N, d) -> (C, N, K)."""
    return _features(x) @ _log_density_coefs(params)


def _e_step(Ft: np.ndarray, params: GMMParams, wn: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (mean log-likelihood (C,), responsibilities (C, K, N)) from features (C, n_features, N).

    Components lie on axis 1, so the log-sum-exp over them is a few elementwise
    operations on (C, N) slices (numpy reductions over a length-2 last axis are slow).
    With point weights ``wn`` (C, N) the mean is the weighted one and the responsibilities
    are multiplied by the weights (what the weighted M-step sums).
    """
    wlp = np.swapaxes(_log_density_coefs(params), 1, 2) @ Ft  # (C, K, N)
    K = wlp.shape[1]
    mx = wlp[:, 0].copy()
    for k in range(1, K):
        np.maximum(mx, wlp[:, k], out=mx)
    wlp -= mx[:, None]
    np.exp(wlp, out=wlp)
    tot = wlp[:, 0].copy()
    for k in range(1, K):
        tot += wlp[:, k]
    lse = mx + np.log(tot)  # (C, N)
    wlp /= tot[:, None]
    if wn is None:
        return lse.mean(-1), wlp
    wlp *= wn[:, None, :]
    return (lse * wn).sum(-1) / wn.sum(-1), wlp


def _m_step(F: np.ndarray, resp: np.ndarray, reg_covar: float, d: int) -> GMMParams:
    """Weighted means and full covariances (+ reg_covar on the diagonal), as scikit-learn.

    ``F`` : (C, N, n_features); ``resp`` : (C, K, N).
    """
    S = resp @ F  # (C, K, N) @ (C, N, n_features): weighted sums of 1, x, x x^T
    nk = S[..., 0] + 10 * np.finfo(resp.dtype).eps
    means = S[..., 1:1 + d] / nk[..., None]
    iu = np.triu_indices(d)
    second = np.zeros(nk.shape + (d, d))
    second[..., iu[0], iu[1]] = S[..., 1 + d:] / nk[..., None]
    second[..., iu[1], iu[0]] = second[..., iu[0], iu[1]]
    covs = second - means[..., :, None] * means[..., None, :] + reg_covar * np.eye(d)
    return GMMParams(nk / nk.sum(-1, keepdims=True), means, covs)


def _scaled(weights: np.ndarray | None) -> np.ndarray | None:
    """Point weights divided by each chain's largest: equal weights become exactly 1.0, so that
    the weighted k-means and EM below repeat the unweighted ones operation for operation."""
    if weights is None:
        return None
    return weights / weights.max(axis=1, keepdims=True)


def kmeans_init(x: np.ndarray, n_components: int, rng: np.random.Generator, *, reg_covar: float = 1e-6,
                max_iter: int = 300, weights: np.ndarray | None = None) -> GMMParams:
    """k-means++ seeding and Lloyd iterations per chain, then an M-step from the labels.

    ``x`` : (C, N, d). Returns the starting :class:`GMMParams` (scikit-learn's default
    ``init_params="kmeans"``, re-implemented in batch). With ``weights`` (C, N): the first
    centre is uniform over the points of positive weight, the D^2 seeding and the cluster
    means are weighted (equal weights give the unweighted start, draw for draw).
    """
    C, N, d = x.shape
    K, rows = n_components, np.arange(C)
    wn = _scaled(weights)
    if wn is None:
        first = rng.integers(0, N, C)
    else:  # the j-th point of positive weight; with all weights positive, the same draw as above
        pos = wn > 0
        j = rng.integers(0, pos.sum(axis=1))
        first = np.argmax(np.cumsum(pos, axis=1) > j[:, None], axis=1)
    centers = x[rows, first][:, None, :]  # (C, 1, d)
    for _ in range(1, K):
        d2 = ((x[:, :, None, :] - centers[:, None]) ** 2).sum(-1).min(-1)  # (C, N)
        if wn is not None:
            d2 = d2 * wn
        cdf = np.cumsum(d2, axis=1)
        pick = (cdf < rng.random(C)[:, None] * cdf[:, -1:]).sum(1).clip(max=N - 1)
        centers = np.concatenate([centers, x[rows, pick][:, None, :]], axis=1)
    xt = np.ascontiguousarray(np.swapaxes(x, 1, 2))  # (C, d, N)
    ks = np.arange(K)[None, :, None]
    labels = np.full((C, N), -1)
    for _ in range(max_iter):
        # |x - c|^2 up to the per-point constant |x|^2, components on axis 1: (C, K, N)
        d2 = (centers**2).sum(-1)[..., None] - 2 * centers @ xt
        best, new = d2[:, 0].copy(), np.zeros((C, N), dtype=np.int64)
        for k in range(1, K):  # argmin over a short axis, elementwise
            better = d2[:, k] < best
            best[better], new[better] = d2[:, k][better], k
        if np.array_equal(new, labels):
            break
        labels = new
        onehot = (labels[:, None, :] == ks).astype(float)  # (C, K, N)
        if wn is not None:
            onehot *= wn[:, None, :]
        cnt = onehot.sum(-1)
        sums = onehot @ x
        # an emptied cluster keeps its centre
        if wn is None:
            centers = np.where(cnt[..., None] > 0, sums / np.maximum(cnt, 1)[..., None], centers)
        else:
            centers = np.where(cnt[..., None] > 0, sums / np.where(cnt > 0, cnt, 1.0)[..., None], centers)
    onehot = (labels[:, None, :] == ks).astype(float)
    return _m_step(_features(x), onehot if wn is None else onehot * wn[:, None, :], reg_covar, d)


def batched_em(x: np.ndarray, init: GMMParams, *, tol: float = 1e-5, max_iter: int = 2000,
               reg_covar: float = 1e-6, weights: np.ndarray | None = None) -> EMResult:
    """Run EM for every chain from ``init`` until its log-likelihood changes by < ``tol``.

    Parameters
    ----------
    x : ndarray of shape (n_chains, n_samples, d)
    init : GMMParams
        Starting mixtures (leading axis n_chains).
    tol, max_iter, reg_covar :
        As scikit-learn's ``GaussianMixture``.
    weights : ndarray of shape (n_chains, n_samples), optional
        Point weights: weighted EM maximises sum_i w_i log p(x_i) (the responsibilities of the
        M-step are multiplied by the weights; the stopping rule reads the weighted mean
        log-likelihood). Only their ratios matter.

    Returns
    -------
    EMResult
    """
    C, _, d = x.shape
    # EM is translation-equivariant: centre each chain's data so that the
    # second moments below do not cancel catastrophically once components are narrow
    shift = x.mean(1, keepdims=True)  # (C, 1, d)
    F = _features(x - shift)  # (C, N, n_features)
    Ft = np.ascontiguousarray(np.swapaxes(F, 1, 2))  # (C, n_features, N)
    wn = _scaled(weights)
    mix, means, covs = init.weights.copy(), init.means - shift, init.covs.copy()
    n_iter = np.zeros(C, dtype=np.int64)
    converged = np.zeros(C, dtype=bool)
    lower = np.full(C, -np.inf)
    active = np.arange(C)
    cur = GMMParams(mix.copy(), means.copy(), covs.copy())
    for it in range(1, max_iter + 1):
        lb, resp = _e_step(Ft, cur, wn)
        cur = _m_step(F, resp, reg_covar, d)
        mix[active], means[active], covs[active] = cur.weights, cur.means, cur.covs
        n_iter[active] = it
        done = np.abs(lb - lower[active]) < tol
        lower[active] = lb
        converged[active[done]] = True
        if done.any():
            keep = ~done  # converged chains leave the work
            active, cur, F, Ft = active[keep], cur.take(keep), F[keep], Ft[keep]
            wn = None if wn is None else wn[keep]
        if active.size == 0:
            break
    return EMResult(GMMParams(mix, means + shift, covs), n_iter, converged, lower)


@dataclasses.dataclass(frozen=True)
class GMMFamily:
    """K-component full-covariance mixtures fitted by batched EM from a k-means start.

    EM's start is random (k-means++); ``fit`` takes no generator, so each fit
    draws its start from a generator seeded by ``seed`` and the data's bytes: a
    fit is a pure, reproducible function of its data.
    """

    n_components: int = 2
    tol: float = 1e-5
    max_iter: int = 2000
    reg_covar: float = 1e-6
    seed: int = 0
    name: str = "gmm"

    def __post_init__(self) -> None:
        check_int("n_components", self.n_components, minimum=1)
        check_positive_real("tol", self.tol)
        check_int("max_iter", self.max_iter, minimum=1)
        check_positive_real("reg_covar", self.reg_covar)
        check_int("seed", self.seed, minimum=0)

    def fit(self, data: np.ndarray) -> GMMParams:
        """``data`` : ndarray of shape (n_chains, n_samples, d), n_samples >= n_components."""
        if data.ndim != 3 or data.shape[1] < self.n_components:
            raise InvalidArgument("data", f"an array of shape (n_chains, n_samples >= {self.n_components}, d)",
                                  data.shape)
        return self._fit(data, None)

    def fit_weighted(self, data: np.ndarray, weights: np.ndarray) -> GMMParams:
        """Weighted EM (maximising sum_i w_i log p(x_i)) from a weighted k-means start; ``weights``
        (n_chains, n_samples). The start is seeded from the data's bytes as in :meth:`fit`, so
        equal weights give :meth:`fit`'s mixtures."""
        if data.ndim != 3 or data.shape[1] < self.n_components:
            raise InvalidArgument("data", f"an array of shape (n_chains, n_samples >= {self.n_components}, d)",
                                  data.shape)
        w = check_weights(data, weights)
        if np.any((w > 0).sum(axis=1) < self.n_components):
            raise InvalidArgument("weights", f"at least {self.n_components} points of positive weight per chain",
                                  int(np.min((w > 0).sum(axis=1))))
        return self._fit(data, w)

    def _fit(self, data: np.ndarray, weights: np.ndarray | None) -> GMMParams:
        import zlib

        rng = np.random.default_rng([self.seed, zlib.crc32(np.ascontiguousarray(data).view(np.uint8))])
        init = kmeans_init(data, self.n_components, rng, reg_covar=self.reg_covar, weights=weights)
        return batched_em(data, init, tol=self.tol, max_iter=self.max_iter, reg_covar=self.reg_covar,
                          weights=weights).params

    def sample(self, params: GMMParams, m: int, rng: np.random.Generator) -> np.ndarray:
        """Return ndarray of shape (n_chains, m, d): component by inverse CDF, then mu + L z."""
        return sample_labelled(params, m, rng)[0]

    def log_density(self, params: GMMParams, x: np.ndarray) -> np.ndarray:
        """log of the mixture density at ``x`` (n_chains, n, d) -> (n_chains, n)."""
        return _logsumexp(log_prob(np.asarray(x, dtype=float), params))

    def max_log_density(self, params: GMMParams, *, iterations: int = 500) -> np.ndarray:
        """log max of each chain's mixture density, (n_chains,), by the Gaussian mean-shift
        fixed point x <- (sum_k r_k P_k)^-1 sum_k r_k P_k mu_k (P_k = Sigma_k^-1, r_k(x) the
        responsibilities) from every component mean.

        The iteration never decreases the density (Carreira-Perpinan, "Gaussian mean-shift is
        an EM algorithm", IEEE TPAMI 2007); the global maximum is found when it lies in the
        basin of a component mean (always for one Gaussian written as K equal components, the
        experiment's generation 0). A numerical maximum: ``curate`` counts a candidate above it
        as at the maximum.
        """
        P = np.linalg.inv(params.covs)  # (C, K, d, d)
        Pmu = np.einsum("ckde,cke->ckd", P, params.means)
        x = params.means.copy()  # (C, K starts, d)
        for _ in range(iterations):
            r = np.exp(log_prob(x, params) - self.log_density(params, x)[..., None])  # (C, starts, K)
            A = np.einsum("csk,ckde->csde", r, P)
            new = np.linalg.solve(A, np.einsum("csk,ckd->csd", r, Pmu)[..., None])[..., 0]
            scale = np.sqrt(np.trace(params.covs, axis1=-2, axis2=-1).max())
            done = np.abs(new - x).max() <= 1e-12 * scale
            x = new
            if done:
                break
        return np.maximum(self.log_density(params, x).max(axis=1), self.log_density(params, params.means).max(1))


def sample_labelled(params: GMMParams, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draws (n_chains, m, d) and their component labels (n_chains, m)."""
    C, K, d = params.means.shape
    cdf = np.cumsum(params.weights, axis=1)
    labels = (rng.random((C, m))[:, :, None] >= cdf[:, None, :-1]).sum(-1)  # (C, m)
    L = np.linalg.cholesky(params.covs)  # (C, K, d, d)
    z = rng.standard_normal((C, m, d))
    rows = np.arange(C)[:, None]
    x = params.means[rows, labels] + np.einsum("cmde,cme->cmd", L[rows, labels], z)
    return x, labels


def _logsumexp(t: np.ndarray) -> np.ndarray:
    """log sum_k exp t[..., k] (-inf when every term is -inf)."""
    top = t.max(-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return (top + np.log(np.exp(t - top).sum(-1, keepdims=True)))[..., 0]


def _cross(a: GMMParams, b: GMMParams) -> np.ndarray:
    """int f_a f_b dx = sum_ij w_i w_j N(mu_i; mu_j, S_i + S_j), per chain (C,)."""
    S = a.covs[:, :, None] + b.covs[:, None, :]  # (C, Ka, Kb, d, d)
    diff = a.means[:, :, None] - b.means[:, None, :]  # (C, Ka, Kb, d)
    L = np.linalg.cholesky(S)
    y = np.linalg.solve(L, diff[..., None])[..., 0]
    d = diff.shape[-1]
    logn = -0.5 * (d * _LOG2PI + (y**2).sum(-1)) - np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(-1)
    return np.einsum("ci,cj,cij->c", a.weights, b.weights, np.exp(logn))


def l2_distance(a: GMMParams, b: GMMParams) -> np.ndarray:
    """Closed-form L2 distance ||f_a - f_b||_2 between mixtures, per chain, shape (C,).

    ||f - g||^2 = <f, f> + <g, g> - 2 <f, g>, each a double sum of Gaussian
    product integrals int N(x; m1, S1) N(x; m2, S2) dx = N(m1; m2, S1 + S2).
    """
    sq = _cross(a, a) + _cross(b, b) - 2 * _cross(a, b)
    return np.sqrt(np.maximum(sq, 0.0))


def component_std(params: GMMParams) -> np.ndarray:
    """Per-component standard deviation sqrt(trace(Sigma_k) / d), shape (n_chains, K)."""
    d = params.covs.shape[-1]
    return np.sqrt(np.trace(params.covs, axis1=-2, axis2=-1) / d)


def sklearn_fit(x: np.ndarray, init: GMMParams | None = None, *, n_components: int = 2, tol: float = 1e-5,
                max_iter: int = 2000, reg_covar: float = 1e-6, seed: int = 0) -> GMMParams:
    """The reference: one scikit-learn ``GaussianMixture`` fit per chain (a Python loop).

    With ``init`` the fits start from the given mixtures (the check of :func:`batched_em`);
    without, from scikit-learn's own k-means start with ``random_state = seed + chain``.
    """
    from sklearn.mixture import GaussianMixture
    from threadpoolctl import threadpool_limits

    C = x.shape[0]
    out = []
    with threadpool_limits(1):  # k-means threads thrash on a busy machine; one fit is small
        for c in range(C):
            kw = {}
            if init is not None:
                kw = dict(weights_init=init.weights[c], means_init=init.means[c],
                          precisions_init=np.linalg.inv(init.covs[c]))
            gm = GaussianMixture(n_components, covariance_type="full", tol=tol, max_iter=max_iter,
                                 reg_covar=reg_covar, random_state=seed + c, **kw).fit(x[c])
            out.append((gm.weights_, gm.means_, gm.covariances_))
    return GMMParams(*(np.stack(z) for z in zip(*out)))
