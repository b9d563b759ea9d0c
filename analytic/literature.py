r"""Closed forms behind two results that followed the paper, derived by sympy.

**Suresh, Thangaraj & Khandavally**, "Rate of model collapse in recursive training",
AISTATS 2025 (PMLR 258:1396-1404, arXiv:2412.17646).

*Gaussian standard deviation.* Refitting N(mu, sigma^2) by the sample mean and the
unbiased sample variance on n of its own draws, Sigma_k^2 = sigma_0^2 prod_(i<k) X_i / c
with X_i ~ chi2_(n-1) independent, c = n - 1 (c = n for the maximum-likelihood variance).
Markov's inequality on Sigma_k gives Pr(Sigma_k > eps) <= E[Sigma_k] / eps =
(sigma_0 / eps) rho^k with rho = E[sqrt(X / c)] (:func:`gaussian_tail_markov`, from
:func:`collapse.analytic.gaussian.one_step`), and rho <= exp(-1/(4n)) turns it into the
reported bound (sigma_0 / eps) exp(-k/(4n)) (:func:`gaussian_tail_bound`). The last step
needs an upper bound on log rho = log Gamma(y + 1/2) - log Gamma(y) - log(y)/2, y = (n-1)/2:
Stirling's series with its remainder (:func:`stirling_series`) and the cubic Taylor bound on
log(1 + u) give the rational function :func:`log_rho_upper`. The authors' notebook draws a
different curve: its bound list holds the stated bound for k = 1, ..., ng (capped at 1) and is
plotted at generations 0, ..., ng - 1, so the curve at generation k is
min(1, (sigma_0 / eps) exp(-(k + 1)/(4n))) (:func:`gaussian_tail_notebook`).

*A unigram symbol.* Resampling n tokens from the empirical distribution, the count X of
one symbol is the binomial chain X' ~ Binomial(n, X/n). Its pgf lies below the Poisson
pgf, (1 - p(1 - s))^n <= exp(-n p (1 - s)) (:func:`binomial_poisson_log_gap` <= 0), so
the extinction probability is at most that of the critical Poisson(1) Galton-Watson line,
P(X_k = 0 | X_0 = lambda) <= exp(-lambda r_(k-1)) (:func:`unigram_extinction_upper`), and
r_(k-1) >= 1/k gives Pr(Theta_(k,i) != 0) >= 1 - exp(-lambda_i / k), the form of
:func:`collapse.analytic.rates.suresh_survival_lower` with m = lambda_i, t = k
(:func:`unigram_survival_lower`). The authors' notebook states a band (its Theorem 1 for the Bernoulli
chain, its Corollary 1 for each unigram symbol): with p_0 = lambda/n and g_k = g^(o k)(oo), g(x) = 1 - e^(-x)
(:func:`notebook_g`; g_k = r_(k-1)), Pr(P_k != 0) lies in [1 - exp(-n p_0 g_k), 1 - (1 - 3 n p_0^2 - 3 k p_0)
exp(-n p_0 g_k)] (:func:`unigram_survival_band`), and g_k lies in [1/k, 3/k] (:func:`notebook_g_band`); the
sharper g_k <= 2/(k + 1) follows from e^x <= (2 + x)/(2 - x) on [0, 2) (:func:`notebook_g_sharp_upper`).

**Dey & Donoho**, "Universality of the pi^2/6 pathway in avoiding model collapse"
(arXiv:2410.22812). *Augment*: every generation adds n draws of the latest fit to all the
data so far (the real data first) and refits on the pool with equal weights; *discard*:
each generation refits on its own n draws only. For the Gaussian variance, the pooled sum
of squares merges as SS' = SS + sigma^2 (X + (N / (N + n)) Z^2) (Chan et al.), so with
sigma^2 = SS / (N - d) (d = 1 unbiased, 0 maximum likelihood) sigma'^2 = sigma^2 F with
F = (N - d + X + (N / (N + n)) Z^2) / (N + n - d) independent of the past
(:func:`augment_variance_step`); E[sigma_g^2] and E[sigma_g^4] are products, and so is the
exact risk E[(sigma_g^2 - sigma_0^2)^2] (:func:`augment_variance_values`). As n -> oo with
the generation fixed, n times the risk over the real-data risk's n-limit is
sum_(j=1)^g 1/j^2 (:func:`augment_relative_risk`) -> pi^2/6 (:func:`augment_limit`): the
asymptotic relative efficiency 6/pi^2 (:func:`augment_efficiency`); discard gives g
(:func:`discard_relative_risk`). The mean's per-generation step comes from
:func:`collapse.analytic.gaussian.accumulate_step` (the claim gaussian-accumulate-vs-replace).
"""

