"""Source mutation testing: apply each edit of the tables in tests/proofs/source_mutations/
to a private copy of the package, run the claims it lists there, report which checks kill it.

    python -m tests.proofs.mutate [--only SUBSTRING] [--fast] [--jobs N] [--json FILE] [--timeout S] [--list]

How an edit is run (the working tree is never touched):

1. The package is materialised once in a temporary folder laid out as installed
   (``ROOT/collapse/`` = ``collapse/``, ``ROOT/collapse/analytic/`` = ``analytic/``, ... as
   pyproject.toml's ``[tool.setuptools.package-dir]`` maps them): the *snapshot*.
2. Baseline: the unmutated snapshot runs every claim the selected edits list; each of
   those claims must pass (else the run aborts with the failing checks).
3. Each worker process of the pool (``--jobs``, default 2) copies the snapshot once;
   for each edit it replaces ``find`` by ``replace`` in its copy's file, runs the
   listed claims in a child ``python -P`` with ``PYTHONPATH=<copy>`` (the child asserts
   that every ``collapse`` module it loaded comes from the copy: the editable install's
   finder sits after the PathFinder on ``sys.meta_path``, so PYTHONPATH wins),
   ``PYTHONDONTWRITEBYTECODE=1`` (no stale ``.pyc`` between mutants of equal size),
   ``COLLAPSE_CACHE_DIR`` a fresh empty folder (no cached derivation can be served)
   and a timeout; then it restores the file.

The child runs ``collapse.proofs.registry.verify(..., progress=False, jobs=1)`` on exactly
the listed claims (exact ids, not the glob) and prints the statuses of their checks.
An edit is KILLED when a check fails or errors. A simulation check counts as failed
only when its p-value is at most the registry-wide level ``ctx.alpha`` =
FAMILY_ALPHA / (simulation checks in the registry), the smallest Holm threshold: a
rejection there is a rejection in the full ``collapse verify`` run as well, whatever
the other checks' p-values, while Holm over only the listed claims would be more lenient
than the full run. A kill by ``consistency`` checks only is marked so.

Results: ``killed`` (by which checks) / ``SURVIVED`` / ``equivalent`` (marked equivalent
and survived; the justification is printed) / ``INVALID`` (the edit breaks the syntax or
the import: killed, but not a meaningful mutant) / ``TIMEOUT`` / ``KILLED but marked
equivalent`` (the justification is wrong). Exit status 1 when any edit is SURVIVED,
INVALID, TIMEOUT or killed though marked equivalent; 2 when the baseline fails or the
table is bad.

This module imports only the standard library at the top: it is also the child
(``python -P mutate.py --child SPEC``), which must import ``collapse`` from the copy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
MARKER = "@@collapse-mutate@@"
DEFAULT_TIMEOUT = 600.0
#: statuses of a check with which its claim does not fail
PASSING = ("pass", "cited", "undecided")


# ------------------------------------------------------------------ the child
def _child(spec: dict) -> int:
    """In the child: import collapse from the copy, run the claims, print the statuses."""
    import traceback

    def emit(obj) -> None:
        sys.stdout.write("\n" + MARKER + json.dumps(obj) + "\n")
        sys.stdout.flush()

    root = Path(spec["root"]).resolve()
    try:
        import collapse
        from collapse.proofs import core, registry

        claims_all = registry.all_claims()
    except BaseException as exc:  # noqa: BLE001 - a syntax or import error from the edit
        emit({"import_error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]})
        return 3
    if not Path(collapse.__file__).resolve().is_relative_to(root):
        emit({"fatal": f"collapse was imported from {collapse.__file__}, not from the copy under {root}"})
        return 2
    by_id = {c.id: c for c in claims_all}
    unknown = [c for c in spec["claims"] if c not in by_id]
    if unknown:
        emit({"fatal": f"unknown claim ids {unknown}; known: {sorted(by_id)}"})
        return 2
    chosen = tuple(by_id[c] for c in spec["claims"])
    registry.select = lambda only: chosen  # exact ids: verify's glob would also run "<id>-d" etc.
    t0 = time.perf_counter()
    try:
        import inspect

        serial = {"jobs": 1} if "jobs" in inspect.signature(registry.verify).parameters else {}
        results = registry.verify("exact ids", seed=spec.get("seed", 20240724), progress=False, **serial)
    except BaseException as exc:  # noqa: BLE001 - counted as an error of every listed claim
        emit({"run_error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-3000:]})
        return 4
    seconds = time.perf_counter() - t0
    foreign = sorted(name for name, mod in list(sys.modules.items())
                     if name.split(".")[0] == "collapse" and getattr(mod, "__file__", None)
                     and not Path(mod.__file__).resolve().is_relative_to(root))
    if foreign:
        emit({"fatal": f"modules imported from outside the copy {root}: {foreign}"})
        return 2
    n_sim = core.registry_simulation_count() if hasattr(core, "registry_simulation_count") else sum(
        c.kind == "simulation" for cl in claims_all for c in cl.checks)
    level = core.FAMILY_ALPHA / max(1, n_sim)
    checks = []
    for r in results:
        for s in r.steps:
            if s.kind == "cited":
                continue
            status = s.status
            if s.kind == "simulation" and status in ("pass", "fail") and s.p_value is not None:
                status = "fail" if s.p_value <= (getattr(s, "alpha", None) or level) else "pass"
            checks.append({"claim": r.id, "check": s.name, "kind": s.kind, "status": status,
                           "verify_status": s.status, "p_value": s.p_value, "seconds": round(s.seconds, 3),
                           "detail": s.detail[:400]})
    emit({"collapse_file": collapse.__file__, "seconds": seconds, "level": level,
          "claim_seconds": {r.id: r.seconds for r in results}, "checks": checks})
    return 0


# ------------------------------------------------------------------ the copy
def package_dirs(checkout: Path = CHECKOUT) -> dict[str, str]:
    """pyproject.toml's ``[tool.setuptools.package-dir]``: package name -> checkout folder."""
    import tomllib

    with open(checkout / "pyproject.toml", "rb") as fh:
        data = tomllib.load(fh)
    return dict(data["tool"]["setuptools"]["package-dir"])


