"""The Python API: the README's "From Python" examples run, every public name resolves, imports stay lazy.

Why: researchers call the toolkit from notebooks, and the README's "From Python" section
is where they learn how. Each ```python block of that section is a doctest, run here in a
fresh namespace (a reader may copy any one block on its own) inside a temporary folder,
so an example that drifts from the code fails the suite. What is public is what each
package lists in ``__all__``; those names are imported on first use (PEP 562), so that
``collapse theory`` can answer without sympy and ``collapse --help`` without numpy: the
laziness is checked in a fresh interpreter.
"""

from __future__ import annotations

import doctest
import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
#: the packages whose ``__init__`` declares a public API
PACKAGES = ("collapse.core", "collapse.analytic", "collapse.simulate", "collapse.simulate.families", "collapse.proofs")
FLAGS = doctest.NORMALIZE_WHITESPACE


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## From Python\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, 'README.md has no "## From Python" section followed by another section'
    return match.group(1)


def _blocks() -> list[tuple[int, str]]:
    """(line in README.md, source) of every ```python block of the section."""
    text = README.read_text(encoding="utf-8")
    start = text.index("## From Python\n")
    section = _section()
    out = []
    for m in re.finditer(r"^```python\n(.*?)^```$", section, re.S | re.M):
        line = text[:start].count("\n") + section[:m.start(1)].count("\n") + 1
        out.append((line, m.group(1)))
    return out


BLOCKS = _blocks()


def test_section_has_the_examples():
    """A closed form, a chain under regimes, a sweep, a claim, a family of one's own: all doctests."""
    assert len(BLOCKS) >= 5
    parser = doctest.DocTestParser()
    for line, src in BLOCKS:
        examples = parser.get_examples(src)
        assert examples, f"README.md:{line}: a ```python block with no >>> example"
        assert any(ex.want for ex in examples), f"README.md:{line}: no example states its output"
    section = _section()
    for needle in ("gaussian_values", "run_chain", "run_sweep", "verify(", "def fit", "def sample"):
        assert needle in section, needle


@pytest.mark.parametrize("line, src", BLOCKS, ids=[f"README.md:{line}" for line, _ in BLOCKS])
def test_readme_example_runs(line, src, tmp_path, monkeypatch):
    from collapse.simulate.sweep import metrics

    monkeypatch.chdir(tmp_path)  # examples that write (the sweep) write here
    test = doctest.DocTestParser().get_doctest(src, {"__name__": "__readme__"}, f"README.md:{line}",
                                               str(README), line - 1)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    out: list[str] = []
    families = dict(metrics.FAMILIES)
    try:
        runner.run(test, out=out.append, clear_globs=True)
    finally:  # a family the example registers is not left for other tests
        metrics.FAMILIES.clear()
        metrics.FAMILIES.update(families)
    assert runner.failures == 0, "".join(out)
    assert runner.tries == len(test.examples) > 0


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_resolves(package):
    mod = importlib.import_module(package)
    names = mod.__all__
    assert len(names) == len(set(names)), "duplicates in __all__"
    assert set(names) <= set(dir(mod)), "dir() leaves public names out"
    exports = getattr(mod, "_EXPORTS", {})
    for name in names:
        value = getattr(mod, name)
        assert value is not None, name
        target = exports.get(name)
        if target is not None:
            # a package exports only its own modules' names, so the import layers hold
            module = target.partition(":")[0]
            assert module == package or module.startswith(package + "."), (name, target)
            assert value is getattr(mod, name)  # cached: one object
    with pytest.raises(AttributeError):
        getattr(mod, "no_such_name")
    star: dict = {}
    exec(f"from {package} import *", star)  # noqa: S102 -- the public names, nothing else
    assert set(names) <= set(star)


def test_public_names_are_the_documented_ones():
    """The entry points the README and the issue name are public, where a notebook finds them."""
    want = {
        "collapse.analytic": {"gaussian_values", "gaussian_schedule_values", "closed_forms", "w2_bounded",
                              "evaluate_nd", "risk_values", "gaussian", "discrete"},
        "collapse.simulate": {"Family", "Regime", "REGIME_KINDS", "LoopState", "run_chain", "run_generations",
                              "make_schedule", "parse_grid", "run_sweep", "summarize"},
        "collapse.simulate.families": {"GaussianFamily", "GaussianParams", "DiscreteFamily", "DiscreteParams",
                                       "GMMFamily", "KDEFamily", "RegressionFamily", "simulate_gaussian"},
        "collapse.proofs": {"all_claims", "select", "verify", "Claim", "ClaimResult", "run_claims"},
        "collapse.core": {"__version__", "InvalidArgument", "Run"},
    }
    for package, names in want.items():
        missing = names - set(importlib.import_module(package).__all__)
        assert not missing, (package, missing)


def _fresh(code: str) -> str:
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_importing_the_packages_is_lazy():
    """``import collapse.analytic`` loads no sympy; no package ``__init__`` loads numpy or sympy."""
    assert _fresh("import sys, collapse.analytic; print('sympy' in sys.modules)") == "False"
    heavy = ("numpy", "sympy", "mpmath", "scipy", "torch", "matplotlib", "flint")
    code = ("import sys\n" + "".join(f"import {p}\n" for p in PACKAGES)
            + f"print([m for m in {heavy!r} if m in sys.modules])")
    assert _fresh(code) == "[]"
    # a public name brings in its module, and only then
    assert _fresh("import sys; from collapse.analytic import closed_forms; print('sympy' in sys.modules)") == "True"
