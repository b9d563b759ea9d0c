"""Data regimes against collapse: fresh real data (discrete), accumulation (discrete and Gaussian), the KDE chain.

Formulas from :mod:`collapse.analytic.mixing` (discrete mixing and pooling, KDE),
:mod:`collapse.analytic.gaussian` (accumulate step) and :mod:`collapse.analytic.numeric` at call time;
simulations through the generic loop :func:`collapse.simulate.loop.run_generations` (every regime:
``mix`` with all three shares, ``accumulate``, ``accumulate-subsample``) and the fast Gaussian sampler.

Independent routes: exact enumeration of the loop's training sets in rationals (multinomial model
draws, hypergeometric subsets of previous data, multinomial real draws; see
:mod:`collapse.proofs.discrete`); second derivations by another method (moments of the counts
instead of pairs of points; pair differences of pooled Gaussian points instead of Chan's merge);
moments of the literal Gaussian points by Gaussian moment algebra (E Z^2 = 1, E Z^4 = 3).
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import sympy as sp

from collapse.analytic import gaussian as G
from collapse.analytic import mixing as X
from collapse.analytic import numeric as N
from collapse.proofs.core import Check, Cited, Claim, Context, Erratum, Outcome, Part
from collapse.proofs.discrete import (
    compositions, convolve, expect, fast_zero, het_of, law_chi2, law_mde, mixture, multinomial_law, power, power_note,
    rational, solve_fractions, subset_law, to_fraction, z_mean, zero_outcome,
)
from collapse.proofs.gaussian import PAPER
from collapse.proofs.stats import bonferroni
from collapse.proofs.symbolic import decide_zero, induction, is_zero
from collapse.simulate.families.discrete import DiscreteConfig, simulate_discrete
from collapse.simulate.families.gaussian import GaussianConfig, GaussianFamily, GaussianParams, simulate_gaussian
from collapse.simulate.families.kde import KDEFamily
from collapse.simulate.loop import run_generations

ORDER = 35
MIXING = f"{PAPER}, 'Theoretical intuition' (p_(i+1) = alpha p_theta + beta p_i + gamma p_0)"
Fr = Fraction

#: the defaults of ``collapse theory mixing`` and ``collapse theory accumulate``
THEORY_MIX = {"M": 100, "gamma": 0.1, "p0": (0.5, 0.3, 0.15, 0.05), "bandwidth": 0.1}
THEORY_ACC = {"M": 100, "n": 1000, "estimator": "unbiased", "sigma0": 1.0}


# ---------------------------------------------------------------- discrete chain with fresh data
def _check_discrete_fixed_point(ctx: Context) -> Outcome:
    a, b = X.discrete_mix_recursion()
    hs = X.discrete_mix_fixed_point()
    solves = is_zero(a * hs + b * X.H0 - hs)
    ok_t, d_t = induction(X.discrete_mix_heterozygosity(), X.g, (1 - 1 / X.M) * X.H0, lambda f, n: a * f + b * X.H0)
    return Outcome(f"h* = {hs} solves the h = a h + b H0 it was solved from ({solves}); E[h_g] solves its recursion "
                   f"({d_t})", ok=bool(solves and ok_t))


def _check_discrete_positive(ctx: Context) -> Outcome:
    """h* > 0 whenever n_real >= 1 (any n_prev), h* = 0 without real data: signs of polynomials."""
    hs = X.discrete_mix_fixed_point()
    k, j, l = sp.symbols("k j l", integer=True, nonnegative=True)
    # n_real = 1 + k real points, n_prev = j previous points, n_model = l model points, M = 1 + k + j + l >= 2
    bad = []
    for sub, label in (({X.n_real: 1 + k, X.n_prev: j, X.M: 2 + k + j + l}, "M >= n_real + n_prev + 1"),
                       ({X.n_real: 1 + k, X.n_prev: 1 + j, X.M: 2 + k + j}, "n_model = 0")):
        ratio = sp.factor(sp.together(hs.subs(sub) / X.H0))
        num, den = sp.fraction(ratio)
        if not (sp.expand(num).is_positive and sp.expand(den).is_positive):
            bad.append(f"{label}: h*/H0 = {ratio}")
    h_none = sp.simplify(hs.subs({X.n_real: 0}))
    ok = not bad and h_none == 0
    return Outcome(f"with n_real >= 1 real points (any share of previous data) h*/H0 is a ratio of polynomials with "
                   f"positive coefficients; without real data h* = {h_none}" + ("; " + "; ".join(bad) if bad else ""),
                   ok=ok)


def _check_discrete_second_derivation(ctx: Context) -> Outcome:
    """The recursion again from the counts' second moments (not from pairs of points), then h* and E[h_g] against it."""
    M, npv, nr, H0 = X.M, X.n_prev, X.n_real, X.H0
    nm = M - npv - nr
    S, P = sp.symbols("S P", positive=True)  # sum_k x_k^2 of D_g and sum_k p0_k^2
    # counts of D_(g+1) = a + b + r: a ~ Mult(n_model, x), b a uniform n_prev-subset of D_g (hypergeometric),
    # r ~ Mult(n_real, p0), independent given D_g. Summed over k:
    #   sum Var(a_k) = nm (1 - S); sum Var(b_k) = npv (1 - S)(M - npv)/(M - 1); sum Var(r_k) = nr (1 - P);
    #   sum (E c_k)^2 = (nm + npv)^2 S + 2 (nm + npv) nr sum_k x_k p0_k + nr^2 P,  E[sum_k x_k p0_k] = P
    second = (nm * (1 - S) + npv * (1 - S) * (M - npv) / (M - 1) + nr * (1 - P)
              + (nm + npv) ** 2 * S + 2 * (nm + npv) * nr * P + nr**2 * P) / M**2
    h_next = sp.expand(1 - second.subs({S: 1 - sp.Symbol("h"), P: 1 - H0}))
    hsym = sp.Symbol("h")
    a2, b2 = sp.diff(h_next, hsym), sp.simplify(h_next.subs(hsym, 0) / H0)
    a, b = X.discrete_mix_recursion()
    dom = {M: (6, 30), npv: (0, 2), nr: (0, 3)}
    za, zb = fast_zero(a - a2, domain=dom), fast_zero(b - b2, domain=dom)
    # E[x_(g+1)] = ((nm + npv) E[x_g] + nr p0) / M = p0 when E[x_g] = p0: the mean is kept, E||x - p0||^2 = H0 - E[h]
    mean_kept = sp.simplify(((nm + npv) * sp.Symbol("p") + nr * sp.Symbol("p")) / M - sp.Symbol("p")) == 0
    hstar2 = b2 * H0 / (1 - a2)
    zf = fast_zero(X.discrete_mix_fixed_point() - hstar2, domain={M: (6, 30), npv: (0, 2), nr: (1, 3)})
    ok_t, d_t = induction(X.discrete_mix_heterozygosity(), X.g, (1 - 1 / M) * H0, lambda f, n: a2 * f + b2 * H0)
    # the theory defaults
    m, gam, p0 = THEORY_MIX["M"], THEORY_MIX["gamma"], THEORY_MIX["p0"]
    n_real = max(2, int(round(gam * m)))
    H0v = 1 - sum(sp.nsimplify(q) ** 2 for q in p0)
    at = {M: m, npv: 0, nr: n_real, H0: H0v}
    hv = hstar2.subs(at)
    hv_theirs = X.discrete_mix_fixed_point().subs(at)
    detail = (f"from the counts' second moments E[h'] = a' E[h] + b' H0 with a' = {sp.factor(a2)}, b' = "
              f"{sp.factor(b2)}; against discrete_mix_recursion: a {za.status}, b {zb.status}; h* = b' H0 / (1 - a') "
              f"against discrete_mix_fixed_point: {zf.status}; E[h_g] solves the recursion of (a', b'): {ok_t}; the "
              f"mean is kept: {mean_kept}; at the theory defaults (M = {m}, n_real = {n_real}, H0 = {float(H0v)}) "
              f"h* = {float(hv):.12g} ({hv == hv_theirs}), H0 - h* = {float(H0v - hv):.12g}")
    if not (ok_t and mean_kept and hv == hv_theirs):
        return Outcome(detail, ok=False)
    return zero_outcome(detail, za, zb, zf)


