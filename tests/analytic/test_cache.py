"""The derivation cache: trees equal to the derivations, numbers equal to sympy's, invalidation, no sympy warm.

Every test runs with ``COLLAPSE_CACHE_DIR`` in a temporary folder (the user's cache
is never touched) and with an empty in-process memo of :mod:`collapse.analytic.forms`.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import mpmath
import pytest
import sympy as sp

from collapse.analytic import compiled as C
from collapse.analytic import forms as F
from collapse.analytic import numeric as N
from collapse.cli import main
from collapse.core import cache

#: every group of every derivation module the numeric functions ask for
GROUPS = [
    ("gaussian", "estimators"),
    *[("gaussian", f"{what}:{est}") for what in ("closed_forms", "accumulate_step") for est in ("unbiased", "mle")],
    *[("gaussian_nd", f"closed_forms_nd:{est}") for est in ("unbiased", "mle")],
    *[("gaussian_mixing", f"mix_fixed_point:{est}") for est in ("unbiased", "mle")],
    ("gaussian_mixing", "retrain"), ("discrete", "theory"), ("mixing", "theory"), ("rates", "offspring_pgf"),
    ("tails", "zipf"), ("regression_theory", "risk"),
]
#: every `collapse theory` subcommand, with a non-default parameter set
THEORY = [
    ["theory", "gaussian", "-M", "37", "-n", "123", "--estimator", "mle", "-r", "1.5", "--sigma0", "0.3"],
    ["theory", "discrete", "-M", "50", "-n", "100", "--p0", "0.1,0.2,0.7"],
    ["theory", "mixing", "-M", "37", "--gamma", "0.3", "--estimator", "mle", "--sigma0", "2.5",
     "--bandwidth", "0.3", "--lam", "2", "--real", "500"],
    ["theory", "rates", "--expected-count", "5", "-n", "20"],
    ["theory", "tails", "--beta", "1.5", "-M", "10", "-k", "3"],
    ["theory", "regression", "-d", "3", "-M", "1000", "-n", "1000", "--noise", "0.7"],
    ["theory", "accumulate", "-M", "7", "-n", "13", "--estimator", "mle", "--sigma0", "0.5"],
    ["theory", "gaussian-nd", "-M", "50", "-n", "200", "-d", "5", "--estimator", "mle"],
]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(folder))
    monkeypatch.setattr(F, "_MEMO", {})
    return folder


def _count_builds(monkeypatch, module: str) -> list[str]:
    """Record every derivation (cache miss) of ``module``'s groups."""
    calls: list[str] = []
    build = F.MODULES[module]
    monkeypatch.setitem(F.MODULES, module, lambda group: calls.append(group) or build(group))
    return calls


# ------------------------------------------------------------------ the trees are the derivations
@pytest.mark.parametrize(("module", "group"), GROUPS, ids=[f"{m}-{g}" for m, g in GROUPS])
def test_cached_tree_rebuilds_into_the_fresh_derivation(module, group, cache_dir):
    fresh = F.MODULES[module](group)  # derived now
    cached = F.group(module, group, cached=True)
    assert (cache_dir / f"analytic.{module}.json").is_file()
    assert set(cached.forms) == set(fresh["forms"]) and cached.data == fresh["data"]
    for name, spec in fresh["forms"].items():
        rebuilt = C.to_sympy(cached[name].entry)
        assert rebuilt == spec[1] or sp.simplify(rebuilt - spec[1]) == 0, (name, rebuilt, spec[1])
    # read back from the file (a new process would): the same entries
    F._MEMO.clear()
    again = F.group(module, group, cached=True)
    assert {k: f.entry for k, f in again.forms.items()} == {k: f.entry for k, f in cached.forms.items()}


def test_sym_trees_rebuild_structurally():
    """A "sym" tree is sympy's structure, so the rebuilt expression is the same expression."""
    for module, group in GROUPS:
        for name, spec in F.MODULES[module](group)["forms"].items():
            if spec[0] == "sym":
                assert C.to_sympy(C.sym_tree(spec[1])) == spec[1], (module, group, name)


