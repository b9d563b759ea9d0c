"""``collapse bench llm``: throughput of the stand-in model, and what batched beam search buys.

Reported as rates and ratios measured in the same run (never as timed
assertions): training tokens / second, beam-search new tokens / second, and the
speed-up of batched beam search over one prompt at a time (target >= 5x), with
a check that both give the same tokens.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

__all__ = ["measure", "main"]


def _best_time(fn, repeats: int) -> tuple[float, object]:
    """The fastest of ``repeats`` calls (the machine is shared: the minimum is the least disturbed)."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def measure(prompts: int = 64, device: str = "cpu", block_size: int = 64, new_tokens: int = 64,
            num_beams: int = 5, single: int = 4, repeats: int = 3) -> dict:
    """Time training and generation of a freshly initialised tiny OPT on random token blocks.

    ``single`` prompts are also generated one at a time; the speed-up compares
    seconds per prompt. Every timing is the best of ``repeats``.
    """
    from llm.generate import beam_generate
    from llm.model import TinyOPT, resolve_device
    from llm.train import TrainConfig, fine_tune

    device = resolve_device(device)
    vocab = 405
    model = TinyOPT().build(vocab, seed=0).to(device)
    rng = np.random.default_rng(0)
    blocks = rng.integers(5, vocab, size=(max(prompts, 256), block_size))
    train_s, _ = _best_time(lambda: fine_tune(model, blocks, blocks[:8], TrainConfig(epochs=1, lr=1e-3, batch_size=32),
                                              seed=0, device=device), repeats)
    kw = dict(new_tokens=new_tokens, num_beams=num_beams, device=device)
    beam_generate(model, blocks[:2], batch_size=2, **kw)  # warm-up
    batched_s, batched = _best_time(lambda: beam_generate(model, blocks[:prompts], batch_size=prompts, **kw), repeats)
    single_s, one = _best_time(lambda: beam_generate(model, blocks[:single], batch_size=1, **kw), repeats)
    return {
        "device": device, "prompts": prompts, "num_beams": num_beams, "new_tokens": new_tokens,
        "train_tokens_per_s": blocks.size / train_s,
        "beam_new_tokens_per_s": prompts * new_tokens / batched_s,
        "one_at_a_time_new_tokens_per_s": single * new_tokens / single_s,
        "batched_speedup": (single_s / single) / (batched_s / prompts),
        "batched_equals_one_at_a_time": bool((batched[:single] == one).all()),
    }


def main(prompts: int = 64, device: str = "auto", out: Path | None = None) -> int:
    from collapse.runio import metadata, save_json

    r = measure(prompts=prompts, device=device)
    print(f"device {r['device']}; tiny OPT, {r['num_beams']}-way beam search, {r['new_tokens']} new tokens; "
          "best of 3 runs each")
    print(f"training            {r['train_tokens_per_s']:10.0f} tokens/s")
    print(f"beam search batched {r['beam_new_tokens_per_s']:10.0f} new tokens/s ({prompts} prompts per batch)")
    print(f"one prompt at once  {r['one_at_a_time_new_tokens_per_s']:10.0f} new tokens/s")
    print(f"batched speed-up    {r['batched_speedup']:10.1f}x (target >= 5x); same tokens: "
          f"{r['batched_equals_one_at_a_time']}")
    if out is not None:
        save_json(out, metadata(None, None, kind="bench-llm", **r))
    return 0
