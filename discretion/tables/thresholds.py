"""Chinese threshold phrases of tier rows → conditions over declared facts, and back.

Reads what tables write: 违法所得1万元以上不满5万元, 货值金额超过10万元, 5000元以下,
以上（含本数）, 超标2倍以上, 百分之三十, 两年内第二次, 初次违法, 涉及10人以上, 逾期30日,
50吨, 200平方米; 情节轻微 / 一般 / 严重 (an enum fact), 危害后果 (general/2021's `harm`),
及时改正, 拒不改正. 以上、以下 include the number; 不满、不足、超过 do not. A comma joins
(and); 或 and "下列情形之一" separate alternatives (or). Anything else in the cell, a number
read two ways, or one fact bounded two ways in one row raises `Unreadable`: never a guess.

The exported form, with each fact's label in 【】, is read and written by `wording`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .marks import Unreadable
from .quantities import NUMBER, PERCENT, parse_number, parse_percent, write_number

#: the facts the importer declares for free text: name → spec (the ruleset language's FactSpec keys)
FACTS: dict[str, dict[str, Any]] = {
    "illegal_gain": {"type": "money", "label": "违法所得（元）", "required": False},
    "goods_value": {"type": "money", "label": "货值金额（元）"},
    "turnover": {"type": "money", "label": "违法经营额（元）"},
    "construction_cost": {"type": "money", "label": "建设工程造价（元）", "required": False},
    "exceed_multiple": {"type": "number", "label": "超过标准的倍数"},
    "area_m2": {"type": "number", "label": "面积（平方米）"},
    "persons": {"type": "integer", "label": "涉及人数（人）"},
    "days": {"type": "integer", "label": "逾期或持续天数（日）"},
    "tons": {"type": "number", "label": "数量（吨）"},
    "prior_offences": {
        "type": "integer",
        "label": "此前因同一违法行为受到行政处罚的次数",
        "default": 0,
    },
    "prior_offences_1y": {
        "type": "integer",
        "label": "一年内因同一违法行为受到行政处罚的次数",
        "default": 0,
    },
    "prior_offences_2y": {
        "type": "integer",
        "label": "两年内因同一违法行为受到行政处罚的次数",
        "default": 0,
    },
    "circumstance": {
        "type": "enum",
        "label": "违法情节",
        "values": ["minor", "light", "general", "heavier", "serious", "very_serious"],
        "value_labels": {
            "minor": "情节轻微",
            "light": "情节较轻",
            "general": "情节一般",
            "heavier": "情节较重",
            "serious": "情节严重",
            "very_serious": "情节特别严重",
        },
    },
    "harm": {
        "type": "enum",
        "label": "危害后果",
        "values": ["none", "minor", "general", "serious"],
        "value_labels": {
            "none": "没有造成危害后果",
            "minor": "危害后果轻微",
            "general": "危害后果一般",
            "serious": "危害后果严重",
        },
    },
    "refused_to_correct": {"type": "bool", "label": "经责令改正拒不改正", "default": False},
    "corrected_in_time": {"type": "bool", "label": "及时改正", "default": False},
    "minor_violation": {"type": "bool", "label": "违法行为轻微", "default": False},
    "no_fault_proven": {"type": "bool", "label": "有证据足以证明没有主观过错", "default": False},
}

#: nouns of free text → (fact, units it may carry)
NOUNS: list[tuple[str, str, tuple[str, ...]]] = [
    ("违法所得", "illegal_gain", ("元",)),
    ("货值金额", "goods_value", ("元",)),
    ("货值", "goods_value", ("元",)),
    ("违法经营额", "turnover", ("元",)),
    ("违法经营数额", "turnover", ("元",)),
    ("建设工程造价", "construction_cost", ("元",)),
    ("超过排放标准", "exceed_multiple", ("倍", "%")),
    ("超标倍数", "exceed_multiple", ("倍", "%")),
    ("超标", "exceed_multiple", ("倍", "%")),
    ("违法建设面积", "area_m2", ("平方米",)),
    ("面积", "area_m2", ("平方米",)),
    ("经营额", "turnover", ("元",)),
    ("涉及人数", "persons", ("人",)),
    ("涉及", "persons", ("人",)),
    ("从业人员", "persons", ("人",)),
    ("逾期", "days", ("日", "天")),
    ("持续", "days", ("日", "天")),
    ("数量", "tons", ("吨",)),
]
NOUNS.sort(key=lambda n: -len(n[0]))
# 超标百分之三十 is 超标0.3倍: the exceedance (measured − standard) / standard, as a share or as a multiple

#: amounts a document may name together, "违法所得或者货值金额": one amount the document measures (whichever of
#: the two the case has), declared as a fact of its own with the document's words as its label — not a choice
#: between the two facts, which the document does not make
_AMOUNTS = ["illegal_gain", "goods_value", "turnover"]
_JOIN = "\ue000"  # stands for 或者 / 或 inside a joined noun while a cell is split at 或
COMPOUND_NOUNS: list[tuple[str, str, tuple[str, ...]]] = []
for _i, _a in enumerate(_AMOUNTS):
    for _b in _AMOUNTS[_i + 1 :]:
        _name = f"{_a}_or_{_b}"
        _words = [FACTS[f]["label"].removesuffix("（元）") for f in (_a, _b)]
        FACTS[_name] = {"type": "money", "label": f"{_words[0]}或者{_words[1]}（元）"}
        for _na in (n for n, f, _ in NOUNS if f == _a):
            for _nb in (n for n, f, _ in NOUNS if f == _b):
                COMPOUND_NOUNS += [(f"{_na}{_JOIN}{_nb}", _name, ("元",)), (f"{_nb}{_JOIN}{_na}", _name, ("元",))]
COMPOUND_NOUNS.sort(key=lambda n: -len(n[0]))
_MONEY_NOUN = "|".join(n for n, f, _ in NOUNS if f in _AMOUNTS)
_COMPOUND = re.compile(rf"({_MONEY_NOUN})(?:或者|或)({_MONEY_NOUN})")

_LEVELS = {
    "轻微": "minor",
    "较轻": "light",
    "一般": "general",
    "较重": "heavier",
    "严重": "serious",
    "特别严重": "very_serious",
}
_HARM = [
    (r"(?:未|没有|无)造成(?:任何)?(?:危害|社会危害)?后果", "harm == 'none'"),
    (r"(?:造成的?)?危害后果(?:较)?轻微|造成轻微(?:危害)?后果", "harm == 'minor'"),
    (r"造成一定(?:危害|社会危害)?后果|危害后果一般", "harm == 'general'"),
    (r"造成(?:较为)?严重(?:危害|社会危害)?后果|危害后果严重|造成严重后果", "harm == 'serious'"),
    (r"造成(?:了)?(?:危害|社会危害)后果", "harm != 'none'"),
]
#: 经（城镇排水主管部门）责令限期改正（违法行为）后: the order a flag's conduct follows (part of the flag)
_ORDERED = (
    r"经(?:[\u4e00-\u9fa5]{0,12}?部门|[\u4e00-\u9fa5]{0,12}?机关)?"
    r"责令(?:限期)?(?:改正|采取治理措施)(?:违法行为)?(?:后)?"
)
_FLAGS = [
    (
        rf"(?:{_ORDERED})?(?:拒不改正|拒不整改|逾期不改正|逾期未改正)",
        "refused_to_correct",
    ),
    (
        r"(?:能够)?(?:及时|主动|立即|当场)(?:改正|纠正|整改)(?:违法行为)?"
        rf"|(?:{_ORDERED})?(?:能够)?(?:在)?(?:责令|规定)?(?:的)?(?:期限|限期)内(?:采取措施)?(?:改正|整改完毕)",
        "corrected_in_time",
    ),
    (r"违法行为轻微", "minor_violation"),
    (r"(?:有证据足以证明)?没有主观过错", "no_fault_proven"),
]
_WINDOW = {"一年内": "_1y", "1年内": "_1y", "两年内": "_2y", "二年内": "_2y", "2年内": "_2y"}
_ORD = r"[一二两三四五六七八九十1-9]"
_UNITS = "元|倍|次|人次|人|日|天|吨|平方米|立方米|千克|公斤|米|个|辆|台|件|株|头|只|%|％"
_Q = rf"(?:{NUMBER})(?:{_UNITS})?|{PERCENT}"

#: bound phrases after a noun: (regex with groups a/b, lower op, upper op)
_BOUNDS: list[tuple[str, str | None, str | None]] = [
    (
        rf"(?P<a>{_Q})以上(?:（含本数）|\(含本数\)|（含）)?(?:不满|不足|未满|低于|少于)(?P<b>{_Q})",
        ">=",
        "<",
    ),
    (
        rf"(?P<a>{_Q})以上(?:（含本数）|\(含本数\)|（含）)?(?:、|，)?(?P<b>{_Q})以下(?:（含本数）|（含）)?",
        ">=",
        "<=",
    ),
    (rf"(?:超过|高于|大于)(?P<a>{_Q})(?:不满|不足|未满|低于|少于)(?P<b>{_Q})", ">", "<"),
    (rf"(?:超过|高于|大于)(?P<a>{_Q})(?:、|，)?(?P<b>{_Q})以下(?:（含本数）|（含）)?", ">", "<="),
    (rf"(?P<a>{_Q})以上(?:（含本数）|\(含本数\)|（含）)?", ">=", None),
    (rf"(?:超过|高于|大于)(?P<a>{_Q})", ">", None),
    (rf"(?P<b>{_Q})以下(?:（含本数）|\(含本数\)|（含）)?|不超过(?P<b2>{_Q})", None, "<="),
    (rf"(?:不满|不足|未满|低于|少于|小于)(?P<b>{_Q})", None, "<"),
    (rf"等于(?P<a>{_Q})", "==", None),
    (rf"不等于(?P<a>{_Q})", "!=", None),
]
_NOUN_PREFIX = (
    r"(?:违法)?(?:行为)?(?:的)?|违法(?:生产经营|生产|经营|销售)的(?:食品|产品|商品|物品|药品|食品添加剂)?"
    r"(?:的)?|[\u4e00-\u9fa5]{0,6}(?:产品|商品|食品|农药|种子|兽药|饲料|肥料)(?:的)?"
)
_TRIM = re.compile(r"^(?:有|当事人|属于|在|系|为|且|并且|并|而且)+|(?:的|者|情形|行为|情况)+$")


@dataclass
class Atom:
    """One comparison or flag: the expression text and the bounds it puts on numeric facts."""

    expr: str
    fact: str
    lower: tuple[str, Decimal] | None = None
    upper: tuple[str, Decimal] | None = None


@dataclass
class Vocabulary:
    """The facts a document's conditions may read: labels (exported tables) and the free-text nouns."""

    facts: dict[str, dict[str, Any]] = field(default_factory=lambda: dict(FACTS))

    def by_label(self, label: str) -> str:
        hits = [n for n, spec in self.facts.items() if spec.get("label") == label]
        if len(hits) != 1:
            raise Unreadable(f"【{label}】不是已声明的事实" if not hits else f"【{label}】对应多个事实")
        return hits[0]

    def value(self, fact: str, text: str) -> str:
        spec = self.facts[fact]
        labels = spec.get("value_labels") or {}
        hits: list[str] = [v for v, lab in labels.items() if lab == text]
        if len(hits) == 1 and list(labels.values()).count(text) == 1:
            return hits[0]
        if text in (spec.get("values") or []):
            return text
        raise Unreadable(f"“{text}”不是【{spec.get('label')}】的取值")


