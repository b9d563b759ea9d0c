"""``collapse reproduce``: every claim and figure into one run folder, resumable part by part.

Built on library functions only: the claims (:func:`collapse.proofs.registry.verify`),
the simulated experiments (:func:`collapse.simulate.experiments.figure_runs` and
``run_experiment``), the language-model driver (:mod:`collapse.llm.experiment`) and the
figure registry. The folder is a :class:`collapse.core.runner.Run` named ``reproduce``
(its config: scale, seed, options; a rerun with others is refused unless ``--force``),
and every experiment is a run of its own in the same folder, so each resumes on its own.

A part is a named unit of work with a config; when it completes, its record
``parts/<name>.json`` (config, outputs, seconds, status) is written atomically.
A rerun skips parts whose record says done with the same config, so a killed
run resumes where it stopped; a part that fails is recorded with its error
and the others still run. The exit status is 1 if any part failed.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from collapse.core.runio import as_json
from collapse.core.runner import DamagedFile, Run, file_digest
from collapse.core.validation import InvalidArgument


@dataclasses.dataclass(frozen=True)
class Part:
    """A named unit of work; ``config`` is what it derives from (a change redoes the part)."""

    name: str
    description: str
    config: dict
    run: Callable[[Run], list[Path] | dict]  # run(reproduce's run) -> files written, or figures drawn


def _verify_part(seed: int, thorough: bool) -> Part:
    def run(r: Run) -> list[Path]:
        from collapse.proofs import report
        from collapse.proofs.registry import verify

        results = verify(None, seed=seed, thorough=thorough, progress=False)
        paths = [r.write_text("claims.json", report.to_json(results) + "\n"),
                 r.write_text("claims.md", report.markdown(results, header=f"Seed {seed}."))]
        print(report.table(results))
        if any(res.status != "pass" for res in results):
            raise RuntimeError("some claims fail: see claims.md")
        return paths

    from collapse.proofs.registry import all_claims

    # the claim ids are part of the part's config, so a run made before claims were added is redone
    config = {"seed": seed, "thorough": thorough, "claims": [c.id for c in all_claims()]}
    return Part("verify", "machine-checked claims", config, run)


def _draw(names: list[str], results: Path, r: Run) -> dict:
    """Draw figures ``names`` from ``results``; the record says which files each figure made."""
    from collapse.figures.registry import all_figures

    figs = all_figures()
    r.own("figures")
    return {name: {"results": str(results), "files": [str(p) for p in figs[name].draw(results, r.path("figures"))]}
            for name in names}


def _figure_part(figure: str, seed: int, scale: str, options: dict, force: bool) -> Part:
    """The simulated experiments behind a figure (each resumable on its own), then the figure."""
    from collapse.simulate.experiments import figure_runs

    opts = {"mnist": str(options["mnist"])} if figure == "vae" and options.get("mnist") else {}
    runs = figure_runs(figure, seed, **opts)
    config = {"figure": figure, "scale": scale, "runs": {name: as_json(cfg) for name, cfg in runs}}

    def run(r: Run) -> dict:
        from collapse.simulate.experiments import run_experiment

        for name, cfg in runs:
            run_experiment(r.folder, name, cfg, force=force)
        return _draw([figure], r.path("results"), r)

    return Part(f"figure-{figure}", f"figure {figure} ({scale} run)", config, run)


def _llm_part(seed: int, scale: str, options: dict, force: bool) -> Part:
    """The language-model experiment: the quick preset offline, or the paper's protocol."""
    config = {"seed": seed, "scale": scale, "model": options.get("model"), "data": options.get("data")}

    def run(r: Run) -> dict:
        from collapse.figures.registry import all_figures

        results = r.path("llm")
        if scale == "quick":
            from collapse.llm.experiment import run_quick

            run_quick(results, seed=seed, force=force)
        else:
            from collapse.llm.config import preset
            from collapse.llm.experiment import Runtime
            from collapse.llm.experiment import run as run_llm

            overrides = {k: v for k, v in (("model", config["model"]), ("data", config["data"])) if v}
            run_llm(preset("paper", **overrides), results, Runtime(device="auto", progress=True), force=force)
        names = [n for n in all_figures() if n.startswith("llm-")]
        return _draw(names, results, r)

    return Part("llm", f"language-model experiment ({scale})", config, run)


#: what --full needs, said before it starts
FULL_NEEDS = """collapse reproduce --full runs the paper's sizes:
  - OPT-125m and WikiText-2 from the Hugging Face hub (or --model DIR / --data DIR with local copies);
    a GPU: an estimated 4-17 min per generation of each chain on one modern GPU (README), about 11-36
    GPU-hours for 3 settings x 5 seeds x 10 generations (torchrun spreads it over several GPUs);
  - MNIST idx files for the VAE (--mnist DIR; without it the embedded 8x8 digits are used, a reduced scale);
  - the GMM (2000 generations) and single Gaussian (1000 generations) at the paper's sizes: minutes;
  - thorough verification (4x the chains in every simulation check): about 2 minutes.
A killed run resumes where it stopped."""


