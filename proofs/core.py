"""Claims, checks and the runner behind ``collapse verify``."""

from __future__ import annotations

import dataclasses
import hashlib
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

CheckKind = Literal["symbolic", "certificate", "simulation"]
KINDS: tuple[str, ...] = ("symbolic", "certificate", "simulation")

#: family-wise false-alarm probability of all simulation checks of one run
#: (Holm-corrected): a correct formula is reported as failing with probability <= 1e-6
FAMILY_ALPHA = 1e-6


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a check found.

    ``ok``      symbolic / certificate checks: whether the identity or bound holds;
    ``p_value`` simulation checks: the p-value of the test of the closed form
                (the pass/fail decision is made by the runner, Holm-corrected);
    ``detail``  one line of evidence a reader can follow.
    """

    detail: str
    ok: bool | None = None
    p_value: float | None = None


@dataclasses.dataclass(frozen=True)
class Check:
    """A step that is checked by the machine.

    ``run(ctx)`` returns an :class:`Outcome`; it reads its formulas from
    ``analytic`` at call time, so altering a formula changes the verdict.
    """

    name: str
    kind: CheckKind
    statement: str
    run: Callable[["Context"], Outcome]

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"check {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")


@dataclasses.dataclass(frozen=True)
class Cited:
    """A step that rests on a standard theorem: stated and referenced, not checked."""

    name: str
    statement: str
    reference: str
    kind: str = "cited"


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str
    title: str
    statement: str
    source: str
    proof: tuple[Check | Cited, ...]
    evidence: tuple[Check, ...] = ()

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(s for s in self.proof if isinstance(s, Check)) + tuple(self.evidence)


@dataclasses.dataclass(frozen=True)
class Context:
    """Settings shared by the checks of one run.

    ``thorough`` asks simulation checks for more chains (``scale`` multiplies them).
    """

    seed: int = 20240724
    thorough: bool = False

    @property
    def scale(self) -> int:
        return 4 if self.thorough else 1

    def rng(self, name: str) -> np.random.Generator:
        """An independent stream per check, fixed by (seed, check name), order-free."""
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
        return np.random.default_rng(np.random.SeedSequence([self.seed, key]))


@dataclasses.dataclass
class CheckResult:
    name: str
    kind: str
    status: str  # "pass" | "fail" | "error" | "cited"
    detail: str
    seconds: float = 0.0
    statement: str = ""
    p_value: float | None = None
    threshold: float | None = None
    reference: str | None = None


@dataclasses.dataclass
class ClaimResult:
    id: str
    title: str
    statement: str
    source: str
    status: str  # "pass" | "fail"
    seconds: float
    steps: list[CheckResult]  # proof steps then evidence, in order

    @property
    def checks(self) -> list[CheckResult]:
        return [s for s in self.steps if s.kind != "cited"]

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d["checks"] = [dataclasses.asdict(c) for c in self.checks]
        d["cited"] = [dataclasses.asdict(c) for c in self.steps if c.kind == "cited"]
        del d["steps"]
        d["proof"] = [c.name for c in self.steps]
        return d


def _run_check(check: Check, ctx: Context) -> CheckResult:
    t0 = time.perf_counter()
    try:
        out = check.run(ctx)
        if check.kind == "simulation":
            if out.p_value is None or not (0.0 <= out.p_value <= 1.0):
                raise ValueError(f"simulation check returned no valid p-value: {out.p_value!r}")
            status = "pending"
        else:
            status = "pass" if out.ok else "fail"
        res = CheckResult(check.name, check.kind, status, out.detail, statement=check.statement, p_value=out.p_value)
    except Exception as exc:  # a crashing check is a failing check, with the reason shown
        last = traceback.extract_tb(exc.__traceback__)[-1]
        res = CheckResult(check.name, check.kind, "error",
                          f"{type(exc).__name__}: {exc} (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})",
                          statement=check.statement)
    res.seconds = time.perf_counter() - t0
    return res


def holm(p_values: Sequence[float], alpha: float = FAMILY_ALPHA) -> tuple[list[bool], list[float]]:
    """Holm's step-down procedure: which hypotheses are rejected, and each threshold used."""
    order = np.argsort(p_values, kind="stable")
    m = len(p_values)
    reject, thresholds = [False] * m, [alpha] * m
    stopped = False
    for rank, idx in enumerate(order):
        thresholds[idx] = alpha / (m - rank)
        if not stopped and p_values[idx] <= thresholds[idx]:
            reject[idx] = True
        else:
            stopped = True
    return reject, thresholds


def run_claims(claims: Sequence[Claim], ctx: Context | None = None,
               progress: Callable[[str], None] | None = None) -> list[ClaimResult]:
    """Run every check of ``claims``; simulation checks are Holm-corrected together."""
    ctx = ctx or Context()
    results: list[ClaimResult] = []
    for claim in claims:
        if progress:
            progress(claim.id)
        t0 = time.perf_counter()
        steps = []
        for step in (*claim.proof, *claim.evidence):
            if isinstance(step, Cited):
                steps.append(CheckResult(step.name, "cited", "cited", step.statement,
                                         statement=step.statement, reference=step.reference))
            else:
                steps.append(_run_check(step, ctx))
        results.append(ClaimResult(claim.id, claim.title, claim.statement, claim.source, "pending",
                                   time.perf_counter() - t0, steps))
    pending = [s for r in results for s in r.steps if s.status == "pending"]
    reject, thresholds = holm([s.p_value for s in pending])
    for s, rej, thr in zip(pending, reject, thresholds):
        s.status, s.threshold = ("fail" if rej else "pass"), thr
    for r in results:
        r.status = "pass" if all(s.status in ("pass", "cited") for s in r.steps) else "fail"
    return results
