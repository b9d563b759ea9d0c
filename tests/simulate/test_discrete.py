"""The discrete chain with exact approximation against analytic/discrete.py.

Each statistical check states its false-alarm probability (see tests/stats_helpers.py);
"rejects" tests show the same check failing once its claim is made false.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collapse.analytic import discrete as AD
from collapse.analytic import mixing as AM
from collapse.analytic.numeric import lambdified
from collapse.core.validation import InvalidArgument
from collapse.simulate.families.discrete import (
    DiscreteConfig, DiscreteFamily, DiscreteParams, counts_of, heterozygosity, simulate_discrete,
)
from collapse.simulate.loop import Regime
from tests import strategies as S
from tests.stats_helpers import ALPHA, assert_binomial, assert_mean, per_assertion_alpha

SAMPLERS = ["wright-fisher", "multinomial", "literal"]


def _het_theory(h0: float, m: int, t: int) -> float:
    return float(lambdified(AD.expected_heterozygosity(), AD.H0, AD.M, AD.t)(h0, m, t))


# ---- absorbing states: exact, no statistics -----------------------------------------------

@given(S.simplex_points(max_k=6), st.integers(1, 12), S.seeds, st.sampled_from(SAMPLERS))
def test_deltas_absorb_and_support_never_grows(p0, m, seed, sampler):
    cfg = DiscreteConfig(30, tuple(p0), (m,) * 25, sampler=sampler)
    res = simulate_discrete(cfg, np.random.default_rng(seed))
    support = res.freqs > 0  # (chains, G+1, K)
    assert not (support[:, 1:] & ~support[:, :-1]).any(), "a lost state came back"
    deltas = support.sum(-1) == 1
    for c in range(cfg.n_chains):
        hit = np.flatnonzero(deltas[c])
        if hit.size:
            first = hit[0]
            assert deltas[c, first:].all() and res.absorbed_at[c] == first
            assert (support[c, first:] == support[c, first]).all()
            assert res.absorbed_state[c] == np.argmax(support[c, first])
        else:
            assert res.absorbed_at[c] == -1


@pytest.mark.parametrize("sampler", ["wright-fisher", "multinomial"])
def test_absorption_probabilities_are_the_initial_ones(sampler):
    p0, M, N, G = (0.5, 0.3, 0.2), 10, 20000, 400
    res = simulate_discrete(DiscreteConfig(N, p0, (M,) * G, sampler=sampler), np.random.default_rng(11),
                            keep=[0])
    # P(unabsorbed after 400 generations) <= E[H_400] M^2/(M-1) ~ 1e-16: all are absorbed
    assert (res.absorbed_at >= 0).all()
    theory = [float(AD.absorption_probability().subs(AD.x0, p)) for p in p0]
    for i, p in enumerate(theory):
        # exact binomial test; three checks, total false alarm <= 1e-6
        assert_binomial((res.absorbed_state == i).sum(), N, p, ALPHA / 3, f"absorbed at state {i}")


def test_absorption_check_rejects_a_false_claim():
    res = simulate_discrete(DiscreteConfig(20000, (0.5, 0.3, 0.2), (10,) * 400), np.random.default_rng(11),
                            keep=[0])
    with pytest.raises(AssertionError):
        assert_binomial((res.absorbed_state == 0).sum(), 20000, 0.45, ALPHA, "claimed 0.45")


# ---- martingale and moments ----------------------------------------------------------------

@settings(max_examples=8)
@given(S.simplex_points(min_k=2, max_k=5, min_prob=0.05), st.integers(2, 60), st.integers(1, 40), S.seeds,
       st.sampled_from(SAMPLERS))
def test_frequencies_are_martingales_with_the_derived_variance(p0, m, t, seed, sampler):
    N = 4000
    res = simulate_discrete(DiscreteConfig(N, tuple(p0), (m,) * t, sampler=sampler), np.random.default_rng(seed),
                            keep=[t])
    p_t = res.frequencies()[:, 0, :]  # (N, K)
    var_f = lambdified(AD.frequency_variance(), AD.x0, AD.M, AD.t)
    alpha = per_assertion_alpha(len(p0))
    for i, x0 in enumerate(p0):
        var = float(var_f(x0, m, t))
        # E[p_t(i)] = p_0(i), tested with the derived Var[p_t(i)] as the variance
        assert_mean(p_t[:, i], x0, alpha, f"E[p_{t}({i})]", variance=var)


@settings(max_examples=8)
@given(S.simplex_points(min_k=2, max_k=30), st.integers(2, 200), st.integers(1, 60), S.seeds,
       st.sampled_from(SAMPLERS))
def test_heterozygosity_decays_as_derived(p0, m, t, seed, sampler):
    N = 3000
    res = simulate_discrete(DiscreteConfig(N, tuple(p0), (m,) * t, sampler=sampler), np.random.default_rng(seed),
                            keep=[t])
    h = heterozygosity(res.frequencies()[:, 0, :])
    expected = _het_theory(float(heterozygosity(np.asarray(p0))), m, t)
    if h.var() == 0:  # every chain absorbed (or p_0 a delta): then the theory must be ~0
        assert expected < 1e-3 or np.all(h == expected)
        return
    # SE from the sample (N = 3000 chains, CLT); one check per example
    assert_mean(h, expected, per_assertion_alpha(1), f"E[H_{t}]")
    assert np.isclose(res.het_mean[t], h.mean())


def test_heterozygosity_check_rejects_a_false_claim():
    p0, m, t = (0.25,) * 4, 20, 10
    res = simulate_discrete(DiscreteConfig(5000, p0, (m,) * t), np.random.default_rng(5), keep=[t])
    h = heterozygosity(res.frequencies()[:, 0, :])
    assert_mean(h, _het_theory(0.75, m, t), ALPHA, "true claim")
    with pytest.raises(AssertionError):  # the claim with M + 5 in place of M
        assert_mean(h, _het_theory(0.75, m + 5, t), ALPHA, "false claim")


def test_heterozygosity_with_a_schedule():
    sched = (5, 10, 20, 40, 80)
    res = simulate_discrete(DiscreteConfig(20000, (0.5, 0.5), sched), np.random.default_rng(8), keep=[5])
    h = heterozygosity(res.frequencies()[:, 0, :])
    expected = 0.5 * float(AD.heterozygosity_schedule(sched))
    assert_mean(h, expected, ALPHA, "E[H_5] with a growing schedule")


@given(st.floats(0.001, 0.2), st.integers(1, 200), S.seeds)
def test_loss_probability(q, m, seed):
    """P(a state of probability q gets no sample) = (1 - q)^M: exact binomial test."""
    N = 5000
    res = simulate_discrete(DiscreteConfig(N, (q, 1 - q), (m,), sampler="multinomial"), np.random.default_rng(seed),
                            keep=[1])
    lost = (res.freqs[:, 0, 0] == 0).sum()
    p = float(AD.loss_probability().subs({AD.q: q, AD.M: m}))
    assert_binomial(lost, N, p, per_assertion_alpha(1), "state lost in one generation")


# ---- mixing with real data: the fixed point -----------------------------------------------

@settings(max_examples=6)
@given(S.mixing_weights(min_gamma=0.1), st.integers(8, 40), S.seeds)
def test_mixing_heterozygosity_follows_the_derived_recursion(w, m, seed):
    p0 = (0.4, 0.3, 0.2, 0.1)
    regime = Regime("mix", *w)
    n_model, n_prev, n_real = regime.shares(m)
    G, N = 40, 3000
    res = simulate_discrete(DiscreteConfig(N, p0, (m,) * G, regime=str(regime), sampler="literal"),
                            np.random.default_rng(seed), keep=[G])
    h = heterozygosity(res.frequencies()[:, 0, :])
    H0 = float(heterozygosity(np.asarray(p0)))
    subs = {AM.n_prev: n_prev, AM.n_real: n_real, AM.M: m, AM.H0: H0}
    expected = float(AM.discrete_mix_heterozygosity().subs(subs).subs(AM.g, G - 1))
    fixed = float(AM.discrete_mix_fixed_point().subs(subs))
    assert_mean(h, expected, per_assertion_alpha(1), "E[h] under mixing")
    if n_real > 0:
        assert fixed > 0 and abs(expected - fixed) < 0.05 + abs(expected) * 0.5


# ---- the family itself -----------------------------------------------------------------------

@given(S.simplex_points(max_k=10), S.seeds)
def test_fit_sample_is_consistent(p, seed):
    """max_k |p_hat - p| <= sqrt(log(2K/alpha) / 2m) (Hoeffding + union bound over K)."""
    m, fam = 100_000, DiscreteFamily(len(p))
    data = fam.sample(DiscreteParams(np.asarray(p)[None]), m, np.random.default_rng(seed))
    p_hat = fam.fit(data).probs[0]
    eps = np.sqrt(np.log(2 * len(p) / per_assertion_alpha(1)) / (2 * m))
    assert np.abs(p_hat - p).max() <= eps
    assert data.min() >= 0 and data.max() < len(p) and np.all(p_hat[np.asarray(p) == 0] == 0)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_reproducible_from_the_seed(sampler):
    cfg = DiscreteConfig(50, (0.2, 0.3, 0.5), (7,) * 20, sampler=sampler)
    a = simulate_discrete(cfg, np.random.default_rng(9))
    b = simulate_discrete(cfg, np.random.default_rng(9))
    c = simulate_discrete(cfg, np.random.default_rng(10))
    assert np.array_equal(a.freqs, b.freqs) and np.array_equal(a.het_mean, b.het_mean)
    assert not np.array_equal(a.freqs, c.freqs)


def test_counts_of():
    labels = np.array([[0, 0, 2], [1, 1, 1]])
    assert counts_of(labels, 3).tolist() == [[2, 0, 1], [0, 3, 0]]


BAD = [
    pytest.param(dict(n_chains=0, p0=(1.0,), schedule=(3,)), "n_chains", id="no-chains"),
    pytest.param(dict(n_chains=2, p0=(0.5, 0.6), schedule=(3,)), "p0", id="p0-not-summing-to-1"),
    pytest.param(dict(n_chains=2, p0=(1.5, -0.5), schedule=(3,)), "p0", id="p0-negative"),
    pytest.param(dict(n_chains=2, p0=(0.5, 0.5), schedule=(0,)), "schedule[0]", id="zero-samples"),
    pytest.param(dict(n_chains=2, p0=(0.5, 0.5), schedule=(3,), sampler="fast"), "sampler", id="unknown-sampler"),
    pytest.param(dict(n_chains=2, p0=(0.5, 0.5), schedule=(3,), regime="accumulate"), "regime",
                 id="fast-sampler-only-replaces"),
]


@pytest.mark.parametrize("kwargs, name", BAD)
def test_bad_config(kwargs, name):
    with pytest.raises(InvalidArgument) as err:
        DiscreteConfig(**kwargs)
    assert err.value.name == name


def test_bad_keep_and_data():
    cfg = DiscreteConfig(2, (0.5, 0.5), (3,))
    with pytest.raises(InvalidArgument):
        simulate_discrete(cfg, np.random.default_rng(0), keep=[5])
    with pytest.raises(InvalidArgument):
        DiscreteFamily(3).fit(np.zeros(4, dtype=int))


# ---- every regime and schedule -----------------------------------------------------------------

@settings(max_examples=6)
@given(S.regime_names, S.schedule_kinds, st.integers(4, 12), S.seeds)
def test_frequencies_stay_unbiased_under_every_regime_and_schedule(regime, kind, m, seed):
    """E[p_t] = p_0 in every regime: each new point is drawn from a distribution whose
    expectation is p_0 (linearity), so the fitted frequencies stay unbiased."""
    from collapse.simulate.schedules import make_schedule

    p0, N = (0.6, 0.3, 0.1), 3000
    sched = make_schedule(kind, m, 6)
    res = simulate_discrete(DiscreteConfig(N, p0, sched, regime=regime, sampler="literal"),
                            np.random.default_rng(seed), keep=[6])
    p_t = res.frequencies()[:, 0, :]
    for i, x0 in enumerate(p0):  # SE from the chains (CLT); three checks per example
        assert_mean(p_t[:, i], x0, per_assertion_alpha(3), f"E[p_6({i})] under {regime}, {kind} schedule")


@settings(max_examples=6)
@given(S.schedule_kinds, st.integers(2, 30), S.seeds)
def test_heterozygosity_under_named_schedules(kind, m, seed):
    from collapse.simulate.schedules import make_schedule

    sched = make_schedule(kind, m, 8)
    res = simulate_discrete(DiscreteConfig(4000, (0.5, 0.25, 0.25), sched), np.random.default_rng(seed), keep=[8])
    h = heterozygosity(res.frequencies()[:, 0, :])
    expected = 0.625 * float(AD.heterozygosity_schedule(sched))
    assert_mean(h, expected, per_assertion_alpha(1), f"E[H_8], {kind} schedule from M = {m}")


def test_mixing_converges_to_the_fixed_point_and_the_check_rejects_collapse():
    p0, m, G, N = (0.4, 0.3, 0.2, 0.1), 20, 150, 4000
    regime = Regime("mix", 0.5, 0.25, 0.25)
    n_model, n_prev, n_real = regime.shares(m)
    H0 = float(heterozygosity(np.asarray(p0)))
    subs = {AM.n_prev: n_prev, AM.n_real: n_real, AM.M: m, AM.H0: H0}
    fixed = float(AM.discrete_mix_fixed_point().subs(subs))
    # after 150 generations the derived trajectory is at its fixed point to 1e-12
    assert abs(float(AM.discrete_mix_heterozygosity().subs(subs).subs(AM.g, G - 1)) - fixed) < 1e-12
    res = simulate_discrete(DiscreteConfig(N, p0, (m,) * G, regime=str(regime), sampler="literal"),
                            np.random.default_rng(21), keep=[G])
    h = heterozygosity(res.frequencies()[:, 0, :])
    assert_mean(h, fixed, ALPHA / 2, "heterozygosity at the mixing fixed point")
    with pytest.raises(AssertionError):  # the replace prediction, H0 (1 - 1/M)^150, is rejected
        assert_mean(h, _het_theory(H0, m, G), ALPHA / 2, "replace prediction")
