"""Exact scores under the synthetic language's true distribution, and the discrete chain's prediction.

Three kinds of measurement, none of which the paper could make on WikiText-2:

1. **Data under the truth.** The true per-token negative log-likelihood of every
   training sequence of every generation (the forward algorithm, each block
   scored on its own from the chain's stationary state), so Fig. 1b's "shift
   towards more probable sequences" is measured against the truth, not against
   the generation-0 model.
2. **Model against the truth.** On real test blocks, the exact
   ``KL(p_true(. | prefix) || p_model(. | prefix))`` at every position, and the
   probability mass the model gives to the tail -- the rarest tokens that
   together carry 10% of the true unigram mass -- against the truth's.
3. **Loss of rare tokens and n-grams against the discrete chain.** A token of
   probability ``q`` appears about ``Poisson(qN)`` times in ``N`` tokens of real
   data. If each generation re-drew its ``N`` tokens from the previous
   generation's empirical frequencies (the discrete Wright-Fisher chain of the
   paper's section "Discrete distributions with exact approximation"), a rare
   token's count would be a Galton-Watson process with ``Poisson(1)`` offspring,
   so the probability that it is absent from generation ``g``'s data is
   (:func:`chain_loss_probability`, from the Poisson chain of :mod:`collapse.analytic.rates`)

   .. math:: P_g(q) = f_{g+1}(0)^{qN} = \\exp(-qN\\,(1 - f_g(0))),\\quad f(s) = e^{s - 1},

   ``f_t`` the ``t``-fold iterate of the Poisson(1) offspring pgf, with ``g = 0`` the
   real data (``exp(-qN)``, about ``(1-q)^N``; for ``g = 1`` it is
   :func:`collapse.analytic.discrete.loss_probability` averaged over the real count,
   checked in the tests). The
   language model is not that chain -- it smooths, it is prompted by real text,
   and beam search is mode-seeking -- and the comparison shows by how much its
   losses differ from pure resampling. :func:`truth_beam_search` separates the
   two causes: it is the protocol's beam search run on the *true* distribution,
   the data a perfect generation-0 model would write.

References: Shumailov et al. 2024, section "Discrete distributions with exact
approximation" and Fig. 1b.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from collapse.analytic.rates import chain_loss_probability  # re-exported: the llm tests and users ask here
from collapse.llm.synthetic import HiddenMarkovLanguage

__all__ = [
    "forward_predictive", "true_token_nll", "tail_set", "model_vs_truth", "data_coverage",
    "chain_loss_probability", "truth_beam_search",
]


#: filtered state probabilities below this are set to 0: they cannot change any result at double precision,
#: and left alone they decay into subnormal numbers, on which the products run many times slower
FLUSH = 1e-250


class _Chain:
    """The language's transition and emission matrices, dense and sparse (most of their entries are 0)."""

    def __init__(self, lang: HiddenMarkovLanguage):
        import scipy.sparse as sp

        self.T, self.E = lang.transition, lang.emission
        self.Et = np.ascontiguousarray(self.E.T)  # (V, S): the likelihood of one token in every state is a row
        self.Ts, self.Es = sp.csr_matrix(self.T.T), sp.csr_matrix(self.E.T)  # (S, S) and (V, S): row-major products
        self.stationary = lang.stationary()

    def step(self, prior: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``prior @ T``, shape (n, S)."""
        return np.asarray(self.Ts @ prior.T).T

    def predict(self, prior: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """``prior @ E``: the next-token distributions, shape (n, V)."""
        return np.ascontiguousarray(np.asarray(self.Es @ prior.T).T)

    def observe(self, prior: npt.NDArray[np.float64], tokens: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """The state distributions after observing ``tokens`` (shape (n,)) from ``prior`` (n, S), renormalised.

        A token the state gives probability 0 (a special token a model wrote, an impossible
        sequence) leaves the state at its prior.
        """
        post = prior * self.Et[tokens]  # (n, S)
        norm = post.sum(axis=1, keepdims=True)
        post = np.where(norm > 0, post / np.where(norm > 0, norm, 1.0), prior)
        post[post < FLUSH] = 0.0
        return post

    def start(self, n: int) -> npt.NDArray[np.float64]:
        return np.array(np.broadcast_to(self.stationary, (n, len(self.stationary))))


def forward_predictive(lang: HiddenMarkovLanguage, blocks: npt.NDArray[np.int64]):
    """Yield ``(t, pred)`` for ``t = 1..L-1``: the true next-token distribution before ``x[:, t]``.

    Each block is scored on its own, starting from the stationary state (the
    models also see a block without what preceded it). An observed token the
    truth gives probability 0 (a special token a model wrote) leaves the state
    at its prior.

    Yields
    ------
    t : int
    pred : ndarray of shape (n, V)
    """
    c = _Chain(lang)
    prior = c.start(len(blocks))
    for t in range(blocks.shape[1]):
        if t > 0:
            yield t, c.predict(prior)
        prior = c.step(c.observe(prior, blocks[:, t]))


def true_token_nll(lang: HiddenMarkovLanguage, blocks: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """``-log p_true(x[i, t] | x[i, :t])`` for ``t = 1..L-1``, shape (n, L-1); ``inf`` where impossible."""
    blocks = np.asarray(blocks, dtype=np.int64)
    out = np.empty((len(blocks), blocks.shape[1] - 1))
    rows = np.arange(len(blocks))
    with np.errstate(divide="ignore"):
        for t, pred in forward_predictive(lang, blocks):
            out[:, t - 1] = -np.log(pred[rows, blocks[:, t]])
    return out


def tail_set(q: npt.NDArray[np.float64], mass: float = 0.1) -> npt.NDArray[np.bool_]:
    """The rarest tokens (``q > 0``) that together carry at most ``mass`` of the probability, shape (V,)."""
    order = np.argsort(q)
    order = order[q[order] > 0]
    keep = np.cumsum(q[order]) <= mass
    out = np.zeros(len(q), dtype=bool)
    out[order[keep]] = True
    return out


def model_vs_truth(lang: HiddenMarkovLanguage, model, blocks: npt.NDArray[np.int64], *, device: str = "cpu",
                   batch_size: int = 64, tail_mass: float = 0.1) -> dict[str, float]:
    """Exact per-position KL from the truth to the model on ``blocks`` (real test data), and tail masses.

    Returns
    -------
    dict: ``kl`` (nats/token, mean over positions), ``true_nll`` (the truth's own
    NLL, the floor of any model's), ``model_nll``, ``tail_mass_model`` and
    ``tail_mass_true`` (mean next-token mass on :func:`tail_set`).
    """
    import torch

    from collapse.llm.evaluate import next_token_log_probs

    tail = tail_set(lang.unigram(), tail_mass)
    V = lang.vocab_size
    sums = dict(kl=0.0, true_nll=0.0, model_nll=0.0, tail_mass_model=0.0, tail_mass_true=0.0)
    count = 0
    model.eval()
    for i in range(0, len(blocks), batch_size):
        b = np.asarray(blocks[i:i + batch_size], dtype=np.int64)
        with torch.inference_mode():
            logq = next_token_log_probs(model, torch.as_tensor(b, device=device), device)[..., :V]
        logq = logq.double().cpu().numpy()  # (n, L-1, V) ; a model's extra vocabulary rows are never true
        p, logp = _truth_on(lang, b)
        nxt = b[:, 1:, None]
        sums["kl"] += float((p * (logp - logq)).sum())
        sums["true_nll"] -= float(np.take_along_axis(logp, nxt, -1).sum())
        sums["model_nll"] -= float(np.take_along_axis(logq, nxt, -1).sum())
        sums["tail_mass_model"] += float(np.exp(logq[..., tail]).sum())
        sums["tail_mass_true"] += float(p[..., tail].sum())
        count += b.shape[0] * (b.shape[1] - 1)
    return {k: v / count for k, v in sums.items()}


_TRUTH_CACHE: dict[tuple, tuple] = {}


def _truth_on(lang: HiddenMarkovLanguage, b: npt.NDArray[np.int64]) -> tuple[np.ndarray, np.ndarray]:
    """``(p, log p)``: the true next-token distributions on the blocks ``b``, shape (n, L-1, V).

    Every generation is scored on the same test blocks: the last few results are kept
    (keyed by the language and the blocks' bytes), so the forward pass runs once per run.
    """
    import hashlib

    key = (id(lang), hashlib.sha1(np.ascontiguousarray(b).tobytes()).hexdigest(), b.shape)
    hit = _TRUTH_CACHE.get(key)
    if hit is None or hit[0] is not lang:  # the language is held, so its id cannot be another's
        p = np.stack([pred for _, pred in forward_predictive(lang, b)], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            logp = np.where(p > 0, np.log(p), 0.0)
        if len(_TRUTH_CACHE) >= 4:
            _TRUTH_CACHE.pop(next(iter(_TRUTH_CACHE)))
        hit = _TRUTH_CACHE[key] = (lang, p, logp)
    return hit[1], hit[2]


def data_coverage(lang: HiddenMarkovLanguage, blocks: npt.NDArray[np.int64], tail_mass: float = 0.1, *,
                  generation: int | None = None, n_real: int | None = None) -> dict:
    """How much of the true language a training set still holds.

    Parameters
    ----------
    generation, n_real : with both, also the discrete chain's prediction for generation
        ``generation`` of a chain whose real data has ``n_real`` tokens (:func:`chain_loss_probability`)

    Returns
    -------
    dict: ``missing_unigram_mass`` / ``missing_bigram_mass`` (true probability of
    the tokens / within-block consecutive pairs absent from the data),
    ``tokens_present`` (count), ``tail_fraction`` (share of the data's tokens in
    the tail set) against ``tail_fraction_true``, ``impossible_fraction``
    (tokens the truth never emits), ``tail_present`` (share of the tail set's tokens that
    occur in the data: the rare tokens' survival) and, with ``generation`` and ``n_real``,
    ``tail_present_chain`` and ``missing_unigram_mass_chain``: what the discrete chain
    (resampling ``n_real`` tokens each generation) predicts for both, in expectation.
    """
    blocks = np.asarray(blocks, dtype=np.int64)
    q, q2 = lang.unigram(), lang.bigram()
    V = lang.vocab_size
    flat = blocks.ravel()
    valid = flat[(flat >= 0) & (flat < V)]
    seen = np.bincount(valid, minlength=V)[:V] > 0
    a, b = blocks[:, :-1].ravel(), blocks[:, 1:].ravel()
    ok = (a < V) & (b < V) & (a >= 0) & (b >= 0)
    seen2 = np.zeros((V, V), dtype=bool)
    seen2[a[ok], b[ok]] = True
    tail = tail_set(q, tail_mass)
    out = {
        "missing_unigram_mass": float(q[~seen].sum()),
        "missing_bigram_mass": float(q2[~seen2].sum()),
        "tokens_present": int(seen[q > 0].sum()),
        "tail_fraction": float(np.isin(flat, np.flatnonzero(tail)).mean()),
        "tail_fraction_true": float(q[tail].sum()),
        "impossible_fraction": float(1.0 - (q[np.clip(flat, 0, V - 1)] * (flat < V) > 0).mean()),
        "tail_present": float(seen[tail].mean()) if tail.any() else float("nan"),
    }
    if generation is not None and n_real is not None:
        lost = chain_loss_probability(q * n_real, int(generation))
        out["tail_present_chain"] = float(1.0 - lost[tail].mean()) if tail.any() else float("nan")
        out["missing_unigram_mass_chain"] = float((q * lost).sum())
    return out


def truth_beam_search(lang: HiddenMarkovLanguage, prompts: npt.NDArray[np.int64], new_tokens: int,
                      num_beams: int = 5) -> npt.NDArray[np.int64]:
    """The protocol's beam search with the true distribution as the model.

    Fixed-length beams (no end token: the truth never emits the models' EOS), so
    the best beam is the one with the highest total log-probability, as in
    ``generate(num_beams=..., min_new_tokens=max_new_tokens=new_tokens)``.

    Parameters
    ----------
    prompts : int array of shape (n, L), each scored from the stationary state

    Returns
    -------
    ndarray of shape (n, new_tokens)
    """
    prompts = np.asarray(prompts, dtype=np.int64)
    n, B, V = len(prompts), num_beams, lang.vocab_size
    c = _Chain(lang)
    prior = np.repeat(_after_prompts(c, prompts), B, axis=0)  # (n*B, S): beam b of prompt i is row i*B + b
    score = np.full((n, B), -np.inf)
    score[:, 0] = 0.0  # one live beam at the start, as in transformers
    tokens = np.zeros((n * B, 0), dtype=np.int64)
    base = (np.arange(n) * B)[:, None]
    for _ in range(new_tokens):
        with np.errstate(divide="ignore"):
            cand = (score[..., None] + np.log(c.predict(prior)).reshape(n, B, V)).reshape(n, B * V)
        top = np.argpartition(-cand, B - 1, axis=1)[:, :B]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(cand, top, 1), axis=1, kind="stable"), 1)
        rows, tok = (base + top // V).ravel(), (top % V).ravel()
        score = np.take_along_axis(cand, top, 1)
        prior = c.step(c.observe(prior[rows], tok))
        tokens = np.concatenate([tokens[rows], tok[:, None]], axis=1)
    return tokens[::B]


def _after_prompts(c: _Chain, prompts: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """The hidden state's distribution before the first new token, filtered through each prompt, shape (n, S)."""
    prior = c.start(len(prompts))
    for t in range(prompts.shape[1]):
        prior = c.step(c.observe(prior, prompts[:, t]))
    return prior
