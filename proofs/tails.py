"""Heavy tails (Dohmatob et al., ICML 2024): Zipf unseen mass ~ T^-(beta-1)/beta, and the plateau of a cut tail.

Every check reads its formulas from :mod:`collapse.analytic.tails` when it runs
(tests/proofs/mutations_tails.py alters each one and shows that a check fails; the source
edits of tests/proofs/source_mutations/rates.py edit the source).

Independent routes: the exact E[U_T] and E_test(T, k) are summed here in ball arithmetic from
the definition (T draws all miss a state of probability p with probability (1 - p)^T, typed
here), with the tail beyond the head bracketed by Bonferroni's inequalities; the floor is also
1 - P_k summed rank by rank, not only the Hurwitz zeta; the Poissonised integral is also
computed by numerical quadrature; the simulations draw T Zipf samples literally.
"""

from __future__ import annotations

import math

import flint
import mpmath
import numpy as np
import sympy as sp
from collapse.analytic import tails as Z
from collapse.proofs import certify
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome, Part
from collapse.proofs.rates import Residuals, nonnegative_by_derivatives
from collapse.proofs.stats import bonferroni, mde_z, mean_z_p
from collapse.simulate.families.heavy_tails import cut_tail_test_error, zipf_unseen_mass

TALE = ("Dohmatob, Feng, Yang, Charton, Kempe, 'A tale of tails: model collapse as a change of scaling laws', "
        "ICML 2024 (Hutter's memorisation model)")
BETAS = (sp.Rational(3, 2), sp.Integer(2), sp.Integer(3))
#: `collapse theory tails` defaults: beta = 2, T = 10^4, and the cut -k 100
DEFAULT_BETA, DEFAULT_T, DEFAULT_K = 2.0, 10_000, 100

__all__ = ["CLAIMS", "ORDER", "THEORY_OUTPUTS", "cut_error_ball", "unseen_mass_ball"]


# --------------------------------------------------------------------- helpers
def _arb(expr: sp.Expr, values: dict) -> flint.arb:
    """Ball value of ``expr`` at ``values``; zeta(s) and Hurwitz zeta(s, a) atoms are evaluated by Arb."""
    expr = sp.sympify(expr).subs(values)
    env = {}
    for z in sorted(expr.atoms(sp.zeta), key=str):
        sym = sp.Dummy("zeta")
        args = [certify.to_arb(sp.nsimplify(arg), {}) for arg in z.args]
        env[sym] = args[0].zeta() if len(args) == 1 else args[0].zeta(args[1])
        expr = expr.subs(z, sym)
    return certify.to_arb(expr, env)


def _ball(x) -> flint.arb:
    if isinstance(x, flint.arb):
        return x
    q = sp.Rational(sp.nsimplify(x))
    return flint.arb(flint.fmpq(int(q.p), int(q.q)))


def unseen_mass_ball(b, n: int, *, spread: int = 4, terms: int = 14) -> flint.arb:
    """E[U_n] = sum_i p_i (1 - p_i)^n for p_i = i^-b / zeta(b), in a ball, from the definition.

    Ranks with n p_i > 1/``spread`` are summed one by one; beyond them (1 - p)^n lies between
    consecutive partial sums of sum_j C(n, j) (-p)^j (Bonferroni's inequalities, any p in [0, 1]),
    so the tail is sum_(j <= J) (-1)^j C(n, j) c^(j+1) zeta((j+1) b, N+1) within
    C(n, J+1) c^(J+2) zeta((J+2) b, N+1).
    """
    B = _ball(b)
    c = 1 / B.zeta()
    head = math.ceil((spread * n * float(c.mid())) ** (1 / float(B.mid()))) + 1
    total = flint.arb(0)
    for r in range(1, head + 1):
        pr = c * flint.arb(r) ** (-B)
        total += pr * (1 - pr) ** n
    start = flint.arb(head + 1)
    for j in range(terms + 1):
        total += (-1) ** j * math.comb(n, j) * c ** (j + 1) * ((j + 1) * B).zeta(start)
    rem = math.comb(n, terms + 1) * c ** (terms + 2) * ((terms + 2) * B).zeta(start)
    return total + flint.arb(0, rem.upper())


