"""All claims, in the order ``collapse verify`` reports them."""

from __future__ import annotations

import fnmatch
import importlib

from proofs.core import Claim

#: modules that define ``CLAIMS``; each new claims module is added here
MODULES = ("proofs.gaussian", "proofs.gaussian_nd", "proofs.gaussian_mixing")


def all_claims() -> tuple[Claim, ...]:
    out: list[Claim] = []
    for name in MODULES:
        out.extend(importlib.import_module(name).CLAIMS)
    ids = [c.id for c in out]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuntimeError(f"duplicate claim ids: {sorted(dupes)}")
    return tuple(out)


def select(pattern: str | None) -> tuple[Claim, ...]:
    """Claims whose id contains a match of the glob ``pattern`` (``gaussian``, ``thm3.1-*-d``...)."""
    claims = all_claims()
    if not pattern:
        return claims
    return tuple(c for c in claims if fnmatch.fnmatchcase(c.id, f"*{pattern}*"))
