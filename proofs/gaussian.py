"""Theorem 3.1 (Gaussian model collapse), the sample-size-schedule condition, MLE versus unbiased.

Every check reads its formulas from :mod:`collapse.analytic.gaussian` when it runs, so a
change to a formula there changes the verdict here.

Independent routes (sharing no premise with the derivation in :mod:`collapse.analytic.gaussian`,
which integrates against the chi-square law, solves recursions with ``rsolve`` and assembles
E[W2^2] from the moments):

- **exact moments from the draws** (:func:`draw_moments`, :func:`chain_moments`): the refit is a
  polynomial in the M standard normal draws of each generation; its expectation follows from the
  Gaussian moments E[z^(2k)] = (2k-1)!! alone, in rational arithmetic, iterated over the generations
  of the literal draw-and-refit process (no chi-square law, no recursion solved, any schedule);
- **quadrature** (:func:`chi2_logspace_moments`): fractional and log moments of one generation by the
  trapezoid rule in t = log x (exponentially convergent), at 40 digits, composed over generations by
  the independence of each generation's fresh draws;
- **the literal draw-and-refit sampler** (:func:`literal_run`): numpy normal draws, then the sample
  mean and the sum of squared deviations divided by M - ddof, vectorised over millions of chains,
  with control variates whose means are exact facts about the draws (E[SS] = M - 1 and E[SS^2] from
  :func:`draw_moments`), so that every moment-type check detects a 1% error;
- the package samplers are held to the exact one-step laws of the pivots (KS tests).
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction as Fr

import flint
import mpmath
import numpy as np
import sympy as sp
from collapse.analytic import gaussian as G
from collapse.analytic import numeric as N
from collapse.proofs import certify
from collapse.proofs.core import Check, Cited, Claim, Context, Erratum, Outcome, Part
from collapse.proofs.stats import bonferroni, ks_mde_scale, ks_p, mde_z
from collapse.proofs.symbolic import decide_zero
from collapse.simulate.families.gaussian import GaussianConfig, simulate_gaussian
from scipy import stats

PAPER = "Shumailov et al., Nature 631, 755-759 (2024)"

#: the estimators by their definition: the fitted variance is SS / (M - ddof), SS the sum of squared deviations
DDOF = {"unbiased": 1, "mle": 0}
#: sigma_0 of the exact and quadrature routes (not 1, so that the scaling in sigma_0 is checked too)
S0 = Fr(3, 2)


# ------------------------------------------------------------------ small helpers
def zero_outcome(detail: str, *zeros) -> Outcome:
    """An Outcome from :func:`decide_zero` verdicts: fail with a witness if any is non-zero,
    undecided if any is only numerically zero, else pass."""
    for z in zeros:
        if z.nonzero:
            return Outcome(f"{detail}; {z.detail}", ok=False, witness=z.witness)
    if all(z.proved for z in zeros):
        return Outcome(detail, ok=True)
    return Outcome(detail + "; " + "; ".join(z.detail for z in zeros if not z.proved), undecided=True)


def _close(got, want, tol=None) -> bool:
    tol = mpmath.mpf(10) ** -30 if tol is None else tol
    got, want = mpmath.mpf(got), mpmath.mpf(want)
    return abs(got - want) <= tol * max(1, abs(want))


def _mp(x) -> mpmath.mpf:
    return mpmath.mpf(x.numerator) / x.denominator if isinstance(x, Fr) else mpmath.mpf(x)


def combine(ps) -> float:
    """Bonferroni over a check's sub-tests; a sub-test without a finite p-value (a NaN or infinite
    statistic: the sampler produced non-finite values) fails the check instead of passing it."""
    ps = [float(p) for p in ps]
    if not all(math.isfinite(p) for p in ps):
        return 0.0
    return bonferroni(ps)


def ks(sample, dist: str, *args) -> tuple[float, float]:
    """One-sample KS (p, D); a sample with non-finite values gets p = 0."""
    sample = np.asarray(sample, dtype=float)
    if not np.all(np.isfinite(sample)):
        return 0.0, math.inf
    return ks_p(sample, dist, *args)


def power_note(mde: float, ctx: Context) -> str:
    return f"detects a relative error >= {mde:.2%} with probability 0.99 at alpha = {ctx.alpha:.2g}"


def _sim_outcome(ctx: Context, head: str, tests: list[tuple[str, float, float, float, float]], *,
                 moment: bool = True) -> Outcome:
    """``tests``: (label, estimate, want, p, rel_se) per Bonferroni sub-test."""
    ps = [t[3] for t in tests]
    mde = mde_z(max(t[4] for t in tests), ctx.alpha, k=len(tests))
    parts = "; ".join(f"{lab} {est:.5g} vs {want:.5g} (z={stats.norm.isf(p / 2):.2f})" for lab, est, want, p, _ in tests)
    return Outcome(f"{head}: {parts}; {power_note(mde, ctx)}", p_value=combine(ps), mde=mde, moment=moment)


# ------------------------------------------------------------------ route 1: exact moments from the draws
def _double_factorial(e: int) -> int:
    return math.prod(range(e - 1, 0, -2)) if e else 1


def _gauss_expect(poly: sp.Poly) -> Fr:
    """E[poly(z_1, ..., z_m)] for iid N(0, 1): E[z^e] = (e-1)!! for even e, 0 for odd e."""
    total = Fr(0)
    for mon, c in poly.terms():
        if any(e % 2 for e in mon):
            continue
        total += Fr(int(c.p), int(c.q)) * math.prod(_double_factorial(e) for e in mon)
    return total


@functools.cache
def draw_moments(m: int, tmax: int = 2, bmax: int = 2) -> dict[tuple[int, int], Fr]:
    """E[zbar^t SS^b] (t even <= tmax, b <= bmax) for m iid N(0, 1) draws, exactly.

    zbar is the sample mean and SS = sum_i (z_i - zbar)^2, built as polynomials in the draws and
    integrated term by term with the Gaussian moments; nothing about their laws is assumed.
    """
    zs = sp.symbols(f"z0:{m}")
    P = [sp.Poly(z, *zs, domain="QQ") for z in zs]
    zbar = sum(P[1:], P[0]) * sp.Rational(1, m)
    SS = sum(((p - zbar) ** 2 for p in P[1:]), (P[0] - zbar) ** 2)
    return {(t, b): _gauss_expect(zbar**t * SS**b) for t in range(0, tmax + 1, 2) for b in range(bmax + 1)}


def ss_moments(m: int) -> tuple[Fr, Fr]:
    """E[SS] and E[SS^2] for m iid N(0, 1) draws, SS = z' C z with C = I - J/m the centering projector:
    E[z'Cz] = tr C and E[(z'Cz)^2] = tr(C)^2 + 2 tr(C^2) (Isserlis), tr C = tr C^2 = m - 1 exactly."""
    tr = Fr(m - 1)  # C is a projector of rank m - 1: tr C = tr C^2 = (m - 1)
    return tr, tr * tr + 2 * tr


def chain_moments(schedule, ddof: int, f: dict[tuple[int, int], Fr], v0: Fr = S0**2) -> Fr:
    """E[f(mu_n, sigma_n^2)] after the literal process over ``schedule``, from mu_0 = 0, sigma_0^2 = v0.

    ``f`` is a polynomial {(a, b): coefficient} in mu^a v^b (v = sigma^2). One generation draws
    x_j = mu + sqrt(v) z_j and refits mu' = mu + sqrt(v) zbar, v' = v SS / (m - ddof), so
    E[mu'^a v'^b | mu, v] = sum_(t even) C(a, t) mu^(a-t) v^(b + t/2) E[zbar^t SS^b] / (m - ddof)^b
    (odd t vanish: the draws are symmetric). Applied from the last generation back to the first.
    """
    poly = dict(f)
    for m in reversed(tuple(schedule)):
        tb = draw_moments(m, max(a for a, _ in poly) // 2 * 2, max(b for _, b in poly))
        new: dict[tuple[int, int], Fr] = {}
        for (a, b), c in poly.items():
            for t in range(0, a + 1, 2):
                key = (a - t, b + t // 2)
                new[key] = new.get(key, Fr(0)) + c * math.comb(a, t) * tb[(t, b)] / Fr(m - ddof) ** b
        poly = {k: v for k, v in new.items() if v}
    return sum((c * v0**b for (a, b), c in poly.items() if a == 0), Fr(0))


#: the exact route's quantities as polynomials in (mu, v): E[sigma_n^2], E[sigma_n^4], E[(mu_n - mu_0)^2]
_POLYS = {"E_sigma2": {(0, 1): Fr(1)}, "E_sigma4": {(0, 2): Fr(1)}, "Var_mu": {(2, 0): Fr(1)}}


def exact_values(est: str, schedule) -> dict[str, Fr]:
    return {k: chain_moments(schedule, DDOF[est], f) for k, f in _POLYS.items()}


# ------------------------------------------------------------------ route 2: quadrature of one generation
@functools.cache
def chi2_logspace_moments(k: int, step: Fr | None = None, prec: int = 170) -> dict[str, flint.arb]:
    """E[X^(1/2)], E[X^(3/2)], E[log X], Var[log X] for X ~ chi2_k, by the trapezoid rule in t = log x.

    The density of t is exp(k t / 2 - e^t / 2) / (2^(k/2) Gamma(k/2)) (the chi-square density, DLMF 8.2
    normalisation, written out here); it is analytic in the strip |Im t| < pi/2 and decays doubly
    exponentially to the right and like e^(k t / 2) to the left, so the trapezoid rule converges like
    exp(-pi^2 / step): about 50 digits at step 1/12. The range is cut where the integrand is below 10^-45.
    """
    if step is None:  # the peak's width in t is sqrt(2/k): a step well below it, and below 1/12
        step = Fr(1, 12) if k <= 20 else Fr(1, max(24, math.ceil(4 * math.sqrt(k / 2))))
    old = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        h = flint.arb(k) / 2
        lc = -h * flint.arb(2).log() - h.lgamma()
        a = float(math.log(k))
        # log of the integrand relative to its peak at t = a is (k/2)(u + 1 - e^u), u = t - a: cut where it is -115
        depth = 45 * math.log(10) + 10
        lo = a - max(2 * depth / k + 1, 1.5 * math.sqrt(4 * depth / k))
        hi = a + 6.0
        dt = flint.arb(flint.fmpq(step.numerator, step.denominator))
        n_nodes = int((hi - lo) / float(step)) + 1
        t = flint.arb(flint.fmpq(*Fr(lo).limit_denominator(10**6).as_integer_ratio()))
        s_half = s_3half = s_log = s_log2 = flint.arb(0)
        for _ in range(n_nodes + 1):
            w = (h * t - t.exp() / 2 + lc).exp()
            e_half = (t / 2).exp()
            s_half += w * e_half
            s_3half += w * e_half**3
            s_log += w * t
            s_log2 += w * t * t
            t += dt
        mean = s_log * dt
        return {"half": s_half * dt, "three_half": s_3half * dt, "log": mean, "log_var": s_log2 * dt - mean**2}
    finally:
        flint.ctx.prec = old


def _arb_mp(x: flint.arb) -> mpmath.mpf:
    return mpmath.mpf(x.mid().str(50, radius=False))


def quadrature_values(est: str, schedule, sigma0: Fr = S0) -> dict[str, mpmath.mpf]:
    """E[sigma_n], E[sigma_n^3], E[log sigma_n^2], Var[log sigma_n^2] after ``schedule``, by quadrature.

    sigma_(i+1)^2 = sigma_i^2 SS(z_i) / (M_i - ddof), with SS(z_i) the sum of squared deviations of the
    generation's standard draws z_i (x = mu + sigma z): free of sigma_i and independent of the past, so
    fractional moments multiply and log moments add over generations.
    """
    with mpmath.workdps(45):
        s0 = _mp(sigma0)
        e1, e3, lm, lv = s0, s0**3, mpmath.log(s0**2), mpmath.mpf(0)
        for m in schedule:
            q = chi2_logspace_moments(m - 1)
            c = mpmath.mpf(1) / (m - DDOF[est])
            e1 *= mpmath.sqrt(c) * _arb_mp(q["half"])
            e3 *= c ** mpmath.mpf(1.5) * _arb_mp(q["three_half"])
            lm += mpmath.log(c) + _arb_mp(q["log"])
            lv += _arb_mp(q["log_var"])
        return {"E_sigma": e1, "E_sigma3": e3, "E_log_sigma2": lm, "Var_log_sigma2": lv}


# ------------------------------------------------------------------ route 3: the literal draw-and-refit sampler
class Acc:
    """Sums of named per-chain statistics, their squares and the declared cross products, chunk by chunk.

    ``pairs``: the cross products (a, b) the tests will need (control variates, fourth moments).
    """

    def __init__(self, names, pairs=()):
        self.names = list(names)
        self.pairs = {tuple(sorted(p)) for p in pairs} | {(nm, nm) for nm in self.names}
        self.sums = dict.fromkeys(self.names, 0.0)
        self.prods = dict.fromkeys(self.pairs, 0.0)
        self._n = 0

    def add(self, cols: dict[str, np.ndarray]) -> None:
        cols = {nm: np.ascontiguousarray(cols[nm], dtype=float) for nm in self.names}
        self._n += len(cols[self.names[0]])
        for nm in self.names:
            self.sums[nm] += float(cols[nm].sum())
        for a, b in self.pairs:
            self.prods[(a, b)] += float(np.einsum("i,i->", cols[a], cols[b]))  # no BLAS threads

    @property
    def n(self) -> int:
        return self._n

    def _mom(self, a, b=None):
        if b is None:
            return self.sums[a] / self._n
        return self.prods[tuple(sorted((a, b)))] / self._n

    def mean_test(self, name: str, want: float, controls=(), scale: float = 1.0, shift: float = 0.0):
        """z-test of E[scale * X + shift] = want, X the column ``name``; regression on ``controls``
        (columns of exactly known mean 0) removes their share of the variance. (estimate, p, rel_se)."""
        n = self.n
        y = self._mom(name)
        syy = self._mom(name, name) - y * y
        est = y
        res = syy
        if controls:
            c = np.array([self._mom(k) for k in controls])
            scc = np.array([[self._mom(a, b) for b in controls] for a in controls]) - np.outer(c, c)
            scy = np.array([self._mom(k, name) for k in controls]) - c * y
            beta = np.linalg.solve(scc, scy)
            est = y - beta @ c
            res = syy - scy @ beta
        est = scale * est + shift
        se = abs(scale) * math.sqrt(max(res, 0.0) / (n - 1))
        z = (est - want) / se if se > 0 else math.inf
        return est, float(2 * stats.norm.sf(abs(z))), se / abs(want)

    def var_test(self, lin: str, sq: str, want: float):
        """z-test of Var[L] = want from the columns L - a (``lin``) and (L - a)^2 (``sq``)."""
        n = self.n
        s1, s2, s3, s4 = self._mom(lin), self._mom(lin, lin), self._mom(lin, sq), self._mom(sq, sq)
        v = (s2 - s1 * s1) * n / (n - 1)
        mu4 = s4 - 4 * s1 * s3 + 6 * s1 * s1 * s2 - 3 * s1**4
        se = math.sqrt(max(mu4 - v * v, 0.0) / n)
        z = (v - want) / se
        return v, float(2 * stats.norm.sf(abs(z))), se / abs(want)


#: the literal runs: (dimension, M, chains); data N(0, I_d) at generation 0, one generation refitted
LITERAL_RUNS = {"R1": (2, 3, 3_600_000), "R2": (2, 21, 40_000)}
_SHIFT = {"R1": (-0.58, -2.54)}  # reference points for the log columns (close to their means)


def _fast_rng(ctx: Context, name: str) -> np.random.Generator:
    return np.random.Generator(np.random.SFC64(int(ctx.rng(name).integers(0, 2**63))))


@functools.lru_cache(maxsize=4)
def _literal_run(name: str, seed: int, scale: int) -> Acc:
    """Draw M points from N(0, I_d) per chain, refit mean and covariance literally, accumulate statistics.

    The draws and refits depend on nothing in ``analytic`` or ``simulate``, so a run is shared by the
    checks that use it (and cached within a process).
    """
    d, m, chains = LITERAL_RUNS[name]
    ctx = Context(seed=seed)
    rng = _fast_rng(ctx, f"literal-{name}")
    mu0, sigma0 = 0.0, 1.0
    chains *= scale
    e_ss, e_ss2 = (float(v) for v in ss_moments(m))  # exact moments of the draws' sum of squares
    if name == "R1":
        a1, a2 = _SHIFT["R1"]
        acc = Acc(["u_s2", "u_s", "mu2", "u_w2", "m_w2", "u_L", "u_L2", "c1", "c2",
                   "diag", "off", "mu2nd", "ld", "ld2"],
                  pairs=[("u_L", "u_L2"), ("u_L", "c1"), ("u_L", "c2"), ("c1", "c2"), ("ld", "ld2")])
    else:
        acc = Acc(["u_s4", "c1", "det", "d2"], pairs=[("u_s4", "c1"), ("det", "c1"), ("det", "d2"), ("c1", "d2")])
    chunk = 1 << 18
    done = 0
    while done < chains:
        c = min(chunk, chains - done)
        done += c
        x = mu0 + sigma0 * rng.standard_normal((m, d, c))  # M points of N(mu0 1, sigma0^2 I) per chain
        xbar = x.sum(axis=0) / m
        dev = x - xbar
        S11 = np.einsum("mc,mc->c", dev[:, 0], dev[:, 0])
        S22 = np.einsum("mc,mc->c", dev[:, 1], dev[:, 1])
        S12 = np.einsum("mc,mc->c", dev[:, 0], dev[:, 1])
        if m == 3:  # Cauchy-Binet: det(D'D) = sum over pairs of squared 2x2 minors (no cancellation)
            det = sum((dev[i, 0] * dev[j, 1] - dev[j, 0] * dev[i, 1]) ** 2 for i, j in ((0, 1), (0, 2), (1, 2)))
            det = det / (m - 1) ** 2
        else:
            det = (S11 * S22 - S12 * S12) / (m - 1) ** 2  # det of the unbiased covariance
        if name == "R1":
            s2u, s2m = S11 / (m - 1), S11 / m
            mu2 = (xbar[0] - mu0) ** 2
            L = np.log(s2u) - a1
            ld = np.log(det) - a2
            acc.add({"u_s2": s2u, "u_s": np.sqrt(s2u), "mu2": mu2,
                     "u_w2": mu2 + (np.sqrt(s2u) - sigma0) ** 2, "m_w2": mu2 + (np.sqrt(s2m) - sigma0) ** 2,
                     "u_L": L, "u_L2": L * L, "c1": S11 - e_ss, "c2": S11 * S11 - e_ss2,
                     "diag": (S11 + S22) / (2 * (m - 1)), "off": S12 / (m - 1),
                     "mu2nd": ((xbar[0] - mu0) ** 2 + (xbar[1] - mu0) ** 2) / 2,
                     "ld": ld, "ld2": ld * ld})
        else:
            acc.add({"u_s4": (S11 / (m - 1)) ** 2, "c1": S11 - e_ss, "det": det, "d2": S22 - e_ss})
    return acc


def literal_run(name: str, ctx: Context) -> Acc:
    return _literal_run(name, ctx.seed, ctx.scale)


@functools.lru_cache(maxsize=4)
def _literal_schedule(est: str, schedule: tuple[int, ...], chains: int, seed: int, scale: int):
    """The 1-D literal chain over ``schedule`` (each generation refitted to the previous one's draws):
    sigma_n, and the controls SS_i - (M_i - 1) of the standard draws of each generation."""
    rng = _fast_rng(Context(seed=seed), f"literal-schedule-{est}-{schedule}")
    chains *= scale
    mu, s2 = np.zeros(chains), np.ones(chains)
    ctrl = []
    for m in schedule:
        z = rng.standard_normal((m, chains))
        x = mu + np.sqrt(s2) * z
        mu = x.sum(axis=0) / m
        ss = ((x - mu) ** 2).sum(axis=0)
        zc = z - z.sum(axis=0) / m
        ctrl.append((zc * zc).sum(axis=0) - float(ss_moments(m)[0]))  # SS of the standard draws - E[SS]
        s2 = ss / (m - DDOF[est])
    cols = {"s": np.sqrt(s2)} | {f"c{i}": c for i, c in enumerate(ctrl)}
    if len(ctrl) == 2:
        cols["c01"] = ctrl[0] * ctrl[1]  # mean 0: the generations' draws are independent
    acc = Acc(list(cols), pairs=[(a, b) for a in cols for b in cols if a < b])
    acc.add(cols)
    return acc


# ------------------------------------------------------------------ symbolic checks, Theorem 3.1
def _check_one_step(ctx: Context) -> Outcome:
    s = G.one_step("unbiased")
    zeros = [decide_zero(s["mean_drift"]), decide_zero(s["rho_1"] - 1), decide_zero(s["mean_step"] * G.M - 1)]
    detail = (f"E[mu_(i+1) - mu_i | F_i] = {s['mean_drift']}, E[sigma_(i+1)^2 | F_i] / sigma_i^2 = "
              f"{sp.simplify(s['rho_1'])} (the unbiased estimator: 1), E[(mu_(i+1) - mu_i)^2 | F_i] / sigma_i^2 = "
              f"{s['mean_step']} (Var of a mean of M draws: 1/M)")
    return zero_outcome(detail, *zeros)


def _recursions(estimator: str) -> dict[str, tuple[sp.Expr, object]]:
    """(initial value, step) of each closed form's moment recursion (see analytic docs)."""
    s = G.one_step(estimator)
    e2 = G.closed_forms(estimator)["E_sigma2"]
    return {
        "E_sigma2r": (G.sigma0 ** (2 * G.r), lambda f, n: s["rho_r"] * f),
        "E_sigma": (G.sigma0, lambda f, n: s["rho_half"] * f),
        "E_sigma2": (G.sigma0**2, lambda f, n: s["rho_1"] * f),
        "Var_mu": (sp.Integer(0), lambda f, n: f + s["mean_step"] * e2),
        "E_log_sigma2": (sp.log(G.sigma0**2), lambda f, n: f + s["log_drift"]),
        "Var_log_sigma2": (sp.Integer(0), lambda f, n: f + s["log_var"]),
    }


#: points (M, n, sigma0, r) where a recursion is evaluated at 50 digits
_POINTS = ((2, 3, sp.Rational(3, 2), sp.Rational(3, 2)), (5, 0, sp.Integer(1), sp.Rational(2, 3)),
           (11, 7, sp.Rational(2, 5), sp.Rational(5, 2)), (40, 2, sp.Rational(7, 3), sp.Rational(1, 4)))


def residual_failures(rec: dict, symbols, points, dps: int = 50) -> list[str]:
    """Evaluate f(0) - initial and f(n+1) - step(f(n)) of each recursion at ``points`` (``dps`` digits, mpmath)."""
    fails = []
    n = G.n
    for key, (f, initial, step) in rec.items():
        base = f.subs(n, 0) - initial
        diff = f.subs(n, n + 1) - step(f, n)
        fn = sp.lambdify(symbols, (base, diff, f), "mpmath")
        with mpmath.workdps(dps):
            for pt in points:
                args = [mpmath.mpf(sp.Rational(v).p) / sp.Rational(v).q for v in pt]
                vb, vd, vf = fn(*args)
                ref = max(1, abs(vf))
                bad = [(what, val) for what, val in (("base case", vb), ("step", vd))
                       if abs(val) > mpmath.mpf(10) ** (10 - dps) * ref]
                if bad:
                    fails.append(f"{key}: {bad[0][0]} residual {mpmath.nstr(bad[0][1], 8)} at "
                                 + ", ".join(f"{s}={v}" for s, v in zip(symbols, pt)))
                    break
    return fails


def _check_induction(estimator: str):
    def run(ctx: Context) -> Outcome:
        forms = G.closed_forms(estimator)
        rec = {k: (forms[k], init, step) for k, (init, step) in _recursions(estimator).items()}
        fails = residual_failures(rec, (G.M, G.n, G.sigma0, G.r), _POINTS)
        if fails:
            return Outcome("; ".join(fails), ok=False)
        return Outcome(f"{len(rec)} closed forms ({estimator}) satisfy base case and step of the recursions they "
                       f"were solved from, at {len(_POINTS)} points at 50 digits", ok=True)

    return run


_EXACT_M = (2, 3, 5)
_EXACT_N = (0, 1, 2, 3, 6)


def _check_exact(estimators):
    def run(ctx: Context) -> Outcome:
        bad, count = [], 0
        for est in estimators:
            for m in _EXACT_M:
                for g in _EXACT_N:
                    ex = exact_values(est, (m,) * g)
                    want = N.gaussian_values(est, m, g, float(S0), r=2, dps=45)
                    for key, theirs in (("E_sigma2", want["E_sigma2"]), ("E_sigma4", want["E_sigma2r"]),
                                        ("Var_mu", want["Var_mu"])):
                        count += 1
                        if not _close(theirs, _mp(ex[key])):
                            bad.append(f"{est} M={m} n={g} {key}: closed form {mpmath.nstr(theirs, 12)}, "
                                       f"exact {ex[key]}")
                    if est == "mle":  # the MLE invariant, from the draws
                        count += 1
                        if ex["Var_mu"] + ex["E_sigma2"] != S0**2:
                            bad.append(f"mle M={m} n={g}: Var[mu_n] + E[sigma_n^2] = {ex['Var_mu'] + ex['E_sigma2']}")
        if bad:
            return Outcome(f"{len(bad)} of {count} disagree: " + "; ".join(bad[:4]), ok=False)
        ex = exact_values(estimators[0], (3,) * 3)
        return Outcome(f"{count} values agree to 30 digits ({', '.join(estimators)}; M in {_EXACT_M}, n in {_EXACT_N}, "
                       f"sigma0 = 3/2): E[sigma_n^2], E[sigma_n^4] (r = 2), Var[mu_n] computed exactly from the draws, "
                       f"e.g. M=3, n=3: {ex['E_sigma2']}, {ex['E_sigma4']}, {ex['Var_mu']}"
                       + ("; MLE: Var[mu_n] + E[sigma_n^2] = sigma0^2 exactly" if "mle" in estimators else ""), ok=True)

    return run


_QUAD_M = (2, 3, 10)
_QUAD_N = (1, 2, 3)


def _check_quadrature(estimators):
    def run(ctx: Context) -> Outcome:
        bad, count = [], 0
        for est, m, g in ((e, m, g) for e in estimators for m in _QUAD_M for g in _QUAD_N):
            q = quadrature_values(est, (m,) * g)
            ex = exact_values(est, (m,) * g)
            want = N.gaussian_values(est, m, g, float(S0), r=1.5, dps=45)
            with mpmath.workdps(45):
                s0 = _mp(S0)
                w2 = _mp(ex["Var_mu"]) + _mp(ex["E_sigma2"]) - 2 * s0 * q["E_sigma"] + s0**2
                pairs = (("E_sigma", q["E_sigma"], want["E_sigma"]), ("E_sigma3", q["E_sigma3"], want["E_sigma2r"]),
                         ("E_log_sigma2", q["E_log_sigma2"], want["E_log_sigma2"]),
                         ("Var_log_sigma2", q["Var_log_sigma2"], want["Var_log_sigma2"]), ("E_W2sq", w2, want["E_W2sq"]))
                for key, got, theirs in pairs:
                    count += 1
                    if not _close(theirs, got):
                        bad.append(f"{est} M={m} n={g} {key}: closed form {mpmath.nstr(theirs, 15)}, "
                                   f"quadrature {mpmath.nstr(got, 15)}")
        if bad:
            return Outcome(f"{len(bad)} of {count} disagree: " + "; ".join(bad[:4]), ok=False)
        return Outcome(f"{count} values agree to 30 digits ({', '.join(estimators)}; M in {_QUAD_M}, n in {_QUAD_N}, "
                       "sigma0 = 3/2, r = 3/2): E[sigma_n], E[sigma_n^3], E and Var of log sigma_n^2 by trapezoid "
                       "quadrature of the chi-square law at 40 digits; E[W2^2] = Var[mu_n] + E[sigma_n^2] - 2 sigma0 "
                       "E[sigma_n] + sigma0^2 with the exact Var[mu_n], E[sigma_n^2] from the draws", ok=True)

    return run


def _check_w2_formula(ctx: Context) -> Outcome:
    """The quantile-coupling derivation against the Gaussian (Dowson-Landau / Olkin-Pukelsheim) formula."""
    w = G.w2sq_gaussian_1d()
    m1, m2, s1, s2 = sorted(w.free_symbols, key=str)
    # ||m1 - m2||^2 + tr(S1 + S2 - 2 (S2^1/2 S1 S2^1/2)^1/2), with S = s^2 in one dimension
    bures = (m1 - m2) ** 2 + s1**2 + s2**2 - 2 * sp.sqrt(s2 * s1**2 * s2)
    return zero_outcome(f"quantile coupling gives W2^2 = {w}; the Gaussian trace formula is {sp.expand(bures)}",
                        decide_zero(w - bures))


def _check_w2_diverges(ctx: Context) -> Outcome:
    f = G.closed_forms("unbiased")
    remainder = f["E_W2sq"] - f["Var_mu"]
    square = f["E_sigma2"] - 2 * G.sigma0 * f["E_sigma"] + G.sigma0**2  # E[(sigma_n - sigma_0)^2] >= 0
    z = decide_zero(remainder - square, domain={G.M: (2, 40), G.n: (0, 30)})
    lim = sp.limit(f["Var_mu"], G.n, sp.oo)
    out = zero_outcome(f"E[W2^2] - Var[mu_n] = E[(sigma_n - sigma_0)^2] >= 0; Var[mu_n] = {f['Var_mu']} -> {lim} "
                       "as n -> oo", z)
    if lim is not sp.oo:
        return Outcome(out.detail + " (does not diverge)", ok=False)
    return out


# ------------------------------------------------------------------ certificates
def digamma_upper_bound(x: sp.Expr) -> sp.Expr:
    """psi(x) <= log x - 1/(2x) - 1/(12 x^2) + 1/(120 x^4) for real x > 0 (DLMF 5.11.2 with the remainder bound of 5.11(ii))."""
    return sp.log(x) - 1 / (2 * x) - 1 / (12 * x**2) + 1 / (120 * x**4)


def digamma_lower_bound(x: sp.Expr) -> sp.Expr:
    """psi(x) >= log x - 1/(2x) - 1/(12 x^2) for real x > 0 (DLMF 5.11.2 with the remainder bound of 5.11(ii))."""
    return sp.log(x) - 1 / (2 * x) - 1 / (12 * x**2)


def trigamma_bounds(x: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """1/x <= psi_1(x) <= 1/x + 1/x^2 for real x > 0: psi_1(x) = sum_(k>=0) 1/(x+k)^2 (DLMF 5.15.1), a sum of a
    decreasing function, between its integral from 0 and that integral plus its first term (integral test)."""
    return 1 / x, 1 / x + 1 / x**2


@functools.cache
def drift_certificate(d: sp.Expr) -> tuple[bool, str]:
    """Prove d(M) < 0 for every integer M >= 2, d = log(c) + log 2 + digamma((M-1)/2) as derived."""
    t = sp.Symbol("t", positive=True)  # t = 1 / (M - 1) in (0, 1]
    P = sp.Symbol("P", real=True)  # stands for digamma while monotonicity is checked
    finite = certify.negative_on_integers(d, G.M, 2, 200)
    if not finite.holds:
        return False, finite.detail
    digammas = [e for e in d.atoms(sp.polygamma) if e.args[0] == 0]
    if len(digammas) != 1:
        return False, f"drift {d} must contain exactly one digamma term"
    psi = digammas[0]
    monotone = sp.diff(d.subs(psi, P), P)
    if not (monotone.is_positive or monotone == 1):
        return False, f"drift not increasing in digamma (d/dpsi = {monotone})"
    upper = d.subs(psi, digamma_upper_bound(psi.args[1]))
    R = sp.simplify(sp.expand_log(upper.subs(G.M, 1 + 1 / t), force=True))
    # R(0) = 0 and R'(t) < 0 on [0, 1] give R(t) < 0 on (0, 1], i.e. every M >= 2
    R0 = sp.limit(R, t, 0, "+")
    if R0 != 0:
        return False, f"tail bound does not vanish at M = oo (R(0) = {R0})"
    slope = certify.negative_on_interval(sp.diff(R, t), t, 0, 1)
    if not slope.holds:
        return False, slope.detail
    return True, (f"drift {d}; exact balls at M = 2..200 < 0; for all M >= 2, drift <= R(1/(M-1)) with "
                  f"R(t) = {R}, R(0) = 0 and R'(t) {slope.detail}")


def _check_drift_negative(ctx: Context) -> Outcome:
    """E[log(c(M) chi2_{M-1})] < 0 for every integer M >= 2, both estimators."""
    details = []
    for est in G.ESTIMATORS:
        ok, detail = drift_certificate(G.log_drift(est))
        if not ok:
            return Outcome(f"{est}: {detail}", ok=False)
        details.append(f"{est}: {detail}")
    return Outcome(" | ".join(details), ok=True)


@functools.cache
def multiplier_certificate(rho_half: sp.Expr, rho_1: sp.Expr) -> tuple[bool, str, bool]:
    """Certify 0 < rho_half(M) < 1 and 0 < rho_1(M) <= 1 for every integer M >= 2: (holds, detail, rho_1 == 1).

    rho_half^2 / rho_1 = Gamma(M/2)^2 / (Gamma((M-1)/2) Gamma((M+1)/2)) (checked), which is < 1 by Wendel's
    inequality Gamma(x + 1/2) < x^(1/2) Gamma(x) at x = (M-1)/2; rho_1 is 1 or 1 - (a positive term);
    Arb balls confirm rho_half^2 < rho_1 at M = 2..200.
    """
    M = G.M
    m = sp.Symbol("m", integer=True, nonnegative=True)
    unit_z = decide_zero(rho_1 - 1, domain={M: (2, 60)})
    unit = unit_z.proved
    if unit:
        rho1_text = "rho_1 = 1"
    else:
        gap = sp.factor(sp.simplify(1 - rho_1).subs(M, m + 2))
        if not (gap.is_positive and sp.simplify(rho_1.subs(M, m + 2)).is_positive):
            return False, f"cannot show 0 < rho_1 < 1 for M >= 2: 1 - rho_1 = {sp.factor(1 - rho_1)}", unit
        rho1_text = f"rho_1 = {sp.factor(rho_1)}, 1 - rho_1 = {sp.factor(1 - rho_1)} > 0"
    ratio = sp.gamma(M / 2) ** 2 / (sp.gamma((M - 1) / 2) * sp.gamma((M + 1) / 2))
    z = decide_zero(rho_half**2 / rho_1 - ratio, domain={M: (2, 60)})
    if z.nonzero:
        return False, f"rho_half^2 / rho_1 is not Gamma(M/2)^2 / (Gamma((M-1)/2) Gamma((M+1)/2)): {z.detail}", unit
    for mm in range(2, 201):
        env = {M: flint.arb(mm)}
        h, one = certify.to_arb(rho_half, env), certify.to_arb(rho_1, env)
        if not (h > 0 and h * h < one <= 1):
            return False, f"not certified 0 < rho_half^2 < rho_1 <= 1 at M = {mm}: {h}, {one}", unit
    return True, (f"{rho1_text}; rho_half = {rho_half} with rho_half^2 / rho_1 = Gamma(M/2)^2 / (Gamma((M-1)/2) "
                  f"Gamma((M+1)/2)) ({z.status}) < 1 for all M >= 2 (Wendel); Arb: 0 < rho_half^2 < rho_1 <= 1 at "
                  "M = 2..200"), unit


def _check_multipliers(ctx: Context) -> Outcome:
    parts = []
    for est in G.ESTIMATORS:
        s = G.one_step(est)
        ok, detail, _ = multiplier_certificate(s["rho_half"], s["rho_1"])
        if not ok:
            return Outcome(f"{est}: {detail}", ok=False)
        parts.append(f"{est}: {detail}")
    return Outcome(" | ".join(parts), ok=True)


# ------------------------------------------------------------------ simulation checks, Theorem 3.1
def _check_pivots(ctx: Context) -> Outcome:
    """Package literal sampler: one-step pivots have their exact laws (Cochran)."""
    M, n = 10, 10
    cfg = GaussianConfig(n_chains=20000 * ctx.scale, schedule=(M,) * n, sampler="literal")
    ch = simulate_gaussian(cfg, ctx.rng("pivots"))
    chi = ((M - DDOF["unbiased"]) * ch.sigma2[:, 1:] / ch.sigma2[:, :-1]).ravel()  # ~ chi2_{M-1}
    z = (np.sqrt(M) * np.diff(ch.mu, axis=1) / np.sqrt(ch.sigma2[:, :-1])).ravel()  # ~ N(0, 1)
    p1, d1 = ks(chi, "chi2", M - 1)
    p2, d2 = ks(z, "norm")
    mde = max(ks_mde_scale(chi.size, ctx.alpha, "chi2", M - 1, k=2), ks_mde_scale(z.size, ctx.alpha, "norm", k=2))
    return Outcome(f"{chi.size} steps, M={M}: (M-1) sigma'^2/sigma^2 vs chi2_{M-1}: KS D={d1:.4f} p={p1:.3g}; "
                   f"sqrt(M)(mu'-mu)/sigma vs N(0,1): D={d2:.4f} p={p2:.3g}; KS {power_note(mde, ctx)} of the "
                   "pivots' scale", p_value=combine([p1, p2]), mde=mde)


def _check_fast_pivots(ctx: Context) -> Outcome:
    """Package fast (sufficient-statistic) sampler: every generation's pivots have their exact laws."""
    M, n, parts, ps, mdes = 10, 10, [], [], []
    for est in G.ESTIMATORS:
        cfg = GaussianConfig(n_chains=25000 * ctx.scale, schedule=(M,) * n, estimator=est)
        ch = simulate_gaussian(cfg, ctx.rng(f"fast-pivots-{est}"))
        chi = ((M - DDOF[est]) * ch.sigma2[:, 1:] / ch.sigma2[:, :-1]).ravel()
        z = (np.sqrt(M) * np.diff(ch.mu, axis=1) / np.sqrt(ch.sigma2[:, :-1])).ravel()
        p1, d1 = ks(chi, "chi2", M - 1)
        p2, d2 = ks(z, "norm")
        ps += [p1, p2]
        mdes += [ks_mde_scale(chi.size, ctx.alpha, "chi2", M - 1, k=4), ks_mde_scale(z.size, ctx.alpha, "norm", k=4)]
        parts.append(f"{est}: chi2_{M-1} pivot D={d1:.4f} p={p1:.3g}, normal pivot D={d2:.4f} p={p2:.3g}")
    mde = max(mdes)
    return Outcome(f"{chi.size} steps per estimator, M={M}, n={n}: " + "; ".join(parts)
                   + f"; KS {power_note(mde, ctx)} of the pivots' scale", p_value=combine(ps), mde=mde)


def _ks2_mde(n1: int, n2: int, alpha: float, law, k: int, kind: str = "scale") -> float:
    """Smallest relative error (scale of ``law``, or a shift log(1 + e) for ``kind="log"``) that a
    two-sample KS test detects with probability >= 0.99: Delta(e) >= c_alpha + d1 + d2, with c_alpha the
    asymptotic critical value and d_i the 0.995 quantiles of each sample's own KS distance (exact)."""
    from scipy.optimize import brentq

    need = (stats.kstwobign.isf(alpha / k) * math.sqrt((n1 + n2) / (n1 * n2))
            + stats.kstwo.ppf(0.995, n1) + stats.kstwo.ppf(0.995, n2))
    x = law.ppf(np.linspace(1e-6, 1 - 1e-6, 4001))
    F = law.cdf(x)

    def delta(e):
        moved = law.cdf(x / (1 + e)) if kind == "scale" else law.cdf(x - math.log1p(e))
        return float(np.max(np.abs(F - moved))) - need

    out = 0.0
    for sign, cap in ((1, 1e3), (-1, 0.999)):
        hi = 0.01
        while delta(sign * hi) < 0:
            if hi >= cap:
                return math.inf
            hi = min(2 * hi, cap)
        out = max(out, brentq(lambda e, sg=sign: delta(sg * e), 0.0, hi, xtol=1e-6))
    return out


def _check_fast_vs_literal(ctx: Context) -> Outcome:
    M, n, C = 20, 10, 6000 * ctx.scale
    a = simulate_gaussian(GaussianConfig(n_chains=C, schedule=(M,) * n), ctx.rng("fvl-fast"), keep=[n])
    b = simulate_gaussian(GaussianConfig(n_chains=C, schedule=(M,) * n, sampler="literal"), ctx.rng("fvl-literal"),
                          keep=[n])
    p1 = float(stats.ks_2samp(a.mu[:, -1], b.mu[:, -1]).pvalue)
    p2 = float(stats.ks_2samp(np.log(a.sigma2[:, -1]), np.log(b.sigma2[:, -1])).pvalue)
    # power: scale error of mu_n's spread, and of sigma_n^2 (a shift of log sigma_n^2), against normal laws
    # with the two samples' pooled spread
    sd_mu = float(np.std(np.r_[a.mu[:, -1], b.mu[:, -1]]))
    L = np.log(np.r_[a.sigma2[:, -1], b.sigma2[:, -1]])
    mde = max(_ks2_mde(C, C, ctx.alpha, stats.norm(0, sd_mu), 2),
              _ks2_mde(C, C, ctx.alpha, stats.norm(L.mean(), L.std()), 2, kind="log"))
    return Outcome(f"two-sample KS at n={n}, M={M}, {C} chains each: mu_n p={p1:.3g}, log sigma_n^2 p={p2:.3g}; "
                   f"{power_note(mde, ctx)} (scale of mu_n, or of sigma_n^2)", p_value=combine([p1, p2]), mde=mde)


def _literal_tests(ctx: Context, est: str, keys) -> list:
    """Sub-tests of the literal runs against the closed forms of ``est`` (constant M, n = 1)."""
    r1, r2 = literal_run("R1", ctx), literal_run("R2", ctx)
    m1, m2 = LITERAL_RUNS["R1"][1], LITERAL_RUNS["R2"][1]
    v = {k: float(x) for k, x in N.gaussian_values(est, m1, 1, 1.0, dps=30).items()}
    v4 = float(N.gaussian_values(est, m2, 1, 1.0, r=2, dps=30)["E_sigma2r"])
    f = (m1 - 1) / (m1 - DDOF[est])  # the estimator's SS divisor relative to the unbiased one
    a1 = _SHIFT["R1"][0]
    out = []
    for key in keys:
        if key == "E_sigma2":
            res = r1.mean_test("u_s2", v[key], scale=f)
        elif key == "E_sigma":
            res = r1.mean_test("u_s", v[key], scale=math.sqrt(f))
        elif key == "Var_mu":
            res = r1.mean_test("mu2", v[key])
        elif key == "E_W2sq":
            res = r1.mean_test("u_w2" if est == "unbiased" else "m_w2", v[key])
        elif key == "E_log_sigma2":
            res = r1.mean_test("u_L", v[key], controls=("c1", "c2"), shift=a1 + math.log(f))
        elif key == "Var_log_sigma2":
            res = r1.var_test("u_L", "u_L2", v[key])
        elif key == "E_sigma2r":
            f2 = (m2 - 1) / (m2 - DDOF[est])
            res = r2.mean_test("u_s4", v4, controls=("c1",), scale=f2**2)
            out.append((f"E_sigma2r(r=2, M={m2})", res[0], v4, res[1], res[2]))
            continue
        out.append((key, res[0], v[key], res[1], res[2]))
    return out


_LITERAL_KEYS = ("E_sigma2", "E_sigma", "Var_mu", "E_W2sq", "E_log_sigma2", "Var_log_sigma2", "E_sigma2r")


def _check_literal_moments(ctx: Context) -> Outcome:
    tests = _literal_tests(ctx, "unbiased", _LITERAL_KEYS)
    n1, n2 = int(literal_run("R1", ctx).n), int(literal_run("R2", ctx).n)
    return _sim_outcome(ctx, f"literal draw-and-refit, unbiased, n=1: {n1} chains at M={LITERAL_RUNS['R1'][1]}, "
                             f"{n2} at M={LITERAL_RUNS['R2'][1]} (control variates SS - (M-1), SS^2 - E[SS^2] for "
                             "E[log], E[sigma^4])", tests)


# ------------------------------------------------------------------ schedule claim
def _check_schedule_unbiased(ctx: Context) -> Outcome:
    """Consistency: the schedule series solves the recursion it came from (exact rationals, concrete schedules)."""
    s = G.schedule_series("unbiased")
    Mb = sp.IndexedBase("M", positive=True, integer=True)
    fails = []
    for sched in _SCHEDULES:
        vals = {Mb[k]: m for k, m in enumerate(sched)}
        at = [sp.nsimplify(s["Var_mu"].subs(G.n, g).doit().subs(vals)) for g in range(len(sched) + 1)]
        if at[0] != 0:
            fails.append(f"{sched}: Var[mu_0] = {at[0]}")
        fails += [f"{sched}: Var[mu_{g + 1}] - Var[mu_{g}] = {sp.simplify(at[g + 1] - at[g])}, not sigma0^2/{m}"
                  for g, m in enumerate(sched) if sp.simplify(at[g + 1] - at[g] - G.sigma0**2 / m) != 0]
    z = decide_zero(s["E_sigma2"] - G.sigma0**2)
    out = zero_outcome(f"unbiased, any schedule: Var[mu_n] = {s['Var_mu']} satisfies Var[mu_0] = 0 and Var[mu_(n+1)] = "
                       f"Var[mu_n] + sigma0^2 / M_n on the schedules {list(_SCHEDULES)}; E[sigma_n^2] = {s['E_sigma2']}", z)
    return Outcome("; ".join(fails), ok=False) if fails else out


def _check_schedule_remainder(ctx: Context) -> Outcome:
    """Unbiased: E[W2^2] - Var[mu_n] = 2 sigma0^2 (1 - prod rho_half(M_i)) lies in [0, 2 sigma0^2)."""
    s = G.schedule_series("unbiased")
    one = G.one_step("unbiased")
    ok, detail, unit = multiplier_certificate(one["rho_half"], one["rho_1"])
    if not (ok and unit):
        return Outcome(f"multipliers not certified (0 < rho_half < 1 = rho_1): {detail}", ok=False)
    rem = s["E_sigma2"] - 2 * G.sigma0 * s["E_sigma"] + G.sigma0**2  # E[(sigma_n - sigma0)^2], from the W2 formula
    z = decide_zero(rem - 2 * G.sigma0**2 * (1 - s["E_sigma"] / G.sigma0))
    prod = sp.simplify(s["E_sigma"] / G.sigma0)
    mi = sp.Symbol("m_i", integer=True, positive=True)
    Mi = sp.IndexedBase("M", positive=True, integer=True)[G.i]
    if not (isinstance(prod, sp.Product) and prod.limits[0][0] == G.i
            and not decide_zero(prod.function.subs(Mi, mi) - one["rho_half"].subs(G.M, mi), domain={mi: (2, 60)}).nonzero):
        return Outcome(f"E[sigma_n] / sigma0 = {prod} is not a product of rho_half(M_i)", ok=False)
    return zero_outcome("unbiased, any schedule: E[W2^2] = Var[mu_n] + E[(sigma_n - sigma0)^2] with E[sigma_n^2] = "
                        "sigma0^2 and E[sigma_n] = sigma0 prod rho_half(M_i), each factor in (0, 1) (certified): the "
                        "remainder 2 sigma0^2 (1 - prod rho_half(M_i)) lies in [0, 2 sigma0^2), so sup_n E[W2^2] < oo "
                        "iff sup_n Var[mu_n] = sigma0^2 sum 1/M_i < oo", z)


def _check_schedule_mle(ctx: Context) -> Outcome:
    s1 = G.one_step("mle")
    V, E2 = sp.symbols("V E2", positive=True)
    # one generation maps (Var[mu], E[sigma^2]) = (V, E2) to (V + E2 mean_step, rho_1 E2)
    invariant_step = (V + s1["mean_step"] * E2) + s1["rho_1"] * E2 - (V + E2)
    return zero_outcome("MLE, any schedule: Var[mu_(n+1)] + E[sigma_(n+1)^2] - (Var[mu_n] + E[sigma_n^2]) = "
                        f"{sp.simplify(invariant_step)} and at n = 0 it is sigma0^2; hence E[W2^2] = "
                        "2 sigma0^2 - 2 sigma0 E[sigma_n] <= 2 sigma0^2", decide_zero(invariant_step))


_SCHEDULES = ((2, 3, 5), (5, 2, 2, 3), (3, 7, 2, 4, 6))


def _schedule_symbolic_values(est: str, sched) -> dict[str, sp.Expr]:
    """schedule_series evaluated at a concrete schedule and sigma0 = S0."""
    s = G.schedule_series(est)
    Mb = sp.IndexedBase("M", positive=True, integer=True)
    vals = {Mb[k]: m for k, m in enumerate(sched)}
    out = {}
    for key, e in s.items():
        out[key] = sp.N(e.subs(G.n, len(sched)).doit().subs(vals).subs(G.sigma0, sp.Rational(S0.numerator, S0.denominator)), 45)
    return out


def _check_schedule_exact(ctx: Context) -> Outcome:
    bad, count = [], 0
    for est in G.ESTIMATORS:
        for sched in _SCHEDULES:
            ex = exact_values(est, sched)
            num = N.gaussian_schedule_values(est, list(sched), float(S0), r=2, dps=45)
            sym = _schedule_symbolic_values(est, sched)
            pairs = (("E_sigma2", num["E_sigma2"]), ("E_sigma4", num["E_sigma2r"]), ("Var_mu", num["Var_mu"]),
                     ("E_sigma2", sym["E_sigma2"]), ("Var_mu", sym["Var_mu"]))
            for key, theirs in pairs:
                count += 1
                if not _close(theirs, _mp(ex[key])):
                    bad.append(f"{est} {sched} {key}: derived {mpmath.nstr(mpmath.mpf(theirs), 12)}, exact {ex[key]}")
            if est == "mle":
                count += 1
                if ex["Var_mu"] + ex["E_sigma2"] != S0**2:
                    bad.append(f"mle {sched}: Var[mu_n] + E[sigma_n^2] = {ex['Var_mu'] + ex['E_sigma2']} != sigma0^2")
    if bad:
        return Outcome(f"{len(bad)} of {count} disagree: " + "; ".join(bad[:4]), ok=False)
    return Outcome(f"{count} values agree to 30 digits: E[sigma_n^2], E[sigma_n^4], Var[mu_n] computed exactly from the "
                   f"draws for schedules {list(_SCHEDULES)} (both estimators, sigma0 = 3/2), against the iterated "
                   "recursion (gaussian_schedule_values) and schedule_series; MLE: Var[mu_n] + E[sigma_n^2] = sigma0^2 "
                   "exactly", ok=True)


def _check_schedule_quadrature(ctx: Context) -> Outcome:
    bad, count = [], 0
    for est in G.ESTIMATORS:
        for sched in _SCHEDULES:
            q = quadrature_values(est, sched)
            ex = exact_values(est, sched)
            num = N.gaussian_schedule_values(est, list(sched), float(S0), r=1.5, dps=45)
            sym = _schedule_symbolic_values(est, sched)
            with mpmath.workdps(45):
                s0 = _mp(S0)
                w2 = _mp(ex["Var_mu"]) + _mp(ex["E_sigma2"]) - 2 * s0 * q["E_sigma"] + s0**2
                pairs = (("E_sigma", q["E_sigma"], num["E_sigma"]), ("E_sigma", q["E_sigma"], sym["E_sigma"]),
                         ("E_sigma3", q["E_sigma3"], num["E_sigma2r"]),
                         ("E_log_sigma2", q["E_log_sigma2"], num["E_log_sigma2"]),
                         ("Var_log_sigma2", q["Var_log_sigma2"], num["Var_log_sigma2"]), ("E_W2sq", w2, num["E_W2sq"]))
                for key, got, theirs in pairs:
                    count += 1
                    if not _close(theirs, got):
                        bad.append(f"{est} {sched} {key}: derived {mpmath.nstr(mpmath.mpf(theirs), 15)}, "
                                   f"quadrature {mpmath.nstr(got, 15)}")
                if est == "mle" and not w2 < 2 * s0**2:
                    bad.append(f"mle {sched}: E[W2^2] = {w2} is not below 2 sigma0^2")
    if bad:
        return Outcome(f"{len(bad)} of {count} disagree: " + "; ".join(bad[:4]), ok=False)
    return Outcome(f"{count} values agree to 30 digits: E[sigma_n] (the schedule form prod rho_half(M_i)), E[sigma_n^3], "
                   f"E and Var of log sigma_n^2, E[W2^2] by quadrature for schedules {list(_SCHEDULES)} (both "
                   "estimators); MLE E[W2^2] < 2 sigma0^2", ok=True)


def _check_series(ctx: Context) -> Outcome:
    """w2_bounded against the textbook answers: sum 1/(i+1)^p < oo iff p > 1, geometric series converge."""
    cases = {"10(i+1)^2": (10 * (G.i + 1) ** 2, True), "10(i+1)": (10 * (G.i + 1), False),
             "10": (10 + 0 * G.i, False), "10 2^i": (10 * 2**G.i, True), "2": (2 + 0 * G.i, False),
             "(i+2)^(3/2)": ((G.i + 2) ** sp.Rational(3, 2), True)}
    got = {k: G.w2_bounded("unbiased", e) for k, (e, _) in cases.items()}
    mle = {k: G.w2_bounded("mle", e) for k, (e, _) in cases.items()}
    wrong = [k for k, (_, want) in cases.items() if got[k] != want] + [f"mle {k}" for k, v in mle.items() if v is not True]
    text = ("unbiased E[W2^2] bounded for M_i = " + ", ".join(f"{k}: {v}" for k, v in got.items())
            + "; MLE bounded for all of them (derived from the telescoping one-step law)")
    return Outcome(text + (f"; wrong: {wrong}" if wrong else ""), ok=not wrong)


def _squeeze_limit(expr: sp.Expr, fn, bounds) -> tuple[sp.Expr, sp.Expr]:
    """Limits of M * expr at M -> oo with the one ``fn`` term replaced by its lower and upper bound."""
    [term] = [a for a in expr.atoms(sp.polygamma) if a.args[0] == fn]
    lo, hi = bounds(term.args[1])
    return tuple(sp.limit(sp.expand_log(G.M * expr.subs(term, b), force=True), G.M, sp.oo) for b in (lo, hi))


#: the limits the schedule claim states: M d(M) -> -1 (unbiased), -2 (MLE); M Var-step(M) -> 2
DRIFT_LIMITS = {"unbiased": -1, "mle": -2}


def _check_collapse_schedule(ctx: Context) -> Outcome:
    """M d(M) -> -1 (unbiased) or -2 (MLE) and M Var-step -> 2: both series converge iff sum 1/M_i does."""
    parts = []
    for est in G.ESTIMATORS:
        s = G.one_step(est)
        d_lo, d_hi = _squeeze_limit(s["log_drift"], 0, lambda x: (digamma_lower_bound(x), digamma_upper_bound(x)))
        v_lo, v_hi = _squeeze_limit(s["log_var"], 1, trigamma_bounds)
        if not (d_lo == d_hi == DRIFT_LIMITS[est] and v_lo == v_hi == 2):
            return Outcome(f"{est}: M*drift -> [{d_lo}, {d_hi}] (stated {DRIFT_LIMITS[est]}), M*var -> [{v_lo}, {v_hi}] "
                           "(stated 2)", ok=False)
        # second route: the derived expressions at M = 10^6 and 10^7 (mpmath, 30 digits)
        fd, fv = (sp.lambdify(G.M, s[k], "mpmath") for k in ("log_drift", "log_var"))
        with mpmath.workdps(30):
            for m in (10**6, 10**7):
                a, b = m * fd(mpmath.mpf(m)), m * fv(mpmath.mpf(m))
                if abs(a - DRIFT_LIMITS[est]) > 10.0 / m or abs(b - 2) > 10.0 / m:
                    return Outcome(f"{est}: at M = {m}, M*drift = {mpmath.nstr(a, 10)}, M*var = {mpmath.nstr(b, 10)}",
                                   ok=False)
        parts.append(f"{est}: M*drift(M) -> {d_lo}, M*Var-step(M) -> {v_lo} (squeezed between the digamma/trigamma "
                     "bounds; within 10/M of the limits at M = 10^6, 10^7)")
    return Outcome("; ".join(parts) + "; with d(M) < 0 for all M (certified), |d(M)| and Var-step(M) are between "
                   "constant multiples of 1/M, so both series converge iff sum 1/M_i does", ok=True)


_SCHED_LITERAL = (3, 4)
_SCHED_LITERAL_CHAINS = 60_000


def _check_schedule_literal(ctx: Context) -> Outcome:
    tests = []
    for est in G.ESTIMATORS:
        acc = _literal_schedule(est, _SCHED_LITERAL, _SCHED_LITERAL_CHAINS, ctx.seed, ctx.scale)
        want = float(N.gaussian_schedule_values(est, list(_SCHED_LITERAL), 1.0)["E_sigma"])
        est_, p, rel = acc.mean_test("s", want, controls=("c0", "c1", "c01"))
        tests.append((f"{est} E_sigma", est_, want, p, rel))
    return _sim_outcome(ctx, f"literal draw-and-refit over M_i = {_SCHED_LITERAL}, {_SCHED_LITERAL_CHAINS * ctx.scale} "
                             "chains per estimator, E[sigma_2] against the schedule form sigma0 prod rho_half(M_i) "
                             "(controls: each generation's SS - (M_i - 1) and their product)", tests)


_FAST_SCHEDULES = {"10(i+1)^2": lambda k: 10 * (k + 1) ** 2, "10(i+1)": lambda k: 10 * (k + 1)}


def _check_schedule_fast(ctx: Context) -> Outcome:
    n, C = 10, 150_000 * ctx.scale
    tests = []
    for est, label in (("unbiased", "10(i+1)^2"), ("unbiased", "10(i+1)"), ("mle", "10(i+1)")):
        sched = tuple(_FAST_SCHEDULES[label](k) for k in range(n))
        ch = simulate_gaussian(GaussianConfig(n_chains=C, schedule=sched, estimator=est),
                               ctx.rng(f"schedule-fast-{est}-{label}"), keep=[n // 2, n])
        for col, g in enumerate((n // 2, n)):
            want = float(N.gaussian_schedule_values(est, list(sched[:g]), 1.0)["E_sigma"])
            s = np.sqrt(ch.sigma2[:, col])
            se = s.std(ddof=1) / math.sqrt(s.size)
            z = (s.mean() - want) / se
            tests.append((f"{est} M_i={label} n={g}", float(s.mean()), want, float(2 * stats.norm.sf(abs(z))), se / want))
    return _sim_outcome(ctx, f"fast sampler, {C} chains: E[sigma_n] (schedule form)", tests)


# ------------------------------------------------------------------ estimators claim
def _limits_in_n(est: str) -> tuple[dict[str, sp.Expr], list[str], str]:
    """n -> oo limits of the closed forms, from certified multipliers.

    The recursions are solved again with symbolic multipliers R1 (of E[sigma^2]) and Rh (of E[sigma]);
    the closed forms must equal those solutions at the estimator's values. The premise of the limits,
    0 < Rh < 1 and R1 = 1 or 0 < R1 < 1, is certified (:func:`multiplier_certificate`); each multiplier
    below 1 is then written exp(-a), a > 0, the limit taken, and a put back.
    """
    a, b = sp.symbols("a b", positive=True)
    R1, Rh = sp.symbols("R1 Rh", positive=True)
    s, f = G.one_step(est), G.closed_forms(est)
    ok, detail, unit = multiplier_certificate(s["rho_half"], s["rho_1"])
    if not ok:
        return {}, [f"premise fails: {detail}"], detail
    e2 = G._solve_linear(0, G.sigma0**2, multiplier=1 if unit else R1)
    templ = {"E_sigma2": e2, "E_sigma": G._solve_linear(0, G.sigma0, multiplier=Rh),
             "Var_mu": G._solve_linear(s["mean_step"] * e2, sp.Integer(0))}
    templ["E_W2sq"] = G.expected_w2sq(templ)
    values = {R1: s["rho_1"], Rh: s["rho_half"]}
    pts = ((2, 3, sp.Rational(3, 2)), (7, 0, sp.Integer(1)), (13, 9, sp.Rational(2, 5)))
    fn = sp.lambdify((G.M, G.n, G.sigma0), [f[k] - templ[k].subs(values) for k in templ], "mpmath")
    mismatched = []
    with mpmath.workdps(50):
        for pt in pts:
            vals = fn(*[mpmath.mpf(sp.Rational(v).p) / sp.Rational(v).q for v in pt])
            mismatched += [f"{k} is not the solution of its recursion (residual {mpmath.nstr(v, 6)} at M, n, sigma0 = {pt})"
                           for k, v in zip(templ, vals) if abs(v) > mpmath.mpf(10) ** -40]
    out = {}
    for key, e in templ.items():
        lim = sp.limit(e.subs({R1: sp.exp(-a), Rh: sp.exp(-b)}), G.n, sp.oo)
        out[key] = sp.simplify(lim.subs({a: -sp.log(s["rho_1"]), b: -sp.log(s["rho_half"])}))
    return out, mismatched, detail


_LIMITS_WANT = {"unbiased": {"E_sigma2": G.sigma0**2, "E_sigma": 0, "Var_mu": sp.oo, "E_W2sq": sp.oo},
                "mle": {"E_sigma2": 0, "E_sigma": 0, "Var_mu": G.sigma0**2, "E_W2sq": 2 * G.sigma0**2}}


def _check_estimator_limits(ctx: Context) -> Outcome:
    got, bad = {}, []
    for est in G.ESTIMATORS:
        got[est], mismatched, _ = _limits_in_n(est)
        bad += [f"{est}: {m}" for m in mismatched]
    if not bad:
        for e, want in _LIMITS_WANT.items():
            for k, v in want.items():
                if v is sp.oo:
                    if got[e][k] is not sp.oo:
                        bad.append(f"{e} {k} -> {got[e][k]}, stated oo")
                elif decide_zero(got[e][k] - v).nonzero:
                    bad.append(f"{e} {k} -> {got[e][k]}, stated {v}")
    text = "; ".join(f"{e}: " + ", ".join(f"{k} -> {v}" for k, v in got[e].items()) for e in got)
    return Outcome(text + " (multipliers certified: 0 < rho_half < 1, rho_1 = 1 or 0 < rho_1 < 1)"
                   + ("; " + "; ".join(bad) if bad else ""), ok=not bad)


def _check_collapse_both(ctx: Context) -> Outcome:
    out = _check_drift_negative(ctx)
    return Outcome("both estimators: E[log sigma_(i+1)^2 / sigma_i^2] < 0 for all M >= 2, so (strong law) "
                   "log sigma_n^2 -> -oo a.s.: " + out.detail, ok=out.ok)


def _check_mle_literal(ctx: Context) -> Outcome:
    keys = ("E_sigma2", "E_sigma", "Var_mu", "E_W2sq", "E_log_sigma2", "Var_log_sigma2")
    tests = _literal_tests(ctx, "mle", keys)
    n1 = int(literal_run("R1", ctx).n)
    return _sim_outcome(ctx, f"literal draw-and-refit, MLE (ddof 0), n=1, {n1} chains at M={LITERAL_RUNS['R1'][1]}", tests)


# ------------------------------------------------------------------ claims
_ROUTE_EXACT = ("exact expectation of the refit's polynomial in the M iid N(0,1) draws (E z^(2k) = (2k-1)!!), "
                "iterated over generations in rationals: no chi-square law, no rsolve")
_ROUTE_QUAD = ("trapezoid quadrature of the chi-square law in log x at 40 digits, composed over generations by "
               "independence; the exact draw moments for Var[mu_n] and E[sigma_n^2]")
_ROUTE_LITERAL = ("literal draw-and-refit sampler (numpy normal draws, sample mean, SS / (M - ddof)), "
                  "vectorised over chains, control variates with exactly known means")

THEOREM_3_1 = Claim(
    id="thm3.1-gaussian-collapse",
    title="Theorem 3.1: Gaussian model collapse",
    statement=("If each generation refits a Gaussian with the unbiased sample mean and variance of M >= 2 samples "
               "from the previous one, then E[W2^2(N(mu_n, sigma_n^2), D_0)] -> infinity and sigma_n -> 0 "
               "almost surely as n -> infinity (here in one dimension, D_0 = N(mu_0, sigma_0^2))."),
    source=f"{PAPER}, section 'Multidimensional Gaussian', Theorem 3.1",
    proof=(
        Check("one-step-moments", "symbolic",
              "mu_n is a martingale and the unbiased variance estimator keeps E[sigma_(i+1)^2 | F_i] = sigma_i^2",
              _check_one_step,
              route="the derived one-step moments against the textbook facts E[s^2] = sigma^2 (unbiasedness) and "
                    "Var[mean of M draws] = sigma^2 / M"),
        Check("closed-forms-by-induction", "consistency",
              "each closed form solves the moment recursion it was solved from (base case and step, 50 digits)",
              _check_induction("unbiased")),
        Check("exact-moments", "symbolic",
              "E[sigma_n^2], E[sigma_n^4] and Var[mu_n] equal their values computed exactly from the draws",
              _check_exact(("unbiased",)), route=_ROUTE_EXACT),
        Check("quadrature-moments", "symbolic",
              "E[sigma_n], E[sigma_n^3], E and Var of log sigma_n^2, E[W2^2] equal their quadrature values",
              _check_quadrature(("unbiased",)), route=_ROUTE_QUAD),
        Check("w2-gaussian-formula", "symbolic",
              "W2^2 between 1-D Gaussians = (m1 - m2)^2 + (s1 - s2)^2", _check_w2_formula,
              route="the Dowson-Landau / Olkin-Pukelsheim trace formula against the quantile-coupling integral"),
        Check("w2-diverges", "symbolic",
              "E[W2^2] = Var[mu_n] + E[(sigma_n - sigma_0)^2] >= n sigma_0^2 / M -> infinity", _check_w2_diverges,
              route="limit of the closed form Var[mu_n]; the remainder is the Gaussian W2 formula's square term"),
        Cited("digamma-upper-bound",
              "psi(x) <= log x - 1/(2x) - 1/(12x^2) + 1/(120x^4) for real x > 0: for real positive x the remainder of "
              "the asymptotic series has the sign of, and is bounded by, the first neglected term",
              "NIST DLMF 5.11.2 and the error bounds of section 5.11(ii)"),
        Check("log-drift-negative", "certificate",
              "E[log(sigma_(i+1)^2 / sigma_i^2)] = log(2 c(M)) + psi((M-1)/2) < 0 for every integer M >= 2 "
              "(unbiased and MLE)", _check_drift_negative,
              route="Arb ball arithmetic at M = 2..200 and a bisection certificate of the digamma upper bound on t = 1/(M-1)"),
        Cited("strong-law",
              "log sigma_n^2 = log sigma_0^2 + sum of n iid terms with finite mean d(M) < 0, so "
              "(1/n) log sigma_n^2 -> d(M) almost surely, hence sigma_n -> 0 almost surely",
              "Kolmogorov's strong law of large numbers (Durrett, Probability: Theory and Examples, 5th ed., Thm 2.4.1)"),
        Cited("gelbrich-bound",
              "for any D_0 with mean m_0 and variance s_0^2 > 0, W2^2(N(mu, sigma^2), D_0) >= (mu - m_0)^2 + "
              "(sigma - s_0)^2, with equality for Gaussian D_0; the divergence holds for non-Gaussian D_0",
              "Gelbrich, Math. Nachr. 147 (1990) 185-203"),
    ),
    evidence=(
        Check("one-step-pivots", "simulation",
              "package literal sampler: (M-1) sigma_(i+1)^2/sigma_i^2 ~ chi2_(M-1), sqrt(M)(mu_(i+1)-mu_i)/sigma_i ~ N(0,1)",
              _check_pivots, route="KS tests of the package literal sampler's pivots against their exact laws (Cochran)"),
        Check("literal-moments", "simulation",
              "E[sigma_n^2], E[sigma_n], E[sigma_n^4], Var[mu_n], E[W2^2], E and Var of log sigma_n^2 of the literal "
              "draw-and-refit process match the closed forms", _check_literal_moments, route=_ROUTE_LITERAL),
        Check("fast-pivots", "simulation",
              "package fast sampler: every generation's pivots have the laws chi2_(M-1) and N(0, 1)", _check_fast_pivots,
              route="KS tests of the sufficient-statistic sampler's pivots against their exact laws, both estimators"),
        Check("fast-equals-literal", "simulation",
              "the sufficient-statistic sampler and the literal sampler give the same law", _check_fast_vs_literal,
              route="two-sample KS between the package's two samplers"),
    ),
    parts=(
        Part("E[W2^2(N(mu_n, sigma_n^2), D_0)] -> infinity",
             ("w2-diverges", "exact-moments", "quadrature-moments", "literal-moments")),
        Part("sigma_n -> 0 almost surely", ("log-drift-negative", "quadrature-moments", "literal-moments")),
        Part("each generation refits the unbiased sample mean and variance of M samples of the previous one",
             ("one-step-moments", "one-step-pivots", "fast-pivots")),
    ),
    errata=(
        Erratum(paper="For the mathematical models to come, we consider alpha_i = gamma_i = 0, that is, data only "
                      "from a single step are used",
                correct="Theorem 3.1's chain is alpha_i = 1 (beta_i = gamma_i = 0): each generation is fitted only to "
                        "samples of the previous model. With alpha_i = gamma_i = 0, p_(i+1) = p_i = p_0: every "
                        "generation would be fitted to data of D_0, Var[mu_n] = sigma_0^2 / M for all n and nothing "
                        "collapses; the chain of the theorem has Var[mu_n] = n sigma_0^2 / M (exactly, from the draws)",
                check="exact-moments",
                where="section 'Theoretical intuition', definition of learning with generational data"),
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
        Check("unbiased-any-schedule", "consistency",
              "Var[mu_n] = sigma0^2 sum_(i<n) 1/M_i solves the recursion it was derived from", _check_schedule_unbiased),
        Check("schedule-exact", "symbolic",
              "E[sigma_n^2], E[sigma_n^4], Var[mu_n] for schedules equal their values computed exactly from the draws",
              _check_schedule_exact, route=_ROUTE_EXACT + ", schedules of unequal sizes"),
        Check("schedule-quadrature", "symbolic",
              "E[sigma_n] (prod rho_half(M_i)), E and Var of log sigma_n^2, E[W2^2] for schedules equal their "
              "quadrature values", _check_schedule_quadrature, route=_ROUTE_QUAD + ", schedules of unequal sizes"),
        Check("schedule-remainder", "symbolic",
              "unbiased: E[W2^2] - Var[mu_n] = 2 sigma0^2 (1 - prod rho_half(M_i)) in [0, 2 sigma0^2)",
              _check_schedule_remainder,
              route="the Gaussian W2 formula's square term with the certified multipliers 0 < rho_half < 1 = rho_1"),
        Check("mle-telescoping", "symbolic", "Var[mu_n] + E[sigma_n^2] = sigma0^2 for every MLE schedule",
              _check_schedule_mle, route="telescoping the one-step moments (mean step + rho_1 = 1), a second derivation"),
        Check("series-convergence", "symbolic",
              "w2_bounded decides sum 1/M_i for p-series and geometric schedules as the textbook tests do; MLE bounded",
              _check_series, route="known answers of the p-series and geometric tests"),
        Cited("digamma-trigamma-bounds",
              "log x - 1/(2x) - 1/(12x^2) <= psi(x) <= log x - 1/(2x) - 1/(12x^2) + 1/(120x^4) and "
              "1/x <= psi_1(x) <= 1/x + 1/x^2 for x > 0",
              "NIST DLMF 5.11.2 with the error bounds of section 5.11(ii); DLMF 5.15.1 with the integral test"),
        Check("drift-asymptotics", "symbolic",
              "M d(M) -> -1 (unbiased) or -2 (MLE) and M Var[log(sigma_(i+1)^2/sigma_i^2)] -> 2 as M -> infinity",
              _check_collapse_schedule,
              route="squeeze between digamma/trigamma bounds, and mpmath evaluation at M = 10^6, 10^7"),
        Cited("kolmogorov-series",
              "log sigma_n^2 is a sum of independent terms with means d(M_i) and variances v(M_i): if both series "
              "converge it converges a.s. (two-series theorem); if sum 1/M_i = infinity, then sum_(i<n) d(M_i) -> "
              "-infinity and the strong law for independent summands (Kolmogorov's criterion sum v_i / b_i^2 < "
              "infinity with Kronecker's lemma) gives log sigma_n^2 -> -infinity a.s.",
              "Kolmogorov's two-series theorem and Kronecker's lemma (Durrett, Probability: Theory and Examples, "
              "5th ed., section 2.5)"),
    ),
    evidence=(
        Check("schedule-literal", "simulation",
              "the literal chain over M_i = (3, 4) has E[sigma_2] = sigma0 prod rho_half(M_i), both estimators",
              _check_schedule_literal, route=_ROUTE_LITERAL + ", a schedule of unequal sizes"),
        Check("schedule-fast", "simulation",
              "E[sigma_n] levels off for M_i = 10(i+1)^2 and keeps falling for M_i = 10(i+1), as the schedule form says",
              _check_schedule_fast, route="the package's fast sampler under growing schedules"),
    ),
    parts=(
        Part("the unbiased chain has sup_n E[W2^2] < infinity iff sum_i 1/M_i < infinity",
             ("schedule-exact", "schedule-remainder", "series-convergence", "schedule-quadrature")),
        Part("the maximum-likelihood chain has E[W2^2] <= 2 sigma_0^2 for every schedule",
             ("mle-telescoping", "schedule-exact", "schedule-quadrature", "series-convergence")),
        Part("sigma_n^2 converges a.s. to a positive limit iff sum_i 1/M_i < infinity; sigma_n -> 0 a.s. iff "
             "sum_i 1/M_i = infinity (both estimators)",
             ("drift-asymptotics", "schedule-quadrature", "schedule-literal", "schedule-fast")),
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
        Cited("wendel", "Gamma(x + 1/2) < x^(1/2) Gamma(x) for x > 0, so rho_half^2 / rho_1 = Gamma(M/2)^2 / "
              "(Gamma((M-1)/2) Gamma((M+1)/2)) < 1: each geometric factor below is in (0, 1)",
              "Wendel, Note on the gamma function, Amer. Math. Monthly 55 (1948) 563-564"),
        Check("multipliers-below-one", "certificate",
              "0 < E[sigma_(i+1)] / sigma_i < 1 and E[sigma_(i+1)^2] / sigma_i^2 = 1 (unbiased) or in (0, 1) (MLE), "
              "for every M >= 2", _check_multipliers,
              route="decided Gamma identity for rho_half^2 / rho_1, Wendel's inequality, Arb balls at M = 2..200"),
        Check("limits-in-n", "symbolic",
              "limits n -> infinity of E[sigma_n^2], E[sigma_n], Var[mu_n], E[W2^2] from the certified multipliers",
              _check_estimator_limits, route="limits of the recursions' general solutions with the certified multipliers"),
        Check("estimators-exact", "symbolic",
              "both estimators: E[sigma_n^2], E[sigma_n^4], Var[mu_n] equal their exact values from the draws",
              _check_exact(G.ESTIMATORS), route=_ROUTE_EXACT),
        Check("estimators-quadrature", "symbolic",
              "both estimators: E[sigma_n], E[sigma_n^3], log moments, E[W2^2] equal their quadrature values",
              _check_quadrature(G.ESTIMATORS), route=_ROUTE_QUAD),
        Check("collapse-both", "certificate", "E[log sigma_(i+1)^2 / sigma_i^2] < 0 for both estimators and all M >= 2",
              _check_collapse_both, route="Arb ball arithmetic and a bisection certificate (as log-drift-negative)"),
    ),
    evidence=(
        Check("mle-bounded", "simulation", "MLE literal chain: E[sigma^2], E[sigma], Var[mu], E[W2^2], log moments at "
              "their closed forms", _check_mle_literal, route=_ROUTE_LITERAL + ", ddof 0"),
    ),
    parts=(
        Part("unbiased: E[sigma_n^2] = sigma_0^2, E[sigma_n] -> 0, Var[mu_n] -> infinity, E[W2^2] -> infinity",
             ("limits-in-n", "multipliers-below-one", "estimators-exact", "estimators-quadrature")),
        Part("MLE: E[sigma_n^2] -> 0, E[sigma_n] -> 0, Var[mu_n] -> sigma_0^2, E[W2^2] -> 2 sigma_0^2",
             ("limits-in-n", "multipliers-below-one", "estimators-exact", "estimators-quadrature", "mle-bounded")),
        Part("both collapse: sigma_n -> 0 almost surely", ("collapse-both", "estimators-quadrature", "mle-bounded")),
    ),
    errata=(
        Erratum(paper="A similar result holds more generally, which we detail in the Supplementary Materials.",
                correct="Only the collapse sigma_n -> 0 a.s. carries over to the maximum-likelihood variance (ddof 0, "
                        "np.std's default, used in the single-Gaussian experiment); E[W2^2] -> infinity does not: "
                        "with the MLE, E[W2^2] -> 2 sigma_0^2 and Var[mu_n] -> sigma_0^2, so the divergence of Theorem "
                        "3.1 rests on the unbiased variance estimator",
                check="limits-in-n",
                where="section 'Multidimensional Gaussian', before Theorem 3.1"),
    ),
)

ORDER = 10
CLAIMS = (THEOREM_3_1, SCHEDULE, ESTIMATORS_CLAIM)

#: (theory subcommand, output key) -> the independent check covering it (collapse theory gaussian --json [-r R])
THEORY_OUTPUTS = {("gaussian", key): "thm3.1-gaussian-collapse/literal-moments"
                  for key in ("E_sigma2", "E_sigma", "Var_mu", "E_W2sq", "E_log_sigma2", "Var_log_sigma2", "E_sigma2r")}
