"""The import report: every marked cell (table, row, column, text, why), the notes, the share read."""

from __future__ import annotations

from typing import Any

from .draft import Draft


def report_dict(draft: Draft) -> dict[str, Any]:
    """The report as data (for --json and the tests)."""
    return {
        "cells": draft.cells_total,
        "structured": draft.cells_structured,
        "share": round(draft.share, 4),
        "markers": [m.as_dict() for m in draft.markers],
        "notes": [
            {"table": n.table, "row": n.row, "column": n.column, "text": n.text, "what": n.what} for n in draft.notes
        ],
    }


def _short(text: str, n: int = 60) -> str:
    one = text.replace("\n", " ")
    return one if len(one) <= n else one[: n - 1] + "…"


def report_text(draft: Draft) -> str:
    """The report a reviewer reads: what needs their hand first, then what they should know."""
    lines = [
        f"单元格 {draft.cells_total} 个，已结构化 {draft.cells_structured} 个（{draft.share:.1%}），"
        f"待人工处理的标记 {len(draft.markers)} 个。"
    ]
    if draft.markers:
        lines.append("")
        lines.append("待处理（草稿中以 !unresolved 标记，消除前不能通过 discretion validate）：")
        lines.append("表\t行\t列\t原文\t原因")
        for m in draft.markers:
            lines.append(f"{m.table or '-'}\t{m.row or '-'}\t{m.column or '-'}\t{_short(m.text)}\t{m.why}")
    if draft.notes:
        lines.append("")
        lines.append("说明：")
        for n in draft.notes:
            where = f"表{n.table} 第{n.row}行" + (f" {n.column}" if n.column else "")
            lines.append(f"{where}\t{_short(n.text)}\t{n.what}")
    return "\n".join(lines)
