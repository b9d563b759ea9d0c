"""KDE and least-squares chains against analytic/mixing.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collapse.analytic import mixing as AM
from collapse.analytic.numeric import lambdified
from collapse.core.validation import InvalidArgument
from collapse.simulate.families.kde import KDEFamily, KDEParams
from collapse.simulate.loop import run_generations
from collapse.simulate.families.regression import RegressionFamily, RegressionParams, excess_risk
from tests import strategies as S
from tests.stats_helpers import ALPHA, assert_mean, per_assertion_alpha, z_threshold


# ---- KDE ------------------------------------------------------------------------------------

def _kde_var_theory(m: int, h: float, g: int) -> float:
    traj, _ = AM.kde_variance()
    sigma0 = [s for s in traj.free_symbols if s.name == "sigma0"][0]
    return float(lambdified(traj, AM.M, AM.h, AM.g, sigma0)(m, h, g, 1.0))


@settings(max_examples=6)
@given(st.integers(5, 60), st.floats(0.05, 1.0), st.integers(0, 30), S.seeds)
def test_kde_variance_follows_the_derived_recursion(m, h, g, seed):
    C = 4000
    var = []

    def source(k, rng):
        return rng.standard_normal((C, k, 1))

    run_generations(KDEFamily(h), None, [m] * (g + 1), np.random.default_rng(seed), source=source,
                    on_data=lambda gen, d: var.append(d[..., 0].var(1)) if gen == g else None)
    # E[s_g^2] from sympy; SE from the 4000 chains (CLT), one check per example
    assert_mean(var[0], _kde_var_theory(m, h, g), per_assertion_alpha(1), f"E[s^2] at generation {g}")


def test_kde_settles_at_its_fixed_point_and_the_check_rejects_zero():
    m, h, C = 20, 0.3, 4000
    var = []
    run_generations(KDEFamily(h), None, [m] * 200, np.random.default_rng(1),
                    source=lambda k, rng: rng.standard_normal((C, k, 1)),
                    on_data=lambda g, d: var.append(d[..., 0].var(1)) if g == 199 else None)
    fixed = float(AM.kde_variance_fixed_point().subs({AM.M: m, AM.h: h}))
    assert_mean(var[0], fixed, ALPHA / 2, "KDE variance fixed point (M-1) h^2")
    with pytest.raises(AssertionError):  # the claim that the KDE chain collapses to 0 variance
        assert_mean(var[0], 0.0, ALPHA / 2, "collapse to zero")


def test_kde_fit_sample_is_consistent_and_reproducible():
    x = np.random.default_rng(0).standard_normal((2, 50_000, 1))
    fam = KDEFamily(0.2)
    y = fam.sample(fam.fit(x), 50_000, np.random.default_rng(1))
    # the KDE of N(0,1) data is ~N(0, 1 + h^2): variance within 6 SE (SE of a sample variance ~ sqrt(2/n) s^2)
    assert np.abs(y.var(1) - 1.04).max() <= z_threshold(ALPHA / 2) * np.sqrt(2 * 2 / 50_000) * 1.04
    assert np.array_equal(y, fam.sample(fam.fit(x), 50_000, np.random.default_rng(1)))
    # the density integrates to one (a Riemann sum on a wide grid)
    grid = np.linspace(-6, 6, 2001)[None, :, None]
    dens = KDEParams(x[:1, :200], 0.2).density(grid)
    assert dens.sum() * (grid[0, 1, 0] - grid[0, 0, 0]) == pytest.approx(1.0, abs=1e-6)


def test_kde_bad_input():
    with pytest.raises(InvalidArgument) as err:
        KDEFamily(0.0)
    assert err.value.name == "bandwidth"
    with pytest.raises(InvalidArgument):
        KDEFamily().fit(np.zeros((2, 3, 4, 5)))


# ---- least squares: accumulate vs replace --------------------------------------------------

def _risks(regime: str, G: int, C: int = 3000, n: int = 30, d: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    fam = RegressionFamily.with_fixed_design(n, d, rng)
    risks = np.zeros((C, G + 1))
    run_generations(fam, RegressionParams(np.zeros((C, d))), [n] * G, rng, regime=regime,
                    on_generation=lambda g, p: risks.__setitem__((slice(None), g), excess_risk(p, 0.0, fam.X)))
    return risks, d / n  # v = sigma^2 d / n with sigma = 1


@pytest.mark.parametrize("regime, form", [("replace", AM.replace_risk), ("accumulate", AM.accumulate_risk)])
def test_regression_risk_matches_the_derived_form(regime, form):
    G = 12
    risks, v = _risks(regime, G)
    for g in (1, 4, 12):
        expected = float(form().subs({AM.g: g, AM.v: v}))  # exact (harmonic numbers are rational)
        # SE from the chains (CLT, 3000 chains); three checks, total false alarm <= 1e-6
        assert_mean(risks[:, g], expected, ALPHA / 3, f"{regime} risk at generation {g}")


def test_accumulate_stays_under_its_bound_while_replace_grows():
    G = 30
    acc, v = _risks("accumulate", G, seed=1)
    rep, _ = _risks("replace", G, seed=2)
    bound = float(AM.accumulate_risk_bound().subs(AM.v, v))
    # claim E[risk_g] <= pi^2/6 v for every g: rejected only if a lower confidence bound
    # (one-sided, level 1e-6 / G per generation) lies above the bound
    lcb_acc = acc.mean(0) - z_threshold(2 * ALPHA / (2 * G)) * acc.std(0, ddof=1) / np.sqrt(acc.shape[0])
    assert (lcb_acc <= bound).all()
    # ... while replace passes it for good (lower confidence bound above it from g = 3 on)
    lcb = rep.mean(0) - z_threshold(ALPHA / (2 * G)) * rep.std(0, ddof=1) / np.sqrt(rep.shape[0])
    assert (lcb[3:] > bound).all()
    assert rep.mean(0)[-1] > 10 * acc.mean(0)[-1]


@given(S.seeds, st.integers(2, 6))
def test_regression_fit_sample_is_consistent(seed, d):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((2, d))
    fam = RegressionFamily(d, noise=0.5, design="random")
    fit = fam.fit(fam.sample(RegressionParams(w), 20_000, rng)).weights
    # OLS error per coordinate has SD ~ noise / sqrt(n); 2d coordinates, total false alarm <= 1e-6
    assert np.abs(fit - w).max() <= z_threshold(per_assertion_alpha(2 * d)) * 0.5 / np.sqrt(20_000) * 1.1


BAD_REG = [
    pytest.param(dict(dim=0), "dim (d)", id="no-features"),
    pytest.param(dict(dim=2, noise=0.0), "noise", id="zero-noise"),
    pytest.param(dict(dim=2, design="grid"), "design", id="unknown-design"),
    pytest.param(dict(dim=2), "X", id="fixed-without-X"),
    pytest.param(dict(dim=2, X=np.ones((5, 2))), "X", id="rank-deficient"),
]


@pytest.mark.parametrize("kwargs, name", BAD_REG)
def test_regression_bad_input(kwargs, name):
    with pytest.raises(InvalidArgument) as err:
        RegressionFamily(**kwargs)
    assert err.value.name == name


def test_regression_fixed_design_needs_its_row_count():
    fam = RegressionFamily.with_fixed_design(10, 2, np.random.default_rng(0))
    with pytest.raises(InvalidArgument) as err:
        fam.sample(RegressionParams(np.zeros((1, 2))), 11, np.random.default_rng(0))
    assert err.value.name == "m"
