"""The stand-in language: its shape, the exact forward computations, and what beam search on its truth writes."""

from __future__ import annotations

import numpy as np
import pytest

from collapse.llm.evaluate import distinct_tokens, diversity, loop_period
from collapse.llm.groundtruth import forward_predictive, true_token_nll, truth_beam_search
from collapse.llm.synthetic import NL_ID, SPECIALS, make_language


@pytest.fixture(scope="module")
def lang():
    return make_language(np.random.default_rng(20240724))


def test_every_word_has_one_slot_and_no_sentence_repeats_a_word(lang):
    words = lang.emission[:, len(SPECIALS):] > 0
    assert np.all(words.sum(axis=0) == 6)  # a word is emitted by its one slot, in each of the 6 topics
    stream = lang.sample_stream(20_000, np.random.default_rng(0))
    assert not np.any(stream[1:] == stream[:-1])
    assert stream[0] == NL_ID and not np.any((stream[1:] == NL_ID) & (stream[:-1] == NL_ID))


def test_sampled_documents_have_no_impossible_seams(lang):
    """Documents end with a complete line, so every token of the stream is possible under the truth."""
    stream = lang.sample_stream(64 * 64, np.random.default_rng(1), n_docs=16)
    blocks = stream[: len(stream) // 64 * 64].reshape(-1, 64)
    assert np.isfinite(true_token_nll(lang, blocks)).all()


def _dense_predictive(lang, blocks):
    """The forward algorithm written out densely, without flushing (an independent check of the sparse one)."""
    T, E = lang.transition, lang.emission
    prior = np.tile(lang.stationary(), (len(blocks), 1))
    out = []
    for t in range(blocks.shape[1]):
        if t:
            out.append(prior @ E)
        post = prior * E[:, blocks[:, t]].T
        post /= post.sum(axis=1, keepdims=True)
        prior = post @ T
    return np.stack(out, axis=1)


def test_sparse_flushed_forward_equals_the_dense_one(lang):
    blocks = lang.sample_stream(40 * 64, np.random.default_rng(2))[:20 * 64].reshape(20, 64)
    ours = np.stack([p for _, p in forward_predictive(lang, blocks)], axis=1)
    np.testing.assert_allclose(ours, _dense_predictive(lang, blocks), rtol=1e-9, atol=1e-300)


def test_beam_search_on_the_truth_writes_like_real_text(lang):
    """The property the stand-in is built for (issue 13): the most probable continuation is long, not a loop."""
    blocks = lang.sample_stream(70 * 64, np.random.default_rng(3))[:64 * 64].reshape(64, 64)
    beam = truth_beam_search(lang, blocks, 64, 5)
    real, made = diversity(blocks), diversity(beam)
    assert made["distinct_tokens"] >= 0.5 * real["distinct_tokens"]
    assert made["loop_fraction"] <= 0.1 and real["loop_fraction"] == 0.0


def test_a_head_of_frequent_words_and_a_long_tail_of_rare_ones(lang):
    from collapse.llm.groundtruth import tail_set

    q = np.sort(lang.unigram()[len(SPECIALS):])[::-1]
    assert q[0] > 3 * q[99] and q[299] < q[0] / 10 and 0 < q[-1] < q[0] / 100
    assert tail_set(lang.unigram()).sum() > 100  # the rarest words holding 10% of the mass are many


def test_related_language_shares_words_and_emissions(lang):
    other = make_language(np.random.default_rng(20240724), dynamics_rng=np.random.default_rng(5), dynamics_mix=0.5)
    np.testing.assert_array_equal(other.emission, lang.emission)
    assert other.words == lang.words and not np.allclose(other.transition, lang.transition)


def test_diversity_measures():
    b = np.array([np.arange(20), [1, 2] * 10, [5] * 20, [1, 2, 3] * 6 + [1, 2], list(range(10)) + [7, 8] * 5])
    np.testing.assert_array_equal(distinct_tokens(b), [20, 2, 1, 3, 10])
    np.testing.assert_array_equal(loop_period(b, max_period=4, tail=16), [0, 2, 1, 3, 0])  # last: only 10 repeated
    np.testing.assert_array_equal(loop_period(b, max_period=4, tail=8), [0, 2, 1, 3, 2])  # 8 + p tokens repeat
    d = diversity(b)
    assert d["distinct_tokens"] == pytest.approx(36 / 5) and d["loop_fraction"] == pytest.approx(0.6)
