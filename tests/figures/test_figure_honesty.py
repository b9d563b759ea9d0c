"""What can be checked of the figures without eyes.

Bands and error bars on log axes stay above zero (and the small runs here are ones where a
symmetric ``mean +- 3.29 SE`` would not); the discrete chain's bands are valid binomial
or conservative ones; every sample size of the single-Gaussian figure has a theory line
of its own colour; a GMM component keeps its colour whatever order EM wrote the
components in; ``k`` is the component index only; the VAE figures name their data and
set the paper's MNIST values beside this run's only as ratios to generation 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from collapse.figures.registry import all_figures
from collapse.figures.style import Z999, bounded_se, log_band, log_yerr, wilson


@pytest.fixture
def drawn(monkeypatch):
    """``{stem: figure}`` of every figure saved while the test runs (kept for inspection)."""
    from collapse.figures import style

    figs = {}
    save = style.save

    def keep(fig, out_dir, stem):
        figs[stem] = fig
        return save(fig, out_dir, stem)

    monkeypatch.setattr(style, "save", keep)
    return figs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Small saved results of every simulated figure (seconds), in one run folder."""
    from collapse.simulate.experiments import run_experiment
    from collapse.simulate.experiments import chains as E
    from collapse.simulate.experiments.gaussian_moments import GaussianTheoryConfig
    from collapse.simulate.experiments.gmm import GMMExperiment
    from collapse.simulate.experiments.regimes import RegimesConfig
    from collapse.simulate.experiments.single_gaussian import SingleGaussianConfig

    folder = tmp_path_factory.mktemp("runs")
    run_experiment(folder, "discrete", E.DiscreteExperiment(n_chains=60, n_states=10, samples=10, generations=60))
    run_experiment(folder, "discrete_absorption", E.DiscreteExperiment(n_chains=300, n_states=3, samples=5,
                                                                      generations=80, p0=(0.5, 0.3, 0.2)))
    run_experiment(folder, "gmm", GMMExperiment(n_chains=2, samples=200, generations=12, panels=(0, 6, 12),
                                                panel_chains=1, checkpoint_every=6))
    # few chains and long chains: a symmetric 99.9% band would cross zero in both
    run_experiment(folder, "regimes", RegimesConfig(gammas=(0.1, 0.5), mix_generations=5, mix_chains=50,
                                                    acc_generations=100, acc_chains=20))
    run_experiment(folder, "gaussian_theory", GaussianTheoryConfig(generations=100, chains=16))
    run_experiment(folder, "gaussian_single", SingleGaussianConfig(sample_sizes=(10, 100), generations=30, chains=16))
    return folder / "results"


def _log_axis_values(fig):
    """``(axis title, y values)`` of every band, error bar and data line on a log-y axis."""
    for ax in fig.axes:
        if ax.get_yscale() != "log":
            continue
        for coll in ax.collections:  # fill_between bands, errorbar bars, scatter
            for path in coll.get_paths():
                yield ax.get_title(), path.vertices[:, 1]
        for line in ax.lines:  # data lines and error-bar caps (not axvline/axhline in axes units)
            if line.get_transform() == ax.transData:
                yield ax.get_title(), np.asarray(line.get_ydata(), dtype=float)


def _assert_positive_on_log_axes(fig, stem: str) -> int:
    n = 0
    for title, y in _log_axis_values(fig):
        y = y[np.isfinite(y)]
        assert np.all(y > 0), f"{stem}, panel {title!r}: a value at or below 0 on a log axis ({y.min()})"
        n += y.size
    return n


# ---- the helpers -------------------------------------------------------------------------

def test_log_band_stays_positive_and_agrees_with_the_symmetric_band_when_narrow():
    mean = np.array([1.0, 1e-3, 2.0, 0.0, -1.0, np.nan])
    se = np.array([1e-4, 5e-3, 3.0, 1.0, 1.0, 1.0])
    lo, hi = log_band(mean, se, Z999)
    assert np.all(lo[:3] > 0) and np.all(hi[:3] > mean[:3]) and np.all(lo[:3] < mean[:3])
    assert np.isnan(lo[3:]).all() and np.isnan(hi[3:]).all()  # nothing to draw on a log axis
    assert lo[0] == pytest.approx(1 - Z999 * 1e-4, rel=1e-6) and hi[0] == pytest.approx(1 + Z999 * 1e-4, rel=1e-6)
    # symmetric in log space
    assert np.log(hi[:3]) - np.log(mean[:3]) == pytest.approx(np.log(mean[:3]) - np.log(lo[:3]))
    assert log_band(mean, se, Z999, floor=0.1)[0][1] == pytest.approx(1e-4)  # clipped at a tenth of the mean
    yerr = log_yerr(mean, se)
    assert yerr.shape == (2, 6) and np.all(yerr >= 0) and np.all(mean[:3] - yerr[0, :3] > 0)