# ---------------------------------------------------------------- reading


def parse_condition_text(text: str, vocab: Vocabulary) -> tuple[str, set[str]]:
    """A condition cell → (expression in the ruleset's condition language, facts it reads)."""
    src = re.sub(r"\s+", "", text).rstrip("。；;，,")
    if not src:
        raise Unreadable("空的适用条件")
    from .wording import ALWAYS, parse_exported

    if "【" in src or src in ALWAYS:  # the exported wording (discretion.tables.wording), which names each fact
        return parse_exported(src, vocab)
    return _free_text(src, vocab)


class OpenInterval(Unreadable):
    """A 至 / — range (违法所得或者货值金额0.5—1万元): whether each end includes its number the cell does not say.

    `expr` has the placeholders LOWER and UPPER for the two operators; `settle` fills them from the item's
    neighbouring tiers, which bound the same fact at the same numbers (`draft`)."""

    LOWER, UPPER = "\ue001", "\ue002"

    def __init__(self, why: str, expr: str, facts: set[str], fact: str, low: Decimal, high: Decimal) -> None:
        super().__init__(why)
        self.expr, self.facts, self.fact, self.low, self.high = expr, facts, fact, low, high

    def settle(self, others: list[str]) -> str | None:
        """The expression with the ends the other tiers leave: a tier bounded above at `low` by < (<=) makes
        this one's lower end >= (>), one bounded below at `high` by >= (>) makes its upper end < (<=) — the only
        reading with neither a gap nor an overlap. None when no other tier, or disagreeing ones, settle an end."""
        below: set[str] = set()
        above: set[str] = set()
        for expr in others:
            tree = ast.parse(expr, mode="eval")
            if any(isinstance(n, ast.BoolOp) and isinstance(n.op, ast.Or) for n in ast.walk(tree)):
                continue  # bounds under 或 do not bound the tier
            for node in ast.walk(tree):
                if isinstance(node, ast.Compare):
                    for a in _atoms_of(node):
                        if a.fact == self.fact and a.upper is not None and a.upper[1] == self.low:
                            below.add(a.upper[0])
                        if a.fact == self.fact and a.lower is not None and a.lower[1] == self.high:
                            above.add(a.lower[0])
        if len(below) != 1 or len(above) != 1:
            return None
        lower = {"<": "<=", "<=": "<"}[below.pop()]  # written as "low <= fact": the flipped operator
        upper = {">=": "<", ">": "<="}[above.pop()]
        return self.expr.replace(self.LOWER, lower).replace(self.UPPER, upper)


