r"""Heavy tails: the unseen mass of Zipf data and the plateau of a cut tail, derived by sympy.

References: E. Dohmatob, Y. Feng, P. Yang, F. Charton, J. Kempe, "A tale of tails:
model collapse as a change of scaling laws", ICML 2024 (Hutter's memorisation model:
the test error is the probability mass of tokens not seen in training).

For p_i = i^(-beta) / zeta(beta), beta > 1, and T iid training samples, a state is
unseen with probability (1 - p_i)^T (the binomial pgf at 0), so the expected unseen
mass is E[U_T] = sum_i p_i (1 - p_i)^T. Its Poissonised integral
A_T = int_0^oo c x^(-beta) exp(-T c x^(-beta)) dx, c = 1/zeta(beta), equals
K(beta) T^(-(beta-1)/beta) with K(beta) = Gamma(1 - 1/beta) zeta(beta)^(-1/beta) / beta,
and |E[U_T] - A_T| <= eps(T) = 1/(e T) + 2 T / (e^2 (T - 1)^2) for every T >= 2:
1/(e T) bounds the sum-integral gap of the unimodal integrand (its maximum), and
sum_i p_i [e^(-T p_i) - (1 - p_i)^T] <= (T/2) sum_i p_i p_i^2 e^(-(T-1) p_i)
<= (T/2) 4 / (e^2 (T-1)^2). Since (beta-1)/beta < 1, eps(T) = o(A_T): the scaling
E[U_T] ~ K(beta) T^(-(beta-1)/beta).

Training on a model whose tail is cut at rank k (the top k states, renormalised)
loses every state of rank > k forever: the test error
E_test(T, k) = sum_(i<=k) p_i (1 - p_i/P_k)^T + sum_(i>k) p_i lies between the floor
sum_(i>k) p_i = zeta(beta, k+1)/zeta(beta) and floor + E[U_T], and tends to the floor;
the floor lies between (k+1)^(1-beta) and k^(1-beta), over (beta - 1) zeta(beta).
"""

from __future__ import annotations

import functools

import sympy as sp

from collapse.analytic import rates as R
# numbers of unseen_probability and plateau (re-exported here)
from collapse.analytic.numeric import check_beta, cut_test_error_value, unseen_mass_value

__all__ = [
    "beta", "T", "k", "i", "a", "zipf_weight", "unseen_probability", "unseen_mass", "poissonized_integral",
    "scaling_constant", "exp_chord_bound", "band", "plateau", "plateau_bounds", "cut_test_error",
    "unseen_mass_value", "cut_test_error_value", "check_beta",
]

beta = sp.Symbol("beta", positive=True)  # Zipf exponent, beta > 1
a = sp.Symbol("a", positive=True)  # beta - 1, for integrals that need beta > 1
T = sp.Symbol("T", positive=True)  # training samples
k = sp.Symbol("k", integer=True, positive=True)  # tail cut rank
i = sp.Symbol("i", integer=True, positive=True)  # rank
q = sp.Symbol("q", positive=True)  # a state's probability
_x = sp.Symbol("x", positive=True)
_y = sp.Symbol("y", positive=True)


def zipf_weight() -> sp.Expr:
    """p_i = i^(-beta) / zeta(beta)."""
    return i ** (-beta) / sp.zeta(beta)


@functools.cache
def unseen_probability() -> sp.Expr:
    """P(a state of probability q is not among T draws) = the Binomial(T, q) pgf at 0: (1 - q)^T."""
    return R.binomial_pgf().subs({R.s: 0, R.p: q, R.M: T})


def unseen_mass() -> sp.Expr:
    """E[U_T] = sum_i p_i (1 - p_i)^T (linearity of expectation)."""
    p = zipf_weight()
    return sp.Sum(p * unseen_probability().subs(q, p), (i, 1, sp.oo))


@functools.cache
def poissonized_integral() -> sp.Expr:
    """A_T = int_0^oo c x^-beta exp(-T c x^-beta) dx, c = 1/zeta(beta) (integrated with beta = 1 + a)."""
    c = sp.Symbol("c", positive=True)
    f = c * _x ** (-(1 + a)) * sp.exp(-T * c * _x ** (-(1 + a)))
    val = sp.integrate(f, (_x, 0, sp.oo), conds="none")
    return sp.simplify(sp.gammasimp(val.subs({a: beta - 1, c: 1 / sp.zeta(beta)})))


@functools.cache
def scaling_constant() -> tuple[sp.Expr, sp.Expr]:
    """(K, exponent) with A_T = K T^exponent: exponent = T dA/dT / A, K = A T^-exponent."""
    A = poissonized_integral()
    expo = sp.simplify(T * sp.diff(A, T) / A)
    K = sp.simplify(sp.powsimp(A * T ** (-expo), force=True))
    return sp.gammasimp(K), expo


def exp_chord_bound() -> sp.Expr:
    """Upper bound on e^(-q) - (1 - q) for q >= 0: the second-order Taylor term q^2/2."""
    return sp.series(sp.exp(-q) - (1 - q), q, 0, 3).removeO()


@functools.cache
def band() -> sp.Expr:
    r"""eps(T) with |E[U_T] - A_T| <= eps(T), T >= 2.

    Sum-integral gap: max_x of the integrand, (y/T) e^(-y) at its critical point in
    y = T c x^-beta. Poissonisation gap: T * chord * e^(-(T-1)q) summed against p_i, with
    chord/q^2 * max_q q^2 e^(-(T-1) q) (critical point) and sum_i p_i = 1.
    """
    ycrit = sp.solve(sp.diff(_y * sp.exp(-_y), _y), _y)[0]
    sum_gap = (_y * sp.exp(-_y) / T).subs(_y, ycrit)
    S = T - 1
    qcrit = sp.solve(sp.diff(q**2 * sp.exp(-S * q), q), q)[0]
    pois_gap = T * sp.simplify(exp_chord_bound() / q**2) * (q**2 * sp.exp(-S * q)).subs(q, qcrit)
    return sp.simplify(sum_gap + pois_gap)


@functools.cache
def plateau() -> sp.Expr:
    """sum_(i>k) p_i = zeta(beta, k + 1) / zeta(beta) (beta > 1): the mass a cut at rank k loses."""
    tail = sp.summation(i ** (-beta), (i, k + 1, sp.oo))
    if isinstance(tail, sp.Piecewise):  # the branch beta > 1
        tail = tail.args[0][0]
    return tail / sp.zeta(beta)


@functools.cache
def plateau_bounds() -> tuple[sp.Expr, sp.Expr]:
    """(lower, upper) = int_(k+1)^oo, int_k^oo of x^-beta dx, over zeta(beta) (x^-beta decreasing)."""
    def tail_integral(lo):
        val = sp.integrate(_x ** (-(1 + a)), (_x, lo, sp.oo), conds="none")
        return sp.simplify(val.subs(a, beta - 1)) / sp.zeta(beta)

    return tail_integral(k + 1), tail_integral(k)


def cut_test_error() -> sp.Expr:
    """E_test(T, k): trained on T draws from the top-k states renormalised, tested on p."""
    p = zipf_weight()
    Pk = sp.Sum(p, (i, 1, k))
    return sp.Sum(p * unseen_probability().subs(q, p / Pk), (i, 1, k)) + plateau()
