r"""The real-data advisor: the smallest knob value whose exact value meets a target.

Given a family, a target and a horizon of G generations, :func:`advise` searches one
knob and answers with the smallest value of it that meets the target:

``fresh``       the fraction gamma of fresh real data per generation (the paper's
                ``mix:1-gamma,0,gamma``; the loop trains on M - round(gamma M) model
                points and round(gamma M) fresh ones, so the answer is n_real / M);
``samples``     the constant sample size M (replace), or with ``growth`` the rate r of
                the schedule M_i = floor(M_0 r^i + 1/2), i = 0..G-1;
``accumulate``  the constant M when every generation refits on all points so far;
``weight``      (Gaussian) He, Xu & Cheng's optimal weight of the real data, w* = (sqrt(1 + 4K) - 1)/(2K)
                (:func:`collapse.analytic.weighting.optimal_weight`) for the ``weight:W,K`` regime
                (round(M/(1 + K)) fresh real points, the rest from the model, weight w* on the real
                part): no search, the optimum of the stationary mean error, and whether it meets the
                target, E[sigma^2] / sigma_0^2 iterated exactly through
                :func:`~collapse.analytic.weighting.weight_step` (E[W2^2] is refused: the weighted chain
                has no E[sigma_G] here).

Targets. Gaussian (1-D, truth N(0, sigma_0^2), ``unbiased`` or ``mle`` variance):
E[W2^2(model_G, truth)] <= eps (``w2``), or E[sigma_G^2] / sigma_0^2 >= tau (``sigma2``).
Discrete (categorical refitted by frequencies): the expected p_0-mass of the tail states
still in generation G's model, as a fraction of the tail's mass, >= tau (``kept``); the
tail is the ``ceil(q K)`` states of smallest p_0 (ties by index), q = 1 all states.
``over="all"`` asks it of every generation g = 1..G (max of E[W2^2], min of the others).

Where the values come from (each an exact computation, no sampling):

- Gaussian, replace: :func:`collapse.analytic.numeric.gaussian_values` (constant M) and
  :func:`~collapse.analytic.numeric.gaussian_schedule_values` (Theorem 3.1's closed forms).
  Both E[W2^2] and E[sigma_g^2]/sigma_0^2 are monotone in g there (Var[mu_g] grows, E[sigma_g]
  shrinks; for ``mle`` Var[mu_g] + E[sigma_g^2] = sigma_0^2), so ``over="all"`` is the value at G.
- Gaussian, E[sigma^2] under fresh data: the recursion of
  :func:`collapse.analytic.gaussian_mixing.mix_recursion`, iterated; under accumulate
  :func:`~collapse.analytic.numeric.gaussian_accumulate_values`.
- Gaussian, E[W2^2] under fresh data or accumulate: W2^2 = (mu - mu_0)^2 + (sigma - sigma_0)^2
  needs E[sigma_G], which has no closed form there. :func:`gaussian_moments` propagates the
  joint moments E[(mu_g - mu_0)^a sigma_g^b] (a, b even, a + b <= 24) through the loop's update
  (a linear recursion, below), in Decimal arithmetic (no overflow of E[sigma^24]); with t =
  sigma^2 / sigma_0^2, :func:`sqrt_mean_bounds` brackets E[sqrt t] by the Gauss and Gauss-Radau
  rules of t's law (the sharp Markov-Krein bounds given E[t^k], k <= 12), their recurrence
  computed from the moments in exact rationals (Chebyshev's algorithm; the Hankel matrices'
  positive definiteness decided exactly, an order that is not dropped and said so), the nodes
  at 40 and 80 digits. :func:`w2_brackets` repeats the moments at 40, 80, ... digits until the
  recurrences agree, so E[W2^2] lies in a verified interval [lo, hi] (floats rounded outward).
  The answer is the smallest value whose ``hi`` meets the target (it certainly does); the
  smallest one whose ``lo`` meets it is reported too (below it none can).
- Discrete, replace: :func:`collapse.analytic.wright_fisher.loss_at` (the binomial chain of
  one state's count), and for a growing schedule the same chain with M_g changing
  (:func:`presence_curve`); fresh data: the count of one state is the Markov chain
  C' = Binomial(M - n_real, C / M) + Binomial(n_real, p_0(i)) on {0..M} (:func:`presence_curve`);
  accumulate: the pool keeps every point of D_0 and a state absent from D_0 is never drawn
  again, so a state is present at every g >= 1 iff D_0 has it, with probability
  1 - (1 - p_0(i))^M (:func:`collapse.analytic.discrete.loss_probability`), whatever G.

The search. Every knob here is an integer (n_real, M) except the growth rate r; the
target is assumed monotone in the knob (more real data, larger samples), the answer is
found by bisection on the integers (exact) or on r to a relative width of
:data:`RATE_TOLERANCE`, and the value just below the answer is evaluated and reported, so a
reader sees that it fails. A target no knob value reaches is an answer too (``met`` False,
with the best value reached).

References: Shumailov et al. (2024), "Theoretical intuition" (p_(i+1) = alpha p_theta +
beta p_i + gamma p_0), Theorem 3.1, "Discrete distributions with exact approximation";
Gerstgrasser et al., "Is model collapse inevitable?" (2024) for accumulate; Krein & Nudel'man, The Markov Moment
Problem and Extremal Problems (1977), Chapter III (the sharp bounds); Gautschi, Orthogonal Polynomials:
Computation and Approximation (2004), Section 2.1 (Chebyshev's algorithm).
"""

from __future__ import annotations

import dataclasses
import decimal
import functools
import itertools
import math
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction

import numpy as np
from collapse.core.validation import (
    InvalidArgument,
    check_choice,
    check_int,
    check_positive_real,
)

__all__ = [
    "KNOBS", "RATE_TOLERANCE", "TARGETS", "Advice", "Bracket", "Problem", "advise", "discrete_value",
    "gaussian_moments", "gaussian_value", "geometric_schedule", "presence_curve", "sqrt_mean_bounds",
    "tail_states", "w2_bounds", "w2_brackets", "zipf_truth",
]

KNOBS = ("fresh", "samples", "accumulate", "weight")
TARGETS = {"gaussian": ("w2", "sigma2"), "discrete": ("kept",)}
#: bisection on the growth rate r stops when (r_hi - r_lo) <= RATE_TOLERANCE * r_hi
RATE_TOLERANCE = 1e-6
#: j of the E[sigma] bounds: joint moments up to total degree 4 j (E[sigma^24] at j = 6)
BOUND_ORDER = 6
#: the largest work (states x M^2 x generations) of one evaluation of the discrete chain
MAX_DISCRETE_WORK = 2 * 10 ** 9


