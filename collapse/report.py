"""The report of a ``collapse reproduce`` run: Markdown and HTML (figures embedded).

It opens with a table of contents; then the claims table with each claim's status and
evidence, every claim linked to its proof steps ("Claims in detail"); every figure with a
caption saying what the paper shows at that place and what this run shows, and the
command that regenerates it; the paper's reported numbers beside this run's (each marked
as the same scale or a reduced one); and the run's configuration, seeds, timings and
provenance (project version, git commit, the version of every package each part used).
Everything is read from the run folder, so the report can be rebuilt at any time.

The HTML is the Markdown rendered by markdown-it-py (CommonMark and GFM tables; raw HTML
in the text is shown as text, never interpreted), with an ``id`` on every heading (the
slugs GitHub gives the same headings, so the table of contents works in ``report.md`` on
GitHub and in ``report.html``) and every local image embedded as a data URI.
"""

from __future__ import annotations

import base64
import json
import mimetypes
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from collapse.core.runio import atomic_write_text, metadata, read_json

#: the packages named first in the provenance table (by distribution name), in this order
KEY_PACKAGES = ("numpy", "scipy", "sympy", "mpmath", "python-flint", "scikit-learn", "matplotlib", "torch",
                "transformers", "tokenizers", "safetensors", "datasets", "dask", "distributed", "hypothesis")
#: the headings the table of contents lists
TOC_LEVELS = (2, 3)
CLAIMS, FIGURES, NUMBERS, DETAIL, CONFIG = ("Claims", "Figures", "The paper's numbers and this run's",
                                            "Claims in detail", "Configuration, seeds, versions, timings")
ERRATA = "Errata: where the paper's text is wrong or ambiguous"


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
            results = Path(made["results"]) / spec.results if spec.results else Path(made["results"])
            shown = results.relative_to(out).as_posix() if results.is_relative_to(out) else results.as_posix()
            entries.append({"spec": spec, "pngs": pngs, "tables": tables, "desc": desc, "results": shown})
    return entries


def _claims(out: Path) -> list[dict]:
    path = out / "claims.json"
    return json.loads(path.read_text()) if path.exists() else []


def _parts(out: Path) -> dict[str, dict]:
    return {p.stem: read_json(p) for p in sorted((out / "parts").glob("*.json"))}


# ------------------------------------------------------------------ Markdown text


def _text(text: object) -> str:
    """``text`` (a claim's statement, a caption) as Markdown that shows it literally.

    Backslashes, backticks, asterisks and ``<`` are escaped, and so is the ``](`` that would make
    a link; an underscore only where it could start or end emphasis (``A^T)_jl``), not inside a
    word (``mu_n``), so the file stays readable.
    """
    src = str(text).replace("\n", " ")
    out = []
    for k, ch in enumerate(src):
        if ch in "\\`*<":
            ch = "\\" + ch
        elif ch == "_" and not (0 < k < len(src) - 1 and src[k - 1].isalnum() and src[k + 1].isalnum()):
            ch = "\\_"
        elif ch == "(" and k and src[k - 1] == "]":
            ch = "\\("
        out.append(ch)
    return "".join(out)


def _cell(text: object) -> str:
    """A Markdown table cell: pipes escaped (claims speak of norms, ||p - p_0||)."""
    return _text(text).replace("|", "\\|")


def _code(text: object, cell: bool = False) -> str:
    """An inline code span showing ``text`` exactly (fenced by more backticks than it holds)."""
    text = str(text).replace("\n", " ")
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if cell else span  # in a table cell GFM unescapes \| in code too


def _fenced(text: str, info: str = "sh") -> list[str]:
    longest = max((len(line) - len(line.lstrip("`")) for line in text.splitlines()), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, *text.splitlines(), fence]


def slug(text: str) -> str:
    """The anchor GitHub gives a heading of plain text ``text``: lower case, punctuation dropped, spaces to ``-``."""
    return "".join(ch for ch in text.lower() if ch.isalnum() or ch in "-_ ").replace(" ", "-")


