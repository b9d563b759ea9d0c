"""Theorem 3.1 (Gaussian model collapse) and the sample-size-schedule condition.

Every check reads its formulas from :mod:`collapse.analytic.gaussian` when it runs, so a
change to a formula there changes the verdict here (tests/proofs/test_mutations.py
alters each formula and shows that a check fails).
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy import stats

from collapse.analytic import gaussian as G
from collapse.analytic import numeric as N
from collapse.proofs import certify
from collapse.proofs.core import Check, Cited, Claim, Context, Outcome
from collapse.proofs.stats import bonferroni, ks_p, mean_z_p, mean_z_p_known
from collapse.proofs.symbolic import induction, is_zero
from collapse.simulate.families.gaussian import GaussianConfig, simulate_gaussian

PAPER = "Shumailov et al., Nature 631, 755-759 (2024)"


# --------------------------------------------------------------------- symbolic
def _recursions(estimator: str) -> dict[str, tuple[sp.Expr, object]]:
    """(initial value, step) of each closed form's moment recursion (see analytic docs)."""
    s = G.one_step(estimator)
    forms = G.closed_forms(estimator)
    e2 = forms["E_sigma2"]
    return {
        "E_sigma2r": (G.sigma0 ** (2 * G.r), lambda f, n: s["rho_r"] * f),
        "E_sigma": (G.sigma0, lambda f, n: s["rho_half"] * f),
        "E_sigma2": (G.sigma0**2, lambda f, n: s["rho_1"] * f),
        "Var_mu": (sp.Integer(0), lambda f, n: f + s["mean_step"] * e2),
        "E_log_sigma2": (sp.log(G.sigma0**2), lambda f, n: f + s["log_drift"]),
        "Var_log_sigma2": (sp.Integer(0), lambda f, n: f + s["log_var"]),
    }


def _check_induction(estimator: str):
    def run(ctx: Context) -> Outcome:
        forms = G.closed_forms(estimator)
        failures = []
        for key, (initial, step) in _recursions(estimator).items():
            ok, detail = induction(forms[key], G.n, initial, step)
            if not ok:
                failures.append(f"{key}: {detail}")
        if failures:
            return Outcome("; ".join(failures), ok=False)
        return Outcome(f"{len(_recursions(estimator))} closed forms ({estimator}) satisfy base case and "
                       "induction step of their moment recursions exactly", ok=True)

    return run


def _check_one_step(ctx: Context) -> Outcome:
    s = G.one_step("unbiased")
    drift_zero = s["mean_drift"] == 0
    unbiased = is_zero(s["rho_1"] - 1)
    step_ok = is_zero(s["mean_step"] * G.M - 1)
    detail = (f"E[mu_(i+1) - mu_i | F_i] = {s['mean_drift']}, E[sigma_(i+1)^2 | F_i] / sigma_i^2 = "
              f"{sp.simplify(s['rho_1'])}, E[(mu_(i+1) - mu_i)^2 | F_i] / sigma_i^2 = {s['mean_step']}")
    return Outcome(detail, ok=bool(drift_zero and unbiased and step_ok))


def _check_w2_formula(ctx: Context) -> Outcome:
    """The quantile-coupling derivation against the Gaussian (Dowson-Landau / Olkin-Pukelsheim) formula."""
    w = G.w2sq_gaussian_1d()
    m1, m2, s1, s2 = sorted(w.free_symbols, key=str)
    # ||m1 - m2||^2 + tr(S1 + S2 - 2 (S2^1/2 S1 S2^1/2)^1/2), with S = s^2 in one dimension
    bures = (m1 - m2) ** 2 + s1**2 + s2**2 - 2 * sp.sqrt(s2 * s1**2 * s2)
    ok = is_zero(w - bures)
    return Outcome(f"quantile coupling gives W2^2 = {w}; Gaussian trace formula agrees: {ok}", ok=ok)


def _check_w2_diverges(ctx: Context) -> Outcome:
    f = G.closed_forms("unbiased")
    remainder = f["E_W2sq"] - f["Var_mu"]
    square = f["E_sigma2"] - 2 * G.sigma0 * f["E_sigma"] + G.sigma0**2  # E[(sigma_n - sigma_0)^2] >= 0
    decomposes = is_zero(remainder - square)
    lim = sp.limit(f["Var_mu"], G.n, sp.oo)
    ok = decomposes and lim is sp.oo
    return Outcome(f"E[W2^2] = Var[mu_n] + E[(sigma_n - sigma_0)^2] ({decomposes}); Var[mu_n] = {f['Var_mu']} "
                   f"-> {lim} as n -> oo", ok=ok)