# ------------------------------------------------------------------ the truth
def zipf_truth(states: int, exponent: float) -> tuple[float, ...]:
    """p_0(k) proportional to k^(-exponent), k = 1..states; exponent 0 is the uniform distribution."""
    k = check_int("states (K)", states, minimum=1)
    if isinstance(exponent, bool) or not (isinstance(exponent, (int, float)) and 0 <= exponent < math.inf):
        raise InvalidArgument("zipf exponent", "a finite number >= 0 (0: uniform)", exponent)
    w = np.arange(1, k + 1, dtype=float) ** -float(exponent)
    return tuple(float(v) for v in w / w.sum())


def tail_states(p0: Sequence[float], quantile: float) -> np.ndarray:
    """Indices of the ``ceil(quantile K)`` states of smallest p_0 (ties broken by index); 1: every state."""
    if not (isinstance(quantile, (int, float)) and 0 < quantile <= 1):
        raise InvalidArgument("tail quantile", "a number in (0, 1]", quantile)
    p = np.asarray(p0, dtype=float)
    n = max(1, math.ceil(quantile * p.size - 1e-12))
    return np.sort(np.argsort(p, kind="stable")[:n])


def geometric_schedule(m0: int, rate: float, generations: int) -> tuple[int, ...]:
    """M_i = floor(M_0 r^i + 1/2) for i = 0..generations-1 (M_0 trains generation 1)."""
    return tuple(int(math.floor(m0 * rate**i + 0.5)) for i in range(generations))


# ------------------------------------------------------------------ Gaussian joint moments
def _keys(degree: int) -> list[tuple[int, int]]:
    return [(a, b) for a in range(0, degree + 1, 2) for b in range(0, degree + 1 - a, 2)]


def _pmul(p: dict, q: dict) -> dict:
    out: dict = {}
    for (a, b), x in p.items():
        for (c, d), y in q.items():
            out[(a + c, b + d)] = out.get((a + c, b + d), 0) + x * y
    return out


def _padd(*terms: tuple) -> dict:
    """sum of coefficient * polynomial; polynomials in (D, S) as {(i, j): coefficient of D^i S^j}."""
    out: dict = {}
    for c, p in terms:
        for k, x in p.items():
            out[k] = out.get(k, 0) + c * x
    return out


def _chi2_moments(df: int | None, top: int, one) -> list:
    """E[X^i], i = 0..top, X ~ chi2_df (df None: X = 0, a batch that is not there)."""
    out = [one]
    for i in range(top):
        out.append(0 * one if df is None else out[-1] * (df + 2 * i))
    return out


def _normal_moments(var, top: int, one) -> list:
    """E[A^i], i = 0..top, A ~ N(0, var): (i - 1)!! var^(i/2) for even i, 0 for odd."""
    out = [one, 0 * one]
    for i in range(2, top + 1):
        out.append(out[i - 2] * (i - 1) * var)
    return out


def _bivariate(mu1: dict, mu2: dict, s11: dict, s12: dict, s22: dict, degree: int) -> dict:
    """E[Y1^a Y2^b] for a Gaussian (Y1, Y2) whose means and covariances are polynomials in (D, S).

    Stein's identity E[(Y1 - mu1) g(Y)] = s11 E[d1 g] + s12 E[d2 g], with g = Y1^(a-1) Y2^b.
    """
    E: dict = {(0, 0): {(0, 0): 1}}
    for b in range(1, degree + 1):
        E[(0, b)] = _padd((1, _pmul(mu2, E[(0, b - 1)])), *(((b - 1), _pmul(s22, E[(0, b - 2)])),) if b > 1 else ())
    for a in range(1, degree + 1):
        for b in range(degree + 1 - a):
            terms = [(1, _pmul(mu1, E[(a - 1, b)]))]
            if a > 1:
                terms.append((a - 1, _pmul(s11, E[(a - 2, b)])))
            if b > 0:
                terms.append((b, _pmul(s12, E[(a - 1, b - 1)])))
            E[(a, b)] = _padd(*terms)
    return E


def _to_row(poly: dict, index: dict, scale) -> dict:
    row: dict = {}
    for k, x in poly.items():
        if x == 0:
            continue
        if k not in index:  # odd powers cancel by the symmetry (D, Z) -> (-D, -Z); a survivor is a defect
            raise AssertionError(f"moment D^{k[0]} S^{k[1]} outside the tracked set")
        row[index[k]] = row.get(index[k], 0) + x * scale
    return row


def _mix_step(n_model: int, n_real: int, ddof: int, s0, degree: int, one) -> list[dict]:
    r"""Rows of the linear map old moments -> new moments for one generation on n_model + n_real points.

    With D = mu - mu_0, S = sigma, A = Z_1 / sqrt(n_model), B = Z_2 / sqrt(n_real) and batch sums of
    squares S^2 X_1, s0^2 X_2 (X ~ chi2_(n-1), Cochran): D' = w_1 (D + S A) + w_2 s0 B, w = n / M, and
    (M - ddof) S'^2 = S^2 X_1 + s0^2 X_2 + c U^2 with U = D + S A - s0 B the batch-mean difference,
    c = n_model n_real / M. (D', U) is Gaussian given (D, S); X_1, X_2 are independent of it.
    """
    m = n_model + n_real
    mf = one * m
    both = n_model > 0 and n_real > 0
    zero = {}
    mu1 = {(1, 0): one * n_model / mf} if n_model else zero
    s11 = _padd((one * n_model / mf**2, {(0, 2): 1}), (one * n_real * s0**2 / mf**2, {(0, 0): 1}))
    mu2 = {(1, 0): one} if both else zero
    s22 = _padd((one / n_model, {(0, 2): 1}), (one * s0**2 / n_real, {(0, 0): 1})) if both else zero
    s12 = _padd((1 / mf, {(0, 2): 1}), (-s0**2 / mf, {(0, 0): 1})) if both else zero
    E = _bivariate(mu1, mu2, s11, s12, s22, degree)
    top = degree // 2
    x1 = _chi2_moments(n_model - 1 if n_model else None, top, one)
    x2 = _chi2_moments(n_real - 1 if n_real else None, top, one)
    c = one * n_model * n_real / mf
    keys = _keys(degree)
    index = {k: j for j, k in enumerate(keys)}
    rows = []
    for a, b in keys:
        k = b // 2
        terms = []
        for i in range(k + 1):
            for l_ in range(k - i + 1):
                mm = k - i - l_
                w = math.factorial(k) // (math.factorial(i) * math.factorial(l_) * math.factorial(mm))
                coef = w * x1[i] * x2[l_] * s0 ** (2 * l_) * (c**mm if mm else one)  # 0^0 = 1
                if coef != 0:
                    terms.append((coef, _pmul({(0, 2 * i): 1}, E[(a, 2 * mm)])))
        rows.append(_to_row(_padd(*terms), index, 1 / (one * (m - ddof)) ** k))
    return rows


