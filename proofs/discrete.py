"""The discrete chain with exact approximation: loss, absorption, heterozygosity, times, lost mass.

Formulas come from :mod:`collapse.analytic.discrete`, :mod:`collapse.analytic.discrete_time` and
:mod:`collapse.analytic.wright_fisher` at call time; simulations from
:mod:`collapse.simulate.families.discrete` (its label-level samplers, never the count-level one for
evidence about a formula).

Independent routes, sharing no premise with the derivations (the pgf of one state's count, the
binomial marginal, the fundamental matrix):

- exact enumeration: every outcome of the M categorical draws of each generation, in rational
  arithmetic (:func:`multinomial_law`, :func:`subset_law`), for K = 3 states and small M, t;
- the exact chain at the numbers ``collapse theory discrete`` prints, by direct summation of the
  binomial sampling distribution at every state (exact integers), or by forward iteration with an
  a-priori rounding bound where only floating point is fast enough;
- the literal draw-and-refit samplers (labels drawn and counted), with chain counts chosen for
  power: each simulation check states the smallest relative error it detects (Outcome.mde).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from fractions import Fraction

import numpy as np
import sympy as sp
from scipy import stats

from collapse.analytic import discrete as A
from collapse.analytic import discrete_time as T
from collapse.analytic import wright_fisher as W
from collapse.proofs.core import Check, Cited, Claim, Context, Erratum, Outcome, Part
from collapse.proofs.gaussian import PAPER
from collapse.proofs.stats import bonferroni, mde_z
from collapse.proofs.symbolic import decide_zero, induction, is_zero
from collapse.simulate.families.discrete import DiscreteConfig, simulate_discrete

SECTION = f"{PAPER}, section 'Discrete distributions with exact approximation'"
ORDER = 5

#: the defaults of ``collapse theory discrete`` (tests/proofs/test_discrete_independent.py compares them)
THEORY_M, THEORY_T, THEORY_P0 = 100, 10, (0.5, 0.3, 0.15, 0.05)
#: exact rationals of the default p0
THEORY_P0_EXACT = (Fraction(1, 2), Fraction(3, 10), Fraction(3, 20), Fraction(1, 20))


# ------------------------------------------------------------------ exact enumeration (first principles)
# The chains of this module and of :mod:`collapse.proofs.regimes`, by enumerating every outcome of the
# draws in rational arithmetic (fractions.Fraction): multinomial outcomes of M categorical draws,
# hypergeometric subsets, their convolutions. Nothing here uses a derived formula or the package's
# samplers and matrices: the laws are sums over outcomes of products of draw probabilities.
Fr = Fraction


def compositions(m: int, k: int):
    """Every count vector of ``k`` non-negative integers summing to ``m`` (lexicographically decreasing)."""
    if k == 1:
        yield (m,)
        return
    for a in range(m, -1, -1):
        for rest in compositions(m - a, k - 1):
            yield (a, *rest)


@functools.lru_cache(maxsize=None)
def multinomial_law(m: int, p: tuple) -> dict:
    """Law of the counts of ``m`` independent categorical draws with probabilities ``p`` (Fractions).

    P(c) = m! / prod c_k! * prod p_k^c_k: the number of draw sequences with those counts times the
    probability of each sequence.
    """
    out = {}
    for c in compositions(m, len(p)):
        w = Fr(math.factorial(m))
        for ck, pk in zip(c, p):
            if ck:
                w *= pk**ck / math.factorial(ck)
        if w:
            out[c] = w
    return out


@functools.lru_cache(maxsize=None)
def subset_law(counts: tuple, k: int) -> dict:
    """Law of the counts of a uniform subset of ``k`` of the points (without replacement)."""
    n = sum(counts)
    total = math.comb(n, k)
    out = {}
    for s in compositions(k, len(counts)):
        ways = 1
        for sk, ck in zip(s, counts):
            ways *= math.comb(ck, sk)
        if ways:
            out[s] = Fr(ways, total)
    return out


def convolve(*laws: dict) -> dict:
    """Law of the sum of independent count vectors."""
    out = {(): Fr(1)}
    for law in laws:
        nxt = defaultdict(Fr)
        for a, wa in out.items():
            for b, wb in law.items():
                nxt[tuple(x + y for x, y in zip(a, b)) if a else b] += wa * wb
        out = dict(nxt)
    return out


def mixture(law: dict, kernel) -> dict:
    """sum_s law(s) kernel(s): the law after one step of a chain with transition law ``kernel(state)``."""
    out = defaultdict(Fr)
    for s, w in law.items():
        for s2, w2 in kernel(s).items():
            out[s2] += w * w2
    return dict(out)


def expect(law: dict, f) -> Fraction:
    return sum((w * f(s) for s, w in law.items()), Fr(0))


def fractions_of(p) -> tuple:
    return tuple(Fr(x) for x in p)


def replace_laws(p0: tuple, m: int, t: int) -> list[dict]:
    """Laws of the counts of D_0, ..., D_(t-1): D_0 is M draws from p0, D_g M draws from D_(g-1) / M.

    The fitted distribution of generation g is p_g = D_(g-1) / M (p_0 itself at g = 0).
    """
    laws = [multinomial_law(m, p0)]
    for _ in range(t - 1):
        laws.append(mixture(laws[-1], lambda c: multinomial_law(m, tuple(Fr(x, m) for x in c))))
    return laws


def het_of(c, m=None) -> Fraction:
    """1 - sum_k (c_k / m)^2 for counts c (m = sum c by default)."""
    m = sum(c) if m is None else m
    return 1 - sum(Fr(x, m) ** 2 for x in c)


def solve_fractions(A: list[list], B: list[list]) -> list[list]:
    """X with A X = B, exactly (Gauss-Jordan in Fractions); A square and non-singular."""
    n = len(A)
    aug = [list(A[i]) + list(B[i]) for i in range(n)]
    for col in range(n):
        piv = next(r for r in range(col, n) if aug[r][col] != 0)
        aug[col], aug[piv] = aug[piv], aug[col]
        inv = 1 / aug[col][col]
        aug[col] = [v * inv for v in aug[col]]
        for r in range(n):
            if r != col and aug[r][col] != 0:
                f = aug[r][col]
                aug[r] = [a - f * b for a, b in zip(aug[r], aug[col])]
    return [row[n:] for row in aug]


def rational(f: Fraction) -> sp.Rational:
    return sp.Rational(f.numerator, f.denominator)


def to_fraction(e) -> Fraction:
    """A sympy number that must be rational, as a Fraction (ValueError if it is not)."""
    e = sp.sympify(e)
    if not e.is_Rational:
        e = sp.simplify(e)
    if not e.is_Rational:
        raise ValueError(f"not a rational number: {e}")
    return Fr(int(e.p), int(e.q))


# ------------------------------------------------------------------ tests with a power statement
def z_mean(sample, want: float) -> tuple[float, float, float]:
    """Two-sided z-test of ``mean(sample) == want`` with the sample's standard error: (p, z, rel_se)."""
    x = np.asarray(sample, dtype=float).ravel()
    se = float(x.std(ddof=1) / math.sqrt(x.size))
    diff = float(x.mean() - want)
    z = diff / se if se > 0 else (0.0 if diff == 0 else math.copysign(math.inf, diff))
    return float(2 * stats.norm.sf(abs(z))), float(z), se / abs(want) if want else math.inf


def z_prop(successes: int, n: int, want: float) -> tuple[float, float]:
    """Exact binomial test of a frequency: (p, rel_se), rel_se = sqrt(want (1 - want) / n) / want."""
    if not 0 < want < 1:
        return (1.0 if successes == round(want * n) else 0.0), 0.0
    p = stats.binomtest(int(successes), int(n), float(want)).pvalue
    return float(p), math.sqrt(want * (1 - want) / n) / want


