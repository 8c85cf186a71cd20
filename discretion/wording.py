"""The legal sentences of the trace, in one catalogue apart from the decision logic.

A reviewer checks the wording here, once; the evaluator only chooses which sentence to say and
fills in labels, amounts and dates. Each function returns the exact text the trace shows (the
corpus check of bench/corpus.py pins it byte for byte).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .keys import Direction, ListKind

if TYPE_CHECKING:
    from .ruleset import ListEntry

#: the evaluator's step ids in words, for the officer's page, the alerts page and the plain-text
#: explanation alike (a step id not listed reads "裁量步骤")
STEP_NAMES: dict[str, str] = {
    "facts": "事实",
    "version": "适用的裁量基准",
    "limitation": "追责期限",
    "no_penalty": "不予处罚",
    "exemption": "免予处罚",
    "statutory": "法定处罚幅度",
    "tier": "裁量阶次",
    "lenient": "从轻",
    "mitigated": "减轻",
    "aggravated": "从重",
    "conflict": "情节并存",
    "weight": "权重",
    "weighted": "权重累加",
    "placement": "罚款建议",
    "displaced": "特别规定优先",
    "may_fine": "可以并处",
    "band": "分栏金额",
    "reduce": "按比例减少",
    "excluded": "不适用情形",
    "absent": "事实未提供",
    "outcome": "处理结论",
    "option": "执法人员选择适用",
}


def step_name(step: str) -> str:
    """A trace step's id in words."""
    return STEP_NAMES.get(step, "裁量步骤")


DIRECTION_LABELS: dict[Direction, str] = {
    Direction.LENIENT: "从轻",
    Direction.GENERAL: "一般",
    Direction.AGGRAVATED: "从重",
    Direction.MITIGATED: "减轻",
}
LIST_NAMES: dict[ListKind, str] = {
    ListKind.NO_PENALTY: "不予处罚",
    ListKind.EXEMPTION: "免予处罚",
    ListKind.LENIENT: "从轻处罚",
    ListKind.MITIGATED: "减轻处罚",
    ListKind.AGGRAVATED: "从重处罚",
}

# ---------------------------------------------------------------- facts, version, limitation


def facts_checked(item_name: str) -> str:
    return f"事实已按「{item_name}」的事实清单校验"


def limitation_expired(since: str, start: object, years: int, why: str, discovery: object) -> str:
    return f"自{since}（{start}）起{years}年{why}内未被发现（发现于{discovery}），不再给予行政处罚"


def limitation_running(since: str, start: object, years: int, why: str, deadline: object, discovery: object) -> str:
    return f"追责期限{years}年{why}，自{since}（{start}）起算至{deadline}；发现于{discovery}，在期限内"


LIMITATION_FROM_END = "违法行为终了之日"
LIMITATION_FROM_ACT = "违法行为发生之日"
LIMITATION_EXTENDED = "（涉及公民生命健康安全、金融安全且有危害后果）"

# ---------------------------------------------------------------- lists


def may_decide(kind: ListKind) -> str:
    """A discretionary no-penalty or exemption entry: what it would do."""
    return "可以不予处罚" if kind is ListKind.NO_PENALTY else "可以免予处罚"


def keeping(names: list[str]) -> str:
    """The measures an option of no penalty still requires."""
    return f"，但应当{'、'.join(names)}" if names else ""


def still_keeping(names: list[str]) -> str:
    """The measures a mandatory no-penalty or exemption entry still requires."""
    return f"；仍应当{'、'.join(names)}" if names else ""


def offered(label: str, what: str) -> str:
    return f"{label}：{what}（作为选项，由执法人员决定并说明理由）"


def decided(label: str, kind: ListKind, keep: str) -> str:
    return f"{label}：{LIST_NAMES[kind]}{keep}"


# ---------------------------------------------------------------- clause, tier, circumstances

NO_FINE_CLAUSE = "该情形法律未规定罚款，依法采取下列措施"


def circumstance_without_fine(label: str, kind: ListKind) -> str:
    return f"{label}：{LIST_NAMES[kind]}情节（本情形无罚款幅度，供决定时考虑）"


def not_a_penalty(names: str) -> str:
    return f"不处以罚款，所采取的措施（{names}）不属于行政处罚的种类，不给予行政处罚"


def tier_up(label: str, tier_label: str) -> str:
    return f"{label}：上调一个裁量阶次至「{tier_label}」"