def _mix_kernel(m: int, shares: tuple[int, int, int], p0: tuple):
    """The loop's mix step on the counts of D_g: n_model draws from D_g / M, an n_prev-subset of D_g, n_real from p0."""
    n_model, n_prev, n_real = shares
    real = multinomial_law(n_real, p0) if n_real else None
    cache = {}

    def ker(D):
        if D not in cache:
            laws = []
            if n_model:
                laws.append(multinomial_law(n_model, tuple(Fr(c, m) for c in D)))
            if n_prev:
                laws.append(subset_law(D, n_prev))
            if real is not None:
                laws.append(real)
            cache[D] = convolve(*laws)
        return cache[D]

    return ker


def _stationary(states: list, ker) -> dict:
    """The stationary law of a finite chain (unique: one recurrent class), exactly."""
    n = len(states)
    idx = {s: i for i, s in enumerate(states)}
    A = [[Fr(0)] * n for _ in range(n)]
    for s in states:
        for s2, w in ker(s).items():
            A[idx[s2]][idx[s]] += w
    for i in range(n):
        A[i][i] -= 1
    A[-1] = [Fr(1)] * n
    rhs = [[Fr(0)] for _ in range(n - 1)] + [[Fr(1)]]
    pi = solve_fractions(A, rhs)
    return {s: pi[i][0] for i, s in enumerate(states)}


_MIX_CASES = {  # K: {M: [(n_model, n_prev, n_real), ...]}
    2: {3: [(1, 1, 1), (2, 0, 1), (0, 2, 1), (1, 2, 0), (0, 3, 0), (3, 0, 0)],
        4: [(2, 1, 1), (1, 2, 1), (2, 0, 2), (2, 2, 0), (0, 4, 0), (4, 0, 0)],
        5: [(3, 1, 1), (1, 2, 2)]},
    3: {3: [(1, 1, 1), (2, 0, 1)], 4: [(2, 1, 1), (0, 4, 0)]},
}
_MIX_P0 = {2: (Fr(2, 3), Fr(1, 3)), 3: (Fr(1, 2), Fr(1, 3), Fr(1, 6))}


def _check_discrete_enumerated(ctx: Context) -> Outcome:
    """E[h_g], E[x_g], E||x_g - p0||^2 for g <= 3 and the stationary E[h], over every outcome of the loop's step."""
    traj, hs = X.discrete_mix_heterozygosity(), X.discrete_mix_fixed_point()
    a_rec, b_rec = X.discrete_mix_recursion()
    bad, n, beta_one, singular = [], 0, [], 0
    for K, by_m in _MIX_CASES.items():
        p0 = _MIX_P0[K]
        H0 = 1 - sum(q * q for q in p0)
        for m, cases in by_m.items():
            for shares in cases:
                sub = {X.M: m, X.n_prev: shares[1], X.n_real: shares[2], X.H0: rational(H0)}
                ker = _mix_kernel(m, shares, p0)
                law = multinomial_law(m, p0)  # D_0: M fresh points
                hs_g = []
                a_v, b_v = to_fraction(a_rec.subs(sub)), to_fraction(b_rec.subs(sub))
                rec = (1 - Fr(1, m)) * H0  # the recursion's E[h_0]
                for g in range(4):
                    n += 1
                    eh = expect(law, het_of)
                    hs_g.append(eh)
                    closed = traj.subs(sub).subs(X.g, g)
                    if closed.has(sp.nan, sp.zoo, sp.oo):  # the closed form is singular at a = 1 (beta = 1)
                        singular += 1
                    elif eh != to_fraction(closed):
                        bad.append(f"K={K}, M={m}, shares={shares}, g={g}: E[h] {eh} vs closed form {closed}")
                    if eh != rec:
                        bad.append(f"K={K}, M={m}, shares={shares}, g={g}: E[h] {eh} vs recursion {rec}")
                    rec = a_v * rec + b_v * H0
                    for k in range(K):
                        if expect(law, lambda c: Fr(c[k], m)) != p0[k]:
                            bad.append(f"K={K}, M={m}, shares={shares}, g={g}: E[x_{k}] != p0")
                    dist = expect(law, lambda c: sum((Fr(x, m) - q) ** 2 for x, q in zip(c, p0)))
                    if dist != H0 - eh:
                        bad.append(f"K={K}, M={m}, shares={shares}, g={g}: E||x - p0||^2 != H0 - E[h]")
                    law = mixture(law, ker)
                if shares[1] == m:  # beta = 1: the training set is a permutation of the last one
                    identity = all(ker(s) == {s: 1} for s in compositions(m, K))
                    beta_one.append(identity and len(set(hs_g)) == 1)
                if shares[2] > 0:
                    states = list(compositions(m, K))
                    pi = _stationary(states, ker)
                    e_stat = expect(pi, het_of)
                    want = to_fraction(hs.subs(sub))
                    if e_stat != want:
                        bad.append(f"K={K}, M={m}, shares={shares}: stationary E[h] {e_stat} vs h* {want}")
                elif shares[0] > 0 and to_fraction(hs.subs(sub)) != 0:
                    bad.append(f"K={K}, M={m}, shares={shares}: no real data but h* != 0")
    ok = not bad and beta_one and all(beta_one)
    return Outcome(f"{n} (K, M, shares, g) cases, K = 2, 3, M = 3..5, shares (n_model, n_prev, n_real) with n_prev > 0 "
                   "among them: E[h_g], E[x_g] = p0 and E||x_g - p0||^2 = H0 - E[h_g] summed over every outcome of the "
                   "loop's step (multinomial model draws, hypergeometric previous points, multinomial real points) equal "
                   f"the recursion and the closed forms (the closed form is singular in the {singular} beta = 1 cases, "
                   "where the recursion is used), and the exact stationary law's E[h] equals h*; with beta = 1 "
                   f"(alpha = gamma = 0) the step is the identity and E[h_g] never changes "
                   f"({all(beta_one) if beta_one else None})"
                   + ("" if not bad else "; FAILED: " + "; ".join(bad[:4])), ok=ok)


