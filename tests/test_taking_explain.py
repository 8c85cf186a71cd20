"""Taking a discretionary (可以) option, the officer's plain-text explanation of a recommendation, and what an
imposed fine is measured against.

Both are written against hand-built recommendations whose every field is known, so each assertion
is the expected text or value itself (these tests are in the mutation check's selection: a mutant of
taking.py or explain.py must change something asserted here).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from discretion import EvaluationRequest, evaluate
from discretion.evaluation.explain import explain
from discretion.evaluation.result import (
    Fine,
    FineRange,
    ItemRef,
    Measure,
    Option,
    Recommendation,
    RulesetIdentity,
    TraceStep,
    imposed_fine_range,
    show_value,
)
from discretion.evaluation.taking import MAX_REASON, find_option, take_option
from discretion.keys import Outcome

ART = "《中华人民共和国食品安全法》第一百二十四条第一款第（一）项"
ART_33 = "《中华人民共和国行政处罚法》第三十三条第一款"
ART_32 = "《中华人民共和国行政处罚法》第三十二条"

CORRECT = Measure(code="order_correct", name="责令改正", citation=ART)
CONFISCATE = Measure(code="confiscate_illegal_gain", name="没收违法所得", citation=ART)

NO_PENALTY = Option(
    id="GEN-33-2",
    list="no_penalty",
    label="首违不罚",
    effect="可以不予处罚，但应当责令改正",
    citation=ART_33,
    outcome=Outcome.NO_PENALTY,
)
EXEMPTION = Option(
    id="EX-1",
    list="exemption",
    label="免予处罚情形",
    effect="可以免予处罚",
    citation=ART_33,
    outcome=Outcome.EXEMPTION,
)
MITIGATE = Option(
    id="GEN-32-1:mitigated",
    list="mitigated",
    label="减轻处罚",
    effect="可以减轻处罚：罚款30,000元至49,999元",
    citation=ART_32,
    outcome=Outcome.PENALTY,
    fine=FineRange(min=Decimal("30000"), max=Decimal("49999"), suggested=Decimal("40000")),
)
MAY_MEASURE = Option(
    id="may:statutory:base:confiscate_tools",
    list="may",
    label="没收工具",
    effect="可以没收用于违法生产经营的工具",
    citation=ART,
    outcome=Outcome.PENALTY,
)

TRACE = [
    TraceStep(step="facts", rule="F-124", effect="事实已校验", citation=ART, facts={"goods_value": "8000"}),
    TraceStep(
        step="placement",
        rule="placement:general",
        effect="一般：建议罚款75,000元",
        citation="",
        condition="harm in ['minor'] and illegal_gain > 0",
        facts={"harm": "minor", "illegal_gain": None},
    ),
]


def _rec(fine: Fine | None = None, options: list[Option] | None = None) -> Recommendation:
    return Recommendation(
        outcome=Outcome.PENALTY,
        outcome_label="给予行政处罚",
        item=ItemRef(code="F-124", name="生产经营超过限量的食品"),
        fine=fine,
        measures=[CORRECT, CONFISCATE],
        options=[NO_PENALTY, EXEMPTION, MITIGATE, MAY_MEASURE] if options is None else options,
        ruleset=RulesetIdentity(
            department="food",
            department_name="食品安全监管",
            version="2024",
            hash="0123456789abcdef0123456789abcdef",
            source=["《中华人民共和国食品安全法》", "《行政处罚法》"],
            effective_from=dt.date(2024, 1, 1),
        ),
        act_date=dt.date(2024, 3, 1),
        decision_date=dt.date(2024, 5, 10),
        trace=TRACE,
    )


FINE = Fine(
    min=Decimal("65000"),
    max=Decimal("85000"),
    suggested=Decimal("75000"),
    statutory_min=Decimal("50000"),
    statutory_max=Decimal("100000"),
    tier="一般",
    placement="一般",
)


# --- taking an option ------------------------------------------------------------------------------------


def test_find_option_by_id_and_none_for_an_unknown_id() -> None:
    rec = _rec(FINE)
    assert find_option(rec, "GEN-32-1:mitigated") is MITIGATE
    assert find_option(rec, "EX-1") is EXEMPTION
    assert find_option(rec, "nope") is None


def test_no_penalty_option_keeps_only_the_measures_its_effect_names_after_应当() -> None:
    """第三十三条第一款: 可以不予处罚 — what the entry still requires (但应当责令改正) is kept; a penalty such
    as 没收违法所得 is not."""
    rec = _rec(FINE)
    taken = take_option(rec, NO_PENALTY, "  初次违法，已改正  ")
    assert taken.outcome is Outcome.NO_PENALTY
    assert taken.outcome_label == "不予处罚"
    assert taken.fine is None
    assert taken.measures == [CORRECT]
    assert taken.options == []
    assert taken.trace[:-1] == TRACE
    assert taken.trace[-1] == TraceStep(
        step="option",
        rule="option:GEN-33-2",
        effect="执法人员选择适用「首违不罚」：可以不予处罚，但应当责令改正。理由：初次违法，已改正",
        citation=ART_33,
        condition=None,
        facts={},
    )
    # the recommendation taken from is unchanged
    assert rec.outcome is Outcome.PENALTY and rec.fine == FINE and len(rec.trace) == 2 and len(rec.options) == 4


def test_exemption_option_without_应当_keeps_no_measure() -> None:
    taken = take_option(_rec(FINE), EXEMPTION, "理由")
    assert taken.outcome is Outcome.EXEMPTION
    assert taken.outcome_label == "免予处罚"
    assert taken.fine is None
    assert taken.measures == []


def test_penalty_option_with_a_fine_places_the_fine_in_its_range_and_keeps_the_statutory_range() -> None:
    taken = take_option(_rec(FINE), MITIGATE, "主动消除危害后果")
    assert taken.outcome is Outcome.PENALTY
    assert taken.outcome_label == "给予行政处罚"
    assert taken.fine == Fine(
        min=Decimal("30000"),
        max=Decimal("49999"),
        suggested=Decimal("40000"),
        statutory_min=Decimal("50000"),
        statutory_max=Decimal("100000"),
        tier="一般",
        placement="减轻处罚",
    )
    assert taken.measures == [CORRECT, CONFISCATE]
    assert taken.trace[-1].effect == (
        "执法人员选择适用「减轻处罚」：可以减轻处罚：罚款30,000元至49,999元。理由：主动消除危害后果"
    )
    assert taken.trace[-1].citation == ART_32


def test_penalty_option_without_a_fine_keeps_the_recommended_fine_and_measures() -> None:
    taken = take_option(_rec(FINE), MAY_MEASURE, "工具属于当事人")
    assert taken.fine == FINE
    assert taken.measures == [CORRECT, CONFISCATE]
    assert taken.outcome is Outcome.PENALTY


def test_penalty_option_with_a_fine_where_the_recommendation_has_none_has_no_fine() -> None:
    """A 可以并处 fine option taken where nothing else fines: the option's fine needs the recommendation's
    statutory range to be a Fine; without it the result carries none (the page shows the option's range)."""
    taken = take_option(_rec(None), MITIGATE, "理由")
    assert taken.fine is None
    assert taken.outcome is Outcome.PENALTY


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_reason_is_required(reason: str) -> None:
    with pytest.raises(ValueError, match="^reason: required$"):
        take_option(_rec(FINE), NO_PENALTY, reason)


def test_the_reason_is_cut_at_max_reason() -> None:
    long = "理" * (MAX_REASON + 50)
    effect = take_option(_rec(FINE), EXEMPTION, long).trace[-1].effect
    assert effect.endswith("。理由：" + "理" * MAX_REASON)
    assert MAX_REASON == 1000


def test_taking_an_option_of_a_real_evaluation(bundled) -> None:
    """首违不罚 on 食品安全法 第一百二十四条: the result says 不予处罚, no fine, no 没收, and the trace's last step
    cites 第三十三条第一款."""
    rec = evaluate(
        bundled,
        EvaluationRequest(
            department="scjg",
            item="SC-FOOD-124-1-1",
            facts={"goods_value": 8000, "harm": "minor", "first_offence": True, "corrected_in_time": True},
            act_date=dt.date(2024, 3, 1),
            decision_date=dt.date(2024, 5, 10),
        ),
    )
    option = find_option(rec, "GEN-33-2")
    assert option is not None and rec.outcome is Outcome.PENALTY and rec.measures
    taken = take_option(rec, option, "初次违法")
    assert (taken.outcome, taken.fine, taken.measures, taken.options) == (Outcome.NO_PENALTY, None, [], [])
    assert taken.trace[-1].citation == ART_33
    assert taken.trace[:-1] == rec.trace


# --- the officer's explanation ---------------------------------------------------------------------------

EXPLAINED = """违法行为：生产经营超过限量的食品（F-124）
适用基准：食品安全监管 2024 版（自2024-01-01起施行），内容哈希 0123456789abcdef
依据文件：《中华人民共和国食品安全法》；《行政处罚法》
结论：给予行政处罚
罚款：建议 75,000元（一般，阶次「一般」；建议幅度 65,000–85,000元；法定幅度 50,000–100,000元）
措施：责令改正（《中华人民共和国食品安全法》第一百二十四条第一款第（一）项）
措施：没收违法所得（《中华人民共和国食品安全法》第一百二十四条第一款第（一）项）
可选择适用（须说明理由）：
  · [GEN-33-2] 首违不罚：可以不予处罚，但应当责令改正（《中华人民共和国行政处罚法》第三十三条第一款）
  · [EX-1] 免予处罚情形：可以免予处罚（《中华人民共和国行政处罚法》第三十三条第一款）
裁量过程：
  1. 【事实】事实已校验
     依据：《中华人民共和国食品安全法》第一百二十四条第一款第（一）项
  2. 【罚款建议】一般：建议罚款75,000元
     条件：harm in ['minor'] and illegal_gain > 0（harm=minor，illegal_gain=未提供（无法确定））"""


def test_explain_writes_every_part_in_order() -> None:
    assert explain(_rec(FINE, [NO_PENALTY, EXEMPTION])) == EXPLAINED


def test_explain_without_tier_options_or_fine() -> None:
    no_tier = FINE.model_copy(update={"tier": None, "suggested": Decimal("75000.50")})
    text = explain(_rec(no_tier, []))
    assert "罚款：建议 75,000.5元（一般；建议幅度 65,000–85,000元；法定幅度 50,000–100,000元）" in text
    assert "可选择适用" not in text
    lines = explain(_rec(None, [])).splitlines()
    assert not any(line.startswith("罚款") for line in lines)
    assert "" not in lines
    assert lines[4] == "措施：责令改正（《中华人民共和国食品安全法》第一百二十四条第一款第（一）项）"


def test_explain_a_fine_without_a_suggested_amount_writes_no_empty_line() -> None:
    text = explain(_rec(FINE.model_copy(update={"suggested": None}), []))
    assert not any(line.startswith("罚款：") for line in text.splitlines())
    assert "\n\n" not in text


# --- what an imposed fine is measured against (decision checks and sweeps) ---------------------------------

MAY_FINE = Option(
    id="may:statutory:base:fine",
    list="may",
    label="可以并处罚款",
    effect="可以并处罚款",
    citation=ART,
    outcome=Outcome.PENALTY,
    fine=FineRange(min=Decimal("0"), max=Decimal("50000"), suggested=Decimal("25000")),
)


def test_an_imposed_fine_is_measured_against_the_recommended_fine_with_its_statutory_maximum() -> None:
    assert imposed_fine_range(_rec(FINE, [MAY_FINE])) == (
        Decimal("65000"),
        Decimal("85000"),
        Decimal("100000"),
        None,
    )


def test_without_a_recommended_fine_an_imposed_fine_is_measured_against_the_可以并处_option() -> None:
    """可以并处: the result has no fine; the option's range is what the officer may impose, and an option's
    statutory maximum is not part of the result (None)."""
    got = imposed_fine_range(_rec(None, [MITIGATE, MAY_MEASURE, MAY_FINE]))
    assert got == (Decimal("0"), Decimal("50000"), None, MAY_FINE)
    assert got is not None and got.may is MAY_FINE


def test_no_fine_and_no_可以并处_fine_has_nothing_to_measure_against() -> None:
    assert imposed_fine_range(_rec(None, [MITIGATE, MAY_MEASURE])) is None  # a fine, but not a 可以 one
    assert imposed_fine_range(_rec(None, [])) is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("8000.50"), "8000.50"), (Decimal("0"), "0"), (3, 3), (True, True), ("minor", "minor"), (None, None)],
)
def test_a_fact_is_shown_as_given_decimals_as_exact_strings(value: object, shown: object) -> None:
    assert show_value(value) == shown
    assert type(show_value(value)) is type(shown)


def test_every_measure_required_after_the_first_应当_is_kept() -> None:
    """An entry can require more than one thing (但应当责令改正，并应当…): all that follows the first 应当 counts."""
    twice = NO_PENALTY.model_copy(update={"effect": "可以不予处罚，但应当责令改正，并应当没收违法所得"})
    assert take_option(_rec(FINE), twice, "理由").measures == [CORRECT, CONFISCATE]
