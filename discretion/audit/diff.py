"""diff(): what changed between two versions of a department's ruleset, item by item, in words.

A reviewer approving a new version needs to see what it does differently: items added, removed
or renamed (`formerly`), a clause's range or basis, a tier's conditions or amounts, weighted
factors, facts and their bounds, list entries that now apply or no longer do, placement and
limitation rules. Both versions are compared as compiled (with what they extend resolved), so a
change inherited from general rules shows too.

Nothing is left out: every sentence marks the fields it speaks for, and every other field that
differs (structure.py walks the resolved rulesets generically, over the same dump the content
hash is taken over) is said as "field: old → new", naming the items it can touch. So two versions
with different hashes never have an empty diff, and a field added to the language later is
reported without a change here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ..citation import render_all
from ..compiler import CompiledItem, CompiledRuleset
from . import constructs
from ..evaluation.fines import multiples_text
from ..money import yuan_text
from ..ruleset import FactSpec, FineSpec, ListEntry, MeasureRef, Placement, Weighted
from ..wording import LIST_NAMES, count_words
from .structure import Difference, Key, Path, differences, path_text, value_text

What = Literal[
    "item",
    "facts",
    "statutory",
    "tier",
    "weighted",
    "entry",
    "placement",
    "limitation",
    "ruleset",
    "other",
]


class Change(BaseModel):
    items: list[str] = Field(
        default_factory=list, description="涉及的事项编码（新版本的）；空为全局规则（涉及每个事项）"
    )
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
        text = f"法定幅度的{pct_exact(spec.share[0])}至{pct_exact(spec.share[1])}"
    else:
        base = labels.get(spec.multiple_of or "", spec.multiple_of or "基数")
        lo, hi = spec.times  # type: ignore[misc]  # a multiple_of fine has times (FineSpec)
        text = f"{base}的{multiples_text(lo, hi)}"
    if spec.fallback is not None:
        lo, hi = spec.fallback.range
        text += f"（{spec.fallback.when}时{yuan_text(lo)}至{yuan_text(hi)}）"
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
        self.said: set[Path] = set()  # fields some sentence speaks for, with everything inside them
        self.exact: set[Path] = set()  # whole elements added or removed that a sentence names
        self.renamed: list[tuple[CompiledItem, CompiledItem]] = []

    def add(self, item: str | None, what: What, text: str, *paths: Path) -> None:
        """One change; the same change in several items (an inherited entry, a shared fact) is said
        once. `paths` are the fields (of the resolved rulesets) the sentence speaks for."""
        self.said.update(paths)
        key = (what, text)
        hit = self._seen.get(key)
        if hit is None:
            hit = self._seen[key] = Change(what=what, text=text)
            self.changes.append(hit)
        if item is not None:
            hit.items.append(item)

    def run(self) -> list[Change]:
        self.ruleset()
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
                    self.exact |= {("items", code), ("items", before.item.code)}
                    self.renamed.append((before, ci))
            if before is None:
                self.add(
                    code,
                    "item",
                    f"新增事项「{ci.item.name}」（{render_all(ci.item.penalty_basis)}）",
                    ("items", code),
                )
                continue
            matched_old.add(before.item.code)
            self.item(code, before, ci)
            for what, text in constructs.item_changes(before, ci):
                self.add(code, what, text)
        for code, ci in self.old.items.items():
            if code not in matched_old:
                self.add(
                    code,
                    "item",
                    f"删除事项「{ci.item.name}」（原依据{render_all(ci.item.penalty_basis)}）",
                    ("items", code),
                )
        self.rest()
        return self.changes

    def ruleset(self) -> None:
        """The version's identity: what the version step of every evaluation shows."""
        a, b = self.old.ruleset, self.new.ruleset
        for attr, label in (
            ("department_name", "部门名称"),
            ("effective_from", "施行日期"),
            ("effective_to", "失效日期"),
            ("source", "所编码的文件"),
            ("extends", "引用的通用规则"),
            ("refines", "所细化的上级基准"),
        ):
            x, y = getattr(a, attr), getattr(b, attr)
            if x == y:
                continue
            if isinstance(x, list) and isinstance(y, list) and set(x) != set(y):
                gone, came = [v for v in x if v not in y], [v for v in y if v not in x]
                text = f"版本信息「{label}」：" + "；".join(
                    [*(f"删除 {v}" for v in gone), *(f"新增 {v}" for v in came)]
                )
            else:
                text = _changed("版本信息", label, _show(x) if x else "无", _show(y) if y else "无")
            self.add(None, "ruleset", text, (attr,))

    def rest(self) -> None:
        """Every field that differs and no sentence above speaks for, said structurally."""
        found = differences(self.old.ruleset, self.new.ruleset)
        for (
            before,
            after,
        ) in self.renamed:  # a renamed item is compared field by field with its old self
            at: Path = ("items", Key(after.item.code))
            found += [
                Difference((*at, *d.path), d.old, d.new, d.order)
                for d in differences(before.item, after.item)
                if d.path != ("code",)
            ]
        for d in found:
            if d.path[:1] == ("version",) or d.path in self.exact or any(d.path[: len(p)] == p for p in self.said):
                continue  # the version is the report's own heading
            items = self.touched(d)
            if d.order:
                text = f"顺序改变 {path_text(d.path)}：{'、'.join(d.old)} → {'、'.join(d.new)}"
            else:
                text = f"其他改动 {path_text(d.path)}：{value_text(d.old)} → {value_text(d.new)}"
            if items:
                for code in items:
                    self.add(code, "other", text)
            else:
                self.add(None, "other", text)

    def touched(self, d: Difference) -> list[str]:
        """The items a structural difference can change (none: a ruleset-wide field, i.e. every
        item)."""
        head = d.path[0] if d.path else None
        key = d.path[1] if len(d.path) > 1 else None
        both = [
            *self.new.items.values(),
            *(ci for c, ci in self.old.items.items() if c not in self.new.items),
        ]
        if head == "items" and key is not None:
            return [str(key)]
        if head == "lists" and key is not None:
            return sorted({ci.item.code for ci in both if any(e.id == key for e in ci.entries)})
        if head == "facts" and key is not None:
            return sorted({ci.item.code for ci in both if key in ci.schema})
        if head in ("measures", "penalty_measures") and key is not None:
            return sorted({ci.item.code for ci in both if key in _measure_codes(ci)})
        return []

    def placement(self, a: Placement, b: Placement) -> None:
        for name, label in (
            ("shape", "罚款方式"),
            ("lenient", "从轻区间"),
            ("general", "一般区间"),
            ("aggravated", "从重区间"),
            ("mitigated", "减轻区间"),
            ("mitigated_floor", "减轻下限"),
            ("conflict", "从轻从重并存时"),
            ("tier_overlap", "多个阶次同时符合时"),
            ("rounding", "取整（元）"),
            ("boundaries", "阶次边界"),
        ):
            x, y = getattr(a, name), getattr(b, name)
            if x != y:
                self.add(
                    None,
                    "placement",
                    _changed("裁量规则", label, _show(x), _show(y)),
                    ("placement", name),
                )

    def limitation(self) -> None:
        a, b = self.old.limitation, self.new.limitation
        x = f"{a.years}年" + (f"，{a.extended.when}时{a.extended.years}年" if a and a.extended else "") if a else "无"
        y = f"{b.years}年" + (f"，{b.extended.when}时{b.extended.years}年" if b and b.extended else "") if b else "无"
        if x != y:
            paths: list[Path] = [("limitation", "years"), ("limitation", "extended")]
            if a is None or b is None:
                paths.append(("limitation",))
            self.add(None, "limitation", _changed("追责期限", "一般规定", x, y), *paths)

    def item(self, code: str, a: CompiledItem, b: CompiledItem) -> None:
        ia, ib = a.item, b.item
        at: Path = ("items", code)
        if ia.name != ib.name:
            self.add(code, "item", _changed("事项名称", code, ia.name, ib.name), (*at, "name"))
        for attr, label in (("legal_basis", "违反的条款"), ("penalty_basis", "处罚依据")):
            x, y = render_all(getattr(ia, attr)), render_all(getattr(ib, attr))
            if x != y:
                self.add(code, "item", _changed(label, ia.name, x, y), (*at, attr))
        if ia.limitation_years != ib.limitation_years:
            self.add(
                code,
                "limitation",
                _changed(
                    "追责期限",
                    ia.name,
                    ia.limitation_years or "按一般规定",
                    ib.limitation_years or "按一般规定",
                ),
                (*at, "limitation_years"),
            )
        fa, fb = set(a.schema), set(b.schema)
        for f in sorted(fb - fa):
            self.add(code, "facts", f"新增事实「{b.schema[f].label}」（{f}）：{_spec(b.schema[f])}")
            self.exact |= {("facts", f), (*at, "facts", f)}
        for f in sorted(fa - fb):
            self.add(code, "facts", f"不再使用事实「{a.schema[f].label}」（{f}）")
            self.exact |= {("facts", f), (*at, "facts", f)}
        for f in sorted(fa & fb):
            sa, sb = a.schema[f], b.schema[f]
            if sa != sb:
                self.add(
                    code,
                    "facts",
                    _changed("事实", f"{sa.label}（{f}）", _spec(sa), _spec(sb)),
                    ("facts", f),
                    (*at, "facts", f),
                )
        la = {f: s.label for f, s in a.schema.items()}
        lb = {f: s.label for f, s in b.schema.items()}
        labels = (la, lb)
        self.parts(code, "statutory", "法定条款", _by_id(ia.statutory), _by_id(ib.statutory), *labels)
        shape_a, shape_b = (
            ia.shape or self.old.placement.shape,
            ib.shape or self.new.placement.shape,
        )
        if shape_a != shape_b:
            self.add(code, "tier", _changed("罚款方式", ib.name, shape_a, shape_b), (*at, "shape"))
        self.parts(code, "tier", "裁量阶次", _by_id(ia.tiers), _by_id(ib.tiers), *labels)
        self.weighted(code, ib.name, ia.weighted, ib.weighted)
        self.entries(code, {e.id: e for e in a.entries}, {e.id: e for e in b.entries})

    def weighted(self, code: str, name: str, a: Weighted | None, b: Weighted | None) -> None:
        """权重累加: start, cap and each factor (condition, weight, basis), matched by id."""
        at: Path = ("items", code, "weighted")
        if a is None or b is None:
            if a != b:
                self.add(code, "weighted", _changed("权重累加", name, _weights(a), _weights(b)), at)
            return
        for attr, label in (("start", "起始权重"), ("cap", "权重上限")):
            x, y = getattr(a, attr), getattr(b, attr)
            if x != y:
                self.add(code, "weighted", _changed(label, name, pct_exact(x), pct_exact(y)), (*at, attr))
        if _basis_text(a.basis) != _basis_text(b.basis):
            self.add(
                code,
                "weighted",
                _changed("权重累加依据", name, _basis_text(a.basis), _basis_text(b.basis)),
                (*at, "basis"),
            )
        old = {f.id: f for f in a.factors}
        new = {f.id: f for f in b.factors}
        for fid, f in new.items():
            g = old.get(fid)
            where = (*at, "factors", fid)
            if g is None:
                self.add(
                    code,
                    "weighted",
                    f"新增权重因素「{f.label}」：{_when(f.when)}，权重{pct_exact(f.weight)}",
                    where,
                )
                continue
            for attr, label, show in _FACTOR_FIELDS:
                x, y = show(getattr(g, attr)), show(getattr(f, attr))
                if x != y:
                    self.add(code, "weighted", _changed(label, f.label, x, y), (*where, attr))
        for fid, g in old.items():
            if fid not in new:
                self.add(
                    code,
                    "weighted",
                    f"删除权重因素「{g.label}」（原条件：{_when(g.when)}，权重{pct_exact(g.weight)}）",
                    (*at, "factors", fid),
                )

    def parts(
        self,
        code: str,
        what: What,
        kind: str,
        old: dict[str, Any],
        new: dict[str, Any],
        la: dict[str, str],
        lb: dict[str, str],
    ) -> None:
        """Clauses or tiers, matched by id: added, removed, or changed in condition, fine,
        measures, basis."""
        field = "statutory" if what == "statutory" else "tiers"
        for pid, p in new.items():
            name = getattr(p, "label", None) or pid
            at: Path = ("items", code, field, pid)
            q = old.get(pid)
            if q is None:
                self.add(
                    code,
                    what,
                    f"新增{kind}「{name}」：{_when(p.when)}，罚款{fine_text(p.fine, lb)}",
                    at,
                )
                continue
            if (q.when or "") != (p.when or ""):
                self.add(
                    code,
                    what,
                    _changed(f"{kind}条件", name, _when(q.when), _when(p.when)),
                    (*at, "when"),
                )
            x, y = fine_text(q.fine, la), fine_text(p.fine, lb)
            if x != y:
                self.add(
                    code,
                    what,
                    _changed(f"{kind}罚款", name, x, y),
                    *_fine_paths(at, q.fine, p.fine, la),
                )
            if _measures(q.measures) != _measures(p.measures):
                self.add(
                    code,
                    what,
                    _changed(f"{kind}措施", name, _measures(q.measures), _measures(p.measures)),
                    (*at, "measures"),
                )
            if render_all(q.basis) != render_all(p.basis):
                self.add(
                    code,
                    what,
                    _changed(
                        f"{kind}依据",
                        name,
                        render_all(q.basis) or "缺省",
                        render_all(p.basis) or "缺省",
                    ),
                    (*at, "basis"),
                )
        for pid, q in old.items():
            if pid not in new:
                self.add(
                    code,
                    what,
                    f"删除{kind}「{getattr(q, 'label', None) or pid}」（原条件：{_when(q.when)}）",
                    ("items", code, field, pid),
                )

    def entries(self, code: str, old: dict[str, ListEntry], new: dict[str, ListEntry]) -> None:
        """The list entries that apply to the item (its own and inherited ones)."""

        def head(e: ListEntry) -> str:
            return f"{LIST_NAMES[e.list]}清单「{e.label}」（{'应当' if e.mandatory else '可以'}）"

        for eid, e in new.items():
            f = old.get(eid)
            at: Path = ("lists", eid)
            if f is None:
                self.add(code, "entry", f"新适用{head(e)}：{_when(e.when)}{_count(e)}；依据{render_all(e.basis)}")
                self.exact |= {at, (*at, "applies_to")}
                continue
            if (f.list, f.mandatory, f.label) != (e.list, e.mandatory, e.label):
                self.add(
                    code,
                    "entry",
                    _changed("清单事项", e.label, head(f), head(e)),
                    (*at, "list"),
                    (*at, "mandatory"),
                    (*at, "label"),
                )
            if f.when != e.when:
                self.add(
                    code,
                    "entry",
                    _changed("清单条件", e.label, _when(f.when), _when(e.when)),
                    (*at, "when"),
                )
            if f.when_count != e.when_count:
                self.add(
                    code,
                    "entry",
                    _changed("清单情形计数", e.label, count_words(f) or "无", count_words(e) or "无"),
                    (*at, "when_count"),
                )
            if (f.tier_up, f.allows_mitigated, f.weight) != (
                e.tier_up,
                e.allows_mitigated,
                e.weight,
            ):
                self.add(
                    code,
                    "entry",
                    _changed("清单效果", e.label, _effect(f), _effect(e)),
                    (*at, "tier_up"),
                    (*at, "allows_mitigated"),
                    (*at, "weight"),
                )
            if _measures(f.measures) != _measures(e.measures):
                self.add(
                    code,
                    "entry",
                    _changed("清单措施", e.label, _measures(f.measures), _measures(e.measures)),
                    (*at, "measures"),
                )
            if render_all(f.basis) != render_all(e.basis):
                self.add(
                    code,
                    "entry",
                    _changed("清单依据", e.label, render_all(f.basis), render_all(e.basis)),
                    (*at, "basis"),
                )
        for eid, f in old.items():
            if eid not in new:
                self.add(code, "entry", f"不再适用{head(f)}")
                self.exact |= {("lists", eid), ("lists", eid, "applies_to")}


