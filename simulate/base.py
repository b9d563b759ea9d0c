"""The one interface every model family implements: :class:`Family` (``fit`` / ``sample``).

Any object with a ``name`` and these two methods is a family (a structural
:class:`typing.Protocol`: nothing to inherit or register), and the generic loop
(:func:`collapse.simulate.loop.run_chain`, :func:`~collapse.simulate.loop.run_generations`)
runs it under every data regime and sample-size schedule.

Two regimes need a little more, again structurally (optional methods, checked by the loop
before any work; a family without them is refused with one ``InvalidArgument``):

- ``weight:W,K`` needs :class:`SupportsWeightedFit`: ``fit_weighted(data, weights)``;
- ``curate:Q`` needs the true density, :class:`SupportsDensity`: ``log_density(params, x)``
  and ``max_log_density(params)``, evaluated at generation 0's ``params0``.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

P = TypeVar("P")


@runtime_checkable
class Family(Protocol[P]):
    """A model family refitted each generation, for many independent chains at once.

    ``data`` always has a leading chain axis: ``(n_chains, n_samples, ...)``;
    ``params`` is a frozen dataclass whose arrays have a leading ``n_chains`` axis.

    Shapes
    ------
    data : ndarray of shape (n_chains, n_samples, *event_shape)
        Chain ``c``'s training set is ``data[c]``; ``event_shape`` is one point's shape:
        ``()`` for scalars (1-D Gaussian, category labels), ``(d,)`` for vectors (KDE,
        d-D Gaussian, GMM), anything else the family chooses. It must be the same for
        ``fit`` and ``sample``, since the loop concatenates and subsets along axis 1
        (the ``mix`` and ``accumulate`` regimes).
    params : any object, usually a frozen dataclass
        One fitted model per chain: arrays with a leading ``n_chains`` axis (e.g.
        ``mean`` and ``var`` of shape (n_chains,)). The loop never looks inside; it only
        passes ``params`` from ``fit`` to ``sample`` and to its callbacks.

    Contract
    --------
    - ``fit`` is a pure function of ``data`` (randomness belongs to ``sample``'s ``rng``;
      a fit that needs a random start seeds it from the data, as the GMM does), and fits
      the chains as independent models;
    - ``sample(params, m, rng)`` draws ``m`` independent points per chain from the fitted
      model, using only ``rng`` (a :class:`numpy.random.Generator`), so a chain is
      reproducible from its seed; ``m`` may be 0 (``mix`` with no model share);
    - generation 0 is the true distribution: the loop starts from ``params0`` and, unless
      given a ``source``, draws real data with ``sample(params0, m, rng)``.

    Attributes
    ----------
    name : str
        A short label for the family (``"gaussian"``, ``"discrete"``...); the loop does
        not read it.

    Example
    -------
    An exponential family, refitted by maximum likelihood (rate = 1 / sample mean)::

        @dataclasses.dataclass(frozen=True)
        class ExpParams:
            rate: np.ndarray                     # (n_chains,)

        class Exponential:
            name = "exponential"

            def fit(self, data):                 # (n_chains, n_samples) -> ExpParams
                return ExpParams(1.0 / data.mean(axis=1))

            def sample(self, params, m, rng):    # -> (n_chains, m)
                return rng.exponential(1.0 / params.rate[:, None], (params.rate.size, m))

        run_chain(Exponential(), ExpParams(np.ones(1000)), [100] * 50, rng, regime="accumulate")
    """

    name: str

    def fit(self, data: np.ndarray) -> P:
        """Fit one model per chain.

        Parameters
        ----------
        data : ndarray of shape (n_chains, n_samples, *event_shape)
            Chain ``c``'s training set is ``data[c]`` (``n_samples`` is M_g, or the pool
            size under ``accumulate``).

        Returns
        -------
        params
            The fitted models, arrays with a leading ``n_chains`` axis.
        """
        ...

    def sample(self, params: P, m: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``m`` points per chain from the fitted models.

        Parameters
        ----------
        params
            As returned by :meth:`fit` (or generation 0's, ``params0``).
        m : int
            Points per chain, ``m >= 0``.
        rng : numpy.random.Generator
            The only source of randomness.

        Returns
        -------
        ndarray of shape (n_chains, m, *event_shape)
            What :meth:`fit` accepts.
        """
        ...


@runtime_checkable
class SupportsWeightedFit(Protocol[P]):
    """A family whose fit takes per-point weights (the ``weight:W,K`` regime).

    ``fit_weighted(data, weights)`` is the weighted version of ``fit``: ``weights`` has shape
    (n_chains, n_samples), non-negative, each row summing to 1 (:func:`check_weights`). It
    must equal ``fit(data)`` when every weight is 1 / n_samples (up to rounding), and ignore
    points of weight 0 (``weight:1,K`` fits the real part only). Examples: the weighted mean;
    the weighted variance sum_i w_i (x_i - mean)^2, divided by 1 - sum_i w_i^2 for the unbiased
    estimator (reliability weights); weighted frequencies; weighted EM; weighted least squares.
    """

    def fit_weighted(self, data: np.ndarray, weights: np.ndarray) -> P:
        """``data`` (n_chains, n_samples, *event_shape), ``weights`` (n_chains, n_samples) -> params."""
        ...


@runtime_checkable
class SupportsDensity(Protocol[P]):
    """A family with a tractable density (the ``curate:Q`` regime's verifier reads the truth's).

    ``log_density(params, x)``: log density (or log pmf) of chain ``c``'s model at its points
    ``x[c]``; ``x`` (n_chains, n, *event_shape) -> (n_chains, n), ``-inf`` off the support.
    ``max_log_density(params)``: log max_y of each chain's density, shape (n_chains,). The loop
    keeps a candidate x with probability exp(Q (log_density(params0, x) - max_log_density(params0))).
    """

    def log_density(self, params: P, x: np.ndarray) -> np.ndarray:
        ...

    def max_log_density(self, params: P) -> np.ndarray:
        ...


def check_weights(data: np.ndarray, weights: Any) -> np.ndarray:
    """``weights`` as a float array of shape data.shape[:2], non-negative, rows summing to 1."""
    w = np.asarray(weights, dtype=float)
    if w.shape != tuple(np.shape(data)[:2]) or not np.all(np.isfinite(w)) or np.any(w < 0) \
            or not np.allclose(w.sum(axis=1), 1.0, rtol=0, atol=1e-9):
        from collapse.core.validation import InvalidArgument

        raise InvalidArgument("weights", f"non-negative weights of shape {tuple(np.shape(data)[:2])} (n_chains, "
                              "n_samples), each row summing to 1", w.shape if w.shape != np.shape(data)[:2] else w)
    return w


def as_generator(rng: Any) -> np.random.Generator:
    """Require an ``np.random.Generator`` (randomness is always an argument)."""
    if not isinstance(rng, np.random.Generator):
        from collapse.core.validation import InvalidArgument

        raise InvalidArgument("rng", "a numpy.random.Generator (e.g. np.random.default_rng(seed))", rng)
    return rng
