"""The decoding axis: beam search and greedy decoding against transformers' generate, sampling's truncations
against transformers' warpers, names, batch invariance, and the run's decoding settings."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from collapse.core.validation import InvalidArgument  # noqa: E402
from collapse.llm.generate import (  # noqa: E402
    Decoding,
    _draw,
    _truncated,
    decode,
    parse_decoding,
    parse_decodings,
    uniforms,
)


@pytest.fixture(scope="module")
def prompts(tiny_lm):
    _, _, lang = tiny_lm
    return lang.sample_stream(400, np.random.default_rng(3))[:96].reshape(8, 12)


def _hf(model, x, new, **kw):
    xt = torch.as_tensor(x)
    with torch.inference_mode():
        y = model.generate(input_ids=xt, attention_mask=torch.ones_like(xt), min_new_tokens=new,
                           max_new_tokens=new, pad_token_id=model.config.pad_token_id,
                           eos_token_id=model.config.eos_token_id, **kw)
    return y[:, x.shape[1]:].numpy()


@pytest.mark.parametrize("beams, penalty", [(2, 1.0), (5, 1.0), (5, 2.0), (3, 3.0)])
def test_beam_search_is_transformers_generate(tiny_lm, prompts, beams, penalty):
    """The one-loop decoder (prompt run once, buffered cache) writes what generate(num_beams=B) writes."""
    model, _, _ = tiny_lm
    ours = decode(model, prompts, Decoding("beam", beams), new_tokens=10, repetition_penalty=penalty, batch_size=3)
    ref = _hf(model, prompts, 10, do_sample=False, num_beams=beams, repetition_penalty=penalty)
    np.testing.assert_array_equal(ours, ref)


@pytest.mark.parametrize("penalty", [1.0, 2.0])
def test_greedy_is_transformers_greedy(tiny_lm, prompts, penalty):
    model, _, _ = tiny_lm
    ours = decode(model, prompts, Decoding("greedy"), new_tokens=10, repetition_penalty=penalty)
    np.testing.assert_array_equal(ours, _hf(model, prompts, 10, do_sample=False, num_beams=1,
                                            repetition_penalty=penalty))


def test_beam_search_of_another_architecture_is_generate():
    """A GPT-2 (another cache layout) through the same decoder: still generate's beams."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from collapse.llm.model import seed_torch

    seed_torch(0)
    model = GPT2LMHeadModel(GPT2Config(vocab_size=40, n_positions=64, n_embd=32, n_layer=2, n_head=2,
                                       bos_token_id=0, eos_token_id=0, pad_token_id=0)).eval()
    x = np.random.default_rng(0).integers(1, 40, size=(4, 9))
    ours = decode(model, x, Decoding("beam", 4), new_tokens=7, repetition_penalty=1.5)
    np.testing.assert_array_equal(ours, _hf(model, x, 7, do_sample=False, num_beams=4, repetition_penalty=1.5))


@pytest.mark.parametrize("d", [Decoding("beam", 3), Decoding("greedy"), Decoding("sample", top_p=0.8),
                               Decoding("sample", temperature=0.7, top_k=5)], ids=lambda d: d.name)
def test_every_decoding_is_batch_invariant_and_writes_exactly_n_tokens(tiny_lm, prompts, d):
    model, _, _ = tiny_lm
    u = uniforms(np.random.default_rng(0), len(prompts), 9) if d.stochastic else None
    a = decode(model, prompts, d, new_tokens=9, batch_size=len(prompts), u=u)
    b = decode(model, prompts, d, new_tokens=9, batch_size=3, u=u)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (len(prompts), 9) and not (a == model.config.eos_token_id).any()


def test_sampling_needs_its_uniforms(tiny_lm, prompts):
    model, _, _ = tiny_lm
    with pytest.raises(InvalidArgument, match="uniforms"):
        decode(model, prompts, Decoding("sample"), new_tokens=3)