from __future__ import annotations

import functools
from fractions import Fraction

import sympy as sp

from collapse.analytic import gaussian as G
from collapse.analytic import rates as R
from collapse.core.validation import check_choice, check_int

__all__ = [
    "eps", "y", "u", "z", "N", "j", "lam",
    "gaussian_tail_bound", "gaussian_tail_notebook", "gaussian_tail_markov", "log_rho", "stirling_series",
    "lgamma_bounds", "log_rho_upper", "log1p_upper",
    "binomial_poisson_log_gap", "unigram_extinction_upper", "unigram_survival_lower",
    "p0", "gk", "notebook_g", "unigram_survival_band", "notebook_g_band", "notebook_g_sharp_upper",
    "augment_variance_step", "augment_variance_values", "discard_variance_risk",
    "asymptotic_steps", "augment_relative_risk", "augment_limit", "augment_efficiency",
    "discard_relative_risk", "augment_mean_relative_risk",
]

eps = sp.Symbol("epsilon", positive=True)  # the threshold on Sigma_k
y = sp.Symbol("y", positive=True)  # (n - 1) / 2: half the chi-square degrees of freedom
u = sp.Symbol("u", positive=True)
z = sp.Symbol("z", positive=True)  # the argument of log Gamma
N = sp.Symbol("N", integer=True, positive=True)  # points pooled before a generation
j = R.j  # generation index in sums (that of rates._sum_to, which finds harmonic numbers)
lam = sp.Symbol("lambda", positive=True)  # a symbol's count in the original corpus
p0 = sp.Symbol("p_0", positive=True)  # its initial frequency lambda / n
gk = sp.Symbol("g_k", positive=True)  # g^(o k)(oo), g(x) = 1 - e^(-x)
_X = sp.Symbol("X", positive=True)  # chi-square variable
_Z = sp.Symbol("Z", real=True)  # standard normal variable


# ------------------------------------------------------------------ Suresh et al.: Gaussian
@functools.cache
def gaussian_tail_bound() -> sp.Expr:
    """(sigma_0 / eps) exp(-k / (4 n)) in the symbols of :mod:`.gaussian` (M = n samples, n = k generations)."""
    return G.sigma0 / eps * sp.exp(-G.n / (4 * G.M))


@functools.cache
def gaussian_tail_notebook() -> sp.Expr:
    """The curve the authors' notebook plots at generation k (M = n samples, n = k in :mod:`.gaussian`).

    Typed from simulations.ipynb (github.com/berserank/rate-of-model-collapse): ``our_bounds_probability``
    appends ``min(1, (sigma_0/eps) * np.exp(-k/(4*(n))))`` for ``k in range(1, ng+1)``, and the plot cell
    draws ``plt.plot(range(0,ng)[::dist], upper_bound[::dist], ...)`` against simulated frequencies whose
    entry i is generation i (entry 0 is sigma_0): the value drawn at generation k is that of k + 1,
    min(1, (sigma_0/eps) exp(-(k + 1)/(4n))).

    References:
        Suresh, Thangaraj, Khandavally, simulations.ipynb, cells DyRGXBWvGqjX and 099ntxmvGr4E.
    """
    return sp.Min(1, G.sigma0 / eps * sp.exp(-(G.n + 1) / (4 * G.M)))


@functools.cache
def gaussian_tail_markov(estimator: str) -> sp.Expr:
    """Markov's inequality on Sigma_k: E[Sigma_k] / eps = (sigma_0 / eps) rho^k.

    Sigma_k / sigma_0 is a product of k independent ratios sqrt(sigma'^2 / sigma^2), each of mean
    rho = ``one_step(...)["rho_half"]`` (the half moment of :func:`collapse.analytic.gaussian.one_step`).
    """
    return G.sigma0 / eps * G.one_step(estimator)["rho_half"] ** G.n


@functools.cache
def log_rho(estimator: str) -> sp.Expr:
    """log E[sqrt(sigma'^2 / sigma^2)], one generation, as a function of M (= n samples)."""
    return sp.log(G.one_step(estimator)["rho_half"])


def stirling_series(z: sp.Expr, terms: int) -> sp.Expr:
    r"""Stirling's series of log Gamma(z) with ``terms`` Bernoulli terms.

    (z - 1/2) log z - z + log(2 pi)/2 + sum_(i=1)^terms B_(2i) / (2i (2i - 1) z^(2i - 1)); for
    real z > 0 the error has the sign of the first omitted term and is smaller in magnitude
    (DLMF 5.11.ii), so one term bounds log Gamma from above and two from below.
    """
    terms = check_int("terms", terms, minimum=0)
    tail = sum((sp.bernoulli(2 * i) / (2 * i * (2 * i - 1) * z ** (2 * i - 1)) for i in range(1, terms + 1)),
               sp.Integer(0))
    return (z - sp.Rational(1, 2)) * sp.log(z) - z + sp.log(2 * sp.pi) / 2 + tail


