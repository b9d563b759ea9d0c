"""A synthetic language with a known ground truth: a hidden Markov model of sentences over a Zipf-weighted vocabulary.

The offline stand-in for WikiText-2. Text is a sequence of lines; the
tokenizer (a word-level ``tokenizers`` tokenizer) maps each word to one token and
starts every line with a ``<nl>`` marker, as OPT's tokenizer starts every line
with ``</s>``. The whole token stream -- markers included -- is exactly one
hidden Markov chain (:func:`make_language`): sentences whose hidden state holds
the sentence's type and the position in it, sentence types that follow each
other in a long succession, topics that persist across lines, and Zipf weights
within every slot (so a head of frequent words and a long tail of rare ones).

Why this shape: beam search approximates the most probable continuation, and in a
language of few hidden states (word classes following each other as in a grammar)
that path is a short loop -- beam search on the true distribution itself then writes
two-word loops. Here a word belongs to one slot of one sentence type, so the most
probable path walks through whole sentences and from one type to the next: beam
search on the truth writes text about as varied as real text (measured in every
run: :func:`collapse.llm.evaluate.diversity`).

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
        """Stationary distribution of the hidden chain, shape (S,) (computed once; a copy is returned)."""
        cached = self.__dict__.get("_stationary")
        if cached is None:
            vals, vecs = np.linalg.eig(self.transition.T)
            v = np.real(vecs[:, np.argmin(np.abs(vals - 1.0))])
            cached = v / v.sum()
            object.__setattr__(self, "_stationary", cached)  # frozen: the cache is not a field
        return cached.copy()

    def unigram(self) -> npt.NDArray[np.float64]:
        """Stationary probability of each token id, shape (V_tok,)."""
        return self.stationary() @ self.emission

    def bigram(self) -> npt.NDArray[np.float64]:
        """Stationary probability of each consecutive pair ``(a, b)``, shape (V_tok, V_tok) (computed once)."""
        cached = self.__dict__.get("_bigram")
        if cached is None:
            mu = self.stationary()
            cached = (self.emission.T * mu) @ self.transition @ self.emission
            object.__setattr__(self, "_bigram", cached)
        return cached.copy()

    def sample_stream(self, n_tokens: int, rng: np.random.Generator, n_docs: int = 32) -> npt.NDArray[np.int64]:
        """``n_tokens`` tokens: ``n_docs`` independent documents of complete lines, concatenated.

        Each document starts in a boundary state (so with ``<nl>``) drawn from the stationary
        distribution restricted to boundary states and ends with the last word of a line (its
        unfinished last line is dropped), so a seam between documents is a line break, as in
        the language itself; the stream is cut after ``n_tokens`` (the end of the last document).
        """
        n_tokens = check_int("n_tokens", n_tokens, minimum=1)
        n_docs = min(n_docs, n_tokens)
        steps = -(-n_tokens // n_docs)
        emit_cum, trans_cum = np.cumsum(self.emission, axis=1), np.cumsum(self.transition, axis=1)
        start = self.stationary() * (self.emission[:, NL_ID] > 0)
        state = _categorical(np.broadcast_to(np.cumsum(start), (n_docs, len(start))), rng)
        docs: list[list[np.ndarray]] = [[] for _ in range(n_docs)]
        have = np.zeros(n_docs, dtype=np.int64)  # complete-line tokens of each document so far
        chunk = steps + 64  # then 64 more at a time, until every document has its share of complete lines
        while (have < steps).any():
            out = np.empty((n_docs, chunk), dtype=np.int64)
            for t in range(chunk):
                out[:, t] = _categorical(emit_cum[state], rng)
                state = _categorical(trans_cum[state], rng)
            for i in range(n_docs):
                docs[i].append(out[i])
                ends = np.flatnonzero(np.concatenate(docs[i]) == NL_ID)
                have[i] = ends[-1] if len(ends) else 0
            chunk = 64
        return np.concatenate([np.concatenate(docs[i])[:have[i]] for i in range(n_docs)])[:n_tokens]

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
    rng: np.random.Generator, *, n_words: int = 400, n_topics: int = 6, n_sentence_types: int = 8,
    mean_sentence_words: float = 10.0, zipf_exponent: float = 1.1, topic_tilt: float = 2.0, skip: float = 0.15,
    topic_switch: float = 0.1, type_noise: float = 0.02, type_order: float = 0.8, line_break: float = 0.35,
    dynamics_rng: np.random.Generator | None = None, dynamics_mix: float = 0.5,
) -> HiddenMarkovLanguage:
    """Draw a ground-truth language: sentences of slots, sentence types in succession, persistent topics.

    The hidden state is ``(topic m, sentence type k, position j)`` plus one line-boundary state per
    ``(m, k)``. A sentence of type ``k`` has ``J_k`` slots (``J_k`` drawn around ``mean_sentence_words``);
    it moves from slot ``j`` to ``j + 1``, or skips one with probability about ``skip``; after its last
    slot the line ends (with probability ``line_break``: ``<nl>``, and the topic changes with
    probability ``topic_switch``) or the next sentence follows on the same line; the next sentence's
    type is ``k + 1`` (with probability about ``type_order``) or ``k + 2`` (modulo the number of types;
    with probability ``type_noise`` any type).

    Every word has one slot, so a sentence never repeats a word and which sentence a text is in
    is written in its words: the state carries the position in the sentence and the type's memory
    of what came before, and the most probable path through the language is long (it visits the
    sentence types in turn) instead of a short loop. Slot ``(k, j)`` of topic ``m`` emits its word
    ``w`` with probability proportional to ``r_w ** -zipf_exponent * exp(topic_tilt Y[m, w])``
    (``r_w`` the word's rank, ``Y`` standard normal): Zipf-like frequencies, and topic words that
    make a text's continuation depend on its prompt. A line holds about ``1 / line_break`` sentences:
    which type comes next is then mostly written right after the last word of a sentence, where
    a small model reads it from the previous token, not across a line marker (a tiny model that
    must look past ``<nl>`` to choose the next sentence repeats the last one, under beam search).

    Parameters
    ----------
    rng : draws everything: words, sentence lengths, slots, emissions and dynamics.
    dynamics_rng, dynamics_mix : if given, a second set of dynamics (the sentence types' succession,
        the skip probabilities, the topic weights) is drawn from ``dynamics_rng`` and mixed in with
        weight ``dynamics_mix``: the same ``rng`` seed then gives a related language, same words,
        sentences and emissions, other dynamics (the stand-in's pretraining text).

    Returns
    -------
    HiddenMarkovLanguage, with ``S = n_topics * sum_k (J_k + 1)`` states
    """
    K, M, alpha = _check_shape(n_words, n_sentence_types, n_topics, zipf_exponent, mean_sentence_words)
    for name, v in (("skip", skip), ("topic_switch", topic_switch), ("type_noise", type_noise),
                    ("type_order", type_order), ("line_break", line_break), ("dynamics_mix", dynamics_mix)):
        if not (isinstance(v, (int, float)) and 0.0 <= v <= 1.0) or (name == "skip" and v > 0.5):
            raise InvalidArgument(name, "a probability in [0, 0.5]" if name == "skip" else "a probability in [0, 1]",
                                  v)
    words = word_list(n_words, rng)
    lens = _sentence_lengths(rng, K, mean_sentence_words, n_words)
    slot_of = rng.permutation(np.arange(n_words) % int(lens.sum()))  # word -> its slot; every slot has words
    y = rng.standard_normal((M, n_words))
    weight = np.arange(1, n_words + 1, dtype=float) ** -alpha * np.exp(topic_tilt * y)  # (M, n_words)
    dyn = _dynamics(rng, lens, M, type_noise, skip, type_order)
    if dynamics_rng is not None:
        dyn = tuple((1 - dynamics_mix) * a + dynamics_mix * b
                    for a, b in zip(dyn, _dynamics(dynamics_rng, lens, M, type_noise, skip, type_order)))
    emission, transition = _sentence_chain(lens, slot_of, weight, *dyn, topic_switch, line_break)
    return HiddenMarkovLanguage(transition=transition, emission=emission, words=words)


def _check_shape(n_words, n_types, n_topics, zipf_exponent, mean_sentence_words) -> tuple[int, int, float]:
    """``(K, M, alpha)``: the sentence types, topics and Zipf exponent, checked; bad values are one-line errors."""
    K = check_int("n_sentence_types", n_types, minimum=1)
    n_words = check_int("n_words", n_words, minimum=1)
    if n_words < 2 * K:
        raise InvalidArgument("n_words", f"at least 2 n_sentence_types = {2 * K} words (every sentence has two slots "
                              "or more, each with words of its own)", n_words)
    M = check_int("n_topics", n_topics, minimum=1)
    alpha = check_positive_real("zipf_exponent", zipf_exponent)
    if not (isinstance(mean_sentence_words, (int, float)) and 2.0 <= mean_sentence_words <= 10_000):
        raise InvalidArgument("mean_sentence_words", "a number in [2, 10000] (sentences shorten to give every slot "
                              "a word of its own)", mean_sentence_words)
    return K, M, alpha


def _sentence_lengths(rng: np.random.Generator, K: int, mean: float, n_words: int) -> np.ndarray:
    """Slots per sentence type, about ``mean`` (0.6 to 1.4 times it), at least 2; the longest are shortened
    until there are at most ``n_words`` slots in all (every slot has a word of its own)."""
    lens = np.maximum(2, np.round(mean * rng.uniform(0.6, 1.4, K)).astype(int))
    while lens.sum() > n_words:
        lens[np.argmax(lens)] -= 1
    return lens


def _dynamics(rng: np.random.Generator, lens: np.ndarray, M: int, type_noise: float, skip: float,
              type_order: float = 0.8):
    """The sentence types' succession ``R`` (K, K), the skip probability of every slot (K, max J), topic weights.

    After type ``k`` comes ``k + 1`` with probability about ``type_order`` (a Beta draw of mean ``type_order``
    per type), else ``k + 2``; and with probability ``type_noise`` a type drawn uniformly.
    """
    K = len(lens)
    succ = np.full((K, K), type_noise / K)
    for k in range(K):
        p1 = 1.0 if K <= 2 else (rng.beta(10 * type_order, 10 * (1 - type_order)) if 0 < type_order < 1 else type_order)
        succ[k, (k + 1) % K] += (1 - type_noise) * p1
        succ[k, (k + 2) % K] += (1 - type_noise) * (1 - p1)
    skips = skip * 2 * rng.beta(2.0, 2.0, size=(K, int(lens.max())))
    return succ, skips, rng.dirichlet(np.full(M, 2.0))


def _sentence_chain(lens: np.ndarray, slot_of: np.ndarray, weight: np.ndarray, succ: np.ndarray, skips: np.ndarray,
                    topic_w: np.ndarray, topic_switch: float, line_break: float) -> tuple[np.ndarray, np.ndarray]:
    """``(emission, transition)`` of the chain over (topic, type, slot) states plus a boundary per (topic, type).

    lens    : (K,) slots per sentence type; slot ``(k, j)`` is global slot ``sum(lens[:k]) + j``
    slot_of : (n_words,) the global slot of every word
    weight  : (M, n_words) unnormalised emission weights of every word in every topic

    After a sentence's last slot comes, with probability ``line_break``, its boundary state (``<nl>``,
    then the next sentence in a topic that may switch), else the next sentence in the same line and topic.
    """
    M, n_words = weight.shape
    K, n_spec = len(lens), len(SPECIALS)
    first = np.concatenate([[0], np.cumsum(lens)[:-1]])  # global slot of each type's first slot
    off = np.cumsum([0] + [int(lens[k]) + 1 for _ in range(M) for k in range(K)])[:-1].reshape(M, K)
    S = int(off[-1, -1] + lens[-1] + 1)
    emission = np.zeros((S, n_spec + n_words))
    transition = np.zeros((S, S))
    for m in range(M):
        for k in range(K):
            o, J = off[m, k], int(lens[k])
            for j in range(J):
                mine = slot_of == first[k] + j
                emission[o + j, n_spec:] = np.where(mine, weight[m], 0.0) / weight[m, mine].sum()
                if j + 2 < J:
                    transition[o + j, o + j + 1], transition[o + j, o + j + 2] = 1 - skips[k, j], skips[k, j]
                elif j + 2 == J:
                    transition[o + j, o + j + 1] = 1.0
            transition[o + J - 1, o + J] = line_break  # the last slot: the line ends here ...
            transition[o + J - 1, off[m]] += (1.0 - line_break) * succ[k]  # ... or the next sentence follows
            emission[o + J, NL_ID] = 1.0
            for m2 in range(M):
                stay = (1.0 - topic_switch) * (m2 == m) + topic_switch * topic_w[m2]
                transition[o + J, off[m2]] += stay * succ[k]
    return emission, transition


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
