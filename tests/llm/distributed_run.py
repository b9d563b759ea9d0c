"""The tiny experiment of ``test_distributed.py``, run as one process or under ``torchrun``.

Usage: ``[python -m torch.distributed.run --nproc_per_node N ...] -m tests.llm.distributed_run OUT``
from the repository root. Dropout is off so that one process and N processes
train the same trajectory (dropout masks depend on how a batch is sharded).
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from collapse.llm.experiment import Runtime, run
from tests.llm.conftest import TINY_ARCH, tiny_config


def config():
    cfg = tiny_config(batch_size=5)  # 5 rows: two ranks get 3 and 2, so uneven shards are exercised
    syn = dataclasses.replace(cfg.synthetic, arch=dataclasses.replace(TINY_ARCH, dropout=0.0))
    return dataclasses.replace(cfg, synthetic=syn)


if __name__ == "__main__":
    run(config(), Path(sys.argv[1]), Runtime(progress=False, threads=1))