# ------------------------------------------------------------------ certificate
def digamma_upper_bound(x: sp.Expr) -> sp.Expr:
    """psi(x) <= log x - 1/(2x) - 1/(12 x^2) + 1/(120 x^4) for real x > 0 (DLMF 5.11.2, 5.11(ii))."""
    return sp.log(x) - 1 / (2 * x) - 1 / (12 * x**2) + 1 / (120 * x**4)


def _check_drift_negative(ctx: Context) -> Outcome:
    """E[log(c(M) chi2_{M-1})] < 0 for every integer M >= 2, both estimators."""
    t = sp.Symbol("t", positive=True)  # t = 1 / (M - 1) in (0, 1]
    P = sp.Symbol("P", real=True)  # stands for digamma while monotonicity is checked
    details = []
    for est in G.ESTIMATORS:
        d = G.log_drift(est)
        finite = certify.negative_on_integers(d, G.M, 2, 200)
        if not finite.holds:
            return Outcome(f"{est}: {finite.detail}", ok=False)
        digammas = [e for e in d.atoms(sp.polygamma) if e.args[0] == 0]
        if len(digammas) != 1:
            return Outcome(f"{est}: drift {d} must contain exactly one digamma term", ok=False)
        psi = digammas[0]
        monotone = sp.diff(d.subs(psi, P), P)
        if not (monotone.is_positive or monotone == 1):
            return Outcome(f"{est}: drift not increasing in digamma (d/dpsi = {monotone})", ok=False)
        upper = d.subs(psi, digamma_upper_bound(psi.args[1]))
        R = sp.simplify(sp.expand_log(upper.subs(G.M, 1 + 1 / t), force=True))
        # R(0) = 0 and R'(t) < 0 on [0, 1] give R(t) < 0 on (0, 1], i.e. every M >= 2
        R0 = sp.limit(R, t, 0, "+")
        if R0 != 0:
            return Outcome(f"{est}: tail bound does not vanish at M = oo (R(0) = {R0})", ok=False)
        slope = certify.negative_on_interval(sp.diff(R, t), t, 0, 1)
        if not slope.holds:
            return Outcome(f"{est}: {slope.detail}", ok=False)
        details.append(f"{est}: drift {d}; exact balls at M = 2..200 < 0; for all M >= 2, drift <= R(1/(M-1)) with "
                       f"R(t) = {R}, R(0) = 0 and R'(t) {slope.detail}")
    return Outcome(" | ".join(details), ok=True)


# ------------------------------------------------------------------- simulation
def _sim(ctx: Context, name: str, *, chains: int, M: int, n: int, estimator="unbiased",
         sampler="fast", keep=None):
    cfg = GaussianConfig(n_chains=chains * ctx.scale, schedule=(M,) * n, estimator=estimator, sampler=sampler)
    return simulate_gaussian(cfg, ctx.rng(name), keep=keep)


def _values(est: str, M: int, n: int, r=None) -> dict[str, float]:
    return {k: float(v) for k, v in N.gaussian_values(est, M, n, 1.0, r=r, dps=30).items()}


def _check_pivots(ctx: Context) -> Outcome:
    """Literal sampler: one-step pivots have their exact laws."""
    M, n = 20, 5
    ch = _sim(ctx, "pivots", chains=2000, M=M, n=n, sampler="literal")
    c = float(G.variance_scale("unbiased").subs(G.M, M))
    chi = (ch.sigma2[:, 1:] / (c * ch.sigma2[:, :-1])).ravel()  # ~ chi2_{M-1}
    z = (np.sqrt(M) * np.diff(ch.mu, axis=1) / np.sqrt(ch.sigma2[:, :-1])).ravel()  # ~ N(0, 1)
    p1, d1 = ks_p(chi, "chi2", M - 1)
    p2, d2 = ks_p(z, "norm")
    return Outcome(f"{chi.size} steps, M={M}: sigma'^2/(c sigma^2) vs chi2_{M-1}: KS D={d1:.4f} p={p1:.3g}; "
                   f"sqrt(M)(mu'-mu)/sigma vs N(0,1): D={d2:.4f} p={p2:.3g}", p_value=bonferroni([p1, p2]))


