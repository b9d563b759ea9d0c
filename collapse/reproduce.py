"""``collapse reproduce``: every claim and figure into one run folder, resumable part by part.

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

from collapse.runio import atomic_write_text, metadata, read_json, save_json


@dataclasses.dataclass(frozen=True)
class Part:
    name: str
    description: str
    config: dict
    run: Callable[[Path], list[Path]]  # run(out_dir) -> files written


def _verify_part(seed: int, thorough: bool) -> Part:
    def run(out: Path) -> list[Path]:
        from collapse.commands.verify import run_verify
        from proofs import report

        results = run_verify(None, seed, thorough, progress=False)
        paths = [atomic_write_text(out / "claims.json", report.to_json(results) + "\n"),
                 atomic_write_text(out / "claims.md", report.markdown(results, header=f"Seed {seed}."))]
        print(report.table(results))
        if any(r.status != "pass" for r in results):
            raise RuntimeError("some claims fail: see claims.md")
        return paths

    from proofs.registry import all_claims

    # the claim ids are part of the config, so a run made before claims were added is redone
    config = {"seed": seed, "thorough": thorough, "claims": [c.id for c in all_claims()]}
    return Part("verify", "machine-checked claims", config, run)


def _figure_part(figure: str, seed: int) -> Part:
    from collapse.commands.gaussian import default_config

    config = default_config(figure, seed)

    def run(out: Path) -> list[Path]:
        from collapse.commands.gaussian import ensure_results
        from figures.registry import all_figures

        ensure_results(figure, out / "results", config)
        return all_figures()[figure].draw(out / "results", out / "figures")

    return Part(f"figure-{figure}", f"figure {figure}", dataclasses.asdict(config), run)


def _family_part(name: str, seed: int) -> Part:
    """A simulate/ family's quick experiment (resumable on its own) and its figure."""

    def run(out: Path) -> list[Path]:
        from figures.registry import all_figures
        from simulate.experiments import QUICK

        files = QUICK[name](out / "results", seed)
        return list(files) + all_figures()[name].draw(out / "results", out / "figures")

    return Part(f"figure-{name}", f"figure {name} (quick run)", {"seed": seed, "figure": name}, run)


def parts(scale: str, seed: int) -> list[Part]:
    return [_verify_part(seed, thorough=scale == "full"), _figure_part("gaussian", seed),
            _figure_part("gaussian-theory", seed)] + [_family_part(n, seed) for n in ("discrete", "gmm", "vae")]


def reproduce(out: Path, scale: str = "quick", seed: int = 20240724) -> int:
    out = Path(out)
    records = {}
    for part in parts(scale, seed):
        rec_path = out / "parts" / f"{part.name}.json"
        if rec_path.exists():
            rec = read_json(rec_path)
            if rec.get("status") == "done" and rec.get("config") == part.config:
                print(f"[{part.name}] done earlier, kept ({rec_path})", file=sys.stderr)
                records[part.name] = rec
                continue
        print(f"[{part.name}] {part.description} ...", file=sys.stderr)
        t0 = time.perf_counter()
        try:
            files = [str(p) for p in part.run(out)]
            rec = {"status": "done", "files": files}
        except Exception as exc:  # one failing part must not stop the others
            traceback.print_exc()
            rec = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
        rec |= {"config": part.config, "seconds": time.perf_counter() - t0}
        save_json(rec_path, rec | {"meta": metadata(part.config, seed=seed)})
        records[part.name] = rec
    _summary(out, records, scale, seed)
    from collapse.report import build

    md, page = build(out, scale, seed)
    failed = [k for k, r in records.items() if r["status"] != "done"]
    print(f"report: {page} (and {md.name})")
    print(f"run folder: {out}" + (f"; FAILED parts: {', '.join(failed)}" if failed else "; all parts done"))
    return 1 if failed else 0


def _summary(out: Path, records: dict, scale: str, seed: int) -> None:
    lines = [f"# collapse reproduce --{scale} (seed {seed})", "", "| part | status | seconds | files |", "|---|---|---|---|"]
    for name, rec in records.items():
        files = ", ".join(Path(f).relative_to(out).as_posix() if Path(f).is_relative_to(out) else f
                          for f in rec.get("files", []))
        lines.append(f"| {name} | {rec['status']} | {rec.get('seconds', 0):.1f} | {files or rec.get('error', '')} |")
    atomic_write_text(out / "README.md", "\n".join(lines) + "\n")
