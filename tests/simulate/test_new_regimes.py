"""The ``curate:Q`` and ``weight:W,K`` regimes of the generic loop, for every family.

Statistical checks use fixed seeds and tolerances from the standard error at a false-alarm
level of at most ALPHA = 1e-6 per test (split by Bonferroni over a test's sub-tests); each
states the smallest error it detects with probability >= 0.99 (its power). The kept-point
laws are checked on the literal sampler (:func:`collapse.simulate.loop.curate_sample`
through :func:`run_chain`), against formulas derived independently of it (completing the
square for the Gaussian; the product of pmfs for the discrete chain).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from collapse.core.validation import InvalidArgument
from collapse.simulate.families.discrete import DiscreteFamily, DiscreteParams
from collapse.simulate.families.gaussian import GaussianFamily, GaussianParams
from collapse.simulate.families.gaussian_nd import GaussianNDFamily, GaussianNDParams
from collapse.simulate.families.gmm import GMMFamily, GMMParams, batched_em, kmeans_init
from collapse.simulate.families.kde import KDEFamily, KDEParams
from collapse.simulate.families.poisson import PoissonFamily, PoissonParams
from collapse.simulate.families.regression import RegressionFamily, RegressionParams
from collapse.simulate.loop import (
    CURATE_MAX_CANDIDATES_PER_POINT, REGIME_KINDS, LoopState, Regime, check_family_regime, run_chain, step,
)

ALPHA = 1e-6  # false-alarm level of each statistical test
Z99 = stats.norm.isf(0.01)  # power 0.99


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _families(C: int = 4):
    """(name, family, params0) for every family with fit / sample; small sizes."""
    rng = _rng(7)
    return [
        ("gaussian", GaussianFamily(), GaussianParams(np.zeros(C), np.ones(C))),
        ("gaussian-mle", GaussianFamily("mle"), GaussianParams(np.full(C, 0.5), np.full(C, 2.0))),
        ("gaussian-nd", GaussianNDFamily(), GaussianNDParams(np.zeros((C, 2)), np.tile(np.eye(2), (C, 1, 1)))),
        ("discrete", DiscreteFamily(4), DiscreteParams(np.tile([0.4, 0.3, 0.2, 0.1], (C, 1)))),
        ("poisson", PoissonFamily(), PoissonParams(np.full(C, 3.0))),
        ("gmm", GMMFamily(), GMMParams.blob(C)),
        ("kde", KDEFamily(0.3), KDEParams(rng.standard_normal((C, 20, 1)), 0.3)),
        ("regression", RegressionFamily(3, design="random"), RegressionParams(np.zeros((C, 3)))),
    ]


FAMILIES = [pytest.param(f, p, id=name) for name, f, p in _families()]


def _arrays(params) -> dict[str, np.ndarray]:
    return {f.name: np.asarray(getattr(params, f.name)) for f in dataclasses.fields(params)
            if isinstance(getattr(params, f.name), np.ndarray)}


def _assert_params_close(a, b, rtol=1e-12, atol=1e-12):
    fa, fb = _arrays(a), _arrays(b)
    for k in fa.keys() & fb.keys():
        np.testing.assert_allclose(fa[k], fb[k], rtol=rtol, atol=atol, err_msg=k)


# ---- parsing ------------------------------------------------------------------------------

def test_regime_kinds_and_parse():
    assert REGIME_KINDS[-2:] == ("curate", "weight")
    r = Regime.parse("curate:0.5")
    assert (r.kind, r.q, r.w, r.k) == ("curate", 0.5, None, None) and str(r) == "curate:0.5"
    r = Regime.parse("weight:0.618,1")
    assert (r.kind, r.w, r.k, r.q) == ("weight", 0.618, 1.0, None) and str(r) == "weight:0.618,1.0"
    assert Regime.parse("weight:1,1e6").k == 1e6 and Regime.parse("curate:0").q == 0.0
    assert Regime("curate", q=1) == Regime.parse("curate:1.0")


@given(st.floats(0, 1), st.floats(0, 1), st.floats(1e-300, 1e6))
def test_parse_str_round_trip(q, w, k):
    for r in (Regime("curate", q=q), Regime("weight", w=w, k=k)):
        assert Regime.parse(str(r)) == r


@given(st.integers(1, 10_000), st.floats(0.001, 1000), st.floats(0, 1))
def test_weight_shares_and_point_weights(m, k, w):
    r = Regime("weight", w=w, k=k)
    n_syn, n_prev, n_real = r.shares(m)
    assert n_prev == 0 and n_syn + n_real == m and n_real == round(m / (1 + k))
    if (n_real == 0 and w > 0) or (n_syn == 0 and w < 1):
        with pytest.raises(InvalidArgument):
            r.point_weights(m)
        return
    pw = r.point_weights(m)
    assert pw.shape == (m,) and abs(pw.sum() - 1) < 1e-9 and np.all(pw >= 0)
    assert np.allclose(pw[n_syn:].sum(), w if n_real else 0) and np.allclose(pw[:n_syn].sum(), 1 - w if n_syn else 0)


BAD = ["curate", "curate:", "curate:1.5", "curate:-0.1", "curate:nan", "curate:inf", "curate:0.5,1", "curate:x",
       "weight", "weight:0.5", "weight:1.5,1", "weight:-0.1,1", "weight:0.5,0", "weight:0.5,-1", "weight:0.5,1e7",
       "weight:0.5,inf", "weight:nan,1", "weight:0.5,1,2", "replace:0.5", "mix:nan,0,1"]


@pytest.mark.parametrize("text", BAD)
def test_bad_regime_strings(text):
    with pytest.raises(InvalidArgument) as err:
        Regime.parse(text)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("kwargs", [
    dict(kind="curate"), dict(kind="curate", q=True), dict(kind="curate", q=float("nan")), dict(kind="weight", w=0.5),
    dict(kind="weight", w=0.5, k=0), dict(kind="replace", q=0.5), dict(kind="mix", alpha=0.5, beta=0.5, gamma=0.0,
                                                                          w=0.1),
    dict(kind="curate", q=0.5, alpha=0.5, beta=0.5), dict(kind="mix", alpha=0.5, beta=0.6, gamma=0.1),
], ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_bad_regime_fields(kwargs):
    with pytest.raises(InvalidArgument):
        Regime(**kwargs)


def test_empty_weighted_part_is_refused_before_any_work():
    fam, p0 = GaussianFamily(), GaussianParams(np.zeros(2), np.ones(2))
    with pytest.raises(InvalidArgument) as err:  # round(3 / (1 + 10)) = 0 real points, but W = 0.5
        run_chain(fam, p0, [3, 100], _rng(0), regime="weight:0.5,10", on_generation=lambda g, p: pytest.fail())
    assert err.value.name == "regime"


# ---- curate: the kept-point laws -------------------------------------------------------------

def _kept(family, params0, model, m, regime, seed):
    """D_1 of a chain resumed at generation 1 with the given model: the kept points of one curate step."""
    out = {}
    run_chain(family, params0, [m], _rng(seed), regime=regime, state=LoopState(1, model, np.zeros((1, 1))),
              on_data=lambda g, d: out.setdefault("d", d))
    return out["d"]


@pytest.mark.parametrize("q, mu0, var0", [(0.7, 0.3, 2.0), (1.0, -1.0, 0.25), (0.2, 0.0, 1.0)])
def test_gaussian_kept_points_are_the_completed_square_law(q, mu0, var0):
    """Kept points from N(mu, s^2) are N(m', v'): 1/v' = 1/s^2 + Q/sigma0^2, m' = v' (mu/s^2 + Q mu0/sigma0^2).

    Each chain has its own model; the standardised kept points (x - m'_c)/sqrt(v'_c) are pooled
    (n = 4 * 10^5) and tested for mean 0 (z-test) and variance 1 (exact chi-square test), each at
    ALPHA / 2 two-sided. Power 0.99 against a mean error of (z + z_0.99)/sqrt(n) = 0.012 sd and a
    relative variance error of (z + z_0.99) sqrt(2/n) = 1.6%.
    """
    C, m = 4000, 100
    g = _rng(11)
    mean, var = g.uniform(-1, 1, C), g.uniform(0.5, 3.0, C)
    p0 = GaussianParams(np.full(C, mu0), np.full(C, var0))
    x = _kept(GaussianFamily(), p0, GaussianParams(mean, var), m, f"curate:{q}", seed=12)
    assert x.shape == (C, m)
    v = 1.0 / (1.0 / var + q / var0)
    mp = v * (mean / var + q * mu0 / var0)
    z = ((x - mp[:, None]) / np.sqrt(v)[:, None]).ravel()
    n = z.size
    crit = stats.norm.isf(ALPHA / 4)
    assert abs(z.mean()) * np.sqrt(n) < crit
    ss = ((z - z.mean()) ** 2).sum()
    assert stats.chi2.ppf(ALPHA / 4, n - 1) < ss < stats.chi2.isf(ALPHA / 4, n - 1)
    assert (crit + Z99) * np.sqrt(2 / n) < 0.017  # the stated power


def test_discrete_kept_pmf_is_the_tilted_product():
    """Kept labels from p follow q(i) proportional to p(i) (p0(i)/max p0)^Q: Pearson chi-square on
    n = 2 * 10^5 pooled counts, K - 1 = 4 degrees of freedom, at ALPHA. Power 0.99 against a
    chi-square distance sum (q_true - q)^2 / q above lambda*/n (computed below, < 4e-4)."""
    C, m, Q = 2000, 100, 0.8
    p0 = np.array([0.35, 0.25, 0.2, 0.15, 0.05])
    p = np.array([0.1, 0.2, 0.3, 0.25, 0.15])
    x = _kept(DiscreteFamily(5), DiscreteParams(np.tile(p0, (C, 1))), DiscreteParams(np.tile(p, (C, 1))), m,
              f"curate:{Q}", seed=21)
    counts = np.bincount(x.ravel(), minlength=5)
    q = p * (p0 / p0.max()) ** Q
    q /= q.sum()
    n = counts.sum()
    chi2 = ((counts - n * q) ** 2 / (n * q)).sum()
    crit = stats.chi2.isf(ALPHA, 4)
    assert chi2 < crit
    from scipy.optimize import brentq

    lam = brentq(lambda L: stats.ncx2.sf(crit, 4, L) - 0.99, 1, 1000)
    assert lam / n < 4e-4
    # and it is not the untilted pmf: the test separates them
    assert ((counts - n * p) ** 2 / (n * p)).sum() > crit


def test_discrete_lost_symbol_stays_lost_under_curate():
    C, m = 200, 50
    p0 = DiscreteParams(np.tile([0.25, 0.25, 0.25, 0.25], (C, 1)))
    model = DiscreteParams(np.tile([0.4, 0.3, 0.0, 0.3], (C, 1)))
    seen = []
    run_chain(DiscreteFamily(4), p0, [m] * 5, _rng(3), regime="curate:1", state=LoopState(1, model, np.zeros((C, 1))),
              on_data=lambda g, d: seen.append(d), on_generation=lambda g, p: seen.append(p.probs))
    assert all(np.all(s != 2) if s.dtype.kind == "i" else np.all(s[:, 2] == 0) for s in seen)


@pytest.mark.parametrize("family, params0", FAMILIES)
def test_curate_0_is_exactly_replace(family, params0):
    a = run_chain(family, params0, [12] * 3, _rng(5), regime="curate:0")
    b = run_chain(family, params0, [12] * 3, _rng(5), regime="replace")
    for k, v in _arrays(a.params).items():
        assert np.array_equal(v, _arrays(b.params)[k]), k
    assert np.array_equal(a.data, b.data)


def test_curate_refuses_a_hopeless_verifier():
    """Acceptance about sigma0 / s = 1e-4 < 1 / CURATE_MAX_CANDIDATES_PER_POINT: one InvalidArgument naming the regime."""
    C = 3
    p0 = GaussianParams(np.zeros(C), np.full(C, 1e-8))
    with pytest.raises(InvalidArgument) as err:
        _kept(GaussianFamily(), p0, GaussianParams(np.zeros(C), np.ones(C)), 10, "curate:1", seed=0)
    assert err.value.name == "regime" and err.value.got == "curate:1.0" and "\n" not in str(err.value)
    assert f"1 candidate in {CURATE_MAX_CANDIDATES_PER_POINT}" in str(err.value)


@pytest.mark.parametrize("regime", ["curate:0.6", "weight:0.3,2"])
def test_new_regimes_are_reproducible_from_the_rng(regime):
    fam, p0 = GaussianFamily(), GaussianParams(np.zeros(50), np.ones(50))
    a = run_chain(fam, p0, [20] * 4, _rng(1), regime=regime)
    b = run_chain(fam, p0, [20] * 4, _rng(1), regime=regime)
    c = run_chain(fam, p0, [20] * 4, _rng(2), regime=regime)
    assert np.array_equal(a.params.var, b.params.var) and not np.array_equal(a.params.var, c.params.var)


# ---- weighted fits --------------------------------------------------------------------------

def _dirichlet(C, n, seed, zeros=0):
    w = _rng(seed).dirichlet(np.ones(n), size=C)
    if zeros:
        w[:, :zeros] = 0
        w /= w.sum(1, keepdims=True)
    return w


@pytest.mark.parametrize("estimator", ["unbiased", "mle"])
def test_gaussian_weighted_fit_is_the_weighted_estimator(estimator):
    C, n = 5, 9
    x, w = _rng(0).normal(1, 2, (C, n)), _dirichlet(C, n, 1, zeros=2)
    p = GaussianFamily(estimator).fit_weighted(x, w)
    for c in range(C):
        mean = np.average(x[c], weights=w[c])
        var = np.average((x[c] - mean) ** 2, weights=w[c])
        if estimator == "unbiased":
            var /= 1 - np.sum(w[c] ** 2)
        assert np.isclose(p.mean[c], mean, rtol=1e-13) and np.isclose(p.var[c], var, rtol=1e-12)
    # integer multiplicities are replicated points (MLE); equal weights are the ddof-1 variance
    reps = np.array([1, 3, 2, 1, 4])
    pm = GaussianFamily("mle").fit_weighted(x[:1, :5], (reps / reps.sum())[None])
    q = GaussianFamily("mle").fit(np.repeat(x[:1, :5], reps, axis=1))
    assert np.allclose([pm.mean[0], pm.var[0]], [q.mean[0], q.var[0]], rtol=1e-12)
    assert np.allclose(GaussianFamily().fit_weighted(x, np.full((C, n), 1 / n)).var, x.var(1, ddof=1), rtol=1e-12)


@pytest.mark.parametrize("estimator, ddof", [("unbiased", 1), ("mle", 0)])
def test_gaussian_nd_weighted_fit_is_numpys_weighted_covariance(estimator, ddof):
    C, n = 4, 12
    x, w = _rng(2).standard_normal((C, n, 3)), _dirichlet(C, n, 3, zeros=1)
    p = GaussianNDFamily(estimator).fit_weighted(x, w)
    for c in range(C):  # numpy's aweights: normalised by sum(a) - ddof sum(a^2) / sum(a) = 1 - ddof sum w^2
        assert np.allclose(p.cov[c], np.cov(x[c].T, aweights=w[c], ddof=ddof), rtol=1e-12)
        assert np.allclose(p.mean[c], np.average(x[c], axis=0, weights=w[c]), rtol=1e-12)


def test_discrete_poisson_regression_kde_weighted_fits_by_hand():
    C, n = 3, 10
    w = _dirichlet(C, n, 4, zeros=3)
    labels = _rng(5).integers(0, 4, (C, n))
    p = DiscreteFamily(4).fit_weighted(labels, w)
    for c in range(C):
        assert np.allclose(p.probs[c], [w[c][labels[c] == j].sum() for j in range(4)], rtol=1e-12)
    counts = _rng(6).poisson(3.0, (C, n))
    assert np.allclose(PoissonFamily().fit_weighted(counts, w).rate,
                       [np.average(counts[c], weights=w[c]) for c in range(C)], rtol=1e-12)
    fam = RegressionFamily(2, design="random")
    rows = fam.sample(RegressionParams(np.tile([1.0, -2.0], (C, 1))), n, _rng(7))
    got = fam.fit_weighted(rows, w).weights
    for c in range(C):  # weighted least squares = ordinary least squares on sqrt(w)-scaled rows
        s = np.sqrt(w[c])[:, None]
        ref = np.linalg.lstsq(rows[c, :, :2] * s, rows[c, :, 2] * s[:, 0], rcond=None)[0]
        assert np.allclose(got[c], ref, rtol=1e-10)
    kde = KDEFamily(0.4).fit_weighted(rows[..., :1], w)
    grid = np.linspace(-3, 3, 7)
    dens = np.exp(KDEFamily(0.4).log_density(kde, np.tile(grid, (C, 1))))
    for c in range(C):
        ref = [sum(wi * stats.norm.pdf(t, xi, 0.4) for wi, xi in zip(w[c], rows[c, :, 0])) for t in grid]
        assert np.allclose(dens[c], ref, rtol=1e-12)


def test_weighted_kde_never_samples_a_centre_of_weight_zero():
    C, n = 2, 6
    centres = np.arange(C * n, dtype=float).reshape(C, n, 1) * 10
    w = np.zeros((C, n))
    w[:, [1, 4]] = 0.5
    x = KDEFamily(1e-3).sample(KDEParams(centres, 1e-3, w), 400, _rng(8))
    nearest = np.abs(x - centres[:, None, :, 0]).argmin(-1)
    assert set(np.unique(nearest)) == {1, 4}


def test_gmm_weighted_em_with_multiplicities_is_em_on_replicated_points():
    """Integer weights c_i / sum c: weighted EM from a start = EM on points repeated c_i times from that start."""
    C, n = 3, 30
    x = np.concatenate([_rng(9).normal(-2, 0.7, (C, n // 2, 2)), _rng(10).normal(2, 1.0, (C, n // 2, 2))], axis=1)
    reps = _rng(11).integers(1, 4, (n,))
    init = kmeans_init(x, 2, _rng(12))
    a = batched_em(x, init, weights=np.tile(reps / reps.sum(), (C, 1)), tol=1e-12, max_iter=5000).params
    b = batched_em(np.repeat(x, reps, axis=1), init, tol=1e-12, max_iter=5000).params
    _assert_params_close(a, b, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("family, params0", FAMILIES)
def test_equal_weights_are_the_unweighted_fit(family, params0):
    """W = n_real / M_g gives every point 1/M_g: fit_weighted equals fit on the pooled data (1e-12)."""
    m, r = 30, Regime("weight", w=10 / 30, k=2.0)
    data = family.sample(params0, m, _rng(13))
    a, b = family.fit_weighted(data, np.broadcast_to(r.point_weights(m), data.shape[:2])), family.fit(data)
    _assert_params_close(a, b)
    if isinstance(a, KDEParams):
        assert np.allclose(a.weights, 1 / m, rtol=1e-12)


@pytest.mark.parametrize("family, params0", FAMILIES)
def test_weight_at_the_real_share_equals_mix_through_the_loop(family, params0):
    """weight:n_real/M,K and mix:1-g,0,g with the same shares draw the same data from one seed
    (model share first, then real data) and the weighted and unweighted fits agree to 1e-12."""
    m, k = 30, 2.0
    n_real = Regime("weight", w=0.5, k=k).shares(m)[2]
    # two generations for the KDE (a weighted KDE samples by inverse CDF afterwards) and the GMM (its
    # fit seeds k-means from the data's bytes, which differ in the last bits after a weighted fit)
    G = 2 if isinstance(family, (KDEFamily, GMMFamily)) else 3
    a = run_chain(family, params0, [m] * G, _rng(14), regime=Regime("weight", w=n_real / m, k=k))
    b = run_chain(family, params0, [m] * G, _rng(14), regime=Regime("mix", 1 - n_real / m, 0.0, n_real / m))
    np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-12)  # the fits differ in the last bits only
    _assert_params_close(a.params, b.params)


@pytest.mark.parametrize("family, params0", [p for p in FAMILIES if p.id not in ("gmm",)])
def test_weight_1_fits_the_fresh_real_data_only(family, params0):
    """weight:1,K: each refit equals the unweighted fit of the training set's real part (its last n_real points)."""
    m, k = 24, 1.0
    n_syn = Regime("weight", w=1.0, k=k).shares(m)[0]
    seen = []
    run_chain(family, params0, [m] * 4, _rng(15), regime="weight:1,1", on_data=lambda g, d: seen.append(d),
              on_generation=lambda g, p: seen.append(p))
    for g in range(1, 4):  # seen = [p0, D_0, p1, D_1, p2, ...]; generation 1 is fitted on D_0, all real
        data, fitted = seen[2 * g + 1], seen[2 * g + 2]
        ref = family.fit(data[:, n_syn:])
        if isinstance(fitted, KDEParams):
            q = family.sample(params0, 5, _rng(16))
            assert np.allclose(family.log_density(fitted, q), family.log_density(ref, q), rtol=1e-12)
        else:
            _assert_params_close(fitted, ref)


