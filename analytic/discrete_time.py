r"""Absorption times and lost mass of the discrete chain (Wright-Fisher), exact and diffusion.

For one state against the rest, the count B_t in M draws is a Markov chain on
{0, ..., M} with binomial transitions P[b, b'] = Binom(b'; M, b/M); 0 and M are
absorbing. Exact values come from this matrix (the fundamental matrix
N = (I - Q)^{-1} of its transient part for absorption times, matrix powers for the
probability that the state is lost by generation t); the diffusion approximation
solves the backward equation x(1 - x)/(2M) T''(x) = -1, T(0) = T(1) = 0, with
:func:`sympy.dsolve`.

References: Shumailov et al. (2024), "Discrete distributions with exact
approximation"; Ewens, Mathematical Population Genetics I (2004), sections 3.2 (the two-allele
Wright-Fisher model), 4.4 (absorption time properties) and 5.2 (no selection or mutation).
"""

from __future__ import annotations

import functools

import sympy as sp

# the binomial chain's numbers (numpy, no sympy needed), re-exported here
from collapse.analytic.wright_fisher import exact_absorption_times, loss_by, transition_matrix

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
