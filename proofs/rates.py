"""Rates of collapse (Suresh et al., AISTATS 2025): the Bernoulli chain and the Poisson chain.

Every check reads its formulas from :mod:`collapse.analytic.rates` when it runs, so a change
to a formula there changes the verdict here (tests/proofs/mutations_rates.py, and the source
edits of tests/proofs/source_mutations/rates.py).

Independent routes (each check's ``route``): the Bernoulli chain is enumerated exactly, in
rationals, from its binomial transition probabilities (typed here from the definition, not
taken from :mod:`analytic.rates`); the Poisson chain's law of N_t is propagated by summing the
Poisson law over counts in ball arithmetic, truncated with the escaped mass as an exact error
term; r_t is iterated in ball arithmetic from r_(t+1) = 1 - exp(-r_t); the simulations run the
literal draw-and-refit chains (M draws, then the maximum-likelihood refit), never the
sufficient-statistic shortcut.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import flint
import numpy as np
import sympy as sp
from collapse.analytic import rates as R
from collapse.proofs import certify
from collapse.proofs.core import Check, Cited, Claim, Context, Erratum, Outcome, Part
from collapse.proofs.stats import bonferroni, mde_z
from collapse.proofs.symbolic import decide_zero, induction
from collapse.simulate.families.poisson import PoissonFamily, PoissonParams
from scipy import stats

SURESH = ("Suresh, Thangaraj, Khandavally, 'Rate of model collapse in recursive training', AISTATS 2025 "
          "(PMLR 258:1396-1404)")
PAPER = "Shumailov et al., Nature 631 (2024), 'Discrete distributions with exact approximation'"

__all__ = ["CLAIMS", "ORDER", "THEORY_OUTPUTS", "Residuals", "binomial_two_sided_p", "nonnegative_by_derivatives", "wf_matrix"]


# --------------------------------------------------------------------- helpers
def nonnegative_by_derivatives(expr: sp.Expr, var: sp.Symbol, *, max_order: int = 6) -> tuple[bool, str]:
    """Prove ``expr >= 0`` for every ``var >= 0`` by repeated integration.

    If g^(i)(0) >= 0 for i < k and sympy's assumptions show g^(k) >= 0 for var > 0,
    then g >= 0 on [0, oo) (integrate k times from 0). ``var`` must be declared
    positive. Returns (proved, the chain as text).
    """
    g, steps = sp.simplify(expr), []
    for order in range(max_order + 1):
        if sp.factor(g).is_nonnegative or sp.simplify(g).is_nonnegative:
            steps.append(f"g^({order}) = {sp.factor(g)} >= 0")
            return True, "; ".join(steps)
        at0 = sp.simplify(g.subs(var, 0))
        if at0.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or not at0.is_number:
            at0 = sp.limit(g, var, 0, "+")  # only where g is not defined at 0 itself
        if not (at0.is_nonnegative or at0 == 0):
            return False, "; ".join(steps + [f"g^({order})(0) = {at0} is not >= 0"])
        steps.append(f"g^({order})(0) = {at0}")
        g = sp.simplify(sp.diff(g, var))
    return False, "; ".join(steps + [f"no sign for derivatives up to order {max_order}"])


def binomial_two_sided_p(successes: int, trials: int, prob: float) -> float:
    """Exact two-sided binomial test of ``P(success) == prob``."""
    return float(stats.binomtest(int(successes), int(trials), float(prob)).pvalue)


class Residuals:
    """The residuals of one check, each decided by :func:`decide_zero` (never a false "fail").

    ``res(expr, **kw)`` records the verdict and returns False only for a residual shown nonzero
    (with a witness point), True when proved or undecided; ``res.outcome(detail, ok)`` is the
    check's Outcome: a fail when ``ok`` is False, "undecided" (ok=None) when every step held but a
    residual was only numerically zero, a pass otherwise.
    """

    def __init__(self) -> None:
        self.zeros = []

    def __call__(self, expr, **kw) -> bool:
        z = decide_zero(expr, **kw)
        self.zeros.append(z)
        return not z.nonzero

    def outcome(self, detail: str, ok: bool) -> Outcome:
        bad = next((z for z in self.zeros if z.nonzero), None)
        if not ok:
            return Outcome(detail + (f" [{bad.detail}]" if bad else ""), ok=False, witness=bad.witness if bad else None)
        open_ = [z for z in self.zeros if z.status == "undecided"]
        if open_:
            return Outcome(detail + f" [{len(open_)} residual(s) undecided: {open_[0].detail}]", ok=None, undecided=True)
        return Outcome(detail, ok=True)


def _fmpq(q) -> flint.fmpq:
    q = Fraction(q) if not isinstance(q, sp.Basic) else Fraction(int(sp.Rational(q).p), int(sp.Rational(q).q))
    return flint.fmpq(q.numerator, q.denominator)


def _frac(q: flint.fmpq) -> Fraction:
    return Fraction(int(q.p), int(q.q))


@functools.cache
def wf_matrix(samples: int) -> flint.fmpq_mat:
    """The Bernoulli chain's transition matrix on counts 0..M, typed from the definition.

    P(i -> k) = C(M, k) (i/M)^k (1 - i/M)^(M - k): k of M independent draws succeed when
    each succeeds with probability i/M (exact rationals; nothing from analytic.rates).
    """
    Mi = samples
    rows = []
    for i in range(Mi + 1):
        p = Fraction(i, Mi)
        rows.extend(_fmpq(math.comb(Mi, k) * p**k * (1 - p) ** (Mi - k)) for k in range(Mi + 1))
    return flint.fmpq_mat(Mi + 1, Mi + 1, rows)


def _laws(samples: int, start: int, steps: int) -> list[list[Fraction]]:
    """The exact law of the count X_t, t = 0..steps, from X_0 = ``start`` (row vectors)."""
    P = wf_matrix(samples)
    v = flint.fmpq_mat(1, samples + 1, [1 if k == start else 0 for k in range(samples + 1)])
    out = []
    for _ in range(steps + 1):
        out.append([_frac(v[0, k]) for k in range(samples + 1)])
        v = v * P
    return out


@functools.cache
def _absorption_exact(samples: int) -> tuple[list[Fraction], list[Fraction]]:
    """(P(absorbed at M | i), E[T | i]) for i = 1..M-1, by solving the chain's linear systems exactly."""
    Mi = samples
    P = wf_matrix(Mi)
    n = Mi - 1
    A = flint.fmpq_mat(n, n, [(1 if a == b else 0) - P[a + 1, b + 1] for a in range(n) for b in range(n)])
    to_top = flint.fmpq_mat(n, 1, [P[a + 1, Mi] for a in range(n)])
    ones = flint.fmpq_mat(n, 1, [1] * n)
    h, et = A.solve(to_top), A.solve(ones)
    return [_frac(h[a, 0]) for a in range(n)], [_frac(et[a, 0]) for a in range(n)]


