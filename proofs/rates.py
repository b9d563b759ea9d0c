"""Rates of collapse (Suresh et al., AISTATS 2025): the Bernoulli chain and the Poisson chain.

Every check reads its formulas from :mod:`collapse.analytic.rates` when it runs, so a change
to a formula there changes the verdict here (tests/proofs/mutations_rates.py).
"""

from __future__ import annotations

import flint
import numpy as np
import sympy as sp
from scipy import stats

from collapse.analytic import rates as R
from collapse.proofs import certify
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome
from collapse.proofs.stats import bonferroni, mean_z_p
from collapse.proofs.symbolic import induction, is_zero
from collapse.simulate.families.discrete import DiscreteConfig, simulate_discrete
from collapse.simulate.families.poisson import simulate_poisson

SURESH = ("Suresh, Thangaraj, Khandavally, 'Rate of model collapse in recursive training', AISTATS 2025 "
          "(PMLR 258:1396-1404)")

__all__ = ["nonnegative_by_derivatives", "binomial_two_sided_p", "CLAIMS", "ORDER"]


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
        at0 = sp.limit(g, var, 0, "+")
        if not (at0.is_nonnegative or at0 == 0):
            return False, "; ".join(steps + [f"g^({order})(0) = {at0} is not >= 0"])
        steps.append(f"g^({order})(0) = {at0}")
        g = sp.simplify(sp.diff(g, var))
    return False, "; ".join(steps + [f"no sign for derivatives up to order {max_order}"])


def binomial_two_sided_p(successes: int, trials: int, prob: float) -> float:
    """Exact two-sided binomial test of ``P(success) == prob``."""
    return float(stats.binomtest(int(successes), int(trials), float(prob)).pvalue)


# ------------------------------------------------------------------ Bernoulli
def _check_bernoulli_moments(ctx: Context) -> Outcome:
    step = R.bernoulli_step()
    h = R.bernoulli_heterozygosity()
    martingale = step["drift"] == 0
    ok, detail = induction(h, R.t, R.p0 * (1 - R.p0), lambda f, n: step["het_ratio"] * f)
    rate = sp.simplify(step["het_ratio"])
    return Outcome(f"from the binomial pgf {R.binomial_pgf()}: E[p' | p] - p = {step['drift']}, "
                   f"E[p'(1-p') | p] / (p(1-p)) = {rate}; E[p_t(1-p_t)] = {h}: {detail}",
                   ok=bool(martingale and ok))


def _check_bernoulli_rate(ctx: Context) -> Outcome:
    """charpoly of the transient block = prod_(j=2..M) (z - (M)_j / M^j), exactly, M = 2..7."""
    z = sp.Symbol("z")
    lam2 = sp.simplify(R.wf_eigenvalue(2) - R.bernoulli_step()["het_ratio"])
    for Mi in range(2, 8):
        Q = R.wf_transient_matrix(Mi)
        eig = [sp.simplify(R.wf_eigenvalue(k).subs(R.M, Mi)) for k in range(2, Mi + 1)]
        want = sp.Poly(sp.prod([z - e for e in eig]), z)
        got = Q.charpoly(z)
        if sp.Poly(got.as_expr(), z) != want:
            return Outcome(f"M = {Mi}: charpoly {got.as_expr()} != prod (z - lambda_j) = {want.as_expr()}", ok=False)
        if max(eig) != eig[0]:
            return Outcome(f"M = {Mi}: the largest eigenvalue is not (M)_2/M^2 = {eig[0]}", ok=False)
    return Outcome("for M = 2..7 the transient block of the exact transition matrix has eigenvalues "
                   "(M)_j / M^j, j = 2..M (characteristic polynomials equal), the largest (M)_2/M^2 = "
                   f"{R.wf_eigenvalue(2)}, equal to the heterozygosity ratio ({lam2 == 0})", ok=bool(lam2 == 0))


def _check_bernoulli_bound_proof(ctx: Context) -> Outcome:
    """min p(1-p) over the transient states, and the Markov bound built from it."""
    i = sp.Symbol("i", positive=True)
    h = (i / R.M) * (1 - i / R.M)
    hmin = R.min_nonabsorbed_heterozygosity()
    symmetric = is_zero(h.subs(i, 1) - h.subs(i, R.M - 1)) and is_zero(h.subs(i, 1) - hmin)
    concave = sp.diff(h, i, 2).is_negative
    markov = is_zero(R.bernoulli_survival_bound() * hmin - R.bernoulli_heterozygosity())
    ok = bool(symmetric and concave and markov)
    return Outcome(f"p(1-p) at p = i/M is concave in i (d2/di2 = {sp.diff(h, i, 2)}: {concave}) and equal at i = 1 "
                   f"and M-1, where it is {hmin} ({symmetric}): the minimum over transient states; P(T > t) <= "
                   f"E[p_t(1-p_t)] / ({hmin}) = {R.bernoulli_survival_bound()} (Markov: {markov})", ok=ok)


