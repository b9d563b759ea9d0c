"""Source mutation testing (issue 12, item 6): the tables, the fast subset, the full run, the tool.

- the tables in tests/proofs/source_mutations/ load, every ``find`` is unique in its file,
  there are at least 60 edits and every analytic module, fast sampler and the loop is edited;
- the fast subset (``fast=True`` edits, else each table's first) runs here and must be killed;
- the full table runs only with ``pytest -m mutation`` or ``COLLAPSE_MUTATIONS=1``
  (or as ``python -m tests.proofs.mutate``);
- the tool itself is tested on a toy package (survived / killed / invalid / equivalent /
  timeout / baseline failure / the strict simulation level) and on the real package
  (a comment edit survives, a doubled loss probability is killed).
"""

from __future__ import annotations

import hashlib
import os
import textwrap
from pathlib import Path

import pytest

from tests.proofs import mutate
from tests.proofs.source_mutations import CHECKOUT, Mutation, TableError, all_mutations, check_table, fast_subset

MIN_EDITS = 60
#: analytic modules that need no edit of their own, and why
EXCLUDED = {
    "analytic/__init__.py": "package marker and re-exports; no formula",
    "analytic/compiled.py": "infrastructure: evaluates cached expression trees; its equality with the live "
                            "sympy forms is tested bit for bit in tests/analytic/test_cache.py",
    "analytic/forms.py": "infrastructure: the derivation cache's plumbing (which group, which key), no formula",
}
SAMPLERS = ("simulate/families/gaussian.py", "simulate/families/gaussian_nd.py", "simulate/families/discrete.py",
            "simulate/families/kde.py", "simulate/families/regression.py", "simulate/loop.py")


def required_files() -> list[str]:
    analytic = sorted(f"analytic/{p.name}" for p in (CHECKOUT / "analytic").glob("*.py"))
    return [f for f in analytic if f not in EXCLUDED] + list(SAMPLERS)


@pytest.fixture(scope="module")
def table():
    try:
        return all_mutations()
    except TableError as exc:
        pytest.fail(str(exc))


# ------------------------------------------------------------------ (a) the tables
def test_tables_load_and_every_find_is_unique(table):
    assert table, "no table in tests/proofs/source_mutations/ (gaussian.py, discrete.py, rates.py...)"
    ids = [m.id for m in table]
    assert len(ids) == len(set(ids))


def test_at_least_60_edits(table):
    real = [m for m in table if m.equivalent is None]
    assert len(table) >= MIN_EDITS, f"{len(table)} edits ({len(real)} non-equivalent); at least {MIN_EDITS} needed"


def test_every_analytic_module_and_sampler_is_edited(table):
    touched = {m.file for m in table}
    missing = [f for f in required_files() if f not in touched]
    assert not missing, "files no edit touches: " + ", ".join(missing)


def test_edits_name_existing_claims_and_package_files(table):
    from collapse.proofs.registry import all_claims

    known = {c.id for c in all_claims()}
    lay = mutate.layout()
    bad = [f"{m.id}: unknown claims {sorted(set(m.claims) - known)}" for m in table if set(m.claims) - known]
    for m in table:
        try:
            mutate.copy_path(m.file, lay)
        except ValueError as exc:
            bad.append(f"{m.id}: {exc}")
    assert not bad, "\n".join(bad)


def test_equivalent_edits_are_justified(table):
    for m in table:
        assert m.equivalent is None or len(m.equivalent.split()) >= 5, f"{m.id}: justify the equivalence in words"


# ------------------------------------------------------------------ (b) the fast subset
def test_fast_subset_is_killed(table):
    subset = fast_subset(table)
    assert 1 <= len(subset) <= 15, [m.id for m in subset]
    results, _ = mutate.run_mutations(subset, jobs=2, timeout=300, progress=False)
    bad = [f"{r.mutation.id} ({r.mutation.file}: {r.mutation.why}): {r.text}" for r in results if r.status != "killed"]
    assert not bad, "\n" + "\n".join(bad)


