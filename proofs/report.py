"""Render verify results: a terminal table, JSON, and a Markdown report."""

from __future__ import annotations

import json

from collapse.proofs.core import FAMILY_ALPHA, ClaimResult

MARK = {"pass": "checked", "fail": "FAILED", "error": "ERROR", "cited": "cited"}
#: what a passing step is called, by kind
PASSED = {"symbolic": "checked", "certificate": "certified", "simulation": "consistent"}


def _evidence(r: ClaimResult) -> str:
    counts: dict[str, int] = {}
    for s in r.steps:
        if s.status in ("pass",):
            counts[s.kind] = counts.get(s.kind, 0) + 1
    bad = [s.name for s in r.steps if s.status in ("fail", "error")]
    text = ", ".join(f"{v} {k}" for k, v in counts.items())
    cited = sum(s.kind == "cited" for s in r.steps)
    if cited:
        text += f", {cited} cited"
    if bad:
        text += "; failing: " + ", ".join(bad)
    return text


def table(results: list[ClaimResult]) -> str:
    rows = [("claim", "status", "evidence", "time")]
    rows += [(r.id, r.status.upper(), _evidence(r), f"{r.seconds:.1f}s") for r in results]
    widths = [max(len(row[j]) for row in rows) for j in range(3)]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
        if k == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    n_fail = sum(r.status != "pass" for r in results)
    lines.append("")
    lines.append(f"{len(results) - n_fail} of {len(results)} claims pass"
                 + (f"; {n_fail} FAIL" if n_fail else "")
                 + f" (simulation checks Holm-corrected, family-wise false-alarm probability {FAMILY_ALPHA:g})")
    return "\n".join(lines)


def to_json(results: list[ClaimResult]) -> str:
    return json.dumps([r.to_json() for r in results], indent=2)


def markdown(results: list[ClaimResult], header: str = "") -> str:
    out = ["# Claims of Shumailov et al. (2024), machine-checked", ""]
    if header:
        out += [header, ""]
    out += [f"Simulation checks are Holm-corrected together at family-wise false-alarm probability {FAMILY_ALPHA:g}.",
            "", "| claim | status | evidence | time |", "|---|---|---|---|"]
    out += [f"| [{r.id}](#{r.id.replace('.', '')}) | {r.status} | {_evidence(r)} | {r.seconds:.1f} s |" for r in results]
    for r in results:
        out += ["", f"## {r.id}", "", f"**{r.title}** ({r.status})", "", f"> {r.statement}", "", f"Source: {r.source}", ""]
        for s in r.steps:
            mark = PASSED.get(s.kind, "checked") if s.status == "pass" else MARK.get(s.status, s.status)
            head = f"- **{s.name}** [{s.kind}: {mark}]"
            if s.kind == "cited":
                out.append(f"{head} {s.statement} ({s.reference})")
                continue
            out.append(f"{head} {s.statement}  ")
            extra = f" p = {s.p_value:.3g}, Holm threshold {s.threshold:.3g};" if s.p_value is not None and s.threshold else ""
            out.append(f"  evidence:{extra} {s.detail} ({s.seconds:.2f} s)")
    return "\n".join(out) + "\n"
