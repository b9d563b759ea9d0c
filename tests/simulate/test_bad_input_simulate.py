"""Bad input to ``collapse simulate FAMILY``: one line naming the option, exit 2, nothing written.

Runs too big for this machine are refused before any work from their memory estimate
(:mod:`collapse.simulate.experiments.memory`), naming the option that dominates it; the
regression family runs the mix regime its help offers; a truncated or garbage MNIST file
is one line naming --mnist and the file. The bounds of the families' own options are
checked here too (``tests/cli`` walks every parser with bad values of each type).
"""

from __future__ import annotations

import dataclasses
import gzip
import time

import numpy as np
import pytest

from collapse.cli import main
from collapse.core.runio import load_npz
from collapse.core.validation import InvalidArgument


def _exit_code(argv) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # refused by an option's argparse type
        return int(exc.code)


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# ---- memory, before any work --------------------------------------------------------------

TOO_BIG = [
    pytest.param(["discrete", "--chains", "10000000", "--states", "10000000"], "--states", id="discrete-states"),
    pytest.param(["discrete", "--chains", "10000000", "--samples", "1000000000"], "--samples", id="discrete-samples"),
    pytest.param(["discrete", "--regime", "accumulate", "--generations", "1000000", "--samples", "100000"],
                 "--samples", id="discrete-accumulate"),
    pytest.param(["kde", "--chains", "10000000", "--samples", "1000000"], "--chains", id="kde"),
    pytest.param(["kde", "--regime", "accumulate", "--generations", "1000000", "--samples", "100000"],
                 "--generations", id="kde-accumulate"),
    pytest.param(["regression", "--dim", "10000", "--samples", "10001"], "--dim", id="regression-dim"),
    pytest.param(["regression", "--regime", "accumulate", "--generations", "1000000"], "--generations",
                 id="regression-accumulate"),
    pytest.param(["gmm", "--chains", "100000", "--generations", "100000"], "--chains", id="gmm"),
    pytest.param(["gmm", "--regime", "accumulate", "--generations", "1000000"], "--generations",
                 id="gmm-accumulate"),
    pytest.param(["gaussian", "--chains", "10000000", "--generations", "1000000"], "--chains", id="gaussian"),
]


@pytest.mark.parametrize(("argv", "option"), TOO_BIG)
def test_a_run_too_big_for_this_machine_is_refused_at_once(argv, option, tmp_path, capsys):
    out = tmp_path / "run"
    start = time.perf_counter()
    assert _exit_code(["simulate", *argv, "--out", str(out), "--quiet"]) == 2
    assert time.perf_counter() - start < 10  # refused from the estimate, not by running out of memory
    line = _one_error_line(capsys)
    assert line.startswith(f"collapse: error: {option}: expected a run that fits in ") and "of memory" in line
    assert not out.exists()  # nothing written, not even the run folder


