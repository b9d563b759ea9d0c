"""Fine-tuning one generation: AdamW, cosine schedule, best-validation checkpoint selection.

Protocol (official-protocol.md, "Training"): AdamW, lr 2e-5, default weight
decay, cosine annealing to 1e-6, fp32, batch 128; the checkpoint with the
lowest mean validation loss over the epochs is the generation's model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy.typing as npt

from collapse.validation import check_choice, check_int, check_positive_real

__all__ = ["TrainConfig", "fine_tune"]


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
        check_int("epochs", self.epochs, minimum=1)
        check_positive_real("lr", self.lr)
        check_positive_real("min_lr", self.min_lr)
        check_int("batch_size", self.batch_size, minimum=1)
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
    data_parallel : every rank of the process group (:mod:`llm.distributed`) calls this together and
        takes a shard of each batch; gradients are averaged, so the optimiser follows the one-process
        run up to float reduction order (and dropout masks, which depend on the shard)

    Returns
    -------
    dict with ``train_loss`` and ``valid_loss`` per epoch (lists), ``best_epoch`` (0-based)
    """
    import torch
    from tqdm.auto import tqdm

    from llm import distributed
    from llm.model import autocast_dtype, seed_torch, state_to_cpu

    seed_torch(seed)
    gen = torch.Generator().manual_seed(int(seed) % (2**63))
    data = torch.as_tensor(train_blocks)
    steps_per_epoch = -(-len(data) // cfg.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    t_max = cfg.epochs if cfg.schedule == "epoch" else cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=cfg.min_lr)
    dtype = autocast_dtype(device)
    net = distributed.wrap(model, device) if data_parallel else model
    world = distributed.world_size() if data_parallel else 1
    history = {"train_loss": [], "valid_loss": [], "lr": []}
    best, best_loss = None, float("inf")
    for epoch in tqdm(range(cfg.epochs), desc="epochs", leave=False, disable=not progress):
        model.train()
        order = torch.randperm(len(data), generator=gen)
        losses = []
        for k in range(steps_per_epoch):
            rows = order[k * cfg.batch_size:(k + 1) * cfg.batch_size]
            x, weight = _local_rows(data, rows, world, distributed.batch_shard(len(rows)))
            x = x.to(device)
            with torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
                loss = net(input_ids=x, labels=x).loss
            opt.zero_grad(set_to_none=True)
            (loss * weight if weight != 1.0 else loss).backward()
            opt.step()
            losses.append(loss.item() * weight / world)  # summed over ranks: the batch's mean loss
            if cfg.schedule == "step":
                sched.step()
        if world > 1:
            losses = distributed.all_sum(losses)
        history["lr"].append(opt.param_groups[0]["lr"])
        if cfg.schedule == "epoch":
            sched.step()
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
    from llm import distributed
    from llm.evaluate import token_nll

    if not data_parallel:
        return float(token_nll(model, blocks, device=device, batch_size=batch_size).mean())
    nll = token_nll(model, distributed.shard(blocks), device=device, batch_size=batch_size)
    return float(distributed.gather(nll).mean())