def power(rel_ses, ctx: Context) -> float:
    """The check's mde: the largest over its Bonferroni sub-tests (k = their number)."""
    rel_ses = list(rel_ses)
    return mde_z(max(rel_ses), ctx.alpha, k=len(rel_ses))


def fast_zero(expr, **kwargs):
    """:func:`decide_zero`, with a fast exact path for rational functions (``cancel`` to 0 is a proof)."""
    from collapse.proofs.symbolic import Zero

    expr = sp.sympify(expr)
    try:
        if sp.cancel(sp.together(expr)) == 0:
            return Zero("proved", detail="the residual cancels to 0 as a rational function")
    except (sp.PolynomialError, TypeError, ValueError):
        pass
    return decide_zero(expr, **kwargs)


def zero_outcome(detail: str, *zeros) -> Outcome:
    """An Outcome from :func:`decide_zero` verdicts: fail with a witness if any is non-zero, undecided if
    any is only numerically zero, else pass."""
    for z in zeros:
        if z.nonzero:
            return Outcome(f"{detail}; {z.detail}", ok=False, witness=z.witness)
    if all(z.proved for z in zeros):
        return Outcome(detail, ok=True)
    return Outcome(detail + "; " + "; ".join(z.detail for z in zeros if not z.proved), ok=None, undecided=True)


def power_note(mde: float, ctx: Context) -> str:
    return f"detects a relative error >= {mde:.2%} with probability 0.99 at alpha = {ctx.alpha:.2g}"


def _sim(ctx: Context, name: str, p0, m: int, gens: int, *, chains: int, keep=None, sampler="wright-fisher",
         regime="replace"):
    cfg = DiscreteConfig(chains * ctx.scale, tuple(p0), (m,) * gens, regime=regime, sampler=sampler)
    return simulate_discrete(cfg, ctx.rng(name), keep=keep)


def _full_chain(m: int, k: int):
    """States (count vectors of D) of the K-state chain with M points, and each state's transition law."""
    states = list(compositions(m, k))
    return states, {s: multinomial_law(m, tuple(Fr(x, m) for x in s)) for s in states}


_P0_CASES = ((Fr(1, 2), Fr(1, 3), Fr(1, 6)), (Fr(3, 5), Fr(3, 10), Fr(1, 10)))


# ------------------------------------------------------------------ loss in one generation
def _check_loss_enumerated(ctx: Context) -> Outcome:
    """P(no draw in state k), E[states lost], E[count] by summing the multinomial pmf over all outcomes."""
    f = A.loss_probability()
    bad, n, paper_wrong = [], 0, 0
    for p0 in _P0_CASES:
        for m in range(1, 7):
            law = multinomial_law(m, p0)
            want = [to_fraction(f.subs({A.M: m, A.q: rational(q)})) for q in p0]
            for k, q in enumerate(p0):
                got = expect(law, lambda c: int(c[k] == 0))
                n += 1
                if got != want[k]:
                    bad.append(f"M={m}, q={q}: enumerated {got} vs formula {want[k]}")
                if m >= 2 and got != 1 - q:
                    paper_wrong += 1
                if expect(law, lambda c: c[k]) != m * q:
                    bad.append(f"M={m}, q={q}: E[count] = {expect(law, lambda c: c[k])} != M q")
            lost = expect(law, lambda c: sum(int(x == 0) for x in c))
            if lost != sum(want):
                bad.append(f"M={m}, p0={[str(q) for q in p0]}: E[states lost] {lost} vs sum_k formula {sum(want)}")
    ex = multinomial_law(5, _P0_CASES[0])
    p_ex = expect(ex, lambda c: int(c[2] == 0))
    return Outcome(f"{n} loss probabilities (K = 3, M = 1..6, two p0) summed over every multinomial outcome: "
                   + ("all equal (1 - q)^M exactly, E[states lost] = sum_k (1 - p_k)^M and E[count] = M q"
                      if not bad else "; ".join(bad[:4]))
                   + f"; the paper's 1 - q differs from the exact value in {paper_wrong} of the {n - 6} cases with "
                   f"M >= 2 (e.g. M = 5, q = 1/6: {p_ex} = {float(p_ex):.4f}, not 5/6)", ok=not bad)


def _check_loss_oracle(ctx: Context) -> Outcome:
    """The pgf-derived loss probability against sympy.stats' binomial pmf at 0, also at the theory defaults."""
    from sympy.stats import Binomial, density

    f = A.loss_probability()
    cases = [(12, sp.Rational(q)) for q in ("1/3", "1/12", "7/10")] + [(THEORY_M, rational(q)) for q in THEORY_P0_EXACT]
    bad = [(m, q) for m, q in cases if (f.subs({A.M: m, A.q: q}) - density(Binomial("B", m, q))(0)) != 0]
    total = sum(f.subs({A.M: THEORY_M, A.q: rational(q)}) for q in THEORY_P0_EXACT)
    return Outcome(f"P(no draw in the state) = {f}; equals the Binomial(M, q) pmf at 0 for M = 12, q in "
                   f"{{1/3, 1/12, 7/10}} and at the theory defaults M = {THEORY_M}, q in {list(THEORY_P0)} "
                   f"(E[states lost] = {float(total):.6g})" + (f"; differs at {bad}" if bad else ""), ok=not bad)


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
    concave = decide_zero(F2 * (1 - t) ** 2 + 1, domain={t: (sp.Rational(1, 100), sp.Rational(1, 2))}).proved
    ends = (sp.simplify(F.subs(t, 0)), sp.simplify(F.subs(t, sp.Rational(1, 2))))
    ok = concave and ends == (0, 0) and sp.simplify(slope).is_nonpositive is True
    return Outcome(f"d/dq (1-q)^M = {sp.simplify(slope)} at q = 1 - u: <= 0 (rarer states are missed more often); "
                   f"F(t) = {F}, F'' = {sp.simplify(F2)} < 0, F(0) = {ends[0]}, F(1/2) = {ends[1]}: "
                   "(1 - 1/M)^M >= 1/4 for all M >= 2", ok=ok)


def _check_loss_sim(ctx: Context) -> Outcome:
    p0 = np.array([0.5, 0.3, 0.1, 0.04, 0.03, 0.02, 0.01])
    m, rare = 10, (3, 4, 5, 6)  # the states with q < 1/M
    ch = _sim(ctx, "loss-one-generation", p0, m, 1, chains=450_000, keep=[1])
    lost = ch.freqs[:, -1, :] == 0  # (chains, K)
    f = A.loss_probability()
    want = np.array([float(f.subs({A.M: m, A.q: sp.nsimplify(q)})) for q in p0])
    ps, rel, parts = [], [], []
    for k in rare:
        p, r = z_prop(int(lost[:, k].sum()), lost.shape[0], want[k])
        ps.append(p)
        rel.append(r)
        parts.append(f"q={p0[k]}: {lost[:, k].mean():.5f} vs {want[k]:.5f}")
    n_lost = lost.sum(axis=1)
    p_n, z, r_n = z_mean(n_lost, want.sum())
    ps.append(p_n)
    rel.append(r_n)
    mde = power(rel, ctx)
    return Outcome(f"{lost.shape[0]} chains, M={m}, p0={p0.tolist()}, wright-fisher sampler: lost at once "
                   + ", ".join(parts) + f" (exact binomial tests); expected states lost {n_lost.mean():.5f} vs "
                   f"{want.sum():.5f} (z={z:.2f}); {power_note(mde, ctx)}",
                   p_value=bonferroni(ps), mde=mde, moment=True)


