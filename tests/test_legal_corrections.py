"""The legal corrections of issue 9, each pinned by the article or document it rests on.

Expectations are derived from the law: statutory ranges from the articles quoted in
tests/fixtures/statutes, placement from the documents each ruleset names.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from discretion import EvaluationRequest, RulesetLibrary, evaluate
from discretion.loader import BUNDLED
from discretion.ruleset import Ruleset

LIB = RulesetLibrary.load()


def _run(dept: str, item: str, facts: dict[str, Any], act: str, decision: str | None = None) -> Any:
    return evaluate(
        LIB,
        EvaluationRequest(
            department=dept,
            item=item,
            facts=facts,
            act_date=dt.date.fromisoformat(act),
            decision_date=dt.date.fromisoformat(decision or act),
        ),
    )


def _citations(rec: Any) -> str:
    return "\n".join(step.citation for step in rec.trace)


def _rulesets(dept: str) -> list[Ruleset]:
    return [crs.ruleset for crs in LIB.versions(dept)]


# ------------------------------------------------------------------ 公司法 第二百六十条第二款
@pytest.mark.parametrize(
    ("act", "version", "article"),
    [
        ("2023-03-01", "2022-10", "第二百一十一条第二款"),  # 公司法 (2018)
        ("2024-08-01", "2024-07", "第二百六十条第二款"),  # 公司法 (2023), 2024-07-01 起
        ("2025-11-01", "2025", "第二百六十条第二款"),
    ],
)
def test_gongsifa_260_2_companies_registration_overdue_fined_never_revoked(
    act: str, version: str, article: str
) -> None:
    """条例第五十二条 "从其规定": a company that does not register a change is fined 1万–10万
    after the deadline set (逾期不登记) and its licence is not revoked, however serious."""
    facts = {"harm": "none", "is_company": True, "registration_overdue": True, "serious_circumstances": True}
    rec = _run("scjg", "SC-REG-46-1", facts, act)
    assert rec.ruleset.version == version
    assert rec.fine is not None
    assert (rec.fine.statutory_min, rec.fine.statutory_max) == (Decimal(10000), Decimal(100000))
    assert [m.code for m in rec.measures] == ["order_registration_deadline"]
    [statutory] = [step for step in rec.trace if step.step == "statutory"]
    assert statutory.rule == "statutory:company_overdue"
    assert statutory.citation == f"《中华人民共和国公司法》{article}"


def test_shichang_zhuti_dengji_tiaoli_46_still_governs_other_market_entities() -> None:
    rec = _run(
        "scjg",
        "SC-REG-46-1",
        {"harm": "none", "is_company": False, "refused_to_correct": True, "serious_circumstances": True},
        "2024-08-01",
    )
    assert rec.fine is not None and rec.fine.statutory_max == Decimal(100000)
    assert sorted(m.code for m in rec.measures) == ["order_correction", "revoke_business_licence"]
    assert "公司法" not in _citations(rec)


# ------------------------------------------------------------------ 产品质量法 第六十条
@pytest.mark.parametrize("version", ["2021", "2022", "2022-10", "2024-07", "2025"])
def test_chanpin_zhiliang_fa_60_producer_materials_and_tools_are_confiscated(version: str) -> None:
    act = {
        "2021": "2021-09-01",
        "2022": "2022-05-01",
        "2022-10": "2023-03-01",
        "2024-07": "2024-08-01",
        "2025": "2025-11-01",
    }[version]
    producer = _run("scjg", "SC-PQ-49-1", {"goods_value": 1000, "harm": "none"}, act)
    seller = _run("scjg", "SC-PQ-49-1", {"goods_value": 1000, "harm": "none", "is_trader": True}, act)
    fake = _run("scjg", "SC-PQ-50-1", {"goods_value": 1000, "harm": "none", "passed_off_as_genuine": True}, act)
    inferior = _run("scjg", "SC-PQ-50-1", {"goods_value": 1000, "harm": "none"}, act)
    assert producer.ruleset.version == version
    has = [
        ("confiscate_producer_materials" in {m.code for m in r.measures}) for r in (producer, seller, fake, inferior)
    ]
    assert has == [True, False, True, False]
    assert "《中华人民共和国产品质量法》第六十条" in _citations(producer)


# ------------------------------------------------------------------ 无照经营：县级转载的辽宁表
def test_scjg_unlicensed_business_applies_no_county_published_liaoning_table() -> None:
    for rs in _rulesets("scjg"):
        [item] = [i for i in rs.items if i.code == "SC-REG-43-1"]
        assert item.tiers == [] and item.shape == "range", rs.version
        assert not any("辽宁" in s or "台安" in s for s in rs.source)


# ------------------------------------------------------------------ 京环发〔2023〕15号
def test_jinghuanfa_2023_15_ends_the_beijing_no_penalty_entry_on_2023_10_31() -> None:
    facts = {
        "harm": "none",
        "total_investment": 5000000,
        "in_sensitive_area": False,
        "alteration_project": True,
        "construction_stage": "under_construction",
        "stopped_or_restored_on_inspection": True,
    }
    before = _run("sthj", "ST-EIA-31-1", facts, "2023-09-01", "2023-10-15")
    assert before.outcome == "no_penalty" and "京环发〔2022〕14号" in _citations(before)
    assert "《北京市生态环境行政处罚裁量基准（2022年修订版）》" in _citations(before)
    after = _run("sthj", "ST-EIA-31-1", {"harm": "none", "total_investment": 5000000}, "2023-10-31")
    assert after.outcome == "penalty" and after.ruleset.version == "2023-10"
    [old, new] = _rulesets("sthj")
    assert old.effective_to == dt.date(2023, 10, 31) == new.effective_from
    assert [e.id for e in new.lists if "BJ" in e.id] == []


# ------------------------------------------------------------------ 粤环发〔2021〕7号 第十二条（三）
def test_yuehuanfa_2021_7_art_12_3_maximum_only_fine_lenient_20_general_50_percent() -> None:
    general = _run("sthj", "ST-EIA-31-3", {"harm": "none"}, "2024-03-01")
    lenient = _run("sthj", "ST-EIA-31-3", {"harm": "minor", "eliminated_harm": True}, "2024-03-01")
    assert general.fine is not None and lenient.fine is not None
    assert general.fine.statutory_min == 0 and general.fine.statutory_max == Decimal(50000)
    assert (general.fine.min, general.fine.max) == (Decimal(25000), Decimal(25000))  # 50%
    assert (lenient.fine.min, lenient.fine.max) == (Decimal(10000), Decimal(10000))  # 20%


def test_placement_cites_only_the_departments_own_published_rules() -> None:
    """A ruleset cites its own department's placement rule, or says none was found (and that the
    default shares apply); none borrows another department's document."""
    guangdong = {"广东省生态环境行政处罚自由裁量权规定"}  # 广州市生态环境局 is bound by the province's rule
    own = {
        "scjg": {"关于规范市场监督管理行政处罚裁量权的指导意见"},
        "sthj": guangdong,
        "gzsthj": guangdong,
        "gdsthj": guangdong,
        "dgsthj": guangdong,  # 东莞 too (粤环发〔2021〕7号 第二条), through extends: [gdsthj/2022]
        "rmyh": {"中国人民银行行政处罚裁量基准适用规定"},
    }
    for dept in LIB.departments():
        for rs in _rulesets(dept):
            if rs.placement is None:
                continue
            laws = {c.law for c in rs.placement.basis}
            borrowed = {
                law for law in laws if law not in own.get(dept, set()) and not law.startswith("本规则集的缺省落点比例")
            }
            assert borrowed == set(), (rs.ref, borrowed)
            uses_guangdong = "广东省生态环境行政处罚自由裁量权规定" in laws
            if uses_guangdong:
                assert (rs.placement.lenient, rs.placement.general) == (
                    (Decimal("0.2"), Decimal("0.2")),
                    (Decimal("0.5"), Decimal("0.5")),
                )
            else:
                assert any(law.startswith("本规则集的缺省落点比例") for law in laws), rs.ref