def _free_text(src: str, vocab: Vocabulary) -> tuple[str, set[str]]:
    try:
        return _free_text_of(_COMPOUND.sub(rf"\1{_JOIN}\2", src), vocab)
    except OpenInterval:
        raise
    except Unreadable as e:
        raise Unreadable(str(e).replace(_JOIN, "或者")) from None


def _free_text_of(src: str, vocab: Vocabulary) -> tuple[str, set[str]]:
    # 经…责令…后，拒不整改: the comma after the order is inside one condition, not between two
    src = re.sub(rf"({_ORDERED})[，,]", r"\1", src)
    body = re.sub(r"^(?:具有|有|存在)?(?:以)?下列(?:情形|情节|行为)之一(?:的)?[：:]", "", src)
    alternatives = body != src
    parts = _split_items(body) if alternatives else [body]
    if not alternatives:
        parts = [p for p in re.split(r"或者|或是|或(?!许)", body) if p]
    facts: set[str] = set()
    ors: list[str] = []
    splitter = r"[，,、；;]|并且|而且|且(?!不)"
    if (
        not alternatives
        and len(parts) > 1
        and any(len([x for x in re.split(splitter, p) if _TRIM.sub("", x)]) > 1 for p in parts)
    ):
        raise Unreadable(f"“{src}”中“或”与“，”“且”同时出现，“或”的范围不明")
    atoms_all: list[Atom] = []
    for part in parts:
        atoms = [_atom(seg, vocab, interval=True) for seg in re.split(splitter, part) if _TRIM.sub("", seg)]
        atoms_all += atoms
        if not atoms:
            raise Unreadable(f"“{part}”没有可识别的条件")
        _check_two_ways(atoms)
        facts.update(a.fact for a in atoms)
        exprs = [a.expr for a in atoms]
        ors.append(exprs[0] if len(exprs) == 1 else " and ".join(exprs))
    opened = [a for a in atoms_all if OpenInterval.LOWER in a.expr]
    if opened:
        said = src.replace(_JOIN, "或者")
        if len(opened) > 1 or len(ors) > 1:
            raise Unreadable(f"“{said}”用“至”表示区间，是否含本数不明")
        a = opened[0]
        raise OpenInterval(
            f"“{said}”用“至”表示区间，是否含本数不明（相邻阶次也未定）",
            ors[0],
            facts,
            a.fact,
            a.lower[1],  # type: ignore[index]  # an open interval has both ends (_bound)
            a.upper[1],  # type: ignore[index]  # (the same)
        )
    if len(ors) == 1:
        return ors[0], facts
    return " or ".join(f"({e})" if " and " in e else e for e in ors), facts