@functools.cache
def lgamma_bounds() -> tuple[sp.Expr, sp.Expr]:
    """(upper, lower) bounds on log Gamma(z) for real z > 0: Stirling's series with one and two terms."""
    return stirling_series(z, 1), stirling_series(z, 2)


@functools.cache
def log1p_upper() -> sp.Expr:
    """The cubic Taylor polynomial of log(1 + u): an upper bound for u > 0 (alternating series)."""
    return sp.series(sp.log(1 + u), u, 0, 4).removeO()


@functools.cache
def log_rho_upper() -> sp.Expr:
    r"""A rational upper bound on log(Gamma(y + 1/2) / (sqrt(y) Gamma(y))) for y > 0.

    log Gamma(y + 1/2) <= S_1(y + 1/2), log Gamma(y) >= S_2(y) (:func:`lgamma_bounds`);
    the difference's logarithms combine to y log(1 + 1/(2y)), bounded by :func:`log1p_upper`.
    """
    upper, lower = lgamma_bounds()
    raw = upper.subs(z, y + sp.Rational(1, 2)) - lower.subs(z, y) - sp.log(y) / 2
    raw = sp.expand(sp.expand_log(raw, force=True))
    w = sp.Symbol("w", positive=True)  # log(1 + 1/(2y)), standing for log(y + 1/2) - log(y)
    raw = sp.expand(raw.subs(sp.log(y + sp.Rational(1, 2)), sp.log(y) + w))
    if sp.simplify(raw.coeff(sp.log(y))) != 0:  # pragma: no cover - the Stirling terms did not combine
        raise RuntimeError(f"log y does not cancel in {raw}")
    raw = raw.subs(sp.log(y), 0)
    # w appears only as y * w (the coefficient of w is y): bound it by the Taylor cubic of log(1 + 1/(2y))
    return sp.factor(sp.together(raw.subs(w, log1p_upper().subs(u, 1 / (2 * y)))))


# ------------------------------------------------------------------ Suresh et al.: unigram symbol
@functools.cache
def binomial_poisson_log_gap() -> sp.Expr:
    """log E[s^X] - log E[s^Y] for X ~ Binomial(M, p), Y ~ Poisson(M p): <= 0 for s in [0, 1]."""
    return sp.expand_log(sp.log(R.binomial_pgf()) - sp.log(R.poisson_pgf().subs(R.x, R.M * R.p)), force=True)


def unigram_extinction_upper(generation: int) -> sp.Expr:
    """exp(-lambda r_(k-1)): P(X_k = 0 | X_0 = lambda) <= this, with r_0 = 1, r_(i+1) = 1 - f(1 - r_i).

    f is the Poisson(1) offspring pgf (:func:`collapse.analytic.rates.offspring_pgf`);
    ``generation`` k >= 1.
    """
    k = check_int("generation", generation, minimum=1)
    f, r = R.offspring_pgf(), sp.Integer(1)
    for _ in range(k - 1):
        r = 1 - f.subs(R.s, 1 - r)
    return sp.exp(-lam * r)


@functools.cache
def unigram_survival_lower() -> sp.Expr:
    """1 - exp(-lambda / k): :func:`collapse.analytic.rates.suresh_survival_lower` with m = lambda, t = k = G.n."""
    return R.suresh_survival_lower().subs({R.m: lam, R.t: G.n})


@functools.cache
def notebook_g(generation: int) -> sp.Expr:
    """g_k = g^(o k)(oo) with g(x) = 1 - e^(-x): g composed k times, started at infinity (g(oo) = 1).

    Typed from the notebook's definition ("g_k = g^(o k)(oo) ... g^(o k) denotes g composed k times");
    ``generation`` k >= 1.
    """
    k = check_int("generation", generation, minimum=1)
    x = 1 - sp.exp(-sp.oo)  # g(oo) = 1
    for _ in range(k - 1):
        x = 1 - sp.exp(-x, evaluate=False)  # unevaluated: sympy's rewriting of nested exponentials is quadratic in k
    return x


