"""diff(): what changed between two versions of a department's ruleset, item by item, in words.

A reviewer approving a new version needs to see what it does differently: items added, removed
or renamed (`formerly`), a clause's range or basis, a tier's conditions or amounts, list entries
that now apply or no longer do, placement and limitation rules. Both versions are compared as
compiled (with what they extend resolved), so a change inherited from general rules shows too.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..citation import render_all
from ..compiler import CompiledItem, CompiledRuleset
from . import constructs
from ..evaluation.fines import times_text
from ..evaluation.plan import pct
from ..money import yuan_text
from ..ruleset import LIST_NAMES, FineSpec, ListEntry, Placement

What = Literal["item", "facts", "statutory", "tier", "entry", "placement", "limitation"]


class Change(BaseModel):
    items: list[str] = Field(default_factory=list, description="涉及的事项编码（新版本的）；空为全局规则")
    what: What
    text: str = Field(description="变化，中文表述")


class DiffReport(BaseModel):
    department: str
    old: str
    new: str
    old_hash: str
    new_hash: str
    changes: list[Change]


def fine_text(spec: FineSpec | None, labels: dict[str, str]) -> str:
    """A fine as a benchmark states it: 5,000元至50,000元 / 货值金额的10倍至20倍（…）."""
    if spec is None:
        return "不罚款"
    if spec.range is not None:
        text = f"{yuan_text(spec.range[0])}至{yuan_text(spec.range[1])}"
    elif spec.share is not None:
        text = f"法定幅度的{pct(spec.share[0])}至{pct(spec.share[1])}"
    else:
        base = labels.get(spec.multiple_of or "", spec.multiple_of or "基数")
        lo, hi = spec.times  # type: ignore[misc]
        text = f"{base}的{times_text(lo)}至{times_text(hi)}"
    if spec.fallback is not None:
        text += f"（{spec.fallback.when}时{yuan_text(spec.fallback.range[0])}至{yuan_text(spec.fallback.range[1])}）"
    if spec.ceiling is not None:
        text += f"，最高不超过{yuan_text(spec.ceiling)}"
    return text


def _changed(kind: str, label: str, old: Any, new: Any) -> str:
    return f"{kind}「{label}」：{old} → {new}"


class _Diff:
    def __init__(self, old: CompiledRuleset, new: CompiledRuleset) -> None:
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self._seen: dict[tuple[str, str], Change] = {}

    def add(self, item: str | None, what: What, text: str) -> None:
        """One change; the same change in several items (an inherited entry, a shared fact) is said once."""
        key = (what, text)
        hit = self._seen.get(key)
        if hit is None:
            hit = self._seen[key] = Change(what=what, text=text)
            self.changes.append(hit)
        if item is not None:
            hit.items.append(item)

    def run(self) -> list[Change]:
        self.placement(self.old.placement, self.new.placement)
        self.limitation()
        for text in constructs.version_changes(self.old, self.new):
            self.add(None, "placement", text)
        matched_old: set[str] = set()
        for code, ci in self.new.items.items():
            before = self.old.items.get(code)
            if before is None:
                before = next((self.old.items[c] for c in ci.item.formerly if c in self.old.items), None)
                if before is not None:
                    self.add(code, "item", f"事项编码 {before.item.code} 改为 {code}")
            if before is None:
                self.add(code, "item", f"新增事项「{ci.item.name}」（{render_all(ci.item.penalty_basis)}）")
                continue
            matched_old.add(before.item.code)
            self.item(code, before, ci)
            for what, text in constructs.item_changes(before, ci):
                self.add(code, what, text)
        for code, ci in self.old.items.items():
            if code not in matched_old:
                self.add(code, "item", f"删除事项「{ci.item.name}」（原依据{render_all(ci.item.penalty_basis)}）")
        return self.changes

    def placement(self, a: Placement, b: Placement) -> None:
        for name, label in (("shape", "罚款方式"), ("lenient", "从轻区间"), ("general", "一般区间"), ("aggravated", "从重区间"),
                            ("mitigated", "减轻区间"), ("mitigated_floor", "减轻下限"), ("conflict", "从轻从重并存时"),
                            ("tier_overlap", "多个阶次同时符合时"), ("rounding", "取整（元）"), ("boundaries", "阶次边界")):
            x, y = getattr(a, name), getattr(b, name)
            if x != y:
                self.add(None, "placement", _changed("裁量规则", label, _show(x), _show(y)))

    def limitation(self) -> None:
        a, b = self.old.limitation, self.new.limitation
        x = f"{a.years}年" + (f"，{a.extended.when}时{a.extended.years}年" if a and a.extended else "") if a else "无"
        y = f"{b.years}年" + (f"，{b.extended.when}时{b.extended.years}年" if b and b.extended else "") if b else "无"
        if x != y:
            self.add(None, "limitation", _changed("追责期限", "一般规定", x, y))

    def item(self, code: str, a: CompiledItem, b: CompiledItem) -> None:
        ia, ib = a.item, b.item
        if ia.name != ib.name:
            self.add(code, "item", _changed("事项名称", code, ia.name, ib.name))
        for attr, label in (("legal_basis", "违反的条款"), ("penalty_basis", "处罚依据")):
            x, y = render_all(getattr(ia, attr)), render_all(getattr(ib, attr))
            if x != y:
                self.add(code, "item", _changed(label, ia.name, x, y))
        if ia.limitation_years != ib.limitation_years:
            self.add(code, "limitation", _changed("追责期限", ia.name, ia.limitation_years or "按一般规定", ib.limitation_years or "按一般规定"))
        fa, fb = set(a.schema), set(b.schema)
        for f in sorted(fb - fa):
            self.add(code, "facts", f"新增事实「{b.schema[f].label}」（{f}）")
        for f in sorted(fa - fb):
            self.add(code, "facts", f"不再使用事实「{a.schema[f].label}」（{f}）")
        for f in sorted(fa & fb):
            sa, sb = a.schema[f], b.schema[f]
            if (sa.type, sa.values, sa.default, sa.derived) != (sb.type, sb.values, sb.default, sb.derived):
                self.add(code, "facts", _changed("事实", sa.label, _spec(sa), _spec(sb)))
        la = {f: s.label for f, s in a.schema.items()}
        lb = {f: s.label for f, s in b.schema.items()}
        self.parts(code, "statutory", "法定条款", {c.id: c for c in ia.statutory}, {c.id: c for c in ib.statutory}, la, lb)
        shape_a, shape_b = ia.shape or self.old.placement.shape, ib.shape or self.new.placement.shape
        if shape_a != shape_b:
            self.add(code, "tier", _changed("罚款方式", ib.name, shape_a, shape_b))
        self.parts(code, "tier", "裁量阶次", {t.id: t for t in ia.tiers}, {t.id: t for t in ib.tiers}, la, lb)
        self.entries(code, {e.id: e for e in a.entries}, {e.id: e for e in b.entries})

    def parts(self, code: str, what: What, kind: str, old: dict[str, Any], new: dict[str, Any],
              la: dict[str, str], lb: dict[str, str]) -> None:
        """Clauses or tiers, matched by id: added, removed, or changed in condition, fine, measures, basis."""
        for pid, p in new.items():
            name = getattr(p, "label", None) or pid
            q = old.get(pid)
            if q is None:
                self.add(code, what, f"新增{kind}「{name}」：{_when(p.when)}，罚款{fine_text(p.fine, lb)}")
                continue
            if (q.when or "") != (p.when or ""):
                self.add(code, what, _changed(f"{kind}条件", name, _when(q.when), _when(p.when)))
            x, y = fine_text(q.fine, la), fine_text(p.fine, lb)
            if x != y:
                self.add(code, what, _changed(f"{kind}罚款", name, x, y))
            if [m.code for m in q.measures] != [m.code for m in p.measures]:
                self.add(code, what, _changed(f"{kind}措施", name, _codes(q.measures), _codes(p.measures)))
            if render_all(q.basis) != render_all(p.basis):
                self.add(code, what, _changed(f"{kind}依据", name, render_all(q.basis) or "缺省", render_all(p.basis) or "缺省"))
        for pid, q in old.items():
            if pid not in new:
                self.add(code, what, f"删除{kind}「{getattr(q, 'label', None) or pid}」（原条件：{_when(q.when)}）")

    def entries(self, code: str, old: dict[str, ListEntry], new: dict[str, ListEntry]) -> None:
        """The list entries that apply to the item (its own and inherited ones)."""
        def head(e: ListEntry) -> str:
            return f"{LIST_NAMES[e.list]}清单「{e.label}」（{'应当' if e.mandatory else '可以'}）"

        for eid, e in new.items():
            f = old.get(eid)
            if f is None:
                self.add(code, "entry", f"新适用{head(e)}：{_when(e.when)}；依据{render_all(e.basis)}")
                continue
            if (f.list, f.mandatory) != (e.list, e.mandatory):
                self.add(code, "entry", _changed("清单事项", e.label, head(f), head(e)))
            if f.when != e.when:
                self.add(code, "entry", _changed("清单条件", e.label, _when(f.when), _when(e.when)))
            if (f.tier_up, f.allows_mitigated, f.weight) != (e.tier_up, e.allows_mitigated, e.weight):
                self.add(code, "entry", _changed("清单效果", e.label, _effect(f), _effect(e)))
            if [m.code for m in f.measures] != [m.code for m in e.measures]:
                self.add(code, "entry", _changed("清单措施", e.label, _codes(f.measures), _codes(e.measures)))
        for eid, f in old.items():
            if eid not in new:
                self.add(code, "entry", f"不再适用{head(f)}")


def _when(text: str | None) -> str:
    return text or "无条件"


def _codes(refs: list[Any]) -> str:
    return "、".join(m.code for m in refs) or "无"


def _effect(e: ListEntry) -> str:
    parts = (["上调一个阶次"] if e.tier_up else []) + (["可减轻"] if e.allows_mitigated else []) \
        + ([f"权重{pct(e.weight)}"] if e.weight is not None else [])
    return "、".join(parts) or "按清单"


def _spec(s: Any) -> str:
    out = s.type + (f"[{', '.join(s.values)}]" if s.values else "")
    if s.default is not None:
        out += f"，缺省{s.default}"
    if s.derived:
        out += f"，= {s.derived}"
    return out


def _show(v: Any) -> str:
    if isinstance(v, tuple):
        return f"{pct(v[0])}–{pct(v[1])}"
    return str(v)


def diff(old: CompiledRuleset, new: CompiledRuleset) -> DiffReport:
    """Every change from `old` to `new` (two versions of one department), in the order a reviewer reads."""
    return DiffReport(department=new.department, old=old.version, new=new.version, old_hash=old.hash, new_hash=new.hash,
                      changes=_Diff(old, new).run())
