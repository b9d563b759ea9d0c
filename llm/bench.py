"""``collapse bench llm``: throughput of the stand-in model, and what batched beam search buys.

Reported as rates and ratios measured in the same run (never as timed
assertions): training tokens / second, beam-search new tokens / second, and the
speed-up of batched beam search over one prompt at a time (target >= 5x), with
a check that both give the same tokens.

``--paper`` measures a randomly initialised model of OPT-125m's shape (no
download) and projects the wall-clock time of one generation of the paper's
protocol on this device from those rates (:func:`project_generation`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from collapse.llm.limits import MAX_PROMPTS  # the most prompts in the batched run (--prompts)

__all__ = ["measure", "measure_paper_model", "project_generation", "main", "OPT_125M", "PAPER_WORKLOAD",
           "MAX_PROMPTS"]


#: facebook/opt-125m's shape (its config.json): its speed measured without downloading its weights
OPT_125M = dict(vocab_size=50272, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, ffn_dim=3072)

#: one generation of the paper's protocol on WikiText-2 (raw). Token counts are estimates: ~2.09M words
#: (train), 0.22M (valid), 0.25M (test) at ~1.15 OPT tokens per word, plus one </s> per line
PAPER_WORKLOAD = dict(train_tokens=2.4e6, valid_tokens=0.25e6, test_tokens=0.28e6, block_size=64, new_tokens=64,
                      num_beams=5)


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

    ``single`` prompts (at most ``prompts``) are also generated one at a time; the speed-up
    compares seconds per prompt. Every timing is the best of ``repeats``.
    """
    from collapse.core.validation import check_int
    from collapse.llm.generate import beam_generate
    from collapse.llm.model import TinyOPT, check_fits, resolve_device
    from collapse.llm.train import TrainConfig, fine_tune

    prompts = check_int("prompts", prompts, minimum=1, maximum=MAX_PROMPTS)
    single = min(check_int("single", single, minimum=1), prompts)  # the first prompts of the batched run
    repeats = check_int("repeats", repeats, minimum=1)
    device = resolve_device(device)
    vocab, arch = 405, TinyOPT()
    if block_size + new_tokens > arch.max_position_embeddings:
        from collapse.core.validation import InvalidArgument

        raise InvalidArgument("block_size", f"block_size + new_tokens <= {arch.max_position_embeddings}",
                              block_size + new_tokens)
    rows = prompts * num_beams
    check_fits("prompts", 4.0 * rows * ((block_size + new_tokens) * 2 * arch.num_hidden_layers * arch.hidden_size
                                        + 4 * vocab + 8 * block_size * arch.hidden_size),
               f"beam search of {prompts} prompts x {num_beams} beams", device)
    model = arch.build(vocab, seed=0).to(device)
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


def measure_paper_model(device: str = "cpu", train_batch: int = 16, gen_prompts: int = 16, arch: dict | None = None,
                        repeats: int = 2) -> dict:
    """Training, scoring and beam-search rates (tokens / second) of a random model of OPT-125m's shape.

    Rates of the fastest of ``repeats`` timed calls after one warm-up. Random weights cost the
    same arithmetic as the trained ones; beam search writes exactly ``new_tokens`` either way.
    """
    import torch

    from collapse.llm.generate import beam_generate
    from collapse.llm.model import resolve_device

    device = resolve_device(device)
    w = PAPER_WORKLOAD
    model, x = _paper_model(device, dict(OPT_125M if arch is None else arch), max(train_batch, gen_prompts))
    xt = x[:train_batch].to(device)
    train_step, score = _paper_steps(model, xt, device)

    def sync(fn):
        def timed():
            out = fn()
            if device == "cuda":
                torch.cuda.synchronize()
            return out
        return timed

    model.train()
    train_s, _ = _best_time(sync(train_step), repeats + 1)
    model.eval()
    score_s, _ = _best_time(sync(score), repeats + 1)
    prompts = x[:gen_prompts].numpy()
    kw = dict(new_tokens=w["new_tokens"], num_beams=w["num_beams"], batch_size=gen_prompts, device=device)
    beam_generate(model, prompts[:1], **{**kw, "new_tokens": 2})  # warm-up
    beam_s, _ = _best_time(sync(lambda: beam_generate(model, prompts, **kw)), repeats)
    return {"device": device, "params": sum(p.numel() for p in model.parameters()),
            "train_tokens_per_s": xt.numel() / train_s, "score_tokens_per_s": xt.numel() / score_s,
            "beam_new_tokens_per_s": gen_prompts * w["new_tokens"] / beam_s, "train_batch": train_batch,
            "gen_prompts": gen_prompts}


