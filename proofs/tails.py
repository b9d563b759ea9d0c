"""Heavy tails (Dohmatob et al., ICML 2024): Zipf unseen mass ~ T^-(beta-1)/beta, and the plateau of a cut tail.

Every check reads its formulas from :mod:`collapse.analytic.tails` when it runs
(tests/proofs/mutations_tails.py alters each one and shows that a check fails).
"""

from __future__ import annotations

import flint
import numpy as np
import sympy as sp

from collapse.analytic import tails as Z
from collapse.proofs import certify
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome
from collapse.proofs.rates import nonnegative_by_derivatives
from collapse.proofs.stats import bonferroni, mean_z_p
from collapse.proofs.symbolic import is_zero
from collapse.simulate.families.heavy_tails import cut_tail_test_error, zipf_unseen_mass

TALE = ("Dohmatob, Feng, Yang, Charton, Kempe, 'A tale of tails: model collapse as a change of scaling laws', "
        "ICML 2024 (Hutter's memorisation model)")
BETAS = (sp.Rational(3, 2), sp.Integer(2), sp.Integer(3))


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


def _unseen_mass_ball(b: sp.Rational, n: int, tol: float) -> flint.arb:
    """E[U_n] for Zipf(b) in a ball: head summed exactly, tail between Bernoulli-inequality bounds.

    For ranks beyond N: sum p_i (1 - n p_i) <= tail <= sum p_i, both Hurwitz zeta values.
    """
    B = certify.to_arb(b, {})
    c = 1 / B.zeta()
    head = int(np.ceil(np.sqrt(n * float(c.mid()) ** 2 / (2 * tol)))) + 10  # n c^2 zeta(2b, N+1) <= tol
    unseen = Z.unseen_probability()
    total = flint.arb(0)
    for r in range(1, head + 1):
        pr = c * flint.arb(r) ** (-B)
        total += pr * certify.to_arb(unseen, {Z.q: pr, Z.T: flint.arb(n)})
    upper = c * B.zeta(flint.arb(head + 1))
    lower = upper - n * c**2 * (2 * B).zeta(flint.arb(head + 1))
    return total + lower.union(upper)


# ---------------------------------------------------------------------- checks
def _check_unseen_formula(ctx: Context) -> Outcome:
    p = Z.zipf_weight()
    summand = Z.unseen_mass().function
    ok = is_zero(Z.unseen_probability() - (1 - Z.q) ** Z.T) and is_zero(summand - p * (1 - p) ** Z.T)
    return Outcome(f"P(unseen | q) = Binomial(T, q) pgf at 0 = {Z.unseen_probability()}; E[U_T] = "
                   f"sum_i {summand} (linearity)", ok=ok)


def _check_scaling_constant(ctx: Context) -> Outcome:
    """The derived integral has the scaling law's exponent and constant Gamma(1 - 1/beta) zeta^(-1/beta) / beta."""
    K, expo = Z.scaling_constant()
    stated_K = sp.gamma(1 - 1 / Z.beta) * sp.zeta(Z.beta) ** (-1 / Z.beta) / Z.beta
    exp_ok = is_zero(expo + (Z.beta - 1) / Z.beta)
    K_ok = is_zero(sp.powsimp(K / stated_K, force=True) - 1)
    same = is_zero(sp.powsimp(Z.poissonized_integral() - K * Z.T**expo, force=True))
    return Outcome(f"A_T = {Z.poissonized_integral()} = K T^({expo}) with K = {K}: exponent -(beta-1)/beta "
                   f"({exp_ok}), K = Gamma(1-1/beta) zeta(beta)^(-1/beta)/beta ({K_ok})", ok=bool(exp_ok and K_ok and same))


