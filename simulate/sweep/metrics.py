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

The built-in validators are strict (:func:`strict_int`, :func:`strict_real`): an integer
parameter takes an ``int`` only (``True`` is not 1, ``10.0`` is not 10), a real one a finite
number (an ``int`` is accepted and made a float, so ``1`` and ``1.0`` hash alike), a choice a
string; every size is bounded by :data:`LIMITS` (those of the command line's options) and
every real by :data:`MAX_REAL`. A family's optional ``memory(params)`` estimates one cell's
peak memory, checked by the grid parser against this machine.

References: Shumailov et al. (2024), Theorem 3.1 and the Supplementary Material.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
from collapse.core.validation import InvalidArgument
from collapse.simulate.loop import Regime

__all__ = ["BUILT_IN", "FAMILIES", "LIMITS", "MAX_REAL", "CellFamily", "Param", "register_family", "strict_int",
           "strict_real"]

#: the largest value each integer parameter of the built-in families takes (the smallest is per family);
#: the sizes are those of the command line's --chains, --generations, --samples, --dim, --seed
LIMITS: dict[str, int] = {
    "chains": 10 ** 7, "generations": 10 ** 6, "samples": 10 ** 9, "dim": 10 ** 4, "seed": 2 ** 32 - 1,
    "states": 10 ** 6, "components": 1000, "max_iter": 10 ** 6,
}
#: the largest magnitude of a real parameter (mu0, sigma0, bandwidth, noise)
MAX_REAL = 1e12

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
    #: ``memory(params) -> bytes``: an estimate of the peak memory of one cell (None: not estimated)
    memory: Callable[[Mapping[str, Any]], float] | None = None


# ---- validators (return the canonical value) ------------------------------------------------
# Strict: an integer parameter takes a TOML integer (not true/false, not 10.0), a real one a
# finite number (an integer is a real: ``1`` and ``1.0`` hash alike), a choice a string; all bounded.

def _big(n: float) -> str:
    if n >= 10 ** 7 and n == 10 ** round(math.log10(n)):
        return f"10^{round(math.log10(n))}"
    return "2^32 - 1" if n == 2 ** 32 - 1 else f"{n:g}" if isinstance(n, float) else str(n)


def strict_int(name: str, v: Any, minimum: int, maximum: int) -> int:
    """``v`` itself, an ``int`` (not a bool, not a float) in ``[minimum, maximum]``."""
    if isinstance(v, bool) or not isinstance(v, Integral) or not minimum <= v <= maximum:
        raise InvalidArgument(name, f"an integer >= {minimum} and <= {_big(maximum)}", _short(v))
    return int(v)


def strict_real(name: str, v: Any, low: float, high: float, *, low_open: bool = False) -> float:
    """``v`` as a float: a finite real number (not a bool) in ``[low, high]`` (``(low, high]``)."""
    ok = not isinstance(v, bool) and isinstance(v, Real) and math.isfinite(v) and (
        low < v <= high if low_open else low <= v <= high)
    if not ok:
        what = "a finite real number " + (f"> {low:g}" if low_open else f">= {_big(low)}") + f" and <= {_big(high)}"
        if low == -high and not low_open:
            what = f"a finite real number of magnitude <= {_big(high)}"
        raise InvalidArgument(name, what, _short(v))
    return float(v)


class _Shown(str):
    """A value shown as it is in a message (no quotes), cut to a readable length."""

    def __repr__(self) -> str:
        return str(self)


def _short(v: Any, limit: int = 80) -> Any:
    text = repr(v)
    return v if len(text) <= limit else _Shown(text[:limit] + "...")


def _int(minimum: int, key: str) -> Callable[[str, Any], int]:
    return lambda name, v: strict_int(name, v, minimum, LIMITS[key])


def _choice(*choices: str) -> Callable[[str, Any], str]:
    def check(name: str, v: Any) -> str:
        if not isinstance(v, str) or v not in choices:
            raise InvalidArgument(name, "one of " + ", ".join(repr(c) for c in choices), _short(v))
        return v
    return check


def _positive(name: str, v: Any) -> float:
    return strict_real(name, v, 0.0, MAX_REAL, low_open=True)


def _fraction(name: str, v: Any) -> float:
    return strict_real(name, v, 0.0, 1.0, low_open=True)


def _real(name: str, v: Any) -> float:
    return strict_real(name, v, -MAX_REAL, MAX_REAL)


def _regime(name: str, v: Any) -> str:
    if not isinstance(v, str) or len(v) > 200:
        raise InvalidArgument(name, "a regime such as 'replace', 'accumulate' or 'mix:0.8,0.1,0.1'", _short(v))
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
        "samples": Param(100, _int(samples_min, "samples"), "M, samples per generation"),
        "generations": Param(100, _int(1, "generations"), "n, generations run (metrics are at generation n)"),
        "chains": Param(1000, _int(2, "chains"), "independent chains per cell"),
    }


# ---- memory estimates (bytes at the peak of one cell; rough upper bounds, 8 bytes a float) -----

