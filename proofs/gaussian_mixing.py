"""Real data against collapse: fresh data each generation (fixed points) and retraining stability."""

from __future__ import annotations

import numpy as np
import sympy as sp

from collapse.analytic import gaussian as G
from collapse.analytic import gaussian_mixing as X
from collapse.proofs.core import Check, Claim, Context, Outcome
from collapse.proofs.gaussian import PAPER
from collapse.proofs.stats import bonferroni, mean_z_p
from collapse.proofs.symbolic import is_zero
from collapse.simulate.families.gaussian import GaussianFamily, GaussianParams
from collapse.simulate.loop import run_generations
from collapse.simulate.families.retrain import simulate_retrain_mean

BERTRAND = "Bertrand et al., 'On the stability of iterative retraining of generative models on their own data', ICLR 2024"


def _check_fixed_point(ctx: Context) -> Outcome:
    parts = []
    for est in G.ESTIMATORS:
        A, b = X.mix_recursion(est)
        x = X.mix_fixed_point(est)
        ok = all(is_zero(e) for e in (A * x + b - x))
        if not ok:
            return Outcome(f"{est}: A x* + b - x* = {list(sp.simplify(A * x + b - x))}", ok=False)
        parts.append(f"{est}: E[(mu-mu0)^2]* = {x[0]}, E[sigma^2]* = {x[1]}")
    return Outcome("x* = A x* + b exactly; " + "; ".join(parts), ok=True)


def _check_contraction(ctx: Context) -> Outcome:
    """Jury conditions: both eigenvalues of A inside the unit circle for n1 >= 1, n2 >= 2."""
    p, q = sp.symbols("p q", integer=True, nonnegative=True)
    parts = []
    for est in G.ESTIMATORS:
        A, _ = X.mix_recursion(est)
        A = A.subs({X.n1: 1 + p, X.n2: 2 + q})
        tr, det = A.trace(), A.det()
        for name, e in (("1 - tr + det", 1 - tr + det), ("1 + tr + det", 1 + tr + det), ("1 - det", 1 - det)):
            num, den = sp.fraction(sp.together(sp.factor(sp.simplify(e))))
            if not (sp.expand(num).is_positive and sp.expand(den).is_positive):
                return Outcome(f"{est}: cannot show {name} > 0: {sp.factor(e)}", ok=False)
        parts.append(est)
    return Outcome("for n1 = 1 + p, n2 = 2 + q (p, q >= 0) the Jury conditions 1 - tr + det, 1 + tr + det, "
                   "1 - det are ratios of polynomials with positive coefficients (" + ", ".join(parts)
                   + "): the recursion contracts to its fixed point from any start", ok=True)


def _check_mix_sim(ctx: Context) -> Outcome:
    M_, gamma, gens = 100, 0.1, 150
    n_real = int(round(gamma * M_))
    C = 4000 * ctx.scale
    fam = GaussianFamily("unbiased")
    p0 = GaussianParams(np.zeros(C), np.ones(C))
    last = run_generations(fam, p0, (M_,) * gens, ctx.rng("mix-stationary"), regime=f"mix:{1 - gamma},0,{gamma}")
    want = X.mix_moments("unbiased", M_ - n_real, n_real, gens)[-1]
    x = X.mix_fixed_point("unbiased").subs({X.n1: M_ - n_real, X.n2: n_real, G.sigma0: 1})
    p1, z1 = mean_z_p(last.mean**2, want[0])
    p2, z2 = mean_z_p(last.var, want[1])
    return Outcome(f"literal loop, {C} chains, M={M_}, gamma={gamma}, n={gens}: E[(mu-mu0)^2] {np.mean(last.mean ** 2):.5f} "
                   f"vs {want[0]:.5f} (fixed point {float(x[0]):.5f}, z={z1:.2f}); E[sigma^2] {last.var.mean():.5f} vs "
                   f"{want[1]:.5f} (fixed point {float(x[1]):.5f}, z={z2:.2f})", p_value=bonferroni([p1, p2]))


def _check_retrain(ctx: Context) -> Outcome:
    rate, noise = X.retrain_recursion()
    fp = X.retrain_fixed_point()
    contracts = is_zero(rate - X.lam / (1 + X.lam)) and (1 - rate).is_positive
    consistent = is_zero(fp * (1 - rate**2) - noise)
    return Outcome(f"mu' - xbar = rate (mu - xbar) + noise with rate = {rate} < 1 for every lambda > 0; stationary "
                   f"E[(mu - xbar)^2] = {fp}", ok=bool(contracts and consistent))


def _check_retrain_sim(ctx: Context) -> Outcome:
    N, gens = 50, 60
    ps, parts = [], []
    for lam_ in (0.5, 2.0):
        x = simulate_retrain_mean(20000 * ctx.scale, N, lam_, gens, ctx.rng(f"retrain-{lam_}"))[:, -1]
        want = float(X.retrain_fixed_point().subs({X.lam: lam_, X.Nreal: N, X.sigma: 1}))
        p, z = mean_z_p(x**2, want)
        ps.append(p)
        parts.append(f"lambda={lam_}: {np.mean(x ** 2):.5f} vs {want:.5f} (z={z:.2f})")
    return Outcome(f"E[(mu_n - xbar)^2] after {gens} generations, N={N}: " + "; ".join(parts), p_value=bonferroni(ps))


FRESH_DATA = Claim(
    id="gaussian-fresh-data",
    title="A fraction gamma of fresh real data each generation: a stationary error instead of collapse",
    statement=("With n2 = gamma M fresh points from the original distribution and n1 = (1 - gamma) M model points "
               "per generation (the paper's mixing with beta = 0), (E[(mu_n - mu_0)^2], E[sigma_n^2]) follows a linear "
               "recursion that contracts to a closed-form fixed point for every n1 >= 1, n2 >= 2."),
    source=f"{PAPER}, 'Theoretical intuition' (p_(i+1) = alpha p_theta + beta p_i + gamma p_0)",
    proof=(
        Check("mix-fixed-point", "symbolic", "the closed-form fixed point solves x = A x + b", _check_fixed_point),
        Check("mix-contraction", "symbolic", "the recursion matrix has spectral radius < 1", _check_contraction),
    ),
    evidence=(
        Check("mix-stationary", "simulation", "the literal mixing loop matches the exact moment recursion",
              _check_mix_sim),
    ),
)

RETRAIN = Claim(
    id="retrain-stability",
    title="Retraining on all real data plus lambda times as much synthetic data is stable",
    statement=("For the Gaussian mean refitted on the N real points plus lambda N points from the current model, "
               "mu_n - xbar contracts by lambda / (1 + lambda) per generation and E[(mu_n - xbar)^2] converges to "
               "lambda sigma^2 / (N (1 + 2 lambda))."),
    source=BERTRAND,
    proof=(Check("retrain-contraction", "symbolic", "rate lambda/(1+lambda) < 1 and the fixed point", _check_retrain),),
    evidence=(Check("retrain-stationary", "simulation", "simulated stationary error matches", _check_retrain_sim),),
)

ORDER = 30
CLAIMS = (FRESH_DATA, RETRAIN)