@functools.cache
def unigram_survival_band() -> tuple[sp.Expr, sp.Expr]:
    """(lower, upper) edges of the notebook's band for Pr(P_k != 0), in n = G.M, p_0, k = G.n and g_k.

    lower = 1 - exp(-n p_0 g_k), upper = 1 - (1 - 3 n p_0^2 - 3 k p_0) exp(-n p_0 g_k).

    References:
        Suresh, Thangaraj, Khandavally, simulations.ipynb (github.com/berserank/rate-of-model-collapse), markdown
        cell m8Oghl4rk6lt (Theorem 1, Bernoulli) and h3xd2EDaOs4V (Corollary 1, unigram symbols).
    """
    n, k = G.M, G.n
    decay = sp.exp(-n * p0 * gk)
    return 1 - decay, 1 - (1 - 3 * n * p0**2 - 3 * k * p0) * decay


@functools.cache
def notebook_g_band() -> tuple[sp.Expr, sp.Expr]:
    """(1/k, 3/k): the interval the notebook states for g_k (k = G.n)."""
    return 1 / G.n, 3 / G.n


@functools.cache
def notebook_g_sharp_upper() -> sp.Expr:
    """2/(k + 1): g_k <= this for every k >= 1 (1/g(x) >= 1/x + 1/2 on (0, 2), from e^x <= (2 + x)/(2 - x))."""
    return 2 / (G.n + 1)


# ------------------------------------------------------------------ Dey & Donoho: augment vs discard
@functools.cache
def _normal_moment(order: int) -> sp.Expr:
    phi = sp.exp(-_Z**2 / 2) / sp.sqrt(2 * sp.pi)
    return sp.integrate(_Z**order * phi, (_Z, -sp.oo, sp.oo))


@functools.cache
def _chi2_integer_moment(order: int) -> sp.Expr:
    """E[X^order], X ~ chi2_(M-1), as a polynomial in M (from the chi-square moment)."""
    return sp.expand(sp.gammasimp(sp.expand_func(G.chi2_moment().subs({G.r: order, G.k: G.M - 1}))))


def _expect_xz(expr: sp.Expr) -> sp.Expr:
    """E of a polynomial in X ~ chi2_(M - 1) and Z ~ N(0, 1), independent (chi-square and normal moments)."""
    num, den = sp.fraction(sp.together(expr))
    out = sp.Integer(0)
    for (a, b), coeff in sp.Poly(sp.expand(num), _X, _Z).terms():
        out += coeff * (_chi2_integer_moment(a) if a else 1) * _normal_moment(b)
    return sp.factor(sp.cancel(out / den))


@functools.cache
def augment_variance_step(estimator: str) -> dict[str, sp.Expr]:
    r"""One augment generation of the pooled variance: sigma'^2 = sigma^2 F.

    In the symbols :data:`N` (points pooled before, N >= 1) and ``G.M`` (n new points):
    F = (N - d + X + (N / (N + M)) Z^2) / (N + M - d), X ~ chi2_(M-1), Z ~ N(0, 1).
    Returns ``EF``, ``EF2`` (E[F], E[F^2]) and, for the real-data fit (N = 0, SS = 0),
    ``EF0``, ``EF02`` (F_0 = X / (M - d)), and ``ddof``.
    """
    d = 1 if check_choice("estimator", estimator, G.ESTIMATORS) == "unbiased" else 0
    M = G.M
    F = (N - d + _X + N / (N + M) * _Z**2) / (N + M - d)
    F0 = _X / (M - d)
    return {"EF": _expect_xz(F), "EF2": _expect_xz(F**2), "EF0": _expect_xz(F0),
            "EF02": _expect_xz(F0**2), "ddof": sp.Integer(d)}


@functools.cache
def _step_functions(estimator: str):
    """E[F], E[F^2] of (N, M) and E[F_0], E[F_0^2] of M as exact rational functions (Fractions in, Fractions out)."""
    st = augment_variance_step(estimator)
    return (sp.lambdify((N, G.M), st["EF"], modules=[{}]), sp.lambdify((N, G.M), st["EF2"], modules=[{}]),
            sp.lambdify(G.M, st["EF0"], modules=[{}]), sp.lambdify(G.M, st["EF02"], modules=[{}]))


def augment_variance_values(estimator: str, samples: int, generations: int) -> dict[str, list[Fraction]]:
    """Exact E[sigma_g^2], E[sigma_g^4] and E[(sigma_g^2 - 1)^2] under augment, sigma_0 = 1, g = 0..G (rationals).

    Generation g >= 1 is fitted on g batches of ``samples`` points (the first one real).
    """
    m = check_int("samples (n)", samples, minimum=2)
    gens = check_int("generations", generations, minimum=0)
    ef, ef2, ef0, ef02 = _step_functions(estimator)
    e2, e4 = Fraction(1), Fraction(1)
    out = {"E_sigma2": [e2], "E_sigma4": [e4], "risk": [Fraction(0)]}
    for g in range(gens):
        if g == 0:
            a, b = Fraction(ef0(Fraction(m))), Fraction(ef02(Fraction(m)))
        else:
            a, b = Fraction(ef(Fraction(g * m), Fraction(m))), Fraction(ef2(Fraction(g * m), Fraction(m)))
        e2, e4 = e2 * a, e4 * b
        out["E_sigma2"].append(e2)
        out["E_sigma4"].append(e4)
        out["risk"].append(e4 - 2 * e2 + 1)
    return out