def test_wilson_interval():
    lo, hi = wilson(5, 10, 1.959964)
    assert (float(lo), float(hi)) == pytest.approx((0.2366, 0.7634), abs=1e-4)  # the textbook value
    lo, hi = wilson(np.array([0, 3, 40]), 40)
    assert lo[0] == 0 and hi[0] > 0 and lo[2] < 1 and hi[2] == pytest.approx(1.0)
    assert np.all((lo <= np.array([0, 3, 40]) / 40) & (np.array([0, 3, 40]) / 40 <= hi))


def test_bounded_se_bounds_the_standard_error():
    rng = np.random.default_rng(3)
    n = 500
    for x in (rng.beta(0.3, 0.5, n), rng.beta(5, 2, n), rng.uniform(0, 1, n), (rng.random(n) < 0.1) * 1.0):
        x = 2.0 + 3.0 * x  # values in [2, 5]
        assert x.std() / np.sqrt(n) <= bounded_se(x.mean(), 2.0, 5.0, n) + 1e-15
    two_point = np.r_[np.full(30, 2.0), np.full(70, 5.0)]  # the bound is attained
    assert bounded_se(two_point.mean(), 2.0, 5.0, 100) == pytest.approx(two_point.std() / 10)


# ---- log axes ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["discrete", "gaussian", "gaussian-theory", "regimes", "gmm"])
def test_nothing_at_or_below_zero_on_a_log_axis(name, runs, drawn, tmp_path):
    all_figures()[name].draw(runs, tmp_path)
    assert drawn
    assert sum(_assert_positive_on_log_axes(fig, stem) for stem, fig in drawn.items()) > 0


def test_these_runs_would_have_put_a_symmetric_band_below_zero(runs):
    """The log-axis test above has teeth: mean - 3.29 SE is negative somewhere in each of these."""
    from collapse.core.runio import load_npz

    _, g = load_npz(runs / "gaussian_theory.npz")
    assert np.min(g["unbiased_sigma_mean"] - Z999 * g["unbiased_sigma_se"]) < 0
    _, r = load_npz(runs / "regimes.npz")
    assert np.min(r["replace_dmu2"][1:] - Z999 * r["replace_dmu2_se"][1:]) < 0
    meta, d = load_npz(runs / "discrete.npz")
    se = bounded_se(d["het_mean"], 0.0, 1.0 - 1.0 / d["p0"].size, meta["config"]["n_chains"])
    assert np.min(d["het_mean"] - Z999 * se) < 0


def test_sweep_error_bars_on_a_log_axis(tmp_path, drawn):
    from collapse.commands.sweep import theory_values
    from collapse.figures.sweep import plot_sweep
    from collapse.simulate.sweep.grid import parse_grid, run_sweep, summarize, write_summary

    grid = parse_grid({"family": "gaussian", "grid": {"samples": [10, 100, 1000], "estimator": ["unbiased", "mle"],
                                                      "generations": 100, "chains": 50, "seeds": 2}}, name="s")
    run_sweep(grid, tmp_path, workers=1)
    write_summary(summarize(grid, tmp_path, theory_values), tmp_path)
    plot_sweep(tmp_path, "sigma2", "samples", hue="estimator")
    fig = drawn["sweep_sigma2_vs_samples_by_estimator"]
    assert fig.axes[0].get_yscale() == "log"
    assert _assert_positive_on_log_axes(fig, "sweep") > 0
    assert "log space" in fig.axes[0].get_legend().get_title().get_text()


# ---- discrete ----------------------------------------------------------------------------

def test_discrete_bands(runs, drawn, tmp_path):
    from collapse.core.runio import load_npz

    all_figures()["discrete"].draw(runs, tmp_path)
    het, support, absorption = drawn["discrete"].axes
    meta, a = load_npz(runs / "discrete.npz")
    # a band around the heterozygosity, and two around the absorbed fraction and the support
    assert len(het.collections) == 1 and len(support.collections) == 2
    band = support.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() >= 0 and band.max() <= 1
    texts = " ".join(t.get_text() for ax in (het, support, absorption) for t in ax.get_legend().get_texts())
    assert "Wilson" in texts and "Bhatia-Davis" in texts and "clipped" in texts
    # the absorption bars: Wilson intervals around each state's fraction, inside [0, 1]
    bars = [c for c in absorption.collections][0]
    ys = np.concatenate([p.vertices[:, 1] for p in bars.get_paths()])
    assert ys.min() >= 0 and ys.max() <= 1


