"""Fine-tuning one generation: AdamW, cosine schedule, best-validation checkpoint selection.

Protocol (official-protocol.md, "Training"): AdamW, lr 2e-5, default weight
decay, cosine annealing per epoch to 1e-6, fp32, batch 128; the checkpoint with the
lowest mean validation loss over the epochs is the generation's model.

The schedule is the closed form of torch's ``CosineAnnealingLR(T_max=epochs,
eta_min=min_lr)`` stepped once per epoch, as the release: epoch ``e`` (0-based) of ``E``
runs at ``min_lr + (lr - min_lr) * (1 + cos(pi * e / E)) / 2`` (:func:`cosine_lr`), set
directly rather than by the scheduler's recursion, so it holds to rounding. ``schedule='step'``
anneals over the ``E * steps`` optimiser steps instead.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import numpy.typing as npt

from collapse.core.validation import InvalidArgument, check_choice, check_finite_real, check_int
from collapse.llm.limits import MAX_BATCH_SIZE, MAX_LR, MAX_WEIGHT_DECAY

__all__ = ["MAX_BATCH_SIZE", "MAX_LR", "MAX_WEIGHT_DECAY", "TrainConfig", "cosine_lr", "fine_tune"]


def _real_in(name: str, value, low: float, high: float, *, low_open: bool = False, what: str = "") -> float:
    """``value`` as a float in [low, high] (``(low, high]`` when ``low_open``), else InvalidArgument."""
    v = check_finite_real(name, value)
    if v < low or v > high or (low_open and v == low):
        raise InvalidArgument(name, what or f"a number in {'(' if low_open else '['}{low:g}, {high:g}]", value)
    return v


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimiser, schedule and precision; ``schedule='epoch'`` anneals once per epoch (as the release), 'step' per
    batch; ``dtype`` fp32 (the release), or bf16 / fp16 mixed precision (:func:`collapse.llm.model.precision`)."""

    epochs: int = 5
    lr: float = 2e-5
    min_lr: float = 1e-6
    weight_decay: float = 0.01
    batch_size: int = 128
    schedule: str = "epoch"
    dtype: str = "fp32"

    def __post_init__(self):
        check_int("epochs", self.epochs, minimum=1, maximum=10_000)
        _real_in("lr", self.lr, 0.0, MAX_LR, low_open=True)
        _real_in("min_lr", self.min_lr, 0.0, self.lr if 0 < self.lr <= MAX_LR else MAX_LR,
                 what=f"a number in [0, lr = {self.lr:g}] (the cosine schedule ends there)")
        _real_in("weight_decay", self.weight_decay, 0.0, MAX_WEIGHT_DECAY)
        check_int("batch_size", self.batch_size, minimum=1, maximum=MAX_BATCH_SIZE)
        check_choice("schedule", self.schedule, ("epoch", "step"))
        check_choice("dtype", self.dtype, ("fp32", "bf16", "fp16"))


def cosine_lr(lr: float, min_lr: float, t: int, total: int) -> float:
    """The cosine-annealed rate at step ``t`` of ``total`` (``t = 0``: ``lr``; ``t = total``: ``min_lr``)."""
    return min_lr + (lr - min_lr) * (1.0 + math.cos(math.pi * t / total)) / 2.0


def fine_tune(
    model, train_blocks: npt.NDArray[np.int64], valid_blocks: npt.NDArray[np.int64], cfg: TrainConfig,
    *, seed: int, device: str = "cpu", eval_batch_size: int = 64, progress: bool = False,
    data_parallel: bool = False,
) -> dict:
    """Train ``model`` in place; leave it holding the weights of its best validation epoch.

    Parameters
    ----------
    train_blocks, valid_blocks : int arrays of shape (n, L)
    seed : seeds the batch order and dropout of this generation
    data_parallel : every rank of the process group (:mod:`collapse.llm.distributed`) calls this together and
        takes a shard of each batch; gradients are averaged, so the optimiser follows the one-process
        run up to float reduction order (and dropout masks, which depend on the shard)

    Returns
    -------
    dict with ``train_loss`` and ``valid_loss`` per epoch (lists), ``best_epoch`` (0-based)
    """
    from tqdm.auto import tqdm

    from collapse.llm.model import precision, state_to_cpu

    with precision(cfg.dtype):
        t = _Trainer.start(model, train_blocks, cfg, seed, device, data_parallel)
        history: dict[str, Any] = {"train_loss": [], "valid_loss": [], "lr": [], "dtype": cfg.dtype}
        best, best_loss = None, float("inf")
        bar = tqdm(total=cfg.epochs * t.n_steps, desc="training", unit="step", leave=False, disable=not progress)
        for epoch in range(cfg.epochs):
            history["lr"].append(t.lr_now())  # the epoch's (its first step's, with schedule='step')
            losses = t.epoch(bar)
            valid = _valid_loss(model, valid_blocks, device, eval_batch_size, data_parallel)
            history["train_loss"].append(float(np.mean(losses)))
            history["valid_loss"].append(valid)
            bar.set_postfix(epoch=epoch + 1, valid_loss=f"{valid:.3f}")
            if valid < best_loss:  # keep the best epoch's weights (on the CPU, off the training device)
                best, best_loss = state_to_cpu(model), valid
                history["best_epoch"] = epoch
            t.end_epoch()
        bar.close()
    if best is None:
        raise FloatingPointError(f"fine-tuning diverged: validation loss {history['valid_loss']} in every epoch; "
                                 f"lower the learning rate (now {cfg.lr:g}) or use more data")
    model.load_state_dict(best)
    model.eval()
    return history