def _by_id(parts: list[Any]) -> dict[str, Any]:
    return {p.id: p for p in parts}


def _basis_text(basis: list[Any]) -> str:
    return render_all(basis) or "缺省"


#: the fields of a weighted factor and how a change of each is said
_FACTOR_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("when", "权重因素条件", lambda v: _when(v)),
    ("weight", "权重因素权重", lambda v: pct_exact(v)),
    ("label", "权重因素名称", str),
    ("basis", "权重因素依据", lambda v: _basis_text(v)),
)


def pct_exact(d: Any) -> str:
    """A share as a percentage with every digit it has (30%, 12.3456%): diff must not round changes
    away."""
    return f"{(d * 100).normalize():f}%"


def _when(text: str | None) -> str:
    return text or "无条件"


def _count(e: ListEntry) -> str:
    """A count of circumstances (when_count) after the entry's condition: "，且从轻处罚情形不少于2项…"."""
    words = count_words(e)
    return f"，且{words}" if words else ""


def _measures(refs: list[Any]) -> str:
    """Measures with their conditions: 责令改正、没收违法所得（illegal_gain > 0时）."""
    return "、".join(m.code + (f"（{m.when}时）" if m.when else "") for m in refs) or "无"


def _measure_codes(ci: CompiledItem) -> set[str]:
    """Every measure an item can take: its clauses', its tiers', its list entries'."""
    refs: list[MeasureRef] = [m for c in ci.item.statutory for m in c.measures]
    refs += [m for t in ci.item.tiers for m in t.measures]
    refs += [m for e in ci.entries for m in e.measures]
    return {m.code for m in refs}