def tier_overlap(count: int, tier_label: str) -> str:
    return f"同时符合{count}个阶次，按取重原则适用「{tier_label}」"


def tier_range(label: str, span_text: str, note: str) -> str:
    return f"裁量阶次「{label}」：{span_text}{note}"


def tier_clipped(own_text: str) -> str:
    return f"（阶次金额{own_text}超出法定幅度，已限定在法定幅度内）"


def weight(label: str, share: str) -> str:
    return f"{label}：权重{share}"


def weighted_sum(start: str, total: str, cap: str, maximum: str, point_raw: str, clipped: str | None) -> str:
    text = f"起始权重{start}，累加后{total}（上限{cap}）× 法定最高{maximum} = {point_raw}"
    return text if clipped is None else text + f"，限定在法定幅度内为{clipped}"


def shall(label: str, kind: ListKind) -> str:
    return f"{label}：应当{LIST_NAMES[kind]}"


CONFLICT_OFFICER = "从轻（减轻）与从重情节并存：按一般情形建议，从轻、从重作为选项由执法人员综合裁量"


def conflict_offset(heavy: int, light: int, direction: Direction) -> str:
    return f"从重情节{heavy}个、从轻（减轻）情节{light}个并存，综合折抵后{DIRECTION_LABELS[direction]}"


def may(label: str, kind: ListKind) -> str:
    return f"{label}：可以{LIST_NAMES[kind]}（作为选项）"


def may_lead(kind: ListKind) -> str:
    return f"可以{LIST_NAMES[kind]}：建议罚款幅度"


MAY_MITIGATE_LEAD = "从轻或者减轻：可以减轻处罚，建议罚款幅度"


def conflict_label(direction: Direction) -> str:
    return f"综合裁量后{DIRECTION_LABELS[direction]}"


def conflict_lead(direction: Direction) -> str:
    return f"{DIRECTION_LABELS[direction]}：建议罚款幅度"


def circumstances_counted(parts: list[tuple[ListKind, list[str]]], article: str) -> str:
    """A count of circumstances (中国人民银行令〔2024〕第6号 第十七条 "同时具有两个或者两个以上从轻处罚情形，
    且不具有从重处罚情形"): how many entries of each list counted hold, named, and the article that counts them —
    "有2项从轻处罚情形（「A」「B」）且无从重处罚情形（第十七条）"."""
    said = [
        f"有{len(names)}项{LIST_NAMES[kind]}情形（{''.join(f'「{n}」' for n in names)}）"
        if names
        else f"无{LIST_NAMES[kind]}情形"
        for kind, names in parts
    ]
    return "且".join(said) + (f"（{article}）" if article else "")


def count_words(entry: ListEntry) -> str:
    """An entry's count of circumstances (when_count) in words, its lists in the order 从轻, 减轻, 从重; "" if none."""
    if entry.when_count is None:
        return ""
    counts = entry.when_count
    return count_condition(
        [
            (ListKind(k), counts[k].at_least, counts[k].at_most)
            for k in ("lenient", "mitigated", "aggravated")
            if k in counts
        ]
    )


def count_condition(bounds: list[tuple[ListKind, int | None, int | None]]) -> str:
    """A count's condition in words (sweep keys, tables, diff): "从轻处罚情形不少于2项、从重处罚情形不多于0项"."""
    out = []
    for kind, least, most in bounds:
        if least is not None and least == most:
            out.append(f"{LIST_NAMES[kind]}情形恰为{least}项")
            continue
        if least is not None:
            out.append(f"{LIST_NAMES[kind]}情形不少于{least}项")
        if most is not None:
            out.append(f"{LIST_NAMES[kind]}情形不多于{most}项")
    return "、".join(out)


# ---------------------------------------------------------------- placement


def placed_range(direction: Direction, range_text: str, suggested: str, rounding: str) -> str:
    return f"{DIRECTION_LABELS[direction]}：建议罚款幅度{range_text}，建议罚款{suggested}（按{rounding}元取整）"


def placed_point(direction: Direction, suggested: str, range_text: str) -> str:
    return f"{DIRECTION_LABELS[direction]}：建议罚款{suggested}（幅度{range_text}）"


# ---------------------------------------------------------------- special provisions, discretionary penalties


def displaced(label: str, general: str, special: str) -> str:
    """另有规定的，从其规定: 行政处罚法 第三十三条第二款 yielding to a law (食品安全法 第一百三十六条 …), or a
    province's range yielding to the city standard it authorises (粤环发〔2021〕7号 第十四条末段 → 东莞's 指引)."""
    return f"「{label}」（{general}）不适用：{special}另有规定，从其规定"


