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

from collapse.runio import as_json, atomic_write_text, metadata, read_json, save_json


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


def _draw(names: list[str], results: Path, out: Path) -> dict:
    """Draw figures ``names`` from ``results``; the record says which files each figure made."""
    from figures.registry import all_figures

    figs = all_figures()
    return {name: {"results": str(results), "files": [str(p) for p in figs[name].draw(results, out / "figures")]}
            for name in names}


def _figure_part(figure: str, seed: int) -> Part:
    from collapse.commands.gaussian import default_config

    config = default_config(figure, seed)

    def run(out: Path) -> dict:
        from collapse.commands.gaussian import ensure_results

        ensure_results(figure, out / "results", config)
        return _draw([figure], out / "results", out)

    return Part(f"figure-{figure}", f"figure {figure}", dataclasses.asdict(config), run)


def _family_part(name: str, seed: int, scale: str, options: dict) -> Part:
    """A simulate/ family's experiment (resumable on its own) and its figure."""
    config = {"seed": seed, "figure": name, "scale": scale}
    if name == "vae" and options.get("mnist"):
        config["mnist"] = str(options["mnist"])

    def run(out: Path) -> dict:
        from simulate.experiments import QUICK

        if name == "vae" and "mnist" in config:
            from simulate.vae import VAEExperiment, run_vae

            run_vae(VAEExperiment(mnist=config["mnist"], seed=seed), out / "results")
        else:
            QUICK[name](out / "results", seed)
        return _draw([name], out / "results", out)

    return Part(f"figure-{name}", f"figure {name} ({scale} run)", config, run)


def _llm_part(seed: int, scale: str, options: dict) -> Part:
    """The language-model experiment: the quick preset offline, or the paper's protocol."""
    config = {"seed": seed, "scale": scale, "model": options.get("model"), "data": options.get("data")}

    def run(out: Path) -> dict:
        from figures.registry import all_figures

        results = out / "llm"
        if scale == "quick":
            from llm.experiment import run_quick

            run_quick(results, seed=seed)
        else:
            from llm.config import preset
            from llm.experiment import Runtime
            from llm.experiment import run as run_llm

            overrides = {k: v for k, v in (("model", config["model"]), ("data", config["data"])) if v}
            run_llm(preset("paper", **overrides), results, Runtime(device="auto", progress=True))
        names = [n for n in all_figures() if n.startswith("llm-")]
        return _draw(names, results, out)

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


def parts(scale: str, seed: int, options: dict | None = None) -> list[Part]:
    options = options or {}
    return ([_verify_part(seed, thorough=scale == "full"), _figure_part("gaussian", seed),
             _figure_part("gaussian-theory", seed), _figure_part("regimes", seed)]
            + [_family_part(n, seed, scale, options) for n in ("discrete", "gmm", "vae")]
            + [_llm_part(seed, scale, options)])


def reproduce(out: Path, scale: str = "quick", seed: int = 20240724, **options) -> int:
    """Run every part into ``out``; ``options``: ``mnist``, ``model``, ``data`` (full scale)."""
    out = Path(out)
    if scale == "full":
        print(FULL_NEEDS, file=sys.stderr)
    records = {}
    for part in parts(scale, seed, options):
        rec_path = out / "parts" / f"{part.name}.json"
        if rec_path.exists():
            rec = read_json(rec_path)
            if rec.get("status") == "done" and rec.get("config") == as_json(part.config):
                print(f"[{part.name}] done earlier, kept ({rec_path})", file=sys.stderr)
                records[part.name] = rec
                continue
        print(f"[{part.name}] {part.description} ...", file=sys.stderr)
        t0 = time.perf_counter()
        try:
            made = part.run(out)
            if isinstance(made, dict):  # figure parts: {figure: {"results": dir, "files": [...]}}
                rec = {"status": "done", "figures": made,
                       "files": [f for fig in made.values() for f in fig["files"]]}
            else:
                rec = {"status": "done", "files": [str(p) for p in made]}
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