class _Slugger:
    """Unique anchors in document order: a repeated heading gets ``-1``, ``-2``... (GitHub's slugger)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def __call__(self, text: str) -> str:
        base = anchor = slug(text)
        while anchor in self.seen:
            self.seen[base] += 1
            anchor = f"{base}-{self.seen[base]}"
        self.seen[anchor] = 0
        return anchor


# ------------------------------------------------------------------ sections


def _evidence(c: dict) -> str:
    from collapse.proofs.report import evidence

    return evidence(c)


def _steps(c: dict) -> list[dict]:
    """A claim's proof steps in the proof's order (``proof`` names them), checks and cited facts together."""
    by_name = {s["name"]: s for s in [*c.get("checks", []), *c.get("cited", [])]}
    order = [n for n in c.get("proof", []) if n in by_name]
    return [by_name[n] for n in order] + [s for n, s in by_name.items() if n not in order]


def _claim_detail(c: dict) -> list[str]:
    from collapse.proofs.report import label, mark, power

    lines = [f"### {_text(c['id'])}", "", f"**{_text(c['title'])}**: {c['status']}, {c.get('seconds', 0):.1f} s", ""]
    if c.get("statement"):
        lines += [f"> {_text(c['statement'])}", ""]
    if c.get("source"):
        lines += [f"Source: {_text(c['source'])}", ""]
    if c.get("parts"):
        lines += ["Statement parts and the checks covering them:", ""]
        lines += [f"- {_text(p['text'])} ({_text(', '.join(p.get('checks', [])) or 'no check')})" for p in c["parts"]]
        lines.append("")
    for k, s in enumerate(_steps(c), 1):
        statement = s.get("statement") or s.get("detail") or ""
        head = f"{k}. **{_text(s['name'])}** \\[{label(s['kind'])}: {mark(s)}\\] {_text(statement)}"
        if s["kind"] == "cited":
            lines.append(head + (f" ({_text(s['reference'])})" if s.get("reference") else ""))
            continue
        bits = [f"route: {_text(s['route'])};"] if s.get("route") else []
        if s["kind"] == "simulation":
            bits.append(_text(power(s)) + ";")
        p = s.get("p_value")
        if p is not None and s.get("threshold"):
            bits.append(f"p = {p:.3g}, Holm threshold {s['threshold']:.3g};")
        if s.get("witness"):
            bits.append(f"witness: {_code(json.dumps(s['witness']))};")
        if s.get("detail") != statement:
            bits.append(_text(s.get("detail") or ""))
        lines.append(f"{head}  \n   evidence: {' '.join(bits)} ({s.get('seconds', 0):.2f} s)")
    return lines + ["", f"[Back to the claims table](#{slug(CLAIMS)})", ""]


def _short(commit: str | None) -> str:
    return commit[:12] if commit else ""


def _git_text(git: dict | None) -> str:
    if not git or not git.get("commit"):
        return "not recorded (not run from a git checkout)"
    return _code(git["commit"]) + (" with uncommitted changes" if git.get("dirty") else " (clean tree)")


def _by_value(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """value -> the parts that recorded it, in order."""
    out: dict[str, list[str]] = {}
    for part, value in pairs:
        out.setdefault(value, []).append(part)
    return out


def _one_or_each(values: dict[str, list[str]], show=str) -> str:
    """One value as is; several (a run resumed after an upgrade) each with the parts that had it."""
    if len(values) == 1:
        return show(next(iter(values)))
    return "; ".join(f"{show(v)} ({', '.join(parts)})" for v, parts in values.items())


def _provenance(parts: dict[str, dict]) -> list[str]:
    """Project version, git commit, Python and every package's version, over all parts' records.

    Each part records the packages imported when it finished, so a package imported lazily by a
    later part (torch, by the language-model part) is in that part's record only: the union is shown.
    """
    metas = {name: rec["meta"] for name, rec in parts.items() if isinstance(rec.get("meta"), dict)}
    now = metadata()
    lines = ["### Provenance", ""]
    if not metas:
        lines += ["No part recorded its versions.", ""]
    versions: dict[str, dict[str, list[str]]] = {}
    for part, meta in metas.items():
        for pkg, version in (meta.get("versions") or {}).items():
            versions.setdefault(pkg, {}).setdefault(str(version), []).append(part)
    gits = _by_value((p, json.dumps(m.get("git"), sort_keys=True)) for p, m in metas.items())
    commands = _by_value((p, str(m.get("command", ""))) for p, m in metas.items())
    created = sorted(str(m["created"]) for m in metas.values() if m.get("created"))
    git_cell = _one_or_each(gits, lambda g: _git_text(json.loads(g)))
    if metas:
        lines += [
            f"- **Project:** collapse-toolkit {_text(_one_or_each(versions.pop('collapse-toolkit', {'?': []})))}",
            f"- **Git commit:** {git_cell}",
            f"- **Python:** {_text(_one_or_each(versions.pop('python', {'?': []})))}",
            f"- **Command:** {_one_or_each(commands, _code)}",
            f"- **Parts finished:** {_text(created[0] + ' to ' + created[-1] if created else '?')}", "",
        ]
    key = [p for p in KEY_PACKAGES if p in versions]
    if key:
        lines += ["| package | version |", "|---|---|"]
        lines += [f"| {p} | {_cell(_one_or_each(versions[p]))} |" for p in key]
        lines.append("")
    others = sorted((p for p in versions if p not in key), key=str.lower)
    if others:
        lines += ["Other packages the parts imported: "
                  + ", ".join(f"{_text(p)} {_text(_one_or_each(versions[p]))}" for p in others) + ".", ""]
    built = f"This report was built {now['created']} by collapse-toolkit {now['versions']['collapse-toolkit']}"
    if now.get("git"):
        built += f", commit {_code(_short(now['git']['commit']))}"
        built += " (uncommitted changes)" if now["git"]["dirty"] else ""
    md_version = now["versions"].get("markdown-it-py")
    return lines + [built + (f", markdown-it-py {md_version}" if md_version else "") + ".", ""]


def _body(out: Path, scale: str, seed: int, claims: list[dict], parts: dict[str, dict], figs: list[dict],
          anchors: dict[str, str]) -> tuple[list[str], list[str]]:
    """The report's Markdown: the lines above the table of contents, and those below it."""
    head = [f"# Model collapse, reproduced: `collapse reproduce --{scale}` (seed {seed})", "",
            "Shumailov et al., *AI models collapse when trained on recursively generated data*, Nature 631 (2024).", ""]
    failed = [k for k, r in parts.items() if r.get("status") != "done"]
    head += [f"**{len(parts) - len(failed)} of {len(parts)} parts done**"
             + (f"; failed: {', '.join(failed)} (see the run log and parts/*.json)" if failed else "") + ".", ""]

    from collapse.proofs.report import errata_markdown, summary

    md = [f"## {CLAIMS}", ""]
    if claims:
        md += ["| claim | status | evidence | time |", "|---|---|---|---|"]
        md += [f"| [{_cell(c['id'])}](#{anchors.get(c['id'], slug(c['id']))}): {_cell(c['title'])} | {c['status']} "
               f"| {_cell(_evidence(c))} | {c.get('seconds', 0):.1f} s |" for c in claims]
        md += ["", f"Each claim links to its proof steps ([{DETAIL}](#{slug(DETAIL)})); "
               "the same record as a document of its own: `claims.md`. Steps of kind symbolic, certificate "
               "and simulation are independent evidence; consistency steps (a result checked against the "
               "equation that produced it) can fail a claim but are not evidence.", "",
               _text(summary(claims)), ""]
        errs = errata_markdown(claims, text=_text)
        if errs:
            md += [f"### {ERRATA}", "", *errs, ""]
    else:
        md += ["No claims were verified in this run (no `claims.json`).", ""]

    md += [f"## {FIGURES}", ""]
    numbers = []
    for e in figs:
        spec, desc = e["spec"], e["desc"]
        md += [f"### {spec.name}: {_text(spec.title)}", ""]
        md += [f"![{p.stem}]({p.relative_to(out).as_posix() if p.is_relative_to(out) else p.as_posix()})"
               for p in e["pngs"]] + [""]
        for table in e["tables"]:  # e.g. Example 1: a Markdown table, headings moved under this section
            md += [("###" + line) if line.startswith("#") else line for line in table.read_text().splitlines()] + [""]
        if hasattr(desc, "paper"):
            md += [f"*In the paper ({_text(spec.paper)}):* {_text(desc.paper)}", "",
                   f"*This run:* {_text(desc.run)}", ""]
            numbers += list(desc.numbers)
        elif desc:
            md += [_text(desc), ""]
        if e["results"]:
            md += [f"Drawn from this run's {_code(e['results'])}.", ""]
        md += ["Regenerate this figure:", "", *_fenced(spec.command), ""]
    if not figs:
        md += ["No figures were drawn in this run.", ""]

    md += [f"## {NUMBERS}", ""]
    if numbers:
        md += ["| quantity | paper | this run | scale | note |", "|---|---|---|---|---|"]
        md += [f"| {_cell(n.quantity)} | {_cell(n.paper)} | {_cell(n.run)} | {n.scale} | {_cell(n.note)} |"
               for n in numbers]
    else:
        md.append("No figure of this run reported numbers to compare.")
    md.append("")

    if claims:
        md += [f"## {DETAIL}", ""]
        for c in claims:
            md += _claim_detail(c)

    md += [f"## {CONFIG}", "", f"Scale `--{scale}`, root seed {seed}.", "",
           "| part | status | seconds | commit | config |", "|---|---|---|---|---|"]
    for name, rec in parts.items():
        git = (rec.get("meta") or {}).get("git") or {}
        commit = _code(_short(git.get("commit")) + ("+" if git.get("dirty") else "")) if git.get("commit") else ""
        status = rec.get("status", "?") + (f": {rec['error']}" if rec.get("error") else "")
        md.append(f"| {_cell(name)} | {_cell(status)} | {rec.get('seconds', 0):.1f} | {commit} "
                  f"| {_code(json.dumps(rec.get('part_config', rec.get('config'))), cell=True)} |")
    md += ["", "A `+` after a commit: the tree had uncommitted changes.", ""]
    return head, md + _provenance(parts)


