"""Data parallelism for the llm experiment: one process per GPU (or CPU worker), same code as one process.

``torchrun`` and ``accelerate launch`` both start every worker with the same
environment contract -- ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``, ``MASTER_PORT`` -- so supporting it supports both, without
importing Accelerate. Without those variables (or with ``WORLD_SIZE=1``) no
process group is made and every helper here is the identity: the experiment
runs unchanged as one process.

The division of labour (used by :mod:`collapse.llm.experiment` and :mod:`collapse.llm.train`):

* every rank runs the same control flow, with the same seeds; decisions that
  depend on files (what is finished, what to resume) are rank 0's, broadcast
  (:func:`exists`), so no rank takes a branch the others skip;
* training: each rank takes a contiguous shard of every global batch and
  DistributedDataParallel averages the gradients, so the optimiser sees the
  single-process batch (:func:`batch_shard`, :func:`wrap`);
* generation and scoring: each rank takes a contiguous shard of the blocks
  (:func:`shard`) and the results are gathered back in order (:func:`gather`);
* only rank 0 writes files, then every rank waits (:func:`barrier`) before
  anything reads them. On several nodes the output directory must therefore
  be on a filesystem that every node sees.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

__all__ = ["env_rank", "env_world_size", "init", "shutdown", "active", "rank", "world_size", "is_main", "barrier",
           "exists", "broadcast", "shard", "batch_shard", "gather", "all_sum", "wrap", "on_main"]

T = TypeVar("T")

#: rank 0 alone prepares data and pretrains the stand-in while the others wait: allow it hours, not minutes
TIMEOUT = datetime.timedelta(hours=6)


def env_rank() -> int:
    """``RANK`` as set by torchrun / accelerate launch, 0 when absent (valid before and after :func:`init`)."""
    return int(os.environ.get("RANK", "0"))


def env_world_size() -> int:
    """``WORLD_SIZE`` as set by torchrun / accelerate launch, 1 when absent."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def init(device: str) -> bool:
    """Join the process group the launcher describes (``nccl`` on CUDA, ``gloo`` on CPU).

    Returns whether this call created it (the caller then owns :func:`shutdown`);
    ``False`` when launched as one process or when a group already exists.
    """
    import torch
    import torch.distributed as dist

    if env_world_size() <= 1 or not dist.is_available() or dist.is_initialized():
        return False
    if device == "cuda":
        # "cuda" then means this rank's own GPU everywhere in the experiment
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend="nccl" if device == "cuda" else "gloo", timeout=TIMEOUT)
    return True


def shutdown() -> None:
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def active() -> bool:
    """Whether a process group with more than one rank is running."""
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    import torch.distributed as dist

    return dist.get_rank() if active() else 0


def world_size() -> int:
    import torch.distributed as dist

    return dist.get_world_size() if active() else 1


def is_main() -> bool:
    return rank() == 0


def barrier() -> None:
    import torch.distributed as dist

    if active():
        dist.barrier()


def broadcast(obj: T) -> T:
    """Rank 0's ``obj`` on every rank (any picklable object)."""
    import torch.distributed as dist

    if not active():
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def exists(path: os.PathLike) -> bool:
    """``path.exists()`` as rank 0 sees it: the same answer, hence the same branch, on every rank."""
    return broadcast(os.path.exists(path))


def on_main(write: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``write`` on rank 0 only, then wait until it is done (others may read its file afterwards)."""
    if is_main():
        write(*args, **kwargs)
    barrier()


def _bounds(n: int, r: int, w: int) -> tuple[int, int]:
    return r * n // w, (r + 1) * n // w


def shard(x: np.ndarray) -> np.ndarray:
    """This rank's contiguous share of the rows of ``x``; :func:`gather` restores the order."""
    lo, hi = _bounds(len(x), rank(), world_size())
    return x[lo:hi]


def batch_shard(n: int) -> slice:
    """This rank's rows of a global batch of ``n`` rows (contiguous, sizes differing by at most one)."""
    return slice(*_bounds(n, rank(), world_size()))


def gather(x: np.ndarray) -> np.ndarray:
    """Every rank's ``x`` concatenated along axis 0 in rank order, on every rank.

    Parameters
    ----------
    x : ndarray of shape (n_r, ...); ``n_r`` may differ between ranks
    """
    import torch.distributed as dist

    if not active():
        return x
    parts: list[Any] = [None] * world_size()
    dist.all_gather_object(parts, np.ascontiguousarray(x))
    return np.concatenate(parts)


def all_sum(values: list[float]) -> list[float]:
    """Elementwise sum over ranks of a list of floats (float64)."""
    import torch
    import torch.distributed as dist

    if not active():
        return list(values)
    t = torch.tensor(values, dtype=torch.float64)
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t)
    return t.cpu().tolist()


def wrap(model, device: str):
    """``model`` in DistributedDataParallel when several ranks train together, else ``model`` itself.

    DDP broadcasts rank 0's weights at construction and averages gradients in
    ``backward``; the wrapper shares the parameters of ``model``.
    """
    if not active():
        return model
    from torch.nn.parallel import DistributedDataParallel

    ids = [int(os.environ.get("LOCAL_RANK", "0"))] if device == "cuda" else None
    return DistributedDataParallel(model, device_ids=ids)