def _paper_model(device: str, arch: dict, rows: int):
    """A random OPT of shape ``arch`` on ``device`` and ``rows`` random blocks of the protocol's length (CPU)."""
    import torch
    from transformers import OPTConfig, OPTForCausalLM

    from collapse.llm.model import seed_torch

    w = PAPER_WORKLOAD
    seed_torch(0)
    model = OPTForCausalLM(OPTConfig(max_position_embeddings=2 * w["block_size"] + 2, word_embed_proj_dim=arch[
        "hidden_size"], pad_token_id=1, bos_token_id=2, eos_token_id=2, **arch)).to(device)
    x = torch.as_tensor(np.random.default_rng(0).integers(4, arch["vocab_size"], size=(rows, w["block_size"])))
    return model, x


def _paper_steps(model, xt, device: str):
    """``(train_step, score)``: one AdamW step on the batch ``xt``, and one forward pass over it."""
    import torch

    from collapse.llm.model import autocast_dtype

    opt = torch.optim.AdamW(model.parameters(), lr=2e-5)
    dtype = autocast_dtype(device)

    def train_step():
        with torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
            loss = model(input_ids=xt, labels=xt).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def score():
        with torch.inference_mode(), torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
            model(input_ids=xt)

    return train_step, score


def project_generation(rates: dict, epochs: int, workload: dict = PAPER_WORKLOAD) -> dict[str, float]:
    """Seconds for one generation of one chain at the measured ``rates`` (an estimate, not a measurement).

    Training: ``epochs`` passes over the training tokens, each followed by a validation pass;
    generation: ``new_tokens`` for every training block; evaluation: the test split and the
    training data scored under generation 0.
    """
    w = workload
    parts = {
        "train": epochs * w["train_tokens"] / rates["train_tokens_per_s"],
        "validate": epochs * w["valid_tokens"] / rates["score_tokens_per_s"],
        "generate": w["train_tokens"] / w["block_size"] * w["new_tokens"] / rates["beam_new_tokens_per_s"],
        "evaluate": (w["test_tokens"] + w["train_tokens"]) / rates["score_tokens_per_s"],
    }
    parts["total"] = sum(parts.values())
    return parts


def main(prompts: int = 64, device: str = "auto", out: Path | None = None, paper: bool = False) -> int:
    from collapse.core.runio import metadata, save_json

    if paper:
        return _main_paper(device, out)
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


def _main_paper(device: str, out: Path | None) -> int:
    from collapse.core.runio import metadata, save_json
    from collapse.llm.model import resolve_device

    device = resolve_device(device)
    big = device == "cuda"  # the GPU is measured at the protocol's batch 128 and a large beam-search batch
    r = measure_paper_model(device, train_batch=128 if big else 8, gen_prompts=256 if big else 8)
    print(f"device {r['device']}; random model of OPT-125m's shape ({r['params'] / 1e6:.0f}M parameters)")
    print(f"training      {r['train_tokens_per_s']:10.0f} tokens/s (batch {r['train_batch']} x 64)")
    print(f"scoring       {r['score_tokens_per_s']:10.0f} tokens/s")
    print(f"beam search   {r['beam_new_tokens_per_s']:10.0f} new tokens/s ({r['gen_prompts']} prompts per batch)")
    print("ESTIMATED time of one generation of one chain of the paper's protocol (WikiText-2 sizes assumed):")
    r["projections"] = {}
    for name, epochs in (("no-data-kept (5 epochs)", 5), ("10pct-kept (10 epochs)", 10)):
        p = project_generation(r, epochs)
        r["projections"][name] = p
        print(f"  {name:24s} " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in p.items()))
    if out is not None:
        save_json(out, metadata(None, None, kind="bench-llm-paper", workload=PAPER_WORKLOAD, **r))
    return 0
