"""The generic loop: regimes, schedules, resumption, reproducibility."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from collapse.core.validation import InvalidArgument
from collapse.simulate.families.discrete import DiscreteFamily, DiscreteParams
from collapse.simulate.loop import LoopState, Regime, run_chain, run_generations, subset
from collapse.simulate.schedules import constant, linear, make_schedule, quadratic
from tests import strategies as S


def _family_and_p0(C: int = 3, K: int = 4):
    return DiscreteFamily(K), DiscreteParams(np.full((C, K), 1.0 / K))


def test_regime_parse_and_shares():
    r = Regime.parse("mix:0.5,0.25,0.25")
    assert (r.alpha, r.beta, r.gamma) == (0.5, 0.25, 0.25)
    assert r.shares(100) == (50, 25, 25) and sum(r.shares(7)) == 7
    assert Regime.parse("replace").shares(9) == (9, 0, 0)
    assert str(r) == "mix:0.5,0.25,0.25" and Regime.parse(r) is r


@given(S.mixing_weights(), st.integers(1, 500))
def test_shares_sum_to_m(w, m):
    shares = Regime("mix", *w).shares(m)
    assert sum(shares) == m and min(shares) >= 0


BAD_REGIMES = [
    pytest.param("nonsense", "regime", id="unknown-name"),
    pytest.param("mix:0.5,0.5", "regime", id="two-weights"),
    pytest.param("mix:0.5,0.6,0.1", "mixing weights (alpha, beta, gamma)", id="not-summing-to-1"),
    pytest.param("mix:-0.5,1.0,0.5", "mixing weights (alpha, beta, gamma)", id="negative"),
    pytest.param("replace:1,0,0", "regime", id="weights-on-replace"),
    pytest.param(3, "regime", id="not-a-string"),
]


@pytest.mark.parametrize("text, name", BAD_REGIMES)
def test_bad_regimes(text, name):
    with pytest.raises(InvalidArgument) as err:
        Regime.parse(text)
    assert err.value.name == name


def test_schedules():
    assert constant(5, 3) == (5, 5, 5)
    assert linear(10, 3) == (10, 20, 30)
    assert quadratic(10, 3) == (10, 40, 90)
    assert make_schedule("given", values=[3, 4]) == (3, 4)
    assert make_schedule("quadratic", 2, 2) == (2, 8)


BAD_SCHEDULES = [
    pytest.param(dict(kind="cubic", m=1, generations=1), "schedule kind", id="unknown-kind"),
    pytest.param(dict(kind="given"), "values", id="given-without-values"),
    pytest.param(dict(kind="given", values=[3, 0]), "schedule[1]", id="zero-size"),
    pytest.param(dict(kind="constant", m=0, generations=3), "m (samples per generation)", id="m-zero"),
    pytest.param(dict(kind="linear", m=3, generations=-1), "generations", id="negative-generations"),
    pytest.param(dict(kind="constant", m=3), "m, generations", id="missing-generations"),
]


@pytest.mark.parametrize("kwargs, name", BAD_SCHEDULES)
def test_bad_schedules(kwargs, name):
    with pytest.raises(InvalidArgument) as err:
        make_schedule(**kwargs)
    assert err.value.name == name


@given(st.integers(1, 30), st.integers(0, 30), S.seeds)
def test_subset_is_without_replacement(n, k, seed):
    rng = np.random.default_rng(seed)
    data = np.broadcast_to(np.arange(n), (4, n)).copy()
    out = subset(data, k, rng)
    assert out.shape == (4, k)
    if k <= n:
        assert all(len(set(row)) == k for row in out)
    assert np.isin(out, data).all()


@given(S.regime_names, S.seeds)
def test_training_set_sizes(regime, seed):
    fam, p0 = _family_and_p0()
    sizes = []
    run_generations(fam, p0, [5, 6, 7], np.random.default_rng(seed), regime=regime,
                    on_data=lambda g, d: sizes.append(d.shape[1]))
    expected = {"accumulate": [5, 11, 18]}.get(regime, [5, 6, 7])
    assert sizes == expected


def test_mix_takes_real_data_from_the_source():
    """With gamma = 1 every training set is fresh real data, whatever the model says."""
    fam, p0 = _family_and_p0(C=5, K=4)
    src_calls = []

    def source(m, rng):
        src_calls.append(m)
        return np.full((5, m), 3)

    seen = []
    run_generations(fam, p0, [8, 8, 8], np.random.default_rng(0), regime="mix:0,0,1", source=source,
                    on_data=lambda g, d: seen.append(d.copy()))
    assert src_calls == [8, 8, 8] and all((d == 3).all() for d in seen)


def test_mix_beta_reuses_previous_training_points():
    fam, p0 = _family_and_p0(C=2, K=50)
    seen = []
    run_generations(fam, DiscreteParams(np.full((2, 50), 0.02)), [20, 20], np.random.default_rng(1),
                    regime="mix:0,1,0", on_data=lambda g, d: seen.append(d.copy()))
    # beta = 1: generation 1's training set is a permutation of generation 0's
    assert np.array_equal(np.sort(seen[0], axis=1), np.sort(seen[1], axis=1))


@pytest.mark.parametrize("regime", ["replace", "mix:0.5,0.25,0.25", "accumulate", "accumulate-subsample"])
def test_resume_gives_the_same_chain(regime):
    fam, p0 = _family_and_p0()
    whole = run_chain(fam, p0, [6] * 8, np.random.default_rng(7), regime=regime)
    rng = np.random.default_rng(7)
    half = run_chain(fam, p0, [6] * 4, rng, regime=regime)
    saved = dataclasses.replace(half)  # a state is all that is needed, with the generator
    rest = run_chain(fam, p0, [6] * 4, rng, regime=regime, state=saved)
    assert rest.generation == whole.generation == 8
    assert np.array_equal(rest.params.probs, whole.params.probs)


def test_same_seed_same_chain_different_seed_different_chain():
    fam, p0 = _family_and_p0(C=8, K=10)
    a = run_generations(fam, p0, [10] * 5, np.random.default_rng(3)).probs
    b = run_generations(fam, p0, [10] * 5, np.random.default_rng(3)).probs
    c = run_generations(fam, p0, [10] * 5, np.random.default_rng(4)).probs
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_rng_must_be_a_generator():
    fam, p0 = _family_and_p0()
    with pytest.raises(InvalidArgument) as err:
        run_generations(fam, p0, [5], 42)
    assert err.value.name == "rng"


def test_loop_state_generation_is_checked():
    fam, p0 = _family_and_p0()
    with pytest.raises(InvalidArgument):
        run_chain(fam, p0, [5], np.random.default_rng(0), state=LoopState(-1, p0, None))