def test_fast_subset_rule():
    """Every table represented, new files first, fast flags next, cheapest next, within the budget."""
    def m(table, file, claims, fast=False, equivalent=None):
        return Mutation(file, "x", "y", claims, "w", equivalent=equivalent, fast=fast, table=table)

    costs = {"cheap": 1.0, "mid": 5.0, "dear": 40.0}
    ms = [m("a", "f1", ("mid",)), m("a", "f1", ("cheap",), fast=True), m("a", "f2", ("dear",)),
          m("a", "f3", ("cheap",)), m("b", "g1", ("cheap",), equivalent="justified in so many words"),
          m("b", "g2", ("mid",)), m("b", "g2", ("cheap",))]
    got = fast_subset(ms, costs, count=4, budget=30.0)
    assert got == [ms[1], ms[3], ms[5], ms[6]]  # in table order
    assert fast_subset(ms, costs, count=4, budget=30.0) == got  # deterministic
    assert fast_subset(ms, costs, count=10, budget=1e9) == [m_ for m_ in ms if m_.equivalent is None]


# ------------------------------------------------------------------ (c) the full table
@pytest.mark.mutation
def test_full_table(request, table):
    if "mutation" not in (request.config.getoption("markexpr") or "") and not os.environ.get("COLLAPSE_MUTATIONS"):
        pytest.skip("the full mutation table runs with `pytest -m mutation`, COLLAPSE_MUTATIONS=1, "
                    "or `python -m tests.proofs.mutate`")
    results, _ = mutate.run_mutations(table, jobs=2, progress=False)
    bad = [r for r in results if r.status in mutate.BAD]
    assert not bad, "\n" + mutate.table(bad) + "\n" + mutate.summary(results)


# ------------------------------------------------------------------ (d) the tool
TOY = {
    "pyproject.toml": """
        [tool.setuptools.package-dir]
        "collapse" = "collapse"
        "collapse.proofs" = "proofs"
        "collapse.analytic" = "analytic"
    """,
    "collapse/__init__.py": '"""A toy collapse package: the mutation tool must import it, not the installed one."""\n',
    "analytic/__init__.py": "",
    "analytic/toy.py": '''
        """Toy formulas."""


        def square(x):
            # squares its argument
            return x * x


        def p_value():
            return 0.5


        def slow():
            return 0
    ''',
    "proofs/__init__.py": "",
    "proofs/core.py": """
        FAMILY_ALPHA = 1e-6


        def registry_simulation_count():
            return 1
    """,
    "proofs/registry.py": """
        import dataclasses

        from collapse.analytic import toy


        @dataclasses.dataclass
        class Step:
            name: str
            kind: str
            status: str
            detail: str = ""
            seconds: float = 0.0
            p_value: float | None = None


        @dataclasses.dataclass
        class Result:
            id: str
            steps: list
            seconds: float = 0.0


        @dataclasses.dataclass
        class Claim:
            id: str
            checks: tuple


        CLAIMS = (
            Claim("toy-a", (("square", "symbolic", lambda: toy.square(3) == 9),
                            ("again", "consistency", lambda: toy.square(2) == toy.square(2)))),
            Claim("toy-b", (("mean", "simulation", toy.p_value),)),
            Claim("toy-c", (("quick", "symbolic", lambda: toy.slow() == 0),)),
            Claim("toy-d", (("broken", "symbolic", lambda: False),)),
        )


        def all_claims():
            return CLAIMS


        def select(only):
            return tuple(c for c in CLAIMS if only in c.id)


        def verify(only, *, seed=0, progress=True, jobs=1):
            out = []
            for c in select(only):
                steps = []
                for name, kind, fn in c.checks:
                    if kind == "simulation":
                        p = fn()
                        # deliberately lenient: the tool must judge at FAMILY_ALPHA / count instead
                        steps.append(Step(name, kind, "fail" if p <= 0.01 else "pass", p_value=p))
                    else:
                        steps.append(Step(name, kind, "pass" if fn() else "fail"))
                out.append(Result(c.id, steps))
            return out
    """,
}


@pytest.fixture
def toy(tmp_path) -> Path:
    root = tmp_path / "checkout"
    for name, text in TOY.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def test_layout_follows_package_dir():
    lay = mutate.layout()
    assert lay["analytic"] == "collapse/analytic" and lay["collapse"] == "collapse"
    assert mutate.copy_path("simulate/families/kde.py", lay) == "collapse/simulate/families/kde.py"
    with pytest.raises(ValueError):
        mutate.copy_path("tests/conftest.py", lay)


def test_child_imports_the_copy_not_the_installed_package(toy, tmp_path):
    root = mutate.materialise(tmp_path / "copy", toy)
    rep = mutate.run_child(root, ["toy-a"], timeout=60)
    assert Path(rep["collapse_file"]).resolve().is_relative_to(root.resolve())
    assert [c["status"] for c in rep["checks"]] == ["pass", "pass"]