# ---- every family, both regimes; refusals -----------------------------------------------------

@pytest.mark.parametrize("regime", ["curate:0.5", "curate:1", "weight:0.618,1", "weight:0,3"])
@pytest.mark.parametrize("family, params0", FAMILIES)
def test_every_family_runs_both_regimes(family, params0, regime):
    gens = []
    st_ = run_chain(family, params0, [16] * 3, _rng(17), regime=regime, on_generation=lambda g, p: gens.append(g))
    assert gens == [0, 1, 2, 3] and st_.data.shape[:2] == (4, 16)
    assert all(np.all(np.isfinite(v)) for v in _arrays(st_.params).values())


def test_fixed_design_regression_refuses_curate_and_runs_weight():
    fam = RegressionFamily.with_fixed_design(20, 3, _rng(0))
    p0 = RegressionParams(np.zeros((2, 3)))
    with pytest.raises(InvalidArgument) as err:
        run_chain(fam, p0, [20] * 2, _rng(1), regime="curate:0.5")
    assert err.value.name == "regime"
    assert run_chain(fam, p0, [20] * 2, _rng(1), regime="weight:0.5,1").params.weights.shape == (2, 3)


@pytest.mark.parametrize("regime", ["curate:0.5", "curate:0", "weight:0.5,1"])
def test_vae_refuses_both_with_one_line_before_training(regime):
    from collapse.simulate.families.vae import VAEFamily

    fam = VAEFamily(side=8)

    def source(m, rng):
        raise AssertionError("no data drawn, no network trained")

    for call in (lambda: check_family_regime(fam, regime),
                 lambda: step(fam, LoopState(0, None), 10, _rng(0), Regime.parse(regime), source)):
        with pytest.raises(InvalidArgument) as err:
            call()
        assert err.value.name == "regime" and "\n" not in str(err.value) and "vae" in str(err.value)


