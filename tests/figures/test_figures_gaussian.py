"""The Gaussian and regimes figures draw from small saved results, and describe the run."""

from __future__ import annotations

from figures.registry import all_figures


def _png(path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_regimes_figure(tmp_path):
    from simulate.regimes_experiment import RegimesConfig, run_regimes

    cfg = RegimesConfig(gammas=(0.1, 0.5), mix_generations=5, mix_chains=50, acc_generations=12, acc_chains=50)
    run_regimes(cfg, tmp_path / "regimes.npz")
    spec = all_figures()["regimes"]
    paths = spec.draw(tmp_path, tmp_path / "fig")
    assert {p.suffix for p in paths} == {".png", ".pdf"} and all(_png(p) for p in paths if p.suffix == ".png")
    d = spec.describe(tmp_path)
    assert "gamma = 0.1" in d.run and d.paper


def test_gaussian_theory_figure(tmp_path):
    from simulate.gaussian_theory import GaussianTheoryConfig, run_gaussian_theory

    run_gaussian_theory(GaussianTheoryConfig(generations=15, chains=64), tmp_path / "gaussian_theory.npz")
    spec = all_figures()["gaussian-theory"]
    assert any(_png(p) for p in spec.draw(tmp_path, tmp_path / "fig") if p.suffix == ".png")
    assert "closed forms give E[W2^2]" in spec.describe(tmp_path).run