def _check_discrete_mix_sim(ctx: Context) -> Outcome:
    p0 = np.array((0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05))
    m, gens, regime = 10, 20, "mix:0.6,0.2,0.2"
    cfg = DiscreteConfig(36_000 * ctx.scale, tuple(p0), (m,) * gens, regime=regime, sampler="literal")
    ch = simulate_discrete(cfg, ctx.rng("discrete-mix"), keep=list(range(1, gens + 1)))
    shares = (6, 2, 2)
    H0 = 1 - float(np.sum(p0**2))
    sub = {X.M: m, X.n_prev: shares[1], X.n_real: shares[2], X.H0: sp.nsimplify(H0)}
    traj = sp.lambdify(X.g, X.discrete_mix_heterozygosity().subs(sub), "mpmath")
    # generation g + 1's fit is the frequencies of D_g (g = 0..gens - 1)
    want_h = np.array([float(traj(g)) for g in range(gens)])
    P = ch.freqs  # (chains, gens, K): generations 1..gens
    het = 1 - np.sum(P**2, axis=2)
    dist = np.sum((P - p0) ** 2, axis=2)
    # per chain, the average over generations (chains independent; the exact E[h_g] at every g, transient included)
    p1, z1, r1 = z_mean(het.mean(axis=1), want_h.mean())
    p2, z2, r2 = z_mean(dist.mean(axis=1), H0 - want_h.mean())
    mde = power([r1, r2], ctx)
    return Outcome(f"literal loop, {P.shape[0]} chains, M={m}, {regime} (shares {shares}), K={p0.size}, averaged over "
                   f"generations 1..{gens}: E[h] {het.mean():.5f} vs {want_h.mean():.5f} (z={z1:.2f}); E||p - p0||^2 "
                   f"{dist.mean():.5f} vs {H0 - want_h.mean():.5f} (z={z2:.2f}); h* = "
                   f"{float(X.discrete_mix_fixed_point().subs(sub)):.4f}; {power_note(mde, ctx)}",
                   p_value=bonferroni([p1, p2]), mde=mde, moment=True)


def _check_mix_law(ctx: Context) -> Outcome:
    """The loop's law of D_2 under mix (all three shares) against the exact law; beta = 1 keeps the counts exactly."""
    p0, m = (Fr(1, 2), Fr(1, 3), Fr(1, 6)), 4
    shares, regime = (1, 2, 1), "mix:0.25,0.5,0.25"
    ker = _mix_kernel(m, shares, p0)
    exact = mixture(mixture(multinomial_law(m, p0), ker), ker)  # D_2
    n = 60_000 * ctx.scale
    cfg = DiscreteConfig(n, tuple(float(q) for q in p0), (m,) * 3, regime=regime, sampler="literal")
    ch = simulate_discrete(cfg, ctx.rng("mix-law"), keep=[3])
    p, chi = law_chi2(np.rint(ch.freqs[:, -1, :] * m).astype(int), exact)
    # beta = 1 (alpha = gamma = 0): every training set is a subset of all M points of the last one
    still = simulate_discrete(DiscreteConfig(2000, tuple(float(q) for q in p0), (m,) * 5, regime="mix:0,1,0",
                                             sampler="literal"), ctx.rng("mix-law-beta-one"), keep=[1, 2, 3, 4, 5])
    frozen = bool(np.all(still.freqs == still.freqs[:, :1, :]))
    mde = law_mde(exact, n, ctx.alpha)
    return Outcome(f"literal loop, {n} chains, M={m}, {regime} (shares {shares}), K=3: law of D_2 over {len(exact)} count "
                   f"vectors, chi2 = {chi:.1f} (p={p:.3g}); with mix:0,1,0 the counts never change over 5 generations "
                   f"({frozen}); detects a relative error >= {mde:.2%} in any one cell's probability with probability "
                   f"0.99 at alpha = {ctx.alpha:.2g}", p_value=p if frozen else 0.0, mde=mde, moment=False)


# ---------------------------------------------------------------- the discrete chain under accumulation
def _pool_laws(m: int, regime: str, p0: tuple, generations: int) -> list:
    """Exact laws of (pool counts, training-set counts) for generations 0..G of the loop's pooled regimes."""
    law = {(D, D): w for D, w in multinomial_law(m, p0).items()}  # pool = training set = D_0
    out = [law]
    for _ in range(generations):
        nxt = {}
        for (pool, train), w in law.items():
            new = multinomial_law(m, tuple(Fr(c, sum(train)) for c in train))
            for D, wd in new.items():
                pool2 = tuple(a + b for a, b in zip(pool, D))
                trains = {pool2: Fr(1)} if regime == "accumulate" else subset_law(pool2, m)
                for T2, wt in trains.items():
                    key = (pool2, T2)
                    nxt[key] = nxt.get(key, Fr(0)) + w * wd * wt
        law = nxt
        out.append(law)
    return out


def _check_pool_enumerated(ctx: Context) -> Outcome:
    bad, n = [], 0
    for K, p0, ms, G_ in ((2, (Fr(2, 3), Fr(1, 3)), (2, 3), 3), (3, (Fr(1, 2), Fr(1, 3), Fr(1, 6)), (2, 3), 2)):
        H0 = 1 - sum(q * q for q in p0)
        for m in ms:
            for regime in ("accumulate", "accumulate-subsample"):
                want = X.discrete_pool_heterozygosity(regime, m, G_)
                for g, law in enumerate(_pool_laws(m, regime, p0, G_)):
                    n += 1
                    eh = expect(law, lambda s: het_of(s[1]))
                    if eh != H0 * to_fraction(want[g]):
                        bad.append(f"K={K}, M={m}, {regime}, g={g}: E[h] {eh} vs {H0 * to_fraction(want[g])}")
                    for k in range(K):
                        if expect(law, lambda s: Fr(s[1][k], sum(s[1]))) != p0[k]:
                            bad.append(f"K={K}, M={m}, {regime}, g={g}: E[x_{k}] != p0")
    return Outcome(f"{n} (K, M, regime, g) cases, K = 2, 3, M = 2, 3, g <= 3: E[h] of the training set and "
                   "E[x] = p0, summed over every outcome (multinomial draws from the training set's frequencies, the "
                   "pool's growth, hypergeometric M-subsets of it), equal discrete_pool_heterozygosity"
                   + ("" if not bad else "; FAILED: " + "; ".join(bad[:4])), ok=not bad)


