"""Perplexity: of every individual sequence, and of a whole split.

A block's perplexity is ``exp`` of its mean next-token negative log-likelihood
over positions ``1..L-1`` -- what ``model(input_ids=x, labels=x).loss`` gives for
that block alone. The release saved per-batch means under this name; here every
value belongs to one sequence (checked against transformers in the tests).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["token_nll", "sequence_perplexity", "corpus_perplexity", "perplexity_stats", "next_token_log_probs",
           "distinct_tokens", "loop_period", "diversity"]


def _batches(blocks: npt.NDArray[np.int64], batch_size: int):
    for i in range(0, len(blocks), batch_size):
        yield blocks[i:i + batch_size]


def next_token_log_probs(model, x, device: str):
    """Log-probabilities of the next token after every prefix, shape (B, L-1, V) as a float32 tensor."""
    import torch

    from collapse.llm.model import autocast_dtype

    dtype = autocast_dtype(device)
    with torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
        logits = model(input_ids=x).logits[:, :-1]
    return torch.log_softmax(logits.float(), dim=-1)


def token_nll(model, blocks: npt.NDArray[np.int64], *, device: str = "cpu", batch_size: int = 64,
              progress: bool = False) -> npt.NDArray[np.float64]:
    """Negative log-likelihood of each token given its prefix in the block.

    Parameters
    ----------
    blocks : int array of shape (n, L)

    Returns
    -------
    ndarray of shape (n, L-1): ``-log p(x[i, t] | x[i, :t])`` for ``t = 1..L-1`` (nats)
    """
    import torch
    from tqdm.auto import tqdm

    model.eval()
    out = []
    with torch.inference_mode():
        for b in tqdm(list(_batches(blocks, batch_size)), desc="scoring", leave=False, disable=not progress):
            x = torch.as_tensor(b, device=device)
            logp = next_token_log_probs(model, x, device)
            out.append(-logp.gather(-1, x[:, 1:, None])[..., 0].double().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, blocks.shape[1] - 1))


def sequence_perplexity(model, blocks, **kw) -> npt.NDArray[np.float64]:
    """Perplexity of each block on its own, shape (n,)."""
    return np.exp(token_nll(model, blocks, **kw).mean(axis=1))


def corpus_perplexity(model, blocks, **kw) -> dict[str, float]:
    """``exp`` of the mean token NLL over the whole split, and the mean / std of per-block perplexities."""
    return perplexity_stats(token_nll(model, blocks, **kw))


def perplexity_stats(nll: npt.NDArray[np.float64]) -> dict[str, float]:
    """:func:`corpus_perplexity` from the token NLLs of shape (n, L-1) (e.g. gathered from several ranks)."""
    per_seq = np.exp(nll.mean(axis=1))
    return {"perplexity": float(np.exp(nll.mean())), "mean_nll": float(nll.mean()),
            "mean_sequence_perplexity": float(per_seq.mean()), "std_sequence_perplexity": float(per_seq.std())}


def distinct_tokens(blocks: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """The number of distinct tokens in each block, shape (n,)."""
    blocks = np.asarray(blocks)
    if blocks.size == 0:
        return np.zeros(len(blocks), dtype=np.int64)
    s = np.sort(blocks, axis=1)
    return 1 + (s[:, 1:] != s[:, :-1]).sum(axis=1)


def loop_period(blocks: npt.NDArray[np.int64], max_period: int = 4, tail: int = 16) -> npt.NDArray[np.int64]:
    """The shortest period ``p <= max_period`` with which each block's last ``tail`` tokens repeat, 0 for none.

    A block "falls into a loop of period p" when ``x[t] == x[t - p]`` for every ``t`` of its last
    ``tail`` tokens (at least ``tail / p`` repeats: ``a b a b ...`` has period 2). Shape (n,).
    """
    blocks = np.asarray(blocks)
    n, L = blocks.shape
    tail = min(tail, L)
    out = np.zeros(n, dtype=np.int64)
    for p in range(max_period, 0, -1):  # the last assignment is the shortest period
        if p >= L:
            continue
        t = np.arange(max(p, L - tail), L)
        out[(blocks[:, t] == blocks[:, t - p]).all(axis=1)] = p
    return out


def diversity(blocks: npt.NDArray[np.int64], max_period: int = 4, tail: int = 16) -> dict[str, float]:
    """``distinct_tokens`` (mean distinct tokens per block) and ``loop_fraction`` (share of blocks whose
    last ``tail`` tokens repeat with a period of at most ``max_period``: :func:`loop_period`)."""
    blocks = np.asarray(blocks)
    if len(blocks) == 0:
        return {"distinct_tokens": float("nan"), "loop_fraction": float("nan")}
    return {"distinct_tokens": float(distinct_tokens(blocks).mean()),
            "loop_fraction": float((loop_period(blocks, max_period, tail) > 0).mean())}
