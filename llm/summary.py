"""The run's summary: one row per setting / seed / generation, and mean and std over seeds.

``OUT/llm_summary.json`` (the config and all rows), ``OUT/llm_summary.csv`` (the headline
numbers) and ``OUT/llm_summary_by_generation.csv``, rebuilt from the finished
generations' ``metrics.json`` and ``scores.npz`` after every chain. The names carry the
experiment's: a run folder may hold other experiments (a sweep writes ``summary.csv``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from collapse.core.runner import DamagedFile, Run, read_result
from collapse.core.validation import InvalidArgument
from collapse.llm.config import ExperimentConfig, config_from_dict
from collapse.llm.world import SUMMARY_BY_GENERATION, SUMMARY_CSV, SUMMARY_JSON

__all__ = ["SUMMARY_FIELDS", "write_summary", "load_summary", "by_generation", "diversity_summary"]

SUMMARY_FIELDS = ("setting", "seed", "generation", "decoding", "test_perplexity", "test_mean_sequence_perplexity",
                  "test_std_sequence_perplexity", "mean_perplexity_gen0", "distinct_tokens", "loop_fraction",
                  "truth_kl", "tail_mass_model", "tail_mass_true", "missing_unigram_mass", "missing_bigram_mass",
                  "tail_present", "tail_present_chain")
#: the fields that are not numbers (the rest are averaged over seeds)
_LABELS = ("setting", "seed", "generation", "decoding")


def _row(metrics_file: Path) -> dict:
    """The headline numbers of one finished generation (its damaged files are named: DamagedFile)."""
    from collapse.llm.chain import check_metrics, check_scores

    d = metrics_file.parent
    where = (d.parent.parent.name, int(d.parent.name[4:]), int(d.name[3:]))
    m = check_metrics(metrics_file, *where)
    scores = check_scores(d / "scores.npz", where=where)
    truth, data = m.get("truth", {}), m.get("data", {})
    div = data
    return {
        "setting": m["setting"], "seed": m["seed"], "generation": m["generation"], "decoding": m.get("decoding"),
        "test_perplexity": m["test"]["perplexity"],
        "test_mean_sequence_perplexity": m["test"].get("mean_sequence_perplexity"),
        "test_std_sequence_perplexity": m["test"].get("std_sequence_perplexity"),
        "mean_perplexity_gen0": float(scores["perplexity_gen0"].mean()),
        "distinct_tokens": div.get("distinct_tokens"), "loop_fraction": div.get("loop_fraction"),
        "truth_kl": truth.get("kl"), "tail_mass_model": truth.get("tail_mass_model"),
        "tail_mass_true": truth.get("tail_mass_true"),
        "missing_unigram_mass": data.get("missing_unigram_mass"),
        "missing_bigram_mass": data.get("missing_bigram_mass"),
        "tail_present": data.get("tail_present"), "tail_present_chain": data.get("tail_present_chain"),
    }


def diversity_summary(run: Run, rows: list[dict]) -> dict:
    """What generation 0 writes, against real text and the true model: mean distinct tokens per block and the
    share of blocks in a loop of period <= 4 (:func:`collapse.llm.evaluate.diversity`).

    ``real``: the real training blocks; ``truth_beam``: beam search on the true distribution (synthetic
    runs); ``generation0``: each setting's generation-0 continuations (generation 1's training data),
    averaged over seeds, with the share of real blocks' distinct tokens they reach.
    """
    from collapse.llm.evaluate import diversity
    from collapse.llm.world import BLOCKS, TRUTH_BEAM

    out: dict = {}
    if run.path(BLOCKS).exists():
        out["real"] = diversity(read_result(run.path(BLOCKS))[1]["train"])
    if run.path(TRUTH_BEAM).exists():
        meta, arrays = read_result(run.path(TRUTH_BEAM))
        out["truth_beam"] = (meta.get("diversity") if isinstance(meta, dict) and meta.get("diversity")
                             else diversity(arrays["blocks"]))
    gen0: dict[str, list[dict]] = {}
    for r in rows:
        if r["generation"] == 1 and r["distinct_tokens"] is not None:
            gen0.setdefault(r["setting"], []).append(r)
    out["generation0"] = {}
    for setting, rs in gen0.items():
        d = {"distinct_tokens": float(np.mean([r["distinct_tokens"] for r in rs])),
             "loop_fraction": float(np.mean([r["loop_fraction"] for r in rs])), "runs": len(rs),
             "decoding": rs[0].get("decoding")}
        if "real" in out:
            d["share_of_real_distinct"] = d["distinct_tokens"] / out["real"]["distinct_tokens"]
        out["generation0"][setting] = d
    return out


def write_summary(run: Run) -> None:
    """``llm_summary.json`` (all metrics rows) and ``llm_summary.csv`` (the headline numbers), finished generations."""
    c = run.config
    dirs = {f"{s['name']}/seed{seed}/gen{g:02d}" for s in c["settings"] for seed in c["seeds"]
            for g in range(c["generations"])}
    found = sorted(run.path("runs").glob("*/seed*/gen*/metrics.json"))
    rows = [_row(f) for f in found if "/".join(f.parts[-4:-1]) in dirs]
    extra = {"diversity": diversity_summary(run, rows)}
    try:
        from collapse.llm.claims import check_claims, load_records, seeds_note

        runs = load_records(run.folder, c)
        extra["claims"] = [v.as_dict() for v in check_claims(runs)]
        extra["claims_note"] = seeds_note(runs)
    except (DamagedFile, KeyError, ValueError) as exc:  # a claim must never sink the summary
        extra["claims_error"] = f"{type(exc).__name__}: {exc}"
    run.save_json(SUMMARY_JSON, run.metadata(rows=rows, **extra))
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    run.write_text(SUMMARY_CSV, buf.getvalue())
    run.write_text(SUMMARY_BY_GENERATION, by_generation(rows))


def by_generation(rows: list[dict]) -> str:
    """Mean and standard deviation over seeds of the headline numbers, per setting and generation (CSV text)."""
    keys = [k for k in SUMMARY_FIELDS if k not in _LABELS and any(r.get(k) is not None for r in rows)]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["setting"], r["generation"]), []).append(r)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["setting", "generation", "runs"] + [f"{k}_{s}" for k in keys for s in ("mean", "std")])
    for (setting, g), rs in groups.items():
        stats = []
        for k in keys:
            v = np.array([np.nan if r.get(k) is None else r[k] for r in rs], dtype=float)
            stats += [v.mean(), v.std()]
        w.writerow([setting, g, len(rs)] + [f"{x:.6g}" for x in stats])
    return buf.getvalue()


def load_summary(out: Path) -> tuple[ExperimentConfig, list[dict]]:
    """The config and summary rows of a finished (or partial) run directory."""
    path = Path(out) / SUMMARY_JSON
    if not path.exists():
        raise InvalidArgument("results", f"a directory written by 'collapse llm run' ({SUMMARY_JSON})", str(out))
    s = read_result(path)
    try:
        return config_from_dict(s["config"]), list(s["rows"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DamagedFile(path, f"not a summary of 'collapse llm run' ({type(exc).__name__}: {exc})".splitlines()[0],
                          "delete it: the next 'collapse llm run' rewrites it") from None