def _check_pool_limit(ctx: Context) -> Outcome:
    """accumulate: the factors are 1 - 1/(M (g + 2)^2), the product -> sin(pi/sqrt M)/(pi/sqrt M); subsample: bounded."""
    f = X.discrete_pool_factors()
    M, Nn = X.M, X.N
    g = sp.Symbol("g", integer=True, nonnegative=True)
    z_acc = fast_zero(f["accumulate"].subs(Nn, (g + 1) * M) - (1 - 1 / (M * (g + 2) ** 2)),
                      domain={M: (2, 40), g: (0, 40)})
    # E[h_0] / H0 = 1 - 1/M is the j = 1 factor, so E[h_g] / H0 = prod_(j=1)^(g+1) (1 - 1/(M j^2)) (exact prefix,
    # checked in rationals); its limit is Euler's sine product (DLMF 4.22.1) at z = pi / sqrt(M): the partial product
    # P_J brackets it, P_J (1 - 1/(M J)) <= prod_(j >= 1) <= P_J, since prod_(j > J) >= 1 - sum_(j > J) 1/(M j^2)
    lim_ok = []
    J = 4000
    for m in (2, 5, 10, 100):
        prefix = X.discrete_pool_heterozygosity("accumulate", m, 8)
        exact = [Fraction(1)]
        for j in range(1, 10):
            exact.append(exact[-1] * (1 - Fraction(1, m * j * j)))
        ok_prefix = [to_fraction(v) for v in prefix] == exact[1:]
        with mpmath.workdps(30):
            euler = mpmath.sin(mpmath.pi / mpmath.sqrt(m)) / (mpmath.pi / mpmath.sqrt(m))
            PJ = mpmath.mpf(1)
            for j in range(1, J + 1):
                PJ *= 1 - mpmath.mpf(1) / (m * j * j)
            lim_ok.append(ok_prefix and PJ * (1 - mpmath.mpf(1) / (m * J)) <= euler <= PJ and euler > 0)
    # subsample: 0 <= 1 - pool(N) <= 4 M / N^2 for N >= M >= 2, so the product of the pool factors converges to a
    # positive limit (sum_g 4 M / ((g + 1) M)^2 < oo and every factor is positive); the training set has (M-1)N/(M(N-1))
    # of it, >= (M - 1)/M
    a, c = sp.symbols("a c", integer=True, nonnegative=True)
    sub = {M: 2 + a, Nn: 2 + a + c}  # N >= M >= 2
    one_minus = 1 - f["pool"]
    signs = [_nonnegative(e.subs(sub), (a, c))
             for e in (one_minus, 4 * M / Nn**2 - one_minus, f["pool"], f["subsample"] - (M - 1) / M)]
    sub_lim = [float(X.discrete_pool_heterozygosity("accumulate-subsample", m, 100)[-1]) for m in (2, 5, 10)]
    detail = (f"accumulate factor at N = (g+1)M minus 1 - 1/(M (g+2)^2): {z_acc.status}; its product equals Euler's "
              f"sin(pi/sqrt M)/(pi/sqrt M) (bracketed by the partial product to {J} factors at 30 digits, M = 2, 5, 10, "
              f"100) and the exact prefixes match in rationals ({all(lim_ok)}); accumulate-subsample: 1 - pool factor in [0, 4M/N^2], pool factor > 0, training "
              f"factor >= (M-1)/M, as polynomial signs for N >= M >= 2 ({signs}), so the product converges to a "
              f"positive limit; E[h_100]/H0 = {[round(v, 4) for v in sub_lim]} for M = 2, 5, 10")
    if not (all(lim_ok) and all(signs)):
        return Outcome(detail, ok=False)
    return zero_outcome(detail, z_acc)


def _nonnegative(e: sp.Expr, syms) -> bool:
    """e >= 0 for all non-negative integers ``syms``: numerator and denominator with non-negative coefficients."""
    num, den = sp.fraction(sp.factor(sp.together(e)))
    num, den = sp.expand(num), sp.expand(den)
    if den == 0:
        return False
    return all(co >= 0 for co in sp.Poly(num, *syms).coeffs()) and all(co >= 0 for co in sp.Poly(den, *syms).coeffs())


def _check_pool_law(ctx: Context) -> Outcome:
    """The loop's law of the training set at generation 3 under both pooled regimes against the exact law."""
    p0, n = (Fr(2, 3), Fr(1, 3)), 60_000 * ctx.scale
    ps, parts, mdes = [], [], []
    for regime, m in (("accumulate", 2), ("accumulate-subsample", 3)):
        laws = _pool_laws(m, regime, p0, 2)
        exact = {}
        for (pool, train), w in laws[2].items():
            exact[train] = exact.get(train, Fr(0)) + w
        size = sum(next(iter(exact)))
        cfg = DiscreteConfig(n, tuple(float(q) for q in p0), (m,) * 3, regime=regime, sampler="literal")
        ch = simulate_discrete(cfg, ctx.rng(f"pool-law-{regime}"), keep=[3])
        p, chi = law_chi2(np.rint(ch.freqs[:, -1, :] * size).astype(int), exact)
        ps.append(p)
        mdes.append(law_mde(exact, n, ctx.alpha, 2))
        parts.append(f"{regime} (M={m}, training set of {size}): chi2 = {chi:.1f} over {len(exact)} cells (p={p:.3g})")
    mde = max(mdes)
    return Outcome(f"literal loop, {n} chains per regime, K=2, p0=(2/3, 1/3): " + "; ".join(parts)
                   + f"; detects a relative error >= {mde:.2%} in any one cell's probability with probability 0.99 at "
                   f"alpha = {ctx.alpha:.2g}", p_value=bonferroni(ps), mde=mde, moment=False)


def _check_pool_sim(ctx: Context) -> Outcome:
    p0 = np.array((0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05))
    m, gens = 5, 5
    H0 = 1 - float(np.sum(p0**2))
    ps, rel, parts = [], [], []
    for regime in ("accumulate", "accumulate-subsample"):
        cfg = DiscreteConfig(27_000 * ctx.scale, tuple(p0), (m,) * gens, regime=regime, sampler="literal")
        ch = simulate_discrete(cfg, ctx.rng(f"pool-{regime}"), keep=list(range(1, gens + 1)))
        want = np.array([float(v) * H0 for v in X.discrete_pool_heterozygosity(regime, m, gens - 1)])
        het = 1 - np.sum(ch.freqs**2, axis=2)  # (chains, gens): training sets D_0 .. D_(gens-1)
        p, z, r = z_mean(het.mean(axis=1), want.mean())
        ps.append(p)
        rel.append(r)
        parts.append(f"{regime}: E[h] averaged over generations 1..{gens} {het.mean():.5f} vs {want.mean():.5f} "
                     f"(z={z:.2f}; last {het[:, -1].mean():.4f} vs {want[-1]:.4f})")
    mde = power(rel, ctx)
    return Outcome(f"literal loop, {ch.freqs.shape[0]} chains per regime, M={m}, K={p0.size}: " + "; ".join(parts)
                   + f"; {power_note(mde, ctx)}", p_value=bonferroni(ps), mde=mde, moment=True)


# ---------------------------------------------------------------- accumulate vs replace (Gaussian mean)
def _check_accumulate_steps(ctx: Context) -> Outcome:
    st = G.accumulate_step("unbiased")
    i = sp.Symbol("i", integer=True, nonnegative=True)
    step_i = sp.simplify(st["mean_step"].subs(st["N"], i * G.M))
    per_gen = decide_zero(step_i - 1 / (G.M * (i + 1) ** 2)).proved
    total = sp.summation(1 / (i + 1) ** 2, (i, 0, sp.oo))
    # E[sigma_i^2] <= sigma0^2 under accumulate (unbiased), by induction: if E[SS_i] <= (N - 1) s and
    # E[sigma_i^2] <= s, the next E[SS] is at most (N - 1 + ss_step) s = (N + M - 2 + N/(N + M)) s
    Nn = st["N"]
    slack = sp.factor(sp.simplify((Nn + G.M - 1) - (Nn - 1 + st["ss_step"])))
    num, den = sp.fraction(sp.together(slack.subs({Nn: sp.Symbol("a", positive=True)})))
    shrinks = (sp.expand(num).is_positive and sp.expand(den).is_positive) is True
    ok = per_gen and total == sp.pi**2 / 6 and shrinks
    return Outcome(f"E[(mu_(i+1) - mu_i)^2] / sigma_i^2 = {step_i} with N_i = iM (={per_gen}); sum_i 1/(i+1)^2 = "
                   f"{total}; E[SS] bound slack (N_(i+1) - 1) - (N_i - 1 + ss_step) = {slack} > 0: E[sigma_i^2] <= "
                   "sigma0^2 for all i, so E[(mu_n - mu_0)^2] <= (pi^2/6) sigma0^2 / M, while replace gives n sigma0^2 / M",
                   ok=ok)


