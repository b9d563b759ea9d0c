"""Mutations of the follow-up literature's checks (proofs/literature.py): each alters one formula the check reads.

Most alter a closed form of :mod:`collapse.analytic.literature`; two alter the formula side that lives in
:mod:`collapse.proofs.literature` itself: the exact law of Sigma_k (its scale c, checked by the literal chains)
and the binomial chain's transition matrix (checked against the enumerated multinomial chain). None alters a
check's independent route (the Gil-Pelaez oracle's quadrature, the multinomial enumeration, the literal
samplers, the Gaussian moment algebra of the literal points, the rational partial sums).
"""

from __future__ import annotations

import math
from fractions import Fraction

import flint
import sympy as sp
from collapse.analytic import gaussian as G
from collapse.analytic import literature as L
from collapse.proofs import literature as P


def _alter(name, change, module=L):
    orig = getattr(module, name)
    return name, lambda *a, **k: change(orig(*a, **k))


def _alter_step(change):
    """augment_variance_step's dict with some moments replaced: change(st) -> the replaced entries."""
    return _alter("augment_variance_step", lambda st: st | change(st))


def _extinction_one_generation_late(mp):
    """exp(-lambda r_k) for generation k: the Galton-Watson line iterated once too often."""
    orig = L.unigram_extinction_upper
    mp.setattr(L, "unigram_extinction_upper", lambda generation: orig(generation + 1))


def _g_composed_once_more(mp):
    """g_k = g^(o (k+1))(oo): g composed once too often."""
    orig = L.notebook_g
    mp.setattr(L, "notebook_g", lambda generation: orig(generation + 1))


def _laplace_smoothed_chain(mp):
    """The binomial chain refitted with the add-one frequency (i + 1)/(M + 2) instead of i/M."""
    def wf(samples):
        m = samples
        rows = []
        for i in range(m + 1):
            p = Fraction(i + 1, m + 2)
            rows.extend(flint.fmpq(v.numerator, v.denominator)
                        for v in (math.comb(m, k) * p**k * (1 - p) ** (m - k) for k in range(m + 1)))
        return flint.fmpq_mat(m + 1, m + 1, rows)

    mp.setattr(P, "wf_matrix", wf)


def _band(change):
    return _alter("unigram_survival_band", change)


def _decay():
    return sp.exp(-G.M * L.p0 * L.gk)


MUTATIONS = {
    # ---------------------------------------------------------------- suresh-gaussian-tail
    # Markov's numerator with rho^(k+1): one generation too many
    "gaussian-tail-markov": lambda mp: mp.setattr(L, *_alter("gaussian_tail_markov", lambda e: e.subs(G.n, G.n + 1))),
    # the Taylor polynomial of log(1 + u) stopped one term early (u - u^2/2 is a lower bound, not an upper one)
    "rho-below-exp": lambda mp: mp.setattr(L, "log1p_upper", lambda: sp.series(sp.log(1 + L.u), L.u, 0, 3).removeO()),
    # exp(-k/(2n)) in place of exp(-k/(4n)): false at n = 5, k = 100, eps = sigma_0 (on the grid)
    "gaussian-tail-exact": lambda mp: mp.setattr(L, *_alter("gaussian_tail_bound", lambda e: e.subs(G.n, 2 * G.n))),
    # (sigma_0/eps)^2 in place of sigma_0/eps: the stated bound itself then fails at the second reading's witness
    "gaussian-tail-readings": lambda mp: mp.setattr(L, *_alter("gaussian_tail_bound", lambda e: e * G.sigma0 / L.eps)),
    # the notebook's curve without its one-generation shift (exp(-k/(4n)) at generation k)
    "gaussian-tail-notebook": lambda mp: mp.setattr(L, *_alter("gaussian_tail_notebook", lambda e: e.subs(G.n, G.n - 1))),
    # the exact law of Sigma_k with the MLE's scale c = n for the unbiased refit (ddof dropped)
    "gaussian-tail-literal": lambda mp: mp.setattr(P, "_scale", lambda estimator, n: n),
    # ---------------------------------------------------------------- suresh-unigram-survival
    # the binomial chain's success probability Laplace-smoothed: no longer the multinomial marginal
    "unigram-lumpable": _laplace_smoothed_chain,
    # the extinction bound exp(-lambda r_k) in place of exp(-lambda r_(k-1))
    "unigram-pgf-comparison": _extinction_one_generation_late,
    # the 1/k dropped: 1 - exp(-lambda) at every generation
    "unigram-survival-exact": lambda mp: mp.setattr(L, *_alter("unigram_survival_lower", lambda e: e.subs(G.n, 1))),
    # the lower edge with g_k dropped: 1 - exp(-n p_0)
    "unigram-band-exact": lambda mp: mp.setattr(L, *_band(lambda b: (1 - sp.exp(-G.M * L.p0), b[1]))),
    # 2/(k + 2) in place of 2/(k + 1)
    "notebook-g-band-proof": lambda mp: mp.setattr(L, "notebook_g_sharp_upper", lambda: 2 / (G.n + 2)),
    # g composed k + 1 times
    "notebook-g-band-balls": _g_composed_once_more,
    # the upper edge's correction with the wrong sign: 1 - (1 + 3 n p_0^2 + 3 k p_0) exp(-n p_0 g_k)
    "unigram-literal": lambda mp: mp.setattr(L, *_band(lambda b: (
        b[0], 1 - (1 + 3 * G.M * L.p0**2 + 3 * G.n * L.p0) * _decay()))),
    # ---------------------------------------------------------------- dey-donoho-augment
    # E[F] with the pooled denominator N + n in place of N + n - d
    "augment-factor": lambda mp: mp.setattr(L, *_alter_step(lambda st: {
        "EF": st["EF"] * (L.N + G.M - st["ddof"]) / (L.N + G.M)})),
    # E[F^2] taken as E[F]^2 (the factor's variance dropped)
    "augment-literal-moments": lambda mp: mp.setattr(L, *_alter_step(lambda st: {"EF2": st["EF"] ** 2})),
    # the augment step's limit at N = (j + 1) n: the partial sums shift by one generation
    "augment-asymptotic": lambda mp: mp.setattr(L, *_alter("asymptotic_steps", lambda s: s | {
        "var_augment": s["var_augment"].subs(L.j, L.j + 1)})),
    # the discard risk one generation late: n risk_g / 2 -> g + 1
    "augment-large-n": lambda mp: mp.setattr(L, *_alter("discard_variance_risk", lambda e: e.subs(G.n, G.n + 1))),
    # the discard risk from the MLE's moments whatever the estimator: the unbiased risk stays bounded
    "augment-finite-bound": lambda mp: mp.setattr(L, "discard_variance_risk", lambda estimator, _o=L.discard_variance_risk:
                                                  _o("mle")),
    # E[F_0^2] taken as E[F_0]^2 for the real-data fit (the chi-square variance dropped)
    "augment-loop": lambda mp: mp.setattr(L, *_alter_step(lambda st: {"EF02": st["EF0"] ** 2})),
}