def _check_band(ctx: Context) -> Outcome:
    """The three elementary steps of |E[U_T] - A_T| <= eps(T), and eps(T) = o(T^-(beta-1)/beta)."""
    q, T, y = Z.q, Z.T, sp.Symbol("y", positive=True)
    chord = Z.exp_chord_bound()
    ok1, chain = nonnegative_by_derivatives(chord - (sp.exp(-q) - (1 - q)), q)
    # maxima by the critical point and a negative second derivative there
    f1 = y * sp.exp(-y)
    y0 = sp.solve(sp.diff(f1, y), y)
    S = sp.Symbol("S", positive=True)
    f2 = q**2 * sp.exp(-S * q)
    q0 = sp.solve(sp.diff(f2, q), q)
    ok2 = len(y0) == 1 and sp.diff(f1, y, 2).subs(y, y0[0]).is_negative
    ok3 = len(q0) == 1 and sp.diff(f2, q, 2).subs(q, q0[0]).is_negative
    want = f1.subs(y, y0[0]) / T + T * sp.simplify(chord / q**2) * f2.subs(q, q0[0]).subs(S, T - 1)
    ok4 = is_zero(Z.band() - want)
    vanish = sp.limit((T ** ((Z.beta - 1) / Z.beta) * Z.band()).subs(Z.beta, 1 + Z.a), T, sp.oo)
    ok = bool(ok1 and ok2 and ok3 and ok4 and vanish == 0)
    return Outcome(f"e^-q - (1-q) <= {chord}: {chain}; max y e^-y = {f1.subs(y, y0[0]) if y0 else '?'} (single critical "
                   f"point, concave there: {ok2}); max q^2 e^(-S q) = {f2.subs(q, q0[0]) if q0 else '?'} ({ok3}); "
                   f"eps(T) = {Z.band()} ({ok4}); T^((beta-1)/beta) eps(T) -> {vanish}", ok=ok)


def _check_band_certified(ctx: Context) -> Outcome:
    """Arb: the exact E[U_T] lies in [A_T - eps, A_T + eps] at beta in {3/2, 2, 3}, T in {10, ..., 10^4}."""
    K, expo = Z.scaling_constant()
    A, eps = K * Z.T**expo, Z.band()
    parts = []
    for b in BETAS:
        for n in (10, 100, 1000, 10_000):
            at = {Z.beta: b, Z.T: n}
            A_v, e_v = _arb(A, at), _arb(eps, at)
            u = _unseen_mass_ball(b, n, float(e_v.mid()) / 20)
            if not (A_v - e_v < u and u < A_v + e_v):
                return Outcome(f"beta={b}, T={n}: E[U_T] = {u} outside A_T +/- eps = {A_v} +/- {e_v}", ok=False)
            if n == 10_000:
                parts.append(f"beta={b}: E[U_T] = {u.mid().str(6)}, A_T = {A_v.mid().str(6)}, relative band "
                             f"{(e_v / A_v).mid().str(3)}")
    return Outcome("ball arithmetic: A_T - eps(T) < E[U_T] < A_T + eps(T) at 12 (beta, T); at T = 10^4: "
                   + "; ".join(parts) + "; for all T >= 2 by the bound above", ok=True)


def _check_unseen_sim(ctx: Context) -> Outcome:
    K, expo = Z.scaling_constant()
    ps, parts = [], []
    for b, n in ((2.0, 1000), (1.5, 200)):
        u = zipf_unseen_mass(b, n, 4000 * ctx.scale, ctx.rng(f"zipf-unseen-{b}"))
        want = Z.unseen_mass_value(b, n)
        pv, z = mean_z_p(u, want)
        ps.append(pv)
        law = float((K * Z.T**expo).subs({Z.beta: b, Z.T: n}))
        parts.append(f"beta={b}, T={n}: {u.mean():.5f} vs exact {want:.5f} (z={z:.2f}; K T^-(beta-1)/beta = {law:.5f})")
    return Outcome(f"{4000 * ctx.scale} chains: mean unseen mass " + "; ".join(parts), p_value=bonferroni(ps))


