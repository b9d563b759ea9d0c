r"""Rates of collapse: the Bernoulli chain and the Poisson chain, derived by sympy.

References: A. T. Suresh, A. Thangaraj, A. N. K. Khandavally, "Rate of model
collapse in recursive training", AISTATS 2025 (PMLR 258:1396-1404): the
Bernoulli and Poisson models refitted by maximum likelihood, and the survival of
a symbol, Pr(not forgotten after t generations) >= 1 - exp(-lambda / t).

**Bernoulli chain** (the two-state case of the paper's discrete chain): p' =
Binomial(M, p) / M. From the binomial pgf, E[p' | p] = p (a martingale) and
E[p'(1 - p') | p] = (1 - 1/M) p (1 - p), so E[p_t (1 - p_t)] = p0 (1 - p0) (1 - 1/M)^t.
Every non-absorbed state has p (1 - p) >= (M - 1) / M^2, so Markov's inequality
gives P(T > t) <= M^2 / (M - 1) p0 (1 - p0) (1 - 1/M)^t for the absorption time T.
The transition matrix maps polynomials of degree j to degree j with leading
coefficient (M)_j / M^j (E[(X)_j] = (M)_j p^j): its eigenvalues, and 1 - 1/M is
the largest one of the transient block, the exact geometric rate of collapse.

**Poisson chain** with maximum-likelihood refitting: lambda' is the mean of M draws
of Poisson(lambda), so N' = M lambda' ~ Poisson(N) given N = M lambda. Since
E[s^N' | N] = exp(N (s - 1)) = f(s)^N with f(s) = exp(s - 1), N_t is a critical
Galton-Watson process with Poisson(1) offspring (N_1 ~ Poisson(m), m = M lambda_0).
P(lambda_t = 0) = f_t(0)^m with f_t the t-fold iterate of f, and, with
r_t = 1 - f_t(0) (one ancestor's survival), r_{t+1} = 1 - exp(-r_t), so
P(lambda_t = 0) = exp(-m r_{t-1}). Bounding the increment 1/r_{t+1} - 1/r_t between
1/2 and 1/2 + r_t / 12 gives 1 / (1 + t/2 + (H_{t+1} - 1)/6) <= r_t <= 2 / (t + 2),
hence t r_t -> 2 / sigma^2 = 2 (Kolmogorov's constant for a critical process).
"""

from __future__ import annotations

import functools

import sympy as sp

from collapse.analytic.numeric import extinction_values  # numbers of offspring_pgf (re-exported here)
from collapse.core.validation import InvalidArgument, check_int

__all__ = [
    "chain_loss_probability",
    "M", "t", "p", "p0", "s", "x", "m", "lam",
    "binomial_pgf", "bernoulli_step", "bernoulli_heterozygosity", "wf_eigenvalue", "wf_transient_matrix",
    "min_nonabsorbed_heterozygosity", "bernoulli_survival_bound", "bernoulli_absorption_times",
    "poisson_pgf", "refit_count_pgf", "offspring_pgf", "offspring_moments", "extinction_probability",
    "extinction_values", "inverse_increment", "increment_bounds", "survival_bounds", "survival_limit",
    "suresh_survival_lower",
]

M = sp.Symbol("M", integer=True, positive=True)  # samples per generation
t = sp.Symbol("t", integer=True, nonnegative=True)  # generation
j = sp.Symbol("j", integer=True, nonnegative=True)  # summation index
p = sp.Symbol("p", positive=True)  # current Bernoulli parameter (0 < p < 1)
p0 = sp.Symbol("p0", positive=True)  # initial Bernoulli parameter
s = sp.Symbol("s", positive=True)  # pgf argument
x = sp.Symbol("x", positive=True)
m = sp.Symbol("m", positive=True)  # M lambda_0: the expected count of generation 1
lam = sp.Symbol("lambda", positive=True)
_k = sp.Symbol("k", integer=True, nonnegative=True)


# ------------------------------------------------------------------ Bernoulli
@functools.cache
def binomial_pgf() -> sp.Expr:
    """E[s^X] for X ~ Binomial(M, p), summed from the pmf: (1 - p + p s)^M.

    sympy returns the binomial theorem under a convergence condition that always
    holds for a finite sum (M is an integer); that branch is taken.
    """
    g = sp.summation(sp.binomial(M, _k) * p**_k * (1 - p) ** (M - _k) * s**_k, (_k, 0, M))
    if isinstance(g, sp.Piecewise):
        g = g.args[0][0]
    return sp.simplify(g)