def _headings(markdown: str) -> list[tuple[int, str, str]]:
    """``(level, plain text, anchor)`` of every heading, anchors as :func:`_html` writes them."""
    tokens = _parser().parse(markdown)
    slugger = _Slugger()
    return [(int(tok.tag[1]), text, slugger(text)) for tok, text in _heading_tokens(tokens)]


def _heading_tokens(tokens):
    for k, tok in enumerate(tokens):
        if tok.type == "heading_open":
            inline = tokens[k + 1]
            yield tok, "".join(c.content for c in inline.children or () if c.type in ("text", "code_inline"))


def _toc(headings: list[tuple[int, str, str]]) -> list[str]:
    top = min(TOC_LEVELS)
    lines = ["## Contents", ""]
    lines += [f"{'  ' * (level - top)}- [{_text(text)}](#{anchor})" for level, text, anchor in headings
              if level in TOC_LEVELS and text != "Contents"]
    return lines + [""]


def build(out: Path, scale: str, seed: int) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into the run folder ``out``."""
    out = Path(out)
    claims, parts, figs = _claims(out), _parts(out), _figure_entries(out)
    # first with provisional links, to learn every heading's anchor; a link never changes a heading
    head, body = _body(out, scale, seed, claims, parts, figs, {})
    headings = _headings("\n".join(head + ["## Contents", ""] + body))
    anchors = {text: anchor for level, text, anchor in headings if level == 3}
    head, body = _body(out, scale, seed, claims, parts, figs, anchors)
    text = "\n".join(head + _toc(headings) + body) + "\n"
    md_path = atomic_write_text(out / "report.md", text)
    html_path = atomic_write_text(out / "report.html", _html(text, out))
    return md_path, html_path


# ------------------------------------------------------------------ HTML


def _parser():
    """CommonMark with GFM tables; raw HTML in the text is escaped (claims write ``<`` and ``>``)."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.core.ruler.push("heading_ids", _heading_ids)
    default_image = md.renderer.rules["image"]

    def image(self, tokens, idx, options, env):
        _embed(tokens[idx], env.get("out"))
        return default_image(tokens, idx, options, env)

    md.add_render_rule("image", image)
    return md


