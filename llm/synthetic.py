"""A synthetic language with a known ground truth: a hidden Markov model over a Zipf vocabulary.

The offline stand-in for WikiText-2. Text is a sequence of lines; the
tokenizer (a word-level ``tokenizers`` tokenizer) maps each word to one token and
starts every line with a ``<nl>`` marker, as OPT's tokenizer starts every line
with ``</s>``. The whole token stream -- markers included -- is exactly one
hidden Markov chain (:func:`make_language`): word classes that follow each
other as in a grammar, inside topics that persist across lines, with a
Zipf-distributed vocabulary.

So every quantity the experiment needs is exact: the unigram and bigram
probabilities of every token, and, by the forward algorithm, the true
next-token distribution after any prefix (:mod:`collapse.llm.groundtruth`).

Unlike OPT, the line marker is not the end-of-sequence token (``</s>``, which
never occurs in this corpus): the protocol's ``min_new_tokens`` forbids EOS
during generation, and in the real experiment that silently forbids line breaks
in generated text. Keeping them apart keeps the ground-truth scores about the
model, not about that artefact.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from collapse.core.validation import InvalidArgument, check_int, check_positive_real

__all__ = ["SPECIALS", "HiddenMarkovLanguage", "make_language", "word_list", "build_tokenizer"]

#: special tokens and their ids; words follow from id ``len(SPECIALS)``
SPECIALS = ("<s>", "<pad>", "</s>", "<unk>", "<nl>")
PAD_ID, EOS_ID, UNK_ID, NL_ID = 1, 2, 3, 4


@dataclasses.dataclass(frozen=True)
class HiddenMarkovLanguage:
    """A hidden Markov chain over the full token stream, line markers included.

    transition : ndarray of shape (S, S), rows sum to 1
    emission   : ndarray of shape (S, V_tok), rows sum to 1; ``V_tok`` counts the specials
    words      : the word strings, token id ``len(SPECIALS) + i`` is ``words[i]``
    """

    transition: npt.NDArray[np.float64]
    emission: npt.NDArray[np.float64]
    words: tuple[str, ...]

    @property
    def n_states(self) -> int:
        return self.transition.shape[0]

    @property
    def vocab_size(self) -> int:
        return self.emission.shape[1]

    def stationary(self) -> npt.NDArray[np.float64]:
        """Stationary distribution of the hidden chain, shape (S,)."""
        vals, vecs = np.linalg.eig(self.transition.T)
        v = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
        return v / v.sum()

    def unigram(self) -> npt.NDArray[np.float64]:
        """Stationary probability of each token id, shape (V_tok,)."""
        return self.stationary() @ self.emission

    def bigram(self) -> npt.NDArray[np.float64]:
        """Stationary probability of each consecutive pair ``(a, b)``, shape (V_tok, V_tok)."""
        mu = self.stationary()
        return (self.emission.T * mu) @ self.transition @ self.emission

    def sample_stream(self, n_tokens: int, rng: np.random.Generator, n_docs: int = 32) -> npt.NDArray[np.int64]:
        """``n_docs`` independent documents of about ``n_tokens / n_docs`` tokens each, concatenated.

        Each document starts in a boundary state (so with ``<nl>``) drawn from
        the stationary distribution restricted to boundary states; a document's
        trailing ``<nl>`` is dropped, so the stream never holds the impossible
        pair ``<nl> <nl>`` at a seam.
        """
        n_tokens = check_int("n_tokens", n_tokens, minimum=1)
        steps = -(-n_tokens // n_docs)
        emit_cum, trans_cum = np.cumsum(self.emission, axis=1), np.cumsum(self.transition, axis=1)
        start = self.stationary() * (self.emission[:, NL_ID] > 0)
        state = _categorical(np.broadcast_to(np.cumsum(start), (n_docs, len(start))), rng)
        out = np.empty((n_docs, steps), dtype=np.int64)
        for t in range(steps):
            out[:, t] = _categorical(emit_cum[state], rng)
            state = _categorical(trans_cum[state], rng)
        return np.concatenate([doc[:-1] if doc[-1] == NL_ID else doc for doc in out])

    def sample_lines(self, n_tokens: int, rng: np.random.Generator) -> list[list[int]]:
        """The stream of :meth:`sample_stream` cut at its ``<nl>`` markers: word ids of each line."""
        stream = self.sample_stream(n_tokens, rng)
        cuts = np.flatnonzero(stream == NL_ID)
        return [stream[a + 1:b].tolist() for a, b in zip(cuts, list(cuts[1:]) + [len(stream)])]

    def line_text(self, line: Sequence[int]) -> str:
        off = len(SPECIALS)
        return " ".join(self.words[t - off] for t in line)


def _categorical(cum: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row from rows of cumulative probabilities, shape (n, k) -> (n,)."""
    u = rng.random(cum.shape[0])[:, None] * cum[:, -1:]
    return np.minimum((cum <= u).sum(axis=1), cum.shape[1] - 1)


