"""The largest value of every size and rate of the language-model experiment, in one light module.

The command line documents and enforces them when it parses (``collapse llm run --help``),
and the library checks them again (:class:`collapse.llm.config.ExperimentConfig`,
:class:`collapse.llm.train.TrainConfig`, :func:`collapse.llm.bench.measure`). This module imports
nothing, so that ``collapse --help`` stays fast.

- ``block_size``, ``new_tokens``: 2048, OPT's learned positions (prompt plus continuation must
  fit the model's context in any case, checked when the model is known);
- ``num_beams``: 64 (beam search keeps that many copies of every prompt);
- ``generations``: 1000 and ``seeds``: 100 (every generation of every chain fine-tunes and saves a model);
- ``max_blocks``: 10^7 blocks per split;
- ``lr`` in (0, 10], ``min_lr`` in [0, lr], ``weight_decay`` in [0, 10];
- ``batch_size``, ``gen_batch_size``, bench ``prompts``: 4096 (a batch whose memory estimate does not fit
  is refused before the run starts); ``threads``: 256; ``workers`` (processes running chains): 64.
"""

from __future__ import annotations

__all__ = ["LIMITS", "MAX_BATCH_SIZE", "MAX_GEN_BATCH", "MAX_LR", "MAX_PROMPTS", "MAX_THREADS", "MAX_WEIGHT_DECAY",
           "MAX_WORKERS"]

LIMITS = {
    "block_size": 2048,
    "new_tokens": 2048,
    "num_beams": 64,
    "generations": 1000,
    "seeds": 100,
    "max_blocks": 10 ** 7,
}
MAX_LR = 10.0
MAX_WEIGHT_DECAY = 10.0
MAX_BATCH_SIZE = 4096
MAX_GEN_BATCH = 4096
MAX_PROMPTS = 4096
MAX_THREADS = 256
MAX_WORKERS = 64