# ------------------------------------------------------------------ absorption
def _check_martingale(ctx: Context) -> Outcome:
    mom = A.one_step_moments()
    var = sp.factor(mom["second"] - mom["mean"] ** 2)
    pgf = A.count_pgf()
    absorbing = is_zero(pgf.subs(A.x, 0) - 1) and is_zero(pgf.subs(A.x, 1) - A.s**A.M)
    ok = decide_zero(mom["mean"] - A.x).proved and absorbing
    return Outcome(f"E[x' | x] = {mom['mean']}, Var[x' | x] = {var}; pgf at x = 0 is {pgf.subs(A.x, 0)} (B = 0 "
                   f"surely) and at x = 1 is {pgf.subs(A.x, 1)} (B = M surely): deltas are absorbing", ok=ok)


def _expect_next(u: sp.Expr) -> sp.Expr | None:
    """E[u(x') | x] for a polynomial u of degree <= 2 in x0, from the one-step moments (None if not)."""
    mom = A.one_step_moments()
    try:
        poly = sp.Poly(u, A.x0)
    except sp.PolynomialError:
        return None
    if poly.degree() > 2:
        return None
    power_ = {0: sp.Integer(1), 1: mom["mean"], 2: mom["second"]}
    return sum(c * power_[k] for (k,), c in poly.terms())


def _check_absorption_probability(ctx: Context) -> Outcome:
    u = A.absorption_probability()
    nxt = _expect_next(u)
    harmonic = nxt is not None and is_zero(nxt - u.subs(A.x0, A.x))
    ok = is_zero(u - A.x0) and harmonic
    return Outcome(f"P(absorbed at state i) = {u}: harmonic under the derived one-step moments ({harmonic}), "
                   "0 when the state is lost and 1 when it is fixed (the ansatz re-substituted)", ok=ok)


def _check_absorption_enumerated(ctx: Context) -> Outcome:
    """The full K = 3 chain: absorbing states, certainty of absorption and where, by exact linear algebra."""
    u = A.absorption_probability()
    p0, K = _P0_CASES[0], 3
    bad, parts = [], []
    for m in (3, 4, 5):
        states, ker = _full_chain(m, K)
        deltas = [next(s for s in states if s[i] == m) for i in range(K)]
        trans = [s for s in states if max(s) < m]
        for d in deltas:
            if ker[d].get(d, 0) != 1:
                bad.append(f"M={m}: delta {d} is not absorbing")
        worst = Fr(1)
        for s in trans:
            if ker[s].get(s, 0) == 1:
                bad.append(f"M={m}: {s} is absorbing")
            reach = sum(ker[s].get(d, 0) for d in deltas)
            worst = min(worst, reach)
            if reach != sum(Fr(x, m) ** m for x in s) or reach < Fr(1, K ** (m - 1)):
                bad.append(f"M={m}: one-step probability of a delta from {s} is {reach}")
        for s in states:  # martingale, by summation over the next generation's outcomes
            for k in range(K):
                if expect(ker[s], lambda c: Fr(c[k], m)) != Fr(s[k], m):
                    bad.append(f"M={m}: E[x'_{k} | {s}] != x_{k}")
        eye_q = [[int(i == j) - ker[a].get(b, 0) for j, b in enumerate(trans)] for i, a in enumerate(trans)]
        R = [[ker[a].get(d, 0) for d in deltas] for a in trans]
        B = dict(zip(trans, solve_fractions(eye_q, R)))
        if any(sum(row) != 1 for row in B.values()):
            bad.append(f"M={m}: absorption probabilities do not sum to 1")
        law0 = multinomial_law(m, p0)
        absorbed = [sum(w * (B[s][i] if s in B else int(s == deltas[i])) for s, w in law0.items()) for i in range(K)]
        want = [to_fraction(u.subs(A.x0, rational(q))) for q in p0]
        if absorbed != want:
            bad.append(f"M={m}: absorbed at {[str(a) for a in absorbed]} vs formula {[str(w) for w in want]}")
        parts.append(f"M={m}: {len(trans)} transient states, min one-step delta probability {worst}")
    # the theory defaults (M = 100): the formula's u(b/M) solves the binomial chain's harmonic equation at every b
    M = THEORY_M
    uv = [to_fraction(u.subs(A.x0, sp.Rational(b, M))) for b in range(M + 1)]
    if uv[0] != 0 or uv[M] != 1:
        bad.append(f"M={M}: u(0) = {uv[0]}, u(1) = {uv[M]}")
    scale = M**M
    for b in range(1, M):
        lhs = sum(math.comb(M, c) * b**c * (M - b) ** (M - c) * uv[c] for c in range(M + 1))
        if lhs != uv[b] * scale:
            bad.append(f"M={M}: u is not harmonic at b = {b}")
            break
    at = []
    for q in THEORY_P0_EXACT:
        v = sum(math.comb(M, b) * q**b * (1 - q) ** (M - b) * uv[b] for b in range(M + 1))
        if v != to_fraction(u.subs(A.x0, rational(q))):
            bad.append(f"M={M}: P(absorbed at a state of probability {q}) = {v} vs the formula")
        at.append(str(v))
    return Outcome("full multinomial chain, K = 3, p0 = (1/2, 1/3, 1/6), exact (I - Q)^-1 R in rationals: "
                   + "; ".join(parts) + "; deltas absorb, no other state does, every state reaches a delta in one "
                   "step with probability sum_k x_k^M >= K^(1-M), absorption is certain (rows sum to 1), E[x'|x] = x "
                   f"at every state, and absorption at i has probability p0(i); at the theory defaults (M = {M}) "
                   f"u(b/M) is harmonic for the binomial chain at every b, giving {at}"
                   + ("" if not bad else "; FAILED: " + "; ".join(bad[:4])), ok=not bad)


def _check_absorption_sim(ctx: Context) -> Outcome:
    p0, m, gens = (0.7, 0.3), 3, 90
    ch = _sim(ctx, "absorption", p0, m, gens, chains=340_000, keep=[0])
    done = ch.absorbed_state >= 0
    n = int(done.sum())
    want = float(A.absorption_probability().subs(A.x0, sp.Rational(7, 10)))
    at0 = int((ch.absorbed_state == 0).sum())
    p, rel = z_prop(at0, n, want)
    mde = power([rel], ctx)
    # every chain must be absorbed by the end (at most 0.75^90 ~ 6e-12 per chain is left)
    return Outcome(f"{n} of {done.size} chains (M={m}, p0={p0}, wright-fisher sampler) absorbed by generation {gens}; "
                   f"P(absorbed at state 0) {at0 / max(n, 1):.5f} vs {want} (exact binomial test p={p:.3g}); "
                   f"{power_note(mde, ctx)}",
                   p_value=p if done.all() else 0.0, mde=mde, moment=True)


# ------------------------------------------------------------------ heterozygosity and variance
def _check_het_factor(ctx: Context) -> Outcome:
    """c(M) against sympy.stats' binomial variance (a route that does not use the pgf)."""
    from sympy.stats import Binomial, variance

    c = A.heterozygosity_factor()
    bad = []
    for m in (2, 9, 25):
        for xv in (sp.Rational(2, 7), sp.Rational(1, 2)):
            direct = xv - (variance(Binomial("B", m, xv)) / m**2 + xv**2)  # E[x'(1 - x')]
            if direct - c.subs(A.M, m) * xv * (1 - xv) != 0:
                bad.append((m, xv))
    return Outcome(f"c(M) = {c}: E[x'(1-x')] = c(M) x(1-x) with Var from sympy.stats' Binomial at M in (2, 9, 25), "
                   f"x in (2/7, 1/2)" + (f"; differs at {bad}" if bad else ""), ok=not bad)


