"""Block building, per-line tokenization, the 10% mixing, WikiText files, and the true language."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from collapse.core.validation import InvalidArgument
from collapse.llm.data import build_blocks, load_corpus, mix_real, split_articles, tokenize_lines
from collapse.llm.synthetic import NL_ID, SPECIALS, HiddenMarkovLanguage, make_language


def test_blocks_are_consecutive_and_drop_the_remainder():
    ids = np.arange(103)
    b = build_blocks(ids, 10)
    assert b.shape == (10, 10)
    np.testing.assert_array_equal(b.ravel(), np.arange(100))


@pytest.mark.parametrize("ids, size", [(np.arange(5), 10), (np.zeros((2, 8)), 4), (np.arange(8), 1)])
def test_blocks_bad_input(ids, size):
    with pytest.raises(InvalidArgument):
        build_blocks(ids, size)


def test_every_line_is_tokenized_on_its_own_with_its_marker(tiny_lm):
    _, tok, lang = tiny_lm
    lines = [lang.words[0] + " " + lang.words[1], "", lang.words[2]]
    ids = tokenize_lines(tok, lines)
    off = len(SPECIALS)
    np.testing.assert_array_equal(ids, [NL_ID, off, off + 1, NL_ID, NL_ID, off + 2])


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 1.0])
def test_mixing_keeps_exactly_the_fraction_of_real_blocks_in_place(fraction):
    real = np.arange(50 * 4).reshape(50, 4)
    gen = -real
    mixed, is_real = mix_real(gen, real, fraction, np.random.default_rng(3))
    assert mixed.shape == real.shape
    assert is_real.sum() == round(fraction * 50)
    np.testing.assert_array_equal(mixed[is_real], real[is_real])
    np.testing.assert_array_equal(mixed[~is_real], gen[~is_real])


def test_mixing_chooses_afresh_from_its_stream():
    real, gen = np.ones((100, 2), int), np.zeros((100, 2), int)
    a = mix_real(gen, real, 0.1, np.random.default_rng(1))[1]
    b = mix_real(gen, real, 0.1, np.random.default_rng(1))[1]
    c = mix_real(gen, real, 0.1, np.random.default_rng(2))[1]
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


@pytest.mark.parametrize("gen_shape, fraction", [((3, 4), 0.1), ((5, 4), 1.5), ((5, 4), -0.1)])
def test_mixing_bad_input(gen_shape, fraction):
    with pytest.raises(InvalidArgument):
        mix_real(np.zeros(gen_shape, int), np.zeros((5, 4), int), fraction, np.random.default_rng(0))


def test_articles_are_never_split():
    lines = []
    for a in range(10):
        lines += [" ", f" = Title {a} = ", " ", " = = Section = = "] + [f"text {a}"] * (a + 3)
    parts = split_articles(lines, (0.8, 0.1, 0.1))
    assert sum(map(len, parts)) == len(lines)
    assert list(itertools.chain(*parts)) == lines
    for p in parts[1:]:
        assert p and p[0].startswith(" = Title")


def test_local_wikitext_single_file_is_split(shared_dir, tiny_lm):
    d = shared_dir / "data" / "wikitext-2"
    if not (d / "wiki.valid.tokens").exists():
        pytest.skip("wiki.valid.tokens is not in ../shared")
    corpus = load_corpus(str(d))
    n = [len(corpus.train), len(corpus.valid), len(corpus.test)]
    assert min(n) > 0 and 0.7 < n[0] / sum(n) < 0.9
    assert "cut 80/10/10" in corpus.note
    assert corpus.valid[0].startswith(" = ") or corpus.valid[1].startswith(" = ")


def test_sampled_text_has_the_true_unigram_frequencies():
    lang = make_language(np.random.default_rng(0), n_words=30, n_sentence_types=3, n_topics=1)
    n = 200_000
    stream = lang.sample_stream(n, np.random.default_rng(1))
    q = lang.unigram()
    emp = np.bincount(stream, minlength=len(q)) / len(stream)
    # one topic: only the short-memory class chain correlates tokens; 8 binomial SEs cover its inflation
    se = np.sqrt(q * (1 - q) / len(stream))
    assert np.all(np.abs(emp - q) <= 8 * se + 1e-12)
    assert not np.any((stream[1:] == NL_ID) & (stream[:-1] == NL_ID))
    assert not np.any(stream[1:] == stream[:-1])  # no class follows itself, every word has one class
    assert np.all(np.diag(lang.bigram()) == 0)


def _brute_force_probability(lang: HiddenMarkovLanguage, x, prior):
    """P(x) by summing over every hidden path (an independent oracle for the forward algorithm)."""
    total = 0.0
    for path in itertools.product(range(lang.n_states), repeat=len(x)):
        p = prior[path[0]] * lang.emission[path[0], x[0]]
        for a, b, tok in zip(path[:-1], path[1:], x[1:]):
            p *= lang.transition[a, b] * lang.emission[b, tok]
        total += p
    return total


def test_forward_algorithm_matches_brute_force():
    from collapse.llm.groundtruth import true_token_nll

    lang = make_language(np.random.default_rng(5), n_words=5, n_sentence_types=1, n_topics=1, mean_sentence_words=2)
    mu = lang.stationary()
    stream = lang.sample_stream(400, np.random.default_rng(0))
    blocks = np.array([stream[:4], stream[101:105], stream[203:207]])  # possible text, lines crossed
    nll = true_token_nll(lang, blocks)
    for row, x in zip(nll, blocks):
        joint = [_brute_force_probability(lang, x[: t + 1], mu) for t in range(len(x))]
        np.testing.assert_allclose(row, -np.log(np.array(joint[1:]) / np.array(joint[:-1])), rtol=1e-10)


def test_bigram_marginalises_to_unigram():
    lang = make_language(np.random.default_rng(2), n_words=20, n_sentence_types=3, n_topics=2)
    b = lang.bigram()
    np.testing.assert_allclose(b.sum(axis=1), lang.unigram(), atol=1e-12)
    np.testing.assert_allclose(b.sum(axis=0), lang.unigram(), atol=1e-12)


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@given(n=st.integers(2, 300), size=st.integers(2, 40))
def test_blocks_property(n, size):
    ids = np.arange(n) * 7 % 101
    if n < size:
        with pytest.raises(InvalidArgument):
            build_blocks(ids, size)
        return
    b = build_blocks(ids, size)
    assert b.shape == (n // size, size)
    np.testing.assert_array_equal(b.ravel(), ids[: n // size * size])


@given(n=st.integers(1, 200), fraction=st.floats(0, 1), seed=st.integers(0, 2**32 - 1))
def test_mixing_property(n, fraction, seed):
    real = np.arange(n)[:, None] + 1
    mixed, is_real = mix_real(-real, real, fraction, np.random.default_rng(seed))
    assert is_real.sum() == round(fraction * n)
    np.testing.assert_array_equal(np.abs(mixed), real)
    np.testing.assert_array_equal(mixed[:, 0] > 0, is_real)


@pytest.mark.parametrize("kw, name", [
    (dict(n_words=3, n_sentence_types=5), "n_words"),
    (dict(mean_sentence_words=1.0), "mean_sentence_words"),
    (dict(zipf_exponent=0.0), "zipf_exponent"),
    (dict(n_topics=0), "n_topics"),
], ids=["fewer-words-than-slots", "sentences-of-one-word", "flat-zipf", "no-topics"])
def test_language_bad_input(kw, name):
    with pytest.raises(InvalidArgument) as err:
        make_language(np.random.default_rng(0), **kw)
    assert err.value.name == name
