"""The report of a ``collapse reproduce`` run, built from a small fake run folder.

The folder holds what reproduce writes (``claims.json``, ``parts/<name>.json`` with
``status``, ``figures``, ``files``, ``part_config``, ``seconds``, ``meta``) from a
few-second simulation, so the report is checked without running reproduce itself.
"""

from __future__ import annotations

import inspect
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from collapse.core.runio import metadata, save_json
from collapse.report import build, slug

PIPE_TITLE = "norms shrink: ||p - p_0|| -> 0"
TRICKY = "E[(A A^T)_jl] = 0; E[Sigma_(i+1)] = 2*x*y <script>alert(1)</script>"


def _claim(cid: str, title: str, statement: str = "a statement") -> dict:
    """A claim as ``collapse.proofs.report.to_json`` writes it."""
    step = {"seconds": 0.1, "p_value": None, "threshold": None, "reference": None}
    checks = [{**step, "name": f"{cid}-symbolic", "kind": "symbolic", "status": "pass", "statement": "by algebra",
               "detail": "holds exactly"},
              {**step, "name": f"{cid}-simulation", "kind": "simulation", "status": "pass", "p_value": 0.4,
               "threshold": 0.01, "statement": "simulated", "detail": TRICKY}]
    cited = [{**step, "name": f"{cid}-cited", "kind": "cited", "status": "cited", "statement": "a known fact",
              "detail": "a known fact", "reference": "A Book (1999)", "seconds": 0.0}]
    return {"id": cid, "title": title, "statement": statement, "source": "Shumailov et al. (2024)", "status": "pass",
            "seconds": 1.5, "checks": checks, "cited": cited,
            "proof": [checks[0]["name"], cited[0]["name"], checks[1]["name"]]}


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    """A run folder: two claims, one figure drawn from a small simulation, a failed part; then the report."""
    from collapse.figures.registry import all_figures
    from collapse.simulate.experiments import run_experiment
    from collapse.simulate.experiments.single_gaussian import SingleGaussianConfig

    out = tmp_path_factory.mktemp("reproduce")
    claims = [_claim("thm3.1-gaussian-collapse", "Theorem 3.1: Gaussian model collapse", TRICKY),
              _claim("pipe-claim", PIPE_TITLE)]
    (out / "claims.json").write_text(json.dumps(claims, indent=2) + "\n")
    sim = out / "sim"  # what `collapse simulate gaussian --samples 10 100 --generations 30 --chains 16` writes
    results = run_experiment(sim, "gaussian_single", SingleGaussianConfig(sample_sizes=(10, 100), generations=30,
                                                                          chains=16, seed=7)).parent
    files = [str(p) for p in all_figures()["gaussian"].draw(results, out / "figures")]
    meta = metadata({"scale": "quick"}, 7, part="x")
    early = {**meta, "versions": {k: v for k, v in meta["versions"].items() if k not in ("torch", "transformers")}}
    late = {**meta, "versions": {**meta["versions"], "torch": "9.9.9-test", "transformers": "8.8.8-test"}}
    save_json(out / "parts" / "verify.json", {"status": "done", "files": [str(out / "claims.json")],
                                              "part_config": {"seed": 7}, "seconds": 2.0, "meta": early})
    save_json(out / "parts" / "figure-gaussian.json", {
        "status": "done", "figures": {"gaussian": {"results": str(results), "files": files}}, "files": files,
        "part_config": {"figure": "gaussian", "note": "a | pipe"}, "seconds": 3.0, "meta": early})
    save_json(out / "parts" / "llm.json", {"status": "failed", "error": "RuntimeError: deliberate",
                                           "part_config": {"seed": 7}, "seconds": 0.5, "meta": late})
    build(out, "quick", 7)
    return out