def layout(checkout: Path = CHECKOUT) -> dict[str, str]:
    """Checkout folder -> folder in the copy (``analytic`` -> ``collapse/analytic``)."""
    return {folder.strip("/"): name.replace(".", "/") for name, folder in package_dirs(checkout).items()}


def copy_path(file: str, lay: dict[str, str]) -> str:
    """Where checkout file ``file`` (``analytic/gaussian.py``) lives in the copy."""
    parts = Path(file).parts
    for k in range(len(parts) - 1, 0, -1):
        folder = "/".join(parts[:k])
        if folder in lay:
            return "/".join((lay[folder], *parts[k:]))
    raise ValueError(f"{file} is in no package folder of pyproject's package-dir ({', '.join(sorted(lay))})")


_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")


def materialise(dest: Path, checkout: Path = CHECKOUT) -> Path:
    """Copy the package into ``dest`` laid out as installed; returns ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    # parents before children: "collapse" first, then "collapse.core"...
    for folder, target in sorted(layout(checkout).items(), key=lambda kv: kv[1].count("/")):
        shutil.copytree(checkout / folder, dest / target, ignore=_IGNORE, dirs_exist_ok=True)
    return dest


_RUNNING: set = set()  # children of this process now running (killed with the worker)


def _kill(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the child and anything it started (its own session)
    except (ProcessLookupError, PermissionError):
        pass


def run_child(root: Path, claims, timeout: float, seed: int = 20240724) -> dict:
    """Run ``claims`` against the package under ``root`` in a fresh interpreter; the child's report."""
    # beside the copy, so that it goes with the run's folder even when a worker is killed
    cache = tempfile.mkdtemp(prefix="cache-", dir=Path(root).parent)
    env = dict(os.environ)
    env.update(PYTHONPATH=os.pathsep.join([str(root), *filter(None, [os.environ.get("PYTHONPATH")])]),
               PYTHONDONTWRITEBYTECODE="1", COLLAPSE_CACHE_DIR=cache, MPLBACKEND="Agg",
               OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("PYTHONSTARTUP", None)
    spec = json.dumps({"root": str(root), "claims": list(claims), "seed": seed})
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-P", str(Path(__file__).resolve()), "--child", spec],
                            cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    _RUNNING.add(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        return {"timeout": timeout, "wall": time.perf_counter() - t0}
    finally:
        _RUNNING.discard(proc)
        shutil.rmtree(cache, ignore_errors=True)
    wall = time.perf_counter() - t0
    reports = [line[len(MARKER):] for line in out.splitlines() if line.startswith(MARKER)]
    if not reports:
        return {"crash": f"child exited {proc.returncode} without a report", "stderr": err[-3000:], "wall": wall}
    rep = json.loads(reports[-1])
    rep["wall"] = wall
    if "fatal" in rep:
        raise RuntimeError(f"mutation child: {rep['fatal']}")
    if "checks" in rep and not Path(rep["collapse_file"]).resolve().is_relative_to(Path(root).resolve()):
        raise RuntimeError(f"mutation child imported collapse from {rep['collapse_file']}, not from {root}")
    return rep


def failing(rep: dict) -> list[dict]:
    return [c for c in rep.get("checks", ()) if c["status"] not in PASSING]


# ------------------------------------------------------------------ workers
_WORKER: dict = {}


def _on_term(signum, frame) -> None:
    for proc in list(_RUNNING):
        _kill(proc)
    os._exit(1)


def _init_worker(snapshot: str, parent: str) -> None:
    # Ctrl-C is the parent's to handle: it terminates the workers, each kills its child first
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_term)
    root = Path(parent) / f"worker-{os.getpid()}"
    shutil.copytree(snapshot, root, dirs_exist_ok=True)
    _WORKER["root"] = root


def _baseline_job(claims, timeout: float, snapshot: str) -> dict:
    return run_child(Path(snapshot), claims, timeout)


def _mutant_job(m: dict, target: str, timeout: float) -> dict:
    """Apply edit ``m`` to this worker's copy, run its claims, restore the file."""
    root = _WORKER["root"]
    path = root / target
    original = path.read_bytes()
    text = original.decode("utf-8")
    count = text.count(m["find"])
    if count != 1:
        return {"table_error": f"find occurs {count} times in the snapshot's {m['file']}"}
    new = text.replace(m["find"], m["replace"], 1)
    try:
        compile(new, str(path), "exec")
    except SyntaxError as exc:
        return {"syntax_error": f"{exc.msg} (line {exc.lineno})"}
    try:
        path.write_text(new, encoding="utf-8")
        return run_child(root, m["claims"], timeout)
    finally:
        path.write_bytes(original)


# ------------------------------------------------------------------ results
@dataclasses.dataclass
class Result:
    mutation: object
    status: str  # killed | survived | equivalent | invalid | timeout | equivalent-killed | error
    text: str  # the result column
    killers: list = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    checks: list = dataclasses.field(default_factory=list)

    def to_json(self) -> dict:
        m = self.mutation
        return {"id": m.id, "table": m.table, "file": m.file, "find": m.find, "replace": m.replace,
                "claims": list(m.claims), "why": m.why, "equivalent": m.equivalent, "fast": m.fast,
                "status": self.status, "result": self.text, "killers": self.killers,
                "seconds": round(self.seconds, 2), "checks": self.checks}


def classify(m, rep: dict) -> Result:
    wall = rep.get("wall", 0.0)
    if "table_error" in rep:
        return Result(m, "error", f"TABLE ERROR: {rep['table_error']}", seconds=wall)
    if "syntax_error" in rep:
        return Result(m, "invalid", f"INVALID (killed by a syntax error: {rep['syntax_error']}; not a meaningful mutant)")
    if "import_error" in rep or "crash" in rep:
        why = rep.get("import_error") or rep["crash"] + ": " + rep.get("stderr", "")[-300:]
        return Result(m, "invalid", f"INVALID (killed by an import error: {why}; not a meaningful mutant)",
                      seconds=wall)
    if "timeout" in rep:
        return Result(m, "timeout", f"TIMEOUT after {rep['timeout']:.0f} s (undecided)", seconds=wall)
    if "run_error" in rep:
        killers = [f"verify: {rep['run_error']}"]
    else:
        killers = [f"{c['claim']}/{c['check']}" + (f" ({c['status']})" if c["status"] != "fail" else
                                                    f" (p={c['p_value']:.1e})" if c["kind"] == "simulation" else "")
                   for c in failing(rep)]
    kinds = {c["kind"] for c in failing(rep)}
    checks = rep.get("checks", [])
    if killers:
        note = " [consistency checks only]" if kinds == {"consistency"} else ""
        if m.equivalent is not None:
            return Result(m, "equivalent-killed", f"KILLED but marked equivalent ({m.equivalent}): by "
                          + ", ".join(killers), killers, wall, checks)
        return Result(m, "killed", "killed by " + ", ".join(killers) + note, killers, wall, checks)
    if m.equivalent is not None:
        return Result(m, "equivalent", f"equivalent: {m.equivalent}", [], wall, checks)
    return Result(m, "survived", "SURVIVED", [], wall, checks)


BAD = ("survived", "invalid", "timeout", "equivalent-killed", "error")


def summary(results: list[Result], seconds: float | None = None) -> str:
    n = len(results)
    count = {s: sum(r.status == s for r in results) for s in
             ("killed", "survived", "equivalent", "invalid", "timeout", "equivalent-killed", "error")}
    line = (f"{n} edits, {count['killed'] + count['invalid']} killed, {count['survived']} survived, "
            f"{count['equivalent']} equivalent")
    extra = [f"{count['invalid']} of the killed invalid (syntax/import error)" if count["invalid"] else "",
             f"{count['timeout']} timed out" if count["timeout"] else "",
             f"{count['equivalent-killed']} marked equivalent but killed" if count["equivalent-killed"] else "",
             f"{count['error']} table errors" if count["error"] else "",
             f"{seconds:.0f} s" if seconds is not None else ""]
    extra = [e for e in extra if e]
    return line + (" (" + "; ".join(extra) + ")" if extra else "")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(results: list[Result]) -> str:
    rows = ["| id | file | edit: what it breaks | claims | result |", "|---|---|---|---|---|"]
    for r in results:
        m = r.mutation
        rows.append("| " + " | ".join(_cell(x) for x in (m.id, m.file, m.why, ", ".join(m.claims), r.text)) + " |")
    return "\n".join(rows)


# ------------------------------------------------------------------ the run
class BaselineError(RuntimeError):
    pass


def run_mutations(mutations, *, jobs: int = 2, timeout: float = DEFAULT_TIMEOUT, progress: bool = True,
                  checkout: Path = CHECKOUT, keep: Path | None = None) -> tuple[list[Result], dict]:
    """Baseline, then every edit of ``mutations`` (ids given); the results in table order and
    the baseline's report ``{"claim_seconds": ..., "wall": ...}``.

    Raises :class:`BaselineError` when the unmutated copy fails a listed claim.
    """
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm import tqdm

    mutations = list(mutations)
    lay = layout(checkout)
    targets = [copy_path(m.file, lay) for m in mutations]
    claims = list(dict.fromkeys(c for m in mutations for c in m.claims))
    parent = Path(tempfile.mkdtemp(prefix="collapse-mutate-")) if keep is None else Path(keep)
    snapshot = materialise(parent / "snapshot", checkout)
    jobs = max(1, int(jobs))
    # fork: the workers only copy files and start children, and the caller needs no __main__ guard
    ctx = multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")
    bar = tqdm(total=len(mutations), desc="mutants", unit="edit", file=sys.stderr, disable=not progress)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                               initargs=(str(snapshot), str(parent)))
    try:
        # baseline: the listed claims on the unmutated snapshot, split over the workers
        t0 = time.perf_counter()
        groups = [claims[k::jobs] for k in range(jobs) if claims[k::jobs]]
        bar.set_description("baseline")
        reps = [f.result() for f in [pool.submit(_baseline_job, g, timeout, str(snapshot)) for g in groups]]
        base = {"claim_seconds": {}, "wall": time.perf_counter() - t0, "checks": []}
        problems = []
        for g, rep in zip(groups, reps):
            if "checks" not in rep:
                problems.append(f"claims {g}: " + json.dumps({k: v for k, v in rep.items() if k != "wall"})[:3000])
                continue
            base["claim_seconds"].update(rep["claim_seconds"])
            base["checks"] += rep["checks"]
            problems += [f"{c['claim']}/{c['check']} ({c['kind']}): {c['status']}: {c['detail']}"
                         for c in failing(rep)]
        if problems:
            raise BaselineError("the unmutated copy fails listed claims, so no edit can be judged:\n  "
                                + "\n  ".join(problems))
        bar.set_description("mutants")
        cost = base["claim_seconds"]
        order = sorted(range(len(mutations)), key=lambda k: -sum(cost.get(c, 1.0) for c in mutations[k].claims))
        futures = {}
        for k in order:
            m = mutations[k]
            futures[pool.submit(_mutant_job, {"file": m.file, "find": m.find, "replace": m.replace,
                                              "claims": list(m.claims)}, targets[k], timeout)] = k
        results: list[Result | None] = [None] * len(mutations)
        for fut in as_completed(futures):
            k = futures[fut]
            results[k] = classify(mutations[k], fut.result())
            bar.update(1)
            if progress and results[k].status in BAD:
                bar.write(f"{mutations[k].id}: {results[k].text}", file=sys.stderr)
        pool.shutdown(wait=True)
    except BaseException:  # Ctrl-C or a failure: stop the workers (and their children) now
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        bar.close()
        if keep is None:
            shutil.rmtree(parent, ignore_errors=True)
    return results, base