def _pair_step():
    """(mean_step, ss_step) of the pooled fit from pair differences: N old points (mean mu, sum of squares SS)
    and M new points mu + sigma Z_j. SS' = sum over all pairs (u - v)^2 / (2 (N + M)): old-old 2 N SS, old-new
    2 M (SS + N sigma^2), new-new 2 M (M - 1) sigma^2 in expectation; mu' - mu = (M / (N + M)) sigma Zbar."""
    Nn, M, SS, s2 = sp.Symbol("N", integer=True, nonnegative=True), G.M, sp.Symbol("SS"), sp.Symbol("s2")
    e_ss = (2 * Nn * SS + 2 * M * (SS + Nn * s2) + 2 * M * (M - 1) * s2) / (2 * (Nn + M))
    ss_step = sp.simplify((e_ss - SS) / s2)
    mean_step = (M / (Nn + M)) ** 2 / M
    return Nn, mean_step, ss_step


def _iterate_pooled(mean_step, ss_step, Nn, m: int, n: int, ddof: int, accumulate: bool, dps: int = 40):
    """E[(mu_n - mu_0)^2], E[sigma_n^2] (sigma0 = 1) by iterating the pair-difference step in mpmath."""
    fm = sp.lambdify((Nn, G.M), mean_step, "mpmath")
    fs = sp.lambdify((Nn, G.M), ss_step, "mpmath")
    with mpmath.workdps(dps):
        e2, ss, d2, pooled = mpmath.mpf(1), mpmath.mpf(0), mpmath.mpf(0), 0
        for _ in range(n):
            if not accumulate:
                ss, pooled = mpmath.mpf(0), 0
            d2 += fm(pooled, m) * e2
            ss += fs(pooled, m) * e2
            pooled += m
            e2 = ss / (pooled - ddof)
        return +d2, +e2


def _check_accumulate_pairs(ctx: Context) -> Outcome:
    Nn, mean_step, ss_step = _pair_step()
    bad, parts = [], []
    for est in G.ESTIMATORS:
        st = G.accumulate_step(est)
        zm = fast_zero(st["mean_step"].subs(st["N"], Nn) - mean_step, domain={Nn: (0, 40)})
        zs = fast_zero(st["ss_step"].subs(st["N"], Nn) - ss_step, domain={Nn: (0, 40)})
        ddof = 1 if est == "unbiased" else 0
        if zm.nonzero or zs.nonzero or int(st["ddof"]) != ddof:
            bad.append(f"{est}: mean step {zm.status}, ss step {zs.status}, ddof {st['ddof']}")
    m, n, est = THEORY_ACC["M"], THEORY_ACC["n"], THEORY_ACC["estimator"]
    ddof = 1 if est == "unbiased" else 0
    d2, e2 = _iterate_pooled(mean_step, ss_step, Nn, m, n, ddof, True)
    r2, re2 = _iterate_pooled(mean_step, ss_step, Nn, m, n, ddof, False)
    theirs = N.gaussian_accumulate_values(est, [m] * n, THEORY_ACC["sigma0"], dps=30)
    rep = N.gaussian_values(est, m, n, THEORY_ACC["sigma0"], dps=30)
    tol = mpmath.mpf(10) ** -12  # the numeric module returns double precision
    for label, mine, other in (("accumulate E_dmu2", d2, theirs["E_dmu2"][-1]),
                               ("accumulate E_sigma2", e2, theirs["E_sigma2"][-1]),
                               ("replace E_dmu2", r2, rep["Var_mu"]), ("replace E_sigma2", re2, rep["E_sigma2"])):
        if abs(mine - other) > tol * abs(mine):
            bad.append(f"{label}: {mpmath.nstr(mine, 15)} vs {mpmath.nstr(other, 15)}")
    bound = mpmath.pi**2 / 6 / m
    if not d2 <= bound:
        bad.append("accumulate above pi^2/(6M)")
    parts.append(f"at the theory defaults (M = {m}, n = {n}, {est}): accumulate E[(mu_n - mu_0)^2] = "
                 f"{mpmath.nstr(d2, 12)} <= pi^2/(6M) = {mpmath.nstr(bound, 12)}, E[sigma_n^2] = {mpmath.nstr(e2, 12)}; "
                 f"replace {mpmath.nstr(r2, 12)}, {mpmath.nstr(re2, 12)}")
    return Outcome(f"pair differences give ss_step = {ss_step} and mean_step = {sp.simplify(mean_step)}, equal to "
                   "accumulate_step's for both estimators (with its ddof); iterated here in mpmath: " + "; ".join(parts)
                   + ("" if not bad else "; FAILED: " + "; ".join(bad)), ok=not bad)


