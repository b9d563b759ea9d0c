"""Perplexity against transformers (oracle), beam-search lengths, checkpoints, bad models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from collapse.core.validation import InvalidArgument
from collapse.llm.evaluate import corpus_perplexity, sequence_perplexity
from collapse.llm.generate import beam_generate
from collapse.llm.model import check_context, load_checkpoint, load_pretrained, save_checkpoint


@pytest.fixture(scope="module")
def blocks(tiny_lm):
    _, tok, _ = tiny_lm
    return np.random.default_rng(0).integers(5, len(tok), size=(7, 12))


def test_sequence_perplexity_equals_transformers_loss_per_sequence(tiny_lm, blocks):
    model, _, _ = tiny_lm
    ours = sequence_perplexity(model, blocks, batch_size=3)
    with torch.no_grad():
        oracle = [float(model(input_ids=torch.as_tensor(b[None]), labels=torch.as_tensor(b[None])).loss.exp())
                  for b in blocks]
    np.testing.assert_allclose(ours, oracle, rtol=1e-5)
    assert len(set(np.round(ours, 6))) == len(blocks)  # one value per sequence, not per batch


def test_corpus_perplexity_is_the_token_mean(tiny_lm, blocks):
    model, _, _ = tiny_lm
    with torch.no_grad():
        x = torch.as_tensor(blocks)
        oracle = float(model(input_ids=x, labels=x).loss.exp())
    assert corpus_perplexity(model, blocks)["perplexity"] == pytest.approx(oracle, rel=1e-5)


@pytest.mark.parametrize("new_tokens, beams, penalty", [(1, 1, 1.0), (9, 3, 1.0), (16, 5, 2.0)])
def test_beam_search_writes_exactly_the_requested_tokens(tiny_lm, blocks, new_tokens, beams, penalty):
    model, _, _ = tiny_lm
    out = beam_generate(model, blocks, new_tokens=new_tokens, num_beams=beams, repetition_penalty=penalty,
                        batch_size=4)
    assert out.shape == (len(blocks), new_tokens)
    assert not (out == model.config.eos_token_id).any()  # min_new_tokens forbids an early end


def test_batched_beam_search_equals_one_prompt_at_a_time(tiny_lm, blocks):
    model, _, _ = tiny_lm
    a = beam_generate(model, blocks, new_tokens=8, num_beams=3, batch_size=len(blocks))
    b = beam_generate(model, blocks, new_tokens=8, num_beams=3, batch_size=1)
    np.testing.assert_array_equal(a, b)


def test_beam_search_is_deterministic_and_follows_the_prompt(tiny_lm, blocks):
    model, _, _ = tiny_lm
    a = beam_generate(model, blocks[:2], new_tokens=6)
    np.testing.assert_array_equal(a, beam_generate(model, blocks[:2], new_tokens=6))


def test_checkpoint_round_trip(tiny_lm, tmp_path):
    from tests.llm.conftest import TINY_ARCH

    model, tok, _ = tiny_lm
    path = save_checkpoint(model, tmp_path / "m.safetensors")
    other = TINY_ARCH.build(len(tok), seed=1)
    load_checkpoint(other, path)
    for (k, a), b in zip(model.state_dict().items(), other.state_dict().values()):
        assert torch.equal(a, b), k


def _corrupt(path):
    path.write_bytes(path.read_bytes()[:100])


def _garbage(path):
    path.write_bytes(b"not a safetensors file at all")


@pytest.mark.parametrize("damage", [_corrupt, _garbage], ids=["truncated", "garbage"])
def test_corrupt_checkpoint_is_a_clear_error_and_is_kept(tiny_lm, tmp_path, damage):
    model, _, _ = tiny_lm
    path = save_checkpoint(model, tmp_path / "m.safetensors")
    damage(path)
    before = path.read_bytes()
    with pytest.raises(InvalidArgument, match="checkpoint.*safetensors"):
        load_checkpoint(model, path)
    assert path.read_bytes() == before


def test_block_size_beyond_context(tiny_lm):
    model, _, _ = tiny_lm
    ctx = model.config.max_position_embeddings
    check_context(model, ctx - 8, 8)
    with pytest.raises(InvalidArgument, match=f"context of {ctx}"):
        check_context(model, ctx - 7, 8)


def test_unknown_model_offline_fails_at_once(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(InvalidArgument, match="cannot be reached"):
        load_pretrained("no-such-org/no-such-model-xyz")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidArgument, match="save_pretrained"):
        load_pretrained(str(tmp_path / "empty"))


def test_saved_stand_in_loads_like_a_hub_model(tiny_lm, tmp_path):
    model, tok, _ = tiny_lm
    model.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    m2, tok2 = load_pretrained(str(tmp_path))
    assert tok2("ba")["input_ids"] == tok("ba")["input_ids"]
    x = torch.arange(5, 15)[None]
    with torch.no_grad():
        assert torch.allclose(m2(input_ids=x).logits, model(input_ids=x).logits)


def test_diverged_training_is_reported_with_advice(tiny_lm):
    import copy

    from collapse.llm.train import TrainConfig, fine_tune

    model, tok, _ = tiny_lm
    model = copy.deepcopy(model)
    with torch.no_grad():
        model.lm_head.weight.fill_(float("nan"))
    blocks = np.random.default_rng(0).integers(5, len(tok), size=(4, 8))
    with pytest.raises(FloatingPointError, match="lower the learning rate"):
        fine_tune(model, blocks, blocks, TrainConfig(epochs=1, lr=1e-3, batch_size=4), seed=0)