def _check_het_induction(ctx: Context) -> Outcome:
    c = A.heterozygosity_factor()
    ok_h, d_h = induction(A.expected_heterozygosity(), A.t, A.H0, lambda f, n: c * f)
    var_t = A.frequency_variance()
    ok_v = is_zero(var_t - (A.x0 * (1 - A.x0) - A.x0 * (1 - A.x0) * c**A.t))
    return Outcome(f"E[H_t] = {A.expected_heterozygosity()} solves the recursion it was solved from ({d_h}); "
                   f"Var[p_t(i)] = {var_t} = x0(1-x0)(1 - c^t): {ok_v}", ok=ok_h and ok_v)


def _check_het_enumerated(ctx: Context) -> Outcome:
    """E[H_t], Var[p_t(i)], E[p_t(i)] by summation over every outcome of t generations of draws."""
    EH, V = A.expected_heterozygosity(), A.frequency_variance()
    bad, n = [], 0
    for p0 in _P0_CASES:
        H0 = sum(p0[a] * p0[b] for a in range(3) for b in range(3) if a != b)  # P(two draws differ)
        if H0 != 1 - sum(q * q for q in p0):
            bad.append("H0")
        for m in range(2, 6):
            for t, law in enumerate(replace_laws(p0, m, 3), start=1):
                n += 1
                got = expect(law, het_of)
                want = to_fraction(EH.subs({A.H0: rational(H0), A.M: m, A.t: t}))
                if got != want:
                    bad.append(f"M={m}, t={t}: E[H] {got} vs {want}")
                for k, q in enumerate(p0):
                    if expect(law, lambda c: Fr(c[k], m)) != q:
                        bad.append(f"M={m}, t={t}: E[p({k})] != p0({k})")
                    var = expect(law, lambda c: (Fr(c[k], m) - q) ** 2)
                    wv = to_fraction(V.subs({A.x0: rational(q), A.M: m, A.t: t}))
                    if var != wv:
                        bad.append(f"M={m}, t={t}: Var[p({k})] {var} vs {wv}")
    return Outcome(f"K = 3, two p0, M = 2..5, t = 1..3 ({n} cases): E[H_t], E[p_t(i)] = p0(i) and Var[p_t(i)] "
                   "summed over every multinomial outcome of t generations equal the closed forms exactly; H0 = "
                   "P(two draws from p0 differ)" + ("" if not bad else "; FAILED: " + "; ".join(bad[:4])), ok=not bad)


def _binomial_row(m: int, b: int) -> list[int]:
    """m^m P[b, c] for c = 0..m (exact integers): the binomial sampling distribution from count b."""
    return [math.comb(m, c) * b**c * (m - b) ** (m - c) for c in range(m + 1)]


def _check_het_at_defaults(ctx: Context) -> Outcome:
    """At the theory defaults: E[c (M - c) | b] and E[c | b] summed over the binomial pmf at every b, then exact values."""
    M, t = THEORY_M, THEORY_T
    scale = M**M
    bad = []
    for b in range(M + 1):
        row = _binomial_row(M, b)
        if sum(r * c * (M - c) for c, r in enumerate(row)) * M != (M - 1) * b * (M - b) * scale:
            bad.append(f"E[c(M - c) | b = {b}]")
        if sum(r * c for c, r in enumerate(row)) != b * scale:
            bad.append(f"E[c | b = {b}]")
    # so E[p_t (1 - p_t)] = ((M - 1)/M)^(t - 1) E[p_1 (1 - p_1)], p_1 = Binomial(M, q) / M (direct sum)
    decay = Fr(M - 1, M) ** (t - 1)
    het, var = [], []
    for q in THEORY_P0_EXACT:
        e1 = sum(math.comb(M, b) * q**b * (1 - q) ** (M - b) * Fr(b * (M - b), M * M) for b in range(M + 1))
        het.append(decay * e1)
        var.append(q * (1 - q) - decay * e1)  # E[p_t] = q at every step (checked above)
    H0 = 1 - sum(q * q for q in THEORY_P0_EXACT)
    got_h = sum(het)
    want_h = to_fraction(A.expected_heterozygosity().subs({A.H0: rational(H0), A.M: M, A.t: t}))
    if got_h != want_h:
        bad.append(f"E[H_t] {float(got_h)} vs {float(want_h)}")
    for q, v in zip(THEORY_P0_EXACT, var):
        w = to_fraction(A.frequency_variance().subs({A.x0: rational(q), A.M: M, A.t: t}))
        if v != w:
            bad.append(f"Var[p_t] at q={q}: {float(v)} vs {float(w)}")
    return Outcome(f"M = {M}, t = {t}, p0 = {list(THEORY_P0)}: at every count b = 0..{M} the binomial pmf gives "
                   "E[c | b] = b and E[c(M - c) | b] = (M-1) b (M-b) / M (exact integers); hence exactly "
                   f"H0 = {float(H0):.6g}, E[H_t] = {float(got_h):.12g}, Var[p_t(k)] = {[f'{float(v):.10g}' for v in var]}"
                   + ("" if not bad else "; FAILED: " + "; ".join(bad[:4])), ok=not bad)


_HET_P0 = (0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05)


def _check_het_sim(ctx: Context) -> Outcome:
    p0 = np.array(_HET_P0)
    m, tt = 5, 2
    ch = _sim(ctx, "heterozygosity", p0, m, tt, chains=200_000, keep=[tt])
    P = ch.freqs[:, -1, :]
    H0 = 1 - float(np.sum(p0**2))
    want_h = float(A.expected_heterozygosity().subs({A.H0: sp.nsimplify(H0), A.M: m, A.t: tt}))
    want_v = sum(float(A.frequency_variance().subs({A.x0: sp.nsimplify(q), A.M: m, A.t: tt})) for q in p0)
    het = 1 - np.sum(P**2, axis=1)
    dist = np.sum((P - p0) ** 2, axis=1)
    p1, z1, r1 = z_mean(het, want_h)
    p2, z2, r2 = z_mean(dist, want_v)
    mde = power([r1, r2], ctx)
    return Outcome(f"{P.shape[0]} chains, K={p0.size}, M={m}, t={tt}, wright-fisher sampler: E[H_t] {het.mean():.5f} vs "
                   f"{want_h:.5f} (z={z1:.2f}); sum_i Var[p_t(i)] {dist.mean():.5f} vs {want_v:.5f} (z={z2:.2f}); "
                   f"{power_note(mde, ctx)}", p_value=bonferroni([p1, p2]), mde=mde, moment=True)


def law_chi2(counts: np.ndarray, exact: dict) -> tuple[float, float]:
    """Pearson's chi-square of observed count vectors (rows of ``counts``) against an exact law: (p, chi2).

    A count vector outside the law's support gives p = 0.
    """
    cells = sorted(exact)
    index = {c: j for j, c in enumerate(cells)}
    obs = np.zeros(len(cells))
    rows, k = np.unique(counts, axis=0, return_counts=True)
    for row, kk in zip(rows, k):
        j = index.get(tuple(int(v) for v in row))
        if j is None:
            return 0.0, math.inf
        obs[j] += kk
    expected = np.array([float(exact[c]) for c in cells]) * counts.shape[0]
    chi = float(np.sum((obs - expected) ** 2 / expected))
    return float(stats.chi2.sf(chi, len(cells) - 1)), chi


