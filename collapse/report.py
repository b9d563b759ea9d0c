"""The report of a ``collapse reproduce`` run: Markdown and HTML (figures embedded).

It holds the claims table with each claim's status and evidence; every figure
with a caption saying what the paper shows at that place and what this run
shows; the paper's reported numbers beside this run's (each marked as the same
scale or a reduced one); and the run's configuration, seeds, versions and timings.
Everything is read from the run folder, so the report can be rebuilt at any time.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

from collapse.core.runio import atomic_write_text, read_json


def _figure_entries(out: Path) -> list[dict]:
    """Every figure a part drew, with its PNGs and its description of this run."""
    from collapse.figures.registry import all_figures

    specs = all_figures()
    entries = []
    for rec in _parts(out).values():
        for name, made in (rec.get("figures") or {}).items():
            spec = specs.get(name)
            pngs = [Path(f) for f in made["files"] if f.endswith(".png") and Path(f).exists()]
            tables = [Path(f) for f in made["files"] if f.endswith(".md") and Path(f).exists()]
            if spec is None or not (pngs or tables):
                continue
            desc = None
            if spec.describe is not None:
                try:
                    desc = spec.describe(Path(made["results"]))
                except Exception as exc:  # a caption must never sink the report
                    desc = f"(could not describe this run: {type(exc).__name__}: {exc})"
            entries.append({"spec": spec, "pngs": pngs, "tables": tables, "desc": desc})
    return entries


def _claims(out: Path) -> list[dict]:
    path = out / "claims.json"
    return json.loads(path.read_text()) if path.exists() else []


def _parts(out: Path) -> dict[str, dict]:
    return {p.stem: read_json(p) for p in sorted((out / "parts").glob("*.json"))}


def _evidence(c: dict) -> str:
    kinds: dict[str, int] = {}
    for chk in c["checks"]:
        if chk["status"] == "pass":
            kinds[chk["kind"]] = kinds.get(chk["kind"], 0) + 1
    text = ", ".join(f"{v} {k}" for k, v in kinds.items())
    if c.get("cited"):
        text += f", {len(c['cited'])} cited"
    bad = [chk["name"] for chk in c["checks"] if chk["status"] not in ("pass",)]
    return text + (f"; failing: {', '.join(bad)}" if bad else "")


def _cell(text: str) -> str:
    """A Markdown table cell: pipes escaped (claims speak of norms, ||p - p_0||)."""
    return str(text).replace("|", "\\|")


_CELL_SPLIT = re.compile(r"(?<!\\)\|")


def _inline(text: str) -> str:
    """Escape, then **bold**, *italic* and `code`."""
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<i>\1</i>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def build(out: Path, scale: str, seed: int) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into the run folder ``out``."""
    out = Path(out)
    claims, parts, figs = _claims(out), _parts(out), _figure_entries(out)
    md = [f"# Model collapse, reproduced: `collapse reproduce --{scale}` (seed {seed})", "",
          "Shumailov et al., *AI models collapse when trained on recursively generated data*, Nature 631 (2024).", ""]
    failed = [k for k, r in parts.items() if r.get("status") != "done"]
    md += [f"**{len(parts) - len(failed)} of {len(parts)} parts done**"
           + (f"; failed: {', '.join(failed)} (see the run log and parts/*.json)" if failed else "") + ".", ""]
    md += ["## Claims", "", "| claim | status | evidence | time |", "|---|---|---|---|"]
    md += [f"| {_cell(c['id'] + ': ' + c['title'])} | {c['status']} | {_evidence(c)} | {c['seconds']:.1f} s |"
           for c in claims]
    md += ["", "Details of every proof step: `claims.md`.", "", "## Figures", ""]
    numbers = []
    for e in figs:
        spec, desc = e["spec"], e["desc"]
        md += [f"### {spec.name}: {spec.title}", ""]
        md += [f"![{p.stem}]({p.relative_to(out).as_posix() if p.is_relative_to(out) else p})" for p in e["pngs"]] + [""]
        for table in e["tables"]:  # e.g. Example 1: a Markdown table, headings moved under this section
            md += [("###" + line) if line.startswith("#") else line for line in table.read_text().splitlines()] + [""]
        if hasattr(desc, "paper"):
            md += [f"*In the paper ({spec.paper}):* {desc.paper}", "", f"*This run:* {desc.run}", ""]
            numbers += list(desc.numbers)
        elif desc:
            md += [str(desc), ""]
        md += [f"Made by: `{spec.command}`", ""]
    md += ["## The paper's numbers and this run's", "", "| quantity | paper | this run | scale | note |",
           "|---|---|---|---|---|"]
    md += [f"| {_cell(n.quantity)} | {_cell(n.paper)} | {_cell(n.run)} | {n.scale} | {_cell(n.note)} |" for n in numbers]
    md += ["", "## Configuration, seeds, versions, timings", "", "| part | status | seconds | config |", "|---|---|---|---|"]
    for name, rec in parts.items():
        md.append(f"| {name} | {rec.get('status')} | {rec.get('seconds', 0):.1f} | `{json.dumps(rec.get('config'))}` |")
    versions = next((r.get("meta", {}).get("versions") for r in parts.values() if r.get("meta")), {}) or {}
    md += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), ""]
    text = "\n".join(md) + "\n"
    md_path = atomic_write_text(out / "report.md", text)
    html_path = atomic_write_text(out / "report.html", _html(text, out))
    return md_path, html_path


def _html(markdown: str, out: Path) -> str:
    """A small Markdown subset to HTML (headings, tables, images embedded as data URIs, paragraphs)."""
    body, table = [], []

    def flush_table():
        if table:
            rows = [r for r in table if not set(r) <= set("|-: ")]  # drop the header separator row
            cells = [[_inline(c.strip().replace("\\|", "|")) for c in _CELL_SPLIT.split(r.strip()[1:-1])]
                     for r in rows]
            head = "".join(f"<th>{c}</th>" for c in cells[0])
            rest = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in cells[1:])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rest}</tbody></table>")
            table.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            table.append(line)
            continue
        flush_table()
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            body.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
        elif line.startswith("![") and "](" in line:
            src = out / line[line.index("](") + 2:-1]
            data = base64.b64encode(src.read_bytes()).decode() if src.exists() else ""
            body.append(f'<p><img alt="{html.escape(src.stem)}" src="data:image/png;base64,{data}"></p>')
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    flush_table()
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;"
             "font-size:90%;vertical-align:top}img{max-width:100%}")
    return f"<!doctype html><html><head><meta charset='utf-8'><title>collapse report</title><style>{style}</style>" \
           f"</head><body>{''.join(body)}</body></html>\n"