# ------------------------------------------------------------------ "py": lambdify's numbers, bit for bit
PY_GROUPS = [("gaussian", f"{what}:{est}") for what in ("closed_forms", "accumulate_step")
             for est in ("unbiased", "mle")] + [("rates", "offspring_pgf"), ("tails", "zipf")]
#: points per (group kind, form): mpf arguments, except the integers the numeric code passes as ints
PY_POINTS = {
    "closed_forms": [(2, 0, 1, 1), (10, 5, 2, 1.5), (100, 1000, 1, 1), (1000, 100000, 0.3, 3),
                     (37, 123, 0.3, 0.25), (3, 7, 5, 0.5)],
    "accumulate_step": [(0, 100), (100, 100), (5, 7), (1300, 13)],  # Python ints: the code divides them
    "offspring_pgf": [(0,), (0.5,), (0.999,), ("0.1",)],
    "unseen": [("0.001", 1000), (0.5, 10), ("0.3", 1), (1e-9, 10**6)],
    "plateau": [(2, 50), (1.5, 3), ("1.01", 1), (7, 1000)],
}


def _exact(v):
    """The exact value of an mpf (its binary fraction) or int, as a sympy number."""
    if isinstance(v, int):
        return sp.Integer(v)
    man, exp = v.man_exp
    return sp.Integer(man) * sp.Integer(2) ** exp


@pytest.mark.parametrize("dps", [15, 30, 50])
@pytest.mark.parametrize(("module", "group"), PY_GROUPS, ids=[f"{m}-{g}" for m, g in PY_GROUPS])
def test_py_tree_evaluates_as_lambdify_and_evalf(module, group, dps):
    """Bit for bit the lambdified function's value, and within the working precision of evalf's."""
    fresh = F.MODULES[module](group)["forms"]
    cached = F.group(module, group, cached=True)
    for name, (_, expr, args) in fresh.items():
        live = F.LiveForm("py", expr, args).function()
        tree = cached[name].function()
        kind = group.partition(":")[0] if group.partition(":")[0] in PY_POINTS else name
        with mpmath.workdps(dps):
            for raw in PY_POINTS[kind]:
                point = raw if kind == "accumulate_step" else tuple(
                    int(v) if isinstance(v, int) and i == 1 and kind in ("unseen", "plateau") else mpmath.mpf(v)
                    for i, v in enumerate(raw))
                got, want = tree(*point), live(*point)
                assert type(got) is type(want) and got == want, (name, point, got, want)
                ref = mpmath.mpf(expr.evalf(dps + 20, subs=dict(zip(args, [_exact(v) for v in point]))))
                tol = mpmath.mpf(10) ** (6 - dps) if isinstance(got, mpmath.mpf) else 1e-14
                assert abs(got - ref) <= tol * max(1, abs(ref)), (name, point, got, ref)


def test_numeric_functions_cached_equal_live():
    for est in ("unbiased", "mle"):
        for point, kw in [((10, 5, 2.0), {"r": 1.5}), ((100, 1000, 1.0), {}), ((2, 0, 1.0), {"dps": 12})]:
            assert N.gaussian_values(est, *point, cached=True, **kw) == N.gaussian_values(est, *point, **kw)
        sched = [7] * 13 + [20, 3]
        assert N.gaussian_accumulate_values(est, sched, 0.5, cached=True) == N.gaussian_accumulate_values(est, sched,
                                                                                                         0.5)
    assert N.extinction_values(5.0, 20, cached=True) == N.extinction_values(5.0, 20)
    assert N.unseen_mass_value(2.0, 1000, cached=True) == N.unseen_mass_value(2.0, 1000)
    assert N.cut_test_error_value(1.5, 10, 3, cached=True) == N.cut_test_error_value(1.5, 10, 3)