def _exact_function(expr: sp.Expr, args: tuple):
    """``expr`` as a function of ``args`` in exact rational arithmetic (Fractions through Python operators),
    falling back to sympy's ``subs`` when the expression has more than + - * / and integer powers."""
    fn = sp.lambdify(args, expr, modules=[{}])

    def call(*vals):
        try:
            out = fn(*vals)
        except (TypeError, ValueError, ZeroDivisionError, NameError):  # not plain arithmetic: sympy below
            out = None
        if isinstance(out, (int, Fraction)):
            return Fraction(out)
        v = sp.Rational(expr.subs(dict(zip(args, (sp.Rational(x.numerator, x.denominator) if isinstance(x, Fraction)
                                                     else x for x in vals)))))
        return Fraction(int(v.p), int(v.q))

    return call


def _mde(rel_ses, ctx: Context, k: int) -> float:
    return max(mde_z(r, ctx.alpha, k) for r in rel_ses)


# ------------------------------------------------------------------ Bernoulli
def _check_bernoulli_one_step(ctx: Context) -> Outcome:
    """From the binomial pgf: E[X] = M p, drift 0, heterozygosity ratio exactly the statement's 1 - 1/M."""
    step = R.bernoulli_step()
    G = R.binomial_pgf()
    res = Residuals()
    mean_ok = res(sp.diff(G, R.s).subs(R.s, 1) - R.M * R.p)
    drift_ok = res(step["drift"])
    ratio_ok = res(step["het_ratio"] - (1 - 1 / R.M))
    pgf_ok = res(G.subs(R.s, 1) - 1)
    ok = mean_ok and drift_ok and ratio_ok and pgf_ok
    return res.outcome(f"binomial pgf {G} (summed from the pmf; G(1) = 1: {pgf_ok}): E[X] = M p ({mean_ok}), "
                       f"E[p' | p] - p = {step['drift']} ({drift_ok}), E[p'(1-p') | p] / (p(1-p)) = "
                       f"{sp.simplify(step['het_ratio'])} = 1 - 1/M ({ratio_ok})", ok)


def _check_bernoulli_induction(ctx: Context) -> Outcome:
    step = R.bernoulli_step()
    h = R.bernoulli_heterozygosity()
    ok, detail = induction(h, R.t, R.p0 * (1 - R.p0), lambda f, n: step["het_ratio"] * f)
    return Outcome(f"rsolve's E[p_t(1-p_t)] = {h} against the recursion it solved: {detail}", ok=ok)


def _check_bernoulli_enumerated(ctx: Context) -> Outcome:
    """Exact law of X_t for M = 2..6, every p0 = i/M, t = 0..12; absorption; the geometric rate."""
    h = R.bernoulli_heterozygosity()
    worst_rate = 0.0
    for Mi in range(2, 7):
        for i in range(1, Mi):
            laws = _laws(Mi, i, 12)
            for tt, law in enumerate(laws):
                mean = sum(Fraction(k, Mi) * w for k, w in enumerate(law))
                het = sum(Fraction(k, Mi) * (1 - Fraction(k, Mi)) * w for k, w in enumerate(law))
                if mean != Fraction(i, Mi):
                    return Outcome(f"M={Mi}, p0={i}/{Mi}, t={tt}: exact E[p_t] = {mean} != p0", ok=False)
                want = sp.Rational(h.subs({R.M: Mi, R.p0: sp.Rational(i, Mi), R.t: tt}))
                if sp.Rational(het.numerator, het.denominator) != want:
                    return Outcome(f"M={Mi}, p0={i}/{Mi}, t={tt}: exact E[p_t(1-p_t)] = {het}, closed form {want}",
                                   ok=False, witness={"M": Mi, "i": i, "t": tt, "exact": str(het), "closed": str(want)})
        top, _ = _absorption_exact(Mi)
        if top != [Fraction(i, Mi) for i in range(1, Mi)]:
            return Outcome(f"M={Mi}: exact P(absorbed at 1 | p0 = i/M) = {top} != i/M", ok=False)
        # the geometric rate: P(T > t+1) / P(T > t) -> lambda_2 = (M)_2/M^2 (from the derived eigenvalue)
        lam2 = Fraction(str(sp.Rational(R.wf_eigenvalue(2).subs(R.M, Mi))))
        law = _laws(Mi, 1, 121)
        surv = [1 - w[0] - w[Mi] for w in law]
        ratio = surv[121] / surv[120]
        worst_rate = max(worst_rate, abs(float(ratio - lam2)))
        if abs(ratio - lam2) > Fraction(1, 10**8):
            return Outcome(f"M={Mi}: P(T > 121)/P(T > 120) = {float(ratio):.12f}, but lambda_2 = {lam2}", ok=False)
    return Outcome("exact laws of the count (binomial transitions typed from the definition, rationals), M = 2..6, "
                   "every p0 = i/M, t = 0..12: E[p_t] = p0 and E[p_t(1-p_t)] equal the closed form exactly; "
                   "P(absorbed at 1) = i/M solving the absorption equations exactly; P(T > t+1)/P(T > t) at "
                   f"t = 120 is within {worst_rate:.1e} of (M)_2/M^2 = 1 - 1/M", ok=True)