def _accumulate_step(pooled: int, m: int, ddof: int, degree: int, one) -> list[dict]:
    r"""Rows of the moment map for one generation of ``accumulate`` (a pool of ``pooled`` > 0 points gains m).

    D' = D + v S A and S'^2 = S^2 (c_0 + X + h A^2) / (N + M - ddof), with A ~ N(0, 1/M), X ~ chi2_(M-1),
    v = M / (N + M), h = N M / (N + M), c_0 = N - ddof (the pool's sum of squares S^2 (N - ddof) plus the new
    batch's, plus the merge term; Chan et al.): so E[D'^a S'^(2k)] = sum_r C(a, r) v^r E[A^r F^k] E[D^(a-r)
    S^(r+2k)] with F = (c_0 + X + h A^2) / (N + M - ddof).
    """
    n = one * pooled
    v, h, c0, den = m / (n + m), n * m / (n + m), n - ddof, n + m - ddof
    top = degree
    ea = _normal_moments(1 / (one * m), 2 * top, one)
    ex = _chi2_moments(m - 1, top, one)
    keys = _keys(degree)
    index = {k: j for j, k in enumerate(keys)}
    rows = []
    for a, b in keys:
        k = b // 2
        row: dict = {}
        for r in range(0, a + 1, 2):
            eaf = 0 * one
            for i in range(k + 1):
                for l_ in range(k - i + 1):
                    mm = k - i - l_
                    w = math.factorial(k) // (math.factorial(i) * math.factorial(l_) * math.factorial(mm))
                    eaf += w * (c0**i if i else one) * ex[l_] * h**mm * ea[r + 2 * mm]  # 0^0 = 1
            coef = math.comb(a, r) * v**r * eaf / den**k
            j = index[(a - r, r + b)]
            row[j] = row.get(j, 0) + coef
        rows.append(row)
    return rows


def _apply(rows: list[dict], vec: list) -> list:
    return [sum((c * vec[j] for j, c in row.items()), 0 * vec[0]) for row in rows]


def gaussian_moments(estimator: str, regime: str, schedule: Sequence[int], sigma0: float = 1.0, *,
                     n_real: int = 0, order: int = BOUND_ORDER, exact: bool = False,
                     digits: int | None = None) -> list[dict]:
    r"""E[(mu_g - mu_0)^a sigma_g^b] for g = 0..G, every even a, b with a + b <= 4 ``order``.

    Parameters
    ----------
    estimator : {"unbiased", "mle"}
    regime : {"replace", "fresh", "accumulate"}
        ``fresh``: each generation g >= 1 trains on M_g - n_real model points and ``n_real`` fresh ones.
    schedule : sequence of int, length G
        M_g, the size of the training set of generation g + 1 (D_0 is M_0 real points in every regime).
    sigma0 : float
        The truth's standard deviation (mu_0 = 0).
    exact : bool
        Rational arithmetic (``fractions.Fraction``; sigma0 is read as the rational of its decimal repr).
    digits : int, optional
        Decimal arithmetic at this many significant digits (unbounded exponent: no overflow), sigma0 read as
        above; floats when neither ``exact`` nor ``digits`` is given (E[sigma^24] may overflow there).

    Returns
    -------
    list of dict, length G + 1
        ``{(a, b): E[D^a S^b]}`` per generation.
    """
    ddof = {"unbiased": 1, "mle": 0}[check_choice("estimator", estimator, ("unbiased", "mle"))]
    check_choice("regime", regime, ("replace", "fresh", "accumulate"))
    if digits is not None and not exact:
        check_int("digits", digits, minimum=16)
        with decimal.localcontext(decimal.Context(prec=digits, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                                                  traps=[decimal.InvalidOperation, decimal.DivisionByZero])):
            return _moments(ddof, regime, schedule, Decimal(1), Decimal(repr(float(sigma0))), n_real, order, True)
    one = Fraction(1) if exact else 1.0
    s0 = Fraction(repr(float(sigma0))) if exact else float(sigma0)
    return _moments(ddof, regime, schedule, one, s0, n_real, order, exact)


def _moments(ddof: int, regime: str, schedule: Sequence[int], one, s0, n_real: int, order: int,
             exact: bool) -> list[dict]:
    degree = 4 * check_int("order", order, minimum=1)
    keys = _keys(degree)
    vec = [s0**b if a == 0 else 0 * one for a, b in keys]
    out = [dict(zip(keys, vec))]
    pooled, cache = 0, {}
    for g, m in enumerate(schedule):
        if g == 0:
            spec = ("mix", 0, m)  # D_0: M_0 real points
        elif regime == "accumulate":
            spec = ("acc", pooled, m)
        else:
            spec = ("mix", m - (n_real if regime == "fresh" else 0), n_real if regime == "fresh" else 0)
        if spec not in cache:
            cache[spec] = (_mix_rows(spec[1], spec[2], ddof, s0, degree, one, _precision(one)) if spec[0] == "mix"
                           else _accumulate_step(spec[1], spec[2], ddof, degree, one))
        rows = cache.pop(spec) if spec[0] == "acc" else cache[spec]
        vec = _matvec(rows, vec, len(keys), exact)
        pooled += m
        out.append(dict(zip(keys, vec)))
    return out


def _precision(one) -> tuple[str, int | None]:
    """The arithmetic of ``one``: its type (1.0 == Fraction(1) == Decimal(1) hash alike) and Decimal precision."""
    return type(one).__name__, (decimal.getcontext().prec if isinstance(one, Decimal) else None)


@functools.lru_cache(maxsize=32)
def _mix_rows(n_model: int, n_real: int, ddof: int, s0, degree: int, one, arithmetic: tuple) -> list[dict]:
    """:func:`_mix_step`, cached (the rows of D_0 and of each share recur across the search's evaluations);
    ``arithmetic`` (:func:`_precision`) is part of the key. The rows are read, never changed."""
    return _mix_step(n_model, n_real, ddof, s0, degree, one)


def _matvec(rows: list[dict], vec: list, n: int, exact: bool) -> list:
    if exact:
        return _apply(rows, vec)
    mat = np.zeros((n, n))
    for i, row in enumerate(rows):
        for j, c in row.items():
            mat[i, j] = c
    return list(mat @ np.asarray(vec, dtype=float))


#: digits of the eigenvalues of the Jacobi matrices (the recurrence coefficients themselves are exact)
NODE_DIGITS = 40
#: digits of the joint moments (Decimal), tried in turn until two successive ones agree (see :func:`w2_brackets`)
MOMENT_DIGITS = (40, 80, 160, 320)
#: two precisions agree when every recurrence coefficient moves by at most this, relative
COEFFICIENTS_AGREE = Fraction(1, 10 ** 30)
#: an agreed bracket is widened by this, relative to its value (far above what a coefficient error of
#: COEFFICIENTS_AGREE can move a Gauss sum whose nodes are resolved to NODE_DIGITS)
AGREE = 1e-20