def word_list(n_words: int, rng: np.random.Generator) -> tuple[str, ...]:
    """``n_words`` distinct pronounceable pseudo-words, shortest first (frequent words are short)."""
    cons, vows = "ptkbdgmnlrsvzfh", "aeiou"
    found: set[str] = set()
    while len(found) < n_words:
        n_syll = int(rng.integers(1, 4))
        found.add("".join(cons[rng.integers(len(cons))] + vows[rng.integers(len(vows))] for _ in range(n_syll)))
    return tuple(sorted(found, key=lambda w: (len(w), w)))[:n_words]


def make_language(
    rng: np.random.Generator, *, n_words: int = 400, n_states: int = 8, n_topics: int = 8,
    zipf_exponent: float = 1.1, topic_tilt: float = 2.5, mean_line_words: float = 20.0, topic_switch: float = 0.1,
    dynamics_rng: np.random.Generator | None = None, dynamics_mix: float = 0.5,
) -> HiddenMarkovLanguage:
    """Draw a ground-truth language: word classes inside persistent topics.

    The hidden state is ``(topic m, class s)`` plus one line-boundary state per
    topic, ``S = n_topics * (n_states + 1)`` states in all. Word class ``s`` of
    topic ``m`` emits word ``w`` with probability proportional to
    ``r_w ** -zipf_exponent * exp(topic_tilt Y[m, w])`` if ``w`` belongs to class
    ``s`` and 0 otherwise (``r_w`` the word's rank, ``Y`` standard normal; every
    word has one class, as a part of speech). So the marginal is Zipf-like,
    topic words make a text's continuation depend on its prompt, and, since
    classes move by ``A`` with no class following itself, no word ever follows
    itself. Lines end with probability ``1 / mean_line_words`` after each word;
    at a line boundary the topic changes with probability ``topic_switch``.

    Parameters
    ----------
    rng : draws everything: words, classes, emissions and dynamics.
    dynamics_rng, dynamics_mix : if given, a second set of dynamics (``A``, the classes'
        start distribution, the topic weights) is drawn from ``dynamics_rng`` and mixed
        in with weight ``dynamics_mix``: the same ``rng`` seed then gives a related
        language, same words and emissions, other grammar (the stand-in's pretraining text).

    Returns
    -------
    HiddenMarkovLanguage
    """
    K, M, alpha = _check_shape(n_words, n_states, n_topics, zipf_exponent, mean_line_words)
    words = word_list(n_words, rng)
    topic_words = _topic_words(rng, n_words, K, M, alpha, topic_tilt)
    A, start, topic_w = _dynamics(rng, K, M)
    if dynamics_rng is not None:
        A, start, topic_w = ((1 - dynamics_mix) * a + dynamics_mix * b
                             for a, b in zip((A, start, topic_w), _dynamics(dynamics_rng, K, M)))
    emission, transition = _topic_chain(topic_words, A, start, topic_w, 1.0 / mean_line_words, topic_switch)
    return HiddenMarkovLanguage(transition=transition, emission=emission, words=words)