def parts(scale: str, seed: int, options: dict | None = None, force: bool = False) -> list[Part]:
    options = options or {}
    figures = ("gaussian", "gaussian-theory", "regimes", "discrete", "gmm", "vae")
    return ([_verify_part(seed, thorough=scale == "full")]
            + [_figure_part(f, seed, scale, options, force) for f in figures]
            + [_llm_part(seed, scale, options, force)])


def _check_options(scale: str, options: dict) -> None:
    """Options that only --full reads are refused at --quick, not silently ignored."""
    from collapse.core.validation import InvalidArgument

    for key in ("model", "data"):
        if scale == "quick" and options.get(key):
            raise InvalidArgument(f"--{key}", "to be given with --full only (--quick runs the embedded defaults)",
                                  str(options[key]))


def reproduce(out: Path, scale: str = "quick", seed: int = 20240724, *, force: bool = False, **options) -> int:
    """Run every part into ``out`` (resumable); ``options``: ``mnist``, ``model``, ``data`` (full scale).

    The run folder's config is the scale, the seed and the options: a rerun with another is
    refused (naming what differs) unless ``force``, which starts every part over.
    """
    _check_options(scale, options)
    run = Run.open(out, "reproduce", {"scale": scale, "seed": seed, **{k: str(v) for k, v in options.items()}},
                   seed=seed, force=force)
    out = run.folder
    if scale == "full":
        print(FULL_NEEDS, file=sys.stderr)
    records = {part.name: _run_part(part, run) for part in parts(scale, seed, options, force)}
    _summary(run, records, scale, seed)
    from collapse.report import build

    for rel in ("report.md", "report.html"):
        run.own(rel)
    md, page = build(out, scale, seed)
    failed = [k for k, r in records.items() if r["status"] != "done"]
    print(f"report: {page} (and {md.name})")
    print(f"run folder: {out}" + (f"; FAILED parts: {', '.join(failed)}" if failed else "; all parts done"))
    return 1 if failed else 0


def _run_part(part: Part, run: Run) -> dict:
    """Part ``part``'s record: read back when it is done with the same config, else run (and saved)."""
    rel = f"parts/{part.name}.json"
    if run.done(rel):
        rec = run.read(rel)
        if (isinstance(rec, dict) and rec.get("status") == "done" and rec.get("part_config") == as_json(part.config)
                and _outputs_intact(rec)):
            print(f"[{part.name}] done earlier, kept ({run.path(rel)})", file=sys.stderr)
            return rec
    print(f"[{part.name}] {part.description} ...", file=sys.stderr)
    t0 = time.perf_counter()
    try:
        made = part.run(run)
        if isinstance(made, dict):  # figure parts: {figure: {"results": dir, "files": [...]}}
            rec = {"status": "done", "figures": made, "files": [f for fig in made.values() for f in fig["files"]]}
        else:
            rec = {"status": "done", "files": [str(p) for p in made]}
    except InvalidArgument as exc:  # a damaged file, a refused resume: one line, the others still run
        print(f"[{part.name}] collapse: error: {exc}", file=sys.stderr)
        rec = {"status": "failed", "error": str(exc)}
    except Exception as exc:  # one failing part must not stop the others
        traceback.print_exc()
        rec = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
    if rec["status"] == "done":
        rec["digests"] = {f: file_digest(Path(f)) for f in rec["files"] if Path(f).is_file()}
    rec |= {"part_config": part.config, "seconds": time.perf_counter() - t0}
    run.save_json(rel, rec | {"meta": run.metadata(part=part.name)})
    return rec


def _outputs_intact(rec: dict) -> bool:
    """Whether every file a done part wrote is still there as written (False: missing, redo the part).

    Raises :class:`DamagedFile` for one that changed since (truncated, edited): it is named, never
    silently kept or overwritten.
    """
    digests = rec.get("digests", {})
    for f in rec.get("files", []):
        path = Path(f)
        if not path.exists():
            return False
        want = digests.get(f)
        if want is not None and path.is_file() and file_digest(path) != want:
            raise DamagedFile(path, "it changed since this part wrote it",
                              "delete it to redo the part, or rerun with --force")
    return True


def _summary(run: Run, records: dict, scale: str, seed: int) -> None:
    out = run.folder
    lines = [f"# collapse reproduce --{scale} (seed {seed})", "", "| part | status | seconds | files |", "|---|---|---|---|"]
    for name, rec in records.items():
        files = ", ".join(Path(f).relative_to(out).as_posix() if Path(f).is_relative_to(out) else f
                          for f in rec.get("files", []))
        lines.append(f"| {name} | {rec['status']} | {rec.get('seconds', 0):.1f} | {files or rec.get('error', '')} |")
    run.write_text("README.md", "\n".join(lines) + "\n")