def _check_log_moments(ctx: Context) -> Outcome:
    M, n = 10, 50
    ch = _sim(ctx, "log-moments", chains=20000, M=M, n=n, keep=[n])
    L = np.log(ch.sigma2[:, -1])
    v = _values("unbiased", M, n)
    p1, z1 = mean_z_p_known(L, v["E_log_sigma2"], v["Var_log_sigma2"])
    # sample variance of a sum of n iid log-chi2 terms: SE from the sample's fourth moment
    dev2 = (L - L.mean()) ** 2
    p2, z2 = mean_z_p(dev2 * L.size / (L.size - 1), v["Var_log_sigma2"])
    return Outcome(f"{L.size} chains, M={M}, n={n}: mean log sigma^2 {L.mean():.4f} vs {v['E_log_sigma2']:.4f} "
                   f"(z={z1:.2f}); var {L.var(ddof=1):.4f} vs {v['Var_log_sigma2']:.4f} (z={z2:.2f})",
                   p_value=bonferroni([p1, p2]))


def _check_moments(ctx: Context) -> Outcome:
    # n/M = 0.2 keeps Var(sigma_n^2)/E^2 = O(e^(2n/M)) small, so sample SEs are reliable
    M, n = 50, 10
    ch = _sim(ctx, "moments", chains=40000, M=M, n=n, keep=[n])
    mu, s2 = ch.mu[:, -1], ch.sigma2[:, -1]
    s = np.sqrt(s2)
    v = _values("unbiased", M, n, r=1.5)
    tests = {
        "E_sigma2": s2, "E_sigma": s, "E_sigma2r": s2**1.5, "Var_mu": mu**2,
        "E_W2sq": mu**2 + (s - 1.0) ** 2,
    }
    ps, parts = [], []
    for key, sample in tests.items():
        p, z = mean_z_p(sample, v[key])
        ps.append(p)
        parts.append(f"{key} {sample.mean():.5f} vs {v[key]:.5f} (z={z:.2f})")
    return Outcome(f"{mu.size} chains, M={M}, n={n}, r=3/2: " + "; ".join(parts), p_value=bonferroni(ps))


def _check_fast_vs_literal(ctx: Context) -> Outcome:
    M, n = 20, 10
    a = _sim(ctx, "fvl-fast", chains=3000, M=M, n=n, keep=[n])
    b = _sim(ctx, "fvl-literal", chains=3000, M=M, n=n, sampler="literal", keep=[n])
    p1 = stats.ks_2samp(a.mu[:, -1], b.mu[:, -1]).pvalue
    p2 = stats.ks_2samp(np.log(a.sigma2[:, -1]), np.log(b.sigma2[:, -1])).pvalue
    return Outcome(f"two-sample KS at n={n}, M={M}: mu_n p={p1:.3g}, log sigma_n^2 p={p2:.3g}",
                   p_value=bonferroni([float(p1), float(p2)]))


# ------------------------------------------------------------ schedule claim
def _check_schedule_unbiased(ctx: Context) -> Outcome:
    s = G.schedule_series("unbiased")
    Mn = sp.IndexedBase("M", positive=True, integer=True)[G.n]
    ok1, d1 = induction(s["Var_mu"], G.n, sp.Integer(0), lambda f, n: f + G.sigma0**2 / Mn)
    ok2 = is_zero(s["E_sigma2"] - G.sigma0**2)
    return Outcome(f"unbiased, any schedule: Var[mu_n] = {s['Var_mu']} ({d1}); E[sigma_n^2] = {s['E_sigma2']}; "
                   "so E[W2^2] = sigma0^2 sum_(i<n) 1/M_i + E[(sigma_n - sigma0)^2], the last term in [0, 2 sigma0^2]",
                   ok=ok1 and ok2)


def _check_schedule_mle(ctx: Context) -> Outcome:
    s1 = G.one_step("mle")
    V, E2 = sp.symbols("V E2", positive=True)
    # one generation maps (Var[mu], E[sigma^2]) = (V, E2) to (V + E2/M, rho_1 E2)
    invariant_step = (V + s1["mean_step"] * E2) + s1["rho_1"] * E2 - (V + E2)
    ok = is_zero(invariant_step)
    return Outcome(f"MLE, any schedule: Var[mu_(n+1)] + E[sigma_(n+1)^2] - (Var[mu_n] + E[sigma_n^2]) = "
                   f"{sp.simplify(invariant_step)}, and at n = 0 it is sigma0^2; hence E[W2^2] = "
                   "2 sigma0^2 - 2 sigma0 E[sigma_n] <= 2 sigma0^2", ok=ok)