def _as_fraction(v) -> Fraction:
    """The exact rational value of an int, Fraction, float, Decimal or mpmath number."""
    if isinstance(v, (int, Fraction)):
        return Fraction(v)
    if isinstance(v, (float, Decimal)):
        finite = v.is_finite() if isinstance(v, Decimal) else math.isfinite(v)
        if not finite:
            raise InvalidArgument("moments", "finite numbers (E[sigma^k] overflowed? use digits=)", v)
        return Fraction(v)
    import mpmath

    if isinstance(v, mpmath.mpf):
        if not mpmath.isfinite(v):
            raise InvalidArgument("moments", "finite numbers", v)
        man, exp = v.man_exp
        return Fraction(int(man) * 2**exp) if exp >= 0 else Fraction(int(man), 2**-exp)
    raise InvalidArgument("moments", "numbers (int, Fraction, float, Decimal, mpmath.mpf)", type(v).__name__)


def _recurrence(m: Sequence[Fraction], n: int) -> tuple[list[Fraction], list[Fraction]]:
    r"""alpha_k, beta_k (k < n') of the monic orthogonal polynomials of the measure with moments m_0..m_(2n-1), exact.

    Chebyshev's algorithm (Gautschi, Orthogonal Polynomials: Computation and Approximation (2004),
    Algorithm 2.1) in rational arithmetic: beta_k = det H_(k+1) det H_(k-1) / det H_k^2 with H_k the k x k Hankel
    matrix, so beta_0..beta_(k-1) > 0 iff H_k is positive definite. n' <= n is the largest order with every
    beta > 0 (a measure on n' points has beta_(n') = 0; rounded moments may give beta < 0 there).
    """
    prev, sig = [Fraction(0)] * (2 * n), list(m[:2 * n])
    if sig[0] <= 0:
        return [], []
    alpha, beta = [sig[1] / sig[0]], [sig[0]]
    for k in range(1, n):
        new = [Fraction(0)] * (2 * n)
        for l_ in range(k, 2 * n - k):
            new[l_] = sig[l_ + 1] - alpha[k - 1] * sig[l_] - beta[k - 1] * prev[l_]
        if new[k] <= 0:
            break
        alpha.append(new[k + 1] / new[k] - sig[k] / sig[k - 1])
        beta.append(new[k] / sig[k - 1])
        prev, sig = sig, new
    return alpha, beta


def _gauss_sum(alpha: list[Fraction], beta: list[Fraction], f, digits: int, start: list | None = None):
    """sum_i w_i f(x_i) of the Gauss rule with recurrence (alpha, beta), nodes and weights at ``digits`` digits.

    Nodes: the eigenvalues of the Jacobi matrix (diagonal alpha, off-diagonal sqrt(beta_k), k >= 1); weights the
    Christoffel numbers w_i = 1 / sum_k p_k(x_i)^2 of the orthonormal polynomials (p_0 = beta_0^(-1/2)).
    None when a node is not > 0 (f is evaluated on (0, oo) only). Returns (sum, nodes); ``start``: nodes of a
    lower precision to refine (Newton's method, :func:`_newton_nodes`).
    """
    import mpmath

    with mpmath.workdps(digits):
        def mp(q: Fraction):
            return mpmath.mpf(q.numerator) / q.denominator

        n = len(alpha)
        a = [mp(x) for x in alpha]
        sb = [mpmath.sqrt(mp(x)) for x in beta]
        nodes = [a[0]] if n == 1 else _newton_nodes(a, [mp(x) for x in beta], n, start)
        if nodes is None:
            J = mpmath.matrix(n, n)
            for i in range(n):
                J[i, i] = a[i]
                if i + 1 < n:
                    J[i, i + 1] = J[i + 1, i] = sb[i + 1]
            try:
                nodes = list(mpmath.eigsy(J, eigvals_only=True))
            except (RuntimeError, ArithmeticError, ValueError):  # no convergence: no rule (a wider bracket)
                return None, None
        total = mpmath.mpf(0)
        for x in nodes:
            if not x > 0:
                return None, None
            p_prev, p = mpmath.mpf(0), 1 / sb[0]
            s = p * p
            for k in range(n - 1):
                p_prev, p = p, ((x - a[k]) * p - (sb[k] if k else 0) * p_prev) / sb[k + 1]
                s += p * p
            total += f(x) / s
        return total, nodes


def _newton_nodes(a: list, b: list, n: int, start: list | None = None) -> list | None:
    """The n zeros of the monic p_n (p_(k+1) = (x - a_k) p_k - b_k p_(k-1)) by Newton's method from the float
    eigenvalues of the Jacobi matrix, at the working precision; None unless n distinct zeros, each bracketed by a
    sign change of p_n, are found (the caller then takes mpmath's eigensolver)."""
    import mpmath

    try:
        if start is not None and len(start) == n:
            raise LookupError  # refine the given nodes
        af, bf = np.array([float(x) for x in a]), np.sqrt(np.array([float(x) for x in b[1:]]))
        if not (np.all(np.isfinite(af)) and np.all(np.isfinite(bf)) and np.all(bf > 0)):
            return None
        guess = np.linalg.eigvalsh(np.diag(af) + np.diag(bf, 1) + np.diag(bf, -1))
    except LookupError:
        guess = start
    except (np.linalg.LinAlgError, OverflowError, ValueError):
        return None

    def p_dp(x):
        p0, p1, d0, d1 = mpmath.mpf(0), mpmath.mpf(1), mpmath.mpf(0), mpmath.mpf(0)
        for k in range(n):
            p0, p1, d0, d1 = p1, (x - a[k]) * p1 - (b[k] if k else 0) * p0, d1, p1 + (x - a[k]) * d1 - (b[k] if k else 0) * d0
        return p1, d1

    eps = mpmath.mpf(2) ** (-mpmath.mp.prec + 8)
    nodes = []
    for x0 in guess:
        x = mpmath.mpf(x0)
        for _ in range(200):
            p, dp = p_dp(x)
            if dp == 0:
                return None
            step = p / dp
            x -= step
            if abs(step) <= eps * abs(x):
                break
        else:
            return None
        d = max(abs(x) * eps * 16, mpmath.mpf(2) ** (-mpmath.mp.prec * 2))
        if p_dp(x - d)[0] * p_dp(x + d)[0] > 0:
            return None
        nodes.append(x)
    nodes.sort()
    if any(not y - x > 64 * eps * max(abs(x), abs(y)) for x, y in itertools.pairwise(nodes)):
        return None
    return nodes


