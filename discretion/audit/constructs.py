"""The diff sentences of the language constructs (issue 9 §1), for discretion.audit.diff to say.

Each change of a construct — a displacement, a fine or measure that became discretionary (可以),
typed bands, exclusive groups and the weights of a weighted sum (the shape's own `diff`), a
proportional reduction, a version's kind of change and transition rule — gets a sentence a
reviewer reads; the structural comparison stays the fallback for anything else.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from ..citation import render_all
from ..compiler import CompiledItem, CompiledRuleset
from ..money import yuan_text
from ..ruleset import FineSpec, Tier
from ..shapes import SHAPES
from ..shapes.weighted import pct
from ..wording import DIRECTION_LABELS, reduce_cap

Where = Literal["statutory", "tier", "entry", "placement"]

_CHANGE = {
    None: "法律、法规、规章修改（第三十七条）",
    "law": "法律、法规、规章修改（第三十七条）",
    "benchmark": "仅裁量基准变化",
}
_TRANSITION = {
    None: "无",
    "decision_date": "作出处罚决定时施行的基准",
    "act_date": "违法行为发生时施行的基准",
    "lighter": "参照从旧兼从轻",
}


def version_changes(old: CompiledRuleset, new: CompiledRuleset) -> list[str]:
    """The kind of change a version declares and its transition rule."""
    a, b = old.ruleset, new.ruleset
    out = []
    if (a.change, a.transition) != (b.change, b.transition):
        out.append(
            f"版本变化性质：{_CHANGE[b.change]}；过渡规则：{_TRANSITION[b.transition]}"
            + (f"（{b.transition_basis.render()}）" if b.transition_basis else "")
        )
    return out


def _may(spec: FineSpec | None) -> bool:
    return bool(spec is not None and spec.may)


def _bands(t: Tier) -> str:
    parts = [
        f"{DIRECTION_LABELS[b.direction]}{b.fine.range[0]}至{b.fine.range[1]}"
        if b.fine.range
        else f"{DIRECTION_LABELS[b.direction]}"
        for b in t.bands or []
    ]
    if t.direction is not None:
        parts.insert(0, f"本阶次为{DIRECTION_LABELS[t.direction]}栏")
    return "、".join(parts) or "无"


def item_changes(a: CompiledItem, b: CompiledItem) -> list[tuple[Where, str]]:
    """Changes of the constructs within one item, in words."""
    out: list[tuple[Where, str]] = []
    name = b.item.name
    old_clauses = {c.id: c for c in a.item.statutory}
    for c in b.item.statutory:
        before = old_clauses.get(c.id)
        if before is not None and _may(before.fine) != _may(c.fine):
            out.append(
                (
                    "statutory",
                    f"「{name}」{c.label or c.id}：罚款"
                    + ("改为可以并处（作为选项）" if _may(c.fine) else "改为应当处以"),
                )
            )
        if before is not None:
            was = {m.code for m in before.measures if m.may}
            now = {m.code for m in c.measures if m.may}
            for code in sorted(now - was):
                out.append(
                    (
                        "statutory",
                        f"「{name}」{c.label or c.id}：措施 {code} 改为可以采取（作为选项）",
                    )
                )
            for code in sorted(was - now):
                out.append(("statutory", f"「{name}」{c.label or c.id}：措施 {code} 不再是可以采取的选项"))
    old_tiers = {t.id: t for t in a.item.tiers}
    for t in b.item.tiers:
        prior = old_tiers.get(t.id)
        if prior is not None and (
            _bands(prior) != _bands(t)
            or [b_.fine.bounds for b_ in prior.bands or []] != [b_.fine.bounds for b_ in t.bands or []]
        ):
            out.append(("tier", f"「{name}」阶次「{t.label}」分栏金额：{_bands(prior)} → {_bands(t)}"))
        if prior is not None and prior.fine is not None and t.fine is not None and prior.fine.bounds != t.fine.bounds:
            out.append(
                (
                    "tier",
                    f"「{name}」阶次「{t.label}」金额边界："
                    f"{prior.fine.bounds or '按一般规定'} → {t.fine.bounds or '按一般规定'}",
                )
            )
    for shape in SHAPES.values():
        out += [("placement", f"「{name}」{text}") for text in shape.diff(a.item, b.item)]
    wa = {f.id: f.group for f in a.item.weighted.factors} if a.item.weighted else {}
    wb = {f.id: f.group for f in b.item.weighted.factors} if b.item.weighted else {}
    for fid in sorted(set(wa) & set(wb)):
        if wa[fid] != wb[fid]:
            out.append(
                (
                    "placement",
                    f"「{name}」权重因素 {fid} 的互斥组：{wa[fid] or '无'} → {wb[fid] or '无'}",
                )
            )
    da = {e.id: render_all(sp) for e, sp in a.displaced}
    db = {e.id: render_all(sp) for e, sp in b.displaced}
    for eid in sorted(set(db) - set(da)):
        out.append(("entry", f"「{name}」：一般条目 {eid} 不再适用，从其规定（{db[eid]}）"))
    for eid in sorted(set(da) - set(db)):
        out.append(("entry", f"「{name}」：一般条目 {eid} 恢复适用（原被{da[eid]}排除）"))
    ra = {e.id: (e.reduce, e.reduce_not_below, e.fine, e.reduce_at_most) for e in a.entries}
    for e in b.entries:
        if e.id in ra and ra[e.id] != (e.reduce, e.reduce_not_below, e.fine, e.reduce_at_most):
            r0, n0, f0, c0 = ra[e.id]
            cut_was = f"减少{pct(r0[0])}至{pct(r0[1])}" if r0 else "不按比例减少"
            cut_now = f"减少{pct(e.reduce[0])}至{pct(e.reduce[1])}" if e.reduce else "不按比例减少"
            if cut_was != cut_now or n0 != e.reduce_not_below:
                out.append(
                    (
                        "entry",
                        f"「{name}」{e.label}：{cut_was} → {cut_now}"
                        f"（不低于{e.reduce_not_below or 'statutory_minimum'}）",
                    )
                )
            if c0 != e.reduce_at_most:
                out.append(("entry", f"「{name}」{e.label}：{_cap_words(c0)} → {_cap_words(e.reduce_at_most)}"))
            if _may(f0) != _may(e.fine) or f0 != e.fine:
                out.append(
                    (
                        "entry",
                        f"「{name}」{e.label}：可以并处的罚款 "
                        f"{f0.range if f0 else '无'} → {e.fine.range if e.fine else '无'}",
                    )
                )
    return out


def _cap_words(at_most: Decimal | None) -> str:
    """A reduction's cap on the amount taken off (ListEntry.reduce_at_most) in words."""
    return "减少的额度不设上限" if at_most is None else reduce_cap(yuan_text(at_most))