def law_mde(exact: dict, n: int, alpha: float, k: int = 1) -> float:
    """Smallest relative error in any one cell's probability (the rest rescaled) that the chi-square test of
    ``n`` draws at level alpha / k detects with probability 0.99: noncentrality n e^2 p / (1 - p)."""
    from scipy.optimize import brentq

    probs = np.array([float(v) for v in exact.values()])
    df = len(probs) - 1
    crit = stats.chi2.isf(alpha / k, df)
    lam = brentq(lambda L: stats.ncx2.sf(crit, df, L) - 0.99, 1e-6, 1e7)
    return float(max(math.sqrt(lam * (1 - q) / (n * q)) for q in probs))


def _check_samplers_law(ctx: Context) -> Outcome:
    """Each sampler's law of D_1 (two generations) against the exact law, by Pearson's chi-square."""
    p0, m = _P0_CASES[0], 4
    exact = replace_laws(p0, m, 2)[1]
    n = 60_000 * ctx.scale
    samplers = ("wright-fisher", "literal", "multinomial")
    ps, parts = [], []
    for sampler in samplers:
        ch = _sim(ctx, f"samplers-law-{sampler}", [float(q) for q in p0], m, 2, chains=60_000, keep=[2], sampler=sampler)
        p, chi = law_chi2(np.rint(ch.freqs[:, -1, :] * m).astype(int), exact)
        ps.append(p)
        parts.append(f"{sampler}: chi2 = {chi:.1f} (p={p:.3g})")
    mde = law_mde(exact, n, ctx.alpha, len(samplers))
    return Outcome(f"law of D_1 over {len(exact)} count vectors (K = 3, M = {m}, p0 = (1/2, 1/3, 1/6)), {n} chains per "
                   "sampler: " + "; ".join(parts) + f"; detects a relative error >= {mde:.2%} in any one cell's "
                   f"probability with probability 0.99 at alpha = {ctx.alpha:.2g}",
                   p_value=bonferroni(ps), mde=mde, moment=False)


# ------------------------------------------------------------------ absorption time
def _check_diffusion_solves(ctx: Context) -> Outcome:
    Tx = T.diffusion_time()
    x, M = T.x, T.Msym
    ode = sp.simplify(x * (1 - x) / (2 * M) * sp.diff(Tx, x, 2) + 1)
    b0, b1 = sp.limit(Tx, x, 0, "+"), sp.limit(Tx, x, 1, "-")
    real = Tx.is_real is not False and not Tx.has(sp.I)
    return Outcome(f"T(x) = {Tx}: residual of the equation dsolve solved {ode}, T(0+) = {b0}, T(1-) = {b1}",
                   ok=is_zero(ode) and b0 == 0 and b1 == 0 and real)


def _check_diffusion_green(ctx: Context) -> Outcome:
    """Second derivation: T(x) = int_0^1 g(x, y) 2M / (y (1 - y)) dy with the Green's function of d^2/dx^2."""
    x, M = T.x, T.Msym
    y = sp.Symbol("y", positive=True)
    f = 2 * M / (y * (1 - y))  # T'' = -f
    # g(x, y) = y (1 - x) for y <= x, x (1 - y) for y >= x: T'' = -f, T(0) = T(1) = 0
    green = (1 - x) * sp.integrate(sp.cancel(y * f), (y, 0, x)) + x * sp.integrate(sp.cancel((1 - y) * f), (y, x, 1))
    # sympy's antiderivative of 1/(1 - y) is -log(y - 1); on 0 < x < 1 that is -(log(1 - x) + i pi)
    green = sp.expand(sp.expand_log(green.subs(sp.log(x - 1), sp.log(1 - x) + sp.I * sp.pi), force=True))
    stated = -2 * M * (x * sp.log(x) + (1 - x) * sp.log(1 - x))
    dom = {x: (sp.Rational(1, 50), sp.Rational(49, 50))}
    z1 = decide_zero(T.diffusion_time() - green, domain=dom)
    z2 = decide_zero(green - stated, domain=dom)
    return zero_outcome(f"Green's function integral gives T(x) = {green}; dsolve's T(x) minus it: {z1.status}; the "
                        f"statement's -2M[x log x + (1-x) log(1-x)] minus it: {z2.status}", z1, z2)


