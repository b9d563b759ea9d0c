r"""The derived expressions the numeric functions evaluate, live or from the derivation cache.

A *group* is a set of expressions one numeric function needs, derived by one
derivation module: ``group("gaussian", "closed_forms:unbiased")`` holds the closed
forms of :func:`collapse.analytic.gaussian.closed_forms` for that estimator, each as
a :class:`Form`: an object that turns the expression into numbers exactly as the
toolkit always has (an mpmath function as ``sympy.lambdify`` makes it, or
``float(expr.subs(values))``, or ``float(sympy.N(expr.subs(values), dps))``).

``cached=False`` (the default of every library function) derives the expressions now,
calling the derivation functions as they are at that moment (so a patched or edited
derivation is what gets evaluated), and evaluates them with sympy. ``cached=True``
(the command line) reads them from the cache as trees (:mod:`collapse.analytic.compiled`)
and evaluates those without importing sympy; the numbers are the same, bit for bit
(``tests/analytic/test_cache.py``). A miss derives the group with sympy and stores it.

The cache (:mod:`collapse.core.cache`) holds one file per derivation module,
``analytic.<module>.json``, its groups added as they are first needed. Its key is
the sha256 of the source of every ``analytic/*.py`` file, the sympy and mpmath
versions and :data:`FORMAT`, so any edit of a derivation (or of the tree code)
invalidates every file; a stale or damaged file is ignored and rebuilt, and an
unwritable cache folder only means deriving every time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from collapse.analytic import compiled as C
from collapse.core import cache

__all__ = ["FORMAT", "MODULES", "SOURCE_DIR", "CachedForm", "Form", "Group", "LiveForm", "group", "key"]

#: format of the cached trees and files; part of the key (bump it when either changes)
FORMAT = 1
#: the folder whose ``*.py`` files feed the key (tests point it at an edited copy)
SOURCE_DIR = Path(__file__).resolve().parent


# ------------------------------------------------------------------ what is derived
# Each builder returns {"forms": {name: ("py", expr, args) | ("sym", expr)}, "data": {...}},
# calling the derivation functions through their module, so that a patched one is used.
def _gaussian(group: str) -> dict[str, Any]:
    from collapse.analytic import gaussian as G

    what, _, est = group.partition(":")
    if group == "estimators":
        return {"forms": {}, "data": {"estimators": list(G.ESTIMATORS), "quantities": list(G.QUANTITIES)}}
    if what == "closed_forms":
        cf = G.closed_forms(est)
        args = (G.M, G.n, G.sigma0, G.r)
        return {"forms": {k: ("py", cf[k], args) for k in [*G.QUANTITIES, "E_sigma2r"]},
                "data": {"quantities": list(G.QUANTITIES)}}
    if what == "accumulate_step":
        st = G.accumulate_step(est)
        return {"forms": {k: ("py", st[k], (st["N"], G.M)) for k in ("mean_step", "ss_step")},
                "data": {"ddof": int(st["ddof"])}}
    raise KeyError(group)


def _gaussian_nd(group: str) -> dict[str, Any]:
    from collapse.analytic import gaussian_nd as D

    what, _, est = group.partition(":")
    if what == "closed_forms_nd":
        cf = {k: v for k, v in D.closed_forms_nd(est).items() if k != "E_det_r_factor"}
        return {"forms": {k: ("sym", v) for k, v in cf.items()}, "data": {"keys": list(cf)}}
    raise KeyError(group)


def _gaussian_mixing(group: str) -> dict[str, Any]:
    from collapse.analytic import gaussian_mixing as GX

    what, _, est = group.partition(":")
    if what == "mix_fixed_point":
        fp = GX.mix_fixed_point(est)
        return {"forms": {"E_dmu2": ("sym", fp[0]), "E_sigma2": ("sym", fp[1])}, "data": {}}
    if group == "retrain":
        return {"forms": {"rate": ("sym", GX.retrain_recursion()[0]), "fixed_point": ("sym", GX.retrain_fixed_point())},
                "data": {}}
    raise KeyError(group)


def _discrete(group: str) -> dict[str, Any]:
    from collapse.analytic import discrete as A

    if group == "theory":
        return {"forms": {"expected_heterozygosity": ("sym", A.expected_heterozygosity()),
                          "loss_probability": ("sym", A.loss_probability()),
                          "frequency_variance": ("sym", A.frequency_variance()),
                          "absorption_probability": ("sym", A.absorption_probability())}, "data": {}}
    raise KeyError(group)


def _mixing(group: str) -> dict[str, Any]:
    from collapse.analytic import mixing as X

    if group == "theory":
        return {"forms": {"discrete_mix_fixed_point": ("sym", X.discrete_mix_fixed_point()),
                          "kde_variance_fixed_point": ("sym", X.kde_variance_fixed_point())}, "data": {}}
    raise KeyError(group)


def _rates(group: str) -> dict[str, Any]:
    from collapse.analytic import rates as R

    if group == "offspring_pgf":
        return {"forms": {"f": ("py", R.offspring_pgf(), (R.s,))}, "data": {}}
    raise KeyError(group)


def _tails(group: str) -> dict[str, Any]:
    from collapse.analytic import tails as Z

    if group == "zipf":
        return {"forms": {"unseen": ("py", Z.unseen_probability(), (Z.q, Z.T)),
                          "plateau": ("py", Z.plateau(), (Z.beta, Z.k))}, "data": {}}
    raise KeyError(group)


def _regression(group: str) -> dict[str, Any]:
    from collapse.analytic import regression_theory as RT

    if group == "risk":
        return {"forms": {"one_generation": ("sym", RT.one_generation_risk()),
                          "replace": ("sym", RT.replace_test_error()),
                          "accumulate": ("sym", RT.accumulate_test_error()),
                          "accumulate_bound": ("sym", RT.accumulate_test_error_bound())}, "data": {}}
    raise KeyError(group)


#: derivation module -> builder of its groups (one cache file per module)
MODULES: dict[str, Callable[[str], dict[str, Any]]] = {
    "gaussian": _gaussian, "gaussian_nd": _gaussian_nd, "gaussian_mixing": _gaussian_mixing,
    "discrete": _discrete, "mixing": _mixing, "rates": _rates, "tails": _tails,
    "regression_theory": _regression,
}


# ------------------------------------------------------------------ forms
class Form:
    """One derived expression, turned into numbers as the toolkit always has."""

    def function(self) -> Callable[..., Any]:
        """The mpmath function ``sympy.lambdify(args, expr, "mpmath")`` ("py" forms)."""
        raise NotImplementedError

    def subs_float(self, values: Mapping[str, int | float], *, doit: bool = False) -> float:
        """``float(expr.subs(values))`` (``.doit()`` first if asked); ``values`` by symbol name ("sym" forms)."""
        raise NotImplementedError

    def n_float(self, values: Mapping[str, int], dps: int) -> float:
        """``float(sympy.N(expr.subs(values).doit(), dps))`` for integer ``values`` ("sym" forms)."""
        raise NotImplementedError


class LiveForm(Form):
    """A freshly derived sympy expression, evaluated by sympy."""

    def __init__(self, kind: str, expr, args: tuple = ()):
        self.kind, self.expr, self.args = kind, expr, tuple(args)

    def function(self):
        return _lambdify(self.expr, self.args)

    def _subs(self, values):
        syms = {s.name: s for s in self.expr.free_symbols}
        return self.expr.subs({syms[k]: v for k, v in values.items() if k in syms})

    def subs_float(self, values, *, doit=False):
        v = self._subs(values)
        return float(v.doit() if doit else v)

    def n_float(self, values, dps):
        import sympy as sp

        return float(sp.N(self._subs(values).doit(), dps))


@functools.cache
def _lambdify(expr, args):
    import sympy as sp

    return sp.lambdify(args, expr, modules="mpmath")


class CachedForm(Form):
    """A tree read from the cache (or just built), evaluated without sympy."""

    def __init__(self, entry: dict[str, Any]):
        self.entry = entry
        self._fn = None

    def function(self):
        if self._fn is None:
            self._fn = C.lambdified(self.entry)
        return self._fn

    def subs_float(self, values, *, doit=False):
        try:
            return C.subs_value(self.entry, values)
        except C.Unsupported:  # a pattern the emulation does not model: ask sympy
            return LiveForm("sym", C.to_sympy(self.entry)).subs_float(values, doit=doit)

    def n_float(self, values, dps):
        """Evaluated with mpmath far beyond ``dps``, then rounded as ``sympy.N`` and ``float`` round.

        ``sympy.N(x, dps)`` is x to ``dps_to_prec(dps)`` bits and ``float`` rounds that to
        53 bits (both to nearest); x is computed here with enough guard bits that its
        rounding is that of the exact value.
        """
        import mpmath
        from mpmath import libmp

        target = libmp.dps_to_prec(dps)
        guard = 64 + 2 * sum(abs(int(v)).bit_length() for v in values.values())
        with mpmath.workprec(target + guard):
            x = C.mp_value(self.entry, values)
        return libmp.to_float(libmp.mpf_pos(libmp.mpf_pos(x._mpf_, target, libmp.round_nearest),
                                            53, libmp.round_nearest))


class Group:
    """The forms of one group (``forms[name]``) and the plain data derived with them (``data``)."""

    def __init__(self, forms: dict[str, Form], data: dict[str, Any]):
        self.forms, self.data = forms, data

    def __getitem__(self, name: str) -> Form:
        return self.forms[name]


def group(module: str, name: str, *, cached: bool = False) -> Group:
    """The group ``name`` of derivation module ``module``: derived now, or from the cache."""
    if module not in MODULES:
        raise KeyError(f"no derivation module {module!r} (one of {', '.join(MODULES)})")
    if not cached:
        spec = MODULES[module](name)
        return Group({k: LiveForm(*v) for k, v in spec["forms"].items()}, dict(spec["data"]))
    payload = _payload(module, name)
    return Group({k: CachedForm(v) for k, v in payload["forms"].items()}, payload["data"])


# ------------------------------------------------------------------ the cache
def key(folder: Path | None = None) -> str | None:
    """The cache key: sha256 of ``folder``'s ``*.py`` sources (default :data:`SOURCE_DIR`),
    the sympy and mpmath versions and :data:`FORMAT`; None when the sources cannot be read."""
    folder = Path(folder) if folder is not None else SOURCE_DIR
    try:
        files = sorted(folder.glob("*.py"))
        versions = {pkg: cache.package_version(pkg) for pkg in ("sympy", "mpmath")}
        stats = tuple((f.stat().st_mtime_ns, f.stat().st_size) for f in files)
        return _key(tuple(files), tuple(sorted(versions.items())), stats)
    except OSError:
        return None


@functools.lru_cache(maxsize=8)
def _key(files: tuple[Path, ...], versions: tuple, _mtimes: tuple) -> str:
    return cache.source_key(files, versions=dict(versions), fmt=FORMAT)


_MEMO: dict[tuple[str, str, str | None], dict[str, Any]] = {}


def _payload(module: str, name: str) -> dict[str, Any]:
    """The stored entries of the group (checked), or freshly built ones (then stored)."""
    k = key()
    memo = _MEMO.get((module, name, k))
    if memo is not None:
        return memo
    file = f"analytic.{module}"
    data = cache.load(file, k) if k is not None else None
    groups = data.get("groups") if data is not None else None
    payload = groups.get(name) if isinstance(groups, dict) else None
    if not _valid(payload):
        spec = MODULES[module](name)
        payload = {"forms": {n: (C.py_tree(v[1], v[2]) if v[0] == "py" else C.sym_tree(v[1]))
                             for n, v in spec["forms"].items()},
                   "data": spec["data"]}
        if k is not None:
            again = cache.load(file, k)  # keep the groups another process stored meanwhile
            stored = dict(again["groups"]) if again is not None and isinstance(again.get("groups"), dict) else {}
            stored[name] = payload
            cache.store(file, k, {"groups": stored})
    _MEMO[(module, name, k)] = payload
    return payload


def _valid(payload: Any) -> bool:
    if not (isinstance(payload, dict) and isinstance(payload.get("forms"), dict)
            and isinstance(payload.get("data"), dict)):
        return False
    try:
        for entry in payload["forms"].values():
            C.check_entry(entry)
    except C.Unsupported:
        return False
    return True
