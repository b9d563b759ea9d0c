r"""The binomial (Wright-Fisher) chain of one state's count, in numbers: matrix, absorption, loss.

For one state against the rest, the count B_t in M draws is a Markov chain on
{0, ..., M} with binomial transitions P[b, b'] = Binom(b'; M, b/M); 0 and M are
absorbing. Absorption times come from the fundamental matrix N = (I - Q)^{-1} of
its transient part, the probability that the state is lost by generation t from
matrix powers. These are numbers of the chain itself (numpy and scipy, or exact
sympy Rationals when asked), not closed forms; the diffusion approximation and
the derivations are in :mod:`collapse.analytic.discrete_time`, which re-exports
these functions. sympy is imported only for ``exact=True``.

References: Shumailov et al. (2024), "Discrete distributions with exact
approximation"; Ewens, Mathematical Population Genetics I (2004), sections 2.12 (finite Markov
chains: the fundamental matrix) and 3.2 (the two-allele Wright-Fisher model).
"""

from __future__ import annotations

import numpy as np

from collapse.core.validation import InvalidArgument, check_int

__all__ = ["exact_absorption_times", "loss_at", "loss_by", "transition_matrix"]


def transition_matrix(m: int, exact: bool = False):
    """(M+1) x (M+1) binomial transition matrix of the count; sympy Rationals if ``exact``."""
    m = check_int("M", m, minimum=1)
    if exact:
        import sympy as sp

        return sp.Matrix(m + 1, m + 1, lambda b, c: sp.binomial(m, c) * sp.Rational(b, m) ** c
                         * (1 - sp.Rational(b, m)) ** (m - c))
    return binomial_pmf(m, np.arange(m + 1) / m)


def binomial_pmf(m: int, p) -> np.ndarray:
    """Binomial(m, p) probabilities of 0..m, one row per value of ``p``: shape ``p.shape + (m + 1,)``.

    Up to m = 1000 the exact integer coefficient times ``p**c (1-p)**(m-c)`` (a few ulp: the
    coefficients fit in a float), and where a power alone would underflow, the same product
    in log space (about 1e-12 relative). No scipy.stats, whose import alone costs half a
    second; beyond m = 1000 scipy's pmf.
    """
    import math

    p = np.asarray(p, dtype=float)[..., None]
    c = np.arange(m + 1)
    if m > 1000:
        from scipy import stats

        return stats.binom.pmf(c, m, p)
    comb = np.array([float(math.comb(m, k)) for k in c])
    pc, qc = p**c, (1.0 - p) ** (m - c)  # 0**0 = 1: p = 0 and p = 1 come out exact
    tiny = ((pc < 1e-290) | (qc < 1e-290)) & (p > 0) & (p < 1)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 * log 0 where p is 0 or 1: not used there
        logged = np.exp(np.log(comb) + c * np.log(p) + (m - c) * np.log1p(-p))
    return np.where(tiny, logged, comb * pc * qc)


def exact_absorption_times(m: int, exact: bool = False):
    """E[time to absorption | B_0 = b] for b = 0..M, from the fundamental matrix (I - Q)^{-1} 1."""
    P = transition_matrix(m, exact)
    if m < 2:
        raise InvalidArgument("M", "an integer >= 2 (a transient state must exist)", m)
    if exact:
        import sympy as sp

        Q = P[1:m, 1:m]
        t = (sp.eye(m - 1) - Q).LUsolve(sp.ones(m - 1, 1))
        return [sp.Integer(0)] + list(t) + [sp.Integer(0)]
    Q = P[1:m, 1:m]
    t = np.linalg.solve(np.eye(m - 1) - Q, np.ones(m - 1))
    return np.concatenate([[0.0], t, [0.0]])


def loss_by(q: float, m: int, generations: int) -> np.ndarray:
    """P(a state of initial probability q has no point in D_t), t = 0..generations (exact).

    Generation 1's count is Binomial(M, q); after that the binomial chain on {0..M}.
    """
    if not 0 <= q <= 1:
        raise InvalidArgument("q", "a probability in [0, 1]", q)
    m = check_int("M", m, minimum=1)
    G = check_int("generations", generations, minimum=0)
    P = transition_matrix(m)
    dist = binomial_pmf(m, q)
    out = [0.0 if q > 0 else 1.0]
    for _ in range(G):
        out.append(float(dist[0]))
        dist = dist @ P
    return np.array(out)


def loss_at(qs, m: int, generations: int) -> np.ndarray:
    """``loss_by(q, m, generations)[-1]`` for every q of ``qs`` at once (one matrix product a step).

    The states' count distributions are the rows of one matrix, so a step is one product
    with the transition matrix instead of one per state; when many generations make it
    cheaper, the matrix power is taken by repeated squaring instead.
    """
    qs = np.asarray(qs, dtype=float).reshape(-1)
    if not np.all((qs >= 0) & (qs <= 1)):
        raise InvalidArgument("q", "probabilities in [0, 1]", qs.tolist())
    m = check_int("M", m, minimum=1)
    G = check_int("generations", generations, minimum=0)
    if G == 0:
        return np.where(qs > 0, 0.0, 1.0)
    P = transition_matrix(m)
    dist = binomial_pmf(m, qs)
    steps = G - 1
    # a product per step costs steps K M^2; P^steps by repeated squaring about 2 log2(steps) M^3
    if steps > 1 and 2 * steps.bit_length() * (m + 1) < steps * len(qs):
        return (dist @ np.linalg.matrix_power(P, steps))[:, 0].copy()
    for _ in range(steps):
        dist = dist @ P
    return dist[:, 0].copy()