def _head(b, k: int) -> tuple[list[flint.arb], flint.arb]:
    """(p_1..p_k, P_k) in balls."""
    B = _ball(b)
    c = 1 / B.zeta()
    w = [c * flint.arb(r) ** (-B) for r in range(1, k + 1)]
    return w, sum(w, flint.arb(0))


def cut_error_ball(b, n: int, k: int) -> tuple[flint.arb, flint.arb]:
    """(E_test(n, k), floor) in balls from the definition: floor = 1 - P_k, rank by rank.

    Trained on n draws from the top k states renormalised, state i <= k is missed with
    probability (1 - p_i/P_k)^n; every state beyond k is never seen.
    """
    w, Pk = _head(b, k)
    floor = 1 - Pk
    return sum((wi * (1 - wi / Pk) ** n for wi in w), flint.arb(0)) + floor, floor


def _close(value: float, ball: flint.arb, rel: float = 1e-12) -> bool:
    """``value`` (a float computed to ~16 digits) agrees with ``ball`` up to ``rel`` relative."""
    v = flint.arb(value)
    return bool(abs(v - ball) <= abs(v) * rel + ball.rad())


def _mde(rel_ses, ctx: Context) -> float:
    return max(mde_z(r, ctx.alpha, len(rel_ses)) for r in rel_ses)


# ---------------------------------------------------------------------- checks
def _check_unseen_formula(ctx: Context) -> Outcome:
    p = Z.zipf_weight()
    summand = Z.unseen_mass().function
    res = Residuals()
    ok_q = res(Z.unseen_probability() - (1 - Z.q) ** Z.T)
    ok_s = res(summand - p * (1 - p) ** Z.T)
    ok_p = res(p - Z.i ** (-Z.beta) / sp.zeta(Z.beta))
    return res.outcome(f"P(unseen | q) = Binomial(T, q) pgf at 0 = {Z.unseen_probability()} = (1 - q)^T ({ok_q}); "
                   f"p_i = {p} ({ok_p}); E[U_T] = sum_i {summand} (linearity; {ok_s})", ok=ok_q and ok_s and ok_p)


def _check_scaling_constant(ctx: Context) -> Outcome:
    """The derived integral has the scaling law's exponent and constant; quadrature agrees to 25 digits."""
    K, expo = Z.scaling_constant()
    stated_K = sp.gamma(1 - 1 / Z.beta) * sp.zeta(Z.beta) ** (-1 / Z.beta) / Z.beta
    res = Residuals()
    exp_ok = res(expo + (Z.beta - 1) / Z.beta, domain={Z.beta: (sp.Rational(11, 10), 5)})
    K_ok = res(sp.powsimp(K / stated_K, force=True) - 1, domain={Z.beta: (sp.Rational(11, 10), 5)})
    worst = 0.0
    quad_ok = True
    with mpmath.workdps(20):
        for b, n in ((1.5, 10), (2, 100), (3, 1000), (1.25, 7)):
            bm, c = mpmath.mpf(b), 1 / mpmath.zeta(b)
            # the integrand c x^-beta exp(-T c x^-beta) on the log scale x = e^s (dx = e^s ds), for the quadrature;
            # beyond s = S it is below c e^((1-beta) s), whose integral is the tail bound; below s = -10 it is
            # below exp(-T c e^(10 beta)) (negligible)
            f = lambda s, c=c, bm=bm, n=n: c * mpmath.exp((1 - bm) * s - n * c * mpmath.exp(-bm * s))
            S = 40 / (bm - 1)
            quad = mpmath.quad(f, mpmath.linspace(-10, S, 30))
            tail = c * mpmath.exp((1 - bm) * S) / (bm - 1)
            law = mpmath.mpf(sp.N((K * Z.T**expo).subs({Z.beta: sp.nsimplify(b), Z.T: n}), 30))
            tol = law * mpmath.mpf(10) ** -14
            quad_ok = quad_ok and quad <= law + tol and law <= quad + tail + tol
            worst = max(worst, float(abs(quad / law - 1)))
    return res.outcome(f"A_T = int_0^oo c x^-beta exp(-T c x^-beta) dx = K T^({expo}), K = {K}: exponent -(beta-1)/beta "
                   f"({exp_ok}), K = Gamma(1-1/beta) zeta(beta)^(-1/beta)/beta ({K_ok}); mpmath quadrature of the "
                   f"integrand at 4 (beta, T) agrees with K T^expo to {worst:.1e}, within its tail bound ({quad_ok})",
                       bool(exp_ok and K_ok and quad_ok))


