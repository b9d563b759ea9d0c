"""The discrete chain's loss prediction, tail sets and data coverage."""

from __future__ import annotations

import numpy as np
import pytest

from collapse.figures.llm import loss_by_frequency
from collapse.llm.groundtruth import chain_loss_probability, data_coverage, tail_set
from collapse.llm.synthetic import make_language


def test_generation_zero_is_poisson_absence():
    qN = np.array([0.0, 0.5, 1.0, 3.0])
    np.testing.assert_allclose(chain_loss_probability(qN, 0), np.exp(-qN))


def test_loss_probability_grows_towards_one_with_generations():
    p = [float(chain_loss_probability(2.0, g)) for g in range(30)]
    assert all(a < b for a, b in zip(p, p[1:])) and p[-1] < 1.0


def test_prediction_matches_a_simulated_resampling_chain():
    """Multinomial resampling of N tokens (the discrete Wright-Fisher chain) against the formula.

    The formula is the Poisson (rare-token) limit: it holds up to O(q) corrections,
    tiny here (q <= 4e-4), so the tolerance is four Monte Carlo standard errors.
    """
    rng = np.random.default_rng(11)
    V, N, reps, gens = 200, 10_000, 400, 4
    q = np.full(V, 1.0 / V)
    rare = np.arange(40)
    q[rare] = np.linspace(0.2, 4.0, 40) / N  # expected counts 0.2 .. 4
    q /= q.sum()
    absent = np.zeros((gens + 1, len(rare)))
    for _ in range(reps):
        counts = rng.multinomial(N, q)
        for g in range(gens + 1):
            absent[g] += counts[rare] == 0
            counts = rng.multinomial(N, counts / N)
    absent /= reps
    for g in range(gens + 1):
        pred = chain_loss_probability(q[rare] * N, g)
        se = np.sqrt(pred * (1 - pred) / reps)
        # pooled over the 40 tokens the mean error is tighter still
        assert abs((absent[g] - pred).mean()) <= 4 * np.sqrt((se**2).sum()) / len(rare)
        assert np.all(np.abs(absent[g] - pred) <= 4 * se + 2e-3)


def test_tail_set_holds_the_rarest_tokens_up_to_the_mass():
    q = np.array([0.0, 0.5, 0.3, 0.1, 0.06, 0.04])
    t = tail_set(q, 0.1)
    np.testing.assert_array_equal(t, [False, False, False, False, True, True])


def test_coverage_of_the_whole_vocabulary_and_of_one_token():
    lang = make_language(np.random.default_rng(0), n_words=10, n_sentence_types=2, n_topics=1)
    V = lang.vocab_size
    every = np.array([np.arange(V), np.roll(np.arange(V), 1)])
    c = data_coverage(lang, every)
    assert c["missing_unigram_mass"] == pytest.approx(0.0, abs=1e-12)
    one = np.full((3, 8), 7)
    c = data_coverage(lang, one)
    q = lang.unigram()
    assert c["missing_unigram_mass"] == pytest.approx(1 - q[7])
    assert c["missing_bigram_mass"] == pytest.approx(1 - lang.bigram()[7, 7])
    assert c["tokens_present"] == 1


def test_loss_by_frequency_bins():
    q = np.array([0.5, 0.25, 0.25])
    blocks = np.array([[0, 0, 1, 1]])  # N = 4; token 2 absent
    absent, n = loss_by_frequency(q, blocks, np.array([0.5, 1.5, 2.5]))
    np.testing.assert_array_equal(n, [2, 1])
    np.testing.assert_allclose(absent, [0.5, 0.0])


def test_truth_beam_search_with_one_beam_is_greedy_on_the_true_distribution():
    from collapse.llm.groundtruth import forward_predictive, truth_beam_search

    lang = make_language(np.random.default_rng(4), n_words=12, n_sentence_types=3, n_topics=2)
    prompts = lang.sample_stream(2000, np.random.default_rng(0))[:30].reshape(5, 6)
    out = truth_beam_search(lang, prompts, new_tokens=4, num_beams=1)
    x = prompts.copy()
    for _ in range(4):
        (_, pred), = list(forward_predictive(lang, np.concatenate([x, x[:, :1]], axis=1)))[-1:]
        x = np.concatenate([x, pred.argmax(axis=1)[:, None]], axis=1)
    np.testing.assert_array_equal(out, x[:, 6:])


def test_truth_beam_search_finds_at_least_as_probable_continuations_as_greedy():
    from collapse.llm.groundtruth import true_token_nll, truth_beam_search

    lang = make_language(np.random.default_rng(4), n_words=12, n_sentence_types=3, n_topics=2)
    prompts = lang.sample_stream(2000, np.random.default_rng(1))[:48].reshape(8, 6)
    logp = {}
    for beams in (1, 4):
        out = truth_beam_search(lang, prompts, new_tokens=5, num_beams=beams)
        assert out.shape == (8, 5)
        logp[beams] = -true_token_nll(lang, np.concatenate([prompts, out], axis=1))[:, 5:].sum(axis=1)
    assert np.all(logp[4] >= logp[1] - 1e-9)


def test_one_generation_agrees_with_the_analytic_discrete_chain():
    """analytic.discrete.loss_probability, (1 - k/N)^N for a token seen k times, averaged over the
    Poisson(qN) count of the real data, is the g = 1 prediction up to O(1/N)."""
    import sympy as sp
    from scipy.stats import poisson

    from collapse.analytic import discrete

    N = 20_000
    loss = sp.lambdify((discrete.q, discrete.M), discrete.loss_probability(), "numpy")
    k = np.arange(0, 200)
    for qN in (0.3, 1.0, 3.0, 10.0):
        exact = float((poisson.pmf(k, qN) * loss(k / N, N)).sum())
        assert exact == pytest.approx(float(chain_loss_probability(qN, 1)), rel=5e-3, abs=1e-12)


def test_prediction_is_the_poisson_chain_of_analytic_rates():
    """Generation g here is t = g + 1 of analytic.rates' Poisson chain: P = f_t(0)^m, m = qN (sympy, exact)."""
    import sympy as sp

    from collapse.analytic import rates

    qN = np.array([0.0, 0.3, 1.0, 7.5, 40.0])
    for g in range(5):
        exact = sp.lambdify(rates.m, rates.extinction_probability(g + 1), "numpy")
        np.testing.assert_allclose(chain_loss_probability(qN, g), exact(qN), rtol=1e-12)