@functools.cache
def bernoulli_step() -> dict[str, sp.Expr]:
    r"""One generation of p' = Binomial(M, p) / M, from the pgf's factorial moments.

    Returns ``drift`` = E[p' | p] - p and ``het_ratio`` = E[p'(1 - p') | p] / (p (1 - p)).
    """
    G = binomial_pgf()
    ex = sp.diff(G, s).subs(s, 1)  # E[X]
    ex2 = sp.diff(G, s, 2).subs(s, 1) + ex  # E[X^2] = E[X(X-1)] + E[X]
    mean, second = ex / M, ex2 / M**2
    return {"drift": sp.simplify(mean - p), "het_ratio": sp.factor(sp.simplify((mean - second) / (p * (1 - p))))}


@functools.cache
def bernoulli_heterozygosity() -> sp.Expr:
    """E[p_t (1 - p_t)] from the one-step ratio (rsolve): p0 (1 - p0) (1 - 1/M)^t."""
    a = sp.Function("a")
    sol = sp.rsolve(a(t + 1) - bernoulli_step()["het_ratio"] * a(t), a(t), {a(0): p0 * (1 - p0)})
    return sp.simplify(sol)


def wf_eigenvalue(order: int) -> sp.Expr:
    """Eigenvalue of the chain on polynomials of degree ``order``: E[(X)_j | p] / (M^j p^j) = (M)_j / M^j."""
    order = check_int("order", order, minimum=1)
    return sp.factor(sp.simplify(sp.diff(binomial_pgf(), s, order).subs(s, 1) / (M * p) ** order))


def wf_transient_matrix(samples: int) -> sp.Matrix:
    """Exact transition matrix among the transient counts 1..M-1 (rational), P(i -> k) = Binom(M, i/M)(k)."""
    Mi = check_int("samples (M)", samples, minimum=2)
    pmf = sp.binomial(M, _k) * p**_k * (1 - p) ** (M - _k)
    return sp.Matrix(Mi - 1, Mi - 1, lambda a, b: pmf.subs({M: Mi, p: sp.Rational(a + 1, Mi), _k: b + 1}))


@functools.cache
def min_nonabsorbed_heterozygosity() -> sp.Expr:
    """min of p (1 - p) over p = i/M, i = 1..M-1 (concave in i: attained at i = 1)."""
    i = sp.Symbol("i", positive=True)
    h = (i / M) * (1 - i / M)
    return sp.factor(h.subs(i, 1))


@functools.cache
def bernoulli_survival_bound() -> sp.Expr:
    """P(T > t) <= E[p_t (1 - p_t)] / min p (1 - p) (Markov): M^2 p0 (1 - p0) (1 - 1/M)^t / (M - 1)."""
    return sp.simplify(bernoulli_heterozygosity() / min_nonabsorbed_heterozygosity())


def bernoulli_absorption_times(samples: int) -> list[sp.Rational]:
    """Exact E[T | p0 = i/M], i = 1..M-1, from the fundamental matrix (I - Q)^-1 (rationals)."""
    Q = wf_transient_matrix(samples)
    n = Q.shape[0]
    return list((sp.eye(n) - Q).LUsolve(sp.ones(n, 1)))


# -------------------------------------------------------------------- Poisson
@functools.cache
def poisson_pgf() -> sp.Expr:
    """E[s^X] for X ~ Poisson(x), summed from the pmf: exp(x (s - 1))."""
    return sp.simplify(sp.summation(sp.exp(-x) * x**_k / sp.factorial(_k) * s**_k, (_k, 0, sp.oo)))


@functools.cache
def refit_count_pgf() -> sp.Expr:
    """E[s^(M lambda') | lambda]: M lambda' is a sum of M iid Poisson(lambda) draws."""
    return sp.simplify(sp.powsimp(poisson_pgf().subs(x, lam) ** M, force=True))


@functools.cache
def offspring_pgf() -> sp.Expr:
    """f(s): one individual's offspring pgf, Poisson(1): E[s^N' | N] = f(s)^N."""
    return poisson_pgf().subs(x, 1)


@functools.cache
def offspring_moments() -> tuple[sp.Expr, sp.Expr]:
    """(mean, variance) of the offspring law from f: f'(1), f''(1) + f'(1) - f'(1)^2."""
    f = offspring_pgf()
    d1, d2 = sp.diff(f, s).subs(s, 1), sp.diff(f, s, 2).subs(s, 1)
    return sp.simplify(d1), sp.simplify(d2 + d1 - d1**2)


def extinction_probability(generation: int) -> sp.Expr:
    """P(lambda_t = 0) = f_t(0)^m exactly, as a nested exponential in m (t = ``generation``)."""
    tt = check_int("generation", generation, minimum=0)
    f, q = offspring_pgf(), sp.Integer(0)
    for _ in range(tt):
        q = f.subs(s, q)
    return q**m