# ------------------------------------------------------------------ "sym": float(expr.subs(...)), bit for bit
def _values(rng: random.Random, group: str, name: str) -> dict:
    f = lambda: rng.choice([rng.random(), rng.random() * 10, rng.uniform(1e-3, 0.1), 1.0, 0.5, 0.1, 0.3, 0.7,  # noqa
                            2.5, 1e-300, 0.0])
    p = lambda: min(f(), 1.0)  # noqa: E731
    if group == "theory" and name in ("expected_heterozygosity", "loss_probability", "frequency_variance",
                                      "absorption_probability"):
        return {"M": rng.randint(1, 400), "t": rng.randint(0, 200), "H0": p(), "q": p(), "x0": p()}
    if group == "theory":
        m = rng.randint(3, 500)
        return {"M": m, "n_prev": 0, "n_real": rng.randint(2, m), "H0": p(), "h": f() or 0.1}
    if group == "retrain":
        return {"lambda": f() or 1.0, "N": rng.randint(1, 5000), "sigma": f() or 1.0}
    if group == "risk":
        d = rng.randint(1, 50)
        return {"d": d, "T": rng.randint(d + 2, d + 500), "g": rng.randint(0, 300), "sigma": f() or 1.0}
    return {"n1": rng.randint(1, 500), "n2": rng.randint(2, 500), "sigma0": f() or 1.0}  # mix_fixed_point


@pytest.mark.parametrize(("module", "group"), [(m, g) for m, g in GROUPS if m in (
    "discrete", "mixing", "gaussian_mixing", "regression_theory")], ids=lambda v: str(v))
def test_subs_value_is_sympys_float_arithmetic(module, group):
    """60 random parameter sets per expression: the same float as sympy, to the last bit (and the sign of 0)."""
    rng = random.Random(f"{module}/{group}")
    fresh = F.MODULES[module](group)["forms"]
    cached = F.group(module, group, cached=True)
    for name, (_, expr) in fresh.items():
        live = F.LiveForm("sym", expr)
        for _ in range(60):
            values = _values(rng, group, name)
            want = live.subs_float(values, doit=True)
            got = C.subs_value(cached[name].entry, values)  # the emulation itself, no fallback
            assert repr(got) == repr(want), (name, values, got, want)


def test_subs_value_refuses_what_it_does_not_model():
    a, x, y = sp.symbols("a x y")
    expr = 3 * a * (x + 1)  # a = 2 comes first (by name): sympy then distributes 6 over x + 1
    with pytest.raises(C.Unsupported):
        C.subs_value(C.sym_tree(expr), {"a": 2, "x": 0.1})
    assert F.CachedForm(C.sym_tree(expr)).subs_float({"a": 2, "x": 0.1}) == float(expr.subs({a: 2, x: 0.1}))
    with pytest.raises(C.Unsupported):
        C.subs_value(C.sym_tree(sp.sqrt(x)), {"x": 0.5})
    with pytest.raises(C.Unsupported):
        C.subs_value(C.sym_tree(x + y), {"x": 1})  # y has no value
    # the cached form then asks sympy, and gets sympy's answer
    form = F.CachedForm(C.sym_tree(sp.sqrt(x) * 3))
    assert form.subs_float({"x": 0.5}) == float((sp.sqrt(x) * 3).subs(x, 0.5))


@pytest.mark.parametrize("dps", [20, 30])
@pytest.mark.parametrize("est", ["unbiased", "mle"])
def test_nd_values_are_sympy_N(est, dps):
    fresh = F.MODULES["gaussian_nd"](f"closed_forms_nd:{est}")["forms"]
    cached = F.group("gaussian_nd", f"closed_forms_nd:{est}", cached=True)
    for values in ({"M": 2, "n": 9, "d": 1}, {"M": 10, "n": 5, "d": 3}, {"M": 100, "n": 100, "d": 2},
                   {"M": 50, "n": 200, "d": 5}, {"M": 7, "n": 0, "d": 6}, {"M": 1000, "n": 3, "d": 1}):
        for name, (_, expr) in fresh.items():
            want = F.LiveForm("sym", expr).n_float(values, dps)
            got = cached[name].n_float(values, dps)
            assert repr(got) == repr(want), (name, values, got, want)
    assert N.evaluate_nd(est, 10, 5, 3, cached=True) == N.evaluate_nd(est, 10, 5, 3)


