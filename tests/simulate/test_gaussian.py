"""simulate.gaussian against analytic.gaussian: property tests with stated false-alarm probabilities.

Heavy tails: under the unbiased estimator Var(sigma_n^2)/E(sigma_n^2)^2 grows like
e^(2n/M), so raw moments are tested only for n <= M/4 (where sample standard
errors are reliable); log-space quantities and the one-step pivots are tested
everywhere else. Each assertion uses alpha from tests.stats_helpers so that every
test's false-alarm probability is at most 1e-6 under the active profile.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from collapse.analytic import numeric as N
from collapse.core.validation import InvalidArgument
from collapse.simulate.families import gaussian as SG
from collapse.simulate.families.gaussian import GaussianConfig, simulate_gaussian
from tests.stats_helpers import assert_mean, per_assertion_alpha
from tests.strategies import estimators, seeds, sigma0s


def _rng(seed):
    return np.random.default_rng(seed)


def _float64_horizon(m: int, est: str, sigma0: float, cap: int) -> int:
    """Largest n <= cap with E[log sigma_n^2] - 10 sd > log(1e-300): below that, float64 underflows to 0."""
    one = N.gaussian_values(est, m, 1, 1.0)
    d, v = float(one["E_log_sigma2"]), float(one["Var_log_sigma2"])
    n = cap
    while n > 1 and 2 * np.log(sigma0) + n * d - 10 * np.sqrt(n * v) < np.log(1e-300):
        n -= 1
    return n


@given(m=st.integers(2, 200), data=st.data(), est=estimators, seed=seeds, sigma0=sigma0s)
def test_log_sigma2_moments(m, data, est, seed, sigma0):
    n = data.draw(st.integers(1, _float64_horizon(m, est, sigma0, 400)), label="n")
    alpha = per_assertion_alpha(1)
    ch = simulate_gaussian(GaussianConfig(4000, (m,) * n, sigma0=sigma0, estimator=est), _rng(seed), keep=[n])
    v = N.gaussian_values(est, m, n, sigma0)
    # log sigma_n^2 is a sum of n iid terms: mean and variance from theory
    assert_mean(np.log(ch.sigma2[:, -1]), float(v["E_log_sigma2"]), alpha,
                variance=float(v["Var_log_sigma2"]), what="E[log sigma_n^2]")


@given(m=st.integers(8, 400), data=st.data(), est=estimators, seed=seeds)
def test_raw_moments_where_tails_are_controlled(m, data, est, seed):
    n = data.draw(st.integers(1, m // 4), label="n")
    alpha = per_assertion_alpha(3)
    ch = simulate_gaussian(GaussianConfig(20000, (m,) * n, estimator=est), _rng(seed), keep=[n])
    mu, s2 = ch.mu[:, -1], ch.sigma2[:, -1]
    v = N.gaussian_values(est, m, n, 1.0)
    assert_mean(s2, float(v["E_sigma2"]), alpha, what="E[sigma_n^2]")
    assert_mean(mu**2, float(v["Var_mu"]), alpha, what="Var[mu_n]")
    assert_mean(mu**2 + (np.sqrt(s2) - 1) ** 2, float(v["E_W2sq"]), alpha, what="E[W2^2]")


@given(m=st.integers(2, 60), est=estimators, seed=seeds)
def test_literal_one_step_pivots(m, est, seed):
    """(sigma_{i+1}^2 / (c sigma_i^2)) ~ chi2_{M-1} and sqrt(M)(mu_{i+1}-mu_i)/sigma_i ~ N(0,1), exactly."""
    alpha = per_assertion_alpha(2)
    ch = simulate_gaussian(GaussianConfig(500, (m,) * 4, estimator=est, sampler="literal"), _rng(seed))
    c = 1 / (m - 1) if est == "unbiased" else 1 / m
    chi = (ch.sigma2[:, 1:] / (c * ch.sigma2[:, :-1])).ravel()
    z = (np.sqrt(m) * np.diff(ch.mu, axis=1) / np.sqrt(ch.sigma2[:, :-1])).ravel()
    assert stats.kstest(chi, "chi2", args=(m - 1,)).pvalue > alpha
    assert stats.kstest(z, "norm").pvalue > alpha


@given(m=st.integers(2, 50), data=st.data(), est=estimators,
       regime=st.sampled_from(["replace", "accumulate"]), seed=seeds)
def test_fast_and_literal_agree_in_distribution(m, data, est, regime, seed):
    # n <= 4M keeps log sigma_n^2 more than 9 sd above log(1e-32), where the literal
    # sampler's points would round to one float (exact zero variance: see simulate.gaussian)
    n = data.draw(st.integers(1, min(20, 4 * m)), label="n")
    alpha = per_assertion_alpha(2)
    a, b = np.random.SeedSequence(seed).spawn(2)
    cfg = GaussianConfig(1500, (m,) * n, estimator=est, regime=regime)
    fast = simulate_gaussian(cfg, _rng(a), keep=[n])
    lit = simulate_gaussian(dataclasses.replace(cfg, sampler="literal"), _rng(b), keep=[n])
    assert stats.ks_2samp(fast.mu[:, -1], lit.mu[:, -1]).pvalue > alpha
    assert stats.ks_2samp(np.log(fast.sigma2[:, -1]), np.log(lit.sigma2[:, -1])).pvalue > alpha


@given(m=st.integers(2, 200), n=st.integers(1, 60), est=estimators, seed=seeds)
def test_accumulate_moments_match_recursion(m, n, est, seed):
    alpha = per_assertion_alpha(2)
    ch = simulate_gaussian(GaussianConfig(20000, (m,) * n, estimator=est, regime="accumulate"), _rng(seed), keep=[n])
    v = N.gaussian_accumulate_values(est, [m] * n)
    assert_mean(ch.mu[:, -1] ** 2, float(v["E_dmu2"][-1]), alpha, what="accumulate E[(mu_n - mu_0)^2]")
    assert_mean(ch.sigma2[:, -1], float(v["E_sigma2"][-1]), alpha, what="accumulate E[sigma_n^2]")


def test_accumulate_mean_error_stays_bounded_while_replace_grows():
    """Var[mu_n]: replace grows like n/M; accumulate stays below (pi^2/6)/M (the sum of 1/i^2)."""
    m = 20
    rep = N.gaussian_values("unbiased", m, 500)["Var_mu"]
    acc = N.gaussian_accumulate_values("unbiased", [m] * 500)["E_dmu2"]
    assert float(rep) == pytest.approx(500 / m)
    assert max(float(x) for x in acc) < (np.pi**2 / 6) / m * 1.2  # E[sigma_i^2] stays near 1


@given(seed=seeds, sampler=st.sampled_from(SG.SAMPLERS), regime=st.sampled_from(["replace", "accumulate"]))
def test_reproducible_from_seed(seed, sampler, regime):
    cfg = GaussianConfig(50, (5, 7, 9), sampler=sampler, regime=regime)
    a = simulate_gaussian(cfg, _rng(seed))
    b = simulate_gaussian(cfg, _rng(seed))
    np.testing.assert_array_equal(a.mu, b.mu)
    np.testing.assert_array_equal(a.sigma2, b.sigma2)


@given(seed=seeds, scale=st.floats(1e-3, 1e3))
def test_fast_sampler_is_scale_equivariant(seed, scale):
    a = simulate_gaussian(GaussianConfig(20, (4,) * 5), _rng(seed))
    b = simulate_gaussian(GaussianConfig(20, (4,) * 5, sigma0=scale), _rng(seed))
    np.testing.assert_allclose(b.sigma2, a.sigma2 * scale**2, rtol=1e-12)
    np.testing.assert_allclose(b.mu, a.mu * scale, rtol=1e-9, atol=1e-300)


def test_keep_records_requested_generations_only():
    ch = simulate_gaussian(GaussianConfig(3, (5,) * 10), _rng(0), keep=[0, 10, 4])
    assert list(ch.generations) == [0, 4, 10]
    assert ch.mu.shape == (3, 3) and np.all(ch.mu[:, 0] == 0) and np.all(ch.sigma2[:, 0] == 1)


def test_collapse_almost_surely_visible():
    """Late collapse: with M = 10, after 2000 generations every chain's sigma^2 is tiny."""
    ch = simulate_gaussian(GaussianConfig(1000, (10,) * 2000), _rng(1), keep=[2000])
    # E[log sigma^2] = 2000 * drift(10) ~ -226 with sd ~ 22: exp(-100) is > 5 sd above the mean
    assert ch.sigma2.max() < np.exp(-100)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        pytest.param(dict(n_chains=0), "n_chains", id="no-chains"),
        pytest.param(dict(schedule=(10, 1)), r"schedule.*\[1\]", id="M<2"),
        pytest.param(dict(schedule=(10, 2.5)), r"schedule.*\[1\]", id="M-not-integer"),
        pytest.param(dict(sigma0=-1.0), "sigma0", id="sigma0-negative"),
        pytest.param(dict(sigma0=float("nan")), "sigma0", id="sigma0-nan"),
        pytest.param(dict(mu0=float("inf")), "mu0", id="mu0-inf"),
        pytest.param(dict(estimator="ols"), "estimator", id="bad-estimator"),
        pytest.param(dict(regime="mix"), "regime", id="bad-regime"),
        pytest.param(dict(sampler="slow"), "sampler", id="bad-sampler"),
    ],
)
def test_bad_config(kwargs, name):
    with pytest.raises(InvalidArgument, match=name):
        GaussianConfig(**(dict(n_chains=5, schedule=(10,)) | kwargs))


