"""The discrete chain with exact approximation: loss, absorption, heterozygosity, times, lost mass.

Formulas come from :mod:`collapse.analytic.discrete` and :mod:`collapse.analytic.discrete_time` at
call time; simulations from :mod:`collapse.simulate.families.discrete`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import stats

from collapse.analytic import discrete as A
from collapse.analytic import discrete_time as T
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome
from collapse.proofs.gaussian import PAPER
from collapse.proofs.stats import bonferroni, mean_z_p
from collapse.proofs.symbolic import induction, is_zero
from collapse.simulate.families.discrete import DiscreteConfig, simulate_discrete

SECTION = f"{PAPER}, section 'Discrete distributions with exact approximation'"
ORDER = 5


def _sim(ctx, name, p0, m, gens, *, chains, keep=None):
    return simulate_discrete(DiscreteConfig(chains * ctx.scale, tuple(p0), (m,) * gens), ctx.rng(name), keep=keep)


# ------------------------------------------------------------------ loss in one generation
def _check_loss_oracle(ctx: Context) -> Outcome:
    """The pgf-derived loss probability against sympy.stats' binomial pmf at 0 (an independent route)."""
    from sympy.stats import Binomial, density

    m = 12
    ok = all(is_zero(A.loss_probability().subs({A.M: m, A.q: q}) - density(Binomial("B", m, q))(0))
             for q in (sp.Rational(1, 3), sp.Rational(1, 12), sp.Rational(7, 10)))
    return Outcome(f"P(no draw in the state) = {A.loss_probability()}; equals the Binomial(M, q) pmf at 0 for "
                   "M = 12 and q in {1/3, 1/12, 7/10}", ok=ok)


def _check_early_loss_bound(ctx: Context) -> Outcome:
    """A state with q <= 1/M is missed with probability >= (1 - 1/M)^M >= 1/4, for every M >= 2.

    With t = 1/M in (0, 1/2]: (1 - t)^(1/t) >= 1/4 iff F(t) = log(1 - t) + 2 t log 2 >= 0; F is
    concave (F'' < 0) with F(0) = F(1/2) = 0, so F >= 0 between.
    """
    t, u = sp.Symbol("t", positive=True), sp.Symbol("u", nonnegative=True)
    miss = A.loss_probability().subs(A.q, 1 / A.M)  # (1 - 1/M)^M
    slope = sp.diff(A.loss_probability(), A.q).subs(A.q, 1 - u)  # q = 1 - u in [0, 1]
    F = sp.expand_log(sp.log(miss.subs(A.M, 1 / t)) * t, force=True) + 2 * t * sp.log(2)
    F2 = sp.diff(F, t, 2)
    concave = is_zero(F2 * (1 - t) ** 2 + 1)  # F'' = -1/(1 - t)^2 < 0 on (0, 1/2]
    ends = (sp.simplify(F.subs(t, 0)), sp.simplify(F.subs(t, sp.Rational(1, 2))))
    ok = concave and ends == (0, 0) and sp.simplify(slope).is_nonpositive is True
    return Outcome(f"d/dq (1-q)^M = {sp.simplify(slope)} at q = 1 - u: <= 0 (rarer states are missed more often); "
                   f"F(t) = {F}, F'' = {sp.simplify(F2)} < 0, F(0) = {ends[0]}, F(1/2) = {ends[1]}: "
                   "(1 - 1/M)^M >= 1/4 for all M >= 2", ok=ok)


