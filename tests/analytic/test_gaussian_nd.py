"""analytic.gaussian_nd: reduces to the 1-D chain at d = 1; Wishart facts as independent oracles."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from collapse.analytic import gaussian as G
from collapse.analytic import gaussian_nd as D
from collapse.core.validation import InvalidArgument

M, n, d, r = G.M, G.n, D.d, G.r


@pytest.mark.parametrize("est", G.ESTIMATORS)
def test_d1_is_the_one_dimensional_chain(est):
    f, one = D.closed_forms_nd(est), G.closed_forms(est)
    at1 = {k: sp.simplify(sp.expand_func(v.subs(d, 1).doit())) for k, v in f.items()}
    assert sp.simplify(at1["E_Sigma_factor"] - one["E_sigma2"].subs(G.sigma0, 1)) == 0
    assert sp.simplify(at1["E_det_factor"] - one["E_sigma2"].subs(G.sigma0, 1)) == 0
    assert sp.simplify(at1["Cov_mu_factor"] - one["Var_mu"].subs(G.sigma0, 1)) == 0
    assert sp.simplify(sp.expand_log(at1["E_logdet"] - one["E_log_sigma2"].subs(G.sigma0, 1), force=True)) == 0
    assert sp.simplify(at1["Var_logdet"] - one["Var_log_sigma2"]) == 0


@pytest.mark.parametrize("dim, k", [(1, 4), (2, 5), (3, 3), (4, 11)])
def test_wishart_determinant_mean(dim, k):
    """E[det W_d(k, I)] = k! / (k - d)! (a classical result, independent of the Bartlett derivation)."""
    step = D.one_step_nd("unbiased")["det_r"].subs({r: 1, d: dim, M: k + 1}).doit()
    assert sp.nsimplify(sp.N(step * k**dim, 30)) == math.factorial(k) // math.factorial(k - dim)


def test_evaluate_nd_values_and_errors():
    v = D.evaluate_nd("unbiased", 10, 5, 3)
    assert v["E_Sigma_factor"] == pytest.approx(1.0) and v["Cov_mu_factor"] == pytest.approx(0.5)
    assert v["E_det_factor"] == pytest.approx((8 / 9 * 7 / 9) ** 5)
    with pytest.raises(InvalidArgument, match="M - 1 >= d"):
        D.evaluate_nd("unbiased", 3, 5, 3)
    with pytest.raises(InvalidArgument, match="dim"):
        D.evaluate_nd("unbiased", 10, 5, 0)
