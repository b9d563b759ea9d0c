"""The variational autoencoder chain of the Supplementary Material (torch, imported lazily).

Generation 0 is trained on real digits; every later generation is a freshly
initialised VAE trained only on the previous generation's decoder outputs
(decoder means of z ~ N(0, I)), with a dataset of the same size. The generation-0
encoder then maps each generation's samples to latent means, whose spread
shrinks generation after generation (0.674, 0.608, 0.527, 0.468, 0.433 on MNIST in
the paper).

Architecture and training follow the authors' protocol (see
``../shared/reference/official-protocol.md``): convolutional encoder 64 -> 128
channels (kernel 4, stride 2), mirrored transposed-convolution decoder, latent
dimension 20, loss = summed BCE + KL, Adam (lr 1e-3, weight decay 1e-5), batch 256.

Data: MNIST from standard idx files in a directory the user names
(``train-images-idx3-ubyte`` or ``.gz``), or the embedded default that needs no
download: scikit-learn's bundled 8x8 digits (1797 images), upsampled bilinearly
to 28x28 so that the same network applies.

Torch seeding lives in :func:`seeded` only. ``fit`` is a pure function of its data
(its seed is derived from the data's bytes and the family's seed), so a chain is
reproducible and resumable generation by generation.

References: Shumailov et al. (2024), Supplementary Material ("VAE" figure).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gzip
import zlib
from pathlib import Path

import numpy as np

from collapse.core.validation import InvalidArgument, check_int, check_positive_real

__all__ = ["MNIST_NAMES", "VAEFamily", "VAEParams", "check_mnist", "load_digits_default", "load_mnist", "seeded"]


# ---- data ---------------------------------------------------------------------------------

#: the names the MNIST training images go by, in the order they are looked for
MNIST_NAMES = ("train-images-idx3-ubyte", "train-images.idx3-ubyte", "train-images-idx3-ubyte.gz")
_IDX3_MAGIC = 2051


class _Shown(str):
    """A value shown as it is in an InvalidArgument message (no quotes)."""

    def __repr__(self) -> str:
        return str(self)


def _mnist_file(directory: str | Path, option: str) -> Path:
    directory = Path(directory)
    for name in MNIST_NAMES:
        path = directory / name
        if path.is_file():
            return path
    raise InvalidArgument(option, "a folder holding train-images-idx3-ubyte[.gz]", str(directory))


def _idx3(path: Path, option: str) -> tuple[bytes, int, int, int]:
    """The bytes of idx3 images file ``path`` (decompressed) and its (n, rows, cols), all checked.

    A file that cannot be read, a damaged or truncated gzip stream, a header that is not
    idx3's, images the VAE has no network for, or fewer (more) bytes than the header
    announces each raise :class:`InvalidArgument` naming ``option`` and the file.
    """
    def bad(why: str) -> InvalidArgument:
        return InvalidArgument(option, "a folder whose MNIST training images are a complete idx3 file "
                                       "(train-images-idx3-ubyte[.gz], as published)", _Shown(f"{path}: {why}"))

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise bad(exc.strerror or type(exc).__name__) from None
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except EOFError:
            raise bad("a truncated gzip stream") from None
        except (OSError, zlib.error) as exc:
            raise bad(f"not a readable gzip file ({str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__})"
                      ) from None
    magic = int(np.frombuffer(raw[:4], dtype=">u4")[0]) if len(raw) >= 4 else None
    if magic is not None and magic != _IDX3_MAGIC:
        what = " (an idx1 labels file)" if magic == 2049 else ""
        raise bad(f"magic number {magic}{what}, not {_IDX3_MAGIC} (idx3 images)")
    if len(raw) < 16:
        raise bad(f"{len(raw)} bytes, shorter than the 16-byte idx3 header")
    _, n, rows, cols = (int(v) for v in np.frombuffer(raw[:16], dtype=">u4"))
    if n < 1 or rows != cols or rows not in CHANNELS:
        raise bad(f"{n} images of {rows}x{cols} pixels; the VAE takes square images of "
                  + " or ".join(f"{k}x{k}" for k in sorted(CHANNELS, reverse=True)))
    need = 16 + n * rows * cols
    if len(raw) != need:
        kind = "truncated" if len(raw) < need else "longer than announced"
        raise bad(f"{kind}: {len(raw)} bytes, the header announces {n} images of {rows}x{cols} ({need} bytes)")
    return raw, n, rows, cols


def check_mnist(directory: str | Path, option: str = "--mnist") -> tuple[int, int]:
    """``(number of images, side)`` of the MNIST training images in ``directory``, the file checked whole."""
    _, n, rows, _ = _idx3(_mnist_file(directory, option), option)
    return n, rows


def load_mnist(directory: str | Path, option: str = "mnist directory") -> np.ndarray:
    """MNIST training images from idx files, as float32 in [0, 1], shape (n, 28, 28).

    A missing, unreadable, truncated or garbage file raises :class:`InvalidArgument` naming
    ``option`` (the command line passes ``--mnist``) and the file.
    """
    raw, n, rows, cols = _idx3(_mnist_file(directory, option), option)
    images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows, cols)
    return images.astype(np.float32) / 255.0


def load_digits_default(size: int = 8) -> np.ndarray:
    """scikit-learn's bundled 8x8 digits in [0, 1], shape (1797, size, size).

    ``size`` 8 keeps them as they are (for the matching smaller network); 28 upsamples
    them bilinearly for the protocol's MNIST network (about 12x the compute).
    """
    from sklearn.datasets import load_digits

    x = load_digits().images.astype(np.float32) / 16.0  # (1797, 8, 8)
    if size == 8:
        return x
    import torch

    up = torch.nn.functional.interpolate(torch.from_numpy(x)[:, None], size=(size, size), mode="bilinear",
                                         align_corners=False)
    return up[:, 0].clamp(0, 1).numpy()


# ---- model --------------------------------------------------------------------------------

@contextlib.contextmanager
def seeded(seed: int):
    """Run a block with torch's global generator seeded, restoring it afterwards."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed) % 2**63)
        yield


