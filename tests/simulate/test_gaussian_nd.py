"""simulate.gaussian_nd against analytic.gaussian_nd and scipy's Wishart (stated false-alarm levels)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from collapse.analytic.gaussian_nd import evaluate_nd
from collapse.core.validation import InvalidArgument
from collapse.simulate.families.gaussian_nd import GaussianNDConfig, simulate_gaussian_nd
from tests.stats_helpers import assert_mean, per_assertion_alpha
from tests.strategies import estimators, seeds


@given(dim=st.integers(1, 4), extra=st.integers(0, 30), est=estimators, seed=seeds)
def test_one_step_matches_scipy_wishart(dim, extra, est, seed):
    """(M - ddof) Sigma_1 ~ W_d(M - 1, Sigma_0): compare log det with scipy.stats.wishart draws."""
    alpha = per_assertion_alpha(2)
    m = dim + 1 + extra
    A = np.tril(np.full((dim, dim), 0.3)) + np.eye(dim)
    cov0 = A @ A.T
    cfg = GaussianNDConfig(2000, (m,), dim=dim, cov0=tuple(map(tuple, cov0)), estimator=est)
    a, b = np.random.SeedSequence(seed).spawn(2)
    ch = simulate_gaussian_nd(cfg, np.random.default_rng(a))
    scale = (m - 1) if est == "unbiased" else m
    ref = stats.wishart(df=m - 1, scale=cov0).rvs(size=2000, random_state=np.random.default_rng(b))
    ref = ref.reshape(2000, dim, dim)
    ours = ch.cov[:, -1] * scale
    assert stats.ks_2samp(np.linalg.slogdet(ours)[1], np.linalg.slogdet(ref)[1]).pvalue > alpha
    assert stats.ks_2samp(ours[:, 0, 0], ref[:, 0, 0]).pvalue > alpha


@given(dim=st.integers(1, 4), data=st.data(), est=estimators, seed=seeds)
def test_moments_match_closed_forms(dim, data, est, seed):
    m = data.draw(st.integers(4 * dim + 4, 60), label="M")
    n = data.draw(st.integers(1, m // 4), label="n")
    alpha = per_assertion_alpha(3)
    ch = simulate_gaussian_nd(GaussianNDConfig(8000, (m,) * n, dim=dim, estimator=est), np.random.default_rng(seed),
                              keep=[n])
    v = evaluate_nd(est, m, n, dim)
    assert_mean(ch.cov[:, -1, 0, 0], v["E_Sigma_factor"], alpha, what="E[Sigma_11]")
    assert_mean(ch.mean[:, -1, 0] ** 2, v["Cov_mu_factor"], alpha, what="Var[mu_1]")
    assert_mean(ch.logdet[:, -1], v["E_logdet"], alpha, variance=v["Var_logdet"], what="E[log det]")


@given(dim=st.integers(1, 3), seed=seeds, est=estimators)
def test_fast_and_literal_agree(dim, seed, est):
    alpha = per_assertion_alpha(1)
    a, b = np.random.SeedSequence(seed).spawn(2)
    cfg = GaussianNDConfig(1500, (dim + 4,) * 4, dim=dim, estimator=est)
    f = simulate_gaussian_nd(cfg, np.random.default_rng(a), keep=[4])
    lit = simulate_gaussian_nd(dataclasses.replace(cfg, sampler="literal"), np.random.default_rng(b), keep=[4])
    assert stats.ks_2samp(f.logdet[:, -1], lit.logdet[:, -1]).pvalue > alpha


def test_logdet_exact_when_covariance_underflows():
    """The fast sampler carries log det exactly, far below what a covariance matrix can hold."""
    ch = simulate_gaussian_nd(GaussianNDConfig(50, (4,) * 3000, dim=2), np.random.default_rng(0), keep=[3000])
    assert np.all(np.isfinite(ch.logdet)) and ch.logdet.max() < -700


@pytest.mark.parametrize(
    "kwargs, name",
    [
        pytest.param(dict(schedule=(2,)), "schedule", id="M-1<d"),
        pytest.param(dict(cov0=((1.0, 2.0), (2.0, 1.0))), "positive-definite", id="cov0-indefinite"),
        pytest.param(dict(cov0=((1.0, 0.5), (0.0, 1.0))), "symmetric", id="cov0-asymmetric"),
        pytest.param(dict(cov0=((1.0,),)), "2x2", id="cov0-shape"),
        pytest.param(dict(regime="accumulate"), "regime", id="fast-accumulate"),
        pytest.param(dict(dim=0), "dim", id="dim-0"),
    ],
)
def test_bad_config(kwargs, name):
    with pytest.raises(InvalidArgument, match=name):
        GaussianNDConfig(**(dict(n_chains=5, schedule=(10,), dim=2) | kwargs))


@given(m=st.sampled_from([20, 200, 2000]), dim=st.integers(1, 4), seed=seeds)
def test_fit_sample_is_consistent(m, dim, seed):
    """The d-dimensional family: fitted means and covariances concentrate on the truth like 1/sqrt(m)."""
    from collapse.simulate.families.gaussian_nd import GaussianNDFamily, GaussianNDParams

    alpha = per_assertion_alpha(2)
    A = np.tril(np.full((dim, dim), 0.4)) + np.eye(dim)
    S = A @ A.T
    C = 300
    fam = GaussianNDFamily("unbiased")
    q = fam.fit(fam.sample(GaussianNDParams(np.ones((C, dim)), np.broadcast_to(S, (C, dim, dim)).copy()), m,
                           np.random.default_rng(seed)))
    assert_mean(q.mean[:, -1], 1.0, alpha, variance=S[-1, -1] / m, what="fitted mean")
    # unbiased sample covariance entry (i, j): variance (S_ii S_jj + S_ij^2) / (m - 1)
    assert_mean(q.cov[:, 0, -1], S[0, -1], alpha, variance=(S[0, 0] * S[-1, -1] + S[0, -1] ** 2) / (m - 1),
                what="fitted covariance")
