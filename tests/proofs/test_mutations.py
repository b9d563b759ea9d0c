"""Every check fails when the formula it checks is altered (a constant, a sign, an exponent).

Mutations of the Gaussian claims are below; other topics add theirs in
``tests/proofs/mutations_<topic>.py`` (a dict ``MUTATIONS`` from check name to a
function of pytest's ``monkeypatch``), merged here.

A verification that passes whatever the formula says is worse than none: for
each check of each claim, a mutation below alters one formula in ``analytic``
(or the fast sampler) and the check must then report ``fail`` or ``error``.
The test also asserts that the table covers every check of every claim, so a
new check cannot be added without showing that it can fail.
"""

from __future__ import annotations

import dataclasses

import pytest
import sympy as sp

from collapse.analytic import gaussian as G
from collapse.core.discover import submodules
from collapse.analytic import gaussian_mixing as X
from collapse.analytic import gaussian_nd as D
from collapse.proofs.core import Context, run_claims
from collapse.proofs.registry import all_claims
from collapse.simulate.families import gaussian as SG
from collapse.simulate.families import gaussian_nd as SND

M, n, s0, i, d = G.M, G.n, G.sigma0, G.i, D.d


def _analytic_caches():
    """Every cached derivation in every analytic module."""
    from collapse import analytic

    return [f for mod in submodules(analytic) for f in vars(mod).values()
            if callable(getattr(f, "cache_clear", None))]


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Derivations are cached; mutations must be seen, and must not leak into other tests."""
    caches = _analytic_caches()
    for f in caches:
        f.cache_clear()
    yield
    for f in caches:
        f.cache_clear()


def _alter_form(key, change):
    orig = G.closed_forms

    def patched(est):
        out = dict(orig(est))
        out[key] = change(out[key])
        return out

    return "closed_forms", patched


def _alter_step(key, change, estimators=G.ESTIMATORS):
    orig = G.one_step

    def patched(est, m=M):
        out = dict(orig(est, m))
        if est in estimators:
            out[key] = change(out[key])
        return out

    return "one_step", patched


def _alter(name, change, module=G):
    orig = getattr(module, name)
    return name, lambda *a, **k: change(orig(*a, **k))


def _alter_key(name, key, change, module=D):
    return _alter(name, lambda out: dict(out) | {key: change(out[key])}, module)


def _w2_plus_cross_term():
    orig = G.w2sq_gaussian_1d

    def patched():
        w = orig()
        m1, m2, s1, s2 = sorted(w.free_symbols, key=str)
        return w + s1 * s2 / 10  # a wrong constant in the cross term

    return "w2sq_gaussian_1d", patched


def _fast_sampler_wrong_df(module):
    def mutate(monkeypatch):
        orig = module._fast
        # chi-square with 2M - 1 degrees of freedom instead of M - 1, and a mean step of 1/(2M)
        monkeypatch.setattr(module, "_fast", lambda cfg, rng, *rest: orig(
            dataclasses.replace(cfg, schedule=tuple(2 * m for m in cfg.schedule)), rng, *rest))

    return mutate


def _literal_sampler_wider():
    """The package's literal sampler draws with 1.3 times the fitted variance."""
    def mutate(monkeypatch):
        orig = SG.GaussianFamily.sample
        monkeypatch.setattr(SG.GaussianFamily, "sample", lambda self, params, m, rng: orig(
            self, SG.GaussianParams(params.mean, params.var * 1.3), m, rng))

    return mutate


