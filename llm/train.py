"""Fine-tuning one generation: AdamW, cosine schedule, best-validation checkpoint selection.

Protocol (official-protocol.md, "Training"): AdamW, lr 2e-5, default weight
decay, cosine annealing to 1e-6, fp32, batch 128; the checkpoint with the
lowest mean validation loss over the epochs is the generation's model.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import numpy.typing as npt

from collapse.core.validation import InvalidArgument, check_choice, check_finite_real, check_int
from collapse.llm.limits import MAX_BATCH_SIZE, MAX_LR, MAX_WEIGHT_DECAY

__all__ = ["MAX_BATCH_SIZE", "MAX_LR", "MAX_WEIGHT_DECAY", "TrainConfig", "fine_tune"]


def _real_in(name: str, value, low: float, high: float, *, low_open: bool = False, what: str = "") -> float:
    """``value`` as a float in [low, high] (``(low, high]`` when ``low_open``), else InvalidArgument."""
    v = check_finite_real(name, value)
    if v < low or v > high or (low_open and v == low):
        raise InvalidArgument(name, what or f"a number in {'(' if low_open else '['}{low:g}, {high:g}]", value)
    return v


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimiser and schedule; ``schedule='epoch'`` anneals once per epoch (as the release), 'step' per batch."""

    epochs: int = 5
    lr: float = 2e-5
    min_lr: float = 1e-6
    weight_decay: float = 0.01
    batch_size: int = 128
    schedule: str = "epoch"

    def __post_init__(self):
        check_int("epochs", self.epochs, minimum=1, maximum=10_000)
        _real_in("lr", self.lr, 0.0, MAX_LR, low_open=True)
        _real_in("min_lr", self.min_lr, 0.0, self.lr if 0 < self.lr <= MAX_LR else MAX_LR,
                 what=f"a number in [0, lr = {self.lr:g}] (the cosine schedule ends there)")
        _real_in("weight_decay", self.weight_decay, 0.0, MAX_WEIGHT_DECAY)
        check_int("batch_size", self.batch_size, minimum=1, maximum=MAX_BATCH_SIZE)
        check_choice("schedule", self.schedule, ("epoch", "step"))


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

    from collapse.llm.model import state_to_cpu

    t = _Trainer.start(model, train_blocks, cfg, seed, device, data_parallel)
    history = {"train_loss": [], "valid_loss": [], "lr": []}
    best, best_loss = None, float("inf")
    for epoch in tqdm(range(cfg.epochs), desc="epochs", leave=False, disable=not progress):
        losses = t.epoch()
        history["lr"].append(t.end_epoch())
        valid = _valid_loss(model, valid_blocks, device, eval_batch_size, data_parallel)
        history["train_loss"].append(float(np.mean(losses)))
        history["valid_loss"].append(valid)
        if valid < best_loss:  # keep the best epoch's weights (on the CPU, off the training device)
            best, best_loss = state_to_cpu(model), valid
            history["best_epoch"] = epoch
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
    sched: Any
    cfg: TrainConfig
    device: str
    dtype: Any  # autocast dtype, None for fp32
    world: int  # ranks taking part (1: one process)

    @classmethod
    def start(cls, model, train_blocks, cfg: TrainConfig, seed: int, device: str, data_parallel: bool) -> _Trainer:
        import torch

        from collapse.llm import distributed
        from collapse.llm.model import autocast_dtype, seed_torch

        seed_torch(seed)
        gen = torch.Generator().manual_seed(int(seed) % (2**63))
        data = torch.as_tensor(train_blocks)
        opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        t_max = cfg.epochs if cfg.schedule == "epoch" else cfg.epochs * cls.steps(len(data), cfg)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=cfg.min_lr)
        net = distributed.wrap(model, device) if data_parallel else model
        world = distributed.world_size() if data_parallel else 1
        return cls(model, net, data, gen, opt, sched, cfg, device, autocast_dtype(device), world)

    @staticmethod
    def steps(n: int, cfg: TrainConfig) -> int:
        """Batches per epoch (the last one may be short)."""
        return -(-n // cfg.batch_size)

    def epoch(self) -> list[float]:
        """One pass over the data in a new random order; the batches' mean losses (over all ranks)."""
        import torch

        from collapse.llm import distributed

        self.model.train()
        order = torch.randperm(len(self.data), generator=self.gen)
        bs = self.cfg.batch_size
        losses = [self.step(order[k * bs:(k + 1) * bs]) for k in range(self.steps(len(self.data), self.cfg))]
        return distributed.all_sum(losses) if self.world > 1 else losses

    def end_epoch(self) -> float:
        """The learning rate the epoch ran at; then the per-epoch schedule moves on."""
        lr = self.opt.param_groups[0]["lr"]
        if self.cfg.schedule == "epoch":
            self.sched.step()
        return lr

    def step(self, rows) -> float:
        """One optimiser step on the batch ``rows``; this rank's share of the batch's mean loss."""
        import torch

        from collapse.llm import distributed

        dtype = self.dtype
        x, weight = _local_rows(self.data, rows, self.world, distributed.batch_shard(len(rows)))
        x = x.to(self.device)
        with torch.autocast(device_type=self.device, dtype=dtype, enabled=dtype is not None):
            loss = self.net(input_ids=x, labels=x).loss
        self.opt.zero_grad(set_to_none=True)
        (loss * weight if weight != 1.0 else loss).backward()
        self.opt.step()
        if self.cfg.schedule == "step":
            self.sched.step()
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
