"""What one sweep cell is, per model family: its parameters, its config, its metrics.

A :class:`CellFamily` lists the parameters a grid may sweep (with defaults and a
validator that also canonicalises the value, so ``1`` and ``1.0`` hash alike),
builds the family's config from them (which validates the combination), and runs
one cell: ``chains`` independent chains for ``generations`` generations of
``samples`` points, reduced to a few scalar metrics of the final generation.

Metrics (all means over the cell's chains; ``<name>_se`` is the standard error
of that mean, std / sqrt(chains)):

``gaussian``     ``dmu2`` (mu_n - mu_0)^2, ``sigma2`` sigma_n^2, ``log_sigma2``
                 log sigma_n^2, ``w2sq`` W2^2(N(mu_n, sigma_n^2), N(mu_0, sigma_0^2))
                 = (mu_n - mu_0)^2 + (sigma_n - sigma_0)^2, ``collapsed`` the fraction
                 of chains with sigma_n < collapse_tol * sigma_0;
``gaussian-nd``  ``dmu2`` ||mu_n - mu_0||^2, ``trace_cov`` tr Sigma_n, ``logdet``
                 log det Sigma_n (Sigma_0 = I), ``collapsed`` the fraction with
                 det(Sigma_n)^(1/d) < collapse_tol^2;
``discrete``     ``heterozygosity`` 1 - sum_k p_n(k)^2, ``absorbed`` the fraction of
                 chains that are a delta, ``support`` the number of states left
                 (p_0 uniform on ``states``);
``kde``          ``var`` and ``mean_sq``: variance (divide by M) and squared mean of
                 the last training set D_{n-1} (p_0 = N(0, 1));
``regression``   ``risk``: in-sample excess risk (1/M) ||X (w_n - w*)||^2 of the last fit;
``gmm``          ``l2`` the L2 distance of the fitted mixture to p_0, ``std`` the mean
                 component standard deviation.

The theory values beside them (where a closed form exists) are added by the
command line from :mod:`collapse.analytic`, which this package does not import.

References: Shumailov et al. (2024), Theorem 3.1 and the Supplementary Material.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from collapse.core.validation import (
    InvalidArgument,
    check_choice,
    check_finite_real,
    check_int,
    check_positive_real,
)
from collapse.simulate.loop import Regime

__all__ = ["BUILT_IN", "FAMILIES", "CellFamily", "Param", "register_family"]

Metrics = dict[str, float]


@dataclasses.dataclass(frozen=True)
class Param:
    """A sweepable parameter: default value, validator ``check(name, value) -> value``, help."""

    default: Any
    check: Callable[[str, Any], Any]
    help: str = ""


@dataclasses.dataclass(frozen=True)
class CellFamily:
    """One model family as a sweep sees it.

    ``build(params) -> config`` validates a full parameter set (raising
    :class:`InvalidArgument`); ``run(config, params, rng) -> metrics``.
    """

    name: str
    params: Mapping[str, Param]
    build: Callable[[Mapping[str, Any]], Any]
    run: Callable[[Any, Mapping[str, Any], np.random.Generator], Metrics]
    metrics: tuple[str, ...]


# ---- validators (return the canonical value) ------------------------------------------------

def _int(minimum: int) -> Callable[[str, Any], int]:
    return lambda name, v: check_int(name, v, minimum=minimum)


def _choice(*choices: str) -> Callable[[str, Any], str]:
    return lambda name, v: check_choice(name, v, choices)


def _positive(name: str, v: Any) -> float:
    return check_positive_real(name, v)


def _real(name: str, v: Any) -> float:
    return check_finite_real(name, v)


def _regime(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise InvalidArgument(name, "a regime such as 'replace', 'accumulate' or 'mix:0.8,0.1,0.1'", v)
    try:
        return str(Regime.parse(v))
    except InvalidArgument as exc:  # keep the grid's name for the value
        raise InvalidArgument(name, f"a valid regime ({exc.name}: {exc.expected})", v) from None


def _mean_se(name: str, x: np.ndarray) -> Metrics:
    """``{name: mean, name_se: std / sqrt(n)}`` over the chain axis, as Python floats."""
    x = np.asarray(x, dtype=float)
    se = x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else float("nan")
    return {name: float(x.mean()), f"{name}_se": float(se)}


def _common(samples_min: int = 2) -> dict[str, Param]:
    return {
        "samples": Param(100, _int(samples_min), "M, samples per generation"),
        "generations": Param(100, _int(1), "n, generations run (metrics are at generation n)"),
        "chains": Param(1000, _int(2), "independent chains per cell"),
    }


# ---- gaussian -------------------------------------------------------------------------------

def _gaussian_build(p: Mapping[str, Any]):
    from collapse.simulate.families.gaussian import GaussianConfig

    return GaussianConfig(p["chains"], (p["samples"],) * p["generations"], p["mu0"], p["sigma0"],
                          p["estimator"], p["regime"], p["sampler"])


def _gaussian_run(cfg, p: Mapping[str, Any], rng: np.random.Generator) -> Metrics:
    from collapse.simulate.families.gaussian import simulate_gaussian

    ch = simulate_gaussian(cfg, rng, keep=[cfg.generations])
    mu, s2 = ch.mu[:, -1], ch.sigma2[:, -1]  # (n_chains,)
    dmu2 = (mu - cfg.mu0) ** 2
    with np.errstate(divide="ignore"):  # sigma^2 can underflow to 0 for tiny M: log is -inf, honestly
        log_s2 = np.log(s2)
    out: Metrics = {}
    out.update(_mean_se("dmu2", dmu2))
    out.update(_mean_se("sigma2", s2))
    out.update(_mean_se("log_sigma2", log_s2))
    out.update(_mean_se("w2sq", dmu2 + (np.sqrt(s2) - cfg.sigma0) ** 2))
    out["collapsed"] = float(np.mean(s2 < (p["collapse_tol"] * cfg.sigma0) ** 2))
    return out


_GAUSSIAN = CellFamily(
    "gaussian",
    {**_common(), "estimator": Param("unbiased", _choice("unbiased", "mle"), "divide by M-1 or by M"),
     "regime": Param("replace", _choice("replace", "accumulate"), "data regime"),
     "sampler": Param("fast", _choice("fast", "literal"), "exact sufficient-statistic or literal sampler"),
     "mu0": Param(0.0, _real, "mean of generation 0"), "sigma0": Param(1.0, _positive, "std of generation 0"),
     "collapse_tol": Param(0.01, _positive, "collapsed: sigma_n < collapse_tol * sigma_0")},
    _gaussian_build, _gaussian_run, ("dmu2", "sigma2", "log_sigma2", "w2sq", "collapsed"))


# ---- gaussian-nd ----------------------------------------------------------------------------

def _nd_build(p: Mapping[str, Any]):
    from collapse.simulate.families.gaussian_nd import GaussianNDConfig

    return GaussianNDConfig(p["chains"], (p["samples"],) * p["generations"], p["dim"], None,
                            p["estimator"], p["regime"], p["sampler"])


def _nd_run(cfg, p: Mapping[str, Any], rng: np.random.Generator) -> Metrics:
    from collapse.simulate.families.gaussian_nd import simulate_gaussian_nd

    ch = simulate_gaussian_nd(cfg, rng, keep=[len(cfg.schedule)])
    mean, cov, logdet = ch.mean[:, -1], ch.cov[:, -1], ch.logdet[:, -1]  # (C, d), (C, d, d), (C,)
    out: Metrics = {}
    out.update(_mean_se("dmu2", (mean**2).sum(-1)))
    out.update(_mean_se("trace_cov", np.trace(cov, axis1=-2, axis2=-1)))
    out.update(_mean_se("logdet", logdet))
    out["collapsed"] = float(np.mean(logdet / cfg.dim < 2 * np.log(p["collapse_tol"])))
    return out


_GAUSSIAN_ND = CellFamily(
    "gaussian-nd",
    {**_common(), "dim": Param(2, _int(1), "dimension d (Sigma_0 = I; needs M - 1 >= d)"),
     "estimator": Param("unbiased", _choice("unbiased", "mle"), "divide by M-1 or by M"),
     "regime": Param("replace", _choice("replace", "accumulate"), "data regime (accumulate: literal sampler)"),
     "sampler": Param("fast", _choice("fast", "literal"), "Bartlett/Wishart or literal sampler"),
     "collapse_tol": Param(0.01, _positive, "collapsed: det(Sigma_n)^(1/d) < collapse_tol^2")},
    _nd_build, _nd_run, ("dmu2", "trace_cov", "logdet", "collapsed"))


# ---- discrete -------------------------------------------------------------------------------

def _discrete_build(p: Mapping[str, Any]):
    from collapse.simulate.families.discrete import DiscreteConfig

    k = p["states"]
    return DiscreteConfig(p["chains"], (1.0 / k,) * k, (p["samples"],) * p["generations"], p["regime"], p["sampler"])


def _discrete_run(cfg, p: Mapping[str, Any], rng: np.random.Generator) -> Metrics:
    from collapse.simulate.families.discrete import simulate_discrete

    res = simulate_discrete(cfg, rng, keep=[cfg.generations])
    return {"heterozygosity": float(res.het_mean[-1]), "absorbed": float(res.absorbed_frac[-1]),
            "support": float(res.support_mean[-1])}


_DISCRETE = CellFamily(
    "discrete",
    {**_common(samples_min=1), "states": Param(10, _int(1), "K, states of the uniform p_0"),
     "regime": Param("replace", _regime, "data regime (other than replace: sampler 'literal')"),
     "sampler": Param("wright-fisher", _choice("wright-fisher", "multinomial", "literal"), "sampler")},
    _discrete_build, _discrete_run, ("heterozygosity", "absorbed", "support"))


# ---- kde ------------------------------------------------------------------------------------

def _kde_build(p: Mapping[str, Any]):
    from collapse.simulate.families.kde import KDEFamily

    return KDEFamily(p["bandwidth"])


def _kde_run(family, p: Mapping[str, Any], rng: np.random.Generator) -> Metrics:
    from collapse.simulate.loop import run_chain

    C = p["chains"]
    state = run_chain(family, None, [p["samples"]] * p["generations"], rng, regime=p["regime"],
                      source=lambda m, r: r.standard_normal((C, m, 1)))
    last = state.data[..., 0]  # D_{n-1}, (C, M)
    return {**_mean_se("var", last.var(axis=1)), **_mean_se("mean_sq", last.mean(axis=1) ** 2)}


_KDE = CellFamily(
    "kde",
    {**_common(samples_min=1), "bandwidth": Param(0.1, _positive, "kernel bandwidth h"),
     "regime": Param("replace", _regime, "data regime")},
    _kde_build, _kde_run, ("var", "mean_sq"))


# ---- regression -----------------------------------------------------------------------------

def _regression_build(p: Mapping[str, Any]):
    if p["samples"] <= p["dim"]:
        raise InvalidArgument("samples", f"more samples than features (dim = {p['dim']})", p["samples"])
    return dict(p)


def _regression_run(_, p: Mapping[str, Any], rng: np.random.Generator) -> Metrics:
    from collapse.simulate.loop import run_chain
    from collapse.simulate.families.regression import RegressionFamily, RegressionParams, excess_risk

    rng_design, rng_chain = rng.spawn(2)
    fam = RegressionFamily.with_fixed_design(p["samples"], p["dim"], rng_design, p["noise"])
    p0 = RegressionParams(np.zeros((p["chains"], p["dim"])))
    state = run_chain(fam, p0, [p["samples"]] * p["generations"], rng_chain, regime=p["regime"])
    return _mean_se("risk", excess_risk(state.params, np.zeros(p["dim"]), fam.X))


_REGRESSION = CellFamily(
    "regression",
    {**_common(), "dim": Param(8, _int(1), "features d"), "noise": Param(1.0, _positive, "label noise sigma"),
     "regime": Param("replace", _choice("replace", "accumulate"), "data regime")},
    _regression_build, _regression_run, ("risk",))


# ---- gmm ------------------------------------------------------------------------------------

def _gmm_build(p: Mapping[str, Any]):
    if p["samples"] < p["components"]:
        raise InvalidArgument("samples", f"at least components = {p['components']}", p["samples"])
    return dict(p)


def _gmm_run(_, p: Mapping[str, Any], rng: np.random.Generator) -> Metrics:
    from collapse.simulate.families import gmm as GM
    from collapse.simulate.loop import run_chain

    fam = GM.GMMFamily(p["components"], p["tol"], p["max_iter"], seed=int(rng.integers(2**31)))
    p0 = GM.GMMParams.blob(p["chains"], p["components"])
    state = run_chain(fam, p0, [p["samples"]] * p["generations"], rng, regime=p["regime"])
    return {**_mean_se("l2", GM.l2_distance(state.params, p0)),
            **_mean_se("std", GM.component_std(state.params).mean(axis=1))}


_GMM = CellFamily(
    "gmm",
    {**_common(), "chains": Param(8, _int(2), "independent chains per cell"),
     "components": Param(2, _int(1), "mixture components K"),
     "tol": Param(1e-5, _positive, "EM tolerance"), "max_iter": Param(2000, _int(1), "EM iterations"),
     "regime": Param("replace", _regime, "data regime")},
    _gmm_build, _gmm_run, ("l2", "std"))


#: every family a grid may name
FAMILIES: dict[str, CellFamily] = {f.name: f for f in (_GAUSSIAN, _GAUSSIAN_ND, _DISCRETE, _KDE, _REGRESSION, _GMM)}


def register_family(family: CellFamily) -> CellFamily:
    """Make ``family`` (a model family of your own) sweepable by name in this process; returns it.

    A grid parsed afterwards may say ``family = "<family.name>"``. The grid's cells carry
    the :class:`CellFamily` itself to whoever runs them, so worker processes need no
    registration of their own: Dask pickles it with cloudpickle; the ``local`` executor's
    processes need its functions importable (defined in a module, not in ``__main__``),
    or ``workers=1``. A built-in name cannot be replaced.
    """
    if not isinstance(family, CellFamily):
        raise InvalidArgument("family", "a CellFamily", type(family).__name__)
    if family.name in BUILT_IN:
        raise InvalidArgument("family.name", "a name that is not a built-in family (" + ", ".join(BUILT_IN) + ")",
                              family.name)
    FAMILIES[family.name] = family
    return family


#: the families this package defines (a user's own are added by :func:`register_family`)
BUILT_IN = tuple(FAMILIES)