def test_discrete_uses_a_saved_spread_when_there_is_one():
    from collapse.figures.discrete import _het_se

    a = {"het_mean": np.array([0.9, 0.5, 0.1]), "het_sd": np.array([0.0, 0.2, 0.3])}
    se, what = _het_se(a, 100, 0.9)
    assert se == pytest.approx([0.0, 0.02, 0.03]) and "conservative" not in what
    se, what = _het_se({"het_mean": a["het_mean"]}, 100, 0.9)
    assert se == pytest.approx(np.sqrt(a["het_mean"] * (0.9 - a["het_mean"]) / 100)) and "conservative" in what


# ---- single Gaussian ---------------------------------------------------------------------

def test_gaussian_theory_lines_have_one_colour_per_sample_size(runs, drawn, tmp_path):
    from collapse.simulate.experiments.single_gaussian import load_single_gaussian

    config, _ = load_single_gaussian(runs / "gaussian_single.npz")
    all_figures()["gaussian"].draw(runs, tmp_path)
    fig = drawn["gaussian_single"]
    for ax in fig.axes:
        dashed = [line.get_color() for line in ax.lines if line.get_linestyle() == "--"]
        if dashed:  # a panel with closed forms: one per sample size, each its own colour
            assert len(dashed) == len(set(dashed)) == len(config.sample_sizes)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert all(f"M = {m}" in labels for m in config.sample_sizes) and "closed form (RMS)" in labels


# ---- GMM ---------------------------------------------------------------------------------

def _crossing_chain(G: int = 40):
    """Two components trading places along x (passing 1 apart in y): sorting by x would swap their colours."""
    t = np.linspace(0, 1, G + 1)
    a = np.stack([-2 + 4 * t, np.full_like(t, 0.5)], axis=1)
    b = np.stack([2 - 4 * t, np.full_like(t, -0.5)], axis=1)
    means = np.stack([a, b], axis=1)  # (G+1, 2, 2)
    means[0] = 0.0  # generation 0: one blob written as two equal components
    covs = np.broadcast_to(np.diag([0.3, 0.1]), (G + 1, 2, 2, 2)).copy()
    covs[:, 1] = np.diag([0.1, 0.3])
    return means, covs


def test_gmm_component_keeps_its_slot_through_a_crossing():
    from collapse.figures.gmm import component_order

    means, covs = _crossing_chain()
    for order in (component_order(means), component_order(means, covs)):
        tracked = means[np.arange(len(means))[:, None], order]  # (G+1, K, 2) in slot order
        assert np.all(tracked[1:, 0, 1] == 0.5)  # slot 0 is the component at y = +0.5 throughout


def test_gmm_colours_do_not_depend_on_the_order_em_wrote_the_components_in():
    from collapse.figures.gmm import component_order, slots_of

    rng = np.random.default_rng(7)
    G, K = 60, 3
    means = np.cumsum(rng.normal(0, 0.05, (G + 1, K, 2)), axis=0) + np.array([[-2, 0], [0, 1], [2, -1]])
    covs = np.broadcast_to(np.eye(2), (G + 1, K, 2, 2)) * rng.uniform(0.05, 0.5, (G + 1, K, 1, 1))
    labels = rng.integers(0, K, (G + 1, 50))
    perms = np.array([rng.permutation(K) for _ in range(G + 1)])  # generation g's component j was perms[g, j]
    inverse = np.argsort(perms, axis=1)
    rows = np.arange(G + 1)[:, None]
    p_means, p_covs = means[rows, inverse], covs[rows, inverse]  # the same mixtures, components reordered
    p_labels = np.take_along_axis(perms, labels, axis=1)
    assert np.allclose(p_means[rows, perms], means)
    order, p_order = component_order(means, covs), component_order(p_means, p_covs)
    assert np.allclose(means[rows, order], p_means[rows, p_order])  # slot k holds the same component
    for g in range(G + 1):
        assert np.array_equal(slots_of(labels[g], order[g]), slots_of(p_labels[g], p_order[g]))


