"""All claims, discovered: every module in :mod:`collapse.proofs` that defines ``CLAIMS``.

Modules are ordered by their ``ORDER`` (default 100), then by name, so the
report reads from the paper's own theorems to the results that followed it.
"""

from __future__ import annotations

import fnmatch

from collapse.core.discover import submodules
from collapse.proofs.core import Claim


def claim_modules() -> list:
    from collapse import proofs

    mods = [mod for mod in submodules(proofs) if hasattr(mod, "CLAIMS")]
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


def verify(only: str | None = None, *, seed: int = 20240724, thorough: bool = False, progress: bool = True) -> list:
    """Run the claims whose ids match ``only`` (all by default); the list of ClaimResult.

    ``progress`` prints each claim's id to stderr as it starts.
    """
    import sys

    from collapse.core.validation import InvalidArgument
    from collapse.proofs.core import Context, run_claims

    claims = select(only)
    if not claims:
        raise InvalidArgument("--only", "a pattern matching at least one claim id ("
                              + ", ".join(c.id for c in all_claims()) + ")", only)
    say = (lambda cid: print(f"verifying {cid} ...", file=sys.stderr)) if progress else None
    return run_claims(claims, Context(seed=seed, thorough=thorough), progress=say)