def _heading_ids(state) -> None:
    slugger = _Slugger()
    for tok, text in _heading_tokens(state.tokens):
        tok.attrSet("id", slugger(text))


def _embed(token, out: Path | None) -> None:
    """Replace a local image's path by a data URI of its bytes (the page is one self-contained file)."""
    src = str(token.attrGet("src") or "")
    parts = urlsplit(src)
    if out is None or parts.scheme or parts.netloc:
        return
    path = Path(unquote(parts.path))
    path = path if path.is_absolute() else out / path
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.is_file() and mime.startswith("image/"):
        token.attrSet("src", f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}")


_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
line-height:1.45;color:#1f2328}
h1{font-size:1.7em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.8em}
h3{margin-top:1.5em}h2,h3,h4{scroll-margin-top:1em}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
table{border-collapse:collapse;margin:1em 0;display:block;max-width:100%;overflow-x:auto}
td,th{border:1px solid #d0d7de;padding:4px 8px;font-size:90%;vertical-align:top;text-align:left}
th{background:#f6f8fa}tr:nth-child(even) td{background:#fbfcfd}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:88%;background:#f2f4f6;padding:.1em .3em;
border-radius:4px;overflow-wrap:anywhere}
pre{background:#f6f8fa;padding:.7em 1em;border-radius:6px;overflow-x:auto}pre code{background:none;padding:0}
blockquote{margin:1em 0;padding:0 1em;color:#57606a;border-left:.25em solid #d0d7de}
img{max-width:100%;height:auto}li{margin:.15em 0}
"""


def _html(markdown: str, out: Path) -> str:
    """``markdown`` as one self-contained HTML page: anchored headings, GFM tables, images embedded."""
    body = _parser().render(markdown, {"out": Path(out)})
    return ("<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>collapse report</title><style>{_STYLE.strip()}</style></head>\n<body>\n{body}</body></html>\n")