def _fmpq(q: sp.Rational) -> flint.fmpq:
    q = sp.Rational(q)
    return flint.fmpq(int(q.p), int(q.q))


def _check_bernoulli_bound_exact(ctx: Context) -> Outcome:
    """Exact P(T > t) (rational matrix powers) against the bound, M = 2..8, t = 0..120; E[T] too."""
    bound, worst = R.bernoulli_survival_bound(), 0.0
    for Mi in range(2, 9):
        Q = R.wf_transient_matrix(Mi)
        n = Q.shape[0]
        Qf = flint.fmpq_mat(n, n, [_fmpq(e) for e in Q])
        v = flint.fmpq_mat(n, 1, [1] * n)  # P(T > t | start i) for all i at once
        for tt in range(121):
            for i in range(1, Mi):
                b = _fmpq(bound.subs({R.M: Mi, R.p0: sp.Rational(i, Mi), R.t: tt}))
                if v[i - 1, 0] > b:
                    return Outcome(f"M={Mi}, p0={i}/{Mi}, t={tt}: exact P(T>t) = {v[i - 1, 0]} > bound {b}", ok=False)
                if tt == 120:
                    worst = max(worst, float(v[i - 1, 0] / b))
            v = Qf * v
        lam = 1 - sp.Rational(1, Mi)
        for i, et in enumerate(R.bernoulli_absorption_times(Mi), start=1):
            B = bound.subs({R.M: Mi, R.p0: sp.Rational(i, Mi), R.t: 0})
            t0 = max(0, int(sp.ceiling(sp.log(B) / -sp.log(lam))))  # first t with B lam^t <= 1
            geo = t0 + B * lam**t0 / (1 - lam)  # sum_t min(1, B lam^t)
            if not sp.Rational(et) <= geo:
                return Outcome(f"M={Mi}, p0={i}/{Mi}: exact E[T] = {et} > sum_t min(1, bound) = {geo}", ok=False)
    return Outcome("exact P(T > t) <= bound for M = 2..8, every p0 = i/M, t = 0..120 (rational arithmetic; "
                   f"largest ratio at t = 120: {worst:.3f}); exact E[T] (fundamental matrix) <= sum_t min(1, bound)",
                   ok=True)


def _check_bernoulli_sim(ctx: Context) -> Outcome:
    Mi, q, G = 10, 0.3, 400
    C = 20000 * ctx.scale
    ch = simulate_discrete(DiscreteConfig(C, (1 - q, q), (Mi,) * G, sampler="multinomial"),
                           ctx.rng("bernoulli-chain"), keep=(5, 20, G))
    h = R.bernoulli_heterozygosity()
    ps, parts = [], []
    for slot, g in enumerate((5, 20)):
        pt = ch.freqs[:, slot, 1]
        want = float(h.subs({R.M: Mi, R.p0: q, R.t: g}))
        pv, z = mean_z_p(pt * (1 - pt), want)
        ps.append(pv)
        parts.append(f"E[p_{g}(1-p_{g})] {np.mean(pt * (1 - pt)):.5f} vs {want:.5f} (z={z:.2f})")
    if (ch.absorbed_at < 0).any():
        return Outcome(f"{int((ch.absorbed_at < 0).sum())} chains not absorbed after {G} generations", p_value=0.0)
    at_one = int((ch.absorbed_state == 1).sum())
    ps.append(binomial_two_sided_p(at_one, C, q))
    parts.append(f"absorbed at p = 1: {at_one / C:.4f} vs p0 = {q} (p={ps[-1]:.3g})")
    et = float(R.bernoulli_absorption_times(Mi)[int(round(q * Mi)) - 1])
    pv, z = mean_z_p(ch.absorbed_at, et)
    ps.append(pv)
    parts.append(f"E[T] {ch.absorbed_at.mean():.3f} vs exact {et:.3f} (z={z:.2f})")
    return Outcome(f"{C} chains, M={Mi}, p0={q}: " + "; ".join(parts), p_value=bonferroni(ps))


# -------------------------------------------------------------------- Poisson
def _check_poisson_branching(ctx: Context) -> Outcome:
    N = sp.Symbol("N", positive=True)
    refit = R.refit_count_pgf()
    f = R.offspring_pgf()
    branching = is_zero(refit.subs(R.lam, N / R.M) - f**N)
    mean, var = R.offspring_moments()
    critical = mean == 1 and var == 1
    return Outcome(f"E[s^(M lambda') | lambda] = {refit} = f(s)^(M lambda) with f(s) = {f} ({branching}): a "
                   f"Galton-Watson process; offspring mean {mean}, variance {var} (critical)",
                   ok=bool(branching and critical))


