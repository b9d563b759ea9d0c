"""Claims, checks and the runner behind ``collapse verify``.

See :mod:`collapse.proofs` for what the kinds of step mean ("independent" evidence
versus "consistency"), what a simulation check's power statement says, and errata.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import os
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np

CheckKind = Literal["symbolic", "certificate", "simulation", "consistency"]
KINDS: tuple[str, ...] = ("symbolic", "certificate", "simulation", "consistency")
#: kinds whose passing steps count as independent evidence for the claim
EVIDENCE_KINDS: tuple[str, ...] = ("symbolic", "certificate", "simulation")

#: family-wise false-alarm probability of all simulation checks of one run
#: (Holm-corrected): a correct formula is reported as failing with probability <= 1e-6
FAMILY_ALPHA = 1e-6
#: the probability with which a simulation check's ``mde`` is detected (its power)
POWER = 0.99


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What a check found.

    ``ok``        symbolic / certificate / consistency checks: whether the identity or bound holds;
    ``p_value``   simulation checks: the p-value of the test of the closed form
                  (the pass/fail decision is made by the runner, Holm-corrected);
    ``detail``    one line of evidence a reader can follow;
    ``undecided`` (with ``ok=None``) a residual sympy cannot simplify that is numerically
                  zero at random points at 50 digits: shown as "undecided", does not fail;
    ``mde``       simulation checks (required): the smallest relative error in the checked
                  quantity detected with probability >= 0.99 at level ``ctx.alpha``
                  (:func:`proofs.stats.mde_z`, :func:`proofs.stats.ks_mde_scale`);
    ``moment``    the checked quantity is moment-type (a mean, variance, risk, frequency):
                  the test suite requires ``mde <= 0.01`` for those;
    ``witness``   for a failing identity: the point where the residual is not zero, and its value.
    """

    detail: str
    ok: bool | None = None
    p_value: float | None = None
    undecided: bool = False
    mde: float | None = None
    moment: bool = False
    witness: Any = None


@dataclasses.dataclass(frozen=True)
class Check:
    """A step that is checked by the machine.

    ``run(ctx)`` returns an :class:`Outcome`; it reads its formulas from
    ``analytic`` at call time, so altering a formula changes the verdict.
    ``route`` names in one line the independent route the check takes (required, and
    enforced by the coverage test, for every kind but ``consistency``).
    """

    name: str
    kind: CheckKind
    statement: str
    run: Callable[["Context"], Outcome]
    route: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"check {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def independent(self) -> bool:
        return self.kind in EVIDENCE_KINDS


@dataclasses.dataclass(frozen=True)
class Cited:
    """A step that rests on a standard theorem: stated and referenced, not checked."""

    name: str
    statement: str
    reference: str
    kind: str = "cited"


@dataclasses.dataclass(frozen=True)
class Part:
    """One part of a claim's statement, and the (non-consistency) checks of the claim that cover it."""

    text: str
    checks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.checks, str):  # Part("...", checks="one-check") is a common slip
            object.__setattr__(self, "checks", (self.checks,))


@dataclasses.dataclass(frozen=True)
class Erratum:
    """Where the paper's text is wrong or ambiguous.

    ``paper``: the paper's words (quoted); ``correct``: the correct statement;
    ``check``: the name of the check of the same claim that decides between them;
    ``where``: where in the paper.
    """

    paper: str
    correct: str
    check: str
    where: str = ""


@dataclasses.dataclass(frozen=True)
class Claim:
    id: str
    title: str
    statement: str
    source: str
    proof: tuple[Check | Cited, ...]
    evidence: tuple[Check, ...] = ()
    parts: tuple[Part, ...] = ()
    errata: tuple[Erratum, ...] = ()

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(s for s in self.proof if isinstance(s, Check)) + tuple(self.evidence)


@functools.lru_cache(maxsize=1)
def registry_simulation_count() -> int:
    """The number of simulation checks over every claim of the registry."""
    from collapse.proofs.registry import all_claims

    return sum(c.kind == "simulation" for claim in all_claims() for c in claim.checks)