def _check_band(ctx: Context) -> Outcome:
    """The elementary steps of |E[U_T] - A_T| <= eps(T), their premises, and eps(T) = o(T^-(beta-1)/beta)."""
    q, T, y = Z.q, Z.T, sp.Symbol("y", positive=True)
    chord = Z.exp_chord_bound()
    ok1, chain = nonnegative_by_derivatives(chord - (sp.exp(-q) - (1 - q)), q)
    # premise of the mean value step a^T - b^T <= T (a - b) a^(T-1): a = e^-q >= b = 1 - q
    ok0, chain0 = nonnegative_by_derivatives(sp.exp(-q) - (1 - q), q)
    # premise of the sum-integral step: the integrand is (u/T) e^-u in u = T c x^-beta (monotone in x),
    # increasing then decreasing: d/du (u e^-u) = (1 - u) e^-u changes sign once, at u = 1
    u = sp.Symbol("u", positive=True)
    du = sp.factor(sp.diff(u * sp.exp(-u), u))
    unimodal = bool(sp.simplify(du / sp.exp(-u) - (1 - u)) == 0)
    f1 = y * sp.exp(-y)
    y0 = sp.solve(sp.diff(f1, y), y)
    S = sp.Symbol("S", positive=True)
    f2 = q**2 * sp.exp(-S * q)
    q0 = sp.solve(sp.diff(f2, q), q)
    ok2 = len(y0) == 1 and bool(sp.diff(f1, y, 2).subs(y, y0[0]).is_negative)
    ok3 = len(q0) == 1 and bool(sp.diff(f2, q, 2).subs(q, q0[0]).is_negative)
    stated = 1 / (sp.E * T) + 2 * T / (sp.E**2 * (T - 1) ** 2)
    res = Residuals()
    ok4 = res(Z.band() - stated, domain={T: (2, 10**4)})
    vanish = sp.limit((T ** ((Z.beta - 1) / Z.beta) * Z.band()).subs(Z.beta, 1 + Z.a), T, sp.oo)
    finite_at_2 = bool(Z.band().subs(T, 2).is_finite)  # the statement's range T >= 2 (T = 1 is a pole)
    ok = bool(ok0 and ok1 and unimodal and ok2 and ok3 and ok4 and vanish == 0 and finite_at_2)
    return res.outcome(f"e^-q >= 1 - q: {chain0}; e^-q - (1-q) <= {chord}: {chain}; the integrand (u/T) e^-u is unimodal "
                   f"(d/du = {du}: {unimodal}); max y e^-y = {f1.subs(y, y0[0]) if y0 else '?'} (single critical "
                   f"point, concave there: {ok2}); max q^2 e^(-S q) = {f2.subs(q, q0[0]) if q0 else '?'} ({ok3}); "
                   f"eps(T) = {Z.band()} = the statement's 1/(eT) + 2T/(e^2 (T-1)^2) ({ok4}), finite for T >= 2 "
                   f"({finite_at_2}); T^((beta-1)/beta) eps(T) -> {vanish}", ok)


