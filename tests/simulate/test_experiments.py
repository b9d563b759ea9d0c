"""Experiments write complete, traceable results through the runner and resume after an interruption."""

from __future__ import annotations

import numpy as np
import pytest

import collapse.simulate.experiments.chains as E
import collapse.simulate.experiments.gmm as GE
from collapse.core.runio import load_npz
from collapse.core.validation import InvalidArgument
from collapse.simulate.experiments import FIGURE_RUNS, figure_runs, run_experiment, runner_of


def _dies_on_call(n: int, real):
    """``real``, except that its ``n``-th call raises KeyboardInterrupt (a kill at a chunk boundary)."""
    calls = {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    return interrupted


def test_gmm_run_resumes_to_the_same_result(tmp_path, monkeypatch):
    cfg = GE.GMMExperiment(n_chains=2, samples=200, generations=6, panels=(0, 3, 6), panel_chains=1,
                           checkpoint_every=2, seed=5)
    whole = load_npz(run_experiment(tmp_path / "a", "gmm", cfg))[1]

    real = GE.run_chain
    monkeypatch.setattr(GE, "run_chain", _dies_on_call(3, real))  # at the start of the third chunk
    with pytest.raises(KeyboardInterrupt):
        run_experiment(tmp_path / "b", "gmm", cfg)
    meta, _ = load_npz(tmp_path / "b" / "results" / "gmm.ckpt.npz")
    assert meta["generation"] == 4 and not (tmp_path / "b" / "results" / "gmm.npz").exists()
    monkeypatch.setattr(GE, "run_chain", real)
    resumed = load_npz(run_experiment(tmp_path / "b", "gmm", cfg))[1]
    for k in ("weights", "means", "covs", "l2", "std", "panel_x"):
        assert np.array_equal(whole[k], resumed[k]), k
    assert not (tmp_path / "b" / "results" / "gmm.ckpt.npz").exists()
    assert whole["l2"].shape == (2, 7) and whole["panel_x"].shape == (3, 1, 200, 2)
    assert np.all(whole["l2"][:, 0] == 0)


def test_killed_gmm_rerun_with_other_generations_is_refused_and_keeps_its_checkpoint(tmp_path, monkeypatch):
    """The defect this runner removes: a rerun with another --generations threw the checkpoint away."""
    cfg = GE.GMMExperiment(n_chains=2, samples=100, generations=6, panels=(0,), panel_chains=1,
                           checkpoint_every=2, seed=5)
    real = GE.run_chain
    monkeypatch.setattr(GE, "run_chain", _dies_on_call(2, real))
    with pytest.raises(KeyboardInterrupt):
        run_experiment(tmp_path, "gmm", cfg)
    ckpt = tmp_path / "results" / "gmm.ckpt.npz"
    stamp = ckpt.stat().st_mtime_ns
    monkeypatch.setattr(GE, "run_chain", real)
    with pytest.raises(InvalidArgument) as err:
        run_experiment(tmp_path, "gmm", GE.GMMExperiment(**{**cfg.__dict__, "generations": 8}))
    assert "generations: 6 -> 8" in str(err.value)
    assert ckpt.stat().st_mtime_ns == stamp
    # --force starts over, deleting the checkpoint
    out = run_experiment(tmp_path, "gmm", GE.GMMExperiment(**{**cfg.__dict__, "generations": 8}), force=True)
    assert load_npz(out)[1]["l2"].shape == (2, 9) and not ckpt.exists()


def test_a_finished_result_is_kept_and_a_new_config_is_refused(tmp_path):
    cfg = E.DiscreteExperiment(n_chains=50, n_states=4, samples=8, generations=20, seed=1)
    path = run_experiment(tmp_path, "discrete", cfg)
    stamp = path.stat().st_mtime_ns
    assert run_experiment(tmp_path, "discrete", cfg).stat().st_mtime_ns == stamp
    other = E.DiscreteExperiment(n_chains=51, n_states=4, samples=8, generations=20)
    with pytest.raises(InvalidArgument) as err:
        run_experiment(tmp_path, "discrete", other)
    assert "n_chains: 50 -> 51" in str(err.value) and "seed: 1 -> 20240724" in str(err.value)
    assert path.stat().st_mtime_ns == stamp
    meta, a = load_npz(run_experiment(tmp_path, "discrete", other, force=True))
    assert meta["config"]["n_chains"] == 51 and a["absorbed_at"].shape == (51,)
    assert {"config", "seed", "versions", "created"} <= set(meta)


def test_kde_and_regression_results(tmp_path):
    meta, a = load_npz(run_experiment(tmp_path, "kde", E.KDEExperiment(n_chains=8, samples=10, generations=5)))
    assert a["var"].shape == (8, 5) and meta["experiment"] == "kde"
    cfg = E.RegressionExperiment(n_chains=8, generations=4, regime="accumulate")
    path = run_experiment(tmp_path, E.regression_name(cfg), cfg)
    meta, a = load_npz(path)
    assert path.name == "regression_accumulate.npz"
    assert a["risk"].shape == (8, 5) and np.all(a["risk"][:, 0] == 0) and np.all(a["risk"][:, 1:] > 0)
    assert meta["config"]["regime"] == "accumulate"


def test_every_figure_run_has_a_runner():
    assert set(FIGURE_RUNS) == {"gaussian", "gaussian-theory", "regimes", "discrete", "gmm", "vae"}
    for figure in FIGURE_RUNS:
        for name, cfg in figure_runs(figure, seed=3):
            assert callable(runner_of(cfg)) and cfg.seed in (3, 4), (figure, name)
    with pytest.raises(TypeError):
        runner_of(object())
