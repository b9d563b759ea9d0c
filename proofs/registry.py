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


#: seconds each claim took in a serial run at defaults (2-core machine, load ~6); orders the
#: parallel run longest first. A claim not listed is estimated from its simulation checks.
EXPECTED_SECONDS: dict[str, float] = {
    "discrete-loss": 1.0, "discrete-absorption": 0.5, "discrete-heterozygosity": 1.7,
    "discrete-absorption-time": 3.4, "discrete-lost-mass": 1.1, "thm3.1-gaussian-collapse": 8.2,
    "gaussian-w2-schedule": 7.9, "gaussian-mle-vs-unbiased": 4.3, "thm3.1-gaussian-collapse-d": 7.2,
    "gaussian-fresh-data": 8.1, "retrain-stability": 4.5, "discrete-fresh-data": 9.0,
    "discrete-accumulate": 3.0, "gaussian-accumulate-vs-replace": 7.0, "kde-variance": 1.8,
    "rates-bernoulli": 8.6, "rates-poisson-gw": 9.3, "tails-zipf-scaling": 9.6, "tails-cut-plateau": 2.2,
    "regression-replace-accumulate": 6.5,
    "suresh-gaussian-tail": 4.5, "suresh-unigram-survival": 5.7, "dey-donoho-augment": 6.0,
    "weighting-golden-ratio": 5.7, "curate-verification": 8.3,
    "advise-fresh-data": 7.0, "advise-sample-size": 1.2,
}


def verify(only: str | None = None, *, seed: int = 20240724, thorough: bool = False, progress: bool = True,
           jobs: int | None = None) -> list:
    """Run the claims whose ids match ``only`` (all by default); the list of ClaimResult.

    ``jobs``: worker processes (default ``min(2, cpu count)``; 1 runs serially in this
    process); the results do not depend on it. ``progress`` prints each claim's id to
    stderr as it starts (serial) or finishes (parallel).
    """
    import sys

    from collapse.core.validation import InvalidArgument
    from collapse.proofs.core import Context, default_jobs, run_claims

    claims = select(only)
    if not claims:
        raise InvalidArgument("--only", "a pattern matching at least one claim id ("
                              + ", ".join(c.id for c in all_claims()) + ")", only)
    jobs = default_jobs() if jobs is None else jobs
    word = "verifying" if jobs == 1 else "verified"
    say = (lambda cid: print(f"{word} {cid} ...", file=sys.stderr)) if progress else None
    return run_claims(claims, Context(seed=seed, thorough=thorough), progress=say, jobs=jobs)