#: channels of the two stride-2 convolutions, by image side: the protocol's network for
#: 28x28 MNIST, and the matching network with half the channels for the 8x8 digits
CHANNELS = {28: (64, 128), 8: (32, 64)}


def _build(latent: int, side: int = 28):
    import torch
    from torch import nn

    c1, c2 = CHANNELS[side]
    q = side // 4  # two stride-2 convolutions

    class ConvVAE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Sequential(nn.Conv2d(1, c1, 4, 2, 1), nn.ReLU(),  # (B, c1, side/2, side/2)
                                     nn.Conv2d(c1, c2, 4, 2, 1), nn.ReLU(), nn.Flatten())  # (B, c2 q q)
            self.mu = nn.Linear(c2 * q * q, latent)
            self.logvar = nn.Linear(c2 * q * q, latent)
            self.dec_in = nn.Linear(latent, c2 * q * q)
            self.dec = nn.Sequential(nn.ReLU(), nn.Unflatten(1, (c2, q, q)),
                                     nn.ConvTranspose2d(c2, c1, 4, 2, 1), nn.ReLU(),  # (B, c1, side/2, side/2)
                                     nn.ConvTranspose2d(c1, 1, 4, 2, 1))  # (B, 1, side, side) logits

        def encode(self, x):
            h = self.enc(x)
            return self.mu(h), self.logvar(h)

        def decode(self, z):
            return self.dec(self.dec_in(z))  # logits

        def forward(self, x):
            mu, logvar = self.encode(x)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            return self.decode(z), mu, logvar

    return ConvVAE()


@dataclasses.dataclass(frozen=True, eq=False)
class VAEParams:
    """One trained VAE per chain (``models``: list of torch modules) and its training losses."""

    models: list
    losses: np.ndarray  # (n_chains, epochs): mean loss per image


@dataclasses.dataclass(frozen=True)
class VAEFamily:
    """Convolutional VAE on ``side`` x ``side`` images in [0, 1]; data shape (n_chains, n, side, side)."""

    latent: int = 20
    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-5
    seed: int = 0
    threads: int = 1  # torch intra-op threads; more than 1 thrashes on a shared 2-core machine
    side: int = 28
    name: str = "vae"

    def __post_init__(self) -> None:
        check_int("latent", self.latent, minimum=1)
        check_int("epochs", self.epochs, minimum=1)
        check_int("batch_size", self.batch_size, minimum=1)
        check_positive_real("lr", self.lr)
        check_int("threads", self.threads, minimum=1)
        if self.side not in CHANNELS:
            raise InvalidArgument("side", f"one of {sorted(CHANNELS)} (image side in pixels)", self.side)

    def fit(self, data: np.ndarray) -> VAEParams:
        """Train a freshly initialised VAE per chain on ``data`` (n_chains, n, 28, 28)."""
        if data.ndim != 4 or data.shape[2:] != (self.side, self.side):
            raise InvalidArgument("data", f"an array of shape (n_chains, n, {self.side}, {self.side})", data.shape)
        models, losses = [], []
        for c in range(data.shape[0]):
            x = np.ascontiguousarray(data[c], dtype=np.float32)
            seed = zlib.crc32(x.view(np.uint8), self.seed)
            model, loss = self._train(x, seed)
            models.append(model)
            losses.append(loss)
        return VAEParams(models, np.asarray(losses))

    def _train(self, x: np.ndarray, seed: int):
        import torch
        import torch.nn.functional as F

        torch.set_num_threads(self.threads)
        with seeded(seed):
            model = _build(self.latent, self.side)
            opt = torch.optim.Adam(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            xt = torch.from_numpy(x)[:, None]  # (n, 1, 28, 28)
            n, history = xt.shape[0], []
            for _ in range(self.epochs):
                total = 0.0
                for idx in torch.randperm(n).split(self.batch_size):
                    batch = xt[idx]
                    logits, mu, logvar = model(batch)
                    bce = F.binary_cross_entropy_with_logits(logits, batch, reduction="sum")
                    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
                    loss = bce + kl
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += loss.item()
                history.append(total / n)
        model.eval()
        return model, history

    def sample(self, params: VAEParams, m: int, rng: np.random.Generator) -> np.ndarray:
        """Decoder means of z ~ N(0, I) (z drawn from ``rng``): shape (n_chains, m, side, side)."""
        import torch

        out = []
        for model in params.models:
            z = torch.from_numpy(rng.standard_normal((m, self.latent)).astype(np.float32))
            with torch.no_grad():
                out.append(torch.sigmoid(model.decode(z))[:, 0].numpy())
        return np.stack(out)

    def latent_means(self, params: VAEParams, x: np.ndarray, chain: int = 0) -> np.ndarray:
        """Encoder means of images ``x`` (n, side, side) under chain ``chain``'s model: (n, latent)."""
        import torch

        with torch.no_grad():
            mu, _ = params.models[chain].encode(torch.from_numpy(np.ascontiguousarray(x, np.float32))[:, None])
        return mu.numpy()


# ---- the experiment -----------------------------------------------------------------------
