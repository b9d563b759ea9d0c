"""The model families: each offers ``fit(data) -> params`` and ``sample(params, m, rng) -> data``
with a leading chain axis, so the one loop of :mod:`collapse.simulate.loop` drives them all.

Families with sufficient statistics (Gaussian in 1 and d dimensions, discrete, Poisson) also
have exact fast samplers beside the literal draw-and-refit one (``simulate_*``, driven by a
``*Config``).

Public API (``__all__``), imported on first use (``import collapse.simulate.families``
imports no family module, and no numpy):

- Gaussian, 1-D: :class:`GaussianFamily`, :class:`GaussianParams` (``mean``, ``var``:
  (n_chains,)), :class:`GaussianConfig`, :func:`simulate_gaussian`, :class:`GaussianChain`;
- Gaussian, d-D: :class:`GaussianNDFamily`, :class:`GaussianNDParams`,
  :class:`GaussianNDConfig`, :func:`simulate_gaussian_nd`, :class:`GaussianNDChain`;
- discrete: :class:`DiscreteFamily`, :class:`DiscreteParams` (``probs``: (n_chains, K)),
  :class:`DiscreteConfig`, :func:`simulate_discrete`, :class:`DiscreteChain`,
  :func:`heterozygosity`, :func:`check_simplex`;
- Gaussian mixture: :class:`GMMFamily`, :class:`GMMParams`, :func:`l2_distance`,
  :func:`component_std`;
- kernel density estimate: :class:`KDEFamily`, :class:`KDEParams`;
- least squares on generated labels: :class:`RegressionFamily`,
  :class:`RegressionParams`, :func:`excess_risk`;
- Poisson: :class:`PoissonFamily`, :class:`PoissonParams`, :func:`simulate_poisson`;
- Zipf tails: :func:`zipf_probabilities`, :func:`zipf_unseen_mass`,
  :func:`cut_tail_test_error`; retraining on a mean: :func:`simulate_retrain_mean`;
- VAE (torch, imported inside its functions): :class:`VAEFamily`, :class:`VAEParams`,
  :func:`load_mnist`, :func:`load_digits_default`.

Your own family needs none of these: any object with ``fit`` and ``sample`` as
documented in :class:`collapse.simulate.Family` runs in :func:`collapse.simulate.run_chain`.
"""

from collapse.core import lazy_exports

_F = "collapse.simulate.families."

#: public name -> "module" or "module:attribute", imported on first access
_EXPORTS = {
    **{name: _F + "gaussian:" + name for name in (
        "GaussianFamily", "GaussianParams", "GaussianConfig", "GaussianChain", "simulate_gaussian")},
    **{name: _F + "gaussian_nd:" + name for name in (
        "GaussianNDFamily", "GaussianNDParams", "GaussianNDConfig", "GaussianNDChain", "simulate_gaussian_nd")},
    **{name: _F + "discrete:" + name for name in (
        "DiscreteFamily", "DiscreteParams", "DiscreteConfig", "DiscreteChain", "simulate_discrete",
        "heterozygosity", "check_simplex")},
    **{name: _F + "gmm:" + name for name in ("GMMFamily", "GMMParams", "l2_distance", "component_std")},
    **{name: _F + "kde:" + name for name in ("KDEFamily", "KDEParams")},
    **{name: _F + "regression:" + name for name in ("RegressionFamily", "RegressionParams", "excess_risk")},
    **{name: _F + "poisson:" + name for name in ("PoissonFamily", "PoissonParams", "simulate_poisson")},
    **{name: _F + "heavy_tails:" + name for name in (
        "zipf_probabilities", "zipf_unseen_mass", "cut_tail_test_error")},
    "simulate_retrain_mean": _F + "retrain:simulate_retrain_mean",
    **{name: _F + "vae:" + name for name in ("VAEFamily", "VAEParams", "load_mnist", "load_digits_default")},
}

__all__ = list(_EXPORTS)
del _F
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
