"""The Gaussian and regimes figures draw from small saved results, and describe the run."""

from __future__ import annotations

from collapse.figures.registry import all_figures


def _png(path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_regimes_figure(tmp_path):
    from collapse.simulate.experiments import run_experiment
    from collapse.simulate.experiments.regimes import RegimesConfig

    cfg = RegimesConfig(gammas=(0.1, 0.5), mix_generations=5, mix_chains=50, acc_generations=12, acc_chains=50)
    results = run_experiment(tmp_path, "regimes", cfg).parent
    spec = all_figures()["regimes"]
    paths = spec.draw(results, tmp_path / "fig")
    assert {p.suffix for p in paths} == {".png", ".pdf"} and all(_png(p) for p in paths if p.suffix == ".png")
    d = spec.describe(results)
    assert "gamma = 0.1" in d.run and d.paper


def test_gaussian_theory_figure(tmp_path):
    from collapse.simulate.experiments import run_experiment
    from collapse.simulate.experiments.gaussian_moments import GaussianTheoryConfig

    results = run_experiment(tmp_path, "gaussian_theory", GaussianTheoryConfig(generations=15, chains=64)).parent
    spec = all_figures()["gaussian-theory"]
    assert any(_png(p) for p in spec.draw(results, tmp_path / "fig") if p.suffix == ".png")
    assert "closed forms give E[W2^2]" in spec.describe(results).run