def _check_loss_sim(ctx: Context) -> Outcome:
    p0 = np.array([0.5, 0.3, 0.15, 0.04, 0.01])
    m = 20
    ch = _sim(ctx, "loss-one-generation", p0, m, 1, chains=20000, keep=[1])
    lost = ch.freqs[:, -1, :] == 0  # (chains, K)
    f = A.loss_probability()
    want = np.array([float(f.subs({A.M: m, A.q: q})) for q in p0])
    ps = [stats.binomtest(int(lost[:, k].sum()), lost.shape[0], want[k]).pvalue for k in range(p0.size)]
    n_lost = lost.sum(axis=1)
    p_n, z = mean_z_p(n_lost, want.sum())
    return Outcome(f"M={m}, p0={p0.tolist()}: lost fractions {lost.mean(axis=0).round(4).tolist()} vs "
                   f"{want.round(4).tolist()} (exact binomial tests); expected states lost {n_lost.mean():.4f} vs "
                   f"{want.sum():.4f} (z={z:.2f})", p_value=bonferroni(ps + [p_n]))


# ------------------------------------------------------------------ absorption
def _check_martingale(ctx: Context) -> Outcome:
    mom = A.one_step_moments()
    var = sp.factor(mom["second"] - mom["mean"] ** 2)
    pgf = A.count_pgf()
    absorbing = is_zero(pgf.subs(A.x, 0) - 1) and is_zero(pgf.subs(A.x, 1) - A.s**A.M)
    ok = is_zero(mom["mean"] - A.x) and absorbing
    return Outcome(f"E[x' | x] = {mom['mean']}, Var[x' | x] = {var}; pgf at x = 0 is {pgf.subs(A.x, 0)} (B = 0 "
                   f"surely) and at x = 1 is {pgf.subs(A.x, 1)} (B = M surely): deltas are absorbing", ok=ok)


def _expect_next(u: sp.Expr) -> sp.Expr | None:
    """E[u(x') | x] for a polynomial u of degree <= 2 in x0, from the one-step moments (None if not)."""
    mom = A.one_step_moments()
    poly = sp.Poly(u, A.x0)
    if poly.degree() > 2:
        return None
    power = {0: sp.Integer(1), 1: mom["mean"], 2: mom["second"]}
    return sum(c * power[k] for (k,), c in poly.terms())


def _check_absorption_probability(ctx: Context) -> Outcome:
    u = A.absorption_probability()
    nxt = _expect_next(u)
    harmonic = nxt is not None and is_zero(nxt - u.subs(A.x0, A.x))
    ok = is_zero(u - A.x0) and harmonic
    return Outcome(f"P(absorbed at state i) = {u}: harmonic for the chain ({harmonic}), 0 when the state is lost "
                   "and 1 when it is fixed", ok=ok)


def _check_absorption_sim(ctx: Context) -> Outcome:
    p0 = (0.4, 0.3, 0.2, 0.1)
    ch = _sim(ctx, "absorption", p0, 10, 400, chains=20000)
    done = ch.absorbed_state >= 0
    counts = np.bincount(ch.absorbed_state[done], minlength=len(p0))
    want = np.array([float(A.absorption_probability().subs(A.x0, q)) for q in p0])
    expected = want * counts.sum()  # Pearson's statistic by hand: a wrong law need not sum to 1
    chi = stats.chi2.sf(float(np.sum((counts - expected) ** 2 / expected)), len(p0) - 1)
    # every chain must be absorbed by generation 400 (the mean time is about 15 here)
    p_all = 1.0 if done.all() else 0.0
    return Outcome(f"{done.sum()} of {done.size} chains absorbed by generation 400; at each state "
                   f"{(counts / counts.sum()).round(4).tolist()} vs {want.tolist()} (chi-square p={chi:.3g})",
                   p_value=float(chi) if p_all == 1.0 else 0.0)