def _check_shape(n_words, n_states, n_topics, zipf_exponent, mean_line_words) -> tuple[int, int, float]:
    """``(K, M, alpha)``: the classes, topics and Zipf exponent, checked; bad values are one-line errors."""
    n_words = check_int("n_words", n_words, minimum=2)
    K = check_int("n_states", n_states, minimum=1)
    if n_words < K:
        raise InvalidArgument("n_words", f"at least n_states={K} words (one class each)", n_words)
    M = check_int("n_topics", n_topics, minimum=1)
    alpha = check_positive_real("zipf_exponent", zipf_exponent)
    if not (isinstance(mean_line_words, (int, float)) and mean_line_words > 1.0):
        raise InvalidArgument("mean_line_words", "a number > 1", mean_line_words)
    return K, M, alpha


def _topic_words(rng: np.random.Generator, n_words: int, K: int, M: int, alpha: float,
                 topic_tilt: float) -> np.ndarray:
    """Unnormalised emission weights of word class k in topic m, shape (M, K, n_words): Zipf times topic tilt."""
    word_class = rng.permutation(np.arange(n_words) % K)  # every class gets words of every rank range
    member = word_class[None, :] == np.arange(K)[:, None]  # (K, n_words)
    y = rng.standard_normal((M, n_words))
    base = np.arange(1, n_words + 1, dtype=float) ** -alpha
    return np.stack([member * (base * np.exp(topic_tilt * y[m])) for m in range(M)])


def _topic_chain(topic_words: np.ndarray, A: np.ndarray, start: np.ndarray, topic_w: np.ndarray, p_stop: float,
                 topic_switch: float) -> tuple[np.ndarray, np.ndarray]:
    """``(emission, transition)`` of the chain over (topic, class) states plus one boundary state per topic.

    topic_words : (M, K, n_words) unnormalised emission weights of class k in topic m
    """
    M, K, n_words = topic_words.shape
    n_spec, S = len(SPECIALS), M * (K + 1)
    emission = np.zeros((S, n_spec + n_words))
    transition = np.zeros((S, S))
    for m in range(M):
        o, b = m * (K + 1), m * (K + 1) + K  # first word state and boundary state of topic m
        w = topic_words[m]  # (K, n_words)
        emission[o:b, n_spec:] = w / w.sum(axis=1, keepdims=True)
        emission[b, NL_ID] = 1.0
        transition[o:b, o:b] = (1.0 - p_stop) * A
        transition[o:b, b] = p_stop
        for m2 in range(M):
            stay = (1.0 - topic_switch) * (m2 == m) + topic_switch * topic_w[m2]
            transition[b, m2 * (K + 1):m2 * (K + 1) + K] = stay * start
    return emission, transition


def _dynamics(rng: np.random.Generator, K: int, M: int):
    """Class transitions (no self-loops), the classes' start distribution, the topic weights."""
    return _no_self_loops(rng.dirichlet(np.full(K, 0.5), size=K)), rng.dirichlet(np.ones(K)), \
        rng.dirichlet(np.full(M, 2.0))


def _no_self_loops(rows: np.ndarray) -> np.ndarray:
    """Zero the diagonal and renormalise: a class never follows itself, so words rarely repeat back to back."""
    if len(rows) == 1:
        return rows
    rows = rows.copy()
    np.fill_diagonal(rows, 0.0)
    return rows / rows.sum(axis=1, keepdims=True)


def build_tokenizer(words: Sequence[str]):
    """A word-level fast tokenizer: one token per word, ``<nl>`` prepended to every line.

    Returns a ``transformers.PreTrainedTokenizerFast`` so that it is saved and
    loaded by ``from_pretrained`` exactly like OPT's.
    """
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(SPECIALS)}
    vocab.update({w: len(SPECIALS) + i for i, w in enumerate(words)})
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="<nl> $A", special_tokens=[("<nl>", NL_ID)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
    )
