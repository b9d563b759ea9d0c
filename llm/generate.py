"""Batched deterministic beam search that writes exactly ``new_tokens`` tokens per prompt.

Protocol (official-protocol.md, "Generation"): every real block is a prompt;
5-way beam search, no sampling, ``min_new_tokens = max_new_tokens``; only the new
tokens are kept. All prompts have the same length, so batches need no padding
and batched output equals one-prompt-at-a-time output.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from collapse.core.validation import check_int, check_positive_real

__all__ = ["beam_generate"]


def beam_generate(
    model, prompts: npt.NDArray[np.int64], *, new_tokens: int = 64, num_beams: int = 5,
    repetition_penalty: float = 1.0, batch_size: int = 32, device: str = "cpu", progress: bool = False,
) -> npt.NDArray[np.int64]:
    """Continue every prompt by exactly ``new_tokens`` tokens with beam search.

    Parameters
    ----------
    prompts : int array of shape (n, L)
    repetition_penalty : 1.0 is none; the paper's ablation uses 2.0, the release 3.0

    Returns
    -------
    ndarray of shape (n, new_tokens): the continuations, prompts removed
    """
    import torch
    from tqdm.auto import tqdm

    from collapse.llm.model import autocast_dtype

    new_tokens = check_int("new_tokens", new_tokens, minimum=1)
    kw = dict(num_beams=check_int("num_beams", num_beams, minimum=1),
              repetition_penalty=check_positive_real("repetition_penalty", repetition_penalty))
    batch_size = check_int("batch_size", batch_size, minimum=1)
    prompts = np.asarray(prompts, dtype=np.int64)
    model.eval()
    dtype = autocast_dtype(device)
    out = np.empty((len(prompts), new_tokens), dtype=np.int64)
    starts = range(0, len(prompts), batch_size)
    with torch.inference_mode(), torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
        for i in tqdm(starts, desc="beam search", leave=False, disable=not progress):
            x = torch.as_tensor(prompts[i:i + batch_size], device=device)
            out[i:i + len(x)] = _continue(model, x, new_tokens, **kw)
    return out


def _continue(model, x, new_tokens: int, *, num_beams: int, repetition_penalty: float) -> npt.NDArray[np.int64]:
    """One batch of prompts ``x`` (a tensor on the model's device): its ``new_tokens`` continuations."""
    import torch

    eos = model.config.eos_token_id
    pad = model.config.pad_token_id if model.config.pad_token_id is not None else eos
    y = model.generate(
        input_ids=x, attention_mask=torch.ones_like(x), do_sample=False, num_beams=num_beams,
        min_new_tokens=new_tokens, max_new_tokens=new_tokens, repetition_penalty=repetition_penalty,
        early_stopping=True, pad_token_id=pad, eos_token_id=eos,
    )
    new = y[:, x.shape[1]:]
    # min_new_tokens forbids EOS, so every row has exactly new_tokens tokens
    assert new.shape == (len(x), new_tokens), new.shape
    return new.cpu().numpy()