def _check_poisson_extinction(ctx: Context) -> Outcome:
    """P(N_t = 0) by conditioning, generation by generation, against f_t(0)^m, t = 1..5."""
    G = R.poisson_pgf().subs(R.x, R.m)  # N_1 ~ Poisson(m), m = M lambda_0
    f = R.offspring_pgf()
    for tt in range(1, 6):
        want = R.extinction_probability(tt)
        if not is_zero(G.subs(R.s, 0) - want):
            return Outcome(f"t={tt}: E[0^(N_t)] = {G.subs(R.s, 0)} but the closed form says {want}", ok=False)
        G = G.subs(R.s, f)  # E[s^(N_(t+1))] = E[f(s)^(N_t)]
    num = R.extinction_values(5.0, 5)
    direct = [float(R.extinction_probability(tt).subs(R.m, 5)) for tt in range(6)]
    close = np.allclose(num, direct, rtol=1e-12, atol=0)
    return Outcome(f"E[s^(N_(t+1))] = E[f(s)^(N_t)] iterated from N_1 ~ Poisson(m) gives P(N_t = 0) = f_t(0)^m exactly "
                   f"for t = 1..5 (e.g. t=2: {R.extinction_probability(2)}); numeric iteration agrees at m=5: {close}",
                   ok=bool(close))


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


def _check_survival_bounds(ctx: Context) -> Outcome:
    """The bound sequences telescope exactly as the increment bounds say, from r_0 = 1."""
    t = R.t
    lo_inc, up_inc = R.increment_bounds()
    lo, up = R.survival_bounds()
    step_up = sp.simplify(sp.expand_func((1 / up.subs(t, t + 1) - 1 / up) - lo_inc))
    step_lo = sp.simplify(sp.expand_func((1 / lo.subs(t, t + 1) - 1 / lo) - up_inc.subs(R.x, up)))
    base = sp.simplify(lo.subs(t, 0) - 1) == 0 and sp.simplify(up.subs(t, 0) - 1) == 0
    # Suresh et al.: r_(t-1) >= 1/t, i.e. D(t) = t - 1/lower(t-1) >= 0: D(1) = 0, D increasing
    Dt = t - 1 / lo.subs(t, t - 1)
    incr = sp.simplify(sp.expand_func(Dt.subs(t, t + 1) - Dt))
    suresh = sp.simplify(sp.expand_func(Dt.subs(t, 1))) == 0 and incr.is_positive
    lims = R.survival_limit()
    mean, var = R.offspring_moments()
    kolmogorov = all(sp.simplify(v - 2 / var) == 0 for v in lims)
    ok = bool(step_up == 0 and step_lo == 0 and base and suresh and kolmogorov)
    return Outcome(f"{lo} <= r_t <= {up}: base r_0 = 1 ({base}), steps telescope exactly ({step_up == 0}, "
                   f"{step_lo == 0}); t - 1/lower(t-1) is 0 at t=1 and increases by {incr} > 0, so r_(t-1) >= 1/t and "
                   f"P(lambda_t > 0) = 1 - exp(-m r_(t-1)) >= {R.suresh_survival_lower()} ({suresh}); "
                   f"t * bounds -> {lims} = 2/sigma^2 ({kolmogorov})", ok=ok)


def _check_survival_certified(ctx: Context) -> Outcome:
    """Arb: r_t = 1 - exp(-r_(t-1)) lies between the bounds at t up to 10^4; m-ancestor forms too."""
    lo, up = R.survival_bounds()
    checkpoints = sorted({int(v) for v in np.unique(np.geomspace(1, 10_000, 40).round())} | {1, 2, 3})
    r, tt, n_checked = flint.arb(1), 0, 0
    extinct = R.extinction_values(3.0, 50)
    for target in checkpoints:
        while tt < target:
            r = 1 - (-r).exp()
            tt += 1
        lo_v = certify.to_arb(sp.nsimplify(lo.subs(R.t, tt).doit()), {})
        up_v = certify.to_arb(sp.nsimplify(up.subs(R.t, tt).doit()), {})
        if not (lo_v <= r and r <= up_v):
            return Outcome(f"t={tt}: r_t = {r} not within [{lo_v}, {up_v}]", ok=False)
        if tt <= 50:  # P(extinct by t+1 | m = 3) = exp(-3 r_t)
            want = (-3 * r).exp()
            if not abs(want - flint.arb(extinct[tt + 1])) < 1e-12:
                return Outcome(f"t={tt + 1}: extinction_values {extinct[tt + 1]} != exp(-m r_t) = {want}", ok=False)
        n_checked += 1
    return Outcome(f"ball arithmetic: lower(t) <= r_t <= upper(t) at {n_checked} generations up to t = {tt} "
                   f"(r_{tt} = {r.mid().str(5)}, t r_t = {(tt * r).mid().str(5)}); all t by the induction above; "
                   "extinction_values agree with exp(-m r_(t-1))", ok=True)