def test_gmm_panels_colour_the_same_points_alike_after_permuting_the_saved_components(runs, drawn, tmp_path):
    """Draw gmm.npz, and a copy whose components are reordered at every generation: the same colours."""
    from collapse.core.runio import load_npz, save_npz

    meta, a = load_npz(runs / "gmm.npz")
    C, n_gens, K = a["weights"].shape
    rng = np.random.default_rng(1)
    perms = np.array([[rng.permutation(K) for _ in range(n_gens)] for _ in range(C)])  # (C, G+1, K)
    inverse = np.argsort(perms, axis=-1)
    b = dict(a)
    for key in ("weights", "means", "covs", "std"):
        b[key] = np.take_along_axis(a[key], inverse.reshape(inverse.shape + (1,) * (a[key].ndim - 3)), axis=2)
    labels = a["panel_labels"].copy()  # (P, panel_chains, m)
    for p, g in enumerate(a["panel_gens"]):
        for c in range(labels.shape[1]):
            labels[p, c] = perms[c, int(g)][a["panel_labels"][p, c]]
    b["panel_labels"] = labels
    save_npz(tmp_path / "permuted" / "gmm.npz", meta, **b)

    spec = all_figures()["gmm"]
    spec.draw(runs, tmp_path / "a")
    first = drawn.pop("gmm_panels")
    spec.draw(tmp_path / "permuted", tmp_path / "b")
    second = drawn["gmm_panels"]

    def colours_of_points(fig):
        return [[(tuple(np.round(coll.get_facecolor()[0], 6)), sorted(map(tuple, np.round(coll.get_offsets(), 9))))
                 for coll in ax.collections] for ax in fig.axes]

    assert colours_of_points(first) == colours_of_points(second)


def test_gmm_k_is_the_component_index_only(runs, drawn, tmp_path):
    all_figures()["gmm"].draw(runs, tmp_path)
    l2, spread = drawn["gmm_l2"].axes
    assert "f_n" in l2.get_ylabel() and "f_k" not in l2.get_ylabel()
    assert "Sigma_k" in spread.get_ylabel() and "over $k$" in spread.get_ylabel()
    for ax in (l2, spread):
        assert "$n$" in ax.get_xlabel()
    legend = [t.get_text() for t in drawn["gmm_panels"].legends[0].get_texts()]
    assert legend == ["component k = 1", "component k = 2"]


# ---- VAE ---------------------------------------------------------------------------------

def _vae_results(folder, data: str | None, mnist: str | None, G: int = 3):
    from collapse.core.runio import save_npz

    rng = np.random.default_rng(0)
    n, L, side = 80, 4, 8
    std = np.array([0.3, 0.2, 0.15][:G])
    lat = rng.normal(0, 1, (G, n, L)) * std[:, None, None]
    meta = {"config": {"mnist": mnist, "side": side, "generations": G}, **({"data": data} if data else {})}
    save_npz(folder / "vae.npz", meta, grids=rng.random((G, 4, side, side)), latent_means=lat,
             latent_std=lat.reshape(G, -1).std(1), real_latent_std=np.float64(0.35), losses=np.zeros((G, 2)),
             real_grid=rng.random((4, side, side)))
    return folder


@pytest.mark.parametrize(("data", "mnist", "want", "refuse"), [
    ("sklearn digits 8x8 at 8x8", None, "8x8 digits", "MNIST:"),
    (None, None, "8x8 digits", "MNIST:"),  # an older result without meta["data"]: from the config
    ("mnist", "/data/mnist", "MNIST", "8x8"),
])
def test_vae_titles_say_the_data(tmp_path, drawn, data, mnist, want, refuse):
    results = _vae_results(tmp_path, data, mnist)
    all_figures()["vae"].draw(results, tmp_path / "fig")
    for stem in ("vae_latents", "vae_samples"):
        title = drawn[stem]._suptitle.get_text()
        assert want in title and refuse not in title.replace("not MNIST", "")
        if want != "MNIST":
            assert "not MNIST" in title


def test_vae_paper_values_only_beside_ratios(tmp_path, drawn):
    from collapse.figures.vae import PAPER_LATENT_STD

    all_figures()["vae"].draw(_vae_results(tmp_path, "sklearn digits 8x8 at 8x8", None), tmp_path / "fig")
    axes = drawn["vae_latents"].axes
    with_paper = [ax for ax in axes if any("paper" in line.get_label() for line in ax.lines)]
    assert len(with_paper) == 1
    ax = with_paper[0]
    assert "generation-0 value" in ax.get_ylabel()
    for line in ax.lines:  # every sequence on this axis is divided by its generation-0 value
        assert line.get_ydata()[0] == pytest.approx(1.0)
    paper = next(line for line in ax.lines if "paper" in line.get_label())
    assert paper.get_ydata() == pytest.approx(np.array(PAPER_LATENT_STD) / PAPER_LATENT_STD[0])
    # the absolute values of this run stand on an axis of their own, without the paper's
    own = [a for a in axes if a is not ax and any(np.allclose(line.get_ydata(), [0.3, 0.2, 0.15], atol=0.05)
                                                    for line in a.lines if len(line.get_ydata()) == 3)]
    assert own and not any("paper" in line.get_label() for line in own[0].lines)