def _check_bernoulli_rate(ctx: Context) -> Outcome:
    """charpoly of the transient block = prod_(j=2..M) (z - (M)_j / M^j), exactly, M = 2..7."""
    z = sp.Symbol("z")
    res = Residuals()
    same_ratio = res(R.wf_eigenvalue(2) - R.bernoulli_step()["het_ratio"])
    stated = res(R.wf_eigenvalue(2) - (1 - 1 / R.M))
    for Mi in range(2, 8):
        P = wf_matrix(Mi)
        Q = sp.Matrix(Mi - 1, Mi - 1, lambda a, b, P=P: sp.Rational(int(P[a + 1, b + 1].p), int(P[a + 1, b + 1].q)))
        if R.wf_transient_matrix(Mi) != Q:
            return Outcome(f"M = {Mi}: analytic.rates.wf_transient_matrix differs from the binomial transitions", ok=False)
        eig = [sp.simplify(R.wf_eigenvalue(k).subs(R.M, Mi)) for k in range(2, Mi + 1)]
        want = sp.Poly(sp.prod([z - e for e in eig]), z)
        got = Q.charpoly(z)
        if sp.Poly(got.as_expr(), z) != want:
            return Outcome(f"M = {Mi}: charpoly {got.as_expr()} != prod (z - lambda_j) = {want.as_expr()}", ok=False)
        if max(eig) != eig[0]:
            return Outcome(f"M = {Mi}: the largest eigenvalue is not (M)_2/M^2 = {eig[0]}", ok=False)
    return res.outcome("for M = 2..7 the transient block of the binomial transition matrix has eigenvalues "
                       "(M)_j / M^j, j = 2..M (characteristic polynomials equal), the largest (M)_2/M^2 = "
                       f"{R.wf_eigenvalue(2)} = 1 - 1/M ({stated}), equal to the heterozygosity ratio ({same_ratio})",
                       bool(same_ratio and stated))


def _check_bernoulli_bound_proof(ctx: Context) -> Outcome:
    """min p(1-p) over the transient states, and the Markov bound built from it, as stated."""
    i = sp.Symbol("i", positive=True)
    h = (i / R.M) * (1 - i / R.M)
    hmin = R.min_nonabsorbed_heterozygosity()
    res = Residuals()
    symmetric = res(h.subs(i, 1) - h.subs(i, R.M - 1)) and res(h.subs(i, 1) - hmin)
    concave = sp.diff(h, i, 2).is_negative
    by_hand = all(min(Fraction(a * (Mi - a), Mi * Mi) for a in range(1, Mi))
                  == Fraction(str(sp.Rational(hmin.subs(R.M, Mi)))) for Mi in range(2, 61))
    stated = R.M**2 / (R.M - 1) * R.p0 * (1 - R.p0) * (1 - 1 / R.M) ** R.t
    as_stated = res(R.bernoulli_survival_bound() - stated)
    markov = res(R.bernoulli_survival_bound() * hmin - R.bernoulli_heterozygosity())
    ok = bool(symmetric and concave and by_hand and as_stated and markov)
    return res.outcome(f"p(1-p) at p = i/M is concave in i (d2/di2 = {sp.diff(h, i, 2)}: {concave}) and equal at i = 1 "
                   f"and M-1, where it is {hmin} ({symmetric}; the minimum over i = 1..M-1 by enumeration, "
                   f"M <= 60: {by_hand}); P(T > t) <= E[p_t(1-p_t)] / ({hmin}) (Markov: {markov}) = "
                   f"{R.bernoulli_survival_bound()}, the statement's M^2/(M-1) p0(1-p0)(1-1/M)^t ({as_stated})",
                   ok)


def _check_bernoulli_bound_exact(ctx: Context) -> Outcome:
    """Exact P(T > t) (rational matrix powers) against the bound, M = 2..8, t = 0..120; E[T] too."""
    bound, worst = R.bernoulli_survival_bound(), 0.0
    bound_at = _exact_function(bound, (R.M, R.p0, R.t))
    for Mi in range(2, 9):
        P = wf_matrix(Mi)
        n = Mi - 1
        Qf = flint.fmpq_mat(n, n, [P[a + 1, b + 1] for a in range(n) for b in range(n)])
        v = flint.fmpq_mat(n, 1, [1] * n)  # P(T > t | start i) for all i at once
        for tt in range(121):
            for i in range(1, Mi):
                b = _fmpq(bound_at(Mi, Fraction(i, Mi), tt))
                if v[i - 1, 0] > b:
                    return Outcome(f"M={Mi}, p0={i}/{Mi}, t={tt}: exact P(T>t) = {v[i - 1, 0]} > bound {b}", ok=False)
                if tt == 120:
                    worst = max(worst, float(v[i - 1, 0] / b))
            v = Qf * v
        _, et_exact = _absorption_exact(Mi)
        et_lib = [Fraction(str(e)) for e in R.bernoulli_absorption_times(Mi)]
        if et_lib != et_exact:
            return Outcome(f"M={Mi}: analytic.rates.bernoulli_absorption_times {et_lib} != exact E[T] {et_exact}",
                           ok=False)
        lam = 1 - sp.Rational(1, Mi)
        for i, et in enumerate(et_exact, start=1):
            B = bound.subs({R.M: Mi, R.p0: sp.Rational(i, Mi), R.t: 0})
            t0 = max(0, int(sp.ceiling(sp.log(B) / -sp.log(lam))))  # first t with B lam^t <= 1
            geo = t0 + B * lam**t0 / (1 - lam)  # sum_t min(1, B lam^t)
            if not sp.Rational(et.numerator, et.denominator) <= geo:
                return Outcome(f"M={Mi}, p0={i}/{Mi}: exact E[T] = {et} > sum_t min(1, bound) = {geo}", ok=False)
    return Outcome("exact P(T > t) <= bound for M = 2..8, every p0 = i/M, t = 0..120 (rational arithmetic; "
                   f"largest ratio at t = 120: {worst:.3f}, so the rate 1 - 1/M is not beaten); exact E[T] "
                   "(fundamental matrix, solved here) equals analytic.rates' and is <= sum_t min(1, bound)", ok=True)


