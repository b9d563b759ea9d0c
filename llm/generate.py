"""Decoding that writes exactly ``new_tokens`` tokens per prompt: beam search (the paper's), greedy, sampling.

Protocol (official-protocol.md, "Generation"): every real block is a prompt;
5-way beam search, no sampling, ``min_new_tokens = max_new_tokens``; only the new
tokens are kept. All prompts have the same length, so batches need no padding
and batched output equals one-prompt-at-a-time output.

The decoding strategy is an axis of the experiment (:class:`Decoding`, named on the
command line ``beam5``, ``greedy``, ``sample``, ``temp0.7``, ``topk20``, ``topp0.9``):

- **beam search** (``beamB``): the ``B`` best partial continuations by total
  log-probability, extended one token at a time; exactly what
  ``model.generate(num_beams=B, do_sample=False, min_new_tokens=max_new_tokens=n,
  early_stopping=True)`` does (checked against it in the tests), with the
  repetition penalty applied to the log-probabilities as transformers does there;
- **greedy** (``greedy``): the most probable next token;
- **ancestral sampling** (``sample``) and its truncations: temperature ``T``
  (``tempT``: logits divided by ``T``), top-k (``topkK``: only the ``K`` most
  probable tokens), nucleus (``toppP``: the fewest most probable tokens holding at
  least ``P`` of the mass), each renormalised; for these and greedy the repetition
  penalty acts on the logits, as in transformers' ``generate``.

The decoder is one loop over a key/value cache (the prompt is run once, not once per beam);
it is many times faster than ``generate`` for a tiny model, whose steps are all overhead.
Sampling draws its uniforms from a numpy generator, one row per prompt
(:func:`uniforms`), so a prompt's continuation does not depend on the batch it is in.
The end-of-sequence token is never written (``min_new_tokens``).
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import numpy.typing as npt

from collapse.core.validation import InvalidArgument, check_int, check_positive_real

__all__ = ["Decoding", "BEAM5", "parse_decoding", "parse_decodings", "decode", "beam_generate", "uniforms",
           "DECODING_HELP", "MAX_TOP_K"]

#: the largest top-k and beam width a decoding name may ask for
MAX_TOP_K = 100_000
MAX_BEAMS = 64
DECODING_HELP = ("beamB (B-way beam search, B in 1..64; the paper: beam5), greedy, sample (ancestral), tempT "
                 "(sampling at temperature T in (0, 10]), topkK (sampling from the K most probable tokens, "
                 "K >= 1), toppP (nucleus sampling, P in (0, 1])")


@dataclasses.dataclass(frozen=True)
class Decoding:
    """How a model writes its continuations.

    kind        ``beam``, ``greedy`` or ``sample``
    num_beams   beam width (``beam`` only)
    temperature logits divided by it before sampling (``sample`` only)
    top_k       sample among the ``top_k`` most probable tokens only (0: all)
    top_p       sample among the fewest most probable tokens holding at least ``top_p`` of the mass (1: all)
    """

    kind: str = "beam"
    num_beams: int = 5
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0

    def __post_init__(self):
        if self.kind not in ("beam", "greedy", "sample"):
            raise InvalidArgument("decoding", "one of beam, greedy, sample", self.kind)
        check_int("num_beams", self.num_beams, minimum=1, maximum=MAX_BEAMS)
        check_positive_real("temperature", self.temperature)
        check_int("top_k", self.top_k, minimum=0, maximum=MAX_TOP_K)
        if not (isinstance(self.top_p, (int, float)) and 0.0 < self.top_p <= 1.0):
            raise InvalidArgument("top_p", "a number in (0, 1]", self.top_p)
        if self.kind != "beam" and self.num_beams != 1:
            object.__setattr__(self, "num_beams", 1)

    @property
    def name(self) -> str:
        """The name :func:`parse_decoding` reads back (``beam5``, ``greedy``, ``temp0.7``...)."""
        if self.kind == "beam":
            return f"beam{self.num_beams}"
        if self.kind == "greedy":
            return "greedy"
        parts = []
        if self.temperature != 1.0:
            parts.append(f"temp{self.temperature:g}")
        if self.top_k:
            parts.append(f"topk{self.top_k}")
        if self.top_p != 1.0:
            parts.append(f"topp{self.top_p:g}")
        return "-".join(parts) or "sample"

    @property
    def stochastic(self) -> bool:
        return self.kind == "sample"


BEAM5 = Decoding()
_PART = re.compile(r"^(temp|topk|topp)([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)$")


def parse_decoding(text: str) -> Decoding:
    """A :class:`Decoding` from its name (``beam5``, ``greedy``, ``sample``, ``temp0.7``, ``topk20``,
    ``topp0.9``, or sampling options joined by ``-``: ``temp0.8-topp0.95``).

    >>> parse_decoding("beam5") == Decoding("beam", 5)
    True
    >>> parse_decoding("temp0.7-topk20").name
    'temp0.7-topk20'
    """
    t = str(text).strip()
    if t == "greedy":
        return Decoding("greedy", 1)
    if t == "sample":
        return Decoding("sample", 1)
    m = re.fullmatch(r"beam([0-9]{1,3})", t)
    if m:
        b = int(m[1])
        if not 1 <= b <= MAX_BEAMS:
            raise InvalidArgument("decoding", DECODING_HELP, f"{t} (beam width {b} not in 1..{MAX_BEAMS})")
        return Decoding("beam", b)
    kw: dict = {}
    for part in t.split("-") if t else [""]:
        p = _PART.match(part)
        if not p:
            raise InvalidArgument("decoding", DECODING_HELP, t)
        key = {"temp": "temperature", "topk": "top_k", "topp": "top_p"}[p[1]]
        if key in kw:
            raise InvalidArgument("decoding", DECODING_HELP + ", each option once", t)
        value = float(p[2])
        if key == "temperature" and not 0.0 < value <= 10.0:
            raise InvalidArgument("decoding", DECODING_HELP, f"{t} (temperature {p[2]} not in (0, 10])")
        if key == "top_k":
            if value != int(value) or not 1 <= value <= MAX_TOP_K:
                raise InvalidArgument("decoding", DECODING_HELP, f"{t} (top-k {p[2]} not an integer in 1..{MAX_TOP_K})")
            value = int(value)
        if key == "top_p" and not 0.0 < value <= 1.0:
            raise InvalidArgument("decoding", DECODING_HELP, f"{t} (top-p {p[2]} not in (0, 1])")
        kw[key] = value
    return Decoding("sample", 1, **kw)


def parse_decodings(text: str) -> tuple[Decoding, ...]:
    """A comma-separated list of decoding names (``--decoding beam5,greedy,sample``), each given once."""
    names = [t.strip() for t in str(text).split(",")]
    if "" in names:
        raise InvalidArgument("decoding", "comma-separated decodings: " + DECODING_HELP, f"{text} (an empty name)")
    out = tuple(parse_decoding(n) for n in names)
    seen = [d.name for d in out]
    twice = sorted({n for n in seen if seen.count(n) > 1})
    if twice:
        raise InvalidArgument("decoding", "each decoding once", f"{text} (twice: {', '.join(twice)})")
    return out


def uniforms(rng: np.random.Generator, n: int, new_tokens: int) -> npt.NDArray[np.float64]:
    """The uniforms sampling uses, one row per prompt: shape (n, new_tokens)."""
    return rng.random((n, new_tokens))


def decode(
    model, prompts: npt.NDArray[np.int64], decoding: Decoding = BEAM5, *, new_tokens: int = 64,
    repetition_penalty: float = 1.0, batch_size: int = 64, device: str = "cpu", progress: bool = False,
    u: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.int64]:
    """Continue every prompt by exactly ``new_tokens`` tokens with ``decoding``.

    Parameters
    ----------
    prompts : int array of shape (n, L)
    repetition_penalty : 1.0 is none; the paper's ablation uses 2.0, the release 3.0
    u : uniforms of shape (n, new_tokens) for a sampling decoding (:func:`uniforms`), one row per prompt

    Returns
    -------
    ndarray of shape (n, new_tokens): the continuations, prompts removed
    """
    import torch
    from tqdm.auto import tqdm

    from collapse.llm.model import autocast_dtype

    new_tokens = check_int("new_tokens", new_tokens, minimum=1)
    penalty = check_positive_real("repetition_penalty", repetition_penalty)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    prompts = np.asarray(prompts, dtype=np.int64)
    if prompts.ndim != 2 or prompts.shape[1] < 1:
        raise InvalidArgument("prompts", "an int array of shape (n, L) with L >= 1", prompts.shape)
    if decoding.stochastic:
        if u is None or np.shape(u) != (len(prompts), new_tokens):
            raise InvalidArgument("u", f"uniforms of shape ({len(prompts)}, {new_tokens}) for {decoding.name}",
                                  None if u is None else np.shape(u))
    model.eval()
    dtype = autocast_dtype(device)
    out = np.empty((len(prompts), new_tokens), dtype=np.int64)
    starts = range(0, len(prompts), batch_size)
    eos = model.config.eos_token_id
    eos = [] if eos is None else ([eos] if isinstance(eos, int) else list(eos))
    with torch.inference_mode(), torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
        for i in tqdm(starts, desc=decoding.name, leave=False, disable=not progress):
            x = torch.as_tensor(prompts[i:i + batch_size], device=device)
            if decoding.kind == "beam":
                y = _beam(model, x, new_tokens, decoding.num_beams, penalty, eos)
            else:
                ub = None if u is None else torch.as_tensor(u[i:i + batch_size], device=device)
                y = _sample(model, x, new_tokens, decoding, penalty, eos, ub)
            out[i:i + len(x)] = y.cpu().numpy()
    return out


def beam_generate(
    model, prompts: npt.NDArray[np.int64], *, new_tokens: int = 64, num_beams: int = 5,
    repetition_penalty: float = 1.0, batch_size: int = 32, device: str = "cpu", progress: bool = False,
) -> npt.NDArray[np.int64]:
    """The protocol's decoding: :func:`decode` with ``num_beams``-way beam search.

    Returns
    -------
    ndarray of shape (n, new_tokens): the continuations, prompts removed
    """
    num_beams = check_int("num_beams", num_beams, minimum=1)
    return decode(model, prompts, Decoding("beam", num_beams), new_tokens=new_tokens,
                  repetition_penalty=repetition_penalty, batch_size=batch_size, device=device, progress=progress)


def _buffer_cache(capacity: int):
    """A transformers ``DynamicCache`` whose layers write into buffers of ``capacity`` positions.

    ``DynamicCache`` concatenates every new token onto a fresh copy of the whole cache and beam
    search's reordering copies it again; here a step writes one position in place and a reorder
    moves only the generated positions (the beams of a prompt share its prompt): the same keys and
    values, a fraction of the memory traffic (what a tiny model's decoding time is made of). Only
    :func:`_beam` reorders, and always within a prompt's group of beams.
    """
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    class BufferLayer(DynamicLayer):
        def lazy_initialization(self, key_states, value_states) -> None:
            self.device = key_states.device
            b, h, _, d = key_states.shape
            self._k = key_states.new_empty((b, h, capacity, d))
            self._v = value_states.new_empty((b, h, capacity, value_states.shape[-1]))
            self._n = self._shared = 0  # positions written; the first _shared are the same in a group of beams
            self.keys, self.values = self._k[:, :, :0], self._v[:, :, :0]
            self.is_initialized = True

        def update(self, key_states, value_states, *args, **kwargs):
            if not self.is_initialized:
                self.lazy_initialization(key_states, value_states)
            n = key_states.shape[-2]
            if self._n + n > capacity:
                raise RuntimeError(f"cache of {capacity} positions full")
            self._k[:, :, self._n:self._n + n] = key_states
            self._v[:, :, self._n:self._n + n] = value_states
            self._n += n
            self.keys, self.values = self._k[:, :, :self._n], self._v[:, :, :self._n]
            return self.keys, self.values

        def get_seq_length(self) -> int:
            return self._n if self.is_initialized else 0

        def reorder_cache(self, beam_idx) -> None:
            # beam search reorders rows within a prompt's group of beams only, and the rows of a group
            # hold the same prompt: only the positions written since the groups were made need moving
            a = self._shared
            if self._n > a:
                idx = beam_idx.to(self._k.device)
                self._k[:, :, a:self._n] = self._k[:, :, a:self._n].index_select(0, idx)
                self._v[:, :, a:self._n] = self._v[:, :, a:self._n].index_select(0, idx)

        def batch_repeat_interleave(self, repeats: int) -> None:
            if self.get_seq_length() > 0:
                self._k = self._k.repeat_interleave(repeats, dim=0)
                self._v = self._v.repeat_interleave(repeats, dim=0)
                self._shared = self._n
                self.keys, self.values = self._k[:, :, :self._n], self._v[:, :, :self._n]

    cache = DynamicCache()
    if getattr(cache, "layer_class_to_replicate", None) is DynamicLayer and not len(cache.layers):
        cache.layer_class_to_replicate = BufferLayer  # else (another transformers): the plain cache, same results
    return cache


def _step(model, tokens, cache, length: int):
    """Next-token logits (float32) after ``tokens`` (shape (rows, t)), with the cache of what precedes them."""
    import torch

    mask = torch.ones((tokens.shape[0], length), dtype=torch.long, device=tokens.device)
    name, keep = _keywords(model)
    extra = {keep: 1} if keep else {}  # the last position's logits only (a large vocabulary's prompt logits)
    out = model(input_ids=tokens, attention_mask=mask, use_cache=True, **{name: cache}, **extra)
    return out.logits[:, -1].float(), getattr(out, name)


def _keywords(model) -> tuple[str, str | None]:
    """The forward's name for the cache (transformers 5: ``cache``; 4.x: ``past_key_values``) and for
    keeping only the last logits (``logits_to_keep``, ``num_logits_to_keep``, or none)."""
    import inspect

    params = inspect.signature(model.forward).parameters
    keep = next((k for k in ("logits_to_keep", "num_logits_to_keep") if k in params), None)
    return ("cache" if "cache" in params else "past_key_values"), keep


def _penalise(scores, seqs, penalty: float):
    """transformers' repetition penalty: every token already in ``seqs`` has its score divided (> 0) or
    multiplied (< 0) by ``penalty``."""
    import torch

    if penalty == 1.0:
        return scores
    got = torch.gather(scores, 1, seqs)
    return scores.scatter(1, seqs, torch.where(got < 0, got * penalty, got / penalty))


def _beam(model, x, new_tokens: int, B: int, penalty: float, eos: list[int]):
    """Beam search of width ``B`` for the prompts ``x`` (rows, L): the best beam's new tokens (rows, new_tokens)."""
    import torch

    n, L = x.shape
    logits, cache = _step(model, x, _buffer_cache(L + new_tokens), L)
    if B > 1:
        cache.batch_repeat_interleave(B)
        logits = logits.repeat_interleave(B, dim=0)
    seqs = x.repeat_interleave(B, dim=0)  # (n*B, L + t): beam b of prompt i is row i*B + b
    score = torch.full((n, B), -1e9, device=x.device)
    score[:, 0] = 0.0  # one live beam at the start, as in transformers
    base = torch.arange(n, device=x.device)[:, None] * B
    for t in range(new_tokens):
        if t:
            logits, cache = _step(model, seqs[:, -1:], cache, L + t)
        logp = _penalise(torch.log_softmax(logits, dim=-1), seqs, penalty)
        if eos:
            logp[:, eos] = -float("inf")  # min_new_tokens = new_tokens
        V = logp.shape[-1]
        cand = (score[..., None] + logp.view(n, B, V)).view(n, B * V)
        score, idx = torch.topk(cand, B, dim=1)
        rows = (base + idx // V).view(-1)
        seqs = torch.cat([seqs[rows], (idx % V).view(-1, 1)], dim=1)
        if t + 1 < new_tokens:
            cache.reorder_cache(rows)
    return seqs.view(n, B, -1)[:, 0, L:]  # topk is sorted: beam 0 is the best


def _sample(model, x, new_tokens: int, d: Decoding, penalty: float, eos: list[int], u):
    """Greedy decoding or sampling (temperature, top-k, top-p) for the prompts ``x``; ``u`` its uniforms."""
    import torch

    L = x.shape[1]
    seqs, cache = x, _buffer_cache(L + new_tokens)
    for t in range(new_tokens):
        logits, cache = _step(model, x if t == 0 else seqs[:, -1:], cache, L + t)
        logits = _penalise(logits, seqs, penalty)
        if eos:
            logits[:, eos] = -float("inf")
        if d.kind == "greedy":
            tok = logits.argmax(dim=-1)
        else:
            tok = _draw(_truncated(logits, d), u[:, t])
        seqs = torch.cat([seqs, tok[:, None]], dim=1)
    return seqs[:, L:]


def _truncated(logits, d: Decoding):
    """The sampling distribution: temperature, then top-k, then top-p, as transformers' warpers; rows sum to 1."""
    import torch

    logits = logits / d.temperature if d.temperature != 1.0 else logits
    if d.top_k and d.top_k < logits.shape[-1]:
        kth = torch.topk(logits, d.top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, -float("inf"))
    probs = torch.softmax(logits, dim=-1)
    if d.top_p < 1.0:
        sorted_p, order = torch.sort(probs, dim=-1, descending=True)
        before = torch.cumsum(sorted_p, dim=-1) - sorted_p  # mass of the more probable tokens
        drop = torch.zeros_like(probs, dtype=torch.bool).scatter(1, order, before >= d.top_p)
        probs = probs.masked_fill(drop, 0.0)
        probs = probs / probs.sum(dim=-1, keepdim=True)
    return probs


def _draw(probs, u):
    """One token per row by inversion: the first whose cumulative probability exceeds ``u`` (shape (rows,)).

    A token of probability 0 is never drawn: its cumulative probability equals the one before it.
    """
    import torch

    cum = torch.cumsum(probs.double(), dim=-1)
    tok = torch.searchsorted(cum, (u.double() * cum[:, -1])[:, None], right=True).squeeze(1)
    last = probs.shape[-1] - 1 - torch.flip(probs > 0, dims=[-1]).long().argmax(dim=-1)  # the last possible token
    return torch.minimum(tok, last)  # u * total rounded up to the total
