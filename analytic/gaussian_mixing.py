r"""The Gaussian chain with real data mixed in: moment recursions and their fixed points.

Two settings, each derived by sympy from the update of the fitted statistics:

**Fresh real data** (Shumailov et al. 2024, "Theoretical intuition": p_{i+1} =
alpha p_theta + gamma p_0 with beta = 0). Generation i+1 is fitted to n1 points from
N(mu_i, sigma_i^2) and n2 fresh points from N(mu_0, sigma_0^2), M = n1 + n2. With
batch means b1 = mu + sigma Z1 / sqrt(n1), b2 = mu_0 + sigma_0 Z2 / sqrt(n2) and batch
sums of squares sigma^2 X1, sigma_0^2 X2 (X ~ chi2_{n-1}), the pooled fit is
mu' = (n1 b1 + n2 b2) / M and sigma'^2 = (sigma^2 X1 + sigma_0^2 X2 +
(n1 n2 / M)(b1 - b2)^2) / (M - ddof). (E[(mu - mu_0)^2], E[sigma^2]) then follows a
linear recursion x' = A x + b whose fixed point is the stationary error.

**All real data plus lambda times as much synthetic data** (Bertrand et al., "On the
stability of iterative retraining of generative models on their own data", ICLR 2024),
for the mean with known variance sigma^2: mu' = (N xbar + lambda N b) / ((1 + lambda) N),
b ~ N(mu, sigma^2 / (lambda N)), so mu' - xbar contracts by lambda / (1 + lambda) per
generation around the real data's mean xbar.
"""

from __future__ import annotations

import functools

import sympy as sp

from collapse.analytic import gaussian as G

__all__ = ["mix_recursion", "mix_fixed_point", "mix_moments", "retrain_recursion", "retrain_fixed_point"]

n1, n2 = sp.symbols("n1 n2", integer=True, positive=True)  # model points, fresh real points
D, S = sp.symbols("D S", real=True)  # mu - mu_0 and sigma (random, current generation)
d2, v = sp.symbols("d2 v", nonnegative=True)  # E[D^2], E[S^2]
Z1, Z2, X1, X2 = sp.symbols("Z1 Z2 X1 X2", real=True)
lam = sp.Symbol("lambda", positive=True)
Nreal = sp.Symbol("N", integer=True, positive=True)
sigma = sp.Symbol("sigma", positive=True)


def _expect(poly_expr: sp.Expr, moments: dict) -> sp.Expr:
    """E of a polynomial in independent D, S, Z1, Z2, X1, X2 given each variable's moments.

    ``moments[var][k]`` is E[var^k] for the fresh variables Z1, Z2, X1, X2, independent
    of everything else; (D, S) are the current generation's and enter only through
    E[D] = 0, E[D^2] = d2 and E[S^2] = v (any other (D, S) monomial with a non-zero
    factor is refused, not guessed).
    """
    gens = (D, S, Z1, Z2, X1, X2)
    joint = {(0, 0): 1, (2, 0): d2, (0, 2): v, (1, 0): 0}  # E[D] = 0: the mean error starts at 0
    total = sp.Integer(0)
    for monom, coeff in sp.Poly(sp.expand(poly_expr), *gens).terms():
        term = coeff
        for var, k in zip(gens[2:], monom[2:]):
            term *= moments[var][k] if k else 1
        if term == 0:  # a lone zero-mean factor independent of everything else
            continue
        if monom[:2] not in joint:
            raise ValueError(f"moment D^{monom[0]} S^{monom[1]} is not tracked by the recursion")
        total += term * joint[monom[:2]]
    return _canonical(total)


def _canonical(e: sp.Expr) -> sp.Expr:
    """A rational function of the symbols in lowest terms (``cancel``; ``simplify`` where it is not rational)."""
    e = sp.together(sp.expand(e))
    return sp.factor(sp.cancel(e)) if e.is_rational_function() else sp.simplify(e)