@dataclasses.dataclass
class _Trainer:
    """One fine-tuning's state: the model (and its DDP wrapper), the data, the optimiser and schedule."""

    model: Any
    net: Any  # ``model``, or DistributedDataParallel around it
    data: Any  # the training blocks as a tensor
    gen: Any  # torch.Generator of the batch order
    opt: Any
    scaler: Any  # torch.amp.GradScaler for fp16, else None
    cfg: TrainConfig
    device: str
    dtype: Any  # autocast dtype, None for fp32
    world: int  # ranks taking part (1: one process)
    n_steps: int  # optimiser steps per epoch
    t: int = 0  # schedule position: epochs done ('epoch') or steps done ('step')

    @classmethod
    def start(cls, model, train_blocks, cfg: TrainConfig, seed: int, device: str, data_parallel: bool) -> _Trainer:
        import torch

        from collapse.llm import distributed
        from collapse.llm.model import autocast_dtype, seed_torch

        seed_torch(seed)
        gen = torch.Generator().manual_seed(int(seed) % (2**63))
        data = torch.as_tensor(train_blocks)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        dtype = autocast_dtype(device)
        scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
        net = distributed.wrap(model, device) if data_parallel else model
        world = distributed.world_size() if data_parallel else 1
        return cls(model, net, data, gen, opt, scaler, cfg, device, dtype, world, cls.steps(len(data), cfg))

    @staticmethod
    def steps(n: int, cfg: TrainConfig) -> int:
        """Batches per epoch (the last one may be short)."""
        return -(-n // cfg.batch_size)

    def _set_lr(self) -> None:
        total = self.cfg.epochs * (1 if self.cfg.schedule == "epoch" else self.n_steps)
        for group in self.opt.param_groups:
            group["lr"] = cosine_lr(self.cfg.lr, self.cfg.min_lr, self.t, total)

    def epoch(self, bar=None) -> list[float]:
        """One pass over the data in a new random order; the batches' mean losses (over all ranks)."""
        import torch

        from collapse.llm import distributed

        self.model.train()
        order = torch.randperm(len(self.data), generator=self.gen)
        bs = self.cfg.batch_size
        losses = []
        for k in range(self.n_steps):
            losses.append(self.step(order[k * bs:(k + 1) * bs]))
            if bar is not None:
                bar.update(1)
        return distributed.all_sum(losses) if self.world > 1 else losses

    def lr_now(self) -> float:
        """The rate of the next optimiser step."""
        self._set_lr()
        return self.opt.param_groups[0]["lr"]

    def end_epoch(self) -> None:
        """The per-epoch schedule moves on."""
        if self.cfg.schedule == "epoch":
            self.t += 1
            self._set_lr()

    def step(self, rows) -> float:
        """One optimiser step on the batch ``rows``; this rank's share of the batch's mean loss."""
        import torch

        from collapse.llm import distributed

        if self.cfg.schedule == "step":
            self._set_lr()
        dtype = self.dtype
        x, weight = _local_rows(self.data, rows, self.world, distributed.batch_shard(len(rows)))
        x = x.to(self.device)
        with torch.autocast(device_type=self.device, dtype=dtype, enabled=dtype is not None):
            loss = self.net(input_ids=x, labels=x).loss
        self.opt.zero_grad(set_to_none=True)
        scaled = loss * weight if weight != 1.0 else loss
        if self.scaler is None:
            scaled.backward()
            self.opt.step()
        else:
            self.scaler.scale(scaled).backward()
            self.scaler.step(self.opt)
            self.scaler.update()
        if self.cfg.schedule == "step":
            self.t += 1
        return loss.item() * weight / self.world  # summed over ranks: the batch's mean loss


def _local_rows(data, rows, world: int, mine: slice):
    """This rank's rows of a batch and the weight of its mean loss.

    DDP averages gradients over ranks; weighting each rank's mean token loss by
    ``world * n_local / n`` makes that average the gradient of the whole batch's
    mean (all blocks have the same length), also when the batch does not split
    evenly. A rank left without rows runs one row at weight 0, since every rank
    must take part in each backward pass.
    """
    if world == 1:
        return data[rows], 1.0
    local = rows[mine]
    if len(local) == 0:
        return data[rows[:1]], 0.0
    return data[local], world * len(local) / len(rows)


def _valid_loss(model, blocks, device: str, batch_size: int, data_parallel: bool) -> float:
    """Mean token NLL of the validation blocks (scored in shards across ranks when data-parallel)."""
    from collapse.llm import distributed
    from collapse.llm.evaluate import token_nll

    if not data_parallel:
        return float(token_nll(model, blocks, device=device, batch_size=batch_size).mean())
    nll = token_nll(model, distributed.shard(blocks), device=device, batch_size=batch_size)
    return float(distributed.gather(nll).mean())