# ------------------------------------------------------------------ 大气污染防治法 第八十二条第一款
def test_daqi_fa_82_1_is_the_duty_behind_119_2_and_74_2_77_behind_119_1() -> None:
    [rs] = _rulesets("cgzf")
    items = {i.code: i for i in rs.items}
    duty = [(c.article, c.paragraph) for c in items["CG-AIR-119-2"].legal_basis]
    assert duty == [(82, 1)]
    duty = [(c.article, c.paragraph) for c in items["CG-AIR-119-1"].legal_basis]
    assert duty == [(74, 2), (77, None)]
    assert all(c.article != 119 for c in items["CG-AIR-119-1"].legal_basis)


# ------------------------------------------------------------------ 道路运输条例 第六十三条（2022 年文本）
def test_daolu_yunshu_tiaoli_63_the_2022_text_kept_one_range_the_split_came_in_2023() -> None:
    """The 2022 text of 第六十三条 still has one range for every kind of operation
    (3万–10万 without gains); the 普通货运 split (3000–1万) is in the 2023 text."""
    header = (BUNDLED / "jtys" / "2023.yaml").read_text(encoding="utf-8").split("department:")[0]
    assert "2019 年旧文本（3万–10万）在本版本施行期间已不是现行规定" not in header
    assert "2023-07-20 第五次修订才有的" in header