class _Page(HTMLParser):
    """Every element's id (with its tag), every link, every table's cells, and the text under each heading."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: dict[str, str] = {}
        self.links: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.text: list[tuple[str | None, str]] = []  # (id of the last heading opened, text)
        self._cell: list[str] | None = None
        self._heading: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            assert attrs["id"] not in self.ids, f"id {attrs['id']} twice"
            self.ids[attrs["id"]] = tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self._heading = attrs.get("id")
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag == "table":
            self.tables.append([])
        if tag == "tr":
            self.tables[-1].append([])
        if tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        self.text.append((self._heading, data))

    def section(self, anchor: str) -> str:
        """The text from heading ``anchor`` to the next heading."""
        return "".join(t for h, t in self.text if h == anchor)


@pytest.fixture(scope="module")
def page(run) -> _Page:
    p = _Page()
    p.feed((run / "report.html").read_text())
    return p


def test_build_keeps_its_signature():
    assert list(inspect.signature(build).parameters) == ["out", "scale", "seed"]


def test_table_of_contents_anchors_resolve_to_headings(run, page):
    md = (run / "report.md").read_text()
    toc = md.split("## Contents", 1)[1].split("\n## ", 1)[0]
    anchors = [line.split("](#", 1)[1].rstrip(")") for line in toc.splitlines() if "](#" in line]
    for name in ("claims", "figures", "claims-in-detail", "configuration-seeds-versions-timings", "provenance",
                 "thm31-gaussian-collapse"):
        assert name in anchors
    assert md.index("## Contents") < md.index("## Claims")  # at the top
    for anchor in anchors:
        assert f'href="#{anchor}"' in (run / "report.html").read_text()
        assert page.ids.get(anchor, "").startswith("h"), anchor  # each resolves to a heading


def test_each_claim_links_to_its_steps(run, page):
    claims = json.loads((run / "claims.json").read_text())
    md = (run / "report.md").read_text()
    claims_table = next(t for t in page.tables if t[0][0] == "claim")
    for c in claims:
        anchor = slug(c["id"])
        assert f"[{c['id']}](#{anchor})" in md
        assert f"#{anchor}" in page.links
        assert page.ids[anchor] == "h3"
        steps = page.section(anchor)
        for name in c["proof"]:
            assert name in steps
        assert steps.index(c["proof"][0]) < steps.index(c["proof"][1]) < steps.index(c["proof"][2])
        assert any(row[0].startswith(c["id"]) for row in claims_table[1:])
    assert slug("thm3.1-gaussian-collapse") == "thm31-gaussian-collapse"  # as GitHub anchors it, as claims.md links


def test_markdown_tables_render_and_pipes_survive(run, page):
    heads = [t[0] for t in page.tables]
    assert ["claim", "status", "evidence", "time"] in heads
    assert ["quantity", "paper", "this run", "scale", "note"] in heads
    claims_table = next(t for t in page.tables if t[0][0] == "claim")
    assert all(len(row) == 4 for row in claims_table)
    assert any(row[0] == f"pipe-claim: {PIPE_TITLE}" for row in claims_table)
    parts_table = next(t for t in page.tables if t[0][0] == "part")
    assert all(len(row) == 5 for row in parts_table)
    assert any('"note": "a | pipe"' in row[4] for row in parts_table)  # inside a code span too
    assert "\\|\\|p - p_0\\|\\|" in (run / "report.md").read_text()


def test_text_is_shown_literally(run):
    page = (run / "report.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "E[(A A^T)_jl] = 0; E[Sigma_(i+1)] = 2*x*y" in page  # no emphasis made of _ or *
    assert "<em>jl" not in page and "<em>x" not in page


def test_figure_shows_its_command_and_is_embedded(run):
    from collapse.figures.registry import all_figures

    command = all_figures()["gaussian"].command
    md = (run / "report.md").read_text()
    figures = md.split("## Figures", 1)[1].split("\n## ", 1)[0]
    assert f"```sh\n{command}\n```" in figures
    page = (run / "report.html").read_text()
    assert f"<pre><code class=\"language-sh\">{command}\n</code></pre>" in page
    assert 'src="data:image/png;base64,iVBOR' in page and 'src="figures/' not in page
    assert "![gaussian_single](figures/gaussian_single.png)" in md  # the Markdown keeps the relative path


def test_provenance_in_the_configuration_section(run, page):
    meta = metadata()
    config = page.section("configuration-seeds-versions-timings") + page.section("provenance")
    assert "collapse-toolkit" in config and meta["versions"]["python"] in config
    assert "numpy" in config and meta["versions"]["numpy"] in config
    # torch was imported by the last part only: the union of all parts' versions is shown
    assert "9.9.9-test" in config and "8.8.8-test" in config
    if meta.get("git"):
        assert meta["git"]["commit"] in config
    else:
        assert "not recorded" in config
    assert "failed: RuntimeError: deliberate" in config


def test_no_regex_renderer_left():
    import collapse.report as report

    source = inspect.getsource(report)
    assert "import re\n" not in source and "re.compile" not in source and "re.sub" not in source
    assert not hasattr(report, "_inline") and not hasattr(report, "_CELL_SPLIT")
    assert "from markdown_it import MarkdownIt" in source


def test_markdown_it_is_a_declared_dependency():
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    assert any(d.replace(" ", "").startswith("markdown-it-py") for d in deps)


def test_report_of_an_empty_folder(tmp_path):
    md, page = build(tmp_path, "quick", 1)
    text = md.read_text()
    assert "## Contents" in text and "No claims were verified" in text
    assert page.read_text().startswith("<!doctype html>")
