"""``collapse bench llm``: throughput of the stand-in model, and what batched beam search buys.

Reported as rates and ratios measured in the same run (never as timed
assertions): training tokens / second, beam-search new tokens / second, and the
speed-up of batched beam search over one prompt at a time (target >= 5x), with
a check that both give the same tokens; then where the time of ``collapse llm run
--quick`` goes (:func:`profile_quick`: every part of one generation timed on the quick
preset's data, the world's pretraining and truth, and the run's total projected from them).

``--paper`` measures a randomly initialised model of OPT-125m's shape (no
download) and projects the wall-clock time of one generation of the paper's
protocol on this device from those rates (:func:`project_generation`).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from collapse.llm.limits import MAX_PROMPTS  # the most prompts in the batched run (--prompts)

__all__ = ["measure", "measure_paper_model", "project_generation", "profile_quick", "main", "OPT_125M",
           "PAPER_WORKLOAD", "MAX_PROMPTS"]


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


def profile_quick(device: str = "cpu", threads: int = 1, workers: int = 2, repeats: int = 1) -> dict:
    """Where the time of ``collapse llm run --quick`` goes: every part of one generation, timed on the quick
    preset's data, and the run's total projected from them (an estimate, not a measurement).

    The stand-in is freshly initialised (the same arithmetic as a trained one; beam search writes exactly
    ``new_tokens`` either way); the ground truth is the quick preset's language. Every timing is the best
    of ``repeats``, with ``threads`` torch / BLAS threads as the run's workers use.

    Returns
    -------
    dict: ``parts`` (seconds of each part of one generation and of the world), ``projection`` (seconds:
    the world, each setting's chain, and the run with ``workers`` processes), the sizes used.
    """
    from collapse.core.validation import check_int
    from collapse.llm.config import preset
    from collapse.llm.data import build_blocks
    from collapse.llm.evaluate import token_nll
    from collapse.llm.experiment import _limit_threads
    from collapse.llm.generate import Decoding, decode, uniforms
    from collapse.llm.groundtruth import data_coverage, model_vs_truth, true_token_nll, truth_beam_search
    from collapse.llm.model import resolve_device
    from collapse.llm.synthetic import make_language
    from collapse.llm.train import TrainConfig, fine_tune
    from collapse.llm.world import _shape

    workers = check_int("workers", workers, minimum=1)
    device = resolve_device(device)
    _limit_threads(threads)
    cfg = preset("quick")
    syn = cfg.synthetic
    t0 = time.perf_counter()
    lang = make_language(np.random.default_rng(0), **_shape(cfg))
    stream = lang.sample_stream(syn.train_tokens + syn.valid_tokens + syn.test_tokens, np.random.default_rng(1))
    blocks = build_blocks(stream, cfg.block_size)
    n = cfg.max_blocks
    train, valid, test = blocks[:n], blocks[n:n + 128], blocks[n + 128:n + 256]
    parts = {"language and blocks": time.perf_counter() - t0}
    model = syn.arch.build(lang.vocab_size, seed=0).to(device)
    tc = TrainConfig(epochs=1, lr=cfg.lr, min_lr=cfg.min_lr, batch_size=cfg.batch_size, schedule=cfg.schedule)
    parts["train, one epoch"], _ = _best_time(lambda: fine_tune(model, train, valid[:1], tc, seed=0, device=device),
                                              repeats)
    parts["validation pass"], _ = _best_time(lambda: token_nll(model, valid, device=device), repeats)
    kw = dict(new_tokens=cfg.new_tokens, batch_size=64, device=device)
    parts["beam search (5-way), every training block"], _ = _best_time(
        lambda: decode(model, train, Decoding("beam", cfg.num_beams), **kw), repeats)
    parts["beam search with penalty 2.0"], _ = _best_time(
        lambda: decode(model, train, Decoding("beam", cfg.num_beams), repetition_penalty=2.0, **kw), repeats)
    u = uniforms(np.random.default_rng(0), len(train), cfg.new_tokens)
    parts["sampling (top-p 0.9), every training block"], _ = _best_time(
        lambda: decode(model, train, Decoding("sample", top_p=0.9), u=u, **kw), repeats)
    parts["scoring: test split + training data under generation 0"], _ = _best_time(
        lambda: (token_nll(model, test, device=device), token_nll(model, train, device=device)), repeats)
    lang.stationary(), lang.bigram()  # once per run
    model_vs_truth(lang, model, test, device=device)  # the truth's side is computed once per run
    parts["ground truth: KL and tail mass on the test split"], _ = _best_time(
        lambda: model_vs_truth(lang, model, test, device=device), repeats)
    parts["ground truth: true NLL and coverage of the training data"], _ = _best_time(
        lambda: (true_token_nll(lang, train), data_coverage(lang, train, generation=2, n_real=train.size)), repeats)
    t = time.perf_counter()
    truth_beam_search(lang, train, cfg.new_tokens, cfg.num_beams)
    parts["world: beam search on the true model"] = time.perf_counter() - t
    pretrain_blocks = syn.pretrain_tokens // cfg.block_size
    parts["world: pretraining the stand-in (projected)"] = (
        syn.pretrain_epochs * pretrain_blocks / len(train) * parts["train, one epoch"])
    return {"device": device, "threads": threads, "workers": workers, "parts": parts,
            "projection": _project_quick(cfg, parts, workers), "train_blocks": len(train),
            "pretrain_blocks": pretrain_blocks}


def _project_quick(cfg, parts: dict, workers: int) -> dict:
    """Seconds of the quick run from the parts of one generation: each chain, the world, the whole (an estimate)."""
    gen = {}
    for s in cfg.settings:
        decode_s = parts["beam search with penalty 2.0" if s.repetition_penalty != 1.0 else
                         "beam search (5-way), every training block"]
        one = (s.epochs * (parts["train, one epoch"] + parts["validation pass"])
               + parts["scoring: test split + training data under generation 0"]
               + parts["ground truth: KL and tail mass on the test split"]
               + parts["ground truth: true NLL and coverage of the training data"])
        gen[s.name] = len(cfg.seeds) * (cfg.generations * one + (cfg.generations - 1) * decode_s)
    world = parts["language and blocks"] + parts["world: beam search on the true model"] + \
        parts["world: pretraining the stand-in (projected)"]
    chains = sum(gen.values())
    longest = max(gen.values()) / len(cfg.seeds)
    return {"world": world, **{f"chains of {k}": v for k, v in gen.items()},
            "run, one process": world + chains,
            f"run, {workers} processes": world + max(chains / workers, longest)}


def main(prompts: int = 64, device: str = "auto", out: Path | None = None, paper: bool = False) -> int:
    from collapse.core.runio import metadata, save_json

    if paper:
        return _main_paper(device, out)
    from collapse.llm.experiment import _limit_threads

    _limit_threads(1)  # as the quick run's workers: one process per core, one thread each
    r = measure(prompts=prompts, device=device)
    print(f"device {r['device']}; tiny OPT, {r['num_beams']}-way beam search, {r['new_tokens']} new tokens; "
          "best of 3 runs each; 1 thread")
    print(f"training            {r['train_tokens_per_s']:10.0f} tokens/s")
    print(f"beam search batched {r['beam_new_tokens_per_s']:10.0f} new tokens/s ({prompts} prompts per batch)")
    print(f"one prompt at once  {r['one_at_a_time_new_tokens_per_s']:10.0f} new tokens/s")
    print(f"batched speed-up    {r['batched_speedup']:10.1f}x (target >= 5x); same tokens: "
          f"{r['batched_equals_one_at_a_time']}")
    q = profile_quick(device=r["device"])
    r["quick"] = q
    print(f"\nwhere the time of 'collapse llm run --quick' goes ({q['train_blocks']} training blocks; "
          f"{q['threads']} thread per process; seconds):")
    for k, v in q["parts"].items():
        print(f"  {k:58s} {v:7.2f}")
    print("projected (an estimate from the parts above, not a measurement):")
    for k, v in q["projection"].items():
        print(f"  {k:58s} {v:7.0f}")
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