def test_vae_too_big_is_refused(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "run"
    assert _exit_code(["simulate", "vae", "--generations", "1000000", "--latent", "4096", "--out", str(out)]) == 2
    assert "--generations: expected a run that fits" in _one_error_line(capsys)
    assert not out.exists()


def test_estimates_grow_with_the_work_and_the_defaults_fit():
    from collapse.simulate.experiments import estimate_memory, figure_runs
    from collapse.simulate.experiments.chains import DiscreteExperiment, KDEExperiment, RegressionExperiment
    from collapse.simulate.experiments.gmm import GMMExperiment

    small = DiscreteExperiment(n_chains=100, n_states=10, samples=10, generations=10)
    assert 0 < estimate_memory(small) < estimate_memory(DiscreteExperiment(n_chains=100, n_states=1000, samples=10,
                                                                           generations=10))
    for cfg in (KDEExperiment(), RegressionExperiment(), GMMExperiment(), DiscreteExperiment(sampler="literal")):
        for regime in ("accumulate", "accumulate-subsample"):  # the pool grows with the generations
            assert estimate_memory(dataclasses.replace(cfg, regime=regime)) > estimate_memory(cfg)
    regression = RegressionExperiment(dim=100, samples=200)
    assert estimate_memory(regression) >= regression.n_chains * 100 * 100 * 8  # d x d per chain
    for figure in ("gaussian", "gaussian-theory", "regimes", "discrete", "gmm", "vae"):
        for _, cfg in figure_runs(figure):
            assert estimate_memory(cfg) < 2 * 2 ** 30, figure  # the defaults run on a small machine
    assert estimate_memory(object()) == 0.0


def test_the_check_uses_the_memory_this_machine_has(monkeypatch):
    from collapse.core import validation
    from collapse.simulate.experiments.chains import DiscreteExperiment
    from collapse.simulate.experiments.memory import check_experiment_memory

    cfg = DiscreteExperiment(n_chains=1000, n_states=1000, samples=10, generations=10)
    assert check_experiment_memory(cfg, "discrete") > 0
    monkeypatch.setattr(validation, "available_memory", lambda: 2 ** 20)  # 1 MiB left
    with pytest.raises(InvalidArgument) as err:
        check_experiment_memory(cfg, "discrete")
    assert err.value.name == "--states" and "1000 chains x 1000 states" in str(err.value)


# ---- the mix regime of least squares ------------------------------------------------------

def test_regression_runs_the_mix_regime_its_help_offers(tmp_path, capsys):
    args = ["simulate", "regression", "--chains", "300", "--generations", "30", "--quiet"]
    assert main([*args, "--regime", "mix:0.8,0.1,0.1", "--out", str(tmp_path / "mix")]) == 0
    meta, mix = load_npz(tmp_path / "mix" / "results" / "regression_mix.npz")
    assert meta["config"]["regime"] == "mix:0.8,0.1,0.1" and mix["risk"].shape == (300, 31)
    assert np.all(np.isfinite(mix["risk"]))
    assert main([*args, "--out", str(tmp_path / "rep")]) == 0
    rep = load_npz(tmp_path / "rep" / "results" / "regression_replace.npz")[1]["risk"]
    # replace: E[risk_g] = g d/n grows without bound (3.75 at g = 30); a tenth of real data holds it down
    assert mix["risk"][:, -1].mean() < 0.5 * rep[:, -1].mean()


def test_regression_mix_shares_are_rows_of_the_fixed_design():
    from collapse.simulate.families.regression import RegressionFamily, RegressionParams

    fam = RegressionFamily.with_fixed_design(20, 3, np.random.default_rng(0))
    params = RegressionParams(np.zeros((4, 3)))
    full = fam.sample(params, 20, np.random.default_rng(1))
    assert np.array_equal(full[0, :, :3], fam.X)  # all n rows in order, as before
    part = fam.sample(params, 7, np.random.default_rng(1))
    assert part.shape == (4, 7, 4)
    for c in range(4):  # 7 distinct rows of X per chain
        rows = [int(np.flatnonzero((fam.X == x).all(1))[0]) for x in part[c, :, :3]]
        assert len(set(rows)) == 7
    with pytest.raises(InvalidArgument):
        fam.sample(params, 21, np.random.default_rng(1))


def test_regression_mix_with_too_few_rows_per_share_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["simulate", "regression", "--samples", "12", "--dim", "8", "--regime", "mix:0.5,0.4,0.1",
                 "--out", str(out)]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("collapse: error: --samples: expected") and "--dim" in line
    assert not out.exists()


# ---- MNIST files ---------------------------------------------------------------------------

def _idx(images: np.ndarray, magic: int = 2051) -> bytes:
    n, r, c = images.shape
    return np.array([magic, n, r, c], dtype=">u4").tobytes() + images.astype(np.uint8).tobytes()


GOOD = _idx(np.random.default_rng(0).integers(0, 256, (6, 28, 28)))
MNIST_DAMAGE = {
    "raw-truncated": ("train-images-idx3-ubyte", GOOD[: len(GOOD) - 100], "truncated"),
    "raw-header-only": ("train-images-idx3-ubyte", GOOD[:16], "truncated"),
    "raw-short-header": ("train-images-idx3-ubyte", GOOD[:9], "header"),
    "raw-empty": ("train-images-idx3-ubyte", b"", "header"),
    "raw-garbage": ("train-images-idx3-ubyte", bytes(range(256)) * 20, "magic"),
    "raw-labels": ("train-images-idx3-ubyte", np.array([2049, 6], ">u4").tobytes() + bytes(6), "labels"),
    "raw-too-long": ("train-images-idx3-ubyte", GOOD + b"\0" * 10, "longer"),
    "raw-odd-size": ("train-images-idx3-ubyte", _idx(np.zeros((2, 10, 10))), "10x10"),
    "gz-truncated": ("train-images-idx3-ubyte.gz", gzip.compress(GOOD)[:-30], "gzip"),
    "gz-garbage": ("train-images-idx3-ubyte.gz", b"\x1f\x8b" + bytes(range(200)), "gzip"),
    "gz-not-gzip": ("train-images-idx3-ubyte.gz", GOOD, "gzip"),
    "gz-of-truncated": ("train-images-idx3-ubyte.gz", gzip.compress(GOOD[:500]), "truncated"),
}


@pytest.mark.parametrize("case", list(MNIST_DAMAGE))
def test_a_damaged_mnist_file_is_one_line_naming_mnist_and_the_file(case, tmp_path):
    from collapse.simulate.families.vae import check_mnist, load_mnist

    name, data, why = MNIST_DAMAGE[case]
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / name).write_bytes(data)
    for read in (check_mnist, lambda d: load_mnist(d, option="--mnist")):
        with pytest.raises(InvalidArgument) as err:
            read(folder)
        msg = str(err.value)
        assert err.value.name == "--mnist" and str(folder / name) in msg and why in msg, msg
        assert "\n" not in msg
    assert (folder / name).read_bytes() == data  # read, never changed