def _check_poisson_sim(ctx: Context) -> Outcome:
    Mi, lam0, G = 5, 1.0, 64
    C = 20000 * ctx.scale
    lam = simulate_poisson(C, lam0, Mi, G, ctx.rng("poisson-chain-extinction"))
    want = R.extinction_values(Mi * lam0, G)
    ps, parts = [], []
    for g in (1, 3, 10, 30, 64):
        k = int((lam[:, g] == 0).sum())
        ps.append(binomial_two_sided_p(k, C, want[g]))
        parts.append(f"t={g}: {k / C:.4f} vs {want[g]:.4f}")
    monotone = bool(np.all(np.diff(lam == 0, axis=1) >= 0))  # 0 is absorbing
    if not monotone:
        return Outcome("a chain left lambda = 0", p_value=0.0)
    return Outcome(f"literal loop, {C} chains, M={Mi}, lambda_0={lam0} (m={Mi * lam0}): P(lambda_t = 0) "
                   + "; ".join(parts), p_value=bonferroni(ps))


BERNOULLI = Claim(
    id="rates-bernoulli",
    title="The Bernoulli chain collapses at the exact geometric rate 1 - 1/M",
    statement=("Refitting a Bernoulli parameter by maximum likelihood on M of its own samples, p_t is a martingale "
               "absorbed at 1 with probability p0, E[p_t(1 - p_t)] = p0(1 - p0)(1 - 1/M)^t, 1 - 1/M is the largest "
               "eigenvalue of the transient chain, and P(not collapsed at t) <= M^2/(M-1) p0(1-p0)(1 - 1/M)^t."),
    source=f"{SURESH}, Bernoulli model; the two-state case of Shumailov et al. (2024), discrete distributions",
    proof=(
        Check("bernoulli-moments", "symbolic", "martingale and the heterozygosity recursion, solved exactly",
              _check_bernoulli_moments),
        Cited("bernoulli-absorption", "a bounded martingale converges almost surely; the limit is an absorbing "
              "state, so P(absorbed at 1) = E[p_oo] = p0 (optional stopping)",
              "Doob's martingale convergence and optional stopping theorems (e.g. Williams, Probability with "
              "Martingales, 1991, ch. 10-11)"),
        Check("bernoulli-decay-rate", "symbolic", "eigenvalues (M)_j/M^j of the exact transition matrix",
              _check_bernoulli_rate),
        Check("bernoulli-survival-proof", "symbolic", "Markov's inequality with the smallest transient p(1-p)",
              _check_bernoulli_bound_proof),
        Check("bernoulli-survival-exact", "certificate", "the bound against exact P(T > t) and E[T]",
              _check_bernoulli_bound_exact),
    ),
    evidence=(Check("bernoulli-chain", "simulation", "simulated chains: heterozygosity, absorption state and time",
                    _check_bernoulli_sim),),
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
              _check_poisson_branching),
        Check("poisson-extinction-exact", "symbolic", "P(lambda_t = 0) = f_t(0)^m by conditioning",
              _check_poisson_extinction),
        Check("gw-increment-bounds", "symbolic", "1/2 <= 1/(1-e^-x) - 1/x <= 1/2 + x/12 for x > 0",
              _check_increment_bounds),
        Check("gw-survival-bounds", "symbolic", "two-sided bounds on r_t by telescoping; the 2/t limit",
              _check_survival_bounds),
        Cited("kolmogorov-critical-gw", "for any critical Galton-Watson process with offspring variance "
              "sigma^2 < oo, P(Z_t > 0 | Z_0 = 1) ~ 2/(sigma^2 t) (here proved with explicit bounds)",
              "Kolmogorov (1938); Kesten, Ney, Spitzer, J. Math. Anal. Appl. 1966; Athreya & Ney, Branching "
              "Processes (1972), Thm I.9.1"),
        Check("gw-survival-certified", "certificate", "ball arithmetic: r_t within the bounds up to t = 10^4",
              _check_survival_certified),
    ),
    evidence=(Check("poisson-chain-extinction", "simulation", "extinction frequencies of the literal chain",
                    _check_poisson_sim),),
)

ORDER = 40
CLAIMS = (BERNOULLI, POISSON)