#: the literal Bernoulli chain of the simulation: M draws, refit p' = their mean
_B_M, _B_HET_P0, _B_ABS_P0 = 6, 0.5, 5 / 6
_B_HET_CHAINS, _B_ABS_CHAINS = 240_000, 200_000


def _bernoulli_literal(C: int, p0: float, gens: int | None, rng: np.random.Generator):
    """Literal chains: each generation draws M Bernoulli(p) values (uniforms below p) and refits p = their mean.

    ``gens`` None: run every chain to absorption; returns (p per generation kept, final p).
    """
    p = np.full(C, p0)
    kept = []
    alive = np.arange(C)
    g = 0
    while alive.size and (gens is None or g < gens):
        g += 1
        draws = rng.random((alive.size, _B_M)) < p[alive, None]
        p[alive] = draws.mean(axis=1)  # the maximum-likelihood refit
        if gens is not None:
            kept.append(p.copy())
        alive = alive[(p[alive] > 0) & (p[alive] < 1)]
        if g > 10_000:
            raise RuntimeError("chains not absorbed after 10^4 generations")
    return kept, p


def _check_bernoulli_sim(ctx: Context) -> Outcome:
    h = R.bernoulli_heterozygosity()
    C1, C2 = _B_HET_CHAINS * ctx.scale, _B_ABS_CHAINS * ctx.scale
    kept, _ = _bernoulli_literal(C1, _B_HET_P0, 2, ctx.rng("bernoulli-chain-het"))
    ps, parts, rel = [], [], []
    pt = kept[1]
    se = pt.std(ddof=1) / np.sqrt(C1)
    z = (pt.mean() - _B_HET_P0) / se
    ps.append(float(2 * stats.norm.sf(abs(z))))
    rel.append(se / _B_HET_P0)
    parts.append(f"E[p_2] {pt.mean():.5f} vs p0 = {_B_HET_P0} (z={z:.2f})")
    for g in (1, 2):
        x = kept[g - 1] * (1 - kept[g - 1])
        want = float(h.subs({R.M: _B_M, R.p0: sp.Rational(1, 2), R.t: g}))
        se = x.std(ddof=1) / np.sqrt(C1)
        z = (x.mean() - want) / se
        ps.append(float(2 * stats.norm.sf(abs(z))))
        rel.append(se / abs(want))
        parts.append(f"E[p_{g}(1-p_{g})] {x.mean():.5f} vs {want:.5f} (z={z:.2f})")
    _, final = _bernoulli_literal(C2, _B_ABS_P0, None, ctx.rng("bernoulli-chain-absorption"))
    at_one = int((final == 1).sum())
    ps.append(binomial_two_sided_p(at_one, C2, _B_ABS_P0))
    rel.append(np.sqrt(_B_ABS_P0 * (1 - _B_ABS_P0) / C2) / _B_ABS_P0)
    parts.append(f"absorbed at p = 1 from p0 = 5/6: {at_one / C2:.5f} vs {_B_ABS_P0:.5f} (p={ps[-1]:.3g})")
    mde = _mde(rel, ctx, len(ps))
    return Outcome(f"literal chains (M = {_B_M} Bernoulli draws, refit by their mean), {C1} chains from p0 = 1/2 and "
                   f"{C2} run to absorption from p0 = 5/6: " + "; ".join(parts)
                   + f"; detects a relative error >= {100 * mde:.2f}% in any of the {len(ps)} (power 0.99)",
                   p_value=bonferroni(ps), mde=mde, moment=True)


# -------------------------------------------------------------------- Poisson
def _check_poisson_branching(ctx: Context) -> Outcome:
    N = sp.Symbol("N", positive=True)
    refit = R.refit_count_pgf()
    f = R.offspring_pgf()
    res = Residuals()
    branching = res(refit.subs(R.lam, N / R.M) - f**N)
    mean, var = R.offspring_moments()
    critical = mean == 1 and var == 1
    return res.outcome(f"E[s^(M lambda') | lambda] = {refit} = f(s)^(M lambda) with f(s) = {f} ({branching}): a "
                       f"Galton-Watson process; offspring mean {mean}, variance {var} (critical)",
                       bool(branching and critical))


def _check_poisson_extinction(ctx: Context) -> Outcome:
    """P(N_t = 0) by conditioning, generation by generation, against f_t(0)^m, t = 1..5 (same f)."""
    G = R.poisson_pgf().subs(R.x, R.m)  # N_1 ~ Poisson(m), m = M lambda_0
    f = R.offspring_pgf()
    for tt in range(1, 6):
        want = R.extinction_probability(tt)
        if decide_zero(G.subs(R.s, 0) - want).nonzero:
            return Outcome(f"t={tt}: E[0^(N_t)] = {G.subs(R.s, 0)} but the closed form says {want}", ok=False)
        G = G.subs(R.s, f)  # E[s^(N_(t+1))] = E[f(s)^(N_t)]
    num = R.extinction_values(5.0, 5)
    direct = [float(R.extinction_probability(tt).subs(R.m, 5)) for tt in range(6)]
    close = np.allclose(num, direct, rtol=1e-12, atol=0)
    return Outcome(f"E[s^(N_(t+1))] = E[f(s)^(N_t)] iterated from N_1 ~ Poisson(m) gives P(N_t = 0) = f_t(0)^m exactly "
                   f"for t = 1..5 (e.g. t=2: {R.extinction_probability(2)}); numeric iteration agrees at m=5: {close}",
                   ok=bool(close))


def _poisson_rows(K: int, rate: flint.arb) -> list[flint.arb]:
    """Poisson(rate) pmf at 0..K in balls: e^-rate rate^k / k!, typed from the definition."""
    row = [(-rate).exp()]
    for k in range(1, K + 1):
        row.append(row[-1] * rate / k)
    return row