def _fine_paths(at: Path, a: FineSpec | None, b: FineSpec | None, labels: dict[str, str]) -> list[Path]:
    """The fields of a fine whose change shows in fine_text (each tried alone on the old fine; a
    swap between range, times and share changes the kind of fine, which always shows)."""
    if a is None or b is None:
        return [(*at, "fine")]
    out: list[Path] = []
    shown = fine_text(a, labels)

    def shows(mixed: FineSpec) -> bool:
        try:
            return fine_text(mixed, labels) != shown
        except (TypeError, ValueError):
            return True

    for k in FineSpec.model_fields:
        if k == "fallback" and a.fallback is not None and b.fallback is not None:
            for sub in ("when", "range"):
                if shows(
                    a.model_copy(update={"fallback": a.fallback.model_copy(update={sub: getattr(b.fallback, sub)})})
                ):
                    out.append((*at, "fine", "fallback", sub))
        elif getattr(a, k) != getattr(b, k) and shows(a.model_copy(update={k: getattr(b, k)})):
            out.append((*at, "fine", k))
    return out


def _weights(w: Weighted | None) -> str:
    if w is None:
        return "无"
    factors = "、".join(f"{f.label}{pct_exact(f.weight)}" for f in w.factors)
    return f"起始{pct_exact(w.start)}，上限{pct_exact(w.cap)}，因素：{factors}"