def _check_band_certified(ctx: Context) -> Outcome:
    """Arb: the exact E[U_T] lies in [A_T - eps, A_T + eps]; unseen_mass_value agrees with it."""
    K, expo = Z.scaling_constant()
    A, eps = K * Z.T**expo, Z.band()
    parts = []
    for b in BETAS:
        for n in (10, 100, 1000, 10_000):
            at = {Z.beta: b, Z.T: n}
            A_v, e_v = _arb(A, at), _arb(eps, at)
            u = unseen_mass_ball(b, n)
            if not (A_v - e_v < u < A_v + e_v):
                return Outcome(f"beta={b}, T={n}: E[U_T] = {u} outside A_T +/- eps = {A_v} +/- {e_v}", ok=False)
            got = Z.unseen_mass_value(float(b), n)
            if not _close(got, u):
                return Outcome(f"beta={b}, T={n}: unseen_mass_value = {got!r}, exact E[U_T] = {u}", ok=False,
                               witness={"beta": str(b), "T": n, "value": got, "exact": u.str(20)})
            if n == 10_000:
                parts.append(f"beta={b}: E[U_T] = {u.mid().str(6)}, A_T = {A_v.mid().str(6)}, relative band "
                             f"{(e_v / A_v).mid().str(3)}")
    return Outcome("exact E[U_T] in ball arithmetic (head rank by rank, tail by Bonferroni's inequalities): "
                   "A_T - eps(T) < E[U_T] < A_T + eps(T) and unseen_mass_value equal to 12 digits at 12 (beta, T), "
                   "collapse theory tails' default (beta = 2, T = 10^4) among them; at T = 10^4: "
                   + "; ".join(parts) + "; for all T >= 2 by the bound above", ok=True)


#: (beta, T, chains) of the unseen-mass simulation
_U_RUNS = ((1.25, 1000, 700), (1.5, 200, 7500))


def _check_unseen_sim(ctx: Context) -> Outcome:
    K, expo = Z.scaling_constant()
    ps, parts, rel = [], [], []
    for b, n, C in _U_RUNS:
        C *= ctx.scale
        u = zipf_unseen_mass(b, n, C, ctx.rng(f"zipf-unseen-{b}"))
        want = Z.unseen_mass_value(b, n)
        pv, z = mean_z_p(u, want)
        ps.append(pv)
        rel.append(u.std(ddof=1) / np.sqrt(C) / want)
        law = float((K * Z.T**expo).subs({Z.beta: b, Z.T: n}))
        parts.append(f"beta={b}, T={n}, {C} chains: {u.mean():.5f} vs exact {want:.5f} (z={z:.2f}; "
                     f"K T^-(beta-1)/beta = {law:.5f})")
    mde = _mde(rel, ctx)
    return Outcome("literal draws (T Zipf samples per chain, the mass of the ranks never drawn): " + "; ".join(parts)
                   + f"; detects a relative error >= {100 * mde:.2f}% in E[U_T] (power 0.99)",
                   p_value=bonferroni(ps), mde=mde, moment=True)


def _check_cut_floor(ctx: Context) -> Outcome:
    k, T, b = Z.k, Z.T, Z.beta
    floor = Z.plateau()
    lo, up = Z.plateau_bounds()
    # the integrals against x^-beta (decreasing): int_(k+1)^oo <= sum_(i>k) <= int_k^oo; checked by differentiation
    # (both vanish at k -> oo, and d/dk int_k^oo x^-beta dx = -k^-beta)
    res = Residuals()
    ok_int = (res(sp.diff(lo, k) + (k + 1) ** (-b) / sp.zeta(b))
              and res(sp.diff(up, k) + k ** (-b) / sp.zeta(b))
              and all(sp.limit(e.subs(b, 1 + Z.a), k, sp.oo) == 0 for e in (lo, up)))
    decreasing = bool(sp.diff(Z.i ** (-b), Z.i).is_negative)
    # floor = 1 - (p_1 + ... + p_k), exactly (expanding the Hurwitz zeta at k = 0..6)
    p = Z.zipf_weight()
    one_rank = all(res(sp.expand_func(floor.subs(k, kk)) - (1 - sum(p.subs(Z.i, r) for r in range(1, kk + 1))))
                   for kk in range(1, 7))
    total = sp.simplify(sp.expand_func(floor.subs(k, 0)) - 1) == 0
    stated_const = 1 / ((b - 1) * sp.zeta(b))
    ok_inf = all(sp.simplify(sp.limit((e * k ** (b - 1)).subs(b, 1 + Z.a), k, sp.oo) - stated_const.subs(b, 1 + Z.a))
                 == 0 for e in (lo, up))
    # termwise: 0 <= (1 - q/P)^T <= (1 - q)^T for 0 < q <= P <= 1, and (1 - q/P)^T -> 0
    w = sp.Symbol("w", positive=True)
    unseen = Z.unseen_probability()
    vanishes = sp.limit(unseen.subs(Z.q, 1 / (1 + w)), T, sp.oo) == 0  # q/P in (0, 1)
    P = sp.Symbol("P", positive=True)
    mono = sp.simplify(sp.diff(unseen.subs(Z.q, Z.q / P), P) * P**2 / (T * Z.q * unseen.subs(Z.q, Z.q / P))
                       * (1 - Z.q / P))
    ok_mono = res(mono - 1)  # d/dP (1 - q/P)^T = T q/P^2 (1 - q/P)^(T-1) >= 0
    ok_pk = bool(floor.subs({b: 2, k: 1}).is_positive)  # P_k = 1 - floor < 1 (premise of the sandwich)
    ok = bool(ok_int and decreasing and one_rank and total and ok_inf and vanishes and ok_mono and ok_pk)
    return res.outcome(f"floor = {floor} = 1 - (p_1 + ... + p_k) at k = 1..6 ({one_rank}), 1 at k = 0 ({total}); between "
                   f"{lo} and {up} (x^-beta decreasing: {decreasing}; antiderivatives check: {ok_int}), so "
                   f"k^(beta-1) floor -> 1/((beta-1) zeta(beta)) ({ok_inf}); P_k < 1 ({ok_pk}) and (1 - q/P_k)^T "
                   f"increases with P_k ({ok_mono}) hence floor <= E_test <= floor + E[U_T], and -> 0 as "
                   f"T -> oo ({vanishes}): E_test -> floor", ok)