@functools.cache
def _count_matrix(K: int) -> flint.arb_mat:
    """P(N' = k | N = n) = Poisson(n) pmf, n, k <= K (the ML refit of M draws of Poisson(n/M) times M)."""
    return flint.arb_mat([_poisson_rows(K, flint.arb(n)) for n in range(K + 1)])


#: (m, last generation, truncation K) of the enumeration
_ENUM = ((sp.Rational(1, 2), 20, 500), (sp.Integer(3), 20, 500), (sp.Integer(10), 20, 500))


def _check_poisson_enumerated(ctx: Context) -> Outcome:
    """P(N_t = 0) from the law of N_t, propagated by summing the Poisson law over counts (balls)."""
    # the premise of the chain: the sum of M iid Poisson(n/M) draws is Poisson(n), by convolving the pmfs
    conv_worst = flint.arb(0)
    for Mi in (2, 3):
        for n in (1, 5, 20):
            one = flint.arb_poly(_poisson_rows(80, flint.arb(n) / Mi))
            law = one**Mi
            want = _poisson_rows(80, flint.arb(n))
            for k in range(81):
                d = abs(law[k] - want[k])
                if not d < flint.arb(10) ** -25:
                    return Outcome(f"sum of {Mi} Poisson({n}/{Mi}) draws: P({k}) = {law[k]} != Poisson({n}) {want[k]}",
                                   ok=False)
                conv_worst = max(conv_worst, d.upper())
    parts, widest = [], 0.0
    for m, T, K in _ENUM:
        A = _count_matrix(K)
        v = flint.arb_mat([_poisson_rows(K, certify.to_arb(m, {}))])  # N_1 ~ Poisson(M lambda_0 = m)
        ext = R.extinction_values(float(m), T)
        if len(ext) != T + 1 or ext[0] != 0.0:
            return Outcome(f"extinction_values(m, {T}) has {len(ext)} entries (want t = 0..{T}), first {ext[0]}", ok=False)
        for tt in range(1, T + 1):
            zero = v[0, 0]
            escaped = 1 - sum((v[0, k] for k in range(K + 1)), flint.arb(0))
            lo, hi = zero.lower(), (zero + escaped).upper()
            width = float((hi - lo).upper())
            widest = max(widest, width)
            if width > 1e-12:
                return Outcome(f"m={m}, t={tt}: bracket too wide ({width:.2e}); raise K", ok=False)
            got = flint.arb(ext[tt])
            slack = abs(got) * flint.arb(2) ** -50  # float rounding of extinction_values
            if not (got + slack >= lo and got - slack <= hi):
                return Outcome(f"m={m}, t={tt}: extinction_values = {ext[tt]!r} outside the exact bracket "
                               f"[{lo.str(15)}, {hi.str(15)}]", ok=False,
                               witness={"m": str(m), "t": tt, "value": ext[tt], "lower": lo.str(20), "upper": hi.str(20)})
            others = {"chain_loss_probability(m, t - 1)": float(R.chain_loss_probability(float(m), tt - 1))}
            if tt <= 6:
                others["extinction_probability(t)"] = float(R.extinction_probability(tt).subs(R.m, m))
            for name, val in others.items():
                b = flint.arb(val)
                s_ = abs(b) * flint.arb(2) ** -50
                if not (b + s_ >= lo and b - s_ <= hi):
                    return Outcome(f"m={m}, t={tt}: {name} = {val!r} outside [{lo.str(15)}, {hi.str(15)}]", ok=False)
            # Suresh et al.: P(lambda_t > 0) >= 1 - exp(-m/t), equality at t = 1
            cap = (-certify.to_arb(m, {}) / tt).exp()
            if tt == 1:
                if not abs(hi - cap) < flint.arb(10) ** -20:
                    return Outcome(f"m={m}: P(lambda_1 = 0) = {zero} != exp(-m)", ok=False)
            elif not hi < cap:
                return Outcome(f"m={m}, t={tt}: P(lambda_t = 0) <= {hi.str(10)} is not below exp(-m/t) = {cap.str(10)}",
                               ok=False)
            v = v * A
        parts.append(f"m={m}: P(lambda_{T} = 0) = {zero.mid().str(12)}")
    return Outcome("sum of M iid Poisson(n/M) pmfs = Poisson(n) pmf (M = 2, 3, n = 1, 5, 20; by convolution); "
                   "the law of N_t propagated over counts <= K in ball arithmetic, with the escaped mass as exact "
                   f"error term (widest bracket {widest:.1e}), contains extinction_values, chain_loss_probability and "
                   "extinction_probability (t <= 6) at t = 1..20 and lies "
                   "below exp(-m/t) (equal at t = 1): " + "; ".join(parts), ok=True)


def _check_increment_bounds(ctx: Context) -> Outcome:
    """1/2 <= 1/(1-e^-x) - 1/x <= 1/2 + x/12 for x > 0, and e^x >= 1 + x, by derivative chains."""
    x = R.x
    inc = R.inverse_increment()
    lo, up = R.increment_bounds()
    ok, chain = nonnegative_by_derivatives(sp.exp(x) - 1 - x, x)
    if not ok:
        return Outcome(f"e^x - 1 - x: {chain}", ok=False)
    parts = [f"e^x - 1 - x: {chain}"]
    D = x * (sp.exp(x) - 1)  # >= x^2 > 0 by the line above: clears both denominators
    for name, e in (("inc - lower", inc - lo), ("upper - inc", up - inc)):
        cleared = sp.expand(sp.simplify(e * D))
        ok, chain = nonnegative_by_derivatives(cleared, x)
        if not ok:
            return Outcome(f"{name} (times {D}): {chain}", ok=False)
        parts.append(f"({name}) {D}: {chain}")
    return Outcome(f"lower = {lo}, upper = {up}; " + " | ".join(parts), ok=True)