def _check_cut_floor(ctx: Context) -> Outcome:
    k, T, b = Z.k, Z.T, Z.beta
    floor = Z.plateau()
    const, rank_part = Z.zipf_weight().as_independent(Z.i)
    direct = sp.summation(rank_part, (Z.i, k + 1, sp.oo))
    direct = const * (direct.args[0][0] if isinstance(direct, sp.Piecewise) else direct)  # the beta > 1 branch
    ok_floor = is_zero(floor - direct)
    lo, up = Z.plateau_bounds()
    # the integrals against x^-beta (decreasing): int_(k+1)^oo <= sum_(i>k) <= int_k^oo; checked by differentiation
    ok_int = is_zero(sp.diff(lo, k) + (k + 1) ** (-b) / sp.zeta(b)) and is_zero(sp.diff(up, k) + k ** (-b) / sp.zeta(b))
    ok_inf = sp.limit((lo * k ** (b - 1)).subs(b, 1 + Z.a), k, sp.oo) == sp.limit((up * k ** (b - 1)).subs(b, 1 + Z.a), k, sp.oo)
    # termwise: 0 <= (1 - q/P)^T <= (1 - q)^T for 0 < q <= P <= 1, and (1 - q/P)^T -> 0
    w = sp.Symbol("w", positive=True)
    unseen = Z.unseen_probability()
    vanishes = sp.limit(unseen.subs(Z.q, 1 / (1 + w)), T, sp.oo) == 0  # q/P in (0, 1)
    P = sp.Symbol("P", positive=True)
    mono = sp.simplify(sp.diff(unseen.subs(Z.q, Z.q / P), P) * P**2 / (T * Z.q * unseen.subs(Z.q, Z.q / P))
                       * (1 - Z.q / P))
    ok_mono = is_zero(mono - 1)  # d/dP (1 - q/P)^T = T q/P^2 (1 - q/P)^(T-1) >= 0
    ok = bool(ok_floor and ok_int and ok_inf and vanishes and ok_mono)
    return Outcome(f"floor = sum_(i>k) p_i = {floor} ({ok_floor}); between {lo} and {up} (integral comparison, "
                   f"antiderivatives check: {ok_int}), so k^(beta-1) floor -> 1/((beta-1) zeta(beta)) ({ok_inf}); "
                   f"(1 - q/P_k)^T increases with P_k <= 1 ({ok_mono}) hence floor <= E_test <= floor + E[U_T], and "
                   f"-> 0 as T -> oo ({vanishes}): E_test -> floor", ok=ok)


def _check_cut_certified(ctx: Context) -> Outcome:
    """Arb: floor between its integral bounds; exact E_test(T, k) in [floor, floor + A_T + eps]."""
    lo, up = Z.plateau_bounds()
    K, expo = Z.scaling_constant()
    unseen = Z.unseen_probability()
    parts = []
    for b in BETAS:
        B = certify.to_arb(b, {})
        c = 1 / B.zeta()
        for kk in (1, 10, 100, 1000):
            at = {Z.beta: b, Z.k: kk}
            f, l_, u_ = _arb(Z.plateau(), at), _arb(lo, at), _arb(up, at)
            if not (l_ < f and f < u_):
                return Outcome(f"beta={b}, k={kk}: floor {f} not within ({l_}, {u_})", ok=False)
        for kk, n in ((10, 100), (100, 1000), (300, 10_000)):
            w = [c * flint.arb(r) ** (-B) for r in range(1, kk + 1)]
            Pk = sum(w, flint.arb(0))
            err = sum((wi * certify.to_arb(unseen, {Z.q: wi / Pk, Z.T: flint.arb(n)}) for wi in w), flint.arb(0))
            f = _arb(Z.plateau(), {Z.beta: b, Z.k: kk})
            at = {Z.beta: b, Z.T: n}
            top = f + _arb(K * Z.T**expo, at) + _arb(Z.band(), at)
            e = err + f
            if not (f < e and e < top):
                return Outcome(f"beta={b}, k={kk}, T={n}: E_test {e} not within ({f}, {top})", ok=False)
        parts.append(f"beta={b}: E_test(10^4, 300) = {e.mid().str(5)} vs floor {f.mid().str(5)}")
    return Outcome("ball arithmetic: (k+1)^(1-beta) < (beta-1) zeta(beta) floor < k^(1-beta) at k in {1, 10, 100, 1000}; "
                   "floor < E_test(T, k) < floor + A_T + eps(T) at 3 (k, T) per beta; " + "; ".join(parts), ok=True)


