"""`discretion sweep --html`: one self-contained page for supervisors (执法监督)."""

from __future__ import annotations

import json
import re
from functools import cache
from html.parser import HTMLParser

from typer.testing import CliRunner

from discretion.cli import app
from discretion.consistency.html import render_html
from discretion.consistency.output import KIND_NAMES
from discretion.cases.reading import read_cases
from discretion.consistency.report import ConsistencyReport
from discretion.consistency.sweep import sweep
from discretion.consistency.synth import DEVIANT_UNIT, generate

from . import libraries

BUNDLED = libraries.bundled()


@cache
def _generated() -> tuple[list[dict], str, ConsistencyReport]:
    """400 generated cases with injected inconsistencies, as JSON lines, and their report (once per process)."""
    cases, _ = generate(BUNDLED, 400, 5, 2)
    text = "\n".join(json.dumps(c, ensure_ascii=False) for c in cases) + "\n{broken\n"
    return cases, text, sweep(BUNDLED, read_cases("generated", text=text))


class _Page(HTMLParser):
    """Collects external references, tags, findings-table rows and the text of the unit chart."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: list[str] = []
        self.stack: list[str] = []
        self.findings_rows = 0
        self.in_findings = self.in_units = 0
        self.unit_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append(tag)
        self.refs += [v for k, v in attrs if k in ("src", "href", "xlink:href", "action") and v]
        if tag == "table" and a.get("id") == "findings-table":
            self.in_findings = 1
        if tag == "div" and a.get("id") == "unit-chart":
            self.in_units = 1
        if self.in_findings and tag == "tr" and "finding" in (a.get("class") or "").split():
            self.findings_rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_findings = 0
        if tag == "svg":
            self.in_units = 0

    def handle_data(self, data: str) -> None:
        if self.in_units:
            self.unit_text.append(data)


def _parse(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    p.close()
    return p


def _check(html: str) -> None:
    _, _, REPORT = _generated()
    assert (
        html.lstrip().startswith("<!DOCTYPE html>") and html.count("<html") == 1 and html.rstrip().endswith("</html>")
    )
    page = _parse(html)
    assert page.refs == [], page.refs  # no src/href at all: nothing to fetch
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    assert "<link" not in html and "<iframe" not in html and "<img" not in html
    assert "<svg" in html and "<style>" in html and "<script>" in html
    assert page.findings_rows == len(REPORT.findings)
    assert DEVIANT_UNIT in "".join(page.unit_text)
    for f in REPORT.findings:
        for c in f.cases:
            assert c in html, (f.kind, c)
    for k in REPORT.summary.findings:
        assert KIND_NAMES[k] in html
    for r in REPORT.rejected:
        assert f">{r.line}<" in html


def test_the_report_is_one_self_contained_page() -> None:
    _, _, REPORT = _generated()
    assert REPORT.findings and REPORT.rejected and any(u.flagged and u.name == DEVIANT_UNIT for u in REPORT.units)
    assert REPORT.groups  # the charted keys carry per-case fines and ranges
    _check(render_html(REPORT))


def test_the_fine_chart_draws_every_case_of_the_worst_keys() -> None:
    _, _, REPORT = _generated()
    html = render_html(REPORT)
    charted = {c.case_id for g in REPORT.groups for c in g.cases}
    flagged = {
        c for f in REPORT.findings if f.kind in ("fine_spread", "outside_range", "different_outcome") for c in f.cases
    }
    assert flagged <= charted
    assert 1 <= html.count('class="panel chart"') <= 10
    assert html.count("<circle") >= 1 and 'class="band"' in html


def test_the_findings_table_is_sorted_by_severity_and_coloured() -> None:
    _, _, REPORT = _generated()
    html = render_html(REPORT)
    ranks = [int(x) for x in re.findall(r'<td data-sort="(\d)"><span class="sev sev-', html)]
    assert ranks == sorted(ranks) and len(ranks) == len(REPORT.findings)
    assert "sev-high" in html and "addEventListener" in html


def test_everything_is_escaped() -> None:
    _, _, REPORT = _generated()
    evil = "<script>alert(1)</script>"
    f = REPORT.findings[0].model_copy(update={"detail": evil, "key": '"><img src=x>', "cases": ["<b>x</b>"]})
    html = render_html(REPORT.model_copy(update={"findings": [f, *REPORT.findings[1:]]}))
    assert evil not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "<b>x</b>" not in html


def test_an_empty_sweep_still_renders() -> None:
    CASES, _, _ = _generated()
    clean = next(c for c in CASES if c["unit"] != DEVIANT_UNIT)  # the generator's deviant unit gets findings
    empty = sweep(BUNDLED, read_cases("x", text=json.dumps(clean, ensure_ascii=False)))
    assert empty.findings == []
    html = render_html(empty)
    assert "未发现问题" in html and "<html" in html


def test_cli_sweep_writes_the_html_report(tmp_path) -> None:
    _, TEXT, _ = _generated()
    cases = tmp_path / "cases.jsonl"
    cases.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "report.html"
    r = CliRunner().invoke(app, ["sweep", "--cases", str(cases), "--html", str(out)])
    assert r.exit_code == 0, r.output
    _check(out.read_text(encoding="utf-8"))
