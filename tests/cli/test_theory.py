"""``collapse theory`` targets: JSON shapes, values equal to the analytic modules, bad input."""

from __future__ import annotations

import json
import math

import pytest

from collapse.cli import main


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_gaussian_nd(capsys):
    v = _json(capsys, ["theory", "gaussian-nd", "-M", "10", "-n", "5", "-d", "3", "--json"])
    assert v["E_Sigma_factor"] == pytest.approx(1.0) and v["Cov_mu_factor"] == pytest.approx(0.5)
    assert v["E_det_factor"] == pytest.approx((8 / 9 * 7 / 9) ** 5)


def test_discrete_two_states(capsys):
    v = _json(capsys, ["theory", "discrete", "-M", "10", "-n", "5", "--p0", "0.5,0.5", "--json"])
    assert v["E_H"] == pytest.approx(0.5 * 0.9**5)
    assert v["P_absorbed_at_0"] == pytest.approx(0.5)
    assert v["P_lost_one_generation_0"] == pytest.approx(0.5**10)
    assert v["E_absorption_time_diffusion"] == pytest.approx(-2 * 10 * math.log(0.5))
    assert 0 < v["E_absorption_time_exact"] < v["E_absorption_time_diffusion"]


def test_mixing_and_accumulate(capsys):
    v = _json(capsys, ["theory", "mixing", "-M", "100", "--gamma", "0.1", "--json"])
    assert v["gaussian_stationary_E_dmu2"] == pytest.approx(0.055)
    assert v["gaussian_stationary_E_sigma2"] == pytest.approx(1.05)
    assert v["retrain_rate"] == pytest.approx(0.5)
    a = _json(capsys, ["theory", "accumulate", "-M", "20", "-n", "300", "--json"])
    assert a["replace_E_dmu2"] == pytest.approx(15.0)
    assert a["accumulate_E_dmu2"] < a["accumulate_bound_E_dmu2"]


def test_rates_tails_regression(capsys):
    from collapse.analytic.rates import extinction_values
    from collapse.analytic.regression_theory import risk_values
    from collapse.analytic.tails import unseen_mass_value

    v = _json(capsys, ["theory", "rates", "--expected-count", "5", "-n", "20", "--json"])
    assert v["P_extinct_by_t"] == pytest.approx(extinction_values(5.0, 20)[-1])
    t = _json(capsys, ["theory", "tails", "--beta", "2", "-M", "1000", "-k", "50", "--json"])
    assert t["E_unseen_mass"] == pytest.approx(unseen_mass_value(2.0, 1000)) and t["E_test_error_cut"] > 0
    r = _json(capsys, ["theory", "regression", "-d", "5", "-M", "50", "-n", "4", "--json"])
    assert r == pytest.approx(risk_values(5, 50, 4))
    assert r["replace"] > r["accumulate"]


@pytest.mark.parametrize("argv", [
    ["theory", "discrete", "--p0", "0.5,0.6"],
    ["theory", "discrete", "--p0", "x,y"],
    ["theory", "mixing", "--gamma", "1.5"],
    ["theory", "gaussian-nd", "-M", "3", "-d", "3"],
    ["theory", "tails", "--beta", "0.5"],
    ["theory", "regression", "-d", "10", "-M", "5"],
])
def test_bad_input_exit_2(argv, capsys):
    try:
        code = main(argv)  # InvalidArgument from the library: main returns 2
    except SystemExit as exc:  # argparse rejects the value itself: exits 2
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert "expected" in err and "Traceback" not in err
