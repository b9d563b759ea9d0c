"""``collapse simulate|figures|bench`` for the discrete, gmm, vae, kde and regression families."""

from __future__ import annotations

import json

import numpy as np
import pytest

from collapse.cli import main
from collapse.core.runio import load_npz


@pytest.mark.parametrize("argv", [
    ["simulate", "discrete", "--regime", "mix:0.5,0.5"],
    ["simulate", "discrete", "--chains", "0"],
    ["simulate", "gmm", "--generations", "-3"],
    ["simulate", "kde", "--bandwidth", "0"],
    ["simulate", "regression", "--regime", "sideways"],
    ["simulate", "vae", "--epochs", "zero"],
], ids=["mix-two-weights", "no-chains", "negative-generations", "zero-bandwidth", "unknown-regime", "bad-epochs"])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "expected" in capsys.readouterr().err


def test_invalid_argument_in_the_handler_exits_2(tmp_path, capsys):
    assert main(["simulate", "regression", "--samples", "4", "--dim", "8", "--out", str(tmp_path)]) == 2
    assert "--samples: expected" in capsys.readouterr().err


def test_simulate_discrete_with_mixing(tmp_path):
    assert main(["simulate", "discrete", "--chains", "20", "--states", "5", "--samples", "10", "--generations", "8",
                 "--regime", "mix:0.5,0.25,0.25", "--seed", "4", "--out", str(tmp_path), "--quiet"]) == 0
    meta, a = load_npz(tmp_path / "results" / "discrete.npz")
    assert meta["seed"] == 4 and meta["config"]["regime"] == "mix:0.5,0.25,0.25"
    assert meta["config"]["sampler"] == "literal" and a["het_mean"].shape == (9,)


def test_rerun_with_another_config_is_refused_in_one_line_and_force_starts_over(tmp_path, capsys):
    args = ["simulate", "discrete", "--chains", "20", "--states", "5", "--samples", "10", "--out", str(tmp_path),
            "--quiet"]
    assert main(args + ["--generations", "8"]) == 0
    path = tmp_path / "results" / "discrete.npz"
    before = path.read_bytes()
    capsys.readouterr()
    assert main(args + ["--generations", "9"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "generations: 8 -> 9" in err and "--force" in err
    assert path.read_bytes() == before
    assert main(args + ["--generations", "9", "--force"]) == 0
    assert load_npz(path)[1]["het_mean"].shape == (10,)


@pytest.mark.parametrize("out", ["", "a-file", "a-file/under"], ids=["empty", "existing-file", "under-a-file"])
def test_bad_out_is_refused_before_any_work(tmp_path, capsys, out):
    (tmp_path / "a-file").write_text("keep me")
    target = str(tmp_path / out) if out else ""
    try:
        code = main(["simulate", "kde", "--chains", "2", "--generations", "2", "--out", target, "--quiet"])
    except SystemExit as exc:  # refused by the option's argparse type
        code = exc.code
    err = capsys.readouterr().err
    # argparse names the option by all its flags (--out/-o), the run-folder check by --out
    assert code == 2 and ("--out: expected" in err or "--out/-o: expected" in err) and "Traceback" not in err
    assert (tmp_path / "a-file").read_text() == "keep me"


def test_simulate_gmm_kde_regression(tmp_path):
    assert main(["simulate", "gmm", "--chains", "2", "--generations", "3", "--samples", "100",
                 "--out", str(tmp_path / "g"), "--quiet"]) == 0
    assert load_npz(tmp_path / "g" / "results" / "gmm.npz")[1]["l2"].shape == (2, 4)
    assert main(["simulate", "kde", "--chains", "3", "--generations", "2", "--out", str(tmp_path / "k"),
                 "--quiet"]) == 0
    assert main(["simulate", "regression", "--chains", "3", "--generations", "2", "--regime", "accumulate",
                 "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert (tmp_path / "r" / "results" / "regression_accumulate.npz").exists()


def test_figures_from_saved_results(tmp_path):
    import collapse.simulate.experiments.chains as E
    from collapse.simulate.experiments import run_experiment
    from collapse.simulate.experiments.gmm import GMMExperiment
    from collapse.simulate.experiments.vae import VAEExperiment

    run_experiment(tmp_path, "discrete", E.DiscreteExperiment(n_chains=200, n_states=10, samples=10, generations=30))
    run_experiment(tmp_path, "discrete_absorption",
                   E.DiscreteExperiment(n_chains=200, n_states=3, samples=5, generations=40, p0=(0.5, 0.3, 0.2)))
    run_experiment(tmp_path, "gmm", GMMExperiment(n_chains=2, samples=100, generations=4, panels=(0, 2, 4),
                                                  panel_chains=1))
    run_experiment(tmp_path, "vae", VAEExperiment(generations=2, epochs=1, latent=3, limit=64, grid=4))
    for fig in ("discrete", "gmm", "vae"):
        assert main(["figures", fig, "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in (tmp_path / "figures").iterdir())
    for stem in ("discrete", "gmm_panels", "gmm_l2", "vae_samples", "vae_latents"):
        assert f"{stem}.png" in names and f"{stem}.pdf" in names


def test_bench_commands_report_ratios(capsys):
    assert main(["bench", "discrete", "--chains", "200", "--states", "10", "--samples", "10", "--generations", "20",
                 "--reference-chains", "20", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["speedup_wright_fisher_over_multinomial"] > 0 and rep["generations"] == 20
    assert main(["bench", "gmm", "--chains", "4", "--generations", "1", "--reference-chains", "2", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["same_start_max_abs_param_difference"] < 1e-8 and np.isfinite(rep["speedup_batched_over_sklearn"])