def _split_items(body: str) -> list[str]:
    items = re.split(r"[；;。]?(?:（[一二三四五六七八九十]+）|\([0-9]+\)|[0-9]+[.、．])", body)
    items = [i.strip("；;。") for i in items if i.strip("；;。")]
    if len(items) < 2:
        items = [i for i in re.split(r"[；;]", body) if i]
    return items


def _atom(segment: str, vocab: Vocabulary, *, interval: bool = False) -> Atom:
    if re.fullmatch(r"有违法所得(?:的)?", segment.strip()):  # 有违法所得的，并处没收违法所得 (产品质量法 第四十九条)
        return _need(vocab, "illegal_gain", Atom("illegal_gain > 0", "illegal_gain", (">", Decimal(0)), None))
    seg = _TRIM.sub("", segment)
    seg = _TRIM.sub("", seg)
    if not seg:
        raise Unreadable(f"“{segment}”没有内容")
    m = re.fullmatch(r"情节(特别严重|轻微|较轻|一般|较重|严重)", seg)
    if m:
        return _need(vocab, "circumstance", Atom(f"circumstance == '{_LEVELS[m.group(1)]}'", "circumstance"))
    for pattern, expr in _HARM:
        if re.fullmatch(pattern, seg):
            return _need(vocab, "harm", Atom(expr, "harm"))
    for pattern, fact in _FLAGS:
        if re.fullmatch(pattern, seg):
            return _need(vocab, fact, Atom(fact, fact))
    count = _count(seg)
    if count is not None:
        return _need(vocab, count.fact, count)
    periods = _periods(seg, vocab)
    if periods is not None:
        return periods
    for noun, fact, units in [*COMPOUND_NOUNS, *NOUNS]:
        i = seg.find(noun)
        if i < 0:
            continue
        if i > 0 and not re.fullmatch(_NOUN_PREFIX, seg[:i]):
            raise Unreadable(f"“{seg}”中“{seg[:i]}”不能识别")
        rest = seg[i + len(noun) :]
        rest = re.sub(r"^(?:金额|数额|在|达到|为|均|的)+", "", rest)
        return _need(vocab, fact, _bound(fact, rest, units, seg, vocab, interval=interval))
    raise Unreadable(f"“{seg}”不能识别为条件")