def test_truncations_are_transformers_warpers():
    """Temperature, then top-k, then top-p: the distribution transformers' warpers sample from."""
    from transformers.generation.logits_process import (
        TemperatureLogitsWarper,
        TopKLogitsWarper,
        TopPLogitsWarper,
    )

    logits = torch.as_tensor(np.random.default_rng(1).normal(size=(6, 30)) * 2.0, dtype=torch.float32)
    for d in (Decoding("sample"), Decoding("sample", temperature=0.5), Decoding("sample", top_k=4),
              Decoding("sample", top_p=0.7), Decoding("sample", temperature=1.7, top_k=10, top_p=0.9)):
        ref = logits.clone()
        if d.temperature != 1.0:
            ref = TemperatureLogitsWarper(d.temperature)(None, ref)
        if d.top_k:
            ref = TopKLogitsWarper(d.top_k)(None, ref)
        if d.top_p < 1.0:
            ref = TopPLogitsWarper(d.top_p)(None, ref)
        np.testing.assert_allclose(_truncated(logits, d).numpy(), torch.softmax(ref, -1).numpy(), atol=1e-6,
                                   err_msg=d.name)


def test_inversion_draws_each_token_with_its_probability_and_never_one_of_probability_zero():
    p = torch.tensor([[0.0, 0.25, 0.0, 0.5, 0.25, 0.0]], dtype=torch.float64)
    u = (np.arange(4000) + 0.5) / 4000  # an exact grid: the draws' shares are the probabilities
    tok = _draw(p.expand(len(u), -1), torch.as_tensor(u)).numpy()
    np.testing.assert_allclose(np.bincount(tok, minlength=6) / len(u), p[0].numpy(), atol=1 / 4000)
    one = torch.tensor([1.0], dtype=torch.float64)  # u < 1, but u * total can round up to the total
    assert _draw(p, 0 * one).item() == 1 and _draw(p, one).item() == 4


@pytest.mark.parametrize("name", ["beam5", "beam1", "greedy", "sample", "temp0.7", "topk20", "topp0.9",
                                  "temp0.8-topk40-topp0.95"])
def test_decoding_names_read_back(name):
    assert parse_decoding(name).name == name


@pytest.mark.parametrize("text", ["", "beam", "beam0", "beam65", "temp0", "temp11", "topk0", "topk1.5", "topp0",
                                  "topp1.5", "nucleus", "temp0.7-temp0.8", "beam5-topk3"])
def test_bad_decoding_names_are_refused(text):
    with pytest.raises(InvalidArgument) as err:
        parse_decoding(text)
    assert err.value.name == "decoding"


def test_decoding_lists_and_settings():
    from collapse.llm.config import decoding_settings

    assert [d.name for d in parse_decodings("beam5, greedy,topp0.9")] == ["beam5", "greedy", "topp0.9"]
    with pytest.raises(InvalidArgument, match="twice"):
        parse_decodings("greedy,greedy")
    settings = decoding_settings(["beam5", "greedy", "topp0.9", "beam3"], num_beams=5)
    assert [s.name for s in settings] == ["decoding-greedy", "decoding-topp0.9", "decoding-beam3"]
    assert all(s.epochs == 5 and s.keep_real == 0.0 and s.repetition_penalty == 1.0 for s in settings)
    assert settings[1].decoder(5) == Decoding("sample", top_p=0.9)


def test_cli_decoding_option_adds_the_settings(monkeypatch, tmp_path):
    from collapse.cli import build_parser
    from collapse.commands.llm import _config

    args = build_parser().parse_args(["llm", "run", "--quick", "--out", str(tmp_path), "--decoding",
                                      "beam5,greedy,sample", "--settings", "no-data-kept", "--workers", "2"])
    cfg, rt = _config(args)
    assert [s.name for s in cfg.settings] == ["no-data-kept", "decoding-greedy", "decoding-sample"]
    assert rt.workers == 2
