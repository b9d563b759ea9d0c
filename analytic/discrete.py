r"""The discrete chain with exact approximation, derived by sympy from its recursion.

The chain (Shumailov et al. 2024, section "Discrete distributions with exact
approximation"): the fitted distribution of generation t+1 is the empirical
distribution of M draws from generation t. For one state with probability x,
its next frequency is x' = B / M with B ~ Binomial(M, x), the sum of M independent
Bernoulli(x) indicators. Everything below starts from the Bernoulli probability
generating function E[s^b] = 1 - x + x s (a two-term sum, done by sympy), raised to
the M-th power by independence; moments are derivatives of it at s = 1, the
no-sample probability is its value at s = 0, and the t-step forms solve the
moment recursions with :func:`sympy.rsolve`.
"""

from __future__ import annotations

import functools

import sympy as sp

__all__ = [
    "M", "t", "x", "x0", "H0", "s",
    "absorption_probability", "bernoulli_pgf", "count_pgf", "expected_heterozygosity",
    "frequency_variance", "heterozygosity_factor", "heterozygosity_schedule", "loss_probability",
    "one_step_moments",
]

M = sp.Symbol("M", integer=True, positive=True)  # samples per generation
t = sp.Symbol("t", integer=True, nonnegative=True)  # generation
x = sp.Symbol("x", nonnegative=True)  # a state's current probability
x0 = sp.Symbol("x0", nonnegative=True)  # its probability under p_0
H0 = sp.Symbol("H0", nonnegative=True)  # heterozygosity 1 - sum p_0(k)^2
s = sp.Symbol("s")  # generating-function argument
q = sp.Symbol("q", nonnegative=True)  # a state's probability (loss probability)
_b = sp.Symbol("b", integer=True, nonnegative=True)
i = sp.Symbol("i", integer=True, nonnegative=True)


@functools.cache
def bernoulli_pgf() -> sp.Expr:
    """E[s^b] for one draw landing in the state (b = 1) with probability ``x``.

    >>> bernoulli_pgf()
    s*x - x + 1
    """
    pmf = sp.Piecewise((1 - x, sp.Eq(_b, 0)), (x, True))
    return sp.expand(sp.Sum(s**_b * pmf, (_b, 0, 1)).doit())


@functools.cache
def count_pgf() -> sp.Expr:
    """E[s^B], B the number of the M independent draws landing in the state."""
    return bernoulli_pgf() ** M


@functools.cache
def one_step_moments() -> dict[str, sp.Expr]:
    r"""E[x' | x] and E[x'^2 | x] for x' = B / M, from derivatives of the pgf at s = 1.

    ``mean`` is x (frequencies are martingales); ``second`` is x^2 + x (1 - x) / M.
    """
    G = count_pgf()
    eb = sp.simplify(sp.diff(G, s).subs(s, 1))  # E[B]
    eb2 = sp.simplify((sp.diff(G, s, 2) + sp.diff(G, s)).subs(s, 1))  # E[B(B-1)] + E[B]
    return {"mean": sp.simplify(eb / M), "second": sp.factor(sp.simplify(eb2 / M**2))}


@functools.cache
def heterozygosity_factor() -> sp.Expr:
    r"""c(M) with E[x'(1 - x') | x] = c(M) x (1 - x); it is 1 - 1/M.

    H = 1 - sum_k x_k^2 = sum_k x_k (1 - x_k), so E[H' | H] = c(M) H as well.
    """
    mom = one_step_moments()
    return sp.factor(sp.simplify((mom["mean"] - mom["second"]) / (x * (1 - x))))


def _solve_geometric(factor: sp.Expr, initial: sp.Expr) -> sp.Expr:
    a = sp.Function("a")
    sol = sp.rsolve(a(t + 1) - factor * a(t), a(t), {a(0): initial})
    if sol is None:  # pragma: no cover - sympy regression
        raise RuntimeError(f"sympy.rsolve could not solve a(t+1) = {factor} a(t)")
    return sp.simplify(sol)


@functools.cache
def expected_heterozygosity() -> sp.Expr:
    r"""E[H_t] = H_0 (1 - 1/M)^t: heterozygosity of the generation-t fit, constant M.

    Generation 0 is p_0 itself (H_0 = 1 - sum p_0(k)^2).
    References: Shumailov et al. (2024), "Discrete distributions with exact approximation".
    """
    return _solve_geometric(heterozygosity_factor(), H0)


def heterozygosity_schedule(schedule) -> sp.Expr:
    """E[H_t] / H_0 after generations with sample sizes ``schedule`` (a sequence of ints)."""
    c = heterozygosity_factor()
    return sp.Mul(*[c.subs(M, int(m)) for m in schedule])


@functools.cache
def frequency_variance() -> sp.Expr:
    r"""Var[p_t(i)] = x0 (1 - x0) (1 - (1 - 1/M)^t) for a state with p_0(i) = x0.

    From E[p_t] = x0 (martingale) and E[p_t (1 - p_t)] = x0 (1 - x0) c(M)^t.
    """
    het = _solve_geometric(heterozygosity_factor(), x0 * (1 - x0))
    second = x0 - het  # E[p^2] = E[p] - E[p(1 - p)]
    return sp.factor(sp.simplify(second - x0**2))


@functools.cache
def loss_probability() -> sp.Expr:
    r"""P(a state of probability q gets no sample in one generation) = (1 - q)^M.

    The pgf at s = 0. References: Shumailov et al. (2024), "Discrete distributions
    with exact approximation" (tails with q < 1/M are lost first).
    """
    return sp.simplify(count_pgf().subs(s, 0).subs(x, q))


@functools.cache
def absorption_probability() -> sp.Expr:
    r"""P(the chain is absorbed at the delta on state i) = p_0(i) = x0.

    The absorption probability u(x) is harmonic for the chain, E[u(x') | x] = u(x),
    with u(0) = 0 (the state is lost for ever) and u(1) = 1 (absorbed there). sympy
    finds the affine u solving both and checks it is harmonic under the recursion.
    References: Shumailov et al. (2024), "the probability of ending up at a certain
    state equal to the probability of sampling said state from the original distribution".
    """
    a0, a1 = sp.symbols("a0 a1")
    u = a0 + a1 * x
    sol = sp.solve([u.subs(x, 0), u.subs(x, 1) - 1], [a0, a1], dict=True)[0]
    u = u.subs(sol)
    harmonic = sp.simplify(u.subs(x, one_step_moments()["mean"]) - u)  # u is affine: E[u(x')] = u(E[x'])
    if harmonic != 0:  # pragma: no cover - would mean the chain is not a martingale
        raise RuntimeError("absorption ansatz is not harmonic")
    return u.subs(x, x0)
