"""Iterative retraining on all real data plus lambda times as much synthetic data (Bertrand et al. 2024).

The Gaussian-mean case: a fixed real sample of N points (mean ``xbar``); each
generation refits the mean on those N points plus lambda N points drawn from
N(mu_i, sigma^2) (sigma known). Vectorised over chains, sufficient statistics only:
the synthetic batch mean is N(mu_i, sigma^2 / (lambda N)).
"""

from __future__ import annotations

import numpy as np

from collapse.core.validation import check_int, check_positive_real
from collapse.simulate.base import as_generator


def simulate_retrain_mean(n_chains: int, n_real: int, lam: float, generations: int, rng: np.random.Generator,
                          *, sigma: float = 1.0, mu_start: float = 1.0) -> np.ndarray:
    """Return mu_g - xbar for g = 0..generations: ndarray of shape (n_chains, generations + 1).

    ``mu_start`` is the first model's offset from the real mean (mu_0 - xbar).
    """
    rng = as_generator(rng)
    C = check_int("n_chains", n_chains, minimum=1)
    N = check_int("n_real", n_real, minimum=1)
    lam = check_positive_real("lambda", lam)
    G = check_int("generations", generations, minimum=0)
    sigma = check_positive_real("sigma", sigma)
    out = np.empty((C, G + 1))
    out[:, 0] = mu_start
    k = lam * N  # synthetic points per generation (the law only needs lambda N)
    for g in range(G):
        batch = out[:, g] + sigma / np.sqrt(k) * rng.standard_normal(C)  # synthetic mean, relative to xbar
        out[:, g + 1] = k * batch / (N + k)  # (N * 0 + k * batch) / (N + k)
    return out