def select(mutations, only: str | None = None, fast: bool = False):
    from tests.proofs.source_mutations import fast_subset

    if fast:
        mutations = fast_subset(mutations)
    if only:
        mutations = [m for m in mutations if only in m.id or only in m.file]
    return mutations


def main(argv=None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["--child"]:
        return _child(json.loads(argv[1]))
    p = argparse.ArgumentParser(prog="python -m tests.proofs.mutate", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", metavar="SUBSTRING", help="only edits whose id or file contains SUBSTRING")
    p.add_argument("--fast", action="store_true", help="only the fast subset the test suite runs")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON here")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help=f"seconds one child (one edit's claims) may run (default {DEFAULT_TIMEOUT:.0f})")
    p.add_argument("--list", action="store_true", help="list the selected edits and exit")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error("--jobs must be at least 1")
    from tests.proofs.source_mutations import TableError, all_mutations

    try:
        mutations = select(all_mutations(), args.only, args.fast)
    except TableError as exc:
        print(exc, file=sys.stderr)
        return 2
    if not mutations:
        print("no edit matches", file=sys.stderr)
        return 2
    if args.list:
        for m in mutations:
            print(f"{m.id}\t{m.file}\t{', '.join(m.claims)}\t{m.why}" + ("\t[fast]" if m.fast else ""))
        return 0
    t0 = time.perf_counter()
    try:
        results, base = run_mutations(mutations, jobs=args.jobs, timeout=args.timeout, progress=not args.quiet)
    except BaselineError as exc:
        print(f"baseline failed: {exc}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - t0
    print(table(results))
    print()
    print(summary(results, seconds))
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary(results, seconds), "seconds": seconds,
                                               "baseline_claim_seconds": base["claim_seconds"],
                                               "results": [r.to_json() for r in results]}, indent=1) + "\n")
    return 1 if any(r.status in BAD for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
