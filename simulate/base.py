"""The one interface every model family implements: :class:`Family` (``fit`` / ``sample``).

Any object with a ``name`` and these two methods is a family (a structural
:class:`typing.Protocol`: nothing to inherit or register), and the generic loop
(:func:`collapse.simulate.loop.run_chain`, :func:`~collapse.simulate.loop.run_generations`)
runs it under every data regime and sample-size schedule.
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


def as_generator(rng: Any) -> np.random.Generator:
    """Require an ``np.random.Generator`` (randomness is always an argument)."""
    if not isinstance(rng, np.random.Generator):
        from collapse.core.validation import InvalidArgument

        raise InvalidArgument("rng", "a numpy.random.Generator (e.g. np.random.default_rng(seed))", rng)
    return rng