def test_custom_truth_for_a_source_without_params():
    """The KDE experiment's truth N(0, 1) is no KDE: the loop takes log(p0/max p0) as an argument."""
    C, m = 500, 40
    kept = []
    run_chain(KDEFamily(0.5), None, [m, m], _rng(18), regime="curate:1", on_data=lambda g, d: kept.append(d),
              source=lambda n, rng: rng.standard_normal((C, n, 1)), log_p0_ratio=lambda x: -0.5 * x[..., 0] ** 2)
    assert kept[1].shape == (C, m, 1)
    with pytest.raises(InvalidArgument):  # without it the family's density at params0 = None is needed
        run_chain(KDEFamily(0.5), None, [m, m], _rng(18), regime="curate:1",
                  source=lambda n, rng: rng.standard_normal((C, n, 1)))


def test_memory_estimate_counts_the_new_regimes():
    from collapse.simulate.experiments.chains import DiscreteExperiment
    from collapse.simulate.experiments.memory import estimate_memory
    from collapse.simulate.experiments.single_gaussian import SingleGaussianConfig

    base = DiscreteExperiment(regime="replace", sampler="literal")
    for r in ("curate:0.5", "weight:0.5,1"):
        assert estimate_memory(dataclasses.replace(base, regime=r)) > estimate_memory(base)
        assert estimate_memory(SingleGaussianConfig(regimes=(r,))) > estimate_memory(SingleGaussianConfig())


