"""Theorem 3.1 in d dimensions: Wishart covariance, determinant and log-determinant.

Reads its formulas from :mod:`collapse.analytic.gaussian_nd` (and the 1-D forms of
:mod:`collapse.analytic.gaussian` for the directional marginals) when it runs.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import stats

from collapse.analytic import gaussian as G
from collapse.analytic import gaussian_nd as D
from collapse.analytic import numeric as N
from collapse.proofs import certify
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome
from collapse.proofs.gaussian import PAPER
from collapse.proofs.stats import bonferroni, mean_z_p, mean_z_p_known
from collapse.proofs.symbolic import induction, is_zero
from collapse.simulate.families import gaussian_nd as SND

M, n, r, d, j = G.M, G.n, G.r, D.d, D.j


def _check_bartlett(ctx: Context) -> Outcome:
    diag, off = D.bartlett_gram_mean()
    s = D.one_step_nd("unbiased")
    ok = is_zero(diag - (M - 1)) and off == 0 and is_zero(s["cov_factor"] - 1)
    return Outcome(f"E[(A A^T)_jj] = {diag}, E[(A A^T)_jl] = {off}; unbiased E[Sigma_(i+1) | Sigma_i] = "
                   f"{s['cov_factor']} Sigma_i", ok=ok)


def _check_induction(ctx: Context) -> Outcome:
    fails = []
    for est in G.ESTIMATORS:
        s, f = D.one_step_nd(est), D.closed_forms_nd(est)
        rec = {
            "E_Sigma_factor": (1, lambda x, n: s["cov_factor"] * x),
            "Cov_mu_factor": (0, lambda x, n: x + s["mean_step"] * f["E_Sigma_factor"]),
            "E_det_r_factor": (1, lambda x, n: s["det_r"] * x),
            "E_logdet": (0, lambda x, n: x + s["logdet_drift"]),
            "Var_logdet": (0, lambda x, n: x + s["logdet_var"]),
        }
        for key, (init, step) in rec.items():
            ok, detail = induction(f[key], n, sp.Integer(init), step)
            if not ok:
                fails.append(f"{est} {key}: {detail}")
    return Outcome("; ".join(fails) if fails else "5 closed forms x 2 estimators solve their recursions exactly",
                   ok=not fails)


def _check_det_shrinks(ctx: Context) -> Outcome:
    """Unbiased: E[det Sigma_(i+1)] / det Sigma_i = prod_(j<=d) (M - j)/(M - 1) < 1 for d >= 2."""
    step = D.one_step_nd("unbiased")["det_r"].subs(r, 1)
    m = sp.Symbol("m", integer=True, nonnegative=True)
    parts = []
    for dim in range(1, 7):
        val = sp.simplify(sp.expand_func(step.subs(d, dim).doit()))
        want = sp.prod([(M - jj) / (M - 1) for jj in range(1, dim + 1)])
        if not is_zero(val - want):
            return Outcome(f"d={dim}: step factor {val} != {want}", ok=False)
        below_one = (1 - val.subs(M, dim + 1 + m))  # M >= d + 1
        if dim >= 2 and not sp.factor(below_one).is_positive:
            return Outcome(f"d={dim}: cannot show factor < 1: 1 - factor = {sp.factor(below_one)}", ok=False)
        parts.append(f"d={dim}: {sp.factor(val)}")
    return Outcome("E[det Sigma_n] = det Sigma_0 * factor^n with " + "; ".join(parts)
                   + " (< 1 for d >= 2, so E[det Sigma_n] -> 0 although E[Sigma_n] = Sigma_0)", ok=True)


def _check_logdet_drift(ctx: Context) -> Outcome:
    parts = []
    for est in G.ESTIMATORS:
        drift = D.one_step_nd(est)["logdet_drift"]
        for dim in range(1, 9):
            cert = certify.negative_on_integers(drift.subs(d, dim).doit(), M, dim + 1, 200)
            if not cert.holds:
                return Outcome(f"{est}, d={dim}: {cert.detail}", ok=False)
        # every term is at most the j = 1 term, which is the 1-D drift (certified in Theorem 3.1)
        term = drift.function
        gap = sp.simplify(term - term.subs(j, 1))
        psis = [a for a in gap.atoms(sp.polygamma)]
        one_d = is_zero(term.subs(j, 1) - G.log_drift(est))
        x = sp.Symbol("x", positive=True)
        increasing = sp.diff(sp.polygamma(0, x), x).is_positive
        if not (one_d and increasing and len(psis) == 2 and gap.is_Add):
            return Outcome(f"{est}: term - first term = {gap}; j=1 term is the 1-D drift: {one_d}", ok=False)
        parts.append(f"{est}: Arb balls < 0 for d <= 8, M in [d+1, 200]; term_j - term_1 = {gap} <= 0 since "
                     "digamma' = trigamma > 0, and term_1 is the 1-D drift, < 0 for all M >= 2")
    return Outcome(" | ".join(parts), ok=True)


def _check_w2(ctx: Context) -> Outcome:
    f = D.closed_forms_nd("unbiased")
    lim = sp.limit(f["E_W2sq_lower"], n, sp.oo)
    return Outcome(f"E||mu_n - mu_0||^2 / tr Sigma_0 = {f['E_W2sq_lower']} -> {lim}", ok=lim is sp.oo)


def _nd(ctx, name, *, chains, M_, n_, dim, est="unbiased", sampler="fast"):
    cfg = SND.GaussianNDConfig(chains * ctx.scale, (M_,) * n_, dim=dim, estimator=est, sampler=sampler)
    return SND.simulate_gaussian_nd(cfg, ctx.rng(name), keep=[n_])


def _check_nd_moments(ctx: Context) -> Outcome:
    M_, n_, dim = 30, 6, 3
    ch = _nd(ctx, "nd-moments", chains=40000, M_=M_, n_=n_, dim=dim)
    v = D.evaluate_nd("unbiased", M_, n_, dim)
    S, mu, ld = ch.cov[:, -1], ch.mean[:, -1], ch.logdet[:, -1]
    tests = [mean_z_p(S[:, 0, 0], v["E_Sigma_factor"]), mean_z_p(S[:, 0, 1], 0.0),
             mean_z_p(mu[:, 1] ** 2, v["Cov_mu_factor"]), mean_z_p(np.exp(ld), v["E_det_factor"]),
             mean_z_p_known(ld, v["E_logdet"], v["Var_logdet"])]
    zs = ", ".join(f"{z:.2f}" for _, z in tests)
    return Outcome(f"{S.shape[0]} chains, d={dim}, M={M_}, n={n_}: E[Sigma_11] {S[:, 0, 0].mean():.4f} vs "
                   f"{v['E_Sigma_factor']:.4f}; E[det] {np.exp(ld).mean():.4f} vs {v['E_det_factor']:.4f}; E[log det] "
                   f"{ld.mean():.4f} vs {v['E_logdet']:.4f}; Var[mu_2] {np.mean(mu[:, 1] ** 2):.4f} vs "
                   f"{v['Cov_mu_factor']:.4f} (z = {zs})", p_value=bonferroni([p for p, _ in tests]))


def _check_nd_fast_literal(ctx: Context) -> Outcome:
    a = _nd(ctx, "nd-fast", chains=3000, M_=10, n_=5, dim=2)
    b = _nd(ctx, "nd-literal", chains=3000, M_=10, n_=5, dim=2, sampler="literal")
    ps = [stats.ks_2samp(a.logdet[:, -1], b.logdet[:, -1]).pvalue,
          stats.ks_2samp(a.mean[:, -1, 0], b.mean[:, -1, 0]).pvalue,
          stats.ks_2samp(a.cov[:, -1, 0, 1], b.cov[:, -1, 0, 1]).pvalue]
    return Outcome("two-sample KS (log det, mu_1, Sigma_12) at d=2, M=10, n=5: p = "
                   + ", ".join(f"{float(p):.3g}" for p in ps), p_value=bonferroni([float(p) for p in ps]))


def _check_directional(ctx: Context) -> Outcome:
    M_, n_, dim = 10, 20, 3
    ch = _nd(ctx, "nd-directional", chains=20000, M_=M_, n_=n_, dim=dim)
    v = np.ones(dim) / np.sqrt(dim)
    L = np.log(np.einsum("i,cij,j->c", v, ch.cov[:, -1], v))
    one = N.gaussian_values("unbiased", M_, n_, 1.0)
    p, z = mean_z_p_known(L, float(one["E_log_sigma2"]), float(one["Var_log_sigma2"]))
    return Outcome(f"log v'Sigma_n v for v = (1,1,1)/sqrt(3): mean {L.mean():.4f} vs the 1-D chain's "
                   f"{float(one['E_log_sigma2']):.4f} (z={z:.2f})", p_value=p)


THEOREM_3_1_ND = Claim(
    id="thm3.1-gaussian-collapse-d",
    title="Theorem 3.1 in d dimensions: Sigma_n -> 0 a.s., E[W2^2] -> infinity, E[det Sigma_n] -> 0",
    statement=("Refitting N(mu, Sigma) in d dimensions with the unbiased mean and covariance of M >= d + 1 "
               "samples: E[Sigma_n] = Sigma_0 and Cov[mu_n] = n Sigma_0 / M, yet Sigma_n -> 0 almost surely, "
               "E[log det Sigma_n] = n d(M) with d(M) < 0, E[det Sigma_n] -> 0 for d >= 2, and "
               "E[W2^2(N(mu_n, Sigma_n), D_0)] >= n tr(Sigma_0) / M -> infinity."),
    source=f"{PAPER}, Theorem 3.1 ('Multidimensional Gaussian')",
    proof=(
        Check("bartlett-mean", "symbolic", "E[A A^T] = (M-1) I for the Bartlett factor, so E[Sigma_(i+1) | Sigma_i] = Sigma_i",
              _check_bartlett),
        Check("nd-closed-forms-by-induction", "symbolic",
              "E[Sigma_n], Cov[mu_n], E[det^r], E and Var of log det solve their recursions", _check_induction),
        Check("det-shrinks", "symbolic", "E[det Sigma_(i+1)] = prod_j (M-j)/(M-1) det Sigma_i, a factor < 1 for d >= 2",
              _check_det_shrinks),
        Check("logdet-drift-negative", "certificate",
              "E[log det Sigma_(i+1) - log det Sigma_i] < 0 for every d >= 1 and M >= d + 1", _check_logdet_drift),
        Cited("directional-marginal",
              "for W ~ W_d(k, Sigma) and fixed v != 0, v'Wv / v'Sigma v ~ chi2_k; so v'Sigma_n v is the 1-D chain, "
              "which -> 0 a.s. (Theorem 3.1 in 1-D); with v = e_1..e_d, tr Sigma_n -> 0, hence Sigma_n -> 0 a.s.",
              "Muirhead, Aspects of Multivariate Statistical Theory (1982), Theorem 3.2.8"),
        Cited("gelbrich-bound-d", "W2^2(N(mu, Sigma), D_0) >= ||mu - m_0||^2 for any D_0 with mean m_0",
              "Gelbrich, Math. Nachr. 147 (1990) 185-203"),
        Check("nd-w2-diverges", "symbolic", "E||mu_n - mu_0||^2 = n tr(Sigma_0) / M -> infinity", _check_w2),
    ),
    evidence=(
        Check("nd-moments", "simulation", "simulated E[Sigma_n], Cov[mu_n], E[det], E[log det] match the closed forms",
              _check_nd_moments),
        Check("nd-fast-equals-literal", "simulation", "Bartlett sampler and literal refits have the same law",
              _check_nd_fast_literal),
        Check("nd-directional", "simulation", "a fixed direction's variance follows the 1-D chain", _check_directional),
    ),
)

ORDER = 20
CLAIMS = (THEOREM_3_1_ND,)
