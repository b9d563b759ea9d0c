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
) -> dict:
    """Train ``model`` in place; leave it holding the weights of its best validation epoch.

    Parameters
    ----------
    train_blocks, valid_blocks : int arrays of shape (n, L)
    seed : seeds the batch order and dropout of this generation

    Returns
    -------
    dict with ``train_loss`` and ``valid_loss`` per epoch (lists), ``best_epoch`` (0-based)
    """
    import torch
    from tqdm.auto import tqdm

    from llm.evaluate import token_nll
    from llm.model import autocast_dtype, seed_torch, state_to_cpu

    seed_torch(seed)
    gen = torch.Generator().manual_seed(int(seed) % (2**63))
    data = torch.as_tensor(train_blocks)
    steps_per_epoch = -(-len(data) // cfg.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    t_max = cfg.epochs if cfg.schedule == "epoch" else cfg.epochs * steps_per_epoch
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max, eta_min=cfg.min_lr)
    dtype = autocast_dtype(device)
    history = {"train_loss": [], "valid_loss": [], "lr": []}
    best, best_loss = None, float("inf")
    for epoch in tqdm(range(cfg.epochs), desc="epochs", leave=False, disable=not progress):
        model.train()
        order = torch.randperm(len(data), generator=gen)
        losses = []
        for k in range(steps_per_epoch):
            x = data[order[k * cfg.batch_size:(k + 1) * cfg.batch_size]].to(device)
            with torch.autocast(device_type=device, dtype=dtype, enabled=dtype is not None):
                loss = model(input_ids=x, labels=x).loss
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if cfg.schedule == "step":
                sched.step()
        history["lr"].append(opt.param_groups[0]["lr"])
        if cfg.schedule == "epoch":
            sched.step()
        valid = float(token_nll(model, valid_blocks, device=device, batch_size=eval_batch_size).mean())
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
