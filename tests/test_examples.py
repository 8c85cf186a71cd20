"""Every case file in examples/cases: legal expectations the bundled rulesets must meet."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import discretion
from discretion import RulesetLibrary, evaluate
from discretion.evaluation.casefile import Case, load_cases

from . import libraries

EXAMPLES = Path(__file__).parent.parent / "examples"
CASES = load_cases(EXAMPLES / "cases")
LIB = libraries.bundled()
#: the constructs of the language, on an illustrative ruleset (examples/language/rulesets)
LANGUAGE_CASES = load_cases(EXAMPLES / "language" / "cases")
LANGUAGE_LIB = RulesetLibrary.load(EXAMPLES / "language" / "rulesets")


def test_at_least_thirty_cases_across_three_departments() -> None:
    assert len(CASES) >= 30
    assert len({c.department for c in CASES}) >= 3


def test_at_least_twenty_cases_of_the_language_constructs() -> None:
    assert len(LANGUAGE_CASES) >= 20


def test_case_files_are_read_whole_in_file_order_each_case_naming_its_file(tmp_path: Path) -> None:
    """load_cases itself (the lists above are read at collection, where no test can see a fault of it)."""
    (tmp_path / "b.yaml").write_text(
        "- {name: 二, department: food, item: F-1, act_date: 2024-05-01, facts: {x: 1}}\n"
        "- {name: 三, department: food, item: F-2, act_date: 2024-05-02}\n",
        encoding="utf-8",
    )
    (tmp_path / "a.yaml").write_text(
        "- {name: 一, department: food, item: F-1, act_date: 2024-05-01, expect: {outcome: penalty}}\n",
        encoding="utf-8",
    )
    (tmp_path / "empty.yaml").write_text("", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("- {name: 不是案例}\n", encoding="utf-8")
    cases = load_cases(tmp_path)
    assert [(c.file, c.name) for c in cases] == [("a.yaml", "一"), ("b.yaml", "二"), ("b.yaml", "三")]
    assert cases[0].expect is not None and cases[0].expect.outcome == "penalty"
    assert cases[1].facts == {"x": 1} and cases[2].facts == {}
    assert str(cases[2].act_date) == "2024-05-02"
    with pytest.raises(ValueError, match="colour"):  # a misspelt key is refused, not ignored
        (tmp_path / "c.yaml").write_text(
            "- {name: 四, department: food, item: F-1, act_date: 2024-05-01, colour: red}\n", encoding="utf-8"
        )
        load_cases(tmp_path)


@pytest.mark.parametrize("case", LANGUAGE_CASES, ids=[f"{c.file}:{c.name}" for c in LANGUAGE_CASES])
def test_language_case(case: Case) -> None:
    check(case, LANGUAGE_LIB)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}:{c.name}" for c in CASES])
def test_case(case: Case) -> None:
    check(case, LIB)


def check(case: Case, LIB: RulesetLibrary) -> None:
    if case.expect_error is not None:
        err_type = getattr(discretion, case.expect_error.type)
        with pytest.raises(err_type) as e:
            evaluate(LIB, case.request())
        if case.expect_error.field:
            assert e.value.field == case.expect_error.field
        return
    assert case.expect is not None, "a case expects a result or an error"
    rec = evaluate(LIB, case.request())
    exp = case.expect
    assert rec.outcome == exp.outcome
    if exp.version is not None:
        assert rec.ruleset.version == exp.version
    if exp.fine is None:
        # `fine: null` says no fine (a warning only, or no penalty); an absent `fine` says nothing
        if "fine" in exp.model_fields_set or exp.outcome != "penalty":
            assert rec.fine is None
    else:
        assert rec.fine is not None
        assert (rec.fine.min, rec.fine.max) == (Decimal(exp.fine.min), Decimal(exp.fine.max))
        if exp.fine.suggested is not None:
            assert rec.fine.suggested == Decimal(exp.fine.suggested)
    if exp.statutory is not None:
        assert rec.fine is not None
        assert (rec.fine.statutory_min, rec.fine.statutory_max) == (exp.statutory.min, exp.statutory.max)
    if exp.tier is not None:
        assert rec.fine is not None and rec.fine.tier == exp.tier
    if exp.measures is not None:
        assert sorted(m.code for m in rec.measures) == sorted(exp.measures)
    if exp.options is not None:
        assert sorted(o.id for o in rec.options) == sorted(exp.options)
    for oid, want in (exp.option_fines or {}).items():
        got = next(o.fine for o in rec.options if o.id == oid)
        assert got is not None and (got.min, got.max) == (want.min, want.max), (oid, got)
        if want.suggested is not None:
            assert got.suggested == want.suggested, (oid, got)
    steps = {s.step for s in rec.trace}
    for step in exp.steps or []:
        assert step in steps, (step, steps)
    for step in exp.no_steps or []:
        assert step not in steps, (step, steps)
    rules = {s.rule for s in rec.trace}
    for rule in exp.rules or []:
        assert rule in rules, (rule, rules)


def _construct(case: Case) -> bool:
    """A case that exercises a construct of issue 9 against bundled law: a 可以 penalty as an option, or a
    general entry displaced by a special provision."""
    exp = case.expect
    if exp is None:
        return False
    return any(o.startswith("may:") for o in exp.options or []) or bool(
        {"may_fine", "displaced"} & set(exp.steps or [])
    )


def test_at_least_twenty_cases_of_the_constructs_against_bundled_law() -> None:
    mine = [c for c in CASES if _construct(c)]
    assert len(mine) >= 20, len(mine)
    assert len({c.department for c in mine}) >= 5


def _constructs_used(case: Case) -> set[str]:
    """Which constructs of issue 9 a bundled case exercises, read from its evaluation (not from its name)."""
    rec = evaluate(LIB, case.request())
    steps = {s.step for s in rec.trace}
    ci = LIB.version(rec.ruleset.department, rec.ruleset.version).find_item(case.item)
    assert ci is not None
    out = set()
    if any(o.id.startswith("may:") for o in rec.options) or "may_fine" in steps:
        out.add("may")
    if "displaced" in steps:
        out.add("displaces")
    if "band" in steps:
        out.add("bands")
    if "reduce" in steps or any(o.id.endswith(":reduce") for o in rec.options):
        out.add("reduce")
    if "weighted" in steps and ci.item.weighted is not None and any(f.group for f in ci.item.weighted.factors):
        out.add("exclusive_groups")
    if any(  # the version step of a benchmark-only change (change: benchmark) decided which version applies
        s.step == "version" and LIB.version(*s.rule.split("/", 1)).ruleset.change == "benchmark"
        for s in rec.trace
        if "/" in s.rule
    ):
        out.add("change_benchmark")
    counting = {c.entry.id for c in ci.counting}  # when_count (中国人民银行令〔2024〕第6号 第十七条)
    if counting & ({s.rule for s in rec.trace} | {o.id for o in rec.options}):
        out.add("count")
    read = {name for s in rec.trace if s.condition and "given(" in s.condition for name in s.facts}
    if read - set(case.facts):  # a given() condition acted on a fact the case leaves out (无法确定)
        out.add("given")
    return out


def test_each_construct_has_several_cases_against_bundled_law() -> None:
    """Typed bands (rmyh: 中国人民银行令〔2024〕第6号), given() (scjg SC-PRICE-7: 价格违法行为行政处罚规定第十八条;
    gdsthj: 粤环发〔2021〕7号 第五条), reduce (gzsthj: 穗环规字〔2022〕2号; gdsthj: 第十四条), exclusive groups (gdsthj:
    附件1 §2.7.1), counts of circumstances (rmyh RM-17: 第十七条), may, displaces, and change: benchmark
    (scjg/2022-10, sthj/2023-10: neither document states its own transitional rule, so both follow 从旧兼从轻 by
    analogy; examples/language shows the other rules)."""
    counts: dict[str, int] = {}
    for case in CASES:
        if case.expect_error is None:
            for c in _constructs_used(case):
                counts[c] = counts.get(c, 0) + 1
    wanted = {"may", "displaces", "bands", "reduce", "exclusive_groups", "given", "change_benchmark", "count"}
    assert {c for c in wanted if counts.get(c, 0) >= 3} == wanted, counts


def test_every_trace_step_of_the_examples_has_its_name_in_words() -> None:
    """The officer's page, the alerts page and the plain-text explanation name each step from one
    catalogue (wording.STEP_NAMES); a step the evaluator emits without a name would read "裁量步骤"."""
    from discretion.wording import STEP_NAMES

    seen: set[str] = set()
    for cases, lib in ((CASES, LIB), (LANGUAGE_CASES, LANGUAGE_LIB)):
        for case in cases:
            if case.expect_error is None:
                seen |= {s.step for s in evaluate(lib, case.request()).trace}
    assert {"band", "reduce", "displaced", "may_fine", "weighted"} <= seen  # the newer constructs are exercised
    assert seen - STEP_NAMES.keys() == set()