#: 在1个二级维护间隔时间内未进行维护和检测, 超过2个检验周期未检验: how long a duty was missed, counted in the
#: periods the document names — (prefix, suffix) → operator
_PERIOD_BOUNDS = [
    ("在", "内", "<="),
    ("", "内", "<="),  # 在 already trimmed (_TRIM)
    ("", "以内", "<="),
    ("超过", "", ">"),
    ("", "以上", ">="),
    ("不满", "", "<"),
    ("不足", "", "<"),
]
_PERIOD = re.compile(
    rf"(?P<pre>在|超过|不满|不足)?(?P<n>{NUMBER})个(?P<period>[\u4e00-\u9fa5]{{1,12}}?(?:间隔时间|间隔|周期))"
    r"(?P<post>以内|以上|内)?(?P<duty>未[\u4e00-\u9fa5、]{1,20})"
)


def _periods(seg: str, vocab: Vocabulary) -> Atom | None:
    """A duty missed for N of the periods the document names: a number fact the document's own words label
    (the periods it counts in and the duty missed), declared once per document for each such pair."""
    m = _PERIOD.fullmatch(seg)
    if m is None:
        return None
    op = next(
        (o for pre, post, o in _PERIOD_BOUNDS if (m.group("pre") or "") == pre and (m.group("post") or "") == post),
        None,
    )
    if op is None:
        raise Unreadable(f"“{seg}”的期间写法不能识别")
    label = f"{m.group('duty')}的时间（以{m.group('period')}计，个数）"
    hits = [n for n, spec in vocab.facts.items() if spec.get("label") == label]
    if hits:
        fact = hits[0]
    else:
        fact = next(
            f"missed_periods{'' if k == 1 else f'_{k}'}"
            for k in range(1, 1000)
            if f"missed_periods{'' if k == 1 else f'_{k}'}" not in vocab.facts
        )
        vocab.facts[fact] = {"type": "number", "label": label, "minimum": 0}
    n = parse_number(m.group("n"))
    bound = (op, n)
    return Atom(
        f"{fact} {op} {write_number(n)}",
        fact,
        bound if op in (">", ">=") else None,
        bound if op in ("<", "<=") else None,
    )