@functools.cache
def discard_variance_risk(estimator: str) -> sp.Expr:
    """E[(sigma_g^2 - sigma_0^2)^2] when each generation discards the data: Theorem 3.1's moments (M, n = g)."""
    forms = G.closed_forms(estimator)
    e4 = sp.expand_func(forms["E_sigma2r"].subs(G.r, 2))
    return sp.simplify(e4 - 2 * G.sigma0**2 * forms["E_sigma2"] + G.sigma0**4)


@functools.cache
def asymptotic_steps(estimator: str) -> dict[str, sp.Expr]:
    r"""Per-generation n-limits of n times the risk increments (real-data fit: index 0; then j >= 1).

    ``var_real``     lim n E[(F_0 - 1)^2]                      (the real-data variance risk, times n / sigma^4);
    ``var_augment``  lim n E[(F - 1)^2] at N = j n, a function of j;
    ``var_discard``  lim n E[(F_0 - 1)^2] for every generation (each refits on n points of its own);
    ``mean_augment`` lim n mean_step(N = j n) (accumulate_step), j >= 0;
    ``mean_real``    the same at j = 0.
    E[sigma_j^2] -> sigma_0^2 and the cross terms of the risk recursion are O(1/n^2).
    """
    st, M = augment_variance_step(estimator), G.M

    def lim(expr: sp.Expr) -> sp.Expr:  # a rational function of M: compare the degrees (sympy's limit is slow)
        num, den = (sp.Poly(part, M) for part in sp.fraction(sp.cancel(sp.together(expr))))
        if num.degree() > den.degree():
            return sp.oo * sp.sign(num.LC() / den.LC())
        return sp.simplify(num.LC() / den.LC()) if num.degree() == den.degree() else sp.Integer(0)

    real = lim(M * (st["EF02"] - 2 * st["EF0"] + 1))
    aug = lim(M * (st["EF2"] - 2 * st["EF"] + 1).subs(N, j * M))
    acc = G.accumulate_step(estimator)
    mean = lim(M * acc["mean_step"].subs(acc["N"], j * M))
    return {"var_real": sp.simplify(real), "var_augment": sp.simplify(aug), "var_discard": sp.simplify(real),
            "mean_augment": sp.simplify(mean), "mean_real": sp.simplify(mean.subs(j, 0))}


@functools.cache
def augment_relative_risk(estimator: str) -> sp.Expr:
    """lim_n risk_g / lim_n risk_1 (both times n) under augment: sum_(j=1)^g 1/j^2 (g = G.n generations)."""
    s = asymptotic_steps(estimator)
    # generation 1 is the real-data fit; generation i + 1 adds the step at N = i n
    total = s["var_real"] + R._sum_to(s["var_augment"].subs(j, j + 1), G.n - 1)
    return sp.simplify(total / s["var_real"])


@functools.cache
def augment_mean_relative_risk(estimator: str) -> sp.Expr:
    """The mean's: lim_n E[(mu_g - mu_0)^2] / lim_n E[(mu_1 - mu_0)^2] = sum_(j=1)^g 1/j^2."""
    s = asymptotic_steps(estimator)
    return sp.simplify(R._sum_to(s["mean_augment"], G.n) / s["mean_real"])


@functools.cache
def augment_limit(estimator: str) -> sp.Expr:
    """sup_g (= lim_g) of :func:`augment_relative_risk`: pi^2 / 6."""
    return sp.simplify(sp.limit(augment_relative_risk(estimator), G.n, sp.oo))


@functools.cache
def augment_efficiency(estimator: str) -> sp.Expr:
    """The asymptotic relative efficiency of augment against the real data alone: 1 / :func:`augment_limit`."""
    return sp.simplify(1 / augment_limit(estimator))


@functools.cache
def discard_relative_risk(estimator: str) -> sp.Expr:
    """lim_n risk_g / risk_1 (times n) under discard: g (linear in the generation)."""
    s = asymptotic_steps(estimator)
    return sp.simplify(R._sum_to(s["var_discard"], G.n) / s["var_real"])
