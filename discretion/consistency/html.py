"""The report as one self-contained HTML page for supervisors (执法监督): no network, charts as inline SVG.

Everything the page shows passes through jinja2 with autoescape on; the SVG geometry is computed
here and written by the template, so case ids, units and details are escaped like any other text.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..loader import RulesetLibrary
from ..conditions import parse_condition
from ..errors import DiscretionError
from ..condition_words import condition_words
from .output import KIND_NAMES
from .stats import MIN_CASES
from .report import SEVERITY_ORDER, ConsistencyReport, Finding, GroupChart

SEVERITY_NAMES = {"critical": "严重", "high": "高", "medium": "中", "low": "低"}
OUTCOME_NAMES = {"penalty": "处罚", "no_penalty": "不予处罚", "exemption": "免予处罚"}
CHARTED = ("fine_spread", "outside_range", "different_outcome")
CHARTS = 10  # keys charted
CASES_SHOWN = 10  # case ids in a findings row before "共 N 件"
CASES_LISTED = 1000  # case ids behind "全部" in a findings row
REJECTED_SHOWN = 1000
UNITS_SHOWN = 40
DOTS = 300  # dots per chart when the cases share one range
LANES = 60  # lanes per chart when each case has its own range
EPS = 0.005

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def _yuan(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}"


def _ticks(hi: float, n: int = 6) -> list[float]:
    if hi <= 0:
        return [0.0]
    raw = hi / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return [i * step for i in range(int(hi / step + 1e-9) + 1)]


def _detail(f: Finding) -> str:
    if f.kind != "different_outcome":
        return f.detail
    return re.sub(r"\b(no_penalty|exemption|penalty)\b", lambda m: OUTCOME_NAMES[m.group(1)], f.detail)


class _Words:
    """Item names and conditions in words, from the library the sweep used (optional)."""

    def __init__(self, library: RulesetLibrary | None) -> None:
        self.library = library

    def item(self, department: str, version: str, item: str) -> Any:
        if self.library is None:
            return None
        crs = self.library.compiled.get(f"{department}/{version}")
        return crs.items.get(item) if crs is not None else None

    def name(self, department: str, version: str, item: str) -> str:
        ci = self.item(department, version, item)
        return ci.item.name if ci is not None else ""

    def key(self, department: str, version: str, item: str, key: str) -> str:
        """The key's words with any condition in brackets said in words too: （goods_value < 10000） →
        （货值金额低于10,000元）."""
        ci = self.item(department, version, item)
        if ci is None:
            return key

        def said(m: re.Match[str]) -> str:
            inner = m.group(1)
            try:
                parse_condition(inner, ci.schema)
            except DiscretionError:
                return m.group(0)
            return f"（{condition_words(inner, ci.schema)}）"

        return re.sub(r"（([^（）]+)）", said, key)

    def conditions(self, f: Finding) -> list[str]:
        ci = self.item(f.department, f.version, f.item)
        if ci is None:
            return []
        said = [condition_words(str(x.get("condition") or ""), ci.schema) for x in f.rules if x.get("condition")]
        return list(dict.fromkeys(said))


def _finding_row(f: Finding, words: _Words | None = None) -> dict[str, Any]:
    words = words or _Words(None)
    return {
        "name": words.name(f.department, f.version, f.item),
        "conditions": words.conditions(f),
        "key_words": words.key(f.department, f.version, f.item, f.key),
        "severity": f.severity,
        "severity_name": SEVERITY_NAMES[f.severity],
        "rank": SEVERITY_ORDER[f.severity],
        "kind": KIND_NAMES.get(f.kind, f.kind),
        "where": f"{f.department}/{f.item}",
        "version": f.version,
        "key": f.key,
        "shown": f.cases[:CASES_SHOWN],
        "more": f.cases[CASES_SHOWN:CASES_LISTED],
        "unlisted": max(0, len(f.cases) - CASES_LISTED),
        "count": len(f.cases),
        "detail": _detail(f),
        "citations": sorted({str(x.get("citation", "")) for x in f.rules} - {""}),
    }


def _state(c: Any) -> str:
    if c.outcome != "penalty" or c.fine is None:
        return "none"
    if c.stat_max is not None and c.fine > c.stat_max + EPS:
        return "law"
    if c.rec_min is not None and c.rec_max is not None and not (c.rec_min - EPS <= c.fine <= c.rec_max + EPS):
        return "out"
    return "in"


def _sample(cases: list[Any], cap: int) -> list[Any]:
    """All cases up to cap; beyond, the deviating ones first and an even spread of the rest."""
    if len(cases) <= cap:
        return cases
    odd = [c for c in cases if _state(c) != "in"][:cap]
    rest = [c for c in cases if _state(c) == "in"]
    room = cap - len(odd)
    if room > 0 and rest:
        step = len(rest) / room
        odd += [rest[int(i * step)] for i in range(min(room, len(rest)))]
    return odd


def _chart(g: GroupChart, found: list[Finding]) -> dict[str, Any]:
    width, left, right = 900, 24, 24
    plot = width - left - right
    ranges = {(c.rec_min, c.rec_max) for c in g.cases if c.rec_min is not None and c.rec_max is not None}
    shared = len(ranges) <= 1
    shown = sorted(
        _sample(g.cases, DOTS if shared else LANES), key=lambda c: ((c.rec_min or 0.0), (c.fine or 0.0), c.case_id)
    )
    values = [v for c in g.cases for v in (c.fine, c.rec_max) if v is not None]
    hi = max(values or [1.0]) * 1.08 or 1.0
    ticks = _ticks(hi)
    hi = max(hi, ticks[-1])

    def x(v: float) -> float:
        return round(left + plot * min(max(v, 0.0), hi) / hi, 1)

    lane = 9
    top = 18
    body = 72 if shared else max(lane * len(shown), 30)
    bands, dots, segs = [], [], []
    if shared and ranges:
        lo, up = next(iter(ranges))
        bands.append(
            {
                "x": x(lo),
                "y": top,
                "w": round(max(x(up) - x(lo), 2), 1),
                "h": body,
                "title": f"建议幅度 {_yuan(lo)}–{_yuan(up)} 元",
            }
        )
    for i, c in enumerate(shown):
        y = top + body / 2 + ((i * 7) % 11 - 5) * 5.5 if shared else top + lane * i + lane / 2
        if not shared and c.rec_min is not None and c.rec_max is not None:
            segs.append(
                {"x": x(c.rec_min), "y": round(y - 3, 1), "w": round(max(x(c.rec_max) - x(c.rec_min), 2), 1), "h": 6}
            )
        state = _state(c)
        decided = f"{_yuan(c.fine)} 元" if state != "none" else OUTCOME_NAMES.get(c.outcome, c.outcome)
        rng = f"；建议 {_yuan(c.rec_min)}–{_yuan(c.rec_max)} 元" if c.rec_min is not None else ""
        dots.append(
            {
                "cx": x(c.fine or 0.0),
                "cy": round(y, 1),
                "state": state,
                "title": f"{c.case_id} · {c.unit} · {decided}{rng}",
            }
        )
    stat = {c.stat_max for c in g.cases if c.stat_max is not None}
    law = x(min(stat)) if len(stat) == 1 and min(stat) <= hi else None
    axis_y = top + body + 8
    kinds = sorted(
        {(SEVERITY_ORDER[f.severity], f.severity, KIND_NAMES.get(f.kind, f.kind), _detail(f)) for f in found}
    )
    return {
        "department": g.department,
        "item": g.item,
        "version": g.version,
        "key": g.key,
        "shared": shared,
        "width": width,
        "height": axis_y + 34,
        "top": top,
        "body": body,
        "axis_y": axis_y,
        "left": left,
        "right": width - right,
        "bands": bands,
        "segs": segs,
        "dots": dots,
        "law": law,
        "law_label": _yuan(min(stat)) if law is not None else "",
        "law_end": law is not None and law > width - 140,
        "ticks": [{"x": x(t), "label": _yuan(t)} for t in ticks],
        "findings": [
            {"severity": s, "severity_name": SEVERITY_NAMES[s], "kind": k, "detail": d} for _, s, k, d in kinds
        ],
        "total": len(g.cases),
        "drawn": len(shown),
        "counts": {s: sum(1 for c in g.cases if _state(c) == s) for s in ("in", "out", "law", "none")},
    }


def _charts(r: ConsistencyReport, words: _Words | None = None) -> list[dict[str, Any]]:
    by_case: dict[str, list[Finding]] = {}
    for f in r.findings:
        if f.kind in CHARTED:
            for c in f.cases:
                by_case.setdefault(c, []).append(f)
    scored = []
    for n, g in enumerate(r.groups):
        found = {
            id(f): f
            for c in g.cases
            for f in by_case.get(c.case_id, ())
            if (f.department, f.item, f.version, f.key) == (g.department, g.item, g.version, g.key)
        }
        if not found:
            continue
        fs = list(found.values())
        worst = min(SEVERITY_ORDER[f.severity] for f in fs)
        scored.append(((worst, -sum(len(f.cases) for f in fs), -len(fs), n), g, fs))
    scored.sort(key=lambda t: t[0])
    words = words or _Words(None)
    return [
        {
            **_chart(g, fs),
            "name": words.name(g.department, g.version, g.item),
            "key_words": words.key(g.department, g.version, g.item, g.key),
        }
        for _, g, fs in scored[:CHARTS]
    ]


def _units(r: ConsistencyReport) -> dict[str, Any] | None:
    return _bars(r.units)


def _bars(all_stats: list[Any]) -> dict[str, Any] | None:
    """Deviation-rate bars of units or officers; those with fewer than MIN_CASES cases are listed
    apart as too few to test (a rate of 1 in 2 says nothing)."""
    units = [u for u in all_stats if u.cases >= MIN_CASES]
    few = [u for u in all_stats if u.cases < MIN_CASES]
    if not units:
        return {"rows": [], "few": few, "total": 0, "drawn": 0, "flagged": 0} if few else None
    shown = [u for u in units if u.flagged] + [u for u in units if not u.flagged]
    shown = shown[: max(UNITS_SHOWN, sum(u.flagged for u in units))]
    label, bar, row = 170, 420, 26
    hi: float = max([u.rate for u in shown] + [u.others_rate for u in shown] + [0.05]) * 1.1
    ticks = [t for t in _ticks(hi, 5) if t <= hi + 1e-9]
    hi = max(hi, ticks[-1])

    def x(v: float) -> float:
        return round(label + bar * v / hi, 1)

    rows = []
    for i, u in enumerate(shown):
        y = 10 + i * row
        rows.append(
            {
                "name": u.name,
                "flagged": u.flagged,
                "y": y,
                "ty": y + 14,
                "w": round(max(x(u.rate) - label, 1), 1),
                "ox": x(u.others_rate),
                "text": f"{u.deviations}/{u.cases}（{u.rate:.1%}），其他 {u.others_rate:.1%}，p={u.p_value:.2g}",
                "title": f"{u.name}：偏离 {u.deviations}/{u.cases} = {u.rate:.1%}；"
                f"其他单位 {u.others_rate:.1%}；p = {u.p_value:.3g}" + ("；已标记" if u.flagged else ""),
            }
        )
    axis_y = 10 + len(shown) * row + 4
    return {
        "rows": rows,
        "width": label + bar + 330,
        "height": axis_y + 30,
        "label": label,
        "axis_y": axis_y,
        "bar_end": label + bar,
        "text_x": label + bar + 12,
        "total": len(units),
        "drawn": len(shown),
        "flagged": sum(u.flagged for u in units),
        "few": few,
        "ticks": [{"x": x(t), "label": f"{t:.0%}" if t * 100 == int(t * 100) else f"{t:.1%}"} for t in ticks],
    }


def render_html(
    r: ConsistencyReport,
    *,
    title: str = "行政处罚裁量一致性检查报告",
    generated: dt.datetime | None = None,
    library: RulesetLibrary | None = None,
) -> str:
    """The whole page as a string; with the library, item names and conditions in words are shown too."""
    words = _Words(library)
    s = r.summary
    kinds = [
        {"kind": KIND_NAMES.get(k, k), "count": v}
        for k, v in sorted(s.findings.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    severities = [
        {"severity": k, "name": n, "count": sum(1 for f in r.findings if f.severity == k)}
        for k, n in SEVERITY_NAMES.items()
    ]
    return _env.get_template("report.html.j2").render(
        title=title,
        generated=(generated or dt.datetime.now()).strftime("%Y-%m-%d %H:%M"),
        audit_head=r.audit_head,
        s=s,
        kinds=kinds,
        severities=severities,
        findings=[_finding_row(f, words) for f in r.findings],
        charts=_charts(r, words),
        units=_units(r),
        officers=[o for o in r.officers if o.flagged],
        officer_bars=_bars(r.officers),
        rejected=r.rejected[:REJECTED_SHOWN],
        rejected_total=len(r.rejected),
        charts_limit=CHARTS,
        cases_shown=CASES_SHOWN,
    )


def write_html(r: ConsistencyReport, path: Path) -> None:
    Path(path).write_text(render_html(r), encoding="utf-8")