def test_tool_on_a_toy_package(toy):
    ms = check_table([
        Mutation("analytic/toy.py", "# squares its argument", "# squares it", ("toy-a",), "comment only"),
        Mutation("analytic/toy.py", "return x * x", "return x + x", ("toy-a",), "sum for product"),
        Mutation("analytic/toy.py", "return 0.5", "return 1e-9", ("toy-b",), "p below the level"),
        Mutation("analytic/toy.py", "return 0.5", "return 1e-3", ("toy-b",),
                 "p below verify's lenient 0.01, above FAMILY_ALPHA / count"),
        Mutation("analytic/toy.py", "return x * x", "return x *", ("toy-a",), "syntax error"),
        Mutation("analytic/toy.py", "return x * x", "return x ** 2", ("toy-a",), "power for product",
                 equivalent="x ** 2 equals x * x for every number the claims use"),
        Mutation("analytic/toy.py", "return x * x", "return x + x", ("toy-a",), "sum for product",
                 equivalent="wrongly claimed equivalent: 3 + 3 is not 9"),
        Mutation("analytic/toy.py", "    return 0\n", "    import time\n    time.sleep(60)\n    return 0\n",
                 ("toy-c",), "hangs"),
    ], toy)
    before = _digest(toy)
    results, base = mutate.run_mutations(ms, jobs=2, timeout=5, progress=False, checkout=toy)
    assert _digest(toy) == before  # the checkout is never edited
    got = [r.status for r in results]
    assert got == ["survived", "killed", "killed", "survived", "invalid", "equivalent", "equivalent-killed",
                   "timeout"], [r.text for r in results]
    assert results[1].killers == ["toy-a/square"] and results[2].killers == ["toy-b/mean (p=1.0e-09)"]
    assert set(base["claim_seconds"]) == {"toy-a", "toy-b", "toy-c"}
    line = mutate.summary(results)
    assert line.startswith("8 edits, 3 killed, 2 survived, 1 equivalent"), line
    assert "toy-a/square" in mutate.table(results) and "SURVIVED" in mutate.table(results)


def test_baseline_failure_aborts(toy):
    ms = check_table([Mutation("analytic/toy.py", "return 0.5", "return 0.4", ("toy-d",), "anything")], toy)
    with pytest.raises(mutate.BaselineError, match="toy-d/broken"):
        mutate.run_mutations(ms, jobs=1, timeout=30, progress=False, checkout=toy)


def test_find_must_be_unique(toy):
    with pytest.raises(TableError, match="occurs 3 times"):
        check_table([Mutation("analytic/toy.py", "return", "return -1 *", ("toy-a",), "ambiguous")], toy)
    with pytest.raises(TableError, match="occurs 0 times"):
        check_table([Mutation("analytic/toy.py", "nowhere", "x", ("toy-a",), "absent")], toy)
    with pytest.raises(TableError, match="duplicate id"):
        check_table([Mutation("analytic/toy.py", "return 0.5", "return 1", ("toy-b",), "a", id="x"),
                     Mutation("analytic/toy.py", "return 0\n", "return 1\n", ("toy-c",), "b", id="x")], toy)


def _append(path: str, addition: str, claims, why: str) -> Mutation:
    """An edit that appends ``addition`` to ``path`` (find: the file's unique tail)."""
    text = (CHECKOUT / path).read_text()
    n = 80
    while text.count(text[-n:]) != 1:
        n += 40
    return Mutation(path, text[-n:], text[-n:] + addition, tuple(claims), why)


def test_tool_on_the_real_package():
    """A comment survives; doubling the loss probability of the discrete chain is killed."""
    ms = check_table([
        _append("analytic/discrete.py", "\n# a comment changes nothing\n", ["discrete-loss"], "comment only"),
        _append("analytic/discrete.py",
                "\n\n_mutate_loss = loss_probability\n\n\ndef loss_probability():\n    return 2 * _mutate_loss()\n",
                ["discrete-loss"], "doubles the probability that a state is lost in one generation"),
    ])
    results, _ = mutate.run_mutations(ms, jobs=2, timeout=300, progress=False)
    assert [r.status for r in results] == ["survived", "killed"], [r.text for r in results]
    assert all(k.startswith("discrete-loss/") for k in results[1].killers)
