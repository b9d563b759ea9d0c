"""Data regimes against collapse: fresh real data (discrete), accumulation (Gaussian mean), the KDE chain.

Formulas from :mod:`collapse.analytic.mixing` (discrete mixing, KDE) and
:mod:`collapse.analytic.gaussian` (accumulate step) at call time.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from collapse.analytic import gaussian as G
from collapse.analytic import mixing as X
from collapse.analytic import numeric as N
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome
from collapse.proofs.gaussian import PAPER
from collapse.proofs.stats import bonferroni, mean_z_p
from collapse.proofs.symbolic import induction, is_zero
from collapse.simulate.families.discrete import DiscreteConfig, simulate_discrete
from collapse.simulate.families.gaussian import GaussianConfig, simulate_gaussian
from collapse.simulate.families.kde import KDEFamily
from collapse.simulate.loop import run_generations

ORDER = 35
MIXING = f"{PAPER}, 'Theoretical intuition' (p_(i+1) = alpha p_theta + beta p_i + gamma p_0)"


# ---------------------------------------------------------------- discrete chain with fresh data
def _check_discrete_fixed_point(ctx: Context) -> Outcome:
    a, b = X.discrete_mix_recursion()
    hs = X.discrete_mix_fixed_point()
    solves = is_zero(a * hs + b * X.H0 - hs)
    ok_t, d_t = induction(X.discrete_mix_heterozygosity(), X.g, (1 - 1 / X.M) * X.H0, lambda f, n: a * f + b * X.H0)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    # with fresh data only (n_prev = 0) and n_real = 1 + k real points of M = n_real + 1 + j, h* > 0
    j = sp.Symbol("j", integer=True, nonnegative=True)
    h_fresh = sp.factor(hs.subs(X.n_prev, 0).subs({X.n_real: 1 + k}).subs(X.M, 2 + k + j) / X.H0)
    num, den = sp.fraction(sp.together(h_fresh))
    positive = sp.expand(num).is_positive and sp.expand(den).is_positive
    h_none = sp.simplify(hs.subs({X.n_prev: 0, X.n_real: 0}))
    return Outcome(f"h* = {hs} solves h = a h + b H0 ({solves}); E[h_g] solves its recursion ({d_t}); with fresh "
                   f"data h*/H0 = {h_fresh} > 0 ({positive}); without, h* = {h_none}",
                   ok=bool(solves and ok_t and positive and h_none == 0))


def _check_discrete_mix_sim(ctx: Context) -> Outcome:
    p0 = (0.4, 0.3, 0.2, 0.05, 0.05)
    m, gamma, gens = 50, 0.1, 120
    cfg = DiscreteConfig(4000 * ctx.scale, p0, (m,) * gens, regime=f"mix:{1 - gamma},0,{gamma}", sampler="literal")
    ch = simulate_discrete(cfg, ctx.rng("discrete-mix"), keep=[gens])
    P = ch.freqs[:, -1, :]
    H0 = 1 - sum(q * q for q in p0)
    sub = {X.M: m, X.n_prev: 0, X.n_real: int(round(gamma * m)), X.H0: H0}
    want_h = float(X.discrete_mix_heterozygosity().subs(sub).subs(X.g, gens - 1))
    dist = np.sum((P - np.asarray(p0)) ** 2, axis=1)
    p1, z1 = mean_z_p(1 - np.sum(P**2, axis=1), want_h)
    p2, z2 = mean_z_p(dist, H0 - want_h)
    hstar = float(X.discrete_mix_fixed_point().subs(sub))
    return Outcome(f"M={m}, gamma={gamma}, K={len(p0)}, n={gens}: E[h] {np.mean(1 - np.sum(P ** 2, axis=1)):.4f} vs "
                   f"{want_h:.4f} (z={z1:.2f}); E||p - p0||^2 {dist.mean():.4f} vs {H0 - want_h:.4f} (z={z2:.2f}); "
                   f"fixed point h* = {hstar:.4f}", p_value=bonferroni([p1, p2]))


# ---------------------------------------------------------------- accumulate vs replace (Gaussian mean)
def _check_accumulate_steps(ctx: Context) -> Outcome:
    st = G.accumulate_step("unbiased")
    i = sp.Symbol("i", integer=True, nonnegative=True)
    step_i = sp.simplify(st["mean_step"].subs(st["N"], i * G.M))
    per_gen = is_zero(step_i - 1 / (G.M * (i + 1) ** 2))
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


def _check_accumulate_sim(ctx: Context) -> Outcome:
    m, n = 20, 300
    parts, ps = [], []
    acc = simulate_gaussian(GaussianConfig(20000 * ctx.scale, (m,) * n, regime="accumulate"), ctx.rng("acc"), keep=[n])
    rep = simulate_gaussian(GaussianConfig(20000 * ctx.scale, (m,) * (n // 10), regime="replace"), ctx.rng("rep"),
                            keep=[n // 10])
    want_acc = float(N.gaussian_accumulate_values("unbiased", [m] * n)["E_dmu2"][-1])
    want_rep = float(N.gaussian_values("unbiased", m, n // 10)["Var_mu"])
    for label, x, want in (("accumulate", acc.mu[:, -1], want_acc), (f"replace (n={n // 10})", rep.mu[:, -1], want_rep)):
        p, z = mean_z_p(x**2, want)
        ps.append(p)
        parts.append(f"{label}: {np.mean(x ** 2):.5f} vs {want:.5f} (z={z:.2f})")
    bound = np.pi**2 / 6 / m
    return Outcome(f"M={m}: E[(mu_n - mu_0)^2]: " + "; ".join(parts) + f"; accumulate bound pi^2/(6M) = {bound:.5f}",
                   p_value=bonferroni(ps) if want_acc <= bound else 0.0)


# ---------------------------------------------------------------- KDE
def _check_kde_forms(ctx: Context) -> Outcome:
    traj, fixed = X.kde_variance()
    sigma0 = [s for s in traj.free_symbols if s.name == "sigma0"][0]
    c = (X.M - 1) / X.M
    ok_t, d_t = induction(traj, X.g, c * sigma0**2, lambda f, n: c * (f + X.h**2))
    ok_f = is_zero(fixed - c * (fixed + X.h**2)) and is_zero(X.kde_variance_fixed_point() - (X.M - 1) * X.h**2)
    # 0 < (M-1)/M < 1, so the affine recursion converges geometrically to its fixed point
    return Outcome(f"E[s_g^2] = {traj} ({d_t}); fixed point {fixed} solves s = ((M-1)/M)(s + h^2) ({ok_f})",
                   ok=ok_t and ok_f)


def _check_kde_sim(ctx: Context) -> Outcome:
    m, h, gens = 40, 0.3, 60
    C = 4000 * ctx.scale
    rng = ctx.rng("kde")
    fam = KDEFamily(bandwidth=h)
    x0 = rng.standard_normal((C, m, 1))  # D_0: M points of p_0 = N(0, 1)
    seen = {}

    def on_data(g, data):
        if g + 1 in (5, gens):
            seen[g + 1] = data[..., 0].var(axis=1)  # divide-by-M variance of D_(g+1)

    run_generations(fam, fam.fit(x0), (m,) * gens, rng, on_data=on_data)
    traj = X.kde_variance()[0]
    sigma0 = [s for s in traj.free_symbols if s.name == "sigma0"][0]
    ps, parts = [], []
    for g, s2 in sorted(seen.items()):
        want = float(traj.subs({X.M: m, X.h: h, sigma0: 1, X.g: g}))
        p, z = mean_z_p(s2, want)
        ps.append(p)
        parts.append(f"g={g}: E[s^2] {s2.mean():.4f} vs {want:.4f} (z={z:.2f})")
    return Outcome(f"KDE chain, M={m}, h={h}: " + "; ".join(parts) + f"; fixed point (M-1)h^2 = {(m - 1) * h * h:.3f}",
                   p_value=bonferroni(ps))


DISCRETE_FRESH = Claim(
    id="discrete-fresh-data",
    title="Fresh real data keeps the discrete chain away from a delta: stationary E||p - p_0||^2 = H_0 - h*",
    statement=("Mixing a fraction gamma of fresh real data into each generation's M points (alpha model draws, beta "
               "previous points) gives a linear recursion for the expected heterozygosity h of the training set, with "
               "fixed point h* > 0 whenever real data are mixed in (h* = 0 without); E||p_g - p_0||^2 = H_0 - E[h_g] "
               "converges to H_0 - h*."),
    source=MIXING,
    proof=(
        Check("discrete-mix-fixed-point", "symbolic", "the fixed point, the transient by induction, h* > 0 iff gamma > 0",
              _check_discrete_fixed_point),
        Cited("distance-identity", "sum_k E[(p_k - p0_k)^2] = sum_k E[p_k^2] - sum_k p0_k^2 = H0 - E[h] when E[p] = p0",
              "expanding the square"),
        Cited("mean-kept", "E[p_(g+1)] = alpha E[p_g] + beta E[p_g] + gamma p_0 = p_0 by induction (model draws and "
              "subsets are unbiased for the current frequencies)", "linearity of expectation"),
    ),
    evidence=(Check("discrete-mix", "simulation", "literal mixing loop against the exact recursion",
                    _check_discrete_mix_sim),),
)

ACCUMULATE = Claim(
    id="gaussian-accumulate-vs-replace",
    title="Accumulating data bounds the Gaussian mean's error; replacing data lets it grow linearly",
    statement=("Replace: E[(mu_n - mu_0)^2] = n sigma_0^2 / M. Accumulate (refit on all data so far, unbiased): "
               "E[(mu_n - mu_0)^2] = sum_(i<n) E[sigma_i^2] / (M (i+1)^2) <= (pi^2/6) sigma_0^2 / M for every n."),
    source=(f"{PAPER}, Supplementary single-Gaussian experiment (accumulate variant); Gerstgrasser et al., 'Is model "
            "collapse inevitable?' (2024)"),
    proof=(Check("accumulate-steps", "symbolic", "per-generation step 1/(M(i+1)^2), sum pi^2/6, E[sigma_i^2] <= sigma0^2",
                 _check_accumulate_steps),),
    evidence=(Check("accumulate-vs-replace", "simulation", "fast sampler, accumulate at n=300 and replace at n=30",
                    _check_accumulate_sim),),
)

KDE = Claim(
    id="kde-variance",
    title="Kernel density estimation refitted on its own samples: the spread settles at (M - 1) h^2",
    statement=("For a Gaussian-kernel KDE with bandwidth h refitted each generation on M of its own samples, the "
               "training set's variance s_g^2 obeys E[s_(g+1)^2] = ((M-1)/M)(E[s_g^2] + h^2): the kernel's noise "
               "accumulates while resampling shrinks the spread, and E[s_g^2] -> (M - 1) h^2, whatever p_0 was."),
    source=f"{PAPER}, Supplementary Material: density estimation in Hilbert spaces (noise accumulation)",
    proof=(Check("kde-forms", "symbolic", "the trajectory solves its recursion; the fixed point", _check_kde_forms),
           Cited("total-variance", "a KDE draw is a uniformly chosen centre plus h Z: its variance is s^2 + h^2",
                 "law of total variance")),
    evidence=(Check("kde", "simulation", "the literal KDE chain's sample variance at g = 5 and 60", _check_kde_sim),),
)

CLAIMS = (DISCRETE_FRESH, ACCUMULATE, KDE)