def _check_series(ctx: Context) -> Outcome:
    cases = {"M*(i+1)**2": (G.M * (G.i + 1) ** 2, True), "M*(i+1)": (G.M * (G.i + 1), False),
             "M": (G.M + 0 * G.i, False), "M*2**i": (G.M * 2**G.i, True)}
    got = {k: G.w2_bounded("unbiased", e.subs(G.M, 10)) for k, (e, _) in cases.items()}
    ok = all(got[k] == want for k, (_, want) in cases.items()) and G.w2_bounded("mle", 10 + 0 * G.i)
    return Outcome("unbiased E[W2^2] bounded for schedules " + ", ".join(f"{k}: {v}" for k, v in got.items())
                   + "; MLE always bounded", ok=ok)


def _check_schedule_sim(ctx: Context) -> Outcome:
    n = 30
    # constant M = n keeps n/M = 1, where sample standard errors of sigma_n^2 are still reliable
    schedules = {"10(i+1)^2": [10 * (j + 1) ** 2 for j in range(n)], f"{n}": [n] * n}
    ps, parts = [], []
    for est in G.ESTIMATORS:
        for label, sched in schedules.items():
            cfg = GaussianConfig(n_chains=20000 * ctx.scale, schedule=tuple(sched), estimator=est)
            ch = simulate_gaussian(cfg, ctx.rng(f"schedule-{est}-{label}"), keep=[n])
            w2 = ch.mu[:, -1] ** 2 + (np.sqrt(ch.sigma2[:, -1]) - 1.0) ** 2
            want = float(N.gaussian_schedule_values(est, sched, 1.0)["E_W2sq"])
            p, z = mean_z_p(w2, want)
            ps.append(p)
            parts.append(f"{est} M_i={label}: {w2.mean():.4f} vs {want:.4f} (z={z:.2f})")
    return Outcome(f"E[W2^2] at n={n}: " + "; ".join(parts), p_value=bonferroni(ps))


def digamma_lower_bound(x: sp.Expr) -> sp.Expr:
    """psi(x) >= log x - 1/(2x) - 1/(12 x^2) for real x > 0 (DLMF 5.11.2 with the 5.11(ii) remainder sign)."""
    return sp.log(x) - 1 / (2 * x) - 1 / (12 * x**2)


