"""The Supplementary Material's VAE experiment: generations of VAEs, saved for figures/vae.py.

The family (network, training, sampling, data loading) is
:mod:`collapse.simulate.families.vae`; this module runs its chain through the generic
loop into a run folder (:class:`collapse.core.runner.Run`), one generation at a time,
so a killed run resumes at the generation it was training.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np

from collapse.core.runner import Run
from collapse.core.validation import check_int
from collapse.simulate.families.vae import VAEFamily, VAEParams, _build, load_digits_default, load_mnist

__all__ = ["VAEExperiment", "run_vae"]


@dataclasses.dataclass(frozen=True)
class VAEExperiment:
    """Generations of VAEs; ``mnist`` names a folder with MNIST idx files (default: embedded digits)."""

    generations: int = 5
    epochs: int | None = None  # 30 on MNIST (the protocol); 150 on the 1797 embedded digits
    latent: int = 20
    batch_size: int = 256
    mnist: str | None = None
    limit: int | None = None  # use the first ``limit`` real images (MNIST or digits)
    grid: int = 100
    regime: str = "replace"
    threads: int = 1  # torch intra-op threads; more than 1 thrashes on a shared 2-core machine
    side: int = 8  # embedded digits: 8 (smaller network) or 28 (upsampled, protocol network)
    seed: int = 20240724

    def __post_init__(self) -> None:
        check_int("generations", self.generations, minimum=1)
        check_int("grid", self.grid, minimum=1)
        if self.epochs is None:
            # MNIST has 33x more images: 150 epochs of the digits are ~1200 optimiser steps,
            # enough for generation 0 to fit them (30 epochs are ~240 steps and underfit)
            object.__setattr__(self, "epochs", 30 if self.mnist else 150)
        check_int("epochs", self.epochs, minimum=1)
        from collapse.simulate.loop import Regime

        object.__setattr__(self, "regime", str(Regime.parse(self.regime)))


def _model_bytes(model) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getvalue()


def _load_model(path: Path, latent: int, side: int):
    import torch

    model = _build(latent, side)
    model.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    return model


def _real_source(real: np.ndarray):
    """Fresh real images for the loop: a uniform subset (with replacement beyond n)."""
    n = real.shape[0]

    def source(m: int, rng: np.random.Generator) -> np.ndarray:
        idx = rng.permutation(n)[:m] if m <= n else rng.integers(0, n, m)
        return real[None, idx]  # (1, m, side, side)

    return source


def run_vae(config: VAEExperiment, run: Run, *, progress: bool = False) -> Path:
    """Train ``config.generations`` VAEs through the generic loop; save ``results/<run.name>.npz``.

    Each generation is one :func:`collapse.simulate.loop.step` under ``config.regime``
    (``replace``: the paper; ``mix:...`` keeps a share of real images). Saved: ``grids``
    (G, grid, side, side) decoder samples per generation, ``latent_means`` (G, n, latent) of
    each generation's samples under the generation-0 encoder, ``latent_std`` (G,),
    ``real_latent_std`` (real data), ``losses`` (G, epochs). Each finished generation is kept
    in ``results/vae_gen<k>.pt`` / ``.npz`` and reused when the run resumes.
    """
    from tqdm.auto import tqdm

    from collapse.simulate.loop import LoopState, Regime

    rel = f"results/{run.name}.npz"
    if run.done(rel):
        return run.path(rel)
    real = load_mnist(config.mnist, option="--mnist") if config.mnist else load_digits_default(config.side)
    real = real[: config.limit] if config.limit else real
    n = real.shape[0]
    fam = VAEFamily(config.latent, config.epochs, config.batch_size, seed=config.seed, threads=config.threads,
                    side=real.shape[-1])
    regime = Regime.parse(config.regime)
    # per generation: a stream for building its training set and one for the probe samples
    streams = [[np.random.default_rng(t) for t in s.spawn(2)]
               for s in np.random.SeedSequence(config.seed).spawn(config.generations)]
    state, enc0 = LoopState(0, None), None
    grids, latents, losses = [], [], []
    for g in tqdm(range(config.generations), desc="vae", unit="gen", disable=not progress, leave=False):
        state = _generation(fam, state, g, n, streams[g][0], regime, _real_source(real), run)
        enc0 = state.params if g == 0 else enc0
        probe = fam.sample(state.params, n, streams[g][1])[0]  # generation g's samples
        grids.append(probe[: config.grid])
        latents.append(fam.latent_means(enc0, probe))
        losses.append(state.params.losses[0])
    real_mu = fam.latent_means(enc0, real)
    latents = np.asarray(latents)
    data = "mnist" if config.mnist else f"sklearn digits 8x8 at {config.side}x{config.side}"
    return run.save_npz(rel, run.metadata(n_images=int(n), data=data),
                        grids=np.asarray(grids), latent_means=latents,
                        latent_std=latents.reshape(len(latents), -1).std(1),
                        real_latent_std=np.float64(real_mu.std()), losses=np.asarray(losses),
                        real_grid=real[: config.grid])


def _generation(fam: VAEFamily, state, g: int, n: int, rng, regime, source, run: Run):
    """One loop step (train generation g), or its saved result when the run resumes."""
    from collapse.core.runio import load_npz
    from collapse.simulate.loop import LoopState, step

    gen_pt, gen_npz = f"results/vae_gen{g}.pt", f"results/vae_gen{g}.npz"
    # the .npz is written last, so it marks a finished generation
    if run.done(gen_npz) and run.done(gen_pt):
        _, arr = load_npz(run.path(gen_npz))
        params = VAEParams([_load_model(run.path(gen_pt), fam.latent, fam.side)], arr["losses"])
        return LoopState(g + 1, params, arr.get("data"), arr.get("pool"))
    state = step(fam, state, n, rng, regime, source)
    run.write_bytes(gen_pt, _model_bytes(state.params.models[0]))
    keep = {}  # what the next step of this regime reads besides the model
    if regime.kind == "mix":
        keep["data"] = state.data.astype(np.float32)
    if state.pool is not None:
        keep["pool"] = state.pool.astype(np.float32)
    run.save_npz(gen_npz, run.metadata(generation=g), losses=state.params.losses, **keep)
    return state