def _pooled(p: Mapping[str, Any]) -> int:
    """How many generations' data a regime keeps at once (replace: one; accumulating ones: all)."""
    return 1 if p.get("regime", "replace") == "replace" else p["generations"]


def _gaussian_memory(p: Mapping[str, Any]) -> float:
    c, m = p["chains"], p["samples"]
    literal = 3 * c * m * _pooled(p) if p["sampler"] == "literal" else 0
    return 8.0 * (16 * c + literal + 2 * p["generations"])


def _nd_memory(p: Mapping[str, Any]) -> float:
    c, m, d = p["chains"], p["samples"], p["dim"]
    literal = 3 * c * m * d * _pooled(p) if p["sampler"] == "literal" or p["regime"] != "replace" else 0
    return 8.0 * (8 * c * d * d + literal + 2 * p["generations"])


def _discrete_memory(p: Mapping[str, Any]) -> float:
    c, m = p["chains"], p["samples"]
    literal = 3 * c * m * _pooled(p) if p["sampler"] == "literal" or p["regime"] != "replace" else 0
    return 8.0 * (4 * c * p["states"] + literal + 2 * p["generations"])


def _kde_memory(p: Mapping[str, Any]) -> float:
    return 8.0 * 4 * p["chains"] * p["samples"] * _pooled(p)


def _regression_memory(p: Mapping[str, Any]) -> float:
    c, m, d = p["chains"], p["samples"], p["dim"]
    return 8.0 * (3 * m * d * _pooled(p) + 3 * c * m * _pooled(p) + 4 * c * d)


def _gmm_memory(p: Mapping[str, Any]) -> float:
    return 8.0 * 4 * p["chains"] * p["samples"] * p["components"] * _pooled(p)


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
     "collapse_tol": Param(0.01, _fraction, "collapsed: sigma_n < collapse_tol * sigma_0")},
    _gaussian_build, _gaussian_run, ("dmu2", "sigma2", "log_sigma2", "w2sq", "collapsed"), _gaussian_memory)


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
    {**_common(), "dim": Param(2, _int(1, "dim"), "dimension d (Sigma_0 = I; needs M - 1 >= d)"),
     "estimator": Param("unbiased", _choice("unbiased", "mle"), "divide by M-1 or by M"),
     "regime": Param("replace", _choice("replace", "accumulate"), "data regime (accumulate: literal sampler)"),
     "sampler": Param("fast", _choice("fast", "literal"), "Bartlett/Wishart or literal sampler"),
     "collapse_tol": Param(0.01, _fraction, "collapsed: det(Sigma_n)^(1/d) < collapse_tol^2")},
    _nd_build, _nd_run, ("dmu2", "trace_cov", "logdet", "collapsed"), _nd_memory)


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
    {**_common(samples_min=1), "states": Param(10, _int(1, "states"), "K, states of the uniform p_0"),
     "regime": Param("replace", _regime, "data regime (other than replace: sampler 'literal')"),
     "sampler": Param("wright-fisher", _choice("wright-fisher", "multinomial", "literal"), "sampler")},
    _discrete_build, _discrete_run, ("heterozygosity", "absorbed", "support"), _discrete_memory)


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
    _kde_build, _kde_run, ("var", "mean_sq"), _kde_memory)


# ---- regression -----------------------------------------------------------------------------

def _regression_build(p: Mapping[str, Any]):
    if p["samples"] <= p["dim"]:
        raise InvalidArgument("samples", f"more samples than features (dim = {p['dim']})", p["samples"])
    return dict(p)


def _regression_run(_, p: Mapping[str, Any], rng: np.random.Generator) -> Metrics:
    from collapse.simulate.families.regression import (
        RegressionFamily,
        RegressionParams,
        excess_risk,
    )
    from collapse.simulate.loop import run_chain

    rng_design, rng_chain = rng.spawn(2)
    fam = RegressionFamily.with_fixed_design(p["samples"], p["dim"], rng_design, p["noise"])
    p0 = RegressionParams(np.zeros((p["chains"], p["dim"])))
    state = run_chain(fam, p0, [p["samples"]] * p["generations"], rng_chain, regime=p["regime"])
    return _mean_se("risk", excess_risk(state.params, np.zeros(p["dim"]), fam.X))


_REGRESSION = CellFamily(
    "regression",
    {**_common(), "dim": Param(8, _int(1, "dim"), "features d"), "noise": Param(1.0, _positive, "label noise sigma"),
     "regime": Param("replace", _choice("replace", "accumulate"), "data regime")},
    _regression_build, _regression_run, ("risk",), _regression_memory)


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
    {**_common(), "chains": Param(8, _int(2, "chains"), "independent chains per cell"),
     "components": Param(2, _int(1, "components"), "mixture components K"),
     "tol": Param(1e-5, _fraction, "EM tolerance"), "max_iter": Param(2000, _int(1, "max_iter"), "EM iterations"),
     "regime": Param("replace", _regime, "data regime")},
    _gmm_build, _gmm_run, ("l2", "std"), _gmm_memory)


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
