"""Every part of every claim, and every number ``collapse theory`` prints, has an independent check.

"Independent" is any kind but ``consistency`` (a result checked against the equation that
produced it): see :mod:`collapse.proofs`. Each test fails with the full list of what is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json

import pytest

from collapse.proofs.core import Check
from collapse.proofs.registry import all_claims, claim_modules


def _checks(claim) -> dict[str, Check]:
    return {c.name: c for c in claim.checks}


def test_every_claim_part_is_covered_by_an_independent_check():
    missing = []
    for claim in all_claims():
        checks = _checks(claim)
        if not claim.parts:
            missing.append(f"{claim.id}: no Part (its statement is not split into checked parts)")
        for part in claim.parts:
            names = list(part.checks)
            bad = [n for n in names if n not in checks]
            cons = [n for n in names if n in checks and checks[n].kind == "consistency"]
            good = [n for n in names if n in checks and checks[n].kind != "consistency"]
            if not good:
                why = (f"unknown checks {bad}" if bad else "") + (f" consistency only {cons}" if cons else "")
                missing.append(f"{claim.id}: part {part.text!r} has no independent check ({why.strip() or 'none named'})")
            elif bad:
                missing.append(f"{claim.id}: part {part.text!r} names unknown checks {bad}")
    assert not missing, f"{len(missing)} uncovered:\n  " + "\n  ".join(missing)


def test_every_erratum_names_a_check_of_its_claim():
    bad = [f"{c.id}: erratum decided by unknown check {e.check!r}"
           for c in all_claims() for e in c.errata if e.check not in _checks(c)]
    bad += [f"{c.id}: erratum decided by a consistency step {e.check!r} (not evidence)"
            for c in all_claims() for e in c.errata
            if e.check in _checks(c) and _checks(c)[e.check].kind == "consistency"]
    assert not bad, "\n  ".join(bad)


def test_every_independent_check_names_its_route():
    missing = [f"{claim.id}/{c.name} ({c.kind})" for claim in all_claims() for c in claim.checks
               if c.kind != "consistency" and not c.route.strip()]
    assert not missing, f"{len(missing)} checks without a route:\n  " + "\n  ".join(missing)


def _theory_subcommands() -> list[str]:
    from collapse.cli import build_parser

    def subparsers(p):
        return next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))

    theory = subparsers(build_parser()).choices["theory"]
    return sorted(subparsers(theory).choices)


def _keys(value, prefix="") -> list[str]:
    """The output keys of a JSON object; nested objects as ``outer.inner``."""
    if not isinstance(value, dict):
        return [prefix] if prefix else []
    out = []
    for k, v in value.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        out += _keys(v, key) if isinstance(v, dict) else [key]
    return out


@pytest.fixture(scope="module")
def theory_outputs() -> dict[str, list[str]]:
    from collapse.cli import main

    out = {}
    for sub in _theory_subcommands():
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = main(["theory", sub, "--json"])
        assert rc == 0, f"collapse theory {sub} --json exited {rc}"
        out[sub] = _keys(json.loads(buf.getvalue()))
    return out


def test_theory_outputs_are_listed_with_an_independent_check(theory_outputs):
    listed: dict[tuple[str, str], str] = {}
    for mod in claim_modules():
        listed.update(getattr(mod, "THEORY_OUTPUTS", {}))
    checks = {f"{claim.id}/{c.name}": c for claim in all_claims() for c in claim.checks}
    missing = []
    for sub, keys in theory_outputs.items():
        for key in keys:
            target = listed.get((sub, key))
            if target is None:
                missing.append(f"theory {sub} {key}: listed by no module's THEORY_OUTPUTS")
            elif target not in checks:
                missing.append(f"theory {sub} {key}: {target} is no check")
            elif checks[target].kind == "consistency":
                missing.append(f"theory {sub} {key}: {target} is a consistency step, not evidence")
    # a listed key theory prints only at other options (--r, --cut) is fine; its check must exist
    for (sub, key), target in listed.items():
        if key not in theory_outputs.get(sub, ()) and (target not in checks or checks[target].kind == "consistency"):
            missing.append(f"theory {sub} {key} (not printed at defaults): {target} is no independent check")
    assert not missing, f"{len(missing)} uncovered outputs:\n  " + "\n  ".join(missing)