# ------------------------------------------------------------------ heterozygosity and variance
def _check_het_factor(ctx: Context) -> Outcome:
    """c(M) against sympy.stats' binomial variance, then both closed forms by induction."""
    from sympy.stats import Binomial, variance

    xv = sp.Rational(2, 7)
    m = 9
    var_b = variance(Binomial("B", m, xv))
    direct = xv - (var_b / m**2 + xv**2)  # E[x'(1 - x')] with E[x'^2] = Var + mean^2
    c = A.heterozygosity_factor()
    ok_c = is_zero(direct - c.subs(A.M, m) * xv * (1 - xv))
    ok_h, d_h = induction(A.expected_heterozygosity(), A.t, A.H0, lambda f, n: c * f)
    var_t = A.frequency_variance()
    ok_v = is_zero(var_t - (A.x0 * (1 - A.x0) - A.x0 * (1 - A.x0) * c**A.t))
    return Outcome(f"c(M) = {c} (matches Binomial variance at M=9, x=2/7: {ok_c}); E[H_t] = "
                   f"{A.expected_heterozygosity()} ({d_h}); Var[p_t(i)] = {var_t} = x0(1-x0)(1 - c^t): {ok_v}",
                   ok=ok_c and ok_h and ok_v)


def _check_het_sim(ctx: Context) -> Outcome:
    p0 = np.array([0.4, 0.3, 0.2, 0.1])
    m, ts = 25, (3, 15)
    ch = _sim(ctx, "heterozygosity", p0, m, max(ts), chains=20000, keep=list(ts))
    H0 = 1 - np.sum(p0**2)
    ps, parts = [], []
    for j, tt in enumerate(ts):
        P = ch.freqs[:, j, :]
        het = 1 - np.sum(P**2, axis=1)
        want_h = float(A.expected_heterozygosity().subs({A.H0: H0, A.M: m, A.t: tt}))
        want_v = float(A.frequency_variance().subs({A.x0: p0[0], A.M: m, A.t: tt}))
        p1, z1 = mean_z_p(het, want_h)
        p2, z2 = mean_z_p((P[:, 0] - p0[0]) ** 2, want_v)
        ps += [p1, p2]
        parts.append(f"t={tt}: E[H] {het.mean():.4f} vs {want_h:.4f} (z={z1:.2f}), Var[p(0)] "
                     f"{np.mean((P[:, 0] - p0[0]) ** 2):.5f} vs {want_v:.5f} (z={z2:.2f})")
    return Outcome(f"M={m}: " + "; ".join(parts), p_value=bonferroni(ps))


# ------------------------------------------------------------------ absorption time
def _check_diffusion_solves(ctx: Context) -> Outcome:
    Tx = T.diffusion_time()
    x, M = T.x, T.Msym
    ode = sp.simplify(x * (1 - x) / (2 * M) * sp.diff(Tx, x, 2) + 1)
    b0, b1 = sp.limit(Tx, x, 0, "+"), sp.limit(Tx, x, 1, "-")
    real = Tx.is_real is not False and not Tx.has(sp.I)
    return Outcome(f"T(x) = {Tx}: backward equation residual {ode}, T(0+) = {b0}, T(1-) = {b1}",
                   ok=is_zero(ode) and b0 == 0 and b1 == 0 and real)


