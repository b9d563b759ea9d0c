"""Batched EM against scikit-learn's GaussianMixture, and the GMM family's properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collapse.core.validation import InvalidArgument
from collapse.simulate.families import gmm as G
from tests import strategies as S
from tests.stats_helpers import ALPHA, z_threshold


def _two_blobs(C: int, n: int, rng, sep: float = 4.0) -> np.ndarray:
    p = G.GMMParams(np.full((C, 2), 0.5), np.array([[[-sep / 2, 0.0], [sep / 2, 0.0]]] * C),
                    np.broadcast_to(np.eye(2), (C, 2, 2, 2)).copy())
    return G.GMMFamily().sample(p, n, rng)


@settings(max_examples=6)
@given(S.seeds, st.sampled_from([100, 400, 1000]), st.booleans())
def test_batched_em_matches_sklearn_from_the_same_start(seed, n, separated):
    rng = np.random.default_rng(seed)
    x = _two_blobs(4, n, rng) if separated else G.GMMFamily().sample(G.GMMParams.blob(4), n, rng)
    init = G.kmeans_init(x, 2, rng)
    ours = G.batched_em(x, init)
    ref = G.sklearn_fit(x, init)
    # the same deterministic algorithm from the same start: agreement to round-off
    for k in ("weights", "means", "covs"):
        assert np.allclose(getattr(ours.params, k), getattr(ref, k), rtol=1e-7, atol=1e-9), k
    assert ours.converged.all()


def test_iteration_counts_match_sklearn():
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(3)
    x = G.GMMFamily().sample(G.GMMParams.blob(3), 1000, rng)
    init = G.kmeans_init(x, 2, rng)
    ours = G.batched_em(x, init)
    for c in range(3):
        gm = GaussianMixture(2, tol=1e-5, max_iter=2000, weights_init=init.weights[c], means_init=init.means[c],
                             precisions_init=np.linalg.inv(init.covs[c])).fit(x[c])
        assert gm.n_iter_ == ours.n_iter[c]


def test_kmeans_start_separates_separated_blobs():
    x = _two_blobs(6, 500, np.random.default_rng(0), sep=10.0)
    init = G.kmeans_init(x, 2, np.random.default_rng(1))
    assert np.allclose(np.sort(init.means[..., 0], axis=1), [[-5, 5]] * 6, atol=0.3)


def test_fit_sample_is_consistent():
    """Separated components: means within z * SE, SE = sqrt(sigma^2 / n_k) per coordinate."""
    n, C = 40_000, 4
    rng = np.random.default_rng(5)
    x = _two_blobs(C, n, rng, sep=8.0)
    fit = G.GMMFamily().fit(x)
    order = np.argsort(fit.means[..., 0], axis=1)
    means = np.take_along_axis(fit.means, order[..., None], axis=1)
    se = np.sqrt(1.0 / (n / 2))
    # 16 coordinates, CLT for the (asymptotically normal) MLE; total false alarm <= 1e-6
    assert np.abs(means - np.array([[-4, 0], [4, 0]])).max() <= z_threshold(ALPHA / 16) * se * 1.05
    assert np.allclose(np.take_along_axis(fit.weights, order, 1), 0.5, atol=z_threshold(ALPHA / 8) * 0.5 / np.sqrt(n))
    assert np.allclose(fit.covs, np.eye(2), atol=0.05)


def test_sample_has_the_mixture_moments():
    rng = np.random.default_rng(2)
    p = G.GMMParams(np.array([[0.25, 0.75]]), np.array([[[0.0, 0.0], [2.0, 1.0]]]),
                    np.array([[[[1.0, 0.3], [0.3, 0.5]], [[0.2, 0.0], [0.0, 0.2]]]]))
    x, lab = G.sample_labelled(p, 200_000, rng)
    assert abs((lab == 1).mean() - 0.75) <= z_threshold(ALPHA / 3) * np.sqrt(0.75 * 0.25 / 2e5)
    comp0 = x[0][lab[0] == 0]
    # covariance of component 0 within 1e-6-level CLT bounds (Var of a sample covariance <= 2 s^4 / n)
    assert np.abs(np.cov(comp0.T) - [[1.0, 0.3], [0.3, 0.5]]).max() <= z_threshold(ALPHA / 3) * np.sqrt(2 / comp0.shape[0])


@settings(max_examples=6)
@given(S.pd_covariances(), S.pd_covariances(), st.floats(-2, 2), st.floats(0.05, 0.95))
def test_l2_distance_against_numerical_integration(cov_a, cov_b, shift, w):
    a = G.GMMParams(np.array([[w, 1 - w]]), np.array([[[0.0, 0.0], [shift, 1.0]]]), np.stack([cov_a, cov_b])[None])
    b = G.GMMParams.blob(1)
    # the independent oracle: a Riemann sum of (f_a - f_b)^2 on a wide grid
    half = 6 * np.sqrt(max(np.linalg.eigvalsh(cov_a).max(), np.linalg.eigvalsh(cov_b).max(), 1.0)) + 3
    grid = np.linspace(-half, half, 501)
    X, Y = np.meshgrid(grid, grid)
    pts = np.stack([X.ravel(), Y.ravel()], -1)[None]
    fa = np.exp(np.logaddexp.reduce(G.log_prob(pts, a), axis=-1))[0]
    fb = np.exp(np.logaddexp.reduce(G.log_prob(pts, b), axis=-1))[0]
    numeric = np.sqrt(((fa - fb) ** 2).sum() * (grid[1] - grid[0]) ** 2)
    closed = G.l2_distance(a, b)[0]
    assert closed == pytest.approx(numeric, rel=2e-3, abs=2e-4)
    assert G.l2_distance(a, a)[0] == pytest.approx(0, abs=1e-7)
    assert G.l2_distance(b, a)[0] == pytest.approx(closed, rel=1e-12)


def test_chain_collapses_in_spread():
    """200 generations of the paper's protocol on 8 chains: the per-component spread shrinks.

    Fixed seed; the margin is wide (E[std] at generation 200 is about 0.55 vs 0.9 at the
    first fit in the authors' and our runs).
    """
    from collapse.simulate.loop import run_generations

    fam = G.GMMFamily(seed=1)
    std = []
    run_generations(fam, G.GMMParams.blob(8), [1000] * 200, np.random.default_rng(4),
                    on_generation=lambda g, p: std.append(G.component_std(p).mean()) if g in (1, 200) else None)
    assert std[1] < 0.8 * std[0]


def test_fit_is_reproducible():
    x = G.GMMFamily().sample(G.GMMParams.blob(3), 300, np.random.default_rng(0))
    a, b = G.GMMFamily(seed=2).fit(x), G.GMMFamily(seed=2).fit(x)
    assert np.array_equal(a.means, b.means) and np.array_equal(a.covs, b.covs)


BAD = [
    pytest.param(dict(n_components=0), "n_components", id="no-components"),
    pytest.param(dict(tol=0.0), "tol", id="zero-tol"),
    pytest.param(dict(max_iter=0), "max_iter", id="no-iterations"),
    pytest.param(dict(reg_covar=-1.0), "reg_covar", id="negative-reg"),
]


@pytest.mark.parametrize("kwargs, name", BAD)
def test_bad_family(kwargs, name):
    with pytest.raises(InvalidArgument) as err:
        G.GMMFamily(**kwargs)
    assert err.value.name == name


def test_bad_data_and_singular_covariance():
    with pytest.raises(InvalidArgument):
        G.GMMFamily().fit(np.zeros((2, 1, 2)))
    bad = G.GMMParams(np.array([[1.0]]), np.zeros((1, 1, 2)), -np.eye(2)[None, None])
    with pytest.raises(np.linalg.LinAlgError, match="reg_covar"):
        G.log_prob(np.zeros((1, 3, 2)), bad)


def test_the_sklearn_check_detects_a_different_em():
    """The comparison is sharp: EM with another reg_covar no longer matches the reference."""
    rng = np.random.default_rng(8)
    x = G.GMMFamily().sample(G.GMMParams.blob(2), 300, rng)
    init = G.kmeans_init(x, 2, rng)
    ref = G.sklearn_fit(x, init)
    wrong = G.batched_em(x, init, reg_covar=1e-3)
    assert not np.allclose(wrong.params.covs, ref.covs, rtol=1e-7, atol=1e-9)