def _check_survival_telescoping(ctx: Context) -> Outcome:
    """The bound sequences are the sums of the increment bounds: their steps telescope, from r_0 = 1."""
    t = R.t
    lo_inc, up_inc = R.increment_bounds()
    lo, up = R.survival_bounds()
    step_up = sp.simplify(sp.expand_func((1 / up.subs(t, t + 1) - 1 / up) - lo_inc))
    step_lo = sp.simplify(sp.expand_func((1 / lo.subs(t, t + 1) - 1 / lo) - up_inc.subs(R.x, up)))
    base = sp.simplify(lo.subs(t, 0) - 1) == 0 and sp.simplify(up.subs(t, 0) - 1) == 0
    ok = bool(step_up == 0 and step_lo == 0 and base)
    return Outcome(f"{lo} <= r_t <= {up}: base r_0 = 1 ({base}), steps telescope exactly ({step_up == 0}, "
                   f"{step_lo == 0})", ok=ok)


def _check_survival_bounds(ctx: Context) -> Outcome:
    """The premises of the induction, the bounds as stated, r_(t-1) >= 1/t and t r_t -> 2/sigma^2."""
    t, x = R.t, R.x
    lo_inc, up_inc = R.increment_bounds()
    lo, up = R.survival_bounds()
    H = sp.harmonic(t + 1)
    stated_lo, stated_up = 1 / (1 + t / 2 + (H - 1) / 6), 2 / (t + 2)
    res = Residuals()
    as_stated = res(lo - stated_lo) and res(up - stated_up)
    # premises: the upper increment bound grows with x, so r_t <= upper(t) may be fed into it; r in (0, 1]
    increasing = sp.diff(up_inc, x).is_positive
    positive_inc = lo_inc.is_positive
    r_map = 1 - R.offspring_pgf().subs(R.s, 1 - x)  # r' = 1 - f(1 - r)
    below, _ = nonnegative_by_derivatives(x - r_map, x)  # r' <= r
    above, _ = nonnegative_by_derivatives(r_map, x)  # r' >= 0 (> 0: f(1 - r) < 1 = f(1) for r > 0, f increasing)
    into_unit = bool(below and above and sp.diff(R.offspring_pgf(), R.s).subs(R.s, 1 - x).is_positive)
    # Suresh et al.: r_(t-1) >= 1/t, i.e. D(t) = t - 1/lower(t-1) >= 0: D(1) = 0, D increasing
    Dt = t - 1 / lo.subs(t, t - 1)
    incr = sp.simplify(sp.expand_func(Dt.subs(t, t + 1) - Dt))
    suresh = sp.simplify(sp.expand_func(Dt.subs(t, 1))) == 0 and bool(incr.is_positive)
    suresh_form = res(R.suresh_survival_lower() - (1 - sp.exp(-R.m / t)))
    lims = R.survival_limit()
    mean, var = R.offspring_moments()
    kolmogorov = mean == 1 and bool(var.is_finite) and all(sp.simplify(v - 2 / var) == 0 for v in lims)
    direct = [sp.limit(t * b, t, sp.oo) for b in (stated_lo, stated_up)]
    ok = bool(as_stated and increasing and positive_inc and into_unit and suresh and suresh_form and kolmogorov
              and all(d == 2 / var for d in direct))
    return res.outcome(f"derived bounds = the statement's 1/(1 + t/2 + (H_(t+1) - 1)/6) and 2/(t+2) ({as_stated}); premises: "
                   f"lower increment {lo_inc} > 0 ({positive_inc}), upper increment increasing in r ({increasing}), "
                   f"r' = 1 - f(1 - r) maps (0, 1] into (0, r) ({into_unit}); t - 1/lower(t-1) is 0 at t=1 and "
                   f"increases by {incr} > 0, so r_(t-1) >= 1/t and P(lambda_t > 0) = 1 - exp(-m r_(t-1)) >= "
                   f"{R.suresh_survival_lower()} ({suresh}, {suresh_form}); offspring mean {mean}, variance {var}: "
                   f"t * bounds -> {lims} = 2/sigma^2 ({kolmogorov})", ok)


def _check_survival_certified(ctx: Context) -> Outcome:
    """Arb: r_t = 1 - exp(-r_(t-1)) lies between the bounds at t up to 10^4; r_(t-1) >= 1/t; m-ancestor forms too."""
    lo, up = R.survival_bounds()
    lo_a, up_a = (b.rewrite(sp.polygamma) for b in (lo, up))  # H_(t+1) = digamma(t + 2) + gamma
    checkpoints = sorted({int(v) for v in np.unique(np.geomspace(1, 10_000, 40).round())} | {1, 2, 3})
    r, tt, n_checked = flint.arb(1), 0, 0
    extinct = R.extinction_values(3.0, 50)
    for target in checkpoints:
        while tt < target:
            prev = r
            r = 1 - (-r).exp()  # one ancestor's line: r_(t+1) = 1 - f(1 - r_t), f(s) = e^(s - 1)
            tt += 1
        T = flint.arb(tt)
        lo_v, up_v = certify.to_arb(lo_a, {R.t: T}), certify.to_arb(up_a, {R.t: T})
        H = (T + 2).digamma() + flint.arb.const_euler()
        st_lo, st_up = 1 / (1 + T / 2 + (H - 1) / 6), 2 / (T + 2)
        if not (lo_v <= r <= up_v and st_lo <= r <= st_up):
            return Outcome(f"t={tt}: r_t = {r} not within [{lo_v}, {up_v}] (stated [{st_lo}, {st_up}])", ok=False)
        if not prev * T >= 1:  # r_(t-1) >= 1/t (Suresh et al.)
            return Outcome(f"t={tt}: r_(t-1) = {prev} < 1/t", ok=False)
        if tt <= 50:  # P(extinct by t+1 | m = 3) = exp(-3 r_t)
            want = (-3 * r).exp()
            if not abs(want - flint.arb(extinct[tt + 1])) < 1e-12:
                return Outcome(f"t={tt + 1}: extinction_values {extinct[tt + 1]} != exp(-m r_t) = {want}", ok=False)
        n_checked += 1
    return Outcome(f"ball arithmetic: the derived and the stated bounds hold at {n_checked} generations up to t = {tt} "
                   f"(r_{tt} = {r.mid().str(5)}, t r_t = {(tt * r).mid().str(5)}); r_(t-1) >= 1/t there; "
                   "extinction_values agree with exp(-m r_(t-1))", ok=True)


