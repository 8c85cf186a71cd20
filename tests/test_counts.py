"""Counts of circumstances (`when_count`) as bundled law encodes them: 《中国人民银行行政处罚裁量基准适用规定》
（中国人民银行令〔2024〕第6号）第十七条 "当事人的同一个违法行为同时具有两个或者两个以上从轻处罚情形，且不具有从重处罚
情形的，可以减轻处罚。" (rmyh/2025 RM-17). Each test is named after the rule it pins; the worked amounts are in
examples/cases/rmyh.yaml."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.audit import verify
from discretion.audit.diff import diff
from discretion.consistency.keys import rules_of
from discretion.errors import RulesetLoadError
from discretion.evaluation.cells import caches

ROOT = Path(__file__).resolve().parent.parent / "rulesets"
RMYH = (ROOT / "rmyh" / "2025.yaml").read_text(encoding="utf-8")
GENERAL = (ROOT / "general" / "2021.yaml").read_text(encoding="utf-8")
#: the counting entry as bundled, to be changed by the tests below
ENTRY = """    when_count:
      lenient: {at_least: 2}
      aggravated: {at_most: 0}
"""
#: facts of the 从轻 entries that apply to RM-PBL-46-1 (rmyh 第十条（六）; 行政处罚法 第三十一条、第三十二条) and of the
#: 从重 ones (rmyh 第十一条（一）（四）), with what each adds
LENIENT = {
    "lesser_small_harm": True,
    "eliminated_harm": True,
    "coerced_or_deceived": True,
    "confessed_unknown_violation": True,
    "meritorious_cooperation": True,
}
AGGRAVATED = {"severe_or_bad_influence": True, "repeat_within_5y": True}


def _lib(text: str = RMYH) -> RulesetLibrary:
    return RulesetLibrary.from_texts({"general/2021": GENERAL, "rmyh/2025": text})


LIB = _lib()
#: the same law without 第十七条: what the result would be were the option never there
WITHOUT = _lib(RMYH.split("  - id: RM-17\n")[0])


def _eval(lib: RulesetLibrary, facts: dict[str, Any], item: str = "RM-PBL-46-1"):  # type: ignore[no-untyped-def]
    return evaluate(
        lib,
        EvaluationRequest(
            department="rmyh",
            item=item,
            facts={"harm": "none", "illegal_gain": 0, **facts} if item == "RM-PBL-46-1" else {"harm": "none", **facts},
            act_date=dt.date(2025, 3, 1),
            decision_date=dt.date(2025, 5, 1),
        ),
    )


def _ids(rec) -> set[str]:  # type: ignore[no-untyped-def]
    return {o.id for o in rec.options}


def test_rmyh_17_two_lenient_no_aggravated_may_mitigate() -> None:
    """Two 从轻 (第十条（六）; 行政处罚法 第三十二条第（一）项), no 从重: 减轻 is offered with its range and basis;
    the fine itself stays in the 从轻 band of 第六条（二） — 可以 is never imposed."""
    rec = _eval(LIB, {"lesser_small_harm": True, "eliminated_harm": True})
    option = next(o for o in rec.options if o.id == "RM-17")
    assert option.fine is not None and (option.fine.min, option.fine.max) == (Decimal(0), Decimal(500000))
    assert option.citation == "《中国人民银行行政处罚裁量基准适用规定》（中国人民银行令〔2024〕第6号）第十七条"
    assert option.effect.startswith("可以减轻处罚：")
    assert rec.fine is not None and rec.fine.placement == "从轻" and rec.fine.max == Decimal("999999.99")
    step = next(s for s in rec.trace if s.rule == "RM-17")
    assert step.condition is None  # `when: "True"`: the effect says what was counted, not "条件：True"
    assert step.effect == (
        "有2项从轻处罚情形（「主动消除或者减轻违法行为危害后果」「违法行为较轻，且危害后果不大」）且无从重处罚情形"
        "（第十七条）：可以减轻处罚（作为选项）"
    )


def test_rmyh_17_two_lenient_and_one_aggravated_is_not_offered() -> None:
    """ "且不具有从重处罚情形": one 从重 (第十一条（四）) and the count fails."""
    rec = _eval(LIB, {"lesser_small_harm": True, "eliminated_harm": True, "repeat_within_5y": True})
    assert "RM-17" not in _ids(rec) and all(s.rule != "RM-17" for s in rec.trace)


def test_rmyh_17_one_lenient_is_not_offered() -> None:
    """ "两个或者两个以上": one 从轻 is not enough."""
    rec = _eval(LIB, {"lesser_small_harm": True})
    assert "RM-17" not in _ids(rec) and all(s.rule != "RM-17" for s in rec.trace)


def test_rmyh_17_a_discretionary_lenient_circumstance_counts() -> None:
    """行政处罚法 第三十一条 (可以从轻或者减轻) is a 从轻处罚情形 the party has, as much as an 应当 one: it counts."""
    rec = _eval(LIB, {"confessed_unknown_violation": True, "mental_capacity": "partial"}, item="RM-PBL-46-2")
    assert {"RM-17", "GEN-31-2"} <= _ids(rec)
    step = next(s for s in rec.trace if s.rule == "RM-17")
    assert step.effect.startswith("有2项从轻处罚情形（「尚未完全丧失辨认或者控制自己行为能力的")


def test_rmyh_17_mitigated_circumstances_are_not_counted_as_lenient() -> None:
    """第十七条 counts 从轻处罚情形 only: a 减轻 circumstance (第九条（六）) and one 从轻 do not make two."""
    rec = _eval(LIB, {"lesser_small_harm": True, "victim_forgiveness": True})
    assert "RM-17" not in _ids(rec)


def test_rmyh_17_a_counting_entry_never_counts_itself_or_another_count() -> None:
    """A second counting entry on the 从轻 list ("至少一项从轻") is not a 从轻 circumstance of RM-17's count, nor of its
    own: with one plain 从轻 entry holding, RM-17 (two needed) stays out, while the other holds."""
    extra = """  - id: TEST-COUNT-1
    list: lenient
    label: 测试用：至少一项从轻
    mandatory: true
    applies_to: ["*"]
    when: "True"
    when_count: {lenient: {at_least: 1}}
    basis: {law: 测试}