def _check_cut_certified(ctx: Context) -> Outcome:
    """Arb: floor = 1 - P_k and within its integral bounds; exact E_test(T, k) in [floor, floor + A_T + eps]."""
    lo, up = Z.plateau_bounds()
    K, expo = Z.scaling_constant()
    parts = []
    for b in BETAS:
        for kk in (1, 10, 100, 1000):
            at = {Z.beta: b, Z.k: kk}
            f, l_, u_ = _arb(Z.plateau(), at), _arb(lo, at), _arb(up, at)
            _, Pk = _head(b, kk)
            if not (abs(f - (1 - Pk)) < flint.arb(10) ** -30):
                return Outcome(f"beta={b}, k={kk}: plateau {f} != 1 - P_k = {1 - Pk}", ok=False)
            if not (l_ < f < u_):
                return Outcome(f"beta={b}, k={kk}: floor {f} not within ({l_}, {u_})", ok=False)
        for kk, n in ((10, 100), (100, 1000), (300, 10_000)):
            e, f = cut_error_ball(b, n, kk)
            at = {Z.beta: b, Z.T: n}
            top = f + _arb(K * Z.T**expo, at) + _arb(Z.band(), at)
            if not (f < e < top):
                return Outcome(f"beta={b}, k={kk}, T={n}: E_test {e} not within ({f}, {top})", ok=False)
            got = Z.cut_test_error_value(float(b), n, kk)
            if not _close(got, e):
                return Outcome(f"beta={b}, k={kk}, T={n}: cut_test_error_value = {got!r}, exact {e}", ok=False,
                               witness={"beta": str(b), "k": kk, "T": n, "value": got, "exact": e.str(20)})
        parts.append(f"beta={b}: E_test(10^4, 300) = {e.mid().str(5)} vs floor {f.mid().str(5)}")
    # the symbolic form analytic.tails.cut_test_error, summed by sympy at a small case
    small = {Z.beta: 2, Z.k: 3, Z.T: 5}
    sym = float(Z.cut_test_error().subs(small).doit().evalf(30))
    e, _ = cut_error_ball(2, 5, 3)
    if not _close(sym, e):
        return Outcome(f"cut_test_error() at beta=2, k=3, T=5: {sym!r}, exact {e}", ok=False)
    e, f = cut_error_ball(DEFAULT_BETA, DEFAULT_T, DEFAULT_K)
    got = Z.cut_test_error_value(DEFAULT_BETA, DEFAULT_T, DEFAULT_K)
    if not _close(got, e):
        return Outcome(f"default (2, 10^4, 100): cut_test_error_value = {got!r}, exact {e}", ok=False)
    return Outcome("ball arithmetic from the definition (floor = 1 - P_k rank by rank): the Hurwitz-zeta floor equals "
                   "it and (k+1)^(1-beta) < (beta-1) zeta(beta) floor < k^(1-beta) at k in {1, 10, 100, 1000}; "
                   "floor < E_test(T, k) < floor + A_T + eps(T) and cut_test_error_value equal to 12 digits at 3 "
                   "(k, T) per beta and at collapse theory tails -k 100's default (beta = 2, T = 10^4); the symbolic "
                   "cut_test_error() too at (2, 3, 5): "
                   + "; ".join(parts), ok=True)