def _need(vocab: Vocabulary, fact: str, atom: Atom) -> Atom:
    if fact not in vocab.facts:
        raise Unreadable(f"事实 {fact} 未声明")
    return atom


def _count(seg: str) -> Atom | None:
    if re.fullmatch(r"(?:无|没有)违法所得", seg):
        return Atom("illegal_gain == 0", "illegal_gain", (">=", Decimal(0)), ("<=", Decimal(0)))
    m = re.fullmatch(
        r"(?:违法行为)?(?P<w>一年内|1年内|两年内|二年内|2年内)?(?:属于)?(?:初次|首次)"
        r"(?:违法|违反|实施|被查处|被发现)?(?:该违法(?:行为)?|违法(?:行为)?)?",
        seg,
    )
    if m:
        fact = "prior_offences" + _WINDOW.get(m.group("w") or "", "")
        return Atom(f"{fact} == 0", fact, (">=", Decimal(0)), ("<=", Decimal(0)))
    m = re.fullmatch(r"再次(?:违法|违反|实施)?(?:违法行为|该违法行为)?", seg)
    if m:
        return Atom("prior_offences >= 1", "prior_offences", (">=", Decimal(1)), None)
    m = re.fullmatch(
        rf"(?:违法行为)?(?P<w>一年内|1年内|两年内|二年内|2年内)?(?:(?:因)?同一(?:类|种)?违法行为)?"
        rf"(?:被查处|受到处罚|违法|实施|发生)?第?(?P<n>{_ORD})次(?P<more>及以上|以上)?"
        rf"(?:违法|违反|实施|被查处|被处罚|发生)?(?:该违法(?:行为)?|违法(?:行为)?)?",
        seg,
    )
    if m:
        fact = "prior_offences" + _WINDOW.get(m.group("w") or "", "")
        prior = int(parse_number(m.group("n"))) - 1
        if prior < 1:
            return None
        if m.group("more"):
            return Atom(f"{fact} >= {prior}", fact, (">=", Decimal(prior)), None)
        return Atom(f"{fact} == {prior}", fact, (">=", Decimal(prior)), ("<=", Decimal(prior)))
    return None


def _quantity(text: str, units: tuple[str, ...], fact: str, vocab: Vocabulary) -> Decimal:
    m = re.fullmatch(rf"(?P<p>{PERCENT})|(?P<n>{NUMBER})(?P<u>{_UNITS})?", text)  # 50% is a share, never 50
    if not m:
        raise Unreadable(f"“{text}”不是数量")
    if m.group("p"):
        if "%" not in units:
            raise Unreadable(f"{fact} 不以百分比计")
        return parse_percent(m.group("p"))
    unit = m.group("u")
    ftype = vocab.facts[fact]["type"]
    if unit is None and ftype == "money" and not re.search(r"[万亿]$", m.group("n")):  # 0.5万: an amount
        raise Unreadable(f"金额“{text}”没有单位")
    if unit is not None and unit not in units:
        raise Unreadable(f"单位“{unit}”与事实 {fact} 不符")
    value = parse_number(m.group("n"))
    if ftype == "integer" and value != value.to_integral_value():
        raise Unreadable(f"{fact} 是整数，“{text}”不是")
    return value


_DASH = r"至|到|~|～|—|－|-"
_INTERVAL = re.compile(
    rf"(?P<a>{NUMBER})(?P<ua>{_UNITS})?(?:{_DASH})(?P<b>{NUMBER})(?P<ub>{_UNITS})?(?:之间|区间)?(?:（含本数）)?"
)


def _interval(fact: str, rest: str, units: tuple[str, ...], seg: str, vocab: Vocabulary) -> Atom | None:
    """0.5—1万元, 1万元至5万元: both ends (the first takes the second's 万 and unit when it has none); the
    operators are left open (placeholders) for the neighbouring tiers to settle (OpenInterval.settle)."""
    m = _INTERVAL.fullmatch(rest)
    if not m:
        return None
    a_text, b_text = m.group("a"), m.group("b")
    if not m.group("ua"):
        if re.fullmatch(r"[0-9.]+", a_text) and re.search(r"[0-9][万亿]$", b_text):
            a_text += b_text[-1]
        a_text += m.group("ub") or ""
    a = _quantity(a_text, units, fact, vocab)
    b = _quantity(b_text + (m.group("ub") or ""), units, fact, vocab)
    if a >= b:
        raise Unreadable(f"“{seg}”下限不低于上限")
    lo, hi = OpenInterval.LOWER, OpenInterval.UPPER
    return Atom(f"{write_number(a)} {lo} {fact} {hi} {write_number(b)}", fact, (">=", a), ("<=", b))


