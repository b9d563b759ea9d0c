r"""Absorption times and lost mass of the discrete chain (Wright-Fisher), exact and diffusion.

For one state against the rest, the count B_t in M draws is a Markov chain on
{0, ..., M} with binomial transitions P[b, b'] = Binom(b'; M, b/M); 0 and M are
absorbing. Exact values come from this matrix (the fundamental matrix
N = (I - Q)^{-1} of its transient part for absorption times, matrix powers for the
probability that the state is lost by generation t); the diffusion approximation
solves the backward equation x(1 - x)/(2M) T''(x) = -1, T(0) = T(1) = 0, with
:func:`sympy.dsolve`.

References: Shumailov et al. (2024), "Discrete distributions with exact
approximation"; Ewens, Mathematical Population Genetics (2004), sections 3.3, 4.3.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from collapse.core.validation import InvalidArgument, check_int

__all__ = ["diffusion_time", "exact_absorption_times", "loss_by", "transition_matrix"]

x = sp.Symbol("x", positive=True)
Msym = sp.Symbol("M", integer=True, positive=True)


@functools.cache
def diffusion_time() -> sp.Expr:
    """T(x) solving x (1 - x) / (2M) T'' = -1, T(0) = T(1) = 0 (sympy.dsolve)."""
    T = sp.Function("T")
    ode = sp.Eq(x * (1 - x) / (2 * Msym) * T(x).diff(x, 2), -1)
    general = sp.dsolve(ode, T(x)).rhs
    consts = sorted(general.free_symbols - {x, Msym}, key=str)
    at0 = sp.limit(general, x, 0, "+")
    at1 = sp.limit(general, x, 1, "-")
    sol = sp.solve([at0, at1], consts, dict=True)
    if len(sol) != 1:  # pragma: no cover
        raise RuntimeError(f"boundary conditions do not fix the constants: {sol}")
    T = sp.expand(general.subs(sol[0]))
    # dsolve's antiderivative uses log(x - 1); on 0 < x < 1 that is log(1 - x) + i pi
    T = sp.expand(T.subs(sp.log(x - 1), sp.log(1 - x) + sp.I * sp.pi))
    return sp.factor_terms(sp.simplify(T))




def transition_matrix(m: int, exact: bool = False):
    """(M+1) x (M+1) binomial transition matrix of the count; sympy Rationals if ``exact``."""
    m = check_int("M", m, minimum=1)
    if exact:
        return sp.Matrix(m + 1, m + 1, lambda b, c: sp.binomial(m, c) * sp.Rational(b, m) ** c
                         * (1 - sp.Rational(b, m)) ** (m - c))
    from scipy import stats

    return stats.binom.pmf(np.arange(m + 1)[None, :], m, np.arange(m + 1)[:, None] / m)


def exact_absorption_times(m: int, exact: bool = False):
    """E[time to absorption | B_0 = b] for b = 0..M, from the fundamental matrix (I - Q)^{-1} 1."""
    P = transition_matrix(m, exact)
    if m < 2:
        raise InvalidArgument("M", "an integer >= 2 (a transient state must exist)", m)
    if exact:
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
    from scipy import stats

    P = transition_matrix(m)
    dist = stats.binom.pmf(np.arange(m + 1), m, q)
    out = [0.0 if q > 0 else 1.0]
    for _ in range(G):
        out.append(float(dist[0]))
        dist = dist @ P
    return np.array(out)