"""
    lib = _lib(RMYH + extra)
    rec = _eval(lib, {"lesser_small_harm": True})
    rules = {s.rule for s in rec.trace}
    assert "TEST-COUNT-1" in rules and "RM-17" not in _ids(rec)
    alone = _eval(lib, {})
    assert "TEST-COUNT-1" not in {s.rule for s in alone.trace}  # it does not count itself


def test_rmyh_17_the_per_cell_plan_depends_on_the_count() -> None:
    """Cases whose own-condition keys differ only in entries the count reads get their own plans: evaluated in either
    order, after the cache is warm, each gives what a fresh library gives."""
    lib = _lib()
    ci = lib.version("rmyh", "2025").items["RM-PBL-46-1"]
    cases = [{"lesser_small_harm": True}, {"lesser_small_harm": True, "eliminated_harm": True}]
    first = [_ids(_eval(lib, f)) for f in cases]
    again = [_ids(_eval(lib, f)) for f in reversed(cases)][::-1]
    caches(ci).clear()
    assert first == again == [_ids(_eval(_lib(), f)) for f in cases]
    assert ["RM-17" in ids for ids in first] == [False, True]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lenient=st.sets(st.sampled_from(sorted(LENIENT))),
    aggravated=st.sets(st.sampled_from(sorted(AGGRAVATED))),
    partial=st.booleans(),
    mitigated=st.booleans(),
)
def test_rmyh_17_offered_iff_the_counts_hold_and_never_imposed(
    lenient: set[str], aggravated: set[str], partial: bool, mitigated: bool
) -> None:
    """Property: RM-17 is an option exactly when two or more 从轻 circumstances hold and no 从重 one; and it is never
    imposed — the fine, the measures and every other option are what the same law without 第十七条 gives."""
    facts: dict[str, Any] = dict.fromkeys(lenient | aggravated, True)
    if partial:
        facts["mental_capacity"] = "partial"  # 行政处罚法 第三十一条: a 可以 从轻 circumstance
    if mitigated:
        facts["victim_forgiveness"] = True  # 第九条（六）: 减轻, not counted
    rec, base = _eval(LIB, facts), _eval(WITHOUT, facts)
    holds = len(lenient) + partial >= 2 and not aggravated
    assert ("RM-17" in _ids(rec)) == holds
    assert rec.fine == base.fine and rec.measures == base.measures
    assert _ids(rec) - {"RM-17"} == _ids(base)


@pytest.mark.parametrize(
    "count, path, words",
    [
        ("    when_count: {lenient: {at_least: -1}}\n", "when_count.lenient.at_least", "须大于或等于"),
        ("    when_count: {sometimes: {at_least: 2}}\n", "when_count.sometimes", "须为以下之一"),
        ("    when_count: {lenient: {at_least: 3, at_most: 2}}\n", "when_count.lenient", "at_least 3 大于 at_most 2"),
        ("    when_count: {lenient: {}}\n", "when_count.lenient", "须写 at_least"),
        ("    when_count: {}\n", "lists", "须至少写一个清单"),
    ],
)
def test_rmyh_17_a_bad_count_is_a_positioned_load_error_said_in_chinese(count: str, path: str, words: str) -> None:
    from api.pages.reviewwords import upload_error

    with pytest.raises(RulesetLoadError) as e:
        _lib(RMYH.replace(ENTRY, count))
    assert path in str(e.value.path), e.value.path
    said = upload_error(e.value)
    assert said.line is not None and words in said.detail, said


@pytest.mark.parametrize(
    "change, words",
    [
        ("    list: mitigated\n    label: 同一个违法行为", "when_count 只能用于从轻、减轻、从重条目"),
        ("    tier_up: true\n    list: aggravated\n    label: 同一个违法行为", "不能再写 tier_up 或 weight"),
    ],
)
def test_rmyh_17_a_count_on_a_deciding_list_or_raising_a_tier_is_refused(change: str, words: str) -> None:
    from api.pages.reviewwords import upload_error

    if "tier_up" in change:
        text = RMYH.replace("    list: mitigated\n    label: 同一个违法行为", change)
    else:
        text = RMYH.replace(
            "    list: mitigated\n    label: 同一个违法行为", "    list: no_penalty\n    label: 同一个违法行为"
        )
    with pytest.raises(RulesetLoadError) as e:
        _lib(text)
    assert "lists" in str(e.value.path)
    said = upload_error(e.value)
    assert said.line is not None and words in said.detail, said


def test_rmyh_17_verify_finds_a_count_no_case_can_meet() -> None:
    """A count of more 从轻 entries than apply to the item can never hold: verify says so (check `count`); the
    bundled count is reachable, and verify stays exhaustive."""
    clean = verify(LIB, department="rmyh")
    assert clean.ok and clean.exhaustive, clean.problems
    bad = verify(_lib(RMYH.replace("lenient: {at_least: 2}", "lenient: {at_least: 9}")), department="rmyh")
    found = [p for p in bad.problems if p.check == "count"]
    assert {p.item for p in found} == {"RM-PBL-46-1", "RM-PBL-46-2", "RM-PBL-44", "RM-PBL-45"}
    assert "从轻处罚情形不少于9项" in found[0].message


def test_rmyh_17_diff_says_a_changed_count() -> None:
    old, new = LIB.version("rmyh", "2025"), _lib(RMYH.replace("at_least: 2", "at_least: 3")).version("rmyh", "2025")
    report = diff(old, new)
    texts = [c.text for c in report.changes]
    assert any("清单情形计数" in t and "不少于2项" in t and "不少于3项" in t for t in texts), texts
    assert not any(t.startswith("其他改动") for t in texts), texts


def test_rmyh_17_a_sweep_key_names_the_count() -> None:
    ci = LIB.version("rmyh", "2025").items["RM-PBL-46-1"]
    rec = _eval(LIB, {"lesser_small_harm": True, "eliminated_harm": True})
    assert "RM-17" in _ids(rec)
    from discretion.evaluation.cells import match
    from discretion.facts import validate_facts

    facts = validate_facts(
        {"harm": "none", "illegal_gain": 0, "lesser_small_harm": True, "eliminated_harm": True}, ci.schema, ci.derived
    )
    rows = {r["rule"]: r for r in rules_of(ci, match(ci, facts))}
    assert rows["list:RM-17"]["condition"] == "从轻处罚情形不少于2项、从重处罚情形不多于0项"