# ------------------------------------------------------------------ the command line prints the same
def test_theory_commands_print_the_same_with_the_cache(capsys, monkeypatch):
    def run(argv):
        assert main(argv) == 0
        return capsys.readouterr().out

    cached = [(run(a), run([*a, "--json"])) for a in THEORY]
    live_group = F.group
    monkeypatch.setattr(F, "group", lambda module, name, *, cached=False: live_group(module, name, cached=False))
    live = [(run(a), run([*a, "--json"])) for a in THEORY]
    assert cached == live


def test_sum_of_squares_is_numpys():
    import numpy as np

    from collapse.commands.theory import _sum_of_squares

    rng = random.Random(3)
    for _ in range(3000):
        p = tuple(rng.random() ** rng.randint(1, 4) * 10.0 ** rng.randint(-3, 3) for _ in range(rng.randint(1, 12)))
        assert _sum_of_squares(p) == float(np.sum(np.asarray(p) ** 2)), p


# ------------------------------------------------------------------ invalidation, damage, no folder
def test_editing_a_derivation_changes_the_key_and_rebuilds(tmp_path, monkeypatch, cache_dir):
    src = tmp_path / "analytic"
    shutil.copytree(F.SOURCE_DIR, src, ignore=shutil.ignore_patterns("__pycache__"))
    assert F.key(src) == F.key()  # the key is the source, not where it lives
    monkeypatch.setattr(F, "SOURCE_DIR", src)
    calls = _count_builds(monkeypatch, "rates")
    before = N.extinction_values(5.0, 20, cached=True)
    assert calls == ["offspring_pgf"]
    F._MEMO.clear()
    assert N.extinction_values(5.0, 20, cached=True) == before and calls == ["offspring_pgf"]  # read from the file
    old_key = F.key()
    # edit one derivation (the offspring pgf's docstring: any byte counts)
    rates = src / "rates.py"
    rates.write_text(rates.read_text().replace('"""f(s): one individual', '"""f(s) (edited): one individual'))
    assert F.key() != old_key
    F._MEMO.clear()
    assert N.extinction_values(5.0, 20, cached=True) == before
    assert calls == ["offspring_pgf", "offspring_pgf"]  # the stale file was not used
    stored = json.loads((cache_dir / "analytic.rates.json").read_text())
    assert stored["key"] == F.key() != old_key
    # another sympy version is another key too
    monkeypatch.setattr(cache, "package_version", lambda name: "0.0-other")
    assert F.key() not in (old_key, stored["key"])


@pytest.mark.parametrize("damage", ["{not json", "", '{"key": 1}', "[1, 2]", "\xff\xfe"])
def test_damaged_cache_file_is_rebuilt(damage, monkeypatch, cache_dir):
    calls = _count_builds(monkeypatch, "rates")
    want = N.extinction_values(5.0, 20, cached=True)
    path = cache_dir / "analytic.rates.json"
    path.write_bytes(damage.encode("latin-1"))
    F._MEMO.clear()
    assert N.extinction_values(5.0, 20, cached=True) == want and len(calls) == 2
    assert json.loads(path.read_text())["key"] == F.key()