def _check_cut_sim(ctx: Context) -> Outcome:
    ps, parts = [], []
    for b, n, kk, C in ((2.0, 2000, 100, 2000), (1.5, 20000, 300, 300)):
        err = cut_tail_test_error(b, n, kk, C * ctx.scale, ctx.rng(f"tail-cut-{b}"))
        want = Z.cut_test_error_value(b, n, kk)
        floor = float(Z.plateau().subs({Z.beta: b, Z.k: kk}))
        pv, z = mean_z_p(err, want)
        ps.append(pv)
        parts.append(f"beta={b}, T={n}, k={kk} ({C * ctx.scale} chains): {err.mean():.5f} vs exact {want:.5f} "
                     f"(z={z:.2f}; floor {floor:.5f})")
    return Outcome("test error of a learner trained on the cut model: " + "; ".join(parts), p_value=bonferroni(ps))


UNSEEN = Claim(
    id="tails-zipf-scaling",
    title="Zipf data: the unseen mass after T samples scales as T^-(beta-1)/beta",
    statement=("For p_i proportional to i^-beta (beta > 1), the expected probability mass of states not seen among T "
               "samples (the test error of a memorising learner) is sum_i p_i (1 - p_i)^T ~ K(beta) T^-(beta-1)/beta "
               "with K(beta) = Gamma(1 - 1/beta) zeta(beta)^(-1/beta) / beta; explicitly it is within "
               "1/(eT) + 2T/(e^2 (T-1)^2) of K(beta) T^-(beta-1)/beta for every T >= 2."),
    source=f"{TALE}, Hutter's scaling law T^-(beta-1)/beta; Karlin (1967) for the general regular-variation form",
    proof=(
        Check("zipf-unseen-formula", "symbolic", "E[U_T] from the binomial pgf at 0", _check_unseen_formula),
        Check("zipf-scaling-constant", "symbolic", "the Poissonised integral: exponent and Gamma-function constant",
              _check_scaling_constant),
        Cited("unimodal-sum-integral", "for a unimodal f >= 0 on (0, oo), |sum_(i>=1) f(i) - int_0^oo f| <= max f; and "
              "a^T - b^T <= T (a - b) a^(T-1) for 0 <= b <= a (mean value theorem)",
              "elementary; e.g. Flajolet & Sedgewick, Analytic Combinatorics (2009), Appendix B.7 (sums and integrals)"),
        Check("zipf-error-band", "symbolic", "|E[U_T] - A_T| <= eps(T) = o(A_T), step by step", _check_band),
        Cited("karlin-missing-mass", "if #{i : p_i >= x} ~ l x^(-alpha), 0 < alpha < 1, the expected missing mass after T "
              "draws is ~ alpha Gamma(1 - alpha) l T^(alpha - 1) (here alpha = 1/beta, l = zeta(beta)^(-1/beta))",
              "Karlin, J. Math. Mech. 17 (1967); Gnedin, Hansen, Pitman, Probab. Surveys 4 (2007), Prop. 17"),
        Check("zipf-band-certified", "certificate", "the exact E[U_T] in balls lies inside the band",
              _check_band_certified),
    ),
    evidence=(Check("zipf-unseen-sim", "simulation", "simulated unseen mass against the exact sum", _check_unseen_sim),),
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
        Check("tail-cut-floor", "symbolic", "floor, its integral bounds, the sandwich and the limit", _check_cut_floor),
        Check("tail-cut-certified", "certificate", "ball arithmetic at a grid of (beta, k, T)", _check_cut_certified),
    ),
    evidence=(Check("tail-cut-sim", "simulation", "simulated learner on the cut model", _check_cut_sim),),
)

ORDER = 45
CLAIMS = (UNSEEN, CUT)