def _check_time_gap(ctx: Context) -> Outcome:
    """Exact (fundamental matrix, rational arithmetic for M <= 10) against diffusion; the gap shrinks."""
    exact6 = T.exact_absorption_times(6, exact=True)
    P = T.transition_matrix(6, exact=True)
    # N = (I - Q)^-1 1 must satisfy t_b = 1 + sum_c Q[b, c] t_c exactly
    fundamental_ok = all(is_zero(exact6[b] - 1 - sum(P[b, c] * exact6[c] for c in range(1, 6))) for b in range(1, 6))
    gaps = []
    for m in (4, 8, 16, 32, 64, 128):
        ex = T.exact_absorption_times(m)[m // 2]
        dif = float(T.diffusion_time().subs({T.x: sp.Rational(1, 2), T.Msym: m}))
        gaps.append((m, ex, dif, abs(ex - dif) / ex))
    shrinking = all(a[3] > b[3] for a, b in zip(gaps, gaps[1:])) and gaps[-1][3] < 0.02
    return Outcome(f"exact E[T | x = 1/2] at M=6: {exact6[3]} (solves t = 1 + Q t exactly: {fundamental_ok}); "
                   "relative gap to diffusion: " + ", ".join(f"M={m}: {ex:.3f} vs {dif:.3f} ({g:.3%})"
                                                             for m, ex, dif, g in gaps),
                   ok=fundamental_ok and shrinking)


def _check_time_sim(ctx: Context) -> Outcome:
    m = 10
    ch = _sim(ctx, "absorption-time", (0.5, 0.5), m, 600, chains=20000)
    done = ch.absorbed_at >= 0
    want = float(T.exact_absorption_times(m)[m // 2])
    # generation 1 is B ~ Binomial(M, 1/2) from p0; the exact times are for the chain started at B_0 = M/2,
    # which is the same law because p0 = (1/2, 1/2) is the fit of a sample with B = M/2
    p, z = mean_z_p(ch.absorbed_at[done].astype(float), want)
    return Outcome(f"M={m}, x0=1/2: {done.mean():.4f} absorbed by 600; mean time {ch.absorbed_at[done].mean():.3f} "
                   f"vs exact {want:.3f} (z={z:.2f}); diffusion {float(T.diffusion_time().subs({T.x: 0.5, T.Msym: m})):.3f}",
                   p_value=p if done.all() else 0.0)


# ------------------------------------------------------------------ lost mass
def _check_lost_mass(ctx: Context) -> Outcome:
    p0 = np.array([0.5, 0.25, 0.12, 0.06, 0.03, 0.02, 0.01, 0.01])
    m, ts = 50, (1, 5, 20)
    ch = _sim(ctx, "lost-mass", p0, m, max(ts), chains=20000, keep=list(ts))
    ps, parts = [], []
    for j, tt in enumerate(ts):
        lost_mass = ((ch.freqs[:, j, :] == 0) * p0).sum(axis=1)
        want = float(sum(q * T.loss_by(q, m, tt)[-1] for q in p0))
        p, z = mean_z_p(lost_mass, want)
        ps.append(p)
        parts.append(f"t={tt}: {lost_mass.mean():.5f} vs {want:.5f} (z={z:.2f})")
    rare = [round(float(T.loss_by(q, m, 1)[-1]), 3) for q in (0.01, 0.02, 1 / m)]
    return Outcome(f"M={m}: expected lost mass sum_k p0(k) P(k lost by t): " + "; ".join(parts)
                   + f"; states with q = 0.01, 0.02, 1/M are missed at once with probability {rare}",
                   p_value=bonferroni(ps))


LOSS = Claim(
    id="discrete-loss",
    title="Early collapse: a state of probability q is lost in one generation with probability (1 - q)^M",
    statement=("With M samples, a state of probability q gets no sample, and is lost for ever, with probability "
               "(1 - q)^M; the expected number of states lost in one generation is sum_k (1 - p_k)^M; states with "
               "q <= 1/M are expected to get at most one sample and are missed with probability at least 1/4."),
    source=SECTION,
    proof=(
        Check("loss-pgf", "symbolic", "(1 - q)^M from the count's generating function at s = 0", _check_loss_oracle),
        Check("early-loss-bound", "symbolic", "(1 - 1/M)^M >= 1/4 for every M >= 2, and rarer states are missed more",
              _check_early_loss_bound),
        Cited("linearity", "E[number of states lost] = sum_k P(state k lost), by linearity of expectation",
              "any probability text"),
    ),
    evidence=(Check("loss-one-generation", "simulation", "one generation of the chain: lost fractions per state",
                    _check_loss_sim),),
)

ABSORPTION = Claim(
    id="discrete-absorption",
    title="Late collapse: the chain is absorbed in a delta, at state i with probability p_0(i)",
    statement=("Refitting empirical frequencies is a Markov chain whose type frequencies are martingales; deltas are "
               "its only absorbing states; it is absorbed with probability 1, at state i with probability p_0(i)."),
    source=SECTION,
    proof=(
        Check("martingale-and-deltas", "symbolic", "E[x'|x] = x; deltas are absorbing", _check_martingale),
        Cited("only-deltas-absorb", "for 0 < x < 1, P(x' = 0) = (1 - x)^M > 0, so no non-delta state is absorbing; "
              "every state reaches a delta in one step with probability sum_k x_k^M >= K^(1-M) > 0, so absorption "
              "happens with probability 1 (geometric tail)", "finite absorbing Markov chains, e.g. Norris, Markov "
              "Chains (1997), Thm 1.3.2; the power-mean inequality"),
        Check("absorption-probability", "symbolic", "P(absorbed at i) = p_0(i), harmonic and with the right boundary values",
              _check_absorption_probability),
        Cited("optional-stopping", "a bounded martingale stopped at the (a.s. finite) absorption time keeps its mean",
              "Doob's optional stopping theorem (e.g. Williams, Probability with Martingales, 10.10)"),
    ),
    evidence=(Check("absorption", "simulation", "where 20000 chains are absorbed", _check_absorption_sim),),
)

HETEROZYGOSITY = Claim(
    id="discrete-heterozygosity",
    title="Heterozygosity decays as (1 - 1/M)^t; Var[p_t(i)] = p_0(i)(1 - p_0(i))(1 - (1 - 1/M)^t)",
    statement=("E[H_t] = H_0 (1 - 1/M)^t for H = 1 - sum_i p_i^2, and Var[p_t(i)] = p_0(i)(1 - p_0(i))(1 - (1 - 1/M)^t), "
               "exactly."),
    source=f"{SECTION}; Wright-Fisher model (Ewens 2004, section 3.1)",
    proof=(Check("heterozygosity-factor", "symbolic", "one-step factor 1 - 1/M (independent binomial route), "
                 "closed forms by induction", _check_het_factor),),
    evidence=(Check("heterozygosity", "simulation", "E[H_t] and Var[p_t(i)] at two generations", _check_het_sim),),
)

ABSORPTION_TIME = Claim(
    id="discrete-absorption-time",
    title="Expected time to absorption: exact (fundamental matrix) and the diffusion approximation",
    statement=("For two types, the expected number of generations until one type is lost is (I - Q)^(-1) 1 for the "
               "binomial chain's transient part Q; the diffusion approximation -2M [x log x + (1-x) log(1-x)] "
               "approaches it as M grows (relative gap about 1.5/M at x = 1/2)."),
    source=f"{SECTION}; Kimura (1955), Ewens (2004) section 4.3",
    proof=(
        Check("diffusion-time", "symbolic", "T(x) solves x(1-x)/(2M) T'' = -1 with T(0) = T(1) = 0",
              _check_diffusion_solves),
        Check("exact-vs-diffusion", "symbolic", "fundamental-matrix times (exact rationals) and the shrinking gap",
              _check_time_gap),
    ),
    evidence=(Check("absorption-time", "simulation", "mean absorption time of 20000 chains at M = 10", _check_time_sim),),
)

LOST_MASS = Claim(
    id="discrete-lost-mass",
    title="The expected probability mass lost after t generations",
    statement=("E[mass of p_0 on states absent from generation t] = sum_k p_0(k) P(state k lost by t), with P from "
               "the binomial chain of one state against the rest; rare states are lost first."),
    source=SECTION,
    proof=(Cited("one-against-rest", "the count of one state is itself a binomial Wright-Fisher chain",
                 "lumpability of the multinomial chain (Ewens 2004, section 3.1)"),),
    evidence=(Check("lost-mass", "simulation", "simulated lost mass at t = 1, 5, 20 against the exact chain",
                    _check_lost_mass),),
)

CLAIMS = (LOSS, ABSORPTION, HETEROZYGOSITY, ABSORPTION_TIME, LOST_MASS)
