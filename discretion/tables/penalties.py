"""The penalty a cell states → a fine (range, multiple, share) and measures; and back.

Reads 处X元以上Y元以下罚款, 处Y元以下罚款, 处X元罚款, 处货值金额X倍以上Y倍以下罚款,
百分之X, 并处 / 可以并处, 警告, 没收违法所得 / 非法财物 / 违法生产经营的物品, 责令停产停业,
吊销许可证件 / 营业执照 …; and the statute's own "货值金额不足一万元的，处…；一万元以上的，
处货值金额十倍以上二十倍以下罚款" as a multiple with its fallback. 可以 makes a measure the
officer's choice (a bool fact the importer declares, 决定采取…) and a fine optional (noted).
A segment it does not know, or two fines in one cell, raise `Unreadable`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..citation import Citation
from .citations import Titles, parse_citations, write_citation
from .marks import Unreadable
from .quantities import NUMBER, PERCENT, parse_number, parse_percent, write_number
from .thresholds import NOUNS, Vocabulary, parse_condition_text
from .wording import write_condition

#: measure names as documents write them → the measure codes general/2021 declares
MEASURE_PHRASES: list[tuple[str, str]] = [
    (r"(?:给予|予以|处以?)?警告", "warning"),
    (
        r"(?:责令|并责令)?(?:限期)?改正(?:违法行为)?|责令(?:限期)?(?:改正|纠正)(?:违法行为)?",
        "order_correction",
    ),
    (r"(?:处以?|予以)?没收违法所得", "confiscate_illegal_gain"),
    (r"(?:处以?|予以)?没收非法财物", "confiscate_illegal_property"),
    (
        r"没收违法(?:生产经营|生产|经营|销售)的(?:食品|产品|商品|物品|药品)(?:、食品添加剂)?",
        "confiscate_goods",
    ),
    (r"没收(?:用于违法(?:生产经营|生产|经营)?的)?工具、设备(?:、原(?:材)?料)?(?:等(?:物品)?)?", "confiscate_tools"),
    (r"责令停产停业", "suspend_business"),
    (r"责令停产整治", "suspend_for_rectification"),
    (r"责令限制生产", "restrict_production"),
    (r"责令关闭", "close_down"),
    (r"吊销(?:相关|相应)?(?:的)?[^，,；;。]{0,20}(?:许可证(?:件)?|登记证)》?", "revoke_licence"),
    (r"责令停止违法行为", "stop_violation"),
    # 责令停止生产、销售 (产品质量法 第四十九条 …): the order as the statute names it, not a penalty (第九条)
    (r"责令停止生产(?:、|和)?销售", "stop_production_sale"),
    (r"责令停止生产", "stop_production"),
    (r"责令停止销售", "stop_sale"),
    (r"责令停止经营", "stop_business"),
    (r"责令停止使用", "stop_use"),
    (r"责令停止施工", "stop_works"),
    (r"吊销营业执照", "revoke_business_licence"),
    (r"责令停止建设", "stop_construction"),
    (r"责令恢复原状", "restore"),
    (r"责令限期拆除", "demolish"),
]

#: the names and kinds (第九条) of those measures, as general/2021 declares them (for drafts without `extends`)
DEFAULT_MEASURES: dict[str, str] = {
    "order_correction": "责令改正",
    "warning": "警告",
    "confiscate_illegal_gain": "没收违法所得",
    "confiscate_goods": "没收违法生产经营的物品",
    "confiscate_illegal_property": "没收非法财物",
    "confiscate_tools": "没收用于违法活动的工具、设备",
    "suspend_business": "责令停产停业",
    "suspend_for_rectification": "责令停产整治",
    "restrict_production": "责令限制生产",
    "close_down": "责令关闭",
    "revoke_licence": "吊销许可证件",
    "revoke_business_licence": "吊销营业执照",
    "stop_construction": "责令停止建设",
    "restore": "责令恢复原状",
    "demolish": "责令限期拆除",
    "stop_violation": "责令停止违法行为",
    "stop_production_sale": "责令停止生产、销售",
    "stop_production": "责令停止生产",
    "stop_sale": "责令停止销售",
    "stop_business": "责令停止经营",
    "stop_use": "责令停止使用",
    "stop_works": "责令停止施工",
}
DEFAULT_KINDS: dict[str, str] = {
    "warning": "warning",
    "confiscate_illegal_gain": "confiscation",
    "confiscate_goods": "confiscation",
    "confiscate_illegal_property": "confiscation",
    "confiscate_tools": "confiscation",
    "suspend_business": "suspension",
    "suspend_for_rectification": "suspension",
    "restrict_production": "suspension",
    "close_down": "revocation",
    "revoke_licence": "revocation",
    "revoke_business_licence": "revocation",
}

_Q = rf"(?:{NUMBER})"
_BASES = {noun: fact for noun, fact, units in NOUNS if units == ("元",)}
_BASE = "|".join(sorted(_BASES, key=len, reverse=True))
_FINE_RANGE = [
    re.compile(rf"(?:处|处以)?(?P<a>{_Q})(?:元)?以上(?P<b>{_Q})元以下(?:的)?罚款"),
    re.compile(rf"(?:处|处以)?(?P<a>{_Q})(?:元)?(?:至|到|－|-|—|~|～)(?P<b>{_Q})元(?:以下)?(?:的)?罚款"),
    re.compile(rf"罚款(?P<a>{_Q})(?:元)?(?:以上|至|到)(?P<b>{_Q})元(?:以下)?"),
    re.compile(rf"(?:处|处以)?(?P<b>{_Q})元以下(?:的)?罚款"),
    re.compile(rf"(?:处|处以)?(?P<a>{_Q})元(?:的)?罚款"),
]
#: what the statute says the goods were before their value: 违法生产、销售产品货值金额, 违法生产经营的食品货值金额
_GOODS = r"(?:违法(?:生产、销售|生产经营|生产|销售|经营)的?(?:产品|食品|商品|药品|物品)?)?"
# 处 + the base: 【label】 or 违法所得 …
_OF = rf"(?:处|处以)?(?:【(?P<label>[^】]+)】|{_GOODS}(?P<noun>{_BASE}))(?:的)?"
_FINE_TIMES = [
    re.compile(_OF + tail + r"(?:的)?罚款")
    for tail in (
        rf"(?P<a>{_Q})倍以上(?P<b>{_Q})倍以下",
        rf"(?P<pa>{PERCENT})以上(?P<pb>{PERCENT})以下",
        rf"(?P<pa>{PERCENT})以上(?P<b>{_Q})倍以下",  # 百分之五十以上三倍以下 (产品质量法 第五十条)
        rf"(?P<b>{_Q})倍以下",
        rf"(?P<x>{_Q})倍",
        rf"(?P<pb>{PERCENT})以下",
    )
]
_SHARE = re.compile(r"按法定幅度的比例(?P<a>[0-9.]+)至(?P<b>[0-9.]+)处罚款")
_CEILING = re.compile(rf"最高不超过(?P<c>{_Q})元")
#: FineSpec.bounds as a cell says it (after the fine): which ends of a tier's amounts are included
_BOUNDS_WORDS = {
    "金额含上下限": "[]",
    "含本数": "[]",  # 处X元以上Y元以下罚款（含本数）: both ends, as 以上/以下 say
    "金额含下限、不含上限": "[)",
    "金额不含下限、含上限": "(]",
    "金额不含上下限": "()",
}
#: 罚款（含本数） / 罚款(含本数): the bracket said as its own segment, which _BOUNDS_WORDS reads
_INCLUSIVE = re.compile(r"(?P<f>罚款)[（(]含本数[）)]")
_CRIMINAL = re.compile(r"构成犯罪的[，,]依法(?:移送司法机关)?(?:追究刑事责任)?")
#: 登记违法行为: the authority records the violation (what counts a repeat offence), no penalty on the party
_RECORD = re.compile(r"(?:并)?(?:登记|记录)(?:该|其)?违法行为")
_BY = re.compile(r"^由[\u4e00-\u9fa5]{1,12}?(?:机关|部门)")
_BOTH = re.compile(r"(?P<verb>没收|吊销)(?P<a>[^和、，,；;]+?)和(?P<b>[^和，,；;]+)")
_MAY = re.compile(r"^(?:并|同时)?(?:可以|可)(?:并|同时)?")
_AND = re.compile(r"^(?:并|同时|并且|以及|和)")
_COND_FINE = re.compile(r"^(?P<c>[^，,]+?)的[，,](?P<f>.+)$")
_CONDITIONAL = re.compile(r"^(?P<m>.+?)（(?P<c>.+)时）$")


@dataclass
class Penalty:
    """What one cell says: the fine (as the ruleset's FineSpec mapping) and measures."""

    fine: dict[str, Any] | None = None
    measures: list[Any] = field(default_factory=list)
    facts: set[str] = field(default_factory=set)
    no_gain: bool = False  # a 没有违法所得 range read as the fallback (which also covers 无法确定)
    notes: list[str] = field(default_factory=list)  # what the cell says that is not an administrative penalty
    bands: list[dict[str, Any]] = field(default_factory=list)  # 从轻栏：… / 一般栏：… (a tier's published columns)
    direction: str | None = None  # 栏目：从轻 (the tier is that one column)


@dataclass
class Measures:
    """The measures a document may name: code → Chinese name (from the export's table or general/2021)."""

    names: dict[str, str]

    def code(self, text: str) -> str | None:
        exact = [c for c, n in self.names.items() if n == text]
        if len(exact) == 1:
            return exact[0]
        for pattern, code in MEASURE_PHRASES:
            if re.fullmatch(pattern, text) and code in self.names:
                return code
        return None


def parse_penalty(
    text: str,
    vocab: Vocabulary,
    measures: Measures,
    *,
    base: str | None = None,
    titles: Titles | None = None,
) -> Penalty:
    """A 处罚标准 cell → Penalty. `base` is the statutory multiple's base (tiers' 倍 use it)."""
    none = _NO_PENALTY.match(text.strip())
    if none:  # a tier row that gives no penalty: in the language that is a list entry, not a tier
        kind = "不予处罚清单（list: no_penalty）" if none.group("w") == "不予" else "免予处罚清单（list: exemption）"
        raise Unreadable(f"“{text.strip()}”不是阶次的处罚：请把这一行的适用条件写成{kind}的条目，依据写这一行的出处")
    out = Penalty()
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    for line in lines:
        line = _INCLUSIVE.sub(r"\g<f>，含本数", line)
        if _band_line(line, out, vocab, measures, base, titles):
            continue
        if line.startswith("保底依据："):
            if out.fine is None or "fallback" not in out.fine:
                raise Unreadable("保底依据之前没有保底罚款")
            cited = parse_citations(line[5:], titles or Titles([line[5:]]))
            if len(cited) != 1:
                raise Unreadable("保底依据只能是一处引用")
            out.fine["fallback"]["basis"] = cited[0].model_dump(exclude_none=True)
            continue
        if line.startswith("保底："):
            _fallback(line[3:], vocab, out)
            continue
        if _whole_measure(line, out, measures, vocab):
            continue
        m = _CONDITIONAL.match(line)
        if m and not _is_fine(m.group("m")):
            may = bool(_MAY.match(m.group("m")))
            _measure(_MAY.sub("", m.group("m")), out, measures, vocab, may=may, when=m.group("c"))
            continue
        for sentence in (x.strip() for x in split_outside(line, "；;。") if x.strip()):
            if _CRIMINAL.fullmatch(sentence):  # 构成犯罪的，依法追究刑事责任: not an administrative penalty
                out.notes.append(sentence)
                continue
            c = None if "【" in sentence else _COND_FINE.match(sentence)
            if c and re.fullmatch(r"没有违法所得", c.group("c")) and "罚款" in c.group("f"):
                _no_gain(c.group("f"), out, vocab, base)
                continue
            if c and "罚款" not in c.group("f"):
                for seg in _segments(c.group("f")):
                    may = bool(_MAY.match(seg))
                    _measure(_AND.sub("", _MAY.sub("", seg)), out, measures, vocab, may=may, when=c.group("c"))
                continue
            for seg in _segments(sentence):
                if _RECORD.fullmatch(seg):  # kept as a note beside the penalty, like 构成犯罪的…
                    out.notes.append(seg)
                    continue
                _segment(seg, out, vocab, measures, base)
    if out.fine is None and not out.measures and not out.bands:
        raise Unreadable("没有可识别的处罚")
    return out


#: 不予处罚 / 免予处罚 written where a tier's penalty stands (the draft reads such a row as a list entry)
NO_PENALTY_LEAD = re.compile(r"^(?:依法)?(?P<w>不予|免予)(?:行政)?处罚")
_NO_PENALTY = re.compile(NO_PENALTY_LEAD.pattern + r"[。；;]?$")


def _whole_measure(line: str, out: Penalty, measures: Measures, vocab: Vocabulary) -> bool:
    """A line that is one declared measure's whole name (可以 before it, （…时） after it), read whole: a name
    may hold commas and brackets of its own (责令停业整顿，或者吊销营业执照（…由执法机关选择其一）)."""
    may = line.startswith("可以")
    body = line.removeprefix("可以")
    for name in sorted(
        (n for n in measures.names.values() if any(ch in n for ch in "，,；;（(")), key=len, reverse=True
    ):
        if body == name:
            _measure(name, out, measures, vocab, may=may)
            return True
        if body.startswith(name + "（") and body.endswith("时）"):
            _measure(name, out, measures, vocab, may=may, when=body[len(name) + 1 : -2])
            return True
    return False


#: a tier's published columns (Band.direction) as an export writes them: 从轻栏：处…罚款
DIRECTIONS = {"lenient": "从轻", "general": "一般", "aggravated": "从重", "mitigated": "减轻"}
_DIRECTION_OF = {v: k for k, v in DIRECTIONS.items()}
_BAND = re.compile(r"^(?P<d>从轻|一般|从重|减轻)栏(?P<basis>依据)?：(?P<rest>.+)$")
_COLUMN = re.compile(r"^栏目：(?P<d>从轻|一般|从重|减轻)$")


def _band_line(
    line: str, out: Penalty, vocab: Vocabulary, measures: Measures, base: str | None, titles: Titles | None
) -> bool:
    """栏目：从轻 (the tier is one column), 从轻栏：处…罚款 (a band), 从轻栏依据：《…》 (its basis)."""
    col = _COLUMN.match(line)
    if col:
        if out.direction is not None:
            raise Unreadable("一个阶次有两个栏目")
        out.direction = _DIRECTION_OF[col.group("d")]
        return True
    m = _BAND.match(line)
    if not m:
        return False
    direction = _DIRECTION_OF[m.group("d")]
    if m.group("basis"):
        band = next((b for b in out.bands if b["direction"] == direction), None)
        if band is None:
            raise Unreadable(f"“{line[:20]}”之前没有{m.group('d')}栏的罚款")
        cited = parse_citations(m.group("rest"), titles or Titles([m.group("rest")]))
        band.setdefault("basis", []).extend(c.model_dump(exclude_none=True) for c in cited)
        return True
    inner = parse_penalty(m.group("rest"), vocab, measures, base=base, titles=titles)
    if inner.fine is None or inner.measures or inner.bands or inner.direction or inner.fine.get("may"):
        raise Unreadable(f"{m.group('d')}栏只能是一个罚款")
    fine = dict(inner.fine)
    if "times" in fine and fine.pop("multiple_of", base) != base:
        raise Unreadable(f"{m.group('d')}栏的倍数基数与法定基数不同")
    if any(b["direction"] == direction for b in out.bands):
        raise Unreadable(f"{m.group('d')}栏出现两次")
    out.bands.append({"direction": direction, "fine": fine})
    out.facts |= inner.facts
    return True


def _segments(line: str) -> list[str]:
    return [p.strip() for p in split_outside(line, "，,；;。") if p.strip()]


def split_outside(text: str, separators: str) -> list[str]:
    """Split at separators that are not inside 【label】 or “value” (labels may hold punctuation)."""
    out, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "【“":
            depth += 1
        elif ch in "】”":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in separators:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def _is_fine(seg: str) -> bool:
    return "罚款" in seg


def _segment(seg: str, out: Penalty, vocab: Vocabulary, measures: Measures, base: str | None) -> None:
    may = bool(_MAY.match(seg))
    body = _AND.sub("", _MAY.sub("", seg)).strip()
    c = _CEILING.fullmatch(body)
    if c:
        if out.fine is None:
            raise Unreadable(f"“{seg}”：最高限额之前没有罚款")
        out.fine["ceiling"] = parse_number(c.group("c"))
        return
    bounds = _BOUNDS_WORDS.get(body)
    if bounds is not None:
        if out.fine is None or "bounds" in out.fine:
            raise Unreadable(f"“{seg}”：金额边界之前没有罚款，或者出现两次")
        out.fine["bounds"] = bounds
        return
    if _is_fine(body) and re.match(r"^对(?:单位|个人)", body):
        raise Unreadable(f"“{seg}”按当事人类型（单位、个人）区分罚款")
    if _is_fine(body):
        if out.fine is not None:
            raise Unreadable(f"一个单元格中有两个罚款：“{seg}”")
        out.fine = _fine(body, vocab, base, out)
        if may:  # 可以（并）处…罚款: the officer's option (FineSpec.may), never imposed silently
            out.fine["may"] = True
        return
    _measure(body, out, measures, vocab, may=may)


def _fine(body: str, vocab: Vocabulary, base: str | None, out: Penalty) -> dict[str, Any]:
    s = _SHARE.fullmatch(body)
    if s:
        return {"share": [parse_number(s.group("a")), parse_number(s.group("b"))]}
    for pattern in _FINE_RANGE:
        m = pattern.fullmatch(body)
        if m:
            g = m.groupdict()
            lo = parse_number(g["a"]) if g.get("a") else Decimal(0)
            hi = parse_number(g["b"]) if g.get("b") else lo
            if lo > hi:
                raise Unreadable(f"“{body}”下限高于上限")
            return {"range": [lo, hi]}
    for pattern in _FINE_TIMES:
        m = pattern.fullmatch(body)
        if m:
            g = m.groupdict()
            fact = vocab.by_label(g["label"]) if g.get("label") else _BASES[g["noun"]]
            if fact not in vocab.facts or vocab.facts[fact]["type"] != "money":
                raise Unreadable(f"罚款基数 {fact} 不是已声明的金额事实")
            if g.get("x"):
                lo = hi = parse_number(g["x"])
            elif g.get("pa") or g.get("pb"):
                lo = parse_percent(g["pa"]) if g.get("pa") else Decimal(0)
                hi = parse_percent(g["pb"]) if g.get("pb") else parse_number(g["b"])
            else:
                lo = parse_number(g["a"]) if g.get("a") else Decimal(0)
                hi = parse_number(g["b"])
            if lo > hi:
                raise Unreadable(f"“{body}”下限高于上限")
            if base is not None and fact != base:
                raise Unreadable(f"阶次的倍数基数 {fact} 与法定基数 {base} 不同")
            out.facts.add(fact)
            return {"multiple_of": fact, "times": [lo, hi]}
    raise Unreadable(f"罚款“{body}”的写法不能识别")


def _no_gain(text: str, out: Penalty, vocab: Vocabulary, base: str | None) -> None:
    """没有违法所得的，处X元以上Y元以下罚款: the fixed range beside a multiple of 违法所得."""
    if out.fine is None or out.fine.get("multiple_of", base) != "illegal_gain" or "times" not in out.fine:
        raise Unreadable("“没有违法所得的”罚款之前没有违法所得的倍数罚款")
    fine = _fine(_AND.sub("", _MAY.sub("", text.strip())), vocab, None, Penalty())
    if "range" not in fine:
        raise Unreadable(f"“{text}”不是固定幅度")
    out.fine["fallback"] = {"when": "illegal_gain == 0", "range": fine["range"]}
    out.facts.add("illegal_gain")
    out.no_gain = True


def _fallback(text: str, vocab: Vocabulary, out: Penalty) -> None:
    m = re.fullmatch(r"(?:基数为零或者无法确定时|(?P<c>.+?)时)，处(?P<a>.+?)元以上(?P<b>.+?)元以下罚款", text)
    if not m or out.fine is None or "times" not in out.fine:
        raise Unreadable(f"保底罚款“{text}”不能识别")
    fb: dict[str, Any] = {"range": [parse_number(m.group("a")), parse_number(m.group("b"))]}
    if m.group("c"):
        fb["when"], facts = parse_condition_text(m.group("c"), vocab)
        out.facts |= facts
    out.fine["fallback"] = fb


def _measure(
    body: str,
    out: Penalty,
    measures: Measures,
    vocab: Vocabulary,
    *,
    may: bool = False,
    when: str | None = None,
) -> None:
    if measures.code(body) is None:  # a name the document declares is taken whole; else read its parts
        body = _BY.sub("", body)  # 由发证机关吊销…: who takes the measure does not change it
    both = _BOTH.fullmatch(body)
    if measures.code(body) is None and both:  # 没收A和B / 吊销A和B: the verb governs both objects
        parts = Penalty()
        for part in (both.group("verb") + both.group("a"), both.group("verb") + both.group("b")):
            _measure(part, parts, measures, vocab, may=may, when=when)
        out.facts |= parts.facts
        # 吊销生产许可证和登记证: both are 吊销许可证件, one measure
        out.measures += [m for i, m in enumerate(parts.measures) if m not in parts.measures[:i]]
        return
    code = measures.code(body)
    if code is None:
        raise Unreadable(f"“{body}”不是已知的处罚或措施")
    ref: dict[str, Any] = {"code": code}
    if when is not None:
        ref["when"], facts = parse_condition_text(when, vocab)
        out.facts |= facts
    if may:  # 可以吊销…: an option offered with its basis (MeasureRef.may), never taken silently
        ref["may"] = True
    out.measures.append(ref if len(ref) > 1 else code)


# ---------------------------------------------------------------- the statute's own range


def statutory_fine(text: str, vocab: Vocabulary) -> tuple[list[dict[str, Any]], set[str]]:
    """The statutory clauses a quoted provision sets: one fine (with its fallback where it has one), or
    one fine and one escalation (拒不改正的 / 造成严重后果的 …, a clause of its own); Unreadable otherwise."""
    sentences = [s for s in re.split(r"[；;。]|(?<=罚款)[，,]", text) if "罚款" in s]
    found: list[tuple[str | None, str | None, dict[str, Any]]] = []  # (condition text, kind, fine)
    for sentence in sentences:
        clauses = [c.strip() for c in re.split(r"[，,]", sentence)]
        at = [i for i, c in enumerate(clauses) if "罚款" in c]
        if len(at) != 1:
            raise Unreadable("条文中一句有多个罚款")
        fine_text = _AND.sub("", _MAY.sub("", clauses[at[0]]))
        may = bool(_MAY.match(clauses[at[0]]))  # 可以处…罚款: the statute allows the fine, the officer decides
        before = [c for c in clauses[: at[0]] if c.endswith("的")]
        c_text = before[-1][:-1] if before else None
        cond, kind = None, None
        if c_text and re.search(r"(?:不足|不满|以上|以下|超过|没有|无法)", c_text):
            cond, kind = c_text, "threshold"
        elif (
            c_text and len(c_text) <= 12 and re.search(r"(?:情节严重|拒不改正|逾期不改正|逾期未改正|造成|再次)", c_text)
        ):
            cond, kind = c_text, "escalation"
        fine = _fine(fine_text, vocab, None, Penalty())
        if may:
            fine["may"] = True
        found.append((cond, kind, fine))
    if not found:
        raise Unreadable("条文中没有罚款幅度")
    if len(found) == 1 and found[0][0] is None:
        fine = found[0][2]
        return [{"id": "base", "fine": fine}], {fine["multiple_of"]} if fine.get("multiple_of") else set()
    if len(found) == 2:
        times = [f for f in found if "times" in f[2]]
        ranges = [f for f in found if "range" in f[2]]
        same_may = all(bool(f[2].get("may")) == bool(found[0][2].get("may")) for f in found)
        if same_may and len(times) == 1 and len(ranges) == 1 and ranges[0][1] == times[0][1] == "threshold":
            small, facts = parse_condition_text(str(ranges[0][0]), vocab)
            large, facts2 = parse_condition_text(str(times[0][0]), vocab)
            if _complement(small, large):
                fine = dict(times[0][2])
                fine["fallback"] = {"when": small, "range": ranges[0][2]["range"]}
                return [{"id": "base", "fine": fine}], facts | facts2 | {fine["multiple_of"]}
        (c0, k0, f0), (c1, k1, f1) = found
        if c0 is None and k1 == "escalation" and "times" not in f0 and "times" not in f1:
            when, facts = parse_condition_text(str(c1), vocab)
            return [
                {"id": "base", "when": f"not ({when})", "fine": f0},
                {"id": "escalated", "label": f"{c1}的", "when": when, "fine": f1},
            ], facts
    raise Unreadable("条文中有多个罚款幅度，不能确定法定幅度")


def _complement(small: str, large: str) -> bool:
    """`x < N` and `x >= N` (or `<=` / `>`) on one fact: the statute's two branches cover everything."""
    a = re.fullmatch(r"(\w+) (<|<=) (\S+)", small)
    b = re.fullmatch(r"(\w+) (>=|>) (\S+)", large)
    return bool(
        a
        and b
        and a.group(1) == b.group(1)
        and a.group(3) == b.group(3)
        and {a.group(2), b.group(2)} in ({"<", ">="}, {"<=", ">"})
    )


# ---------------------------------------------------------------- writing


def write_fine(fine: Any, facts: dict[str, Any], base: str | None) -> list[str]:
    """A FineSpec as the lines of a 处罚标准 cell (inverse of parse_penalty)."""
    if fine is None:
        return []
    f = fine if isinstance(fine, dict) else fine.model_dump(exclude_none=True)
    lines: list[str] = []
    may = "可以" if f.get("may") else ""
    if f.get("range") is not None:
        lo, hi = f["range"]
        line = f"{may}处{write_number(lo)}元以上{write_number(hi)}元以下罚款"
    elif f.get("share") is not None:
        lo, hi = f["share"]
        line = f"{may}按法定幅度的比例{write_number(lo)}至{write_number(hi)}处罚款"
    else:
        lo, hi = f["times"]
        of = f.get("multiple_of") or base
        label = _label(facts, of) if of else "基数"
        line = f"{may}处【{label}】{write_number(lo)}倍以上{write_number(hi)}倍以下罚款"
    if f.get("ceiling") is not None:
        line += f"，最高不超过{write_number(f['ceiling'])}元"
    if f.get("bounds") is not None:
        line += "，" + next(w for w, b in _BOUNDS_WORDS.items() if b == f["bounds"])
    lines.append(line)
    if f.get("times") is not None:
        fb = f.get("fallback")
        if fb:
            lo, hi = fb["range"]
            cond = write_condition(fb.get("when"), facts)
            head = f"{cond}时" if cond else "基数为零或者无法确定时"
            lines.append(f"保底：{head}，处{write_number(lo)}元以上{write_number(hi)}元以下罚款")
            if fb.get("basis"):
                lines.append("保底依据：" + write_citation(Citation.model_validate(fb["basis"])))
    return lines


def write_measures(refs: list[Any], names: dict[str, str], facts: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for ref in refs:
        d = {"code": ref} if isinstance(ref, str) else ref if isinstance(ref, dict) else ref.model_dump()
        name = ("可以" if d.get("may") else "") + names.get(d["code"], d["code"])
        out.append(f"{name}（{write_condition(d['when'], facts)}时）" if d.get("when") else name)
    return out


def write_bands(direction: Any, bands: Any, facts: dict[str, Any], base: str | None) -> list[str]:
    """A tier's column (栏目：从轻) or its published columns (从轻栏：…, 从轻栏依据：…), as parse_penalty reads them."""
    lines = [f"栏目：{DIRECTIONS[str(direction)]}"] if direction is not None else []
    for band in bands or []:
        name = DIRECTIONS[str(band.direction)]
        lines += [f"{name}栏：{line}" for line in write_fine(band.fine, facts, base)]
        lines += [f"{name}栏依据：{write_citation(c)}" for c in band.basis]
    return lines


def _label(facts: dict[str, Any], name: str) -> str:
    spec = facts[name]
    return str(spec["label"] if isinstance(spec, dict) else spec.label)


__all__ = [
    "Measures",
    "Penalty",
    "parse_penalty",
    "statutory_fine",
    "write_fine",
    "write_measures",
    "write_number",
]