#: (M, lambda_0, last generation, chains) of the literal Poisson chains; (1, 10, 100) is `collapse theory rates`' default
_P_RUNS = ((1, 10.0, 100, 190_000), (4, 0.5, 40, 120_000))


def _poisson_literal(C: int, M: int, lam0: float, G: int, rng: np.random.Generator) -> np.ndarray:
    """Extinct fraction by generation t = 0..G of literal chains: M draws of Poisson(lambda), refit their mean."""
    fam = PoissonFamily()
    lam = np.full(C, lam0)
    alive = np.arange(C)
    extinct = np.zeros(G + 1)
    for g in range(1, G + 1):
        sub = fam.fit(fam.sample(PoissonParams(lam[alive]), M, rng)).rate
        if np.any(sub[lam[alive] == 0] != 0):
            raise AssertionError("a chain left lambda = 0")
        lam[alive] = sub
        alive = alive[sub > 0]
        extinct[g] = 1 - alive.size / C
    return extinct


def _check_poisson_sim(ctx: Context) -> Outcome:
    ps, parts, rel = [], [], []
    for Mi, lam0, G, C in _P_RUNS:
        C *= ctx.scale
        ext = _poisson_literal(C, Mi, lam0, G, ctx.rng(f"poisson-chain-{Mi}"))
        values = R.extinction_values(Mi * lam0, G)
        want = values[-1]  # what `collapse theory rates` prints as P_extinct_by_t
        if len(values) != G + 1:
            return Outcome(f"extinction_values(m, {G}) has {len(values)} entries", p_value=0.0, mde=0.0, moment=True)
        k = round(ext[G] * C)
        ps.append(binomial_two_sided_p(k, C, want))
        rel.append(np.sqrt(want * (1 - want) / C) / want)
        parts.append(f"M={Mi}, lambda_0={lam0} (m={Mi * lam0:g}), t={G}, {C} chains: P(lambda_t = 0) {k / C:.5f} vs "
                     f"{want:.5f} (p={ps[-1]:.3g}; survival {1 - want:.5f})")
    mde = _mde(rel, ctx, len(ps))
    return Outcome("literal loop (M Poisson draws, refit by their mean): " + "; ".join(parts)
                   + f"; detects a relative error >= {100 * mde:.2f}% in P(lambda_t = 0) (power 0.99)",
                   p_value=bonferroni(ps), mde=mde, moment=True)


# --------------------------------------------------------------------- claims
BERNOULLI = Claim(
    id="rates-bernoulli",
    title="The Bernoulli chain collapses at the exact geometric rate 1 - 1/M",
    statement=("Refitting a Bernoulli parameter by maximum likelihood on M of its own samples, p_t is a martingale "
               "absorbed at 1 with probability p0, E[p_t(1 - p_t)] = p0(1 - p0)(1 - 1/M)^t, 1 - 1/M is the largest "
               "eigenvalue of the transient chain, and P(not collapsed at t) <= M^2/(M-1) p0(1-p0)(1 - 1/M)^t."),
    source=f"{SURESH}, Bernoulli model; the two-state case of Shumailov et al. (2024), discrete distributions",
    proof=(
        Check("bernoulli-moments", "symbolic", "martingale and the heterozygosity ratio from the binomial pgf",
              _check_bernoulli_one_step, route="factorial moments of the binomial pgf summed from the pmf, against "
                                               "the statement's constants"),
        Check("bernoulli-heterozygosity-induction", "consistency", "rsolve's solution against its recursion",
              _check_bernoulli_induction),
        Check("bernoulli-enumerated", "certificate", "the exact law of the chain, M <= 6: moments, absorption, rate",
              _check_bernoulli_enumerated,
              route="exact enumeration of binomial outcomes in rationals, M <= 6, transitions typed from the definition"),
        Cited("bernoulli-absorption", "a bounded martingale converges almost surely; the limit is an absorbing "
              "state, so P(absorbed at 1) = E[p_oo] = p0 (optional stopping)",
              "Williams, Probability with Martingales (1991), Theorem 11.5 (Doob's forward convergence theorem) "
              "and Theorem 10.10 (Doob's optional-stopping theorem)"),
        Check("bernoulli-decay-rate", "symbolic", "eigenvalues (M)_j/M^j of the exact transition matrix",
              _check_bernoulli_rate, route="characteristic polynomial of the binomial transition matrix (rationals) "
                                           "against the factorial-moment eigenvalues"),
        Check("bernoulli-survival-proof", "symbolic", "Markov's inequality with the smallest transient p(1-p)",
              _check_bernoulli_bound_proof, route="concavity of i(M - i) and enumeration of its minimum, M <= 60"),
        Check("bernoulli-survival-exact", "certificate", "the bound against exact P(T > t) and E[T]",
              _check_bernoulli_bound_exact, route="exact matrix powers of the binomial transition matrix in rationals"),
    ),
    evidence=(Check("bernoulli-chain", "simulation", "literal chains: martingale, heterozygosity, absorption",
                    _check_bernoulli_sim, route="literal draw-and-refit sampler: M uniforms below p, refit by the mean"),),
    parts=(
        Part("p_t is a martingale", ("bernoulli-moments", "bernoulli-enumerated", "bernoulli-chain")),
        Part("absorbed at 1 with probability p0", ("bernoulli-enumerated", "bernoulli-chain")),
        Part("E[p_t(1 - p_t)] = p0(1 - p0)(1 - 1/M)^t", ("bernoulli-enumerated", "bernoulli-chain")),
        Part("1 - 1/M is the largest eigenvalue of the transient chain", ("bernoulli-decay-rate",)),
        Part("collapses at the exact geometric rate 1 - 1/M (P(T > t+1)/P(T > t) -> 1 - 1/M)",
             ("bernoulli-enumerated", "bernoulli-survival-exact")),
        Part("P(not collapsed at t) <= M^2/(M-1) p0(1-p0)(1 - 1/M)^t",
             ("bernoulli-survival-proof", "bernoulli-survival-exact")),
    ),
    errata=(
        Erratum(paper="the probability of losing information (that is, sampling no data at some generation) is "
                      "equal to 1 \u2212 q",
                correct="ambiguous: a state of probability q is unseen in one generation of M samples with probability "
                        "(1 - q)^M; it is lost for good (absorption at the other states) with probability 1 - q, the "
                        "reading under which the sentence is right (here p0 = q: absorbed at 1 with probability q)",
                check="bernoulli-enumerated", where=PAPER),
        Erratum(paper="if we consider state i with probability q \u2264 1/M, the expected number of samples with "
                      "value i coming from those events will be less than 1",
                correct="at most 1: the expected count is M q, equal to 1 at q = 1/M",
                check="bernoulli-moments", where=PAPER),
        Erratum(paper="the Markov chain contains at least one absorbing state and therefore, with probability 1, "
                      "it will converge to one of the absorbing states",
                correct="an absorbing state alone does not imply absorption; here every state reaches an absorbing "
                        "one in a single step with probability p^M + (1-p)^M >= 2^(1-M), so P(T > t) -> 0 "
                        "geometrically (at the exact rate 1 - 1/M)",
                check="bernoulli-survival-exact", where=PAPER),
    ),
)