def trigamma_bounds(x: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """1/x + 1/(2x^2) <= psi_1(x) <= 1/x + 1/(2x^2) + 1/(6x^3) for real x > 0 (DLMF 5.15.8, 5.15(ii))."""
    low = 1 / x + 1 / (2 * x**2)
    return low, low + 1 / (6 * x**3)


def _squeeze_limit(expr: sp.Expr, fn, bounds) -> tuple[sp.Expr, sp.Expr]:
    """Limits of M * expr at M -> oo with the one ``fn`` term replaced by its lower and upper bound."""
    [term] = [a for a in expr.atoms(sp.polygamma) if a.args[0] == fn]
    lo, hi = bounds(term.args[1])
    return tuple(sp.limit(sp.expand_log(G.M * expr.subs(term, b), force=True), G.M, sp.oo) for b in (lo, hi))


def _check_collapse_schedule(ctx: Context) -> Outcome:
    """M d(M) -> -1 (unbiased) or -2 (MLE) and M Var-step -> 2: both series converge iff sum 1/M_i does."""
    parts = []
    for est in G.ESTIMATORS:
        s = G.one_step(est)
        d_lo, d_hi = _squeeze_limit(s["log_drift"], 0, lambda x: (digamma_lower_bound(x), digamma_upper_bound(x)))
        v_lo, v_hi = _squeeze_limit(s["log_var"], 1, trigamma_bounds)
        if not (d_lo == d_hi and d_lo.is_finite and d_lo.is_negative and v_lo == v_hi and v_lo.is_finite
                and v_lo.is_positive):
            return Outcome(f"{est}: M*drift -> [{d_lo}, {d_hi}], M*var -> [{v_lo}, {v_hi}] "
                           "(want one finite negative and one finite positive limit)", ok=False)
        parts.append(f"{est}: M*drift(M) -> {d_lo}, M*Var-step(M) -> {v_lo} (squeezed between digamma/trigamma bounds)")
    return Outcome("; ".join(parts) + "; so sum |drift(M_i)| and sum Var-step(M_i) converge iff sum 1/M_i does", ok=True)


def _check_collapse_schedule_sim(ctx: Context) -> Outcome:
    ps, parts = [], []
    for label, sched in {"10(i+1)^2": [10 * (k + 1) ** 2 for k in range(200)], "10(i+1)": [10 * (k + 1) for k in range(200)]}.items():
        cfg = GaussianConfig(n_chains=20000 * ctx.scale, schedule=tuple(sched))
        ch = simulate_gaussian(cfg, ctx.rng(f"collapse-schedule-{label}"), keep=[50, 200])
        for col, g in enumerate((50, 200)):
            v = N.gaussian_schedule_values("unbiased", sched[:g], 1.0)
            p, z = mean_z_p_known(np.log(ch.sigma2[:, col]), float(v["E_log_sigma2"]), float(v["Var_log_sigma2"]))
            ps.append(p)
            parts.append(f"M_i={label}, n={g}: E[log sigma^2] {np.log(ch.sigma2[:, col]).mean():.4f} vs "
                         f"{float(v['E_log_sigma2']):.4f} (z={z:.2f})")
    return Outcome("; ".join(parts), p_value=bonferroni(ps))


def _limits_in_n(est: str) -> tuple[dict[str, sp.Expr], list[str]]:
    """n -> oo limits of the closed forms.

    The recursions are solved again with symbolic multipliers R1 (of E[sigma^2]) and
    Rh (of E[sigma]); the closed forms must equal those solutions at the
    estimator's values (checked exactly), and the limits are taken with each
    multiplier below 1 written exp(-a), a > 0 (Jensen), then a put back.
    """
    a, b = sp.symbols("a b", positive=True)
    R1, Rh = sp.symbols("R1 Rh", positive=True)
    s, f = G.one_step(est), G.closed_forms(est)
    unit = is_zero(s["rho_1"] - 1)
    e2 = G._solve_linear(0, G.sigma0**2, multiplier=1 if unit else R1)
    templ = {"E_sigma2": e2, "E_sigma": G._solve_linear(0, G.sigma0, multiplier=Rh),
             "Var_mu": G._solve_linear(s["mean_step"] * e2, sp.Integer(0))}
    templ["E_W2sq"] = G.expected_w2sq(templ)
    values = {R1: s["rho_1"], Rh: s["rho_half"]}
    mismatched = [k for k in templ if not is_zero(f[k] - templ[k].subs(values))]
    out = {}
    for key, e in templ.items():
        lim = sp.limit(e.subs({R1: sp.exp(-a), Rh: sp.exp(-b)}), G.n, sp.oo)
        out[key] = sp.simplify(lim.subs({a: -sp.log(s["rho_1"]), b: -sp.log(s["rho_half"])}))
    return out, mismatched


def _check_estimator_limits(ctx: Context) -> Outcome:
    want = {"unbiased": {"E_sigma2": G.sigma0**2, "E_sigma": 0, "Var_mu": sp.oo, "E_W2sq": sp.oo},
            "mle": {"E_sigma2": 0, "E_sigma": 0, "Var_mu": G.sigma0**2, "E_W2sq": 2 * G.sigma0**2}}
    got, bad = {}, []
    for est in G.ESTIMATORS:
        got[est], mismatched = _limits_in_n(est)
        bad += [f"{est} {k} is not the solution of its recursion" for k in mismatched]
    ok = not bad and all(is_zero(got[e][k] - v) if v is not sp.oo else got[e][k] is sp.oo
                         for e in want for k, v in want[e].items())
    text = "; ".join(f"{e}: " + ", ".join(f"{k} -> {v}" for k, v in got[e].items()) for e in got)
    return Outcome(text + ("; " + "; ".join(bad) if bad else ""), ok=ok)


def _check_estimator_sim(ctx: Context) -> Outcome:
    M_, n_ = 10, 200
    cfg = GaussianConfig(n_chains=20000 * ctx.scale, schedule=(M_,) * n_, estimator="mle")
    ch = simulate_gaussian(cfg, ctx.rng("mle-bounded"), keep=[n_])
    w2 = ch.mu[:, -1] ** 2 + (np.sqrt(ch.sigma2[:, -1]) - 1) ** 2
    v = _values("mle", M_, n_)
    p1, z1 = mean_z_p(w2, v["E_W2sq"])
    p2, z2 = mean_z_p(ch.mu[:, -1] ** 2, v["Var_mu"])
    return Outcome(f"MLE, M={M_}, n={n_}: E[W2^2] {w2.mean():.4f} vs {v['E_W2sq']:.4f} (z={z1:.2f}); Var[mu_n] "
                   f"{np.mean(ch.mu[:, -1] ** 2):.4f} vs {v['Var_mu']:.4f} (z={z2:.2f})", p_value=bonferroni([p1, p2]))


THEOREM_3_1 = Claim(
    id="thm3.1-gaussian-collapse",
    title="Theorem 3.1: Gaussian model collapse",
    statement=("If each generation refits a Gaussian with the unbiased sample mean and variance of M samples "
               "from the previous one, then E[W2^2(N(mu_n, Sigma_n), D_0)] -> infinity and Sigma_n -> 0 "
               "almost surely as n -> infinity (here in one dimension, D_0 = N(mu_0, sigma_0^2))."),
    source=f"{PAPER}, section 'Multidimensional Gaussian', Theorem 3.1",
    proof=(
        Check("one-step-moments", "symbolic",
              "mu_n is a martingale and the unbiased variance estimator keeps E[sigma_(i+1)^2 | F_i] = sigma_i^2",
              _check_one_step),
        Check("closed-forms-by-induction", "symbolic",
              "each closed form solves its moment recursion (base case and step, exactly)",
              _check_induction("unbiased")),
        Check("w2-gaussian-formula", "symbolic",
              "W2^2 between 1-D Gaussians = (m1 - m2)^2 + (s1 - s2)^2", _check_w2_formula),
        Check("w2-diverges", "symbolic",
              "E[W2^2] = Var[mu_n] + E[(sigma_n - sigma_0)^2] >= n sigma_0^2 / M -> infinity", _check_w2_diverges),
        Cited("digamma-upper-bound",
              "psi(x) <= log x - 1/(2x) - 1/(12x^2) + 1/(120x^4) for real x > 0: the remainder of the "
              "asymptotic series has the sign of, and is bounded by, the first neglected term",
              "NIST DLMF 5.11.2 and section 5.11(ii)"),
        Check("log-drift-negative", "certificate",
              "E[log(sigma_(i+1)^2 / sigma_i^2)] = log(2 c(M)) + psi((M-1)/2) < 0 for every integer M >= 2 "
              "(unbiased and MLE)", _check_drift_negative),
        Cited("strong-law",
              "log sigma_n^2 = log sigma_0^2 + sum of n iid terms with finite mean d(M) < 0, so "
              "(1/n) log sigma_n^2 -> d(M) almost surely, hence sigma_n -> 0 almost surely",
              "Kolmogorov's strong law of large numbers (e.g. Durrett, Probability: Theory and Examples, Thm 2.4.1)"),
        Cited("gelbrich-bound",
              "for any D_0 with mean m_0 and variance s_0^2 > 0, W2^2(N(mu, sigma^2), D_0) >= (mu - m_0)^2 + "
              "(sigma - s_0)^2, with equality for Gaussian D_0; the divergence holds for non-Gaussian D_0",
              "Gelbrich, Math. Nachr. 147 (1990) 185-203"),
    ),
    evidence=(
        Check("one-step-pivots", "simulation",
              "literal sampler: (M-1) sigma_(i+1)^2/sigma_i^2 ~ chi2_(M-1), sqrt(M)(mu_(i+1)-mu_i)/sigma_i ~ N(0,1)",
              _check_pivots),
        Check("log-moments", "simulation", "E[log sigma_n^2] and Var[log sigma_n^2] match the digamma/trigamma forms",
              _check_log_moments),
        Check("moments", "simulation", "E[sigma_n^2], E[sigma_n], E[sigma_n^3], Var[mu_n], E[W2^2] match the closed forms",
              _check_moments),
        Check("fast-equals-literal", "simulation",
              "the sufficient-statistic sampler and the literal sampler give the same law", _check_fast_vs_literal),
    ),
)

SCHEDULE = Claim(
    id="gaussian-w2-schedule",
    title="How fast M_i must grow: bounded E[W2^2], and no collapse of sigma_n",
    statement=("With M_i samples at generation i, the unbiased chain has sup_n E[W2^2] < infinity iff "
               "sum_i 1/M_i < infinity; the maximum-likelihood chain has E[W2^2] <= 2 sigma_0^2 for every schedule; "
               "and (both estimators) sigma_n^2 converges almost surely to a positive limit iff sum_i 1/M_i < infinity, "
               "while sigma_n -> 0 almost surely iff sum_i 1/M_i = infinity."),
    source=f"{PAPER}, Theorem 3.1 and its Supplementary discussion of growing sample sizes",
    proof=(
        Check("unbiased-any-schedule", "symbolic", "Var[mu_n] = sigma0^2 sum_(i<n) 1/M_i by induction over schedules",
              _check_schedule_unbiased),
        Check("mle-telescoping", "symbolic", "Var[mu_n] + E[sigma_n^2] = sigma0^2 for every MLE schedule",
              _check_schedule_mle),
        Check("series-convergence", "symbolic", "sympy decides sum 1/M_i for polynomial and geometric schedules",
              _check_series),
        Cited("digamma-trigamma-bounds",
              "log x - 1/(2x) - 1/(12x^2) <= psi(x) <= log x - 1/(2x) - 1/(12x^2) + 1/(120x^4) and "
              "1/x + 1/(2x^2) <= psi_1(x) <= 1/x + 1/(2x^2) + 1/(6x^3) for x > 0",
              "NIST DLMF 5.11.2, 5.15.8 and the remainder bounds of 5.11(ii), 5.15(ii)"),
        Check("drift-asymptotics", "symbolic",
              "M d(M) -> -1 (unbiased) or -2 (MLE) and M Var[log(sigma_(i+1)^2/sigma_i^2)] -> 2 as M -> infinity",
              _check_collapse_schedule),
        Cited("kolmogorov-series",
              "log sigma_n^2 is a sum of independent terms with means d(M_i) and variances v(M_i): if both series "
              "converge it converges a.s. (two-series theorem); if sum 1/M_i = infinity, then sum_(i<n) d(M_i) -> "
              "-infinity and the martingale SLLN (sum v_i / b_i^2 < infinity) gives log sigma_n^2 -> -infinity a.s.",
              "Kolmogorov's two-series theorem and strong law for independent summands (Durrett, Thms 2.5.6, 2.5.11)"),
    ),
    evidence=(
        Check("schedule-w2", "simulation", "simulated E[W2^2] under growing and constant schedules matches the recursion",
              _check_schedule_sim),
        Check("schedule-log-sigma", "simulation",
              "E[log sigma_n^2] levels off for M_i = 10(i+1)^2 and keeps falling for M_i = 10(i+1), as the recursion says",
              _check_collapse_schedule_sim),
    ),
)

ESTIMATORS_CLAIM = Claim(
    id="gaussian-mle-vs-unbiased",
    title="MLE versus unbiased variance: which quantities stay bounded",
    statement=("For constant M, as n -> infinity: unbiased: E[sigma_n^2] = sigma_0^2, E[sigma_n] -> 0, "
               "Var[mu_n] -> infinity, E[W2^2] -> infinity; MLE: E[sigma_n^2] -> 0, E[sigma_n] -> 0, "
               "Var[mu_n] -> sigma_0^2, E[W2^2] -> 2 sigma_0^2. Both collapse: sigma_n -> 0 almost surely."),
    source=f"{PAPER}, Theorem 3.1 (unbiased) and the Supplementary single-Gaussian experiment (np.std, the MLE)",
    proof=(
        Cited("jensen", "0 < E[sqrt(Y)] < sqrt(E[Y]) for non-degenerate Y > 0, so E[sigma_(i+1)]/sigma_i < "
              "sqrt(rho_1) <= 1: each geometric factor q^n below has 0 < q < 1 and is written exp(-a n), a > 0",
              "Jensen's inequality (strict for non-degenerate laws)"),
        Check("limits-in-n", "symbolic", "limits n -> infinity of E[sigma_n^2], E[sigma_n], Var[mu_n], E[W2^2]",
              _check_estimator_limits),
    ),
    evidence=(
        Check("mle-bounded", "simulation", "MLE chain at n = 20 M: E[W2^2] and Var[mu_n] at their closed forms",
              _check_estimator_sim),
    ),
)

ORDER = 10
CLAIMS = (THEOREM_3_1, SCHEDULE, ESTIMATORS_CLAIM)