def test_a_good_mnist_file_reads(tmp_path):
    from collapse.simulate.families.vae import check_mnist, load_mnist

    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(GOOD))
    assert check_mnist(tmp_path) == (6, 28)
    assert load_mnist(tmp_path).shape == (6, 28, 28)


@pytest.mark.parametrize("case", ["raw-truncated", "gz-truncated", "gz-garbage"])
def test_simulate_vae_with_a_damaged_mnist_file(case, tmp_path, capsys):
    pytest.importorskip("torch")
    name, data, _ = MNIST_DAMAGE[case]
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / name).write_bytes(data)
    out = tmp_path / "run"
    assert _exit_code(["simulate", "vae", "--mnist", str(folder), "--generations", "1", "--epochs", "1",
                       "--out", str(out), "--quiet"]) == 2
    line = _one_error_line(capsys)
    assert line.startswith("collapse: error: --mnist: expected") and str(folder / name) in line
    assert not out.exists()  # refused before the run folder is made


def test_simulate_vae_with_a_folder_without_mnist(tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "run"
    assert _exit_code(["simulate", "vae", "--mnist", str(tmp_path), "--out", str(out), "--quiet"]) == 2
    assert _one_error_line(capsys).startswith("collapse: error: --mnist: expected a folder holding")
    assert not out.exists()


# ---- the families' own options, bounded ---------------------------------------------------

@pytest.mark.parametrize("argv", [
    ["discrete", "--states", "10000001"], ["discrete", "--states", "0"],
    ["gmm", "--tol", "0"], ["gmm", "--tol", "2"], ["gmm", "--tol", "nan"], ["gmm", "--max-iter", "100001"],
    ["kde", "--bandwidth", "1e9"], ["kde", "--bandwidth", "inf"], ["regression", "--noise", "0"],
    ["vae", "--latent", "4097"], ["vae", "--threads", "257"], ["vae", "--epochs", "10001"],
    ["vae", "--limit", "0"], ["vae", "--mnist", "/no/such/folder"], ["kde", "--regime", "mix:1,1,1"],
    ["regression", "--regime", "mix"],
], ids=lambda a: "-".join(a).replace("/", "_"))
def test_family_options_are_bounded(argv, tmp_path, capsys):
    out = tmp_path / "run"
    assert _exit_code(["simulate", *argv, "--out", str(out)]) == 2
    line = _one_error_line(capsys)
    assert f"argument {argv[1]}" in line and "expected" in line
    assert not out.exists()