def test_anquan_shengchan_fa_2021_in_force_from_2021_09_01() -> None:
    """安全生产法 2021年6月10日修正: LawRefBook/Laws (commit 2f4c5c2) db.sqlite3 gives publish 2021-06-10 and
    valid_from 2021-09-01; the yjgl ruleset that encodes it starts on that day, not on the day it was passed."""
    [yjgl] = LIB.versions("yjgl")
    assert LIB.period(yjgl)[0] == dt.date(2021, 9, 1)


def test_zhongzi_fa_2021_in_force_before_nyny_2022() -> None:
    """种子法 2021年12月24日修正 in force 2022-03-01 (mirror valid_from): before nyny/2022 starts (2022-05-01), so
    NY-ZZ-76-1 quotes the text in force for its whole period."""
    [nyny] = LIB.versions("nyny")
    assert LIB.period(nyny)[0] >= dt.date(2022, 3, 1)


@pytest.mark.parametrize(("dept", "version"), [("scjg", "2022-10"), ("sthj", "2023-10")])
def test_article_37_speaks_of_laws_so_a_benchmark_only_version_says_so_and_claims_no_rule_it_lacks(
    dept: str, version: str
) -> None:
    """第三十七条 concerns 法律、法规、规章. scjg/2022-10 (国市监法规〔2022〕2号) and sthj/2023-10 (京环发〔2022〕14号
    repealed) change only the benchmark, and neither document states how old and new benchmarks apply: the version
    declares `change: benchmark, transition: lighter` with no transition_basis, and the trace says the new benchmark
    states nothing and 从旧兼从轻 is followed by analogy, citing 第三十七条 as the analogy."""
    rs = next(r for r in LIB.versions(dept) if r.ruleset.version == version).ruleset
    assert (rs.change, rs.transition, rs.transition_basis) == ("benchmark", "lighter", None)
    item, facts, act, decision = (
        ("SC-FOOD-124-1-1", {"goods_value": 8000, "harm": "serious"}, "2022-09-01", "2022-11-01")
        if dept == "scjg"
        else ("ST-EIA-31-1", {"harm": "none", "total_investment": 5000000}, "2023-09-01", "2023-11-15")
    )
    rec = _run(dept, item, facts, act, decision)
    step = next(s for s in rec.trace if s.step == "version" and s.rule == f"{dept}/{version}")
    assert "新基准未载明新旧基准如何适用，参照从旧兼从轻" in step.effect and "过渡规定" not in step.effect
    assert step.citation == "《中华人民共和国行政处罚法》第三十七条"
