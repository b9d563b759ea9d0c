"""All claims, discovered: every module in :mod:`proofs` that defines ``CLAIMS``.

Modules are ordered by their ``ORDER`` (default 100), then by name, so the
report reads from the paper's own theorems to the results that followed it.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil

from proofs.core import Claim


def claim_modules() -> list:
    import proofs

    mods = []
    for info in pkgutil.iter_modules(proofs.__path__):
        mod = importlib.import_module(f"proofs.{info.name}")
        if hasattr(mod, "CLAIMS"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def all_claims() -> tuple[Claim, ...]:
    out: list[Claim] = [c for mod in claim_modules() for c in mod.CLAIMS]
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