def _bound(
    fact: str, rest: str, units: tuple[str, ...], seg: str, vocab: Vocabulary, *, interval: bool = False
) -> Atom:
    if re.search(r"[至到~～—－-]", rest):
        atom = _interval(fact, rest, units, seg, vocab) if interval else None
        if atom is None:
            raise Unreadable(f"“{seg}”用“至”表示区间，是否含本数不明")
        return atom
    for pattern, lo_op, hi_op in _BOUNDS:
        m = re.fullmatch(pattern, rest)
        if not m:
            continue
        groups = {k: v for k, v in m.groupdict().items() if v}
        a = _quantity(groups["a"], units, fact, vocab) if "a" in groups else None
        b_text = groups.get("b") or groups.get("b2")
        b = _quantity(b_text, units, fact, vocab) if b_text else None
        if lo_op in ("==", "!="):
            return Atom(f"{fact} {lo_op} {write_number(a)}", fact)  # type: ignore[arg-type]  # ==/!= patterns have their number (_BOUNDS)
        if a is not None and b is not None:
            if a > b:
                raise Unreadable(f"“{seg}”下限高于上限")
            flip = {">=": "<=", ">": "<"}[lo_op]  # type: ignore[index]  # a two-number pattern's lower op is >= or > (_BOUNDS)
            return Atom(
                f"{write_number(a)} {flip} {fact} {hi_op} {write_number(b)}",
                fact,
                (lo_op, a),  # type: ignore[arg-type]  # a pattern with two numbers has both ops (_BOUNDS)
                (hi_op, b),  # type: ignore[arg-type]  # (the same)
            )
        if a is not None:
            return Atom(f"{fact} {lo_op} {write_number(a)}", fact, (lo_op, a), None)  # type: ignore[arg-type]  # a pattern with a lower number has its op (_BOUNDS)
        return Atom(f"{fact} {hi_op} {write_number(b)}", fact, None, (hi_op, b))  # type: ignore[arg-type]  # a pattern with an upper number has its op and number (_BOUNDS)
    raise Unreadable(f"“{seg}”的门槛写法不能识别")


def _check_two_ways(atoms: list[Atom]) -> None:
    """One fact bounded twice on the same side, differently, in one row: written two ways."""
    seen: dict[tuple[str, str], tuple[str, Decimal]] = {}
    for a in atoms:
        for side, bound in (("lower", a.lower), ("upper", a.upper)):
            if bound is None:
                continue
            old = seen.setdefault((a.fact, side), bound)
            if old != bound:
                raise Unreadable(f"同一行中 {a.fact} 的门槛写法不一（{_say(old)} 与 {_say(bound)}）")


def _say(bound: tuple[str, Decimal]) -> str:
    return f"{bound[0]} {write_number(bound[1])}"


def check_two_ways(exprs: list[str]) -> None:
    """The same check across the cells of one row (level, condition): reparse their comparisons."""
    atoms: list[Atom] = []
    for e in exprs:
        for node in ast.walk(ast.parse(e, mode="eval")):
            if isinstance(node, ast.Compare):
                atoms.extend(_atoms_of(node))
    _check_two_ways(atoms)


def _atoms_of(node: ast.Compare) -> list[Atom]:
    out: list[Atom] = []
    operands = [node.left, *node.comparators]
    for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
        sym = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}.get(type(op))
        if sym is None:
            continue
        if isinstance(left, ast.Name) and isinstance(right, ast.Constant):
            fact, value, flip = left.id, right.value, False
        elif isinstance(right, ast.Name) and isinstance(left, ast.Constant):
            fact, value, flip = right.id, left.value, True
        else:
            continue
        if flip:
            sym = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[sym]
        bound = (sym, Decimal(str(value)))
        out.append(
            Atom(
                "",
                fact,
                bound if sym in (">", ">=") else None,
                bound if sym in ("<", "<=") else None,
            )
        )
    return out