def _time_tail_bounds(m: int, steps: int):
    """E[T | b] bracketed by sum_(t <= steps) P(T > t) and that plus the geometric tail, exactly (own matrix)."""
    scale = m**m
    Q = [[Fr(v, scale) for v in _binomial_row(m, b)[1:m]] for b in range(1, m)]
    rho = max(sum(row) for row in Q)  # P(T > t + s) <= rho^s max_b P(T > t | b)
    s = [Fr(1)] * (m - 1)  # P(T > 0 | b) for b = 1..m-1
    lo = [Fr(0)] * (m - 1)
    first = []
    for t in range(steps + 1):
        lo = [a + b for a, b in zip(lo, s)]
        s = [sum(q * v for q, v in zip(row, s)) for row in Q]  # P(T > t + 1 | b)
        if t < 3:
            first.append(s[m // 2 - 1])
    hi = [a + max(s) * rho / (1 - rho) + sv for a, sv in zip(lo, s)]
    return lo, hi, first


def _check_time_enumerated(ctx: Context) -> Outcome:
    """The exact absorption times (fundamental matrix) inside brackets from the summed tail distribution."""
    bad, parts = [], []
    for m in (2, 3, 4, 6, 8):
        lo, hi, first = _time_tail_bounds(m, 120)
        ex = T.exact_absorption_times(m, exact=True)
        fl = T.exact_absorption_times(m)
        for b in range(1, m):
            e = to_fraction(ex[b])
            if not lo[b - 1] <= e <= hi[b - 1] or not float(lo[b - 1]) - 1e-9 <= fl[b] <= float(hi[b - 1]) + 1e-9:
                bad.append(f"M={m}, b={b}: {float(e):.9f} not in [{float(lo[b - 1]):.9f}, {float(hi[b - 1]):.9f}]")
        if ex[0] != 0 or ex[m] != 0:
            bad.append(f"M={m}: non-zero time at an absorbing state")
        parts.append(f"M={m}: E[T | M/2] in [{float(lo[m // 2 - 1]):.6f}, {float(hi[m // 2 - 1]):.6f}]")
    return Outcome("P(T > t | b) from powers of the transient block of an exact binomial matrix built here, summed "
                   "for t <= 120 with the geometric tail bound: " + "; ".join(parts)
                   + ("; the fundamental-matrix times (exact and float) lie inside every bracket" if not bad
                      else "; FAILED: " + "; ".join(bad[:4])), ok=not bad)


def _check_time_consistency(ctx: Context) -> Outcome:
    exact6 = T.exact_absorption_times(6, exact=True)
    P = T.transition_matrix(6, exact=True)
    ok = all(is_zero(exact6[b] - 1 - sum(P[b, c] * exact6[c] for c in range(1, 6))) for b in range(1, 6))
    return Outcome(f"exact E[T | x = 1/2] at M=6: {exact6[3]}; solves t = 1 + Q t with the Q it was solved with: {ok}",
                   ok=ok)


_GAP_MS = (4, 8, 16, 32, 64, 128, 256)


def _check_time_gap(ctx: Context) -> Outcome:
    """Diffusion minus exact at x = 1/2: positive, shrinking (22% at M = 4, 2.2% at 64, 0.66% at 256); M times it
    between 0.8 and 2 and growing."""
    gaps = []
    for m in _GAP_MS:
        ex = float(T.exact_absorption_times(m)[m // 2])
        dif = float(T.diffusion_time().subs({T.x: sp.Rational(1, 2), T.Msym: m}))
        gaps.append((m, ex, dif, (dif - ex) / ex))
    rel = [g[3] for g in gaps]
    ok = (all(r > 0 for r in rel) and all(a > b for a, b in zip(rel, rel[1:]))
          and 0.2 < rel[0] < 0.23 and 0.02 < rel[_GAP_MS.index(64)] < 0.023 and 0.006 < rel[-1] < 0.007
          and all(0.8 < m * r < 2 for m, r in zip(_GAP_MS, rel))
          and all(m1 * r1 < m2 * r2 for m1, r1, m2, r2 in zip(_GAP_MS, rel, _GAP_MS[1:], rel[1:])))
    return Outcome("(diffusion - exact) / exact at x = 1/2: " + ", ".join(
        f"M={m}: {ex:.3f} vs {dif:.3f} ({g:.3%}, M x gap = {m * g:.2f})" for m, ex, dif, g in gaps), ok=ok)


def _check_time_sim(ctx: Context) -> Outcome:
    m = 4
    ch = _sim(ctx, "absorption-time", (0.5, 0.5), m, 150, chains=460_000, keep=[0])
    done = ch.absorbed_at >= 0
    want = float(T.exact_absorption_times(m)[m // 2])
    # generation 0 is p0 = (1/2, 1/2), the fit of a sample with B = M/2, so absorbed_at is T from b = M/2
    p, z, rel = z_mean(ch.absorbed_at[done].astype(float), want)
    mde = power([rel], ctx)
    return Outcome(f"{done.size} chains, M={m}, x0=1/2, wright-fisher sampler: {done.mean():.6f} absorbed by 150; mean "
                   f"time {ch.absorbed_at[done].mean():.4f} vs exact {want:.4f} (z={z:.2f}); {power_note(mde, ctx)}",
                   p_value=p if done.all() else 0.0, mde=mde, moment=True)


# ------------------------------------------------------------------ lost mass
def _check_lumpability(ctx: Context) -> Outcome:
    """One state's count in the full K = 3 chain is the binomial chain: laws, loss_by, loss_at, lost mass."""
    bad, n = [], 0
    for p0 in _P0_CASES:
        for m in range(2, 6):
            P = T.transition_matrix(m, exact=True)
            laws = replace_laws(p0, m, 3)
            for k, q in enumerate(p0):
                marg = [multinomial_law(m, (q, 1 - q)).get((b, m - b), Fr(0)) for b in range(m + 1)]
                by = W.loss_by(float(q), m, 3)
                at = [W.loss_at([float(q)], m, t)[0] for t in range(1, 4)]
                for t, law in enumerate(laws, start=1):
                    n += 1
                    got = [sum((w for c, w in law.items() if c[k] == b), Fr(0)) for b in range(m + 1)]
                    if got != marg:
                        bad.append(f"M={m}, t={t}, state {k}: marginal law differs from the binomial chain")
                    if abs(by[t] - float(got[0])) > 1e-12 or abs(at[t - 1] - float(got[0])) > 1e-12:
                        bad.append(f"M={m}, t={t}, q={q}: loss_by {by[t]:.12g} / loss_at {at[t - 1]:.12g} vs "
                                   f"{float(got[0]):.12g}")
                    marg = [sum(marg[a] * to_fraction(P[a, b]) for a in range(m + 1)) for b in range(m + 1)]
            for t, law in enumerate(laws, start=1):
                lost = [sum((w for c, w in law.items() if c[k] == 0), Fr(0)) for k in range(3)]
                mass = expect(law, lambda c: sum((q for q, x in zip(p0, c) if x == 0), Fr(0)))
                if mass != sum(q * lk for q, lk in zip(p0, lost)):
                    bad.append(f"M={m}, t={t}: E[lost mass] is not sum_k p0(k) P(k lost)")
                if abs(float(mass) - sum(float(q) * W.loss_by(float(q), m, t)[-1] for q in p0)) > 1e-12:
                    bad.append(f"M={m}, t={t}: E[lost mass] {float(mass)} vs sum_k p0(k) loss_by")
                if not all(a < b for a, b in zip(lost, lost[1:])):  # p0 is decreasing: rarer states lost more
                    bad.append(f"M={m}, t={t}: P(lost) {[str(v) for v in lost]} not decreasing in p0(k)")
    return Outcome(f"K = 3, two p0, M = 2..5, t = 1..3 ({n} state-generations): the marginal law of each state's count "
                   "(summed over the joint multinomial outcomes) equals the binomial chain of transition_matrix, "
                   "loss_by and loss_at match P(lost by t) to 1e-12, E[lost mass] = sum_k p0(k) P(k lost by t), and "
                   "rarer states are lost with larger probability at every t"
                   + ("" if not bad else "; FAILED: " + "; ".join(bad[:4])), ok=not bad)


def _rounded_binomial(m: int) -> np.ndarray:
    """The binomial transition matrix with every entry correctly rounded (from exact integers)."""
    scale = m**m
    return np.array([[float(Fr(v, scale)) for v in _binomial_row(m, b)] for b in range(m + 1)])


def _check_lost_mass_at_defaults(ctx: Context) -> Outcome:
    """At the theory defaults, forward iteration with correctly rounded entries and an a-priori error bound."""
    M, t = THEORY_M, THEORY_T
    P = _rounded_binomial(M)
    lost = []
    for q in THEORY_P0_EXACT:
        v = np.array([float(math.comb(M, c) * q**c * (1 - q) ** (M - c)) for c in range(M + 1)])
        for _ in range(t - 1):
            v = v @ P
        lost.append(v[0])
    lost = np.array(lost)
    # all terms are non-negative: each step's relative rounding error is at most (M + 2) u, so after t steps
    # the relative error is below (1 + u)^((M + 2)(t + 1)) - 1 < 2e-13
    n_ops = (M + 2) * (t + 1)
    bound = n_ops * 2.0**-53 / (1 - n_ops * 2.0**-53)
    mass = float(np.dot(THEORY_P0, lost))
    theirs_at = W.loss_at(THEORY_P0, M, t)
    theirs_by = np.array([W.loss_by(q, M, t)[-1] for q in THEORY_P0])
    tol = 1e-10
    ok_vals = bool(np.all(np.abs(theirs_at - lost) <= tol * lost + 1e-300)
                   and np.all(np.abs(theirs_by - lost) <= tol * lost + 1e-300)
                   and abs(float(np.dot(THEORY_P0, theirs_at)) - mass) <= tol * mass)
    # rare states first: P(lost by s) is decreasing in q at every s = 1..t (q on a grid, exact chain)
    qs = np.linspace(0.01, 0.5, 50)
    mono = all(np.all(np.diff(W.loss_at(qs, M, s)) < 0) for s in range(1, t + 1))
    return Outcome(f"M = {M}, t = {t}, p0 = {list(THEORY_P0)}: P(lost by t) = {[f'{v:.10g}' for v in lost]} "
                   f"(relative rounding error < {bound:.1e}), E[lost mass] = {mass:.12g}; loss_at and loss_by agree "
                   f"within {tol:g} ({ok_vals}); P(lost by s) strictly decreasing in q in [0.01, 0.5] for s = 1..{t} "
                   f"({mono})", ok=ok_vals and mono and bound < 1e-12)


def _check_lost_mass(ctx: Context) -> Outcome:
    p0 = np.array([0.3, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03])
    m, ts = 10, (1, 3, 8)
    ch = _sim(ctx, "lost-mass", p0, m, max(ts), chains=115_000, keep=list(ts))
    ps, rel, parts = [], [], []
    for j, tt in enumerate(ts):
        lost_mass = ((ch.freqs[:, j, :] == 0) * p0).sum(axis=1)
        want = float(np.dot(p0, W.loss_at(p0, m, tt)))
        p, z, r = z_mean(lost_mass, want)
        ps.append(p)
        rel.append(r)
        parts.append(f"t={tt}: {lost_mass.mean():.5f} vs {want:.5f} (z={z:.2f})")
    mde = power(rel, ctx)
    return Outcome(f"{ch.freqs.shape[0]} chains, M={m}, wright-fisher sampler: expected lost mass "
                   "sum_k p0(k) P(k lost by t): " + "; ".join(parts) + f"; {power_note(mde, ctx)}",
                   p_value=bonferroni(ps), mde=mde, moment=True)


# ------------------------------------------------------------------ claims
_PAPER_LOSS = ("Considering more generally some state i with probability q, using standard conditional probability, "
               "we can show that the probability of losing information (that is, sampling no data at some "
               "generation) is equal to 1 - q")
_PAPER_RARE = ("if we consider state i with probability q <= 1/M, the expected number of samples with value i coming "
               "from those events will be less than 1. In practice, this would mean that we lose information about them.")
_PAPER_ABSORB = ("This implies that the Markov chain contains at least one absorbing state and therefore, with "
                 "probability 1, it will converge to one of the absorbing states.")
_WHERE = "'Theoretical intuition', subsection 'Discrete distributions with exact approximation'"

LOSS = Claim(
    id="discrete-loss",
    title="Early collapse: a state of probability q is lost in one generation with probability (1 - q)^M",
    statement=("With M samples, a state of probability q gets no sample, and is lost for ever, with probability "
               "(1 - q)^M; the expected number of states lost in one generation is sum_k (1 - p_k)^M; states with "
               "q <= 1/M are expected to get at most one sample and are missed with probability at least 1/4, "
               "rarer states more often."),
    source=SECTION,
    proof=(
        Check("loss-enumerated", "symbolic", "P(no draw in state k), E[states lost] and E[count] summed over every "
              "multinomial outcome", _check_loss_enumerated,
              route="exact enumeration of the M-draw multinomial outcomes in rationals, K = 3, M = 1..6"),
        Check("loss-pgf", "symbolic", "(1 - q)^M from the count's generating function at s = 0, against the binomial "
              "pmf, also at the theory defaults", _check_loss_oracle,
              route="sympy.stats' Binomial(M, q) pmf at 0 (not the pgf)"),
        Check("early-loss-bound", "symbolic", "(1 - 1/M)^M >= 1/4 for every M >= 2, and rarer states are missed more",
              _check_early_loss_bound,
              route="concavity of log(1 - t) + 2 t log 2 on (0, 1/2] and the sign of d/dq (1 - q)^M, all M"),
    ),
    evidence=(Check("loss-one-generation", "simulation", "one generation of the chain: lost fractions of the rare "
                    "states and the expected number lost", _check_loss_sim,
                    route="literal draw-and-refit (wright-fisher sampler: labels drawn and counted), 450000 chains"),),
    parts=(
        Part("a state of probability q is lost in one generation with probability (1 - q)^M",
             ("loss-enumerated", "loss-pgf", "loss-one-generation")),
        Part("the expected number of states lost in one generation is sum_k (1 - p_k)^M",
             ("loss-enumerated", "loss-one-generation")),
        Part("states with q <= 1/M are expected to get at most one sample", ("loss-enumerated",)),
        Part("states with q <= 1/M are missed with probability at least 1/4", ("early-loss-bound", "loss-one-generation")),
        Part("rarer states are missed more often", ("early-loss-bound", "loss-enumerated")),
    ),
    errata=(
        Erratum(_PAPER_LOSS, "ambiguous: read as loss at some generation (eventual loss, as the parenthesis "
                "defines it), 1 - q is right: the chain is absorbed in another state with probability 1 - q "
                "(absorption-enumerated); read as the loss in one generation of M draws, it is (1 - q)^M, "
                "which is 1 - q only for M = 1 (loss-enumerated decides this reading)", "loss-enumerated", _WHERE),
        Erratum(_PAPER_RARE, "the expected number of samples in the state is M q <= 1, so at most 1 (exactly 1 at "
                "q = 1/M); the state is lost in that generation with probability (1 - q)^M >= (1 - 1/M)^M >= 1/4, "
                "not for certain", "early-loss-bound", _WHERE),
    ),
)

ABSORPTION = Claim(
    id="discrete-absorption",
    title="Late collapse: the chain is absorbed in a delta, at state i with probability p_0(i)",
    statement=("Refitting empirical frequencies is a Markov chain whose type frequencies are martingales; deltas are "
               "its only absorbing states; it is absorbed with probability 1, at state i with probability p_0(i)."),
    source=SECTION,
    proof=(
        Check("martingale-and-deltas", "symbolic", "E[x'|x] = x from the pgf; deltas are absorbing", _check_martingale,
              route="derivatives of the count pgf at s = 1 against the claimed x; the pgf at x = 0 and 1"),
        Check("absorption-enumerated", "symbolic", "the full K = 3 chain solved exactly: only deltas absorb, absorption "
              "is certain, at i with probability p0(i); at the theory defaults by the harmonic equation at every b",
              _check_absorption_enumerated,
              route="exact absorbing-chain solution (I - Q)^-1 R of the full multinomial chain in rationals, K = 3, "
                    "M = 3..5; the binomial pmf summed at every count for M = 100"),
        Cited("only-deltas-absorb", "for 0 < x < 1, P(x' = x) < 1, so no non-delta state is absorbing; every state "
              "reaches a delta in one step with probability sum_k x_k^M >= K^(1-M) > 0, so the chain is an absorbing "
              "chain and is absorbed with probability 1",
              "Grinstead & Snell, Introduction to Probability (1997), section 11.2, Theorem 11.3; the power-mean "
              "inequality"),
        Check("absorption-probability", "consistency", "the affine ansatz re-substituted: harmonic under the derived "
              "moments, 0 when lost and 1 when fixed", _check_absorption_probability),
        Cited("optional-stopping", "a bounded martingale stopped at the (a.s. finite) absorption time keeps its mean",
              "Doob's optional stopping theorem (Williams, Probability with Martingales (1991), 10.10)"),
    ),
    evidence=(Check("absorption", "simulation", "where 340000 chains are absorbed", _check_absorption_sim,
                    route="literal draw-and-refit (wright-fisher sampler), run to absorption"),),
    parts=(
        Part("type frequencies are martingales", ("martingale-and-deltas", "absorption-enumerated")),
        Part("deltas are the only absorbing states", ("absorption-enumerated", "martingale-and-deltas")),
        Part("the chain is absorbed with probability 1", ("absorption-enumerated", "absorption")),
        Part("it is absorbed at state i with probability p_0(i)", ("absorption-enumerated", "absorption")),
    ),
    errata=(Erratum(_PAPER_ABSORB, "an absorbing state alone does not make absorption certain; it is certain here "
                    "because every state reaches a delta in one step with probability sum_k x_k^M >= K^(1-M) > 0 "
                    "(a finite absorbing chain)", "absorption-enumerated", _WHERE),),
)

HETEROZYGOSITY = Claim(
    id="discrete-heterozygosity",
    title="Heterozygosity decays as (1 - 1/M)^t; Var[p_t(i)] = p_0(i)(1 - p_0(i))(1 - (1 - 1/M)^t)",
    statement=("E[H_t] = H_0 (1 - 1/M)^t for H = 1 - sum_i p_i^2, and Var[p_t(i)] = p_0(i)(1 - p_0(i))(1 - (1 - 1/M)^t), "
               "exactly."),
    source=f"{SECTION}; Wright-Fisher model (Ewens 2004, sections 3.2 and 3.5)",
    proof=(
        Check("heterozygosity-factor", "symbolic", "one-step factor 1 - 1/M against the binomial variance",
              _check_het_factor, route="sympy.stats' Binomial variance (not the pgf)"),
        Check("het-closed-forms-by-induction", "consistency", "the rsolve solutions against their recursion",
              _check_het_induction),
        Check("het-enumerated", "symbolic", "E[H_t], E[p_t(i)], Var[p_t(i)] summed over every outcome of t generations",
              _check_het_enumerated,
              route="exact enumeration of the multinomial chain in rationals, K = 3, M = 2..5, t = 1..3"),
        Check("het-at-defaults", "symbolic", "E[H_t] and Var[p_t(k)] at the theory defaults, exactly",
              _check_het_at_defaults,
              route="the binomial pmf summed at every count b = 0..100 (exact integers), then exact rationals"),
    ),
    evidence=(
        Check("heterozygosity", "simulation", "E[H_t] and sum_i Var[p_t(i)]", _check_het_sim,
              route="literal draw-and-refit (wright-fisher sampler), 200000 chains"),
        Check("samplers-law", "simulation", "every sampler's law of D_1 against the exact law", _check_samplers_law,
              route="exact enumeration of the law of D_1 against the wright-fisher, literal and multinomial samplers"),
    ),
    parts=(
        Part("E[H_t] = H_0 (1 - 1/M)^t, exactly", ("het-enumerated", "het-at-defaults", "heterozygosity")),
        Part("Var[p_t(i)] = p_0(i)(1 - p_0(i))(1 - (1 - 1/M)^t), exactly",
             ("het-enumerated", "het-at-defaults", "heterozygosity")),
        Part("the one-step factor is 1 - 1/M", ("heterozygosity-factor", "het-enumerated")),
        Part("the package's samplers realise this chain", ("samplers-law", "heterozygosity")),
    ),
)

ABSORPTION_TIME = Claim(
    id="discrete-absorption-time",
    title="Expected time to absorption: exact (fundamental matrix) and the diffusion approximation",
    statement=("For two types, the expected number of generations until one type is lost is (I - Q)^(-1) 1 for the "
               "binomial chain's transient part Q; the diffusion approximation -2M [x log x + (1-x) log(1-x)] "
               "exceeds it at x = 1/2 and approaches it as M grows: the relative gap shrinks from 22% at M = 4 to "
               "2.2% at M = 64 and 0.66% at M = 256, while M times the gap grows slowly (from about 0.9 to about 1.7)."),
    source=f"{SECTION}; Kimura (1955); Ewens (2004) sections 4.4 and 5.2",
    proof=(
        Check("diffusion-time", "consistency", "T(x) solves the backward equation dsolve solved", _check_diffusion_solves),
        Check("diffusion-green", "symbolic", "T(x) by the Green's function of the backward equation, and the stated form",
              _check_diffusion_green, route="second derivation: Green's function integral with sympy.integrate"),
        Check("exact-times-consistency", "consistency", "fundamental-matrix times against t = 1 + Q t",
              _check_time_consistency),
        Check("time-enumerated", "symbolic", "the exact times inside brackets from the summed tail distribution",
              _check_time_enumerated,
              route="P(T > t) from powers of an exact binomial matrix built from integers, summed with a geometric "
                    "tail bound, M = 2..8"),
        Check("exact-vs-diffusion", "certificate", "the sign, size and shrinking of the relative gap at x = 1/2",
              _check_time_gap, route="float fundamental-matrix times (bracketed exactly for small M) against the "
                                     "diffusion time at M = 4..256"),
    ),
    evidence=(Check("absorption-time", "simulation", "mean absorption time of 460000 chains at M = 4", _check_time_sim,
                    route="literal draw-and-refit (wright-fisher sampler), run to absorption"),),
    parts=(
        Part("the expected time to absorption is (I - Q)^-1 1", ("time-enumerated", "absorption-time")),
        Part("the diffusion approximation is -2M [x log x + (1-x) log(1-x)]", ("diffusion-green",)),
        Part("the diffusion time exceeds the exact time and approaches it as M grows", ("exact-vs-diffusion",)),
        Part("the relative gap is 22% at M = 4, 2.2% at M = 64, 0.66% at M = 256; M times it grows from about 0.9 "
             "to 1.7", 
             ("exact-vs-diffusion",)),
    ),
)

LOST_MASS = Claim(
    id="discrete-lost-mass",
    title="The expected probability mass lost after t generations",
    statement=("E[mass of p_0 on states absent from generation t] = sum_k p_0(k) P(state k lost by t), with P from "
               "the binomial chain of one state against the rest; rare states are lost first: P(state k lost by t) "
               "decreases in p_0(k) at every t."),
    source=SECTION,
    proof=(
        Check("lumpability-enumerated", "symbolic", "one state's count in the full chain is the binomial chain; "
              "loss_by, loss_at; the lost mass; rarer states lost more", _check_lumpability,
              route="exact enumeration of the K = 3 multinomial chain in rationals, M = 2..5, t = 1..3"),
        Check("lost-mass-at-defaults", "certificate", "P(lost by t) and E[lost mass] at the theory defaults; "
              "P(lost by s) decreasing in q", _check_lost_mass_at_defaults,
              route="forward iteration of a binomial matrix with correctly rounded entries (from exact integers) and "
                    "an a-priori bound on the rounding error"),
    ),
    evidence=(Check("lost-mass", "simulation", "simulated lost mass at t = 1, 3, 8 against the exact chain",
                    _check_lost_mass, route="literal draw-and-refit (wright-fisher sampler), 115000 chains"),),
    parts=(
        Part("E[lost mass by t] = sum_k p_0(k) P(state k lost by t)",
             ("lumpability-enumerated", "lost-mass-at-defaults", "lost-mass")),
        Part("P comes from the binomial chain of one state against the rest", ("lumpability-enumerated",)),
        Part("rare states are lost first: P(state k lost by t) decreases in p_0(k)",
             ("lumpability-enumerated", "lost-mass-at-defaults")),
    ),
)

CLAIMS = (LOSS, ABSORPTION, HETEROZYGOSITY, ABSORPTION_TIME, LOST_MASS)

#: every number ``collapse theory discrete --json`` prints at its defaults -> the check covering it
THEORY_OUTPUTS = {
    ("discrete", "H0"): "discrete-heterozygosity/het-at-defaults",
    ("discrete", "E_H"): "discrete-heterozygosity/het-at-defaults",
    ("discrete", "E_states_lost_one_generation"): "discrete-loss/loss-pgf",
    ("discrete", "E_lost_mass"): "discrete-lost-mass/lost-mass-at-defaults",
    **{("discrete", f"Var_p_{k}"): "discrete-heterozygosity/het-at-defaults" for k in range(len(THEORY_P0))},
    **{("discrete", f"P_lost_one_generation_{k}"): "discrete-loss/loss-pgf" for k in range(len(THEORY_P0))},
    **{("discrete", f"P_absorbed_at_{k}"): "discrete-absorption/absorption-enumerated" for k in range(len(THEORY_P0))},
}
# (``E_absorption_time_exact`` and ``E_absorption_time_diffusion``, printed only for two-state p0, are covered by
# discrete-absorption-time/time-enumerated and /diffusion-green; they are not listed, as the defaults do not print them)
