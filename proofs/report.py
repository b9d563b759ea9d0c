"""Render verify results: a terminal table, JSON, and a Markdown report.

The helpers taking a ``dict`` read a claim in its JSON form (:meth:`ClaimResult.to_json`),
so ``collapse.report`` renders a saved ``claims.json`` with the same words.
"""

from __future__ import annotations

import json

from collapse.proofs.core import EVIDENCE_KINDS, FAMILY_ALPHA, ClaimResult
from collapse.proofs.stats import power_text

MARK = {"pass": "checked", "fail": "FAILED", "error": "ERROR", "cited": "cited", "undecided": "undecided"}
#: what a passing step is called, by kind
PASSED = {"symbolic": "checked", "certificate": "certified", "simulation": "consistent",
          "consistency": "consistent"}
#: how a kind is labelled in the report
LABEL = {"consistency": "consistency (not independent)"}


def _as_dict(r) -> dict:
    return r.to_json() if isinstance(r, ClaimResult) else r


def _steps_of(c: dict) -> list[dict]:
    return list(c.get("checks", []))


def label(kind: str) -> str:
    """A step's kind as the report names it: consistency steps say they are not evidence."""
    return LABEL.get(kind, kind)


def mark(s: dict) -> str:
    """The verdict word of one step: ``checked``, ``certified``, ``FAILED``, ``undecided``..."""
    return PASSED.get(s["kind"], "checked") if s["status"] == "pass" else MARK.get(s["status"], s["status"])


def evidence(c) -> str:
    """One compact cell: independent passes by kind, then consistency, undecided, cited, failing."""
    c = _as_dict(c)
    checks = _steps_of(c)
    counts: dict[str, int] = {}
    for s in checks:
        if s["status"] == "pass" and s["kind"] in EVIDENCE_KINDS:
            counts[s["kind"]] = counts.get(s["kind"], 0) + 1
    parts = [", ".join(f"{v} {k}" for k, v in counts.items()) or "no independent evidence"]
    extra = []
    cons = sum(s["kind"] == "consistency" and s["status"] == "pass" for s in checks)
    if cons:
        extra.append(f"{cons} consistency")
    und = sum(s["status"] == "undecided" for s in checks)
    if und:
        extra.append(f"{und} undecided")
    cited = len(c.get("cited", []))
    if cited:
        extra.append(f"{cited} cited")
    text = parts[0] + (" (+ " + ", ".join(extra) + ")" if extra else "")
    bad = [s["name"] for s in checks if s["status"] in ("fail", "error")]
    if bad:
        text += "; failing: " + ", ".join(bad)
    return text


def power(s: dict) -> str:
    """The power statement of one simulation step."""
    return power_text(s.get("mde"), s.get("alpha"))


def simulation_lines(claims) -> list[tuple[str, str, dict]]:
    """(claim id, check name, step) of every simulation step, in order."""
    return [(c["id"], s["name"], s) for c in map(_as_dict, claims) for s in _steps_of(c) if s["kind"] == "simulation"]


def errata(claims) -> list[tuple[str, dict]]:
    """(claim id, erratum with the deciding check's status) over all claims."""
    return [(c["id"], e) for c in map(_as_dict, claims) for e in c.get("errata", [])]


def summary(claims) -> str:
    """The closing line: claims passing, failing, and the steps left undecided or not evidence."""
    cs = [_as_dict(c) for c in claims]
    n_fail = sum(c["status"] != "pass" for c in cs)
    steps = [s for c in cs for s in _steps_of(c)]
    indep = sum(s["kind"] in EVIDENCE_KINDS for s in steps)
    cons = sum(s["kind"] == "consistency" for s in steps)
    und = sum(s["status"] == "undecided" for s in steps)
    text = (f"{len(cs) - n_fail} of {len(cs)} claims pass" + (f"; {n_fail} FAIL" if n_fail else "")
            + f". {indep} independent checks, {cons} consistency (not evidence), {und} undecided"
            + f"; simulation checks Holm-corrected, family-wise false-alarm probability {FAMILY_ALPHA:g}.")
    return text


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3].rstrip() + "..."