def _sqrt_bracket(m: Sequence[Fraction]) -> tuple:
    """(lo, hi, (n_hi, n_lo), digits) of E[sqrt t] as mpmath numbers, from exact moments m_0..m_K.

    Each Gauss sum at NODE_DIGITS and at twice that many digits (and more while they differ); the bracket is
    widened by the difference. Falls back to Jensen's sqrt(m_0 m_1) and 0 where no rule exists.
    """
    import mpmath

    K = len(m) - 1
    rec_hi = _recurrence(m, (K + 1) // 2)  # m_0..m_(2n-1): the Gauss rule of t's law, overestimates sqrt
    rec_lo = _recurrence(m[1:], K // 2)  # the Gauss rule of t dP for t^(-1/2): underestimates
    digits = NODE_DIGITS
    while True:
        res = []
        x_hi = x_lo = None
        for d in (digits, 2 * digits):
            hi, x_hi = _gauss_sum(*rec_hi, mpmath.sqrt, d, x_hi) if rec_hi[0] else (None, None)
            lo, x_lo = _gauss_sum(*rec_lo, lambda x: 1 / mpmath.sqrt(x), d, x_lo) if rec_lo[0] else (None, None)
            res.append((lo, hi))
        (lo1, hi1), (lo2, hi2) = res
        with mpmath.workdps(2 * digits):
            jensen = mpmath.sqrt(mpmath.mpf(m[0].numerator) / m[0].denominator
                                 * mpmath.mpf(m[1].numerator) / m[1].denominator)
            lo_ok, hi_ok = lo1 is not None and lo2 is not None, hi1 is not None and hi2 is not None
            gap = max([abs(lo1 - lo2)] * lo_ok + [abs(hi1 - hi2)] * hi_ok, default=mpmath.mpf(0))
            if gap <= mpmath.mpf(10) ** (-digits // 2) * jensen or digits >= 8 * NODE_DIGITS:
                lo = max(mpmath.mpf(0), min(lo1, lo2) - gap) if lo_ok else mpmath.mpf(0)
                hi = min(jensen, max(hi1, hi2) + gap) if hi_ok else jensen
                return lo, max(lo, hi), (len(rec_hi[0]) * hi_ok, len(rec_lo[0]) * lo_ok), 2 * digits
        digits *= 2


def _down(x) -> float:
    return math.nextafter(math.nextafter(float(x), -math.inf), -math.inf)


def _up(x) -> float:
    return math.nextafter(math.nextafter(float(x), math.inf), math.inf)


@dataclasses.dataclass(frozen=True)
class Bracket:
    """lo <= value <= hi (floats, rounded outward); iterating gives (lo, hi).

    ``nodes``: the points of the upper (Gauss) and lower (Gauss-Radau) rules used, ``wanted`` those the moments
    would allow; ``note`` says why fewer were used (empty when none were dropped).
    """

    lo: float
    hi: float
    nodes: tuple[int, int] = (0, 0)
    wanted: tuple[int, int] = (0, 0)
    note: str = ""

    def __iter__(self):
        return iter((self.lo, self.hi))


def sqrt_mean_bounds(t_moments: Sequence) -> Bracket:
    r"""Bounds (lo, hi) on E[sqrt(t)] for t >= 0 with raw moments E[t^k], k = 0..K (m_0 the mass).

    The moments are read as exact rationals (ints, Fractions, floats, Decimals, mpmath numbers: each by its
    exact value), and the orthogonal-polynomial recurrence is computed from them in rational arithmetic
    (:func:`_recurrence`), so the positive definiteness of every Hankel matrix is decided exactly; only the
    nodes (eigenvalues of the Jacobi matrix) are rounded, at 40 and 80 digits, and the bracket is widened by
    their difference and rounded outward to floats.

    hi: the n-point Gauss rule of t's law, n = ceil(K / 2) (moments m_0..m_(2n-1)); its error is
    f^(2n)(xi) / (2n)! E[pi_n(t)^2] with f^(2n) < 0 for sqrt, so it overestimates. lo: Gauss-Radau with a node
    at 0, i.e. the Gauss rule of the measure t dP (moments m_1..m_(2n), n = floor(K / 2)) applied to t^(-1/2),
    whose derivatives of even order are > 0: it underestimates. These are the sharp bounds given those moments
    (Markov-Krein). Where a Hankel matrix is not positive definite the rule of the largest order that is
    is used (``nodes`` < ``wanted``, said in ``note``); for a law on n atoms the n-point rule is the law itself.
    Jensen's E[sqrt t] <= sqrt(m_0 E[t]) and E[sqrt t] >= 0 are kept when sharper.
    """
    m = [_as_fraction(v) for v in t_moments]
    if len(m) < 2 or m[0] <= 0 or any(v < 0 for v in m[::2]) or m[1] < 0:
        raise InvalidArgument("t_moments", "E[t^k], k = 0..K >= 1, of a law on [0, oo) (m_0 > 0)",
                              [float(v) for v in m[:3]])
    K = len(m) - 1
    wanted = ((K + 1) // 2, K // 2)
    lo, hi, nodes, _ = _sqrt_bracket(m)
    return Bracket(_down(lo) if lo > 0 else 0.0, _up(hi), nodes, wanted, _dropped(nodes, wanted))


def _dropped(nodes: tuple[int, int], wanted: tuple[int, int]) -> str:
    if nodes == wanted:
        return ""
    return (f"Gauss / Gauss-Radau rules on {nodes[0]} / {nodes[1]} nodes, not {wanted[0]} / {wanted[1]}: the "
            "moments' Hankel matrices of higher order are not positive definite (a law on few points, or moments "
            "rounded beyond what that order can resolve)")


def _w2_mp(moments: dict, s0: Fraction, order: int | None = None):
    """(lo, hi, nodes, wanted) of E[W2^2] as mpmath numbers from one generation's moments read exactly."""
    import mpmath

    top = max(b for a, b in moments if a == 0) // 2 if order is None else order
    t = [_as_fraction(moments[(0, 2 * k)]) / s0 ** (2 * k) for k in range(top + 1)]
    lo_es, hi_es, nodes, digits = _sqrt_bracket(t)
    base = _as_fraction(moments[(2, 0)]) + _as_fraction(moments[(0, 2)]) + s0**2
    with mpmath.workdps(digits):
        b = mpmath.mpf(base.numerator) / base.denominator
        c = 2 * mpmath.mpf(s0.numerator) ** 2 / mpmath.mpf(s0.denominator) ** 2
        return b - c * hi_es, b - c * lo_es, nodes, ((top + 1) // 2, top // 2)


def w2_bounds(moments: dict, sigma0: float) -> Bracket:
    r"""Bounds (lo, hi) on E[W2^2] = E[D^2] + E[S^2] - 2 sigma_0 E[S] + sigma_0^2 from one generation's moments.

    E[S] = sigma_0 E[sqrt(t)], t = S^2 / sigma_0^2, bracketed by :func:`sqrt_mean_bounds` from the moments
    E[t^k] that ``moments`` (one generation of :func:`gaussian_moments`) holds, read as exact numbers: the
    bracket is rigorous for those moments. Rounded moments (floats, or Decimals of too few digits) may be off
    by more than the bracket's width where the Hankel matrices are ill-conditioned: :func:`w2_brackets`
    computes the moments at increasing precision until the bracket no longer moves.
    """
    lo, hi, nodes, wanted = _w2_mp(moments, Fraction(repr(float(sigma0))))
    return Bracket(_down(lo), _up(hi), nodes, wanted, _dropped(nodes, wanted))


def w2_brackets(estimator: str, regime: str, schedule: Sequence[int], sigma0: float = 1.0, *, n_real: int = 0,
                generations: Sequence[int] | None = None) -> dict[int, Bracket]:
    r"""Verified brackets of E[W2^2] at each generation g of ``generations`` (default: the last).

    The joint moments (:func:`gaussian_moments`, Decimal arithmetic) are computed at MOMENT_DIGITS[0] and
    MOMENT_DIGITS[1] digits; a generation's bracket is accepted once the two give rules of the same order
    whose recurrence coefficients (computed exactly from each) agree to COEFFICIENTS_AGREE relative, and is
    then widened by AGREE of its value. Otherwise the digits double (up to
    MOMENT_DIGITS[-1]); a generation that still disagrees drops to the largest order 4 j (j < 6) of moments
    whose brackets agree (said in the bracket's note), down to j = 1: E[sigma^2], E[sigma^4], whose
    Jensen / Gauss-Radau bracket is well-conditioned at any precision.
    """
    import mpmath

    s0 = Fraction(repr(float(sigma0)))
    gens = [len(schedule)] if generations is None else list(generations)
    out: dict[int, Bracket] = {}
    history = []
    for digits in MOMENT_DIGITS:
        history.append(gaussian_moments(estimator, regime, schedule, sigma0, n_real=n_real, digits=digits))
        if len(history) > 1:
            for g in gens:
                if g not in out:
                    got = _agreed(history[-2][g], history[-1][g], s0, 2 * BOUND_ORDER, mpmath)
                    if got is not None:
                        out[g] = got
            if len(out) == len(gens):
                return out
    a, b = history[-2:]
    for g in gens:  # never agreed at full order: the largest order that does
        if g in out:
            continue
        for order in range(2 * BOUND_ORDER - 1, 1, -1):
            got = _agreed(a[g], b[g], s0, order, mpmath)
            if got is not None:
                out[g] = got
                break
        else:
            out[g] = _agreed(a[g], b[g], s0, 2, mpmath, force=True)
    return out


def _t_rules(moments: dict, s0: Fraction, order: int) -> tuple:
    """The exact recurrences of the upper and lower rules of :func:`_sqrt_bracket` for one generation."""
    m = [_as_fraction(moments[(0, 2 * k)]) / s0 ** (2 * k) for k in range(order + 1)]
    return _recurrence(m, (order + 1) // 2), _recurrence(m[1:], order // 2)


def _close(r1: tuple, r2: tuple) -> bool:
    """Two recurrences (alpha, beta) of the same length, every coefficient within COEFFICIENTS_AGREE relative."""
    for (a1, b1), (a2, b2) in zip(r1, r2):
        if len(a1) != len(a2):
            return False
        for x, y in zip(a1 + b1, a2 + b2):
            if abs(x - y) > COEFFICIENTS_AGREE * max(abs(x), abs(y)):
                return False
    return True


def _agreed(m1: dict, m2: dict, s0: Fraction, order: int, mpmath, force: bool = False) -> Bracket | None:
    """The bracket of the more precise moments m2, if m1's recurrences agree with m2's (the same rules, every
    coefficient within COEFFICIENTS_AGREE relative: the moments' rounding is then far below the rules' use of
    them), widened by AGREE of its value; ``force``: widened by its distance to m1's bracket whatever it is."""
    full = ((2 * BOUND_ORDER + 1) // 2, BOUND_ORDER)
    if force:
        lo1, hi1, _, _ = _w2_mp(m1, s0, order)
        lo2, hi2, n2, _ = _w2_mp(m2, s0, order)
        gap = max(abs(lo1 - lo2), abs(hi1 - hi2))
        lo, hi = min(lo1, lo2) - gap, max(hi1, hi2) + gap
    else:
        if not _close(_t_rules(m1, s0, order), _t_rules(m2, s0, order)):
            return None
        lo2, hi2, n2, _ = _w2_mp(m2, s0, order)
        slack = AGREE * abs(hi2)
        lo, hi = lo2 - slack, hi2 + slack
    note = _dropped(n2, full)
    if order < 2 * BOUND_ORDER:
        note = (f"moments up to E[sigma^{2 * order}] only (higher ones did not settle at "
                f"{MOMENT_DIGITS[-1]} digits); " + note)
    if not (mpmath.isfinite(lo) and mpmath.isfinite(hi)):
        raise InvalidArgument("E[W2^2] bracket", "finite values", (lo, hi))
    return Bracket(_down(lo), _up(hi), n2, full, note)


# ------------------------------------------------------------------ exact values of a target
def _mix_sigma2(estimator: str, m: int, n_real: int, generations: int, sigma0: float) -> list[float]:
    """E[sigma_g^2], g = 0..G, iterating :func:`collapse.analytic.gaussian_mixing.mix_recursion` in floats.

    Generation 1 is fitted to M real points (as in the loop and in ``mix_moments``).
    """
    from collapse.analytic import gaussian as G
    from collapse.analytic import gaussian_mixing as GX

    A, b = GX.mix_recursion(estimator)
    sub = {GX.n1: m - n_real, GX.n2: n_real, G.sigma0: sigma0}
    A = np.array(A.subs(sub).evalf(), dtype=float)
    b = np.array(b.subs(sub).evalf(), dtype=float).reshape(2)
    ddof = 1 if estimator == "unbiased" else 0
    x = np.array([sigma0**2 / m, sigma0**2 * (m - 1) / (m - ddof)])
    out = [sigma0**2]
    for _ in range(generations):
        out.append(float(x[1]))
        x = A @ x + b
    return out


def gaussian_value(target: str, estimator: str, regime: str, schedule: Sequence[int], sigma0: float = 1.0, *,
                   n_real: int = 0, over: str = "final") -> tuple[float, float, int, str]:
    """(lo, hi, g, note): the target's exact value at generation g (an interval where only bounds exist).

    ``target`` ``"w2"`` (E[W2^2], with ``over="all"`` its maximum over g = 1..G, at g) or ``"sigma2"``
    (E[sigma_g^2] / sigma_0^2, with ``over="all"`` its minimum). ``regime`` as in :func:`gaussian_moments`;
    ``fresh`` needs a constant schedule. See the module docstring for where each value comes from. ``note``
    is empty unless a bracket used fewer moments than E[sigma^24] (:func:`w2_brackets`).
    """
    from collapse.analytic import numeric as N

    G = len(schedule)
    if regime == "fresh" and n_real == 0:
        regime = "replace"
    if regime == "replace":  # Theorem 3.1's closed forms; monotone in g, so the extremum is at G
        v = (N.gaussian_values(estimator, schedule[0], G, sigma0, cached=True) if len(set(schedule)) == 1
             else N.gaussian_schedule_values(estimator, schedule, sigma0))
        x = float(v["E_W2sq"]) if target == "w2" else float(v["E_sigma2"]) / sigma0**2
        return x, x, G, ""
    if target == "sigma2":
        curve = (_mix_sigma2(estimator, schedule[0], n_real, G, sigma0) if regime == "fresh"
                 else [float(e) for e in N.gaussian_accumulate_values(estimator, schedule, sigma0,
                                                                      cached=True)["E_sigma2"]])
        ratio = np.asarray(curve) / sigma0**2
        g = G if over == "final" else 1 + int(np.argmin(ratio[1:]))
        return float(ratio[g]), float(ratio[g]), g, ""
    gens = [G] if over == "final" else range(1, G + 1)
    bounds = w2_brackets(estimator, regime, schedule, sigma0, n_real=n_real, generations=gens)
    g = max(bounds, key=lambda k: bounds[k].hi)
    notes = sorted({b.note for b in bounds.values() if b.note})
    return max(b.lo for b in bounds.values()), bounds[g].hi, g, "; ".join(notes)


def presence_curve(qs: Sequence[float], schedule: Sequence[int], n_real: int = 0) -> np.ndarray:
    r"""P(a state of p_0-probability q is in generation g's model), g = 0..G, for every q of ``qs``.

    The state's count C_g in D_g (M_g points) is a Markov chain: C_0 ~ Binomial(M_0, q) (D_0 is real
    data) and C_(g+1) = Binomial(M_(g+1) - n_real, C_g / M_g) + Binomial(n_real, q), independent (model
    draws from the fitted frequencies, fresh draws from p_0). The model of generation g >= 1 has the
    state iff C_(g-1) > 0. n_real = 0 is ``replace`` with any schedule (the binomial chain of
    :mod:`collapse.analytic.wright_fisher` with M changing). Returns shape (G + 1, len(qs)).
    """
    from collapse.analytic.wright_fisher import binomial_pmf

    q = np.asarray(qs, dtype=float)
    sched = [check_int("schedule[]", m, minimum=max(1, n_real)) for m in schedule]
    work = q.size * sum(a * (b - n_real + 1) for a, b in zip(sched, sched[1:]))
    if work > MAX_DISCRETE_WORK:
        raise InvalidArgument("discrete chain", f"at most {MAX_DISCRETE_WORK:.0e} operations (states x M^2 x "
                              "generations; fewer states, samples or generations)", f"{work:.2e}")
    fresh = binomial_pmf(n_real, q) if n_real else None  # (K, n_real + 1)
    out = [np.where(q > 0, 1.0, 0.0)]
    dist = None
    for g, m in enumerate(sched):
        if dist is None:
            dist = binomial_pmf(m, q)  # (K, M_0 + 1)
        else:
            prev = dist.shape[1] - 1
            y = dist @ binomial_pmf(m - n_real, np.arange(prev + 1) / prev)  # (K, m - n_real + 1)
            dist = y if fresh is None else _convolve_rows(y, fresh)
        out.append(1.0 - dist[:, 0])
    return np.array(out)


def _convolve_rows(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Row-wise convolution of (K, a) and (K, b) arrays: the law of the sum of two independent counts."""
    if y.shape[1] < f.shape[1]:
        y, f = f, y
    out = np.zeros((y.shape[0], y.shape[1] + f.shape[1] - 1))
    for j in range(f.shape[1]):
        out[:, j:j + y.shape[1]] += y * f[:, j:j + 1]
    return out


def discrete_value(p0: Sequence[float], tail: np.ndarray, regime: str, schedule: Sequence[int], *,
                   n_real: int = 0, over: str = "final") -> tuple[float, float, int]:
    """(v, v, g): the expected p_0-mass of the ``tail`` states present in generation g's model, over the tail's mass.

    ``over="all"``: the minimum over g = 1..G, at g.
    """
    from collapse.analytic import wright_fisher as W
    from collapse.analytic.forms import group

    p = np.asarray(p0, dtype=float)[tail]
    mass, G = float(p.sum()), len(schedule)
    if regime == "fresh" and n_real == 0:
        regime = "replace"
    if regime == "accumulate":  # present at every g >= 1 iff D_0 has it
        loss = group("discrete", "theory", cached=True)["loss_probability"]
        present = np.array([1.0 - loss.subs_float({"M": schedule[0], "q": float(x)}) for x in p])
        return float(np.dot(p, present)) / mass, float(np.dot(p, present)) / mass, G
    if regime == "replace" and len(set(schedule)) == 1:  # nonincreasing in g: a lost state stays lost
        kept = float(np.dot(p, 1.0 - W.loss_at(p, schedule[0], G))) / mass
        return kept, kept, G
    uniq, inv = np.unique(p, return_inverse=True)
    curve = presence_curve(uniq, schedule, n_real if regime == "fresh" else 0)[:, inv] @ p / mass
    g = G if over == "final" else 1 + int(np.argmin(curve[1:]))
    return float(curve[g]), float(curve[g]), g


# ------------------------------------------------------------------ the search
@dataclasses.dataclass(frozen=True)
class Problem:
    """What is asked: a family, a target at a level, a horizon of G generations, and the knob to turn.

    ``samples`` is M per generation for ``knob="fresh"`` and M_0 with ``growth``; the searched M runs
    up to ``max_samples``. Gaussian: ``estimator``, ``sigma0``; discrete: ``p0`` and ``tail`` (quantile).
    """

    family: str
    target: str
    level: float
    generations: int
    knob: str
    samples: int | None = None
    growth: bool = False
    over: str = "final"
    estimator: str = "unbiased"
    sigma0: float = 1.0
    p0: tuple[float, ...] | None = None
    tail: float = 1.0
    max_samples: int = 10 ** 6
    ratio: float = 1.0

    def __post_init__(self) -> None:
        check_choice("family", self.family, tuple(TARGETS))
        check_choice("target", self.target, TARGETS[self.family])
        check_positive_real("target level", self.level)
        check_int("generations", self.generations, minimum=1)
        check_choice("knob", self.knob, KNOBS)
        check_choice("over", self.over, ("final", "all"))
        low = 2 if self.family == "gaussian" else 1
        check_int("max_samples", self.max_samples, minimum=low)
        if self.knob == "weight":
            if self.family != "gaussian":
                raise InvalidArgument("knob", "fresh, samples or accumulate for the discrete family", self.knob)
            if self.target != "sigma2":
                raise InvalidArgument("target", "sigma2 with knob 'weight' (E[W2^2] needs E[sigma_G], which the "
                                      "weighted chain has no closed form or bound for here)", self.target)
            check_positive_real("ratio (K)", self.ratio)
        if self.knob in ("fresh", "weight") or self.growth:
            if self.samples is None:
                raise InvalidArgument("samples", f"M per generation for knob {self.knob!r}"
                                      + (" (M_0 of the schedule)" if self.growth else ""), None)
            check_int("samples", self.samples, minimum=low, maximum=self.max_samples)
        if self.growth and (self.knob != "samples" or self.generations < 2):
            raise InvalidArgument("growth", "knob 'samples' and at least 2 generations", (self.knob, self.generations))
        if self.family == "discrete" and self.p0 is None:
            raise InvalidArgument("p0", "the discrete truth (a probability vector)", None)

    @property
    def at_most(self) -> bool:
        """True for a target of the form value <= level (E[W2^2]); else value >= level."""
        return self.target == "w2"


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """The target's exact value [lo, hi] (lo == hi unless only bounds exist) at one knob value."""

    knob_value: float
    regime: str
    schedule: tuple[int, ...]
    lo: float
    hi: float
    generation: int
    n_real: int = 0
    #: non-empty when the bracket used fewer moments than it could (see :func:`w2_brackets`)
    note: str = ""


@dataclasses.dataclass(frozen=True)
class Advice:
    """The answer: ``answer`` meets the target for certain (``met``), or is the best value reached.

    ``below``: the knob value just below the answer (or the last failing rate), which does not meet it;
    ``necessary``: for a bracketed value, the smallest knob value whose bracket does not exclude the target.
    """

    problem: Problem
    met: bool
    answer: Evaluation
    below: Evaluation | None
    necessary: float | None
    tolerance: str


def _regime(problem: Problem, n_real: int) -> str:
    if problem.knob == "weight":
        from collapse.analytic.weighting import optimal_weight

        return f"weight:{optimal_weight(problem.ratio)!r},{float(problem.ratio)!r}"
    if problem.knob == "accumulate":
        return "accumulate"
    if n_real == 0:
        return "replace"
    m = problem.samples
    return f"mix:{(m - n_real) / m!r},0.0,{n_real / m!r}"


def evaluate(problem: Problem, value: float) -> Evaluation:
    """The target at knob value ``value`` (n_real for ``fresh``, M for ``samples``/``accumulate``, r with growth)."""
    G, n_real = problem.generations, 0
    if problem.knob == "weight":
        return _evaluate_weight(problem)
    if problem.knob == "fresh":
        n_real = int(value)
        schedule, regime = (problem.samples,) * G, ("fresh" if n_real else "replace")
    elif problem.growth:
        schedule, regime = geometric_schedule(problem.samples, value, G), "replace"
    else:
        schedule, regime = (int(value),) * G, ("accumulate" if problem.knob == "accumulate" else "replace")
    if problem.family == "gaussian":
        lo, hi, g, note = gaussian_value(problem.target, problem.estimator, regime, schedule, problem.sigma0,
                                         n_real=n_real, over=problem.over)
    else:
        note = ""
        lo, hi, g = discrete_value(problem.p0, tail_states(problem.p0, problem.tail), regime, schedule,
                                   n_real=n_real, over=problem.over)
    return Evaluation(value, _regime(problem, n_real), tuple(schedule), lo, hi, g, n_real, note)


def _evaluate_weight(problem: Problem) -> Evaluation:
    """E[sigma_g^2] / sigma_0^2 under ``weight:w*,K``: generation 1 fits M real points, then weight_step."""
    import sympy as sp
    from collapse.analytic import weighting as WX

    m, G, s0, K = problem.samples, problem.generations, problem.sigma0, float(problem.ratio)
    w = WX.optimal_weight(K)
    n_real = int(round(m / (1.0 + K)))  # the loop's share of weight:W,K
    if not 1 <= n_real < m:
        raise InvalidArgument("ratio (K)", f"a ratio leaving both parts of M = {m} points non-empty", K)
    a1, b1 = WX.weight_step(problem.estimator)
    sub = {WX.w: sp.Float(w, 30), WX.n_r: n_real, WX.n_s: m - n_real, WX.sigma0: sp.Float(s0, 30), WX.mu0: 0}
    step = sp.lambdify((WX.a, WX.b), (a1.subs(sub), b1.subs(sub)), "math")
    ddof = 1 if problem.estimator == "unbiased" else 0
    a_, b_ = s0**2 / m, s0**2 * (m - 1) / (m - ddof)
    ratios = [b_ / s0**2]
    for _ in range(G - 1):
        a_, b_ = step(a_, b_)
        ratios.append(b_ / s0**2)
    g = G if problem.over == "final" else 1 + int(np.argmin(ratios))
    v = ratios[g - 1]
    return Evaluation(w, _regime(problem, n_real), (m,) * G, v, v, g, n_real)


def _sure(problem: Problem, e: Evaluation) -> bool:
    return e.hi <= problem.level if problem.at_most else e.lo >= problem.level


def _maybe(problem: Problem, e: Evaluation) -> bool:
    return e.lo <= problem.level if problem.at_most else e.hi >= problem.level


def _smallest(ok: Callable[[int], bool], low: int, high: int) -> int:
    """The smallest k in [low, high] with ok(k), given ok(high) (bisection; ok assumed monotone)."""
    while low < high:
        mid = (low + high) // 2
        if ok(mid):
            high = mid
        else:
            low = mid + 1
    return high


def advise(problem: Problem) -> Advice:
    """Search ``problem.knob`` for the smallest value meeting the target (see the module docstring)."""
    memo: dict[float, Evaluation] = {}

    def at(v):
        if v not in memo:
            memo[v] = evaluate(problem, v)
        return memo[v]

    if problem.growth:
        return _advise_rate(problem, at)
    if problem.knob == "weight":
        e = at(0)
        return Advice(problem, _sure(problem, e), e, None, None,
                      "closed form: w* = (sqrt(1 + 4K) - 1)/(2K), the minimiser of the stationary mean error to "
                      "leading order in 1/n_real (He, Xu & Cheng 2025); no search")
    floor = 0 if problem.knob == "fresh" else (2 if problem.family == "gaussian" else 1)
    low, high = floor, (problem.samples if problem.knob == "fresh" else problem.max_samples)
    if problem.knob != "fresh":  # doubling first: answers are usually far below max_samples
        step = low
        while step < high and not _sure(problem, at(step)):
            low, step = step + 1, min(high, 2 * step)
        high = step
    if not _sure(problem, at(high)):
        return Advice(problem, False, at(high), None, None, _TOLERANCE_INT)
    k = _smallest(lambda v: _sure(problem, at(v)), low, high)
    below = at(k - 1) if k > floor else None
    necessary = None
    if any(e.lo != e.hi for e in memo.values()):
        necessary = _smallest(lambda v: _maybe(problem, at(v)), floor, k)
    return Advice(problem, True, at(k), below, necessary, _TOLERANCE_INT)


_TOLERANCE_INT = "exact: bisection on the integers"


def _advise_rate(problem: Problem, at: Callable[[float], Evaluation]) -> Advice:
    """The smallest growth rate r >= 1 of M_i = floor(M_0 r^i + 1/2) meeting the target, M_(G-1) <= max_samples."""
    r_max = (problem.max_samples / problem.samples) ** (1 / (problem.generations - 1))
    tol = f"bisection on r to a relative width of {RATE_TOLERANCE:g}"
    if _sure(problem, at(1.0)):
        return Advice(problem, True, at(1.0), None, None, tol + " (r = 1, a constant M_0, already meets it)")
    if not _sure(problem, at(r_max)):
        return Advice(problem, False, at(r_max), None, None, tol)
    lo, hi = 1.0, r_max
    while hi - lo > RATE_TOLERANCE * hi:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if _sure(problem, at(mid)) else (mid, hi)
    return Advice(problem, True, at(hi), at(lo), None, tol)