# ---- command line ----------------------------------------------------------------------------

@pytest.mark.parametrize("regime", ["curate:0.5", "weight:0.618,1"])
def test_cli_simulate_gaussian_runs_the_new_regimes(regime, tmp_path):
    from collapse.cli import main
    from collapse.core.runio import load_npz

    run = tmp_path / "run"
    assert main(["simulate", "gaussian", "-M", "10", "-n", "3", "-c", "4", "--regime", regime, "--quiet",
                 "-o", str(run)]) == 0
    meta, arrays = load_npz(run / "results" / "gaussian_single.npz")
    key = str(Regime.parse(regime))
    assert meta["config"]["regimes"] == [key] and arrays[f"{key}_M10_sigma2"].shape == (4, 4)
    assert np.all(np.isfinite(arrays[f"{key}_M10_sigma2"]))


@pytest.mark.parametrize("argv", [["gaussian", "-M", "10", "-n", "3", "-c", "4"], ["discrete", "-M", "10", "-n", "3",
                                                                                    "-c", "4"]])
@pytest.mark.parametrize("regime", ["curate:2", "curate:nan", "weight:0.5,0", "weight:1", "weight:0.5,1e7", "curate"])
def test_cli_bad_regime_is_one_line_exit_2(argv, regime, tmp_path, capsys):
    from collapse.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["simulate", *argv, "--regime", regime, "--quiet", "-o", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and "--regime" in err and "expected" in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("family, regime", [("vae", "curate:0.5"), ("vae", "weight:0.5,1"),
                                            ("regression", "curate:0.5")])
def test_cli_refused_regime_is_one_line_before_any_work(family, regime, tmp_path, capsys):
    from collapse.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["simulate", family, "--regime", regime, "--quiet", "-o", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and err.count("\n") == 1 and f"{family} refuses" in err
    assert not (tmp_path / "run").exists()
