"""Experiments write complete, traceable results and resume after an interruption."""

from __future__ import annotations

import numpy as np
import pytest

import simulate.experiments as E
from collapse.runio import load_npz


def test_gmm_run_resumes_to_the_same_result(tmp_path, monkeypatch):
    cfg = E.GMMExperiment(n_chains=2, samples=200, generations=6, panels=(0, 3, 6), panel_chains=1,
                          checkpoint_every=2, seed=5)
    whole = load_npz(E.run_gmm(cfg, tmp_path / "a"))[1]

    calls = {"n": 0}
    real = E.run_chain

    def interrupted(*args, **kwargs):  # dies at the start of the third chunk
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(E, "run_chain", interrupted)
    with pytest.raises(KeyboardInterrupt):
        E.run_gmm(cfg, tmp_path / "b")
    meta, _ = load_npz(tmp_path / "b" / "gmm.ckpt.npz")
    assert meta["generation"] == 4 and not (tmp_path / "b" / "gmm.npz").exists()
    monkeypatch.setattr(E, "run_chain", real)
    resumed = load_npz(E.run_gmm(cfg, tmp_path / "b"))[1]
    for k in ("weights", "means", "covs", "l2", "std", "panel_x"):
        assert np.array_equal(whole[k], resumed[k]), k
    assert not (tmp_path / "b" / "gmm.ckpt.npz").exists()
    assert whole["l2"].shape == (2, 7) and whole["panel_x"].shape == (3, 1, 200, 2)
    assert np.all(whole["l2"][:, 0] == 0)


def test_a_finished_result_is_kept_and_a_new_config_recomputes(tmp_path):
    cfg = E.DiscreteExperiment(n_chains=50, n_states=4, samples=8, generations=20, seed=1)
    path = E.run_discrete(cfg, tmp_path)
    stamp = path.stat().st_mtime_ns
    assert E.run_discrete(cfg, tmp_path).stat().st_mtime_ns == stamp
    meta, a = load_npz(E.run_discrete(E.DiscreteExperiment(n_chains=51, n_states=4, samples=8, generations=20),
                                      tmp_path))
    assert meta["config"]["n_chains"] == 51 and a["absorbed_at"].shape == (51,)
    assert {"config", "seed", "versions", "created"} <= set(meta)


def test_kde_and_regression_results(tmp_path):
    meta, a = load_npz(E.run_kde(E.KDEExperiment(n_chains=8, samples=10, generations=5), tmp_path))
    assert a["var"].shape == (8, 5) and meta["experiment"] == "kde"
    meta, a = load_npz(E.run_regression(E.RegressionExperiment(n_chains=8, generations=4, regime="accumulate"),
                                        tmp_path))
    assert a["risk"].shape == (8, 5) and np.all(a["risk"][:, 0] == 0) and meta["one_generation_risk"] > 0


def test_quick_functions_are_registered():
    assert set(E.QUICK) == {"discrete", "gmm", "vae"}
