"""analytic.gaussian: exact identities, independent numerical oracles, bad input."""

from __future__ import annotations

import doctest

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate
from scipy import stats as sstats

from collapse.analytic import gaussian as G
from collapse.analytic import numeric as N
from collapse.core.validation import InvalidArgument
from tests.strategies import estimators, schedules, sigma0s

M, n, s0, r = G.M, G.n, G.sigma0, G.r


def test_doctests():
    assert doctest.testmod(G, raise_on_error=False).failed == 0


def test_chi2_moment_and_log_cumulants_exact():
    k = sp.Symbol("k", positive=True)
    assert sp.simplify(G.chi2_moment() - 2**r * sp.gamma(k / 2 + r) / sp.gamma(k / 2)) == 0
    mean, var = G.chi2_log_cumulants()
    assert sp.simplify(mean - (sp.log(2) + sp.polygamma(0, k / 2))) == 0
    assert sp.simplify(var - sp.polygamma(1, k / 2)) == 0


def test_closed_forms_exact_unbiased():
    f = G.closed_forms("unbiased")
    assert f["E_sigma2"] == s0**2
    assert sp.simplify(f["Var_mu"] - n * s0**2 / M) == 0
    assert sp.simplify(f["Var_log_sigma2"] - n * sp.polygamma(1, (M - 1) / 2)) == 0


def test_closed_forms_exact_mle():
    f = G.closed_forms("mle")
    assert sp.simplify(f["E_sigma2"] - s0**2 * ((M - 1) / M) ** n) == 0
    # the MLE telescoping: Var[mu_n] + E[sigma_n^2] = sigma0^2 for all n
    assert sp.simplify(f["Var_mu"] + f["E_sigma2"] - s0**2) == 0


def test_general_moment_specialises():
    for est in G.ESTIMATORS:
        f = G.closed_forms(est)
        assert sp.simplify(sp.expand_func(f["E_sigma2r"].subs(r, 1) - f["E_sigma2"])) == 0
        assert sp.simplify(f["E_sigma2r"].subs(r, sp.Rational(1, 2)) - f["E_sigma"]) == 0


def test_w2_formula_exact():
    w = G.w2sq_gaussian_1d()
    m1, m2, s1, s2 = sorted(w.free_symbols, key=str)
    assert sp.expand(w - ((m1 - m2) ** 2 + (s1 - s2) ** 2)) == 0


@pytest.mark.parametrize("est", G.ESTIMATORS)
@pytest.mark.parametrize("m", [2, 3, 10, 57])
def test_one_generation_against_quadrature(est, m):
    """n = 1: E[sigma_1], E[log sigma_1^2] and E[W2^2] by scipy quadrature (an independent oracle)."""
    c = 1 / (m - 1) if est == "unbiased" else 1 / m
    chi = sstats.chi2(m - 1)
    e_sigma = integrate.quad(lambda x: np.sqrt(c * x) * chi.pdf(x), 0, np.inf)[0]
    e_log = integrate.quad(lambda x: np.log(c * x) * chi.pdf(x), 0, np.inf)[0]
    v = N.gaussian_values(est, m, 1, 1.0)
    assert float(v["E_sigma"]) == pytest.approx(e_sigma, rel=1e-8)
    assert float(v["E_log_sigma2"]) == pytest.approx(e_log, rel=1e-7, abs=1e-9)
    e_w2 = 1 / m + c * (m - 1) - 2 * e_sigma + 1  # E[(mu_1 - mu_0)^2] + E[(sigma_1 - 1)^2]
    assert float(v["E_W2sq"]) == pytest.approx(e_w2, rel=1e-8)


@given(est=estimators, m=st.integers(2, 2000), g=st.integers(0, 300), sigma0=sigma0s,
       rr=st.floats(0.1, 4.0))
def test_constant_schedule_matches_closed_form(est, m, g, sigma0, rr):
    a = N.gaussian_values(est, m, g, sigma0, r=rr, dps=40)
    b = N.gaussian_schedule_values(est, [m] * g, sigma0, r=rr, dps=40)
    for key in a:
        assert mpmath.almosteq(a[key], b[key], rel_eps=mpmath.mpf(10) ** -25, abs_eps=mpmath.mpf(10) ** -25), key


@given(est=estimators, sched=schedules(max_size=12), sigma0=sigma0s)
def test_schedule_values_scale_with_sigma0(est, sched, sigma0):
    a = N.gaussian_schedule_values(est, sched, 1.0)
    b = N.gaussian_schedule_values(est, sched, sigma0)
    # values carry 30 digits; the products below are formed at mpmath's default 15
    for key, power in (("E_sigma2", 2), ("E_sigma", 1), ("Var_mu", 2), ("E_W2sq", 2)):
        assert mpmath.almosteq(b[key], a[key] * mpmath.mpf(sigma0) ** power, rel_eps=1e-12), key
    assert mpmath.almosteq(b["E_log_sigma2"] - a["E_log_sigma2"], 2 * mpmath.log(sigma0), abs_eps=1e-12)


def test_w2_diverges_unbiased_bounded_mle():
    big = N.gaussian_values("unbiased", 10, 10**6)
    assert big["E_W2sq"] > 10**6 / 10 * 0.99
    for g in (10, 1000, 10**6):
        assert N.gaussian_values("mle", 10, g)["E_W2sq"] <= 2


def test_w2_bounded_schedules():
    i = G.i
    assert G.w2_bounded("unbiased", 5 * (i + 1) ** 2)
    assert not G.w2_bounded("unbiased", 5 * (i + 1))
    assert not G.w2_bounded("unbiased", 5 + 0 * i)
    assert G.w2_bounded("mle", 5 + 0 * i)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        pytest.param(dict(samples=1), "samples", id="M<2"),
        pytest.param(dict(samples=2.5), "samples", id="M-not-integer"),
        pytest.param(dict(generations=-1), "generations", id="negative-n"),
        pytest.param(dict(sigma0=0.0), "sigma0", id="sigma0-zero"),
        pytest.param(dict(sigma0=-1.0), "sigma0", id="sigma0-negative"),
        pytest.param(dict(sigma0=float("nan")), "sigma0", id="sigma0-nan"),
        pytest.param(dict(sigma0=float("inf")), "sigma0", id="sigma0-inf"),
        pytest.param(dict(estimator="biased"), "estimator", id="unknown-estimator"),
        pytest.param(dict(r=float("nan")), "moment", id="moment-nan"),
        pytest.param(dict(dps=2), "dps", id="dps-too-small"),
    ],
)
def test_bad_input(kwargs, name):
    args = dict(estimator="unbiased", samples=10, generations=5, sigma0=1.0) | kwargs
    est = args.pop("estimator")
    with pytest.raises(InvalidArgument, match=name) as info:
        N.gaussian_values(est, args.pop("samples"), args.pop("generations"), args.pop("sigma0"), **args)
    assert "expected" in str(info.value) and "got" in str(info.value)


def test_bad_schedule():
    with pytest.raises(InvalidArgument, match=r"schedule\[1\]: expected an integer >= 2, got 1"):
        N.gaussian_schedule_values("unbiased", [5, 1, 5])
