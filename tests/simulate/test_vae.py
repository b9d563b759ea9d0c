"""The VAE chain: data loading, reproducible fits, resumable runs (small and fast)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from collapse.core.runio import load_npz  # noqa: E402
from collapse.core.validation import InvalidArgument  # noqa: E402
from collapse.simulate.experiments import run_experiment  # noqa: E402
from collapse.simulate.experiments.vae import VAEExperiment  # noqa: E402
from collapse.simulate.families.vae import VAEFamily, load_digits_default, load_mnist  # noqa: E402


def run_vae(cfg, folder):
    return run_experiment(folder, "vae", cfg)


def _write_idx(path, images: np.ndarray, magic: int = 2051, compress: bool = False) -> None:
    n, r, c = images.shape
    raw = np.array([magic, n, r, c], dtype=">u4").tobytes() + images.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_idx(tmp_path, compress):
    imgs = np.random.default_rng(0).integers(0, 256, (5, 28, 28))
    name = "train-images-idx3-ubyte" + (".gz" if compress else "")
    _write_idx(tmp_path / name, imgs, compress=compress)
    x = load_mnist(tmp_path)
    assert x.shape == (5, 28, 28) and x.dtype == np.float32
    assert np.allclose(x, imgs / 255.0)


def test_load_mnist_bad_input(tmp_path):
    with pytest.raises(InvalidArgument) as err:
        load_mnist(tmp_path)
    assert err.value.name == "mnist directory"
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((1, 28, 28)), magic=2049)
    with pytest.raises(InvalidArgument):
        load_mnist(tmp_path)


def test_default_digits():
    x = load_digits_default()
    assert x.shape == (1797, 8, 8) and x.min() >= 0 and x.max() <= 1
    assert load_digits_default(28).shape == (1797, 28, 28)


def test_fit_is_a_pure_function_of_the_data_and_sample_of_the_rng():
    x = load_digits_default()[None, :128]
    fam = VAEFamily(epochs=1, batch_size=64, side=8, latent=4)
    a, b = fam.fit(x), fam.fit(x)
    for pa, pb in zip(a.models[0].parameters(), b.models[0].parameters()):
        assert torch.equal(pa, pb)
    s1 = fam.sample(a, 10, np.random.default_rng(1))
    s2 = fam.sample(b, 10, np.random.default_rng(1))
    assert s1.shape == (1, 10, 8, 8) and np.array_equal(s1, s2) and 0 <= s1.min() and s1.max() <= 1
    assert fam.latent_means(a, x[0, :7]).shape == (7, 4)
    before = torch.random.get_rng_state()
    fam.fit(x)
    assert torch.equal(before, torch.random.get_rng_state())  # torch's global generator is left alone


def test_protocol_network_on_28x28():
    fam = VAEFamily(epochs=1, batch_size=32, side=28, latent=3)
    p = fam.fit(np.random.default_rng(0).random((1, 32, 28, 28)).astype(np.float32))
    assert fam.sample(p, 2, np.random.default_rng(0)).shape == (1, 2, 28, 28)


def test_run_vae_saves_results_and_resumes(tmp_path):
    cfg = VAEExperiment(generations=2, epochs=1, latent=4, limit=96, grid=9, seed=3)
    path = run_vae(cfg, tmp_path)
    meta, a = load_npz(path)
    assert meta["config"]["generations"] == 2 and meta["seed"] == 3 and "collapse-toolkit" in meta["versions"]
    assert a["grids"].shape == (2, 9, 8, 8) and a["latent_means"].shape == (2, 96, 4)
    assert a["latent_std"].shape == (2,) and np.all(a["latent_std"] > 0)
    # resume: with the results file gone, the saved generations are reused, bit for bit
    stamp = (tmp_path / "results" / "vae_gen0.pt").stat().st_mtime_ns
    path.unlink()
    _, b = load_npz(run_vae(cfg, tmp_path))
    assert (tmp_path / "results" / "vae_gen0.pt").stat().st_mtime_ns == stamp
    assert np.array_equal(a["latent_means"], b["latent_means"])


BAD = [
    pytest.param(dict(latent=0), "latent", id="no-latent"),
    pytest.param(dict(epochs=0), "epochs", id="no-epochs"),
    pytest.param(dict(side=16), "side", id="unsupported-side"),
    pytest.param(dict(threads=0), "threads", id="no-threads"),
]


@pytest.mark.parametrize("kwargs, name", BAD)
def test_bad_family(kwargs, name):
    with pytest.raises(InvalidArgument) as err:
        VAEFamily(**kwargs)
    assert err.value.name == name


def test_bad_data_shape():
    with pytest.raises(InvalidArgument) as err:
        VAEFamily(side=8).fit(np.zeros((1, 4, 28, 28), np.float32))
    assert err.value.name == "data"


def test_vae_under_the_mixing_regime_resumes(tmp_path):
    """mix:0.5,0.25,0.25 through the generic loop; the saved training set lets it resume exactly."""
    cfg = VAEExperiment(generations=3, epochs=1, latent=3, limit=64, grid=4, regime="mix:0.5,0.25,0.25", seed=1)
    path = run_vae(cfg, tmp_path)
    _, a = load_npz(path)
    _, g1 = load_npz(tmp_path / "results" / "vae_gen1.npz")
    assert g1["data"].shape == (1, 64, 8, 8)
    path.unlink()
    (tmp_path / "results" / "vae_gen2.pt").unlink()  # generation 2 is retrained from generation 1's saved state
    _, b = load_npz(run_vae(cfg, tmp_path))
    assert np.array_equal(a["latent_means"], b["latent_means"])