@functools.cache
def mix_recursion(estimator: str) -> tuple[sp.Matrix, sp.Matrix]:
    """(A, b) with (E[D'^2], E[S'^2]) = A (E[D^2], E[S^2]) + b, in n1, n2 and sigma0."""
    ddof = 1 if estimator == "unbiased" else 0
    G.variance_scale(estimator)  # validates the estimator name
    k = [s for s in G.chi2_moment().free_symbols if s.name == "k"][0]
    chi = lambda df: {1: sp.gammasimp(sp.expand_func(G.chi2_moment().subs({G.r: 1, k: df}))),  # noqa: E731
                      2: sp.gammasimp(sp.expand_func(G.chi2_moment().subs({G.r: 2, k: df})))}
    moments = {Z1: {1: 0, 2: 1}, Z2: {1: 0, 2: 1}, X1: chi(n1 - 1), X2: chi(n2 - 1)}
    Mtot = n1 + n2
    b1 = G.mu0 + D + S * Z1 / sp.sqrt(n1)
    b2 = G.mu0 + G.sigma0 * Z2 / sp.sqrt(n2)
    mean_new = (n1 * b1 + n2 * b2) / Mtot
    ss_new = S**2 * X1 + G.sigma0**2 * X2 + n1 * n2 / Mtot * (b1 - b2) ** 2
    e_d2 = _expect((mean_new - G.mu0) ** 2, moments)
    e_v = _expect(ss_new / (Mtot - ddof), moments)
    A = sp.Matrix([[sp.diff(e_d2, d2), sp.diff(e_d2, v)], [sp.diff(e_v, d2), sp.diff(e_v, v)]]).applyfunc(_canonical)
    b = sp.Matrix([e_d2.subs({d2: 0, v: 0}), e_v.subs({d2: 0, v: 0})]).applyfunc(_canonical)
    return A, b


@functools.cache
def mix_fixed_point(estimator: str) -> sp.Matrix:
    """The stationary (E[(mu - mu_0)^2], E[sigma^2]): the solution of x = A x + b."""
    A, b = mix_recursion(estimator)
    x = sp.Matrix(sp.symbols("x1 x2"))
    sol = sp.solve(list(A * x + b - x), list(x), dict=True)
    if len(sol) != 1:  # pragma: no cover
        raise RuntimeError(f"no unique fixed point: {sol}")
    return sp.Matrix([sp.factor(sp.simplify(sol[0][s])) for s in x])


def mix_moments(estimator: str, n_model: int, n_real: int, generations: int, sigma0: float = 1.0):
    """Exact (E[(mu_g - mu_0)^2], E[sigma_g^2]) for g = 0..generations (rational arithmetic).

    Generation 1 is fitted to real data only (D_0 = M fresh points), as in the loop.
    """
    from collapse.core.validation import check_int, check_positive_real

    a_n = check_int("n_model", n_model, minimum=1)
    r_n = check_int("n_real", n_real, minimum=2)
    g_n = check_int("generations", generations, minimum=0)
    s0 = sp.nsimplify(check_positive_real("sigma0", sigma0))
    A, b = mix_recursion(estimator)
    sub = {n1: a_n, n2: r_n, G.sigma0: s0}
    A, b = A.subs(sub), b.subs(sub)
    m = a_n + r_n
    ddof = 1 if estimator == "unbiased" else 0
    x = sp.Matrix([0, s0**2])
    out = [x]
    for g in range(g_n):
        x = sp.Matrix([s0**2 / m, s0**2 * sp.Rational(m - 1, m - ddof)]) if g == 0 else A * x + b
        out.append(x)
    return [(float(e[0]), float(e[1])) for e in out]


@functools.cache
def retrain_recursion() -> tuple[sp.Expr, sp.Expr]:
    """(rate, noise): E[(mu' - xbar)^2] = rate^2 E[(mu - xbar)^2] + noise (Bertrand et al. 2024)."""
    Z = sp.Symbol("Z", real=True)
    Dm = sp.Symbol("Dm", real=True)  # mu - xbar
    b_minus_xbar = Dm + sigma * Z / sp.sqrt(lam * Nreal)
    new = (lam * Nreal * b_minus_xbar) / ((1 + lam) * Nreal)  # mu' - xbar
    poly = sp.Poly(sp.expand(new**2), Dm, Z)
    e = sum(c * (sp.Symbol("e2") if m == (2, 0) else 1 if m == (0, 2) else 0) for m, c in poly.terms())
    rate2 = sp.simplify(sp.diff(e, sp.Symbol("e2")))
    return sp.factor(sp.sqrt(sp.factor(rate2))), sp.factor(sp.simplify(e.subs(sp.Symbol("e2"), 0)))


def retrain_fixed_point() -> sp.Expr:
    """Stationary E[(mu - xbar)^2] = noise / (1 - rate^2) = lambda sigma^2 / (N (1 + 2 lambda))."""
    rate, noise = retrain_recursion()
    return sp.factor(sp.simplify(noise / (1 - rate**2)))