#: (beta, T, k, chains) of the cut-tail simulation
_CUT_RUNS = ((1.5, 5000, 100, 250), (2.0, 300, 10, 5500))


def _check_cut_sim(ctx: Context) -> Outcome:
    ps, parts, rel = [], [], []
    for b, n, kk, C in _CUT_RUNS:
        C *= ctx.scale
        err = cut_tail_test_error(b, n, kk, C, ctx.rng(f"tail-cut-{b}"))
        want = Z.cut_test_error_value(b, n, kk)
        floor = float(Z.plateau().subs({Z.beta: b, Z.k: kk}))
        pv, z = mean_z_p(err, want)
        ps.append(pv)
        rel.append(err.std(ddof=1) / np.sqrt(C) / want)
        parts.append(f"beta={b}, T={n}, k={kk} ({C} chains): {err.mean():.5f} vs exact {want:.5f} "
                     f"(z={z:.2f}; floor {floor:.5f})")
    mde = _mde(rel, ctx)
    return Outcome("test error of a learner trained on T literal draws from the cut model: " + "; ".join(parts)
                   + f"; detects a relative error >= {100 * mde:.2f}% in E_test (power 0.99)",
                   p_value=bonferroni(ps), mde=mde, moment=True)


UNSEEN = Claim(
    id="tails-zipf-scaling",
    title="Zipf data: the unseen mass after T samples scales as T^-(beta-1)/beta",
    statement=("For p_i proportional to i^-beta (beta > 1), the expected probability mass of states not seen among T "
               "samples (the test error of a memorising learner) is sum_i p_i (1 - p_i)^T ~ K(beta) T^-(beta-1)/beta "
               "with K(beta) = Gamma(1 - 1/beta) zeta(beta)^(-1/beta) / beta; explicitly it is within "
               "1/(eT) + 2T/(e^2 (T-1)^2) of K(beta) T^-(beta-1)/beta for every T >= 2."),
    source=f"{TALE}, Hutter's scaling law T^-(beta-1)/beta; Karlin (1967) for the general regular-variation form",
    proof=(
        Check("zipf-unseen-formula", "symbolic", "E[U_T] from the binomial pgf at 0", _check_unseen_formula,
              route="the Binomial(T, q) pgf at 0 against the definition (1 - q)^T"),
        Check("zipf-scaling-constant", "symbolic", "the Poissonised integral: exponent and Gamma-function constant",
              _check_scaling_constant, route="mpmath quadrature of the Poissonised integrand, against the Gamma form"),
        Cited("unimodal-sum-integral", "for f >= 0 increasing then decreasing on (0, oo), with f(0+) = f(oo) = 0: "
              "|sum_(i>=1) f(i) - int_0^oo f| <= max f (Euler's summation formula with one term: the remainder is "
              "at most (1/2) int |f'| = max f); and a^T - b^T = (a - b) sum_(j<T) a^j b^(T-1-j) <= T (a - b) a^(T-1) "
              "for 0 <= b <= a",
              "Graham, Knuth, Patashnik, Concrete Mathematics (2nd ed., 1994), Section 9.5 (Euler's summation "
              "formula, m = 1, |B_1({x})| <= 1/2); the factorisation is elementary algebra"),
        Check("zipf-error-band", "symbolic", "|E[U_T] - A_T| <= eps(T) = o(A_T), step by step, premises checked",
              _check_band, route="Taylor remainder and critical-point maxima, each proved by derivative chains"),
        Cited("karlin-missing-mass", "if #{i : p_i >= x} ~ l x^(-alpha), 0 < alpha < 1, the expected number of "
              "occupied boxes is E[K_T] ~ Gamma(1 - alpha) l T^alpha and the expected missing mass "
              "E[U_T] = E[K_(T+1)] - E[K_T] ~ alpha Gamma(1 - alpha) l T^(alpha - 1) (here alpha = 1/beta, "
              "l = zeta(beta)^(-1/beta))",
              "Karlin, J. Math. Mech. 17 (1967) 373-401, Theorem 1; Gnedin, Hansen, Pitman, Probab. Surveys 4 "
              "(2007) 146-171, Section 7 (regularly varying frequencies) and Section 9 (the cumulative frequency "
              "of empty boxes)"),
        Check("zipf-band-certified", "certificate", "the exact E[U_T] in balls lies inside the band",
              _check_band_certified, route="exact summation over the Zipf law in ball arithmetic, the tail bracketed "
                                           "by Bonferroni's inequalities"),
    ),
    evidence=(Check("zipf-unseen-sim", "simulation", "simulated unseen mass against the exact sum", _check_unseen_sim,
                    route="literal sampler: T Zipf draws per chain, the mass of the ranks never drawn"),),
    parts=(
        Part("the expected unseen mass is sum_i p_i (1 - p_i)^T",
             ("zipf-unseen-formula", "zipf-band-certified", "zipf-unseen-sim")),
        Part("sum_i p_i (1 - p_i)^T ~ K(beta) T^-(beta-1)/beta, K(beta) = Gamma(1 - 1/beta) zeta(beta)^(-1/beta)/beta",
             ("zipf-scaling-constant", "zipf-error-band")),
        Part("within 1/(eT) + 2T/(e^2 (T-1)^2) of K(beta) T^-(beta-1)/beta for every T >= 2",
             ("zipf-error-band", "zipf-band-certified")),
    ),
)