def table(results: list[ClaimResult]) -> str:
    rows = [("claim", "status", "evidence", "time")]
    rows += [(r.id, r.status.upper(), evidence(r), f"{r.seconds:.1f}s") for r in results]
    widths = [max(len(row[j]) for row in rows) for j in range(3)]
    lines = []
    for k, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:3], widths)) + "  " + row[3])
        if k == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    sims = simulation_lines(results)
    if sims:
        alphas = {s.get("alpha") for _, _, s in sims if s.get("alpha")}
        at = f" at alpha = {min(alphas):.2g} per check" if alphas else ""
        lines += ["", f"Power of each simulation check (smallest relative error detected with probability 0.99{at}):"]
        w = max(len(f"{cid}/{name}") for cid, name, _ in sims)
        for cid, name, s in sims:
            mde = s.get("mde")
            shown = ("no power stated" if mde is None else "detects no finite error" if mde == float("inf")
                     else f">= {100 * mde:.3g}%")
            moment = " (moment)" if s.get("moment") else ""
            lines.append(f"  {f'{cid}/{name}'.ljust(w)}  {shown}{moment}  {s['status']}")
    errs = errata(results)
    if errs:
        lines += ["", f"Errata ({len(errs)}; the paper's words, the correct statement, the deciding check; "
                      "in full in --report and --json):"]
        for cid, e in errs:
            lines += [f"  {cid} [{e['check']}: {e.get('status', '?')}]",
                      f"    paper:   \"{_clip(e['paper'], 110)}\"",
                      f"    correct: {_clip(e['correct'], 110)}"]
    lines += ["", summary(results)]
    return "\n".join(lines)


def to_json(results: list[ClaimResult]) -> str:
    return json.dumps([r.to_json() for r in results], indent=2)


def step_evidence(s: dict) -> str:
    """The evidence line of a checked step: route, power, p and threshold, witness, detail."""
    bits = []
    if s.get("route"):
        bits.append(f"route: {s['route']};")
    if s["kind"] == "simulation":
        bits.append(power(s) + ";")
    if s.get("p_value") is not None and s.get("threshold"):
        bits.append(f"p = {s['p_value']:.3g}, Holm threshold {s['threshold']:.3g};")
    if s.get("witness"):
        bits.append(f"witness: {json.dumps(s['witness'])};")
    bits.append(s.get("detail") or "")
    return " ".join(bits)


def errata_markdown(claims, text=str) -> list[str]:
    """The errata as Markdown list items (``text`` escapes free text)."""
    out = []
    for cid, e in errata(claims):
        where = f" ({text(e['where'])})" if e.get("where") else ""
        out += [f"- **{text(cid)}**{where}: the paper says \"{text(e['paper'])}\"; correct: {text(e['correct'])}. "
                f"Decided by `{e['check']}`: {e.get('status', '?')}."]
    return out


def markdown(results: list[ClaimResult], header: str = "") -> str:
    out = ["# Claims of Shumailov et al. (2024), machine-checked", ""]
    if header:
        out += [header, ""]
    out += [f"Simulation checks are Holm-corrected together at family-wise false-alarm probability {FAMILY_ALPHA:g}. "
            "Steps of kind symbolic, certificate and simulation are independent evidence; "
            "consistency steps (a result checked against the equation that produced it) run and can fail "
            "a claim but are not evidence.", "",
            summary(results), "",
            "| claim | status | evidence | time |", "|---|---|---|---|"]
    out += [f"| [{r.id}](#{r.id.replace('.', '')}) | {r.status} | {evidence(r)} | {r.seconds:.1f} s |" for r in results]
    errs = errata_markdown(results)
    if errs:
        out += ["", "## Errata", "", *errs]
    for r in results:
        out += ["", f"## {r.id}", "", f"**{r.title}** ({r.status})", "", f"> {r.statement}", "", f"Source: {r.source}", ""]
        if r.parts:
            out += ["Statement parts and the checks covering them:", ""]
            out += [f"- {p['text']} ({', '.join(p['checks']) or 'no check'})" for p in r.parts] + [""]
        for s in r.steps:
            d = vars(s)
            head = f"- **{s.name}** [{label(s.kind)}: {mark(d)}]"
            if s.kind == "cited":
                out.append(f"{head} {s.statement} ({s.reference})")
                continue
            out.append(f"{head} {s.statement}  ")
            out.append(f"  evidence: {step_evidence(d)} ({s.seconds:.2f} s)")
    return "\n".join(out) + "\n"