def may_measure(name: str) -> str:
    return f"可以{name}（作为选项，由执法人员决定并说明理由）"


MAY_FINE_LABEL = "可以并处罚款"

#: an imposed 可以并处 fine outside the option's range (decision checks and sweeps): "罚款…不在…内"
MAY_OUTSIDE = "不在可以并处罚款的建议幅度"


def may_fine(range_text: str, suggested: str) -> str:
    return f"可以并处罚款：建议罚款幅度{range_text}，建议罚款{suggested}（作为选项，不自动科处）"


def may_fine_step(range_text: str) -> str:
    return f"罚款为可以并处（可以处）：不自动科处，作为选项由执法人员决定并说明理由（幅度{range_text}）"


#: a fact the officer did not give (违法所得无法确定), as against one given as 0 (没有违法所得)
ABSENT = "未提供（无法确定）"


def band(tier_label: str, direction: Direction, range_text: str) -> str:
    """A table that publishes the amounts of each direction in its own column."""
    return f"阶次「{tier_label}」{DIRECTION_LABELS[direction]}栏：{range_text}"


def reduction(label: str, mandatory: bool, lo: str, hi: str, at_most: str | None = None) -> str:
    """粤环发〔2021〕7号 第十四条: a share of the fine that would otherwise apply is taken off (one share, as
    穗环规字〔2022〕2号 "降低30%的罚款数额", or a span of them), and at most `at_most` of it (东莞: "降低的额度最多
    不超过20万元")."""
    share = lo if lo == hi else f"{lo}至{hi}"
    cap = "" if at_most is None else f"，{reduce_cap(at_most)}"
    return f"{label}：{'应当' if mandatory else '可以'}在本应适用的罚款基础上减少{share}{cap}"


def reduction_excluded(label: str, why: list[str]) -> str:
    """A reduction its document's 不适用情形 hold off (粤环发〔2021〕7号 第十四条 "有以下行为之一的，不适用…")."""
    return f"「{label}」不适用：{'；'.join(why)}"


def reduce_cap(at_most: str) -> str:
    return f"减少的额度最多不超过{at_most}"


def reduce_bound(bound: str, at_most: str | None) -> str:
    """The limits of a reduction, in the order the documents state them: the cap on the amount taken off, then
    the bound it never goes below."""
    return f"不低于{bound}" if at_most is None else f"{reduce_cap(at_most)}，且不低于{bound}"


def reduced(range_text: str, suggested: str, limits: str) -> str:
    return f"按比例减少后建议罚款幅度{range_text}，建议罚款{suggested}（{limits}）"


REDUCE_NOT_BELOW = {"statutory_minimum": "法定最低罚款", "floor": "减轻处罚的最低限额"}


# ---------------------------------------------------------------- a change of the benchmark alone

TRANSITION_DECISION = "仅裁量基准变化（非法律、法规、规章修改）：按本基准的过渡规定，作出处罚决定时施行的基准适用"


def transition_act(old_version: str) -> str:
    return (
        f"仅裁量基准变化（非法律、法规、规章修改）：按新基准的过渡规定，适用违法行为发生时施行的基准（{old_version}版）"
    )


def transition_lighter(old_version: str, stated: bool) -> str:
    """`stated`: the new benchmark says so itself (transition_basis); else it says nothing and 第三十七条 is
    followed by analogy — the trace must not claim a transitional rule the document does not have."""
    if stated:
        return (
            f"仅裁量基准变化：按新基准的过渡规定参照从旧兼从轻，新基准处罚较轻，适用新基准（行为时为{old_version}版）"
        )
    return (
        "仅裁量基准变化（非法律、法规、规章修改）：新基准未载明新旧基准如何适用，参照从旧兼从轻，"
        f"新基准处罚较轻，适用新基准（行为时为{old_version}版）"
    )


def transition_kept(new_version: str, old_version: str, stated: bool) -> str:
    """The lighter rule when the old benchmark is not heavier: the case stays with it."""
    how = "按新基准的过渡规定参照从旧兼从轻" if stated else "新基准未载明新旧基准如何适用，参照从旧兼从轻"
    return f"仅裁量基准变化：{how}，{new_version}版处罚不轻于行为时的{old_version}版，仍适用{old_version}版"