def test_bad_rng_and_keep():
    cfg = GaussianConfig(5, (10,))
    with pytest.raises(InvalidArgument, match="rng"):
        simulate_gaussian(cfg, 42)
    with pytest.raises(InvalidArgument, match="keep"):
        simulate_gaussian(cfg, _rng(0), keep=[2])


@given(m=st.sampled_from([10, 100, 1000, 10000]), est=estimators, seed=seeds, sigma0=sigma0s,
       mu0=st.floats(-1e3, 1e3))
def test_fit_sample_is_consistent(m, est, seed, sigma0, mu0):
    """fit(sample(params, m)) recovers params with errors of order 1/sqrt(m) (exact laws: z tests)."""
    alpha = per_assertion_alpha(2)
    fam = SG.GaussianFamily(est)
    C = 400
    p = SG.GaussianParams(np.full(C, mu0), np.full(C, sigma0**2))
    q = fam.fit(fam.sample(p, m, _rng(seed)))
    assert_mean(q.mean, mu0, alpha, variance=sigma0**2 / m, what="fitted mean")
    c = 1 / (m - 1) if est == "unbiased" else 1 / m
    # fitted variance = c sigma0^2 chi2_{m-1}: mean c (m-1) sigma0^2, variance 2 c^2 (m-1) sigma0^4
    assert_mean(q.var, c * (m - 1) * sigma0**2, alpha, variance=2 * c**2 * (m - 1) * sigma0**4, what="fitted variance")