def test_damaged_tree_is_rebuilt_never_run(monkeypatch, cache_dir):
    """A well-formed file whose tree names anything outside MPMATH_NAMES (say, code to run) is refused and rebuilt."""
    want = N.extinction_values(5.0, 20, cached=True)
    path = cache_dir / "analytic.rates.json"
    stored = json.loads(path.read_text())
    for bad in (["call", "__import__", ["lit", "os"]], ["call", "eval", ["lit", "1"]], ["bogus"], "x", ["arg", 7]):
        stored["data"]["groups"]["offspring_pgf"]["forms"]["f"]["tree"] = bad
        path.write_text(json.dumps(stored))
        F._MEMO.clear()
        calls = _count_builds(monkeypatch, "rates")
        assert N.extinction_values(5.0, 20, cached=True) == want and calls == ["offspring_pgf"]
        stored = json.loads(path.read_text())
        with pytest.raises(C.Unsupported):
            C.check_entry({**stored["data"]["groups"]["offspring_pgf"]["forms"]["f"], "tree": bad})


def test_unwritable_cache_folder_still_answers(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(cache.ENV_DIR, str(blocker / "cache"))  # cannot be created, even by root
    assert not cache.store("x", "k", {"a": 1}) and cache.load("x", "k") is None
    assert main(["theory", "gaussian", "-M", "100", "-n", "1000", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["Var_mu"] == 10.0
    assert not (blocker / "cache").exists()


def test_cache_folder_and_names(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv(cache.ENV_DIR)
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "collapse-toolkit"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "collapse-toolkit"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "collapse-toolkit"
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    for bad in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            cache.path_for(bad)
    assert cache.store("n", "k1", {"v": [1, 2]}) and cache.load("n", "k1") == {"v": [1, 2]}
    assert cache.load("n", "k2") is None  # another key: stale
    assert cache.package_version("sympy") == sp.__version__ and cache.package_version("mpmath") == mpmath.__version__
    for name, module in (("sympy", sp), ("mpmath", mpmath)):  # not imported: read from NAME-VERSION.dist-info
        monkeypatch.delitem(sys.modules, name)
        assert cache.package_version(name) == module.__version__
    assert cache.package_version("no_such_package_here") == "absent"


# ------------------------------------------------------------------ the library keeps deriving live
def test_library_default_follows_a_patched_derivation(monkeypatch):
    """Without ``cached=True`` the derivations are those of the moment (the mutation tests patch them)."""
    from collapse.analytic import tails as Z

    base = N.unseen_mass_value(2.0, 1000)
    assert N.unseen_mass_value(2.0, 1000, cached=True) == base
    orig = Z.unseen_probability
    monkeypatch.setattr(Z, "unseen_probability", lambda: orig() * (1 - Z.q))
    assert N.unseen_mass_value(2.0, 1000) != base and Z.unseen_mass_value(2.0, 1000) != base
    assert N.unseen_mass_value(2.0, 1000, cached=True) == base


# ------------------------------------------------------------------ a warm command imports no sympy
def _subprocess(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)


def test_warm_theory_commands_import_no_sympy(cache_dir):
    env = os.environ | {cache.ENV_DIR: str(cache_dir), "PYTHONWARNINGS": "error"}
    default = [["theory", "gaussian", "-M", "100", "-n", "1000"], *[["theory", a[1]] for a in THEORY[1:]]]
    fill = f"from collapse.cli import main\nfor a in {default!r}: assert main(a) == 0"
    assert _subprocess(fill, env).returncode == 0  # cold: derives and stores
    for argv in default:
        code = (f"import sys\nfrom collapse.cli import main\nassert main({argv!r}) == 0\n"
                "print([m for m in ('sympy', 'numpy', 'scipy') if m in sys.modules], file=sys.stderr)")
        out = _subprocess(code, env)
        assert out.returncode == 0, out.stderr
        heavy = out.stderr.strip().splitlines()[-1]
        # discrete's lost mass and absorption times are numpy numbers of the binomial chain (no scipy)
        assert heavy == ("['numpy']" if argv[1] == "discrete" else "[]"), (argv, heavy)


def test_help_imports_nothing_heavy():
    code = ("import sys\nfrom collapse.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print([m for m in ('sympy', 'numpy', 'scipy') if m in sys.modules], file=sys.stderr)")
    out = _subprocess(code, dict(os.environ))
    assert out.stderr.strip().splitlines()[-1] == "[]"