CUT = Claim(
    id="tails-cut-plateau",
    title="A tail cut at rank k adds a plateau: the test error stalls at sum_(i>k) p_i ~ k^-(beta-1)",
    statement=("Training on T samples of a model that kept only the top k states of Zipf(beta) data, the test error "
               "lies between the floor sum_(i>k) p_i = zeta(beta, k+1)/zeta(beta) and the floor plus the uncut error "
               "E[U_T], and tends to the floor as T -> oo; the floor is ~ k^-(beta-1) / ((beta-1) zeta(beta)): "
               "the scaling law T^-(beta-1)/beta + k^-(beta-1) with a plateau no amount of data removes."),
    source=f"{TALE}, tail cutting (Theorem on the test error with truncated synthetic data)",
    proof=(
        Check("tail-cut-floor", "symbolic", "floor, its integral bounds, the sandwich and the limit", _check_cut_floor,
              route="integral comparison by differentiation, the floor's one-rank recursion, monotonicity in P_k"),
        Check("tail-cut-certified", "certificate", "ball arithmetic at a grid of (beta, k, T)", _check_cut_certified,
              route="exact summation from the definition in ball arithmetic, floor = 1 - P_k rank by rank"),
    ),
    evidence=(Check("tail-cut-sim", "simulation", "simulated learner on the cut model", _check_cut_sim,
                    route="literal sampler: T draws from the cut model, the mass of the states never drawn"),),
    parts=(
        Part("the floor is sum_(i>k) p_i = zeta(beta, k+1)/zeta(beta)", ("tail-cut-floor", "tail-cut-certified")),
        Part("the test error lies between the floor and the floor plus E[U_T]",
             ("tail-cut-floor", "tail-cut-certified")),
        Part("the test error is sum_(i<=k) p_i (1 - p_i/P_k)^T + floor", ("tail-cut-certified", "tail-cut-sim")),
        Part("the test error tends to the floor as T -> oo", ("tail-cut-floor",)),
        Part("the floor is ~ k^-(beta-1) / ((beta-1) zeta(beta))", ("tail-cut-floor", "tail-cut-certified")),
    ),
)

ORDER = 45
CLAIMS = (UNSEEN, CUT)

#: the independent check behind each number `collapse theory tails [--cut K] --json` prints
THEORY_OUTPUTS = {
    ("tails", "E_unseen_mass"): "tails-zipf-scaling/zipf-band-certified",
    ("tails", "E_test_error_cut"): "tails-cut-plateau/tail-cut-certified",
}
