"""The Poisson chain and the Zipf samplers against their closed forms (false alarm <= 1e-6 per assertion
group: each test splits ALPHA over its assertions)."""

from __future__ import annotations

import numpy as np
import pytest

from collapse.analytic import tails as Z
from collapse.core.validation import InvalidArgument
from collapse.simulate.families.heavy_tails import cut_tail_test_error, zipf_probabilities, zipf_unseen_mass
from collapse.simulate.families.poisson import PoissonFamily, PoissonParams, simulate_poisson
from tests.stats_helpers import ALPHA, assert_mean


def test_poisson_family_shapes():
    fam = PoissonFamily()
    data = fam.sample(PoissonParams(np.array([0.5, 2.0, 0.0])), 7, np.random.default_rng(1))
    assert data.shape == (3, 7) and np.all(data[2] == 0)  # rate 0 is absorbing
    assert np.allclose(fam.fit(data).rate, data.mean(axis=1))


def test_poisson_chain_is_a_martingale_with_linear_variance():
    # N_t = M lambda_t: critical Galton-Watson from Poisson(m) ancestors, E[N_t] = m, Var[N_t] = m t
    M, lam0, G = 4, 1.5, 6
    lam = simulate_poisson(20000, lam0, M, G, np.random.default_rng(2))
    assert lam.shape == (20000, G + 1) and np.all(lam[:, 0] == lam0)
    assert np.all(np.diff(lam == 0, axis=1) >= 0)  # once extinct, always extinct
    alpha = ALPHA / 2
    assert_mean(lam[:, 1], lam0, alpha, variance=lam0 / M, what="E[lambda_1]")
    assert_mean(lam[:, G], lam0, alpha, variance=lam0 * G / M, what="E[lambda_G]")


def test_zipf_unseen_mass_and_cut_error_means():
    alpha = ALPHA / 2
    u = zipf_unseen_mass(2.5, 300, 3000, np.random.default_rng(3))
    assert np.all((u > 0) & (u < 1))
    assert_mean(u, Z.unseen_mass_value(2.5, 300), alpha, what="E[U_T]")
    err = cut_tail_test_error(2.0, 500, 40, 3000, np.random.default_rng(4))
    floor = float(Z.plateau().subs({Z.beta: 2, Z.k: 40}))
    assert np.all(err >= floor - 1e-12)  # ranks beyond the cut are never seen
    assert_mean(err, Z.cut_test_error_value(2.0, 500, 40), alpha, what="E_test(T, k)")


def test_zipf_probabilities_sum_to_one():
    p = zipf_probabilities(3.0, np.arange(1, 100_001))
    assert abs(p.sum() - 1) < 1e-9  # tail beyond 1e5 is ~ 5e-11


@pytest.mark.parametrize("call, name", [
    pytest.param(lambda: simulate_poisson(10, 0.0, 5, 3, np.random.default_rng(0)), "rate0", id="zero-rate"),
    pytest.param(lambda: simulate_poisson(10, 1.0, 5, 0, np.random.default_rng(0)), "generations", id="no-generations"),
    pytest.param(lambda: simulate_poisson(10, 1.0, 5, 3, 42), "rng", id="seed-not-generator"),
    pytest.param(lambda: PoissonFamily().fit(np.zeros(5)), "data", id="flat-data"),
    pytest.param(lambda: zipf_unseen_mass(1.0, 10, 5, np.random.default_rng(0)), "beta", id="beta-one"),
    pytest.param(lambda: cut_tail_test_error(2.0, 10, 0, 5, np.random.default_rng(0)), "cut (k)", id="cut-zero"),
])
def test_bad_input(call, name):
    with pytest.raises(InvalidArgument) as err:
        call()
    assert err.value.name == name