@dataclasses.dataclass(frozen=True)
class Context:
    """Settings shared by the checks of one run.

    ``thorough`` asks simulation checks for more chains (``scale`` multiplies them).
    ``alpha`` is the per-check false-alarm level at which power is stated:
    ``FAMILY_ALPHA`` divided by the number of simulation checks in the whole registry
    (``n_simulation``, counted when not given), i.e. the smallest Holm threshold of any
    run, so a power statement made at it holds at every Holm step.
    """

    seed: int = 20240724
    thorough: bool = False
    n_simulation: int | None = None

    @property
    def scale(self) -> int:
        return 4 if self.thorough else 1

    @property
    def alpha(self) -> float:
        n = self.n_simulation if self.n_simulation is not None else registry_simulation_count()
        return FAMILY_ALPHA / max(1, n)

    def rng(self, name: str) -> np.random.Generator:
        """An independent stream per check, fixed by (seed, check name), order-free."""
        key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
        return np.random.default_rng(np.random.SeedSequence([self.seed, key]))


@dataclasses.dataclass
class CheckResult:
    name: str
    kind: str
    status: str  # "pass" | "fail" | "error" | "undecided" | "cited"
    detail: str
    seconds: float = 0.0
    statement: str = ""
    p_value: float | None = None
    threshold: float | None = None
    reference: str | None = None
    mde: float | None = None
    moment: bool = False
    route: str = ""
    witness: Any = None
    alpha: float | None = None  # the level ``mde`` is stated at (simulation checks)

    @property
    def independent(self) -> bool:
        return self.kind in EVIDENCE_KINDS


@dataclasses.dataclass
class ClaimResult:
    id: str
    title: str
    statement: str
    source: str
    status: str  # "pass" | "fail"
    seconds: float
    steps: list[CheckResult]  # proof steps then evidence, in order
    parts: list[dict] = dataclasses.field(default_factory=list)  # {"text", "checks"}
    errata: list[dict] = dataclasses.field(default_factory=list)  # {"paper", "correct", "check", "where", "status"}

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


def _jsonable(value: Any) -> Any:
    """A witness as JSON can carry it: str keys; numbers as floats where exact enough, else str."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)) and math.isfinite(value):
        return float(value)
    return str(value)


def _run_check(check: Check, ctx: Context) -> CheckResult:
    t0 = time.perf_counter()
    try:
        out = check.run(ctx)
        if not isinstance(out, Outcome):
            raise TypeError(f"check returned {type(out).__name__}, not an Outcome")
        alpha = None
        if check.kind == "simulation":
            if out.p_value is None or not (0.0 <= out.p_value <= 1.0):
                raise ValueError(f"simulation check returned no valid p-value: {out.p_value!r}")
            if out.mde is None or not (out.mde >= 0):  # also refuses NaN
                raise ValueError(f"simulation check states no power (Outcome.mde): {out.mde!r}")
            status, alpha = "pending", ctx.alpha
        elif out.ok is None and out.undecided:
            status = "undecided"
        else:
            status = "pass" if out.ok else "fail"
        res = CheckResult(check.name, check.kind, status, out.detail, statement=check.statement,
                          p_value=out.p_value, mde=None if out.mde is None else float(out.mde),
                          moment=bool(out.moment), route=check.route, witness=_jsonable(out.witness), alpha=alpha)
    except Exception as exc:  # a crashing check is a failing check, with the reason shown
        last = traceback.extract_tb(exc.__traceback__)[-1]
        res = CheckResult(check.name, check.kind, "error",
                          f"{type(exc).__name__}: {exc} (at {last.filename.rsplit('/', 1)[-1]}:{last.lineno})",
                          statement=check.statement, route=check.route)
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


def run_claim(claim: Claim, ctx: Context) -> ClaimResult:
    """Run one claim's steps; simulation checks are left "pending" for :func:`finish`."""
    t0 = time.perf_counter()
    steps = []
    for step in (*claim.proof, *claim.evidence):
        if isinstance(step, Cited):
            steps.append(CheckResult(step.name, "cited", "cited", step.statement,
                                     statement=step.statement, reference=step.reference))
        else:
            steps.append(_run_check(step, ctx))
    return ClaimResult(claim.id, claim.title, claim.statement, claim.source, "pending",
                       time.perf_counter() - t0, steps,
                       parts=[{"text": p.text, "checks": list(p.checks)} for p in claim.parts],
                       errata=[dataclasses.asdict(e) for e in claim.errata])


#: step statuses with which a claim still passes
PASSING = ("pass", "cited", "undecided")


def finish(results: list[ClaimResult]) -> list[ClaimResult]:
    """Holm-correct the pending simulation checks of all ``results`` together; set every status."""
    pending = [s for r in results for s in r.steps if s.status == "pending"]
    reject, thresholds = holm([s.p_value for s in pending])
    for s, rej, thr in zip(pending, reject, thresholds):
        s.status, s.threshold = ("fail" if rej else "pass"), thr
    for r in results:
        r.status = "pass" if all(s.status in PASSING for s in r.steps) else "fail"
        by_name = {s.name: s for s in r.steps}
        for e in r.errata:
            e["status"] = by_name[e["check"]].status if e["check"] in by_name else "missing"
    return results