MUTATIONS = {
    # Theorem 3.1
    "one-step-moments": lambda mp: mp.setattr(G, *_alter_step("rho_1", lambda e: e * (1 + 1 / M))),
    "closed-forms-by-induction": lambda mp: mp.setattr(G, *_alter_form("Var_mu", lambda e: e.subs(M, M - 1))),
    "exact-moments": lambda mp: mp.setattr(G, *_alter_form("Var_mu", lambda e: e * (1 + 1 / (M + n + 1)))),
    "quadrature-moments": lambda mp: mp.setattr(G, *_alter_form("E_sigma", lambda e: e * (1 + 1 / M**3))),
    "w2-gaussian-formula": lambda mp: mp.setattr(G, *_w2_plus_cross_term()),
    "w2-diverges": lambda mp: mp.setattr(G, *_alter_form("E_W2sq", lambda e: e.subs(n, n + 1))),
    "log-drift-negative": lambda mp: mp.setattr(G, *_alter("log_drift", lambda e: e + 2 / (M - 1))),
    "one-step-pivots": _literal_sampler_wider(),
    "literal-moments": lambda mp: mp.setattr(G, *_alter_form("E_sigma2", lambda e: e * 21 / 20)),
    "fast-pivots": _fast_sampler_wrong_df(SG),
    "fast-equals-literal": _fast_sampler_wrong_df(SG),
    # schedules
    "unbiased-any-schedule": lambda mp: mp.setattr(G, *_alter("schedule_series", lambda d: d | {
        "Var_mu": d["Var_mu"].replace(lambda x: isinstance(x, sp.Sum), lambda x: x.func(x.function ** 2, *x.limits))})),
    "schedule-exact": lambda mp: mp.setattr(G, *_alter_step("mean_step", lambda e: e * (1 + 1 / M**2))),
    "schedule-quadrature": lambda mp: mp.setattr(G, *_alter_step("rho_half", lambda e: e * (1 + 1 / M**4))),
    "schedule-remainder": lambda mp: mp.setattr(G, *_alter("schedule_series", lambda d: d | {"E_sigma": 2 * d["E_sigma"]})),
    "mle-telescoping": lambda mp: mp.setattr(G, *_alter_step("rho_1", lambda e: sp.Integer(1), ("mle",))),
    "series-convergence": lambda mp: mp.setattr(G, "w2_bounded", lambda est, sched: True),
    "drift-asymptotics": lambda mp: mp.setattr(G, *_alter_step("log_var", lambda e: e * sp.sqrt(M))),
    "schedule-literal": lambda mp: mp.setattr(G, *_alter_step("rho_half", lambda e: e * (1 + 1 / (10 * M)))),
    "schedule-fast": _fast_sampler_wrong_df(SG),
    "multipliers-below-one": lambda mp: mp.setattr(G, *_alter_step("rho_half", lambda e: e * (1 + 2 / M))),
    "limits-in-n": lambda mp: mp.setattr(G, *_alter_form("Var_mu", lambda e: e.subs(n, n + 1))),
    "estimators-exact": lambda mp: mp.setattr(G, *_alter_form("E_sigma2r", lambda e: e * (1 + 1 / (M + n + 1)))),
    "estimators-quadrature": lambda mp: mp.setattr(G, *_alter_form("Var_log_sigma2", lambda e: e * (1 + 1 / M**2))),
    "collapse-both": lambda mp: mp.setattr(G, *_alter("log_drift", lambda e: e + 2 / (M - 1))),
    "mle-bounded": lambda mp: mp.setattr(G, *_alter_form("E_W2sq", lambda e: 3 * e / 2)),
    # d dimensions
    "bartlett-mean": lambda mp: mp.setattr(D, *_alter("bartlett_gram_mean", lambda t: (t[0] + 1, t[1]), D)),
    "nd-closed-forms-by-induction": lambda mp: mp.setattr(D, *_alter_key("closed_forms_nd", "E_logdet", lambda e: 2 * e)),
    "nd-exact": lambda mp: mp.setattr(D, *_alter_key("closed_forms_nd", "Cov_mu_factor", lambda e: 2 * e)),
    "nd-logdet-multigamma": lambda mp: mp.setattr(D, *_alter_key("closed_forms_nd", "Var_logdet",
                                                                 lambda e: e * (1 + 1 / M**2))),
    "det-shrinks": lambda mp: mp.setattr(D, *_alter_key("one_step_nd", "det_r", lambda e: e ** 2)),
    "logdet-drift-negative": lambda mp: mp.setattr(D, *_alter_key("one_step_nd", "logdet_drift",
                                                                  lambda e: e + 2 * d / (M - d))),
    "nd-w2-diverges": lambda mp: mp.setattr(D, *_alter_key("closed_forms_nd", "E_W2sq_lower", lambda e: e.subs(n, 1))),
    "nd-literal-moments": lambda mp: mp.setattr(D, *_alter_key("closed_forms_nd", "Var_logdet", lambda e: e * 21 / 20)),
    "nd-fast-equals-literal": _fast_sampler_wrong_df(SND),
    "nd-directional": _fast_sampler_wrong_df(SND),
    # real data mixed in
    "mix-fixed-point": lambda mp: mp.setattr(X, *_alter("mix_fixed_point", lambda x: x.applyfunc(lambda e: 2 * e), X)),
    "mix-contraction": lambda mp: mp.setattr(X, *_alter("mix_recursion", lambda Ab: (Ab[0] + sp.diag(0, 1), Ab[1]), X)),
    "mix-stationary": lambda mp: mp.setattr(X, *_alter("mix_recursion", lambda Ab: (Ab[0], 2 * Ab[1]), X)),
    "retrain-contraction": lambda mp: mp.setattr(X, *_alter("retrain_recursion", lambda rn: (1 / rn[0], rn[1]), X)),
    "retrain-stationary": lambda mp: mp.setattr(X, *_alter("retrain_fixed_point", lambda e: 2 * e, X)),
}


def _merge_topic_tables() -> None:
    """Other topics keep their mutations in tests/proofs/mutations_<topic>.py (a MUTATIONS dict)."""
    import tests.proofs as pkg

    for mod in submodules(pkg):
        if mod.__name__.rsplit(".", 1)[-1].startswith("mutations_"):
            table = mod.MUTATIONS
            clash = set(table) & set(MUTATIONS)
            assert not clash, f"check names defined twice: {clash}"
            MUTATIONS.update(table)


_merge_topic_tables()


def _all_checks():
    return [(claim, check) for claim in all_claims() for check in claim.checks]


def test_every_check_has_a_mutation():
    names = {check.name for _, check in _all_checks()}
    assert names <= set(MUTATIONS), f"checks without a mutation test: {sorted(names - set(MUTATIONS))}"


@pytest.mark.parametrize("claim, check", [pytest.param(c, k, id=f"{c.id}:{k.name}") for c, k in _all_checks()])
def test_check_fails_under_mutation(claim, check, monkeypatch):
    MUTATIONS[check.name](monkeypatch)
    [result] = run_claims([claim], Context())
    step = next(s for s in result.steps if s.name == check.name)
    assert step.status in ("fail", "error"), f"{check.name} still passes after its formula was altered: {step.detail}"
    assert result.status == "fail"


def test_claims_pass_unmutated():
    results = run_claims(all_claims(), Context())
    bad = [(r.id, s.name, s.detail) for r in results for s in r.steps if s.status not in ("pass", "cited")]
    assert not bad
