"""Source edits of the weighting / verification derivations and of the literal samplers written from their definitions.

Files: analytic/weighting.py (every derived formula and the numbers `collapse advise` reads) and
proofs/weighting.py (the literal weight and rejection samplers, the first-step analysis of the rejection
loop). Claims: weighting-golden-ratio, curate-verification.
"""

from __future__ import annotations

from tests.proofs.source_mutations import Mutation

WG, CV = "weighting-golden-ratio", "curate-verification"
AW, PW = "analytic/weighting.py", "proofs/weighting.py"

MUTATIONS = [
    # ------------------------------------------------------------------ weighting: the moment recursion
    Mutation(AW, "var_m = sum(W**2 * v / c for", "var_m = sum(W**2 * v / (c + 1) for", (WG,),
             why="the variance of the weighted mean divides each group's variance by n_g + 1"),
    Mutation(AW, "second = sum(W * (v + m_**2) for", "second = sum(W * v for", (WG,),
             why="E[sum w_i x_i^2] without the groups' squared means (the mean-shift term of S is lost)"),
    Mutation(AW, '"sum_w2": sum(W**2 / c for', '"sum_w2": sum(W / c for', (WG,),
             why="sum_i w_i^2 taken as sum_i w_i / n_g: a wrong reliability-weight correction"),
    Mutation(AW, "(1 - w, n_s, mu0 + _e, s2)", "(1 - w, n_r, mu0 + _e, s2)", (WG,),
             why="the synthetic part counted with n_r points instead of n_s"),
    Mutation(AW, "[(w, n_r, mu0, sigma0**2), (1 - w", "[(w, n_r, mu0, sigma0), (1 - w", (WG,),
             why="the real points' variance sigma0 instead of sigma0^2"),
    Mutation(AW, 'out[1] = out[1] / (1 - g["sum_w2"])', 'out[1] = out[1] * (1 - g["sum_w2"])', (WG,),
             why="the unbiased weighted variance multiplies by 1 - sum w^2 instead of dividing"),
    Mutation(AW, "a1.subs(b, sigma0**2))", "a1.subs(b, sigma0**2 / 2))", (WG,),
             why="the known-variance chain draws synthetic data with half the variance"),
    Mutation(AW, "n_r * a_star.subs(n_s, K * n_r) / sigma0**2, n_r, sp.oo", "n_r * a_star.subs(n_s, n_r / K) / sigma0**2, "
             "n_r, sp.oo", (WG,), why="the leading order taken with n_s = n_r / K (K read the other way round)"),
    Mutation(AW, "num = sp.numer(sp.factor(sp.together(sp.diff(f, w))))",
             "num = sp.numer(sp.factor(sp.together(sp.diff(f * w, w))))", (WG,),
             why="the stationary point of w f(w, K) instead of f (a wrong minimiser)"),
    Mutation(AW, "return (sp.sqrt(k**2 + 4 * k) - k) / 2", "return (sp.sqrt(k**2 + 4 * k) + k) / 2", (WG,), fast=True,
             why="the paper's expression with the wrong sign of k"),
    Mutation(AW, "return 1 / (1 + K)", "return 1 / (2 + K)", (WG,),
             why="unweighted pooling taken as w = 1/(2 + K): not equal weights per point"),
    # ------------------------------------------------------------------ weighting: the numbers for `collapse advise`
    Mutation(AW, "optimal_weight_expr().subs(K, sp.Rational(repr(kv)))", "optimal_weight_expr().subs(K, 1 / sp.Rational(repr(kv)))",
             (WG,), why="optimal_weight(K) evaluates w* at 1/K (the paper's k read as K)"),
    Mutation(AW, "n_s: sp.Float(kv * nr, 30)", "n_s: sp.Float(nr, 30)", (WG,),
             why="limiting_moments uses n_s = n_real whatever K"),
    # ------------------------------------------------------------------ verification: Gaussian
    Mutation(AW, "- Q * (x - mu0) ** 2 / (2 * sigma0**2)", "- Q * (x - mu0) ** 2 / sigma0**2", (CV,),
             why="the verifier's log-acceptance without the 1/2: the kept precision gains 2Q/sigma0^2"),
    Mutation(AW, "sp.exp(sp.factor(c0 + m**2 / (2 * v)))", "sp.exp(sp.factor(c0 + m**2 / v))", (CV,),
             why="the acceptance probability with a wrong completed square"),
    Mutation(AW, "val = sp.integrate(dens / t,", "val = sp.integrate(dens / t**2,", (CV,),
             why="E[1/X^2] in place of E[1/X] for the chi-square"),
    Mutation(AW, ").subs(nu, M - 1)", ").subs(nu, M)", (CV,),
             why="the refit's chi-square with M degrees of freedom instead of M - 1"),
    Mutation(AW, 'return {"unbiased": 1, "mle": 0}[', 'return {"unbiased": 0, "mle": 0}[', (CV,),
             why="the unbiased refit divides by M instead of M - 1"),
    Mutation(AW, "{lam(0): 1 / sigma0**2}", "{lam(0): 2 / sigma0**2}", (CV,),
             why="E[1/sigma_n^2] started from twice the truth's precision"),
    Mutation(AW, '["v"] * (M - 1) / (M - _ddof(estimator))', '["v"] * M / (M - _ddof(estimator))', (CV,),
             why="E[chi2_(M-1)] taken as M: the variance map too large"),
    Mutation(AW, "{r(0): 1 / sigma0**2}", "{r(0): 1 / (2 * sigma0**2)}", (CV,),
             why="the variance bound started from 2 sigma0^2"),
    Mutation(AW, '+ kept["v"] / M', '+ kept["v"] / (M - 1)', (CV,),
             why="the mean of M kept points with variance v'/(M - 1)"),
    Mutation(AW, "(v.subs(s2, bound.subs(n, j)) / M for j", "(v.subs(s2, bound.subs(n, j)) / (M + 1) for j", (CV,),
             why="the mean's bound with increments v'/(M + 1): no longer a bound"),
    Mutation(AW, "sigma0**2 - 2 * sigma0 * sp.sqrt(B)", "sigma0**2 - sigma0 * sp.sqrt(B)", (CV,),
             why="the W2 lower bound without the factor 2 (not implied by Cauchy-Schwarz)"),
    Mutation(AW, "curate_mean_bound(gens, estimator) + B + sigma0**2", "curate_mean_bound(gens, estimator) + sigma0**2",
             (CV,), why="the W2 upper bound drops E sigma_n^2"),
    Mutation(AW, "Q: q, mu0: float(mu0_value)", "Q: q / 2, mu0: float(mu0_value)", (CV,),
             why="curate_gaussian_step evaluates the kept law at half the verifier strength"),
    # ------------------------------------------------------------------ verification: discrete
    Mutation(AW, "pi * (qi / top) ** sp.nsimplify(q)", "pi * (qi / top) ** (2 * sp.nsimplify(q))", (CV,),
             why="the tilt with exponent 2Q"),
    Mutation(AW, "(1 - ti) ** samples", "(1 - ti) ** (samples - 1)", (CV,),
             why="a symbol absent from M - 1 kept points instead of M"),
    Mutation(AW, "pt = tilted_pmf(p0, p0, q)", "pt = tilted_pmf(p0, p0, 0)", (CV,),
             why="the lost mass of the untilted (Q = 0) chain"),
    # ------------------------------------------------------------------ the literal samplers and exact routes
    Mutation(PW, 'shrink = 1.0 if estimator == "mle" else 1.0 - float(np.sum(wts**2))', "shrink = 1.0", (WG,),
             why="the weight sampler refits the weighted MLE variance where the unbiased one is asked for"),
    Mutation(PW, "syn = mean[:, None] + np.sqrt(var)[:, None] * rng.standard_normal((chains, n_syn))",
             "syn = mean[:, None] + rng.standard_normal((chains, n_syn))", (WG,),
             why="synthetic points drawn with unit variance instead of the fitted variance"),
    Mutation(PW, "return np.exp(-q * (x - mu0) ** 2 / (2 * sigma0**2))", "return np.exp(-q * (x - mu0) ** 2 / sigma0**2)",
             (CV,), why="the sampler's verifier accepts with (p0/max p0)^(2Q)"),
    Mutation(PW, "ok = rng.random(cand.shape) < accept(cand, todo)", "ok = rng.random(cand.shape) < accept(cand, todo) ** 0.5",
             (CV,), why="candidates accepted with the square root of a_Q (a weaker verifier)"),
    Mutation(PW, "tilt = (np.asarray(p0) / np.max(p0)) ** q", "tilt = (np.asarray(p0) / np.sum(p0)) ** q", (CV,),
             why="the discrete sampler normalises the acceptance by sum p0 instead of max p0",
             equivalent="scaling every acceptance probability by the same constant c = (max p0 / sum p0)^Q <= 1 only "
                        "adds rejections: each kept symbol still has law p(i) a(i) / sum_j p(j) a(j), so the refit's "
                        "law is unchanged (only the number of candidates grows, which this check does not test)"),
    Mutation(PW, "return [Fraction(pi) * ai / (1 - reject) for", "return [Fraction(pi) * ai for", (CV,),
             why="the first-step analysis drops the restart after a rejection (an unnormalised law)"),
]