def _effect(e: ListEntry) -> str:
    parts = (
        (["上调一个阶次"] if e.tier_up else [])
        + (["可减轻"] if e.allows_mitigated else [])
        + ([f"权重{pct_exact(e.weight)}"] if e.weight is not None else [])
    )
    return "、".join(parts) or "按清单"


def _spec(s: FactSpec) -> str:
    """Every field of a fact's declaration, so any change of it shows."""
    out = s.type + (f"[{', '.join(s.values)}]" if s.values else "")
    if s.value_labels:
        out += "（" + "，".join(f"{k}={v}" for k, v in s.value_labels.items()) + "）"
    out += f"，{s.label}，{'必填' if s.is_required else '选填'}" + ("" if s.required is None else "（明示）")
    if s.default is not None:
        out += f"，缺省{s.default}"
    if s.minimum is not None:
        out += f"，最低{s.minimum}"
    if s.maximum is not None:
        out += f"，最高{s.maximum}"
    if s.derived:
        out += f"，= {s.derived}"
    return out


def _show(v: Any) -> str:
    if isinstance(v, tuple):
        return f"{pct_exact(v[0])}–{pct_exact(v[1])}"
    if isinstance(v, list):
        return "、".join(str(x) for x in v)
    return str(v)


def diff(old: CompiledRuleset, new: CompiledRuleset) -> DiffReport:
    """Every change from `old` to `new` (two versions of one department), in the order a reviewer
    reads."""
    return DiffReport(
        department=new.department,
        old=old.version,
        new=new.version,
        old_hash=old.hash,
        new_hash=new.hash,
        changes=_Diff(old, new).run(),
    )
