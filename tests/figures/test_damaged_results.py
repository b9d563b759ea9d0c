"""``collapse figures NAME`` on damaged result files: one line naming the file, exit 2, nothing written.

Each simulated figure's results are made once, small (a session fixture); every case copies
that run folder, damages one result file (empty, truncated, garbage bytes, a valid result of
another experiment, of another config, one without an array the figure draws, one with an
array of the wrong shape) and runs the command in-process. The damaged file must stay as it
was, nothing else in the folder may change, no figure may be written, and the default
experiment must not run over it (``draw`` treats a damaged file as damaged, not missing).
Every case has 60 s (``signal.alarm``), so a hang fails instead of stalling the suite.
"""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import numpy as np
import pytest

from collapse.cli import main
from collapse.core.runio import load_npz, save_npz

#: figure -> the result files it reads, each with an array the figure draws
FILES = {
    "discrete": {"discrete.npz": "het_mean", "discrete_absorption.npz": "absorbed_state"},
    "gaussian": {"gaussian_single.npz": "replace_M10_mu"},
    "gaussian-theory": {"gaussian_theory.npz": "mle_sigma_mean"},
    "regimes": {"regimes.npz": "mix_dmu2"},
    "gmm": {"gmm.npz": "l2"},
    "vae": {"vae.npz": "latent_means"},
}
CASES = [(fig, name) for fig, files in FILES.items() for name in files]
ALL_FILES = [name for _, name in CASES]
DAMAGES = ("empty", "truncated", "garbage", "other-experiment", "other-config", "missing-array", "wrong-shape")


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def pristine(tmp_path_factory) -> Path:
    """One run folder with small results of every simulated figure (seconds; the VAE's with torch only)."""
    from collapse.simulate.experiments import run_experiment
    from collapse.simulate.experiments import chains as E
    from collapse.simulate.experiments.gaussian_moments import GaussianTheoryConfig
    from collapse.simulate.experiments.gmm import GMMExperiment
    from collapse.simulate.experiments.regimes import RegimesConfig
    from collapse.simulate.experiments.single_gaussian import SingleGaussianConfig

    folder = tmp_path_factory.mktemp("pristine")
    run_experiment(folder, "discrete", E.DiscreteExperiment(n_chains=40, n_states=6, samples=8, generations=20))
    run_experiment(folder, "discrete_absorption", E.DiscreteExperiment(n_chains=50, n_states=3, samples=5,
                                                                      generations=20, p0=(0.5, 0.3, 0.2)))
    run_experiment(folder, "gaussian_single", SingleGaussianConfig(sample_sizes=(10, 20), generations=10, chains=4))
    run_experiment(folder, "gaussian_theory", GaussianTheoryConfig(generations=10, chains=8))
    run_experiment(folder, "regimes", RegimesConfig(gammas=(0.1, 0.5), mix_generations=3, mix_chains=10,
                                                    acc_generations=10, acc_chains=5))
    run_experiment(folder, "gmm", GMMExperiment(n_chains=2, samples=60, generations=3, panels=(0, 3), panel_chains=1,
                                                checkpoint_every=3))
    if _has_torch():
        from collapse.simulate.experiments.vae import VAEExperiment

        run_experiment(folder, "vae", VAEExperiment(generations=2, epochs=1, latent=2, limit=48, grid=4))
    return folder


@pytest.fixture
def time_limit():
    """Fail a case that takes more than 60 s (a hang, or the default experiment run after all)."""
    def expire(signum, frame):
        raise TimeoutError("the case took more than 60 s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _donor(name: str) -> str:
    """Another figure's result file (cyclically; for discrete.npz, discrete_absorption.npz's)."""
    others = [n for n in ALL_FILES if n != name and (n != "vae.npz" or _has_torch())]
    return others[(ALL_FILES.index(name)) % len(others)]


def _damage(path: Path, how: str, key: str, results: Path) -> None:
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, len(data), dtype=np.uint8).tobytes())
    elif how == "other-experiment":
        path.write_bytes((results / _donor(path.name)).read_bytes())
    elif how == "other-config":  # a valid result, of a config the run folder does not record for it
        meta, arrays = load_npz(path)
        meta["config"]["seed"] = int(meta["config"]["seed"]) + 1
        save_npz(path, meta, **arrays)
    elif how == "missing-array":
        meta, arrays = load_npz(path)
        del arrays[key]
        save_npz(path, meta, **arrays)
    elif how == "wrong-shape":
        meta, arrays = load_npz(path)
        arrays[key] = arrays[key][:1]
        save_npz(path, meta, **arrays)
    else:  # pragma: no cover
        raise AssertionError(how)


def _run_and_check(figure: str, folder: Path, damaged: Path, capsys) -> None:
    before = _snapshot(folder)
    capsys.readouterr()
    code = main(["figures", figure, "--out", str(folder), "--quiet"])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("collapse: error: ") and str(damaged) in lines[0], err
    assert "Traceback" not in err
    assert ("delete it" in lines[0] or "--force" in lines[0]), err  # says what to do
    assert _snapshot(folder) == before  # the damaged file as it was, nothing else written or changed
    assert not (folder / "figures").exists()


@pytest.mark.parametrize("how", DAMAGES)
@pytest.mark.parametrize(("figure", "name"), CASES, ids=[f"{f}:{n}" for f, n in CASES])
def test_a_damaged_result_is_one_line_naming_it(figure, name, how, pristine, tmp_path, capsys, time_limit):
    if name == "vae.npz" and not _has_torch():
        pytest.skip("the VAE's results need torch")
    folder = tmp_path / "run"
    shutil.copytree(pristine, folder)
    damaged = folder / "results" / name
    _damage(damaged, how, FILES[figure][name], folder / "results")
    _run_and_check(figure, folder, damaged, capsys)


def test_the_pristine_results_draw(pristine, tmp_path, capsys, time_limit):
    """The damage is what the cases catch: the same folder, undamaged, draws every figure."""
    folder = tmp_path / "run"
    shutil.copytree(pristine, folder)
    for figure in FILES:
        if figure == "vae" and not _has_torch():
            continue
        assert main(["figures", figure, "--out", str(folder), "--quiet"]) == 0, capsys.readouterr().err
    assert (folder / "figures" / "discrete.png").exists()


def test_a_damaged_second_result_is_reported_before_the_default_experiment_runs(pristine, tmp_path, capsys,
                                                                                time_limit):
    """discrete.npz missing (so ``draw`` would run the default experiment) and discrete_absorption.npz
    damaged: refused at once, naming the damaged file, which is not overwritten."""
    folder = tmp_path / "run"
    shutil.copytree(pristine, folder)
    (folder / "results" / "discrete.npz").unlink()
    damaged = folder / "results" / "discrete_absorption.npz"
    _damage(damaged, "truncated", "absorbed_state", folder / "results")
    _run_and_check("discrete", folder, damaged, capsys)


def test_the_library_reader_raises_damaged_file(pristine, tmp_path):
    from collapse.core.runner import DamagedFile
    from collapse.figures.registry import all_figures

    results = tmp_path / "results"
    shutil.copytree(pristine / "results", results)
    (results / "gmm.npz").write_bytes(b"not an npz")
    with pytest.raises(DamagedFile) as err:
        all_figures()["gmm"].draw(results, tmp_path / "figures")
    assert str(results / "gmm.npz") in str(err.value)
    with pytest.raises(DamagedFile):
        all_figures()["gmm"].describe(results)
    assert not (tmp_path / "figures").exists()