POISSON = Claim(
    id="rates-poisson-gw",
    title="The Poisson chain is a critical Galton-Watson process: extinction by generation t, exactly and for large t",
    statement=("Refitting a Poisson rate by maximum likelihood on M of its own samples, N_t = M lambda_t is a critical "
               "Galton-Watson process with Poisson(1) offspring; P(lambda_t = 0) = f_t(0)^(M lambda_0) with "
               "f(s) = exp(s - 1); one ancestor's line survives t generations with probability r_t, "
               "1/(1 + t/2 + (H_(t+1) - 1)/6) <= r_t <= 2/(t + 2), so t r_t -> 2/sigma^2 = 2, and a symbol of "
               "expected count m survives t generations with probability >= 1 - exp(-m/t): forgetting takes a "
               "time linear in the count."),
    source=f"{SURESH}, Poisson model and the survival of a symbol; Kolmogorov (1938) for the large-t constant",
    proof=(
        Check("poisson-refit-branching", "symbolic", "ML refit = critical Galton-Watson step (pgf)",
              _check_poisson_branching, route="probability generating function of a sum of M iid Poisson draws"),
        Check("poisson-extinction-exact", "consistency", "P(lambda_t = 0) = f_t(0)^m by conditioning (the same f)",
              _check_poisson_extinction),
        Check("poisson-extinction-enumerated", "certificate", "P(lambda_t = 0) from the law of N_t, t <= 20",
              _check_poisson_enumerated,
              route="law of N_t by summing the Poisson law over counts in ball arithmetic, truncated with an exact "
                    "bound on the escaped mass; sums of M Poisson draws by convolution"),
        Check("gw-increment-bounds", "symbolic", "1/2 <= 1/(1-e^-x) - 1/x <= 1/2 + x/12 for x > 0",
              _check_increment_bounds, route="repeated differentiation: g^(i)(0) >= 0 and a last derivative of known sign"),
        Check("gw-bounds-telescoping", "consistency", "the bound sequences are the sums of the increment bounds",
              _check_survival_telescoping),
        Check("gw-survival-bounds", "symbolic", "the induction's premises, the bounds as stated; the 2/t limit",
              _check_survival_bounds, route="monotonicity of the increment bound and limits of the stated bounds"),
        Cited("kolmogorov-critical-gw", "for any critical Galton-Watson process with offspring variance "
              "sigma^2 < oo, P(Z_t > 0 | Z_0 = 1) ~ 2/(sigma^2 t) (here proved with explicit bounds)",
              "Kolmogorov (1938); Kesten, Ney, Spitzer, Theory Probab. Appl. 11 (1966) 513-540; Athreya & Ney, "
              "Branching Processes (1972), Chapter I, Section 9, Theorem 1"),
        Check("gw-survival-certified", "certificate", "ball arithmetic: r_t within the bounds up to t = 10^4",
              _check_survival_certified, route="ball-arithmetic iteration of r_(t+1) = 1 - exp(-r_t), typed from "
                                               "the Poisson(1) pgf, independent of the bound derivation"),
    ),
    evidence=(Check("poisson-chain-extinction", "simulation", "extinction frequencies of the literal chain",
                    _check_poisson_sim, route="literal draw-and-refit sampler: M Poisson draws, refit by their mean"),),
    parts=(
        Part("N_t = M lambda_t is a critical Galton-Watson process with Poisson(1) offspring",
             ("poisson-refit-branching", "poisson-extinction-enumerated")),
        Part("P(lambda_t = 0) = f_t(0)^(M lambda_0), f(s) = exp(s - 1)",
             ("poisson-extinction-enumerated", "poisson-chain-extinction")),
        Part("1/(1 + t/2 + (H_(t+1) - 1)/6) <= r_t <= 2/(t + 2)", ("gw-increment-bounds", "gw-survival-certified")),
        Part("t r_t -> 2/sigma^2 = 2", ("gw-survival-bounds",)),
        Part("a symbol of expected count m survives t generations with probability >= 1 - exp(-m/t)",
             ("gw-survival-bounds", "gw-survival-certified", "poisson-extinction-enumerated")),
    ),
)

ORDER = 40
CLAIMS = (BERNOULLI, POISSON)

#: the independent check behind each number `collapse theory rates --json` prints
THEORY_OUTPUTS = {
    ("rates", "P_extinct_by_t"): "rates-poisson-gw/poisson-chain-extinction",
    ("rates", "P_survive_t"): "rates-poisson-gw/poisson-chain-extinction",
}
