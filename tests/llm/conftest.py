"""Tiny configurations shared by the llm tests (a 1-layer OPT, 16-token blocks: seconds, not minutes)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from collapse.llm.config import PAPER_SETTINGS, SyntheticConfig, preset  # noqa: E402
from collapse.llm.model import TinyOPT  # noqa: E402

TINY_ARCH = TinyOPT(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, ffn_dim=64,
                    max_position_embeddings=48)


def tiny_config(**overrides):
    syn = SyntheticConfig(n_words=40, n_sentence_types=3, n_topics=2, train_tokens=16 * 24, valid_tokens=16 * 8,
                          test_tokens=16 * 8, pretrain_tokens=3000, pretrain_epochs=1, arch=TINY_ARCH)
    base = dict(block_size=16, new_tokens=16, num_beams=2, batch_size=8, generations=2, seeds=(0,),
                n_examples=2, settings=PAPER_SETTINGS[:2], synthetic=syn)
    base.update(overrides)
    return preset("quick", **base)


@pytest.fixture(scope="session")
def tiny_lm():
    """A randomly initialised 1-layer OPT and its word-level tokenizer over 40 words."""
    from collapse.llm.synthetic import build_tokenizer, make_language

    lang = make_language(np.random.default_rng(0), n_words=40, n_sentence_types=3, n_topics=2)
    tok = build_tokenizer(lang.words)
    model = TINY_ARCH.build(len(tok), seed=0).eval()
    return model, tok, lang


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One finished tiny experiment (2 settings, 1 seed, 2 generations) and its config."""
    from collapse.llm.experiment import Runtime, run

    out = tmp_path_factory.mktemp("llm-run")
    cfg = tiny_config()
    run(cfg, out, Runtime(progress=False))
    return cfg, out