def default_jobs() -> int:
    return min(2, os.cpu_count() or 1)


def run_claims(claims: Sequence[Claim], ctx: Context | None = None,
               progress: Callable[[str], None] | None = None, jobs: int = 1) -> list[ClaimResult]:
    """Run every check of ``claims``; simulation checks are Holm-corrected together.

    ``jobs > 1`` runs the claims of the registry in that many worker processes
    (longest first); each check draws from its own stream (:meth:`Context.rng`), so the
    results are those of the serial run. ``progress(claim_id)`` is called as each claim
    starts (serial) or finishes (parallel).
    """
    ctx = ctx or Context()
    if ctx.n_simulation is None:  # count once here, not once per worker
        ctx = dataclasses.replace(ctx, n_simulation=_simulation_count_for(claims))
    if jobs > 1 and len(claims) > 1:
        return finish(_run_parallel(claims, ctx, progress, jobs))
    return finish(_run_serial(claims, ctx, progress))


def _run_serial(claims: Sequence[Claim], ctx: Context, progress) -> list[ClaimResult]:
    results: list[ClaimResult] = []
    for claim in claims:
        if progress:
            progress(claim.id)
        results.append(run_claim(claim, ctx))
    return results


def _simulation_count_for(claims: Sequence[Claim]) -> int:
    """The registry's simulation-check count; for claims outside the registry, at least theirs."""
    own = sum(c.kind == "simulation" for claim in claims for c in claim.checks)
    try:
        return max(own, registry_simulation_count())
    except Exception:  # a broken claim module must not hide the others' results
        return own


# -- parallel runs ------------------------------------------------------------------------------

def _worker_init() -> None:
    """In a worker: leave Ctrl-C to the parent (which stops the pool), one BLAS thread each."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from threadpoolctl import threadpool_limits

        global _LIMITS
        _LIMITS = threadpool_limits(1)
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass


def _worker_run(claim_id: str, ctx: Context) -> ClaimResult:
    from collapse.proofs.registry import all_claims

    claim = next(c for c in all_claims() if c.id == claim_id)
    return run_claim(claim, ctx)


def _estimate(claim: Claim) -> float:
    """Expected seconds of a claim: the registry's table, else a guess from its simulation checks."""
    from collapse.proofs.registry import EXPECTED_SECONDS

    if claim.id in EXPECTED_SECONDS:
        return EXPECTED_SECONDS[claim.id]
    return 0.2 + 1.0 * sum(c.kind == "simulation" for c in claim.checks)


def _run_parallel(claims: Sequence[Claim], ctx: Context, progress, jobs: int) -> list[ClaimResult]:
    """The registry's claims in ``jobs`` processes, longest first; other claims here, serially."""
    import multiprocessing
    import sys
    import threading
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from collapse.proofs.registry import all_claims

    known = {c.id: c for c in all_claims()}
    remote = [c for c in claims if known.get(c.id) is c]
    local = [c for c in claims if known.get(c.id) is not c]
    results: dict[int, ClaimResult] = {}
    index = {id(c): k for k, c in enumerate(claims)}
    if not remote:  # nothing a worker can look up: run here
        return _run_serial(claims, ctx, progress)
    # forked workers share the parent's imports (and any derivation it cached); a process that
    # already runs other threads (a reproduce run after dask) forks unsafely, so it starts them fresh
    method = "fork" if sys.platform.startswith("linux") and threading.active_count() == 1 else None
    if method is None and "forkserver" in multiprocessing.get_all_start_methods():
        method = "forkserver"
    pool = ProcessPoolExecutor(max_workers=min(jobs, max(1, len(remote))), initializer=_worker_init,
                               mp_context=multiprocessing.get_context(method))
    futures: dict = {}
    try:
        for c in sorted(remote, key=_estimate, reverse=True):
            futures[pool.submit(_worker_run, c.id, ctx)] = c
        for c in local:
            if progress:
                progress(c.id)
            results[index[id(c)]] = run_claim(c, ctx)
        for fut in as_completed(futures):
            c = futures[fut]
            results[index[id(c)]] = fut.result()
            if progress:
                progress(c.id)
    except BaseException:  # KeyboardInterrupt included: stop the workers, then re-raise
        for fut in futures:
            fut.cancel()
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [results[k] for k in range(len(claims))]
