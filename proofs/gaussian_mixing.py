"""Real data against collapse: fresh data each generation (fixed points) and retraining stability.

Formulas from :mod:`collapse.analytic.gaussian_mixing` at call time. Independent routes: a second
derivation of the mixing recursion by direct moment algebra of independent points (not the
chi-square batch decomposition the derivation uses); exact moments of the literal points by
Gaussian moment algebra; the retraining fixed point from the unrolled update summed by sympy;
simulations through the generic loop and a literal draw-and-refit retraining loop.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from collapse.analytic import gaussian as G
from collapse.analytic import gaussian_mixing as X
from collapse.proofs.core import Check, Claim, Context, Outcome, Part
from collapse.proofs.discrete import fast_zero, power, power_note, z_mean, zero_outcome
from collapse.proofs.gaussian import PAPER
from collapse.proofs.regimes import THEORY_MIX, _gauss_expect
from collapse.proofs.stats import bonferroni
from collapse.proofs.symbolic import decide_zero, is_zero
from collapse.simulate.families.gaussian import GaussianFamily, GaussianParams
from collapse.simulate.families.retrain import simulate_retrain_mean
from collapse.simulate.loop import Regime, run_generations

BERTRAND = "Bertrand et al., 'On the stability of iterative retraining of generative models on their own data', ICLR 2024"

#: the defaults of ``collapse theory mixing`` for retraining (lambda, N, sigma)
THEORY_RETRAIN = {"lam": 1.0, "N": 1000, "sigma": 1.0}


def _theory_shares() -> tuple[int, int]:
    """(n_model, n_real) as ``collapse theory mixing`` computes them at its defaults."""
    m = THEORY_MIX["M"]
    n_real = max(2, int(round(THEORY_MIX["gamma"] * m)))
    return m - n_real, n_real


# ---------------------------------------------------------------- fresh data
def _check_fixed_point(ctx: Context) -> Outcome:
    parts = []
    for est in G.ESTIMATORS:
        A, b = X.mix_recursion(est)
        x = X.mix_fixed_point(est)
        ok = all(is_zero(e) for e in (A * x + b - x))
        if not ok:
            return Outcome(f"{est}: A x* + b - x* = {list(sp.simplify(A * x + b - x))}", ok=False)
        parts.append(f"{est}: E[(mu-mu0)^2]* = {x[0]}, E[sigma^2]* = {x[1]}")
    return Outcome("x* = A x* + b exactly, for the A, b it was solved from; " + "; ".join(parts), ok=True)


def _direct_recursion(estimator: str):
    """(A, b) again, from E[y^2] = Var + mean^2 of independent points (no chi-square, no batch means).

    n1 model points y = mu + S Z and n2 real points sigma0 W (mu0 = 0): mu' = sum y / M and
    SS' = sum y^2 - M mu'^2, so E[SS'] = sum_j (v_j + m_j^2) - M (Var(mu') + E[mu']^2).
    """
    n1, n2, s0 = X.n1, X.n2, G.sigma0
    mu, S2 = sp.symbols("mu S2", real=True)
    d2, v = sp.symbols("d2 v", nonnegative=True)
    M = n1 + n2
    ddof = 1 if estimator == "unbiased" else 0
    means = [(n1, mu, S2), (n2, 0, s0**2)]  # (count, mean, variance) of each kind of point
    e_mean = sum(k * m for k, m, _ in means) / M
    var_mean = sum(k * vv for k, _, vv in means) / M**2
    e_sum_sq = sum(k * (vv + m**2) for k, m, vv in means)
    e_ss = e_sum_sq - M * (var_mean + e_mean**2)
    e_d2 = sp.expand(var_mean + e_mean**2)  # E[mu'^2 | mu, S]
    e_v = sp.expand(e_ss / (M - ddof))
    # over the current generation: E[mu] = 0 (mu0 = 0), E[mu^2] = d2, E[S^2] = v; both are linear in mu^2 and S2
    lin = lambda e: sp.expand(e).subs({mu**2: d2, S2: v}).subs(mu, 0)  # noqa: E731
    e_d2, e_v = lin(e_d2), lin(e_v)
    A = sp.Matrix([[sp.diff(e_d2, d2), sp.diff(e_d2, v)], [sp.diff(e_v, d2), sp.diff(e_v, v)]])
    b = sp.Matrix([e_d2.subs({d2: 0, v: 0}), e_v.subs({d2: 0, v: 0})])
    return A, b


def _check_second_derivation(ctx: Context) -> Outcome:
    dom = {X.n1: (1, 40), X.n2: (2, 40)}
    zeros, parts = [], []
    n_model, n_real = _theory_shares()
    for est in G.ESTIMATORS:
        A2, b2 = _direct_recursion(est)
        A, b = X.mix_recursion(est)
        for i in range(2):
            zeros.append(fast_zero(b[i] - b2[i], domain=dom))
            for j in range(2):
                zeros.append(fast_zero(A[i, j] - A2[i, j], domain=dom))
        x2 = (sp.eye(2) - A2).LUsolve(b2)
        x = X.mix_fixed_point(est)
        zeros += [fast_zero(x[0] - x2[0], domain=dom), fast_zero(x[1] - x2[1], domain=dom)]
        at = {X.n1: n_model, X.n2: n_real, G.sigma0: 1}
        parts.append(f"{est}: fixed point at the theory defaults (n1 = {n_model}, n2 = {n_real}) "
                     f"({float(x2[0].subs(at)):.12g}, {float(x2[1].subs(at)):.12g})")
    statuses = sorted({z.status for z in zeros})
    return zero_outcome(f"A and b from E[y^2] = Var + mean^2 of the independent points against mix_recursion, and "
                        f"(I - A)^-1 b against mix_fixed_point, both estimators: {statuses}; " + "; ".join(parts), *zeros)


def _literal_mix_moments(n_model: int, n_real: int, gens: int, ddof: int):
    """Exact (E[(mu_g - mu_0)^2], E[sigma_g^2]) for g = 1..gens of the loop's mix regime, by Gaussian moment algebra.

    D_0 is M = n_model + n_real real points; D_g (g >= 1) is n_model points mu_g + sigma_g Z and n_real fresh
    real points W; sigma0 = 1, mu0 = 0.
    """
    m = n_model + n_real
    z0 = sp.symbols(f"w0_0:{m}")
    layers = [(z0, None, None)]
    data = list(z0)
    out = []
    for g in range(1, gens + 1):
        mu = sp.Add(*data) / m
        s2 = sp.expand(sp.Add(*[(x - mu) ** 2 for x in data]) / (m - ddof))
        out.append((mu, s2, list(layers)))
        s = sp.Symbol(f"s{g}", positive=True)
        zs = sp.symbols(f"z{g}_0:{n_model}")
        ws = sp.symbols(f"w{g}_0:{n_real}")
        layers.append((tuple(zs) + tuple(ws), s, s2))
        data = [mu + s * z for z in zs] + list(ws)
    return [(_gauss_expect(sp.expand(mu**2), lay), _gauss_expect(s2, lay)) for mu, s2, lay in out]


def _check_literal_moments(ctx: Context) -> Outcome:
    bad, parts = [], []
    for est, ddof in (("unbiased", 1), ("mle", 0)):
        for n_model, n_real, gens in ((1, 2, 3), (2, 2, 2)):
            exact = _literal_mix_moments(n_model, n_real, gens, ddof)
            theirs = X.mix_moments(est, n_model, n_real, gens)
            for g, (d2, e2) in enumerate(exact, start=1):
                for name, mine, other in (("E dmu2", d2, theirs[g][0]), ("E sigma2", e2, theirs[g][1])):
                    if abs(float(mine) - other) > 1e-12 * abs(float(mine)):
                        bad.append(f"{est}, shares ({n_model}, {n_real}), g={g}: {name} {mine} vs {other!r}")
            parts.append(f"{est} ({n_model}, {n_real}): g={gens}: ({exact[-1][0]}, {exact[-1][1]})")
    return Outcome("E[(mu_g - mu_0)^2] and E[sigma_g^2] of the loop's literal points (D_0 all real; then n_model "
                   "points mu + sigma Z and n_real fresh real points) by Gaussian moment algebra, against mix_moments, "
                   "both estimators: " + ("all equal to 12 digits; " if not bad else "FAILED: " + "; ".join(bad[:4])
                                          + "; ") + "; ".join(parts), ok=not bad)


def _check_contraction(ctx: Context) -> Outcome:
    """Jury conditions: both eigenvalues of A inside the unit circle for n1 >= 1, n2 >= 2."""
    p, q = sp.symbols("p q", integer=True, nonnegative=True)
    parts = []
    for est in G.ESTIMATORS:
        A, _ = X.mix_recursion(est)
        A = A.subs({X.n1: 1 + p, X.n2: 2 + q})
        tr, det = A.trace(), A.det()
        for name, e in (("1 - tr + det", 1 - tr + det), ("1 + tr + det", 1 + tr + det), ("1 - det", 1 - det)):
            num, den = sp.fraction(sp.factor(sp.cancel(sp.together(e))))
            if not (sp.expand(num).is_positive and sp.expand(den).is_positive):
                return Outcome(f"{est}: cannot show {name} > 0: {sp.factor(e)}", ok=False)
        parts.append(est)
    return Outcome("for n1 = 1 + p, n2 = 2 + q (p, q >= 0) the Jury conditions 1 - tr + det, 1 + tr + det, "
                   "1 - det are ratios of polynomials with positive coefficients (" + ", ".join(parts)
                   + "): the recursion contracts to its fixed point from any start", ok=True)


def _check_shares(ctx: Context) -> Outcome:
    """The loop's shares at the theory defaults and on a grid: round(beta M), round(gamma M), the rest model."""
    n_model, n_real = _theory_shares()
    g = THEORY_MIX["gamma"]
    at = Regime("mix", 1 - g, 0.0, g).shares(THEORY_MIX["M"])
    bad = [] if at == (n_model, 0, n_real) else [f"theory defaults: loop {at} vs theory ({n_model}, 0, {n_real})"]
    for m in (3, 10, 37, 100):
        for a, b, c in ((0.8, 0.1, 0.1), (0.5, 0.25, 0.25), (0.0, 1.0, 0.0), (1.0, 0.0, 0.0), (0.0, 0.0, 1.0),
                        (0.6, 0.0, 0.4)):
            sh = Regime("mix", a, b, c).shares(m)
            want_prev = int(round(b * m))
            want_real = min(int(round(c * m)), m - want_prev)
            if sh != (m - want_prev - want_real, want_prev, want_real) or sum(sh) != m or min(sh) < 0:
                bad.append(f"M={m}, weights ({a}, {b}, {c}): {sh}")
    return Outcome(f"at the theory defaults the loop trains on (n_model, n_prev, n_real) = {at}; on a grid of M and "
                   "weights the shares are (M - round(beta M) - round(gamma M), round(beta M), round(gamma M))"
                   + ("" if not bad else "; FAILED: " + "; ".join(bad[:4])), ok=not bad)


def _check_mix_sim(ctx: Context) -> Outcome:
    """E[sigma_g^2] of the first mixed generations (g = 2..4) at the theory defaults, through the loop."""
    n_model, n_real = _theory_shares()
    M_, gens = n_model + n_real, 4
    gamma = n_real / M_
    C = 36_000 * ctx.scale
    fam = GaussianFamily("unbiased")
    p0 = GaussianParams(np.zeros(C), np.ones(C))
    seen = {}
    run_generations(fam, p0, (M_,) * gens, ctx.rng("mix-stationary"), regime=f"mix:{1 - gamma},0,{gamma}",
                    on_generation=lambda g, p: seen.__setitem__(g, p.var.copy()))
    exact = X.mix_moments("unbiased", n_model, n_real, gens)
    want = np.array([exact[g][1] for g in range(2, gens + 1)])
    var = np.stack([seen[g] for g in range(2, gens + 1)], axis=1)  # generation 1 is fitted to real data only
    x = X.mix_fixed_point("unbiased").subs({X.n1: n_model, X.n2: n_real, G.sigma0: 1})
    p, z, r = z_mean(var.mean(axis=1), want.mean())
    mde = power([r], ctx)
    return Outcome(f"literal loop, {C} chains, M={M_}, gamma={gamma} (the theory defaults): E[sigma_g^2] averaged over "
                   f"the mixed generations g = 2..{gens} {var.mean():.6f} vs {want.mean():.6f} (z={z:.2f}); fixed point "
                   f"{float(x[1]):.5f}; {power_note(mde, ctx)}", p_value=p, mde=mde, moment=True)


# ---------------------------------------------------------------- retraining
def _check_retrain(ctx: Context) -> Outcome:
    rate, noise = X.retrain_recursion()
    fp = X.retrain_fixed_point()
    contracts = is_zero(rate - X.lam / (1 + X.lam)) and (1 - rate).is_positive
    stated = is_zero(fp - X.lam * X.sigma**2 / (X.Nreal * (1 + 2 * X.lam)))
    return Outcome(f"mu' - xbar = rate (mu - xbar) + noise with rate = {rate} = lambda/(1+lambda) < 1 for every "
                   f"lambda > 0 ({contracts}); stationary E[(mu - xbar)^2] = {fp}, the statement's lambda sigma^2 / "
                   f"(N (1 + 2 lambda)) ({stated})", ok=bool(contracts and stated))


def _check_retrain_consistency(ctx: Context) -> Outcome:
    rate, noise = X.retrain_recursion()
    fp = X.retrain_fixed_point()
    return Outcome(f"fixed point {fp} against noise / (1 - rate^2), the definition it came from",
                   ok=is_zero(fp * (1 - rate**2) - noise))


def _check_retrain_unrolled(ctx: Context) -> Outcome:
    """From the literal update: mu' - xbar = (lambda N (mu - xbar) + sigma sum_j Z_j) / ((1 + lambda) N), unrolled."""
    lam, Nn, sigma = X.lam, X.Nreal, X.sigma
    dm, zsum = sp.symbols("dm zsum", real=True)
    new = (Nn * 0 + lam * Nn * dm + sigma * zsum) / ((1 + lam) * Nn)  # xbar = 0; sum of lambda N draws mu + sigma Z
    r = sp.diff(new, dm)
    c2 = sp.diff(new, zsum) ** 2 * lam * Nn  # Var(sum_j Z_j) = lambda N
    n, k = sp.Symbol("n", integer=True, nonnegative=True), sp.Symbol("k", integer=True, nonnegative=True)
    t = sp.Symbol("t", positive=True)  # t = r^2, 0 < t < 1 (checked below)
    geometric = sp.summation(t**k, (k, 0, n - 1))  # sympy's closed form of the partial sum
    if isinstance(geometric, sp.Piecewise):
        geometric = next(e for e, cond in geometric.args if cond is sp.true or cond == True)  # noqa: E712
    below_one = _nonneg_rational(1 - r**2)
    # E[(mu_n - xbar)^2] = t^n d0^2 + c^2 sum_(k<n) t^k; as n -> oo, t^n -> 0 because 0 < t < 1
    limit = sp.factor(c2 * geometric.subs(t**n, 0).subs(t, r**2))
    z = fast_zero(X.retrain_fixed_point() - limit, domain={lam: (sp.Rational(1, 10), 10), Nn: (1, 100)})
    zr = fast_zero(X.retrain_recursion()[0] - r, domain={lam: (sp.Rational(1, 10), 10)})
    if not below_one:
        return Outcome(f"cannot show r^2 = {sp.factor(r**2)} < 1", ok=False)
    at = {lam: sp.nsimplify(THEORY_RETRAIN["lam"]), Nn: THEORY_RETRAIN["N"], sigma: sp.nsimplify(THEORY_RETRAIN["sigma"])}
    return zero_outcome(f"unrolled: E[(mu_n - xbar)^2] = r^(2n) d0^2 + c^2 sum_(k<n) r^(2k) with r = {sp.factor(r)}, "
                        f"c^2 = {sp.factor(c2)}; its limit {sp.factor(limit)} against retrain_fixed_point: {z.status}; the "
                        f"rate against retrain_recursion: {zr.status}; at the theory defaults (lambda = 1, N = 1000): "
                        f"rate {float(r.subs(at)):.12g}, E[(mu - xbar)^2] = {float(limit.subs(at)):.12g}", z, zr)


def _nonneg_rational(e) -> bool:
    """e > 0 for every lambda > 0: numerator and denominator polynomials in lambda with positive coefficients."""
    num, den = sp.fraction(sp.factor(sp.together(e)))
    return bool(sp.expand(num).is_positive and sp.expand(den).is_positive)


def _literal_retrain(C: int, n_real: int, lam: float, gens: int, rng, mu_start: float = 1.0) -> np.ndarray:
    """Literal draw-and-refit: N real points per chain (kept), lambda N draws from N(mu, 1) each generation, refit the
    mean of all; returns mu_g - xbar, shape (C, gens + 1)."""
    k = int(round(lam * n_real))
    real = rng.standard_normal((C, n_real))
    real_sum = real.sum(axis=1)
    xbar = real_sum / n_real
    mu = xbar + mu_start
    out = np.empty((C, gens + 1))
    out[:, 0] = mu - xbar
    for g in range(gens):
        synth = mu[:, None] + rng.standard_normal((C, k))  # lambda N draws from N(mu, 1)
        mu = (real_sum + synth.sum(axis=1)) / (n_real + k)  # the mean of all N + lambda N points
        out[:, g + 1] = mu - xbar
    return out


_RETRAIN_CHAINS = 60_000


def _check_retrain_sim(ctx: Context) -> Outcome:
    n_real, gens, window = 2, 80, 10
    ps, rel, parts = [], [], []
    for lam_ in (0.5, 2.0):
        r = lam_ / (1 + lam_)
        fp = float(X.retrain_fixed_point().subs({X.lam: sp.nsimplify(lam_), X.Nreal: n_real, X.sigma: 1}))
        g = np.arange(gens + 1)
        # exact transient from mu_start = 1, with the stationary value from the formula: fp + r^(2g) (1 - fp)
        want = fp + r ** (2 * g) * (1 - fp)
        for label, traj in (("literal", _literal_retrain(_RETRAIN_CHAINS * ctx.scale, n_real, lam_, gens,
                                                          ctx.rng(f"retrain-literal-{lam_}"))),
                            ("sufficient", simulate_retrain_mean(_RETRAIN_CHAINS * ctx.scale, n_real, lam_, gens,
                                                                 ctx.rng(f"retrain-{lam_}")))):
            x = (traj[:, window:] ** 2).mean(axis=1)
            p, z, rr = z_mean(x, want[window:].mean())
            ps.append(p)
            rel.append(rr)
            parts.append(f"lambda={lam_} {label}: {x.mean():.6f} vs {want[window:].mean():.6f} (z={z:.2f})")
    mde = power(rel, ctx)
    return Outcome(f"E[(mu_g - xbar)^2] averaged over generations {window}..{gens}, N={n_real}, {_RETRAIN_CHAINS} "
                   "chains each: "
                   + "; ".join(parts) + f"; {power_note(mde, ctx)}", p_value=bonferroni(ps), mde=mde, moment=True)


FRESH_DATA = Claim(
    id="gaussian-fresh-data",
    title="A fraction gamma of fresh real data each generation: a stationary error instead of collapse",
    statement=("With n2 = gamma M fresh points from the original distribution and n1 = (1 - gamma) M model points "
               "per generation (the paper's mixing with beta = 0), (E[(mu_n - mu_0)^2], E[sigma_n^2]) follows a linear "
               "recursion that contracts to a closed-form fixed point for every n1 >= 1, n2 >= 2."),
    source=f"{PAPER}, 'Theoretical intuition' (p_(i+1) = alpha p_theta + beta p_i + gamma p_0)",
    proof=(
        Check("mix-fixed-point", "consistency", "the closed-form fixed point solves the x = A x + b it was solved from",
              _check_fixed_point),
        Check("mix-second-derivation", "symbolic", "A, b and the fixed point again, from E[y^2] = Var + mean^2 of "
              "independent points", _check_second_derivation,
              route="second derivation by direct moment algebra of independent points (no chi-square pivot, no batch "
                    "decomposition)"),
        Check("mix-literal-moments", "symbolic", "exact moments of the loop's literal points at small shares",
              _check_literal_moments,
              route="Gaussian moment algebra of the literal points (E Z^2 = 1, E Z^4 = 3), no recursion"),
        Check("mix-contraction", "symbolic", "the recursion matrix has spectral radius < 1", _check_contraction,
              route="Jury stability conditions as polynomial signs for all n1 >= 1, n2 >= 2"),
        Check("mix-shares", "symbolic", "the loop's (n_model, n_prev, n_real) at the theory defaults and on a grid",
              _check_shares, route="the loop's Regime.shares against round(beta M), round(gamma M)"),
    ),
    evidence=(
        Check("mix-stationary", "simulation", "the literal mixing loop matches the exact moment recursion",
              _check_mix_sim, route="literal draw-and-refit through the generic loop at the theory defaults"),
    ),
    parts=(
        Part("(E[(mu_n - mu_0)^2], E[sigma_n^2]) follows a linear recursion",
             ("mix-second-derivation", "mix-literal-moments", "mix-stationary")),
        Part("the recursion contracts for every n1 >= 1, n2 >= 2", ("mix-contraction",)),
        Part("to a closed-form fixed point", ("mix-second-derivation",)),
        Part("n2 = gamma M fresh points and n1 = (1 - gamma) M model points", ("mix-shares", "mix-stationary")),
    ),
)

RETRAIN = Claim(
    id="retrain-stability",
    title="Retraining on all real data plus lambda times as much synthetic data is stable",
    statement=("For the Gaussian mean refitted on the N real points plus lambda N points from the current model, "
               "mu_n - xbar contracts by lambda / (1 + lambda) per generation and E[(mu_n - xbar)^2] converges to "
               "lambda sigma^2 / (N (1 + 2 lambda))."),
    source=BERTRAND,
    proof=(
        Check("retrain-contraction", "symbolic", "rate lambda/(1+lambda) < 1 and the fixed point against the statement",
              _check_retrain, route="the derived rate and fixed point against the statement's closed forms"),
        Check("retrain-fixed-point-consistency", "consistency", "the fixed point against noise / (1 - rate^2)",
              _check_retrain_consistency),
        Check("retrain-unrolled", "symbolic", "the fixed point from the unrolled literal update", _check_retrain_unrolled,
              route="the literal update unrolled and summed by sympy to its limit"),
    ),
    evidence=(Check("retrain-stationary", "simulation", "simulated stationary error matches", _check_retrain_sim,
                    route="literal draw-and-refit (lambda N draws and the mean of all points) and the package's "
                          "sufficient-statistic retraining sampler"),),
    parts=(
        Part("mu_n - xbar contracts by lambda / (1 + lambda) per generation",
             ("retrain-contraction", "retrain-unrolled", "retrain-stationary")),
        Part("E[(mu_n - xbar)^2] converges to lambda sigma^2 / (N (1 + 2 lambda))",
             ("retrain-unrolled", "retrain-contraction", "retrain-stationary")),
    ),
)

ORDER = 30
CLAIMS = (FRESH_DATA, RETRAIN)

#: numbers ``collapse theory mixing --json`` prints at its defaults -> the check covering them
THEORY_OUTPUTS = {
    ("mixing", "n_real"): "gaussian-fresh-data/mix-shares",
    ("mixing", "n_model"): "gaussian-fresh-data/mix-shares",
    ("mixing", "gaussian_stationary_E_dmu2"): "gaussian-fresh-data/mix-second-derivation",
    ("mixing", "gaussian_stationary_E_sigma2"): "gaussian-fresh-data/mix-second-derivation",
    ("mixing", "retrain_rate"): "retrain-stability/retrain-unrolled",
    ("mixing", "retrain_stationary_E_dmu2"): "retrain-stability/retrain-unrolled",
}