def _gauss_expect(expr: sp.Expr, layers: list) -> sp.Expr:
    """E of a polynomial in independent N(0, 1) symbols, one generation's at a time (latest first).

    ``layers``: (zs, s, s2) per generation: its standard normals, the symbol of its sigma (which multiplies
    only its own zs), and sigma^2 as a polynomial in earlier symbols. E[Z^k] = (k - 1)!! for even k.
    """
    for zs, s, s2 in reversed(layers):
        gens = list(zs) + ([s] if s is not None else [])
        out = sp.Integer(0)
        for monom, coeff in sp.Poly(sp.expand(expr), *gens).terms():
            w = sp.Integer(1)
            for k in monom[:len(zs)]:
                if k % 2:
                    w = sp.Integer(0)
                    break
                w *= sp.factorial2(k - 1)
            if w == 0:
                continue
            sp_pow = monom[len(zs)] if s is not None else 0
            if sp_pow % 2:
                raise ValueError("an odd power of sigma survived: the chain is not built as documented")
            out += coeff * w * (s2 ** (sp_pow // 2) if sp_pow else 1)
        expr = sp.expand(out)
    return expr


def _literal_gaussian_moments(m: int, n: int, ddof: int, accumulate: bool) -> tuple[sp.Expr, sp.Expr]:
    """Exact E[(mu_n - mu_0)^2] and E[sigma_n^2] (sigma0 = 1) of the literal chain, by Gaussian moment algebra."""
    z0 = sp.symbols(f"z0_0:{m}")
    layers = [(z0, None, None)]
    data = list(z0)  # D_0 = M points of N(0, 1)
    pool = list(data)
    mu = s2 = None
    for g in range(1, n + 1):
        train = pool if accumulate else data
        size = len(train)
        mu = sp.Add(*train) / size
        s2 = sp.expand(sp.Add(*[(x - mu) ** 2 for x in train]) / (size - ddof))
        if g < n:
            s = sp.Symbol(f"s{g}", positive=True)
            zs = sp.symbols(f"z{g}_0:{m}")
            layers.append((zs, s, s2))
            data = [mu + s * z for z in zs]
            pool = pool + data
    return _gauss_expect(sp.expand(mu**2), layers), _gauss_expect(s2, layers)


def _check_accumulate_literal(ctx: Context) -> Outcome:
    bad, parts = [], []
    tol = mpmath.mpf(10) ** -12  # relative: the numeric module returns double precision
    for est, ddof in (("unbiased", 1), ("mle", 0)):
        for m, n in ((2, 3), (3, 2)):
            for accumulate in (True, False):
                d2, e2 = _literal_gaussian_moments(m, n, ddof, accumulate)
                if accumulate:
                    v = N.gaussian_accumulate_values(est, [m] * n, 1.0, dps=30)
                    theirs = (v["E_dmu2"][-1], v["E_sigma2"][-1])
                else:
                    v = N.gaussian_values(est, m, n, 1.0, dps=30)
                    theirs = (v["Var_mu"], v["E_sigma2"])
                label = f"{est}, M={m}, n={n}, {'accumulate' if accumulate else 'replace'}"
                for name, mine, other in (("E dmu2", d2, theirs[0]), ("E sigma2", e2, theirs[1])):
                    with mpmath.workdps(30):
                        mine_q = sp.Rational(mine)
                        exact = mpmath.mpf(int(mine_q.p)) / int(mine_q.q)
                        if abs(exact - other) > tol * abs(exact):
                            bad.append(f"{label}: {name} {mine} = {float(mine):.10g} vs {mpmath.nstr(other, 10)}")
                if accumulate and m == 2:
                    parts.append(f"{label}: ({d2}, {e2})")
    return Outcome("E[(mu_n - mu_0)^2] and E[sigma_n^2] of the literal points (D_0 = M standard normals; each "
                   "generation M points mu + sigma Z; refit on the pool or the last data) by Gaussian moment algebra, "
                   "against gaussian_accumulate_values and gaussian_values at M = 2 (n = 3) and M = 3 (n = 2), both "
                   "estimators: " + ("all equal to 12 digits; " if not bad else "FAILED: " + "; ".join(bad[:4]) + "; ")
                   + "; ".join(parts), ok=not bad)


def _check_accumulate_sim(ctx: Context) -> Outcome:
    m, n = 20, 3
    C = 2_000_000 * ctx.scale
    acc = simulate_gaussian(GaussianConfig(C, (m,) * n, regime="accumulate"), ctx.rng("acc"), keep=[n])
    rep = simulate_gaussian(GaussianConfig(C, (m,) * n, regime="replace"), ctx.rng("rep"), keep=[n])
    va = N.gaussian_accumulate_values("unbiased", [m] * n)
    want_acc, want_s2 = float(va["E_dmu2"][-1]), float(va["E_sigma2"][-1])
    want_rep = float(N.gaussian_values("unbiased", m, n)["Var_mu"])
    ps, rel, parts = [], [], []
    for label, x, want in (("accumulate E[(mu_n - mu_0)^2]", acc.mu[:, -1] ** 2, want_acc),
                           ("accumulate E[sigma_n^2]", acc.sigma2[:, -1], want_s2),
                           ("replace E[(mu_n - mu_0)^2]", rep.mu[:, -1] ** 2, want_rep)):
        p, z, r = z_mean(x, want)
        ps.append(p)
        rel.append(r)
        parts.append(f"{label} {np.mean(x):.6f} vs {want:.6f} (z={z:.2f})")
    bound = np.pi**2 / 6 / m
    mde = power(rel, ctx)
    return Outcome(f"fast sampler, {C} chains, M={m}, n={n}: " + "; ".join(parts)
                   + f"; accumulate bound pi^2/(6M) = {bound:.5f}; {power_note(mde, ctx)}",
                   p_value=bonferroni(ps) if want_acc <= bound else 0.0, mde=mde, moment=True)


def _check_accumulate_loop(ctx: Context) -> Outcome:
    """The generic loop's accumulate regime with the Gaussian family: E[sigma_n^2] for both ddof."""
    m, n = 20, 3
    C = 120_000 * ctx.scale
    ps, rel, parts = [], [], []
    for est in G.ESTIMATORS:
        fam = GaussianFamily(est)
        last = run_generations(fam, GaussianParams(np.zeros(C), np.ones(C)), (m,) * n, ctx.rng(f"acc-loop-{est}"),
                               regime="accumulate")
        want = float(N.gaussian_accumulate_values(est, [m] * n)["E_sigma2"][-1])
        p, z, r = z_mean(last.var, want)
        ps.append(p)
        rel.append(r)
        parts.append(f"{est}: E[sigma_n^2] {last.var.mean():.5f} vs {want:.5f} (z={z:.2f})")
    mde = power(rel, ctx)
    return Outcome(f"literal loop (regime accumulate, GaussianFamily), {C} chains, M={m}, n={n}: " + "; ".join(parts)
                   + f"; {power_note(mde, ctx)}", p_value=bonferroni(ps), mde=mde, moment=True)


# ---------------------------------------------------------------- KDE
def _kde_sigma0(traj):
    return [s for s in traj.free_symbols if s.name == "sigma0"][0]


def _check_kde_forms(ctx: Context) -> Outcome:
    traj, fixed = X.kde_variance()
    sigma0 = _kde_sigma0(traj)
    c = (X.M - 1) / X.M
    ok_t, d_t = induction(traj, X.g, c * sigma0**2, lambda f, n: c * (f + X.h**2))
    ok_f = is_zero(fixed - c * (fixed + X.h**2))
    return Outcome(f"E[s_g^2] = {traj} solves the recursion rsolve solved ({d_t}); the fixed point {fixed} solves "
                   f"s = ((M-1)/M)(s + h^2) ({ok_f})", ok=ok_t and ok_f)


def _check_kde_pairs(ctx: Context) -> Outcome:
    """Second derivation: pair differences of KDE draws, then the unrolled geometric sum and its limit."""
    traj, fixed = X.kde_variance()
    sigma0 = _kde_sigma0(traj)
    M, h, g = X.M, X.h, X.g
    s2 = sp.Symbol("s2", positive=True)
    # draws y = x_I + h Z with I uniform on the M centres: for i != j, E(y_i - y_j)^2 = E(x_I - x_J)^2 + 2 h^2
    # = 2 s2 + 2 h^2 (s2 the divide-by-M variance); the new divide-by-M variance is sum_(i != j) (y_i - y_j)^2 / (2 M^2)
    step = sp.expand(M * (M - 1) * (2 * s2 + 2 * h**2) / (2 * M**2))
    c = sp.diff(step, s2)
    add = sp.simplify(step.subs(s2, 0))
    # D_0 is M points of N(mu, sigma0^2): E[s_0^2] = (M-1)/M sigma0^2 by the same pair count (h = 0)
    start = sp.expand(M * (M - 1) * 2 * sigma0**2 / (2 * M**2))
    j = sp.Symbol("j", integer=True, nonnegative=True)
    unrolled = c**g * start + sp.summation(c**j, (j, 0, g - 1)) * add
    dom = {M: (2, 30), g: (0, 20)}
    zt = decide_zero(traj - unrolled, domain=dom)
    limit = sp.simplify(add / (1 - c))
    zf = decide_zero(fixed - limit, domain={M: (2, 30)})
    at = float(fixed.subs({M: THEORY_MIX["M"], h: sp.nsimplify(THEORY_MIX["bandwidth"])}))
    return zero_outcome(f"pair differences: E[s_(g+1)^2] = {sp.factor(step)} (s2 = E[s_g^2]), E[s_0^2] = {sp.factor(start)}; "
                        f"E[s_g^2] against the unrolled sum c^g E[s_0^2] + h^2 c (1 - c^g)/(1 - c): {zt.status}; fixed point "
                        f"against add / (1 - c) = {limit}: {zf.status}; at the theory defaults (M = {THEORY_MIX['M']}, "
                        f"h = {THEORY_MIX['bandwidth']}) {at:.12g}", zt, zf)


def _check_kde_sim(ctx: Context) -> Outcome:
    """E[s_g^2] of the literal KDE chain: M = 4 (where a wrong draw of the centre shows) and M = 40."""
    traj = X.kde_variance()[0]
    sigma0 = _kde_sigma0(traj)
    ps, rel, parts = [], [], []
    for m, h, g_test, chains in ((4, 0.5, 1, 850_000), (40, 0.3, 2, 110_000)):
        C = chains * ctx.scale
        rng = ctx.rng(f"kde-{m}")
        fam = KDEFamily(bandwidth=h)
        x0 = rng.standard_normal((C, m, 1))  # D_0: M points of p_0 = N(0, 1)
        seen = {}

        def on_data(g, data, seen=seen):
            seen[g + 1] = data[..., 0].var(axis=1)  # divide-by-M variance of D_(g+1)

        run_generations(fam, fam.fit(x0), (m,) * g_test, rng, on_data=on_data)
        want = float(traj.subs({X.M: m, X.h: sp.nsimplify(h), sigma0: 1, X.g: g_test}))
        p, z, r = z_mean(seen[g_test], want)
        ps.append(p)
        rel.append(r)
        parts.append(f"M={m}, h={h}, {C} chains: E[s_{g_test}^2] {seen[g_test].mean():.5f} vs {want:.5f} (z={z:.2f}); "
                     f"fixed point (M-1)h^2 = {(m - 1) * h * h:.3f}")
    mde = power(rel, ctx)
    return Outcome("literal KDE loop: " + "; ".join(parts) + f"; {power_note(mde, ctx)}",
                   p_value=bonferroni(ps), mde=mde, moment=True)


# ---------------------------------------------------------------- claims
_PAPER_AG = ("For the mathematical models to come, we consider alpha_i = gamma_i = 0, that is, data only from a single "
             "step are used")

DISCRETE_FRESH = Claim(
    id="discrete-fresh-data",
    title="Fresh real data keeps the discrete chain away from a delta: stationary E||p - p_0||^2 = H_0 - h*",
    statement=("Mixing a fraction gamma of fresh real data into each generation's M points (alpha model draws, beta "
               "previous points) gives a linear recursion for the expected heterozygosity h of the training set, with "
               "fixed point h* > 0 whenever real data are mixed in (h* = 0 without); E||p_g - p_0||^2 = H_0 - E[h_g] "
               "converges to H_0 - h*."),
    source=MIXING,
    proof=(
        Check("discrete-mix-fixed-point", "consistency", "the fixed point and the transient against the recursion "
              "they were solved from", _check_discrete_fixed_point),
        Check("discrete-mix-second-derivation", "symbolic", "the recursion again from the counts' second moments; "
              "h* and E[h_g] against it; the mean is kept", _check_discrete_second_derivation,
              route="second derivation: multinomial and hypergeometric second moments of the counts (not pairs of "
                    "points)"),
        Check("discrete-mix-enumerated", "symbolic", "E[h_g], E[x_g], E||x_g - p0||^2 and the stationary E[h] over "
              "every outcome of the loop's step, beta > 0 included", _check_discrete_enumerated,
              route="exact enumeration of the loop's training sets in rationals (multinomial, hypergeometric, "
                    "multinomial), K = 2, 3, M = 3..5, with the exact stationary law"),
        Check("discrete-mix-positive", "symbolic", "h* > 0 with real data, for any share of previous data; 0 without",
              _check_discrete_positive, route="signs of the fixed point's numerator and denominator as polynomials"),
    ),
    evidence=(Check("discrete-mix", "simulation", "literal mixing loop (all three shares) against the exact recursion",
                    _check_discrete_mix_sim,
                    route="literal draw-and-refit through the generic loop (model draws, a subset of the previous "
                          "training set, fresh real points)"),
              Check("mix-law", "simulation", "the loop's law of D_2 under mixing against the exact law; beta = 1 "
                    "freezes the chain", _check_mix_law,
                    route="exact enumeration of the law against the literal loop, by Pearson's chi-square"),),
    parts=(
        Part("E[h] of the training set follows a linear recursion under mixing (alpha, beta, gamma shares)",
             ("discrete-mix-second-derivation", "discrete-mix-enumerated", "discrete-mix")),
        Part("the loop realises the mixing step (model draws, a subset of the previous data, fresh real data)",
             ("mix-law", "discrete-mix")),
        Part("the fixed point h* > 0 whenever real data are mixed in, h* = 0 without",
             ("discrete-mix-positive", "discrete-mix-enumerated")),
        Part("E||p_g - p_0||^2 = H_0 - E[h_g]", ("discrete-mix-enumerated", "discrete-mix-second-derivation",
                                                "discrete-mix")),
        Part("E||p_g - p_0||^2 converges to H_0 - h*", ("discrete-mix-enumerated", "discrete-mix-second-derivation")),
    ),
    errata=(Erratum(_PAPER_AG, "with alpha = gamma = 0 the weights give beta = 1, p_(i+1) = p_i: every training set is "
                    "the previous one (the chain does not move); the single-step models that follow use alpha = 1 "
                    "(beta = gamma = 0)", "discrete-mix-enumerated",
                    "'Theoretical intuition', the paragraph defining p_(i+1) = alpha p_theta + beta p_i + gamma p_0"),),
)

DISCRETE_ACCUMULATE = Claim(
    id="discrete-accumulate",
    title="Accumulating data keeps the discrete chain's diversity: E[h] stays above a positive limit",
    statement=("When every generation refits on all points drawn so far (accumulate), the training set's expected "
               "heterozygosity is E[h_g] = H_0 prod_(j=1)^(g+1) (1 - 1/(M j^2)), decreasing to "
               "H_0 sin(pi/sqrt(M)) / (pi/sqrt(M)) > 0; when it refits on a uniform M-subset of that pool "
               "(accumulate-subsample), E[h_g] = (M-1) N_g / (M (N_g - 1)) E[h(pool_g)] with E[h(pool)] shrinking by "
               "factors 1 - O(1/(M g^2)), so it also stays above a positive limit (N_g = (g+1) M)."),
    source=(f"{PAPER}, Fig. 1a (data of step n added to the data of step n - 1); Gerstgrasser et al., 'Is model "
            "collapse inevitable?' (2024); the loop's accumulate and accumulate-subsample regimes"),
    proof=(
        Check("pool-enumerated", "symbolic", "E[h] of the training set and E[x] over every outcome of the pooled regimes",
              _check_pool_enumerated,
              route="exact enumeration of (pool, training set) in rationals, K = 2, 3, M = 2, 3, g <= 3"),
        Check("pool-limit", "symbolic", "the accumulate factors and Euler's product; the subsample factors bounded",
              _check_pool_limit,
              route="Euler's sine product (DLMF 4.22.1) at 30 digits; polynomial signs of the factor bounds"),
    ),
    evidence=(Check("pool-regimes", "simulation", "literal loop under accumulate and accumulate-subsample",
                    _check_pool_sim, route="literal draw-and-refit through the generic loop's pooled regimes"),
              Check("pool-law", "simulation", "the loop's law of the training set under both pooled regimes",
                    _check_pool_law, route="exact enumeration of the law against the literal loop, by Pearson's "
                                           "chi-square"),),
    parts=(
        Part("accumulate: E[h_g] = H_0 prod_(j=1)^(g+1) (1 - 1/(M j^2))", ("pool-enumerated", "pool-limit",
                                                                        "pool-regimes")),
        Part("accumulate: E[h_g] decreases to H_0 sin(pi/sqrt(M)) / (pi/sqrt(M)) > 0", ("pool-limit",)),
        Part("accumulate-subsample: E[h_g] = (M-1) N_g / (M (N_g - 1)) E[h(pool_g)] with the stated pool factors",
             ("pool-enumerated", "pool-regimes")),
        Part("accumulate-subsample: E[h_g] stays above a positive limit", ("pool-limit",)),
        Part("the loop realises both pooled regimes", ("pool-law", "pool-regimes")),
    ),
)

ACCUMULATE = Claim(
    id="gaussian-accumulate-vs-replace",
    title="Accumulating data bounds the Gaussian mean's error; replacing data lets it grow linearly",
    statement=("Replace: E[(mu_n - mu_0)^2] = n sigma_0^2 / M. Accumulate (refit on all data so far, unbiased): "
               "E[(mu_n - mu_0)^2] = sum_(i<n) E[sigma_i^2] / (M (i+1)^2) <= (pi^2/6) sigma_0^2 / M for every n, "
               "where E[sigma_i^2] = E[SS_i] / (N_i - ddof) <= sigma_0^2 with E[SS] growing by (M - M/N_(i+1)) "
               "E[sigma_i^2] per generation (ddof 1 unbiased, 0 mle)."),
    source=(f"{PAPER}, Supplementary single-Gaussian experiment (accumulate variant); Gerstgrasser et al., 'Is model "
            "collapse inevitable?' (2024)"),
    proof=(
        Check("accumulate-steps", "symbolic", "per-generation step 1/(M(i+1)^2), sum pi^2/6, E[sigma_i^2] <= sigma0^2",
              _check_accumulate_steps, route="the pooled step's closed form summed by sympy; an induction bound"),
        Check("accumulate-pair-derivation", "symbolic", "the pooled step again from pair differences, iterated at the "
              "theory defaults", _check_accumulate_pairs,
              route="second derivation: pair differences of the pooled points (not Chan's merge), iterated in mpmath"),
        Check("accumulate-literal-moments", "symbolic", "exact moments of the literal points at small M and n",
              _check_accumulate_literal,
              route="Gaussian moment algebra of the literal points (E Z^2 = 1, E Z^4 = 3), no recursion"),
    ),
    evidence=(
        Check("accumulate-vs-replace", "simulation", "fast sampler, accumulate and replace at n = 3",
              _check_accumulate_sim, route="sufficient-statistic sampler of both regimes, 2000000 chains"),
        Check("accumulate-loop", "simulation", "the generic loop's accumulate regime: E[sigma_n^2], both ddof",
              _check_accumulate_loop, route="literal draw-and-refit through the generic loop (pool of all points)"),
    ),
    parts=(
        Part("replace: E[(mu_n - mu_0)^2] = n sigma_0^2 / M",
             ("accumulate-literal-moments", "accumulate-pair-derivation", "accumulate-vs-replace")),
        Part("accumulate: E[(mu_n - mu_0)^2] = sum_(i<n) E[sigma_i^2] / (M (i+1)^2)",
             ("accumulate-literal-moments", "accumulate-pair-derivation", "accumulate-steps", "accumulate-vs-replace")),
        Part("accumulate: E[(mu_n - mu_0)^2] <= (pi^2/6) sigma_0^2 / M for every n",
             ("accumulate-steps", "accumulate-pair-derivation")),
        Part("E[sigma_i^2] = E[SS_i] / (N_i - ddof) with E[SS] growing by (M - M/N_(i+1)) E[sigma_i^2]",
             ("accumulate-pair-derivation", "accumulate-literal-moments", "accumulate-loop", "accumulate-vs-replace")),
        Part("E[sigma_i^2] <= sigma_0^2 under accumulate (unbiased)", ("accumulate-steps",)),
    ),
)

KDE = Claim(
    id="kde-variance",
    title="Kernel density estimation refitted on its own samples: the spread settles at (M - 1) h^2",
    statement=("For a Gaussian-kernel KDE with bandwidth h refitted each generation on M of its own samples, the "
               "training set's variance s_g^2 obeys E[s_(g+1)^2] = ((M-1)/M)(E[s_g^2] + h^2): the kernel's noise "
               "accumulates while resampling shrinks the spread, and E[s_g^2] -> (M - 1) h^2, whatever p_0 was."),
    source=f"{PAPER}, Supplementary Material: density estimation in Hilbert spaces (noise accumulation)",
    proof=(
        Check("kde-forms", "consistency", "the trajectory and fixed point against the recursion they were solved from",
              _check_kde_forms),
        Check("kde-pair-derivation", "symbolic", "the step from pair differences of KDE draws; the unrolled trajectory "
              "and its limit", _check_kde_pairs,
              route="second derivation: pair differences of the draws and the unrolled geometric sum"),
    ),
    evidence=(Check("kde", "simulation", "the literal KDE chain's sample variance (M = 4 at g = 1, M = 40 at g = 2)",
                    _check_kde_sim,
                    route="literal draw-and-refit: a uniformly chosen centre plus kernel noise, through the loop"),),
    parts=(
        Part("E[s_(g+1)^2] = ((M-1)/M)(E[s_g^2] + h^2)", ("kde-pair-derivation", "kde")),
        Part("E[s_g^2] -> (M - 1) h^2, whatever p_0 was", ("kde-pair-derivation",)),
    ),
)

CLAIMS = (DISCRETE_FRESH, DISCRETE_ACCUMULATE, ACCUMULATE, KDE)

#: numbers ``collapse theory mixing --json`` / ``accumulate --json`` print at their defaults -> the check covering them
THEORY_OUTPUTS = {
    ("mixing", "discrete_stationary_heterozygosity"): "discrete-fresh-data/discrete-mix-second-derivation",
    ("mixing", "discrete_stationary_E_dist2"): "discrete-fresh-data/discrete-mix-second-derivation",
    ("mixing", "kde_stationary_variance"): "kde-variance/kde-pair-derivation",
    ("accumulate", "accumulate_E_dmu2"): "gaussian-accumulate-vs-replace/accumulate-pair-derivation",
    ("accumulate", "accumulate_E_sigma2"): "gaussian-accumulate-vs-replace/accumulate-pair-derivation",
    ("accumulate", "accumulate_bound_E_dmu2"): "gaussian-accumulate-vs-replace/accumulate-steps",
    ("accumulate", "replace_E_dmu2"): "gaussian-accumulate-vs-replace/accumulate-pair-derivation",
    ("accumulate", "replace_E_sigma2"): "gaussian-accumulate-vs-replace/accumulate-pair-derivation",
}