@functools.cache
def inverse_increment() -> sp.Expr:
    """1/r' - 1/r for r' = 1 - f(1 - r) = 1 - exp(-r), as a function of x = r."""
    f = offspring_pgf()
    return 1 / (1 - f.subs(s, 1 - x)) - 1 / x


@functools.cache
def increment_bounds() -> tuple[sp.Expr, sp.Expr]:
    """(lower, upper) on :func:`inverse_increment` for x > 0: its Taylor polynomials of order 0 and 1.

    1/(1 - e^-x) - 1/x = 1/2 + x/12 - x^3/720 + ... ; that the truncations are bounds
    for every x > 0 is proved in :mod:`collapse.proofs.rates` (derivative chains).
    """
    ser = sp.series(inverse_increment(), x, 0, 3).removeO()
    return ser.coeff(x, 0), ser.coeff(x, 0) + ser.coeff(x, 1) * x


@functools.cache
def survival_bounds() -> tuple[sp.Expr, sp.Expr]:
    r"""(lower, upper) on r_t = P(Z_t > 0 | Z_0 = 1) for every t >= 0.

    r_0 = 1; summing the increment bounds: 1/r_t >= 1 + t/2 gives the upper bound
    2/(t + 2); feeding it into the upper increment gives
    1/r_t <= 1 + t/2 + sum_(j<t) (1/12) 2/(j + 2).
    """
    lo_inc, up_inc = increment_bounds()
    upper = sp.simplify(1 / (1 + _sum_to(lo_inc, t)))
    inv_lower = 1 + _sum_to(up_inc.subs(x, upper.subs(t, j)), t)
    return sp.simplify(1 / inv_lower), upper


def _sum_to(term: sp.Expr, n: sp.Expr) -> sp.Expr:
    """sum_(j=0)^(n-1) term, term by term (partial fractions), poles shifted to j so that
    sympy recognises harmonic numbers."""
    u = sp.Symbol("u", integer=True)  # unrestricted, so that poles at negative j are found
    total = sp.Integer(0)
    for part in sp.Add.make_args(sp.apart(sp.together(term.subs(j, u)), u)):
        poles = sp.solve(sp.denom(sp.together(part)), u)
        shift = -poles[0] if len(poles) == 1 and poles[0].is_Integer else 0
        total += sp.summation(part.subs(u, u - shift), (u, shift, n - 1 + shift))
    return total


@functools.cache
def survival_limit() -> tuple[sp.Expr, sp.Expr]:
    """(lim t * lower, lim t * upper) as t -> oo: both 2 = 2 / sigma^2."""
    lo, up = survival_bounds()
    return sp.limit(t * lo, t, sp.oo), sp.limit(t * up, t, sp.oo)


def suresh_survival_lower() -> sp.Expr:
    """P(lambda_t > 0) >= 1 - exp(-m / t), t >= 1 (Suresh et al. 2025), from r_(t-1) >= 1/t."""
    return 1 - sp.exp(-m / t)


def validate_bernoulli(samples: int, p_init: float) -> tuple[int, float]:
    """Check (M, p0) for the Bernoulli chain: M >= 2, 0 < p0 < 1."""
    Mi = check_int("samples (M)", samples, minimum=2)
    if not isinstance(p_init, (int, float)) or not 0 < p_init < 1:
        raise InvalidArgument("p0", "a probability strictly between 0 and 1", p_init)
    return Mi, float(p_init)


def chain_loss_probability(qN, generation: int):
    """Probability that a token of expected count ``qN`` is absent from generation ``g``'s data.

    The Poisson chain of this module: the real data's count is that
    chain's generation 1 (``N_1 ~ Poisson(m)``, ``m = qN``), so generation ``g`` here is
    its ``t = g + 1`` and the probability is ``P(lambda_t = 0) = f_t(0)^m``
    (:func:`~collapse.analytic.rates.extinction_probability`), ``f`` the Poisson(1)
    offspring pgf; ``f_t(0)``, the ``m = 1`` value, comes from
    :func:`~collapse.analytic.rates.extinction_values`, so any shape of ``qN`` costs one iteration.

    Parameters
    ----------
    qN : expected count in the real data (probability times data size), any shape
    generation : 0 for the real data itself

    Returns
    -------
    ndarray of the shape of ``qN``
    """
    import numpy as np

    t = check_int("generation", generation, minimum=0) + 1
    one_copy = extinction_values(1.0, t)[-1]  # f_t(0): one copy's line has died out by generation t
    return np.power(one_copy, np.asarray(qN, dtype=float))
