"""The cell readers, one legal wording at a time: citations, thresholds, penalties, numerals."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from discretion.citation import Citation
from discretion.numerals import chinese_numeral, parse_chinese_numeral
from discretion.tables import import_table
from discretion.tables.citations import Titles, parse_citations
from discretion.tables.marks import Unreadable
from discretion.tables.penalties import DEFAULT_MEASURES, Measures, parse_penalty, statutory_fine
from discretion.tables.thresholds import Vocabulary, parse_condition_text

V = Vocabulary()
M = Measures(dict(DEFAULT_MEASURES))


@given(st.integers(1, 9999))
def test_chinese_numerals_read_back_what_statutes_write(n: int) -> None:
    assert parse_chinese_numeral(chinese_numeral(n)) == n


@pytest.mark.parametrize("text", ["二万五", "一百五", "万", "五五"])
def test_colloquial_or_malformed_numerals_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_chinese_numeral(text)


def test_citation_with_item_in_chinese_and_arabic_numerals() -> None:
    t = Titles([])
    assert parse_citations("《中华人民共和国食品安全法》第一百二十四条第一款第（一）项", t) == [
        Citation(law="中华人民共和国食品安全法", article=124, paragraph=1, item=1)
    ]
    assert parse_citations("《中华人民共和国食品安全法》第124条第1款第(1)项", t) == [
        Citation(law="中华人民共和国食品安全法", article=124, paragraph=1, item=1)
    ]


def test_several_citations_share_the_title_and_article() -> None:
    got = parse_citations(
        "《中华人民共和国食品安全法》第一百二十四条第一款第（一）项、第（二）项和第一百二十五条",
        Titles([]),
    )
    assert [(c.article, c.paragraph, c.item) for c in got] == [
        (124, 1, 1),
        (124, 1, 2),
        (125, None, None),
    ]


def test_short_title_resolved_from_the_documents_first_full_mention() -> None:
    titles = Titles(
        [
            "依据《城镇排水与污水处理条例》（以下简称《条例》）制定",
            "《食品安全法》不在此文中全称出现",
        ]
    )
    assert parse_citations("《条例》第五十条第二款", titles)[0].law == "城镇排水与污水处理条例"
    assert (
        parse_citations("《食品安全法》第三十四条", Titles(["《中华人民共和国食品安全法》第一百二十四条"]))[0].law
        == "中华人民共和国食品安全法"
    )


def test_ambiguous_or_unknown_short_titles_are_not_guessed() -> None:
    two = Titles(["《城镇排水与污水处理条例》", "《城市市容和环境卫生管理条例》"])
    with pytest.raises(Unreadable, match="不能确定"):
        parse_citations("《条例》第五条", two)
    with pytest.raises(Unreadable, match="找不到全称"):
        parse_citations("《条例》第五条", Titles([]))


def test_quoted_provision_text_and_document_number() -> None:
    c = parse_citations(
        "《广东省生态环境行政处罚自由裁量权规定》（粤环发〔2021〕7号）第十二条：从重不低于中间值",
        Titles([]),
    )[0]
    assert (c.law, c.document, c.article, c.text) == (
        "广东省生态环境行政处罚自由裁量权规定",
        "粤环发〔2021〕7号",
        12,
        "从重不低于中间值",
    )


@pytest.mark.parametrize(
    "text,expr",
    [
        ("违法所得1万元以上不满5万元", "10000 <= illegal_gain < 50000"),
        ("违法所得1万元以上5万元以下", "10000 <= illegal_gain <= 50000"),
        ("货值金额超过10万元", "goods_value > 100000"),
        ("货值金额不足一万元", "goods_value < 10000"),
        ("违法所得5000元以下", "illegal_gain <= 5000"),
        ("违法所得5000元以上（含本数）", "illegal_gain >= 5000"),
        ("超标2倍以上不满3倍", "2 <= exceed_multiple < 3"),
        ("涉及10人以上", "persons >= 10"),
        ("逾期30日以上", "days >= 30"),
        ("面积200平方米以下", "area_m2 <= 200"),
        ("数量50吨以上", "tons >= 50"),
        ("违法所得1万元以上不足5万元", "10000 <= illegal_gain < 50000"),
        ("情节轻微", "circumstance == 'minor'"),
        ("情节一般", "circumstance == 'general'"),
        ("情节严重", "circumstance == 'serious'"),
        ("初次违法", "prior_offences == 0"),
        # two amounts joined by 或者: one amount the document measures, a fact labelled with its words
        ("违法所得或者货值金额不足0.5万", "illegal_gain_or_goods_value < 5000"),
        ("货值金额或违法所得5万元以上", "illegal_gain_or_goods_value >= 50000"),
        ("违法经营额或者违法所得超过10万元", "illegal_gain_or_turnover > 100000"),
        ("首次被查处", "prior_offences == 0"),
        ("一年内被查处两次以上的", "prior_offences_1y >= 1"),
        # a duty missed for N of the periods the document names (a number fact its words label)
        ("在1个二级维护间隔时间内未进行维护和检测的", "missed_periods <= 1"),
        ("超过2个二级维护间隔时间未进行维护和检测的", "missed_periods > 2"),
        ("3个检验周期以上未按规定检验", "missed_periods >= 3"),
        ("超标百分之三十以上", "exceed_multiple >= 0.3"),  # (measured − standard) / standard, as 超标0.3倍
        ("超过排放标准50%以下", "exceed_multiple <= 0.5"),
        ("两年内第二次违法", "prior_offences_2y == 1"),
        ("一年内3次以上实施该违法行为的", "prior_offences_1y >= 2"),
        ("再次违法", "prior_offences >= 1"),
        ("未造成危害后果", "harm == 'none'"),
        (
            "初次违法，违法所得不足5000元，未造成危害后果的",
            "prior_offences == 0 and illegal_gain < 5000 and harm == 'none'",
        ),
        (
            "有下列情形之一的：（一）造成严重危害后果；（二）拒不改正的",
            "harm == 'serious' or refused_to_correct",
        ),
    ],
)
def test_threshold_phrases(text: str, expr: str) -> None:
    assert parse_condition_text(text, Vocabulary())[0] == expr


def test_missed_periods_are_one_fact_per_duty_and_period_labelled_with_the_documents_words() -> None:
    v = Vocabulary()
    assert parse_condition_text("在1个二级维护间隔时间内未进行维护和检测的", v)[0] == "missed_periods <= 1"
    assert parse_condition_text("超过2个检验周期未检验的", v)[0] == "missed_periods_2 > 2"
    assert parse_condition_text("超过2个二级维护间隔时间未进行维护和检测的", v)[0] == "missed_periods > 2"
    assert v.facts["missed_periods"] == {
        "type": "number",
        "label": "未进行维护和检测的时间（以二级维护间隔时间计，个数）",
        "minimum": 0,
    }
    assert v.facts["missed_periods_2"]["label"] == "未检验的时间（以检验周期计，个数）"
    with pytest.raises(Unreadable):  # 以下 of a missed duty: not a form the tables use, not guessed
        parse_condition_text("2个检验周期以下未检验", v)


@pytest.mark.parametrize(
    "text,why",
    [
        ("违法所得1万元至5万元", "至"),  # inclusive or not: the document does not say
        ("违法所得5000元以上，违法所得超过6000元", "写法不一"),
        ("拒不改正，经营额在30万元以上的或者造成危害后果的", "范围不明"),
        ("违法所得或者货值金额不足5000", "没有单位"),  # 5000 what? (a table may count in 万元)
        ("违法所得或者造成严重后果", "不能识别"),  # 或者 between an amount and a consequence: two conditions
        ("经营规模较大", "不能识别"),
    ],
)
def test_uncertain_conditions_are_refused_with_the_reason(text: str, why: str) -> None:
    with pytest.raises(Unreadable, match=why):
        parse_condition_text(text, V)


def test_penalties_ranges_multiples_measures_and_may() -> None:
    p = parse_penalty("处5万元以上6.5万元以下罚款，没收违法所得", V, M)
    assert p.fine == {"range": [D(50000), D(65000)]} and p.measures == ["confiscate_illegal_gain"]
    p = parse_penalty("处货值金额10倍以上13倍以下罚款；情节严重的，吊销许可证", V, M, base="goods_value")
    assert p.fine == {"multiple_of": "goods_value", "times": [D(10), D(13)]}
    assert p.measures == [{"code": "revoke_licence", "when": "circumstance == 'serious'"}]
    p = parse_penalty("警告，可以并处1000元以下罚款", V, M)  # 可以: the officer's option, never imposed silently
    assert p.fine == {"range": [D(0), D(1000)], "may": True} and p.measures == ["warning"]
    p = parse_penalty("没收违法所得和非法财物，并处2万元以上5万元以下罚款", V, M)  # 并处 without 可以: imposed
    assert p.fine == {"range": [D(20000), D(50000)]}
    assert p.measures == ["confiscate_illegal_gain", "confiscate_illegal_property"]
    p = parse_penalty("责令停产停业，吊销许可证", V, M)
    assert p.measures == ["suspend_business", "revoke_licence"]
    p = parse_penalty("责令改正，可以责令停产停业", V, M)
    assert p.measures == ["order_correction", {"code": "suspend_business", "may": True}]
    p = parse_penalty("情节严重的，可以吊销许可证", V, M)
    assert p.measures == [{"code": "revoke_licence", "when": "circumstance == 'serious'", "may": True}]


def test_penalties_that_are_not_read_with_certainty() -> None:
    for text in (
        "处5万元以上10万元以下罚款，处1万元罚款",
        "对单位处5万元以上6万元以下罚款",
        "登记违法行为",  # a record alone is no penalty: nothing to impose
        "给予警告，登记违法者名单",
    ):
        with pytest.raises(Unreadable):
            parse_penalty(text, V, M)


def test_statute_fallback_and_escalation() -> None:
    clauses, facts = statutory_fine(
        "违法生产经营的食品货值金额不足一万元的，并处五万元以上十万元以下罚款；货值金额一万元以上的，"
        "并处货值金额十倍以上二十倍以下罚款；情节严重的，吊销许可证",
        V,
    )
    assert clauses == [
        {
            "id": "base",
            "fine": {
                "multiple_of": "goods_value",
                "times": [D(10), D(20)],
                "fallback": {"when": "goods_value < 10000", "range": [D(50000), D(100000)]},
            },
        }
    ]
    clauses, _ = statutory_fine("责令改正，处二千元以上二万元以下的罚款；拒不改正的，处二万元以上十万元以下的罚款", V)
    assert [c.get("when") for c in clauses] == ["not (refused_to_correct)", "refused_to_correct"]
    with pytest.raises(Unreadable):
        statutory_fine("拒不改正的，处1万元以上10万元以下的罚款；情节严重的，并处10万元以上50万元以下的罚款", V)


def test_general_forms_read_for_the_real_tables() -> None:
    """Forms the six real tables use, each read by its general rule (and refused just outside it)."""
    # 经…责令…后，X: the comma after the order is inside one condition
    assert parse_condition_text("经城镇排水主管部门责令限期改正违法行为后，拒不整改；或造成严重危害后果的", V)[0] == (
        "refused_to_correct or harm == 'serious'"
    )
    assert parse_condition_text(
        "造成轻微危害后果且经主管部门责令限期采取治理措施后，能够在限期内采取措施整改完毕的", V
    )[0] == ("harm == 'minor' and corrected_in_time")
    with pytest.raises(Unreadable):  # 超过期限采取措施 (corrected late) is neither refused nor in time
        parse_condition_text("经主管部门责令限期采取治理措施后，无正当理由超过期限采取措施的", V)
    # 没收A和B / 吊销A和B: the verb governs both; 由…机关 names who acts; 构成犯罪的 … is not a penalty
    p = parse_penalty("没收违法生产的产品和用于违法生产的工具、设备、原材料等", V, M)
    assert p.measures == ["confiscate_goods", "confiscate_tools"]
    p = parse_penalty("由发证机关吊销农药生产许可证和相应的农药登记证；构成犯罪的，依法追究刑事责任。", V, M)
    assert p.measures == ["revoke_licence"] and p.notes == ["构成犯罪的，依法追究刑事责任"]
    with pytest.raises(Unreadable):
        parse_penalty("没收违法生产的产品和登记违法行为", V, M)
    # 登记违法行为: the authority records the violation; kept as a note beside the warning, not a penalty
    p = parse_penalty("给予警告，登记违法行为", V, M)
    assert p.fine is None and p.measures == ["warning"] and p.notes == ["登记违法行为"]
    # 可以处 in the statute: the statutory fine is the officer's option
    clauses, _ = statutory_fine("给予警告，可以并处15000元以下的罚款；情节严重的，责令停业整顿", V)
    assert clauses == [{"id": "base", "fine": {"range": [D(0), D(15000)], "may": True}}]
    # 第三十条 text: a bare article in the benchmark of one law (its title) cites that law, text after the space
    t = Titles(["《互联网上网服务营业场所管理条例》行政处罚裁量标准", "吊销《网络文化经营许可证》"])
    with pytest.raises(Unreadable):
        parse_citations("第三十条 经营单位违反本条例的规定", t)
    t.set_subject(["《互联网上网服务营业场所管理条例》行政处罚裁量标准"])
    assert parse_citations("第三十条 经营单位违反本条例的规定", t) == [
        Citation(law="互联网上网服务营业场所管理条例", article=30, text="经营单位违反本条例的规定")
    ]
    t.set_subject(["《甲条例》《乙办法》行政处罚裁量标准"])  # two laws named: a bare article cites neither
    with pytest.raises(Unreadable):
        parse_citations("第三十条 经营单位违反本条例的规定", t)


def test_several_tables_section_rows_and_repeated_headers(tmp_path: Path) -> None:
    """Two catalogue tables in one document; a section heading merged across a row; a header
    repeated after a page break; a table that is not a catalogue (a signature block)."""
    from docx import Document

    header = ["序号", "违法行为", "违法依据", "处罚依据", "违法程度", "具体情形", "处罚幅度"]
    doc = Document()
    doc.add_paragraph("某局行政处罚裁量基准（节选）")
    for n, name in ((1, "甲"), (2, "乙")):
        t = doc.add_table(rows=4, cols=7)
        cells = [
            header,
            ["一、第一类"] + [""] * 6,
            header,
            [
                str(n),
                f"{name}违法行为",
                "《中华人民共和国食品安全法》第三十四条",
                "《中华人民共和国食品安全法》第一百二十四条",
                "一般",
                "违法所得不足5000元",
                "处5万元以上6万元以下罚款",
            ],
        ]
        for r, row in enumerate(cells):
            for c, text in enumerate(row):
                if text:
                    t.cell(r, c).text = text
        t.cell(1, 0).merge(t.cell(1, 6))
    sign = doc.add_table(rows=1, cols=2)
    sign.cell(0, 0).text = "签发人"
    doc.save(str(tmp_path / "t.docx"))
    _, draft = import_table(tmp_path / "t.docx", department="x", version="1", extends=[])
    assert [i["name"] for i in draft.data["items"]] == ["甲违法行为", "乙违法行为"]
    assert [i["code"] for i in draft.data["items"]] == ["X-1-1", "X-2-2"]
    assert draft.data["items"][1]["tiers"][0]["when"] == "illegal_gain < 5000"
    whats = [(n.table, n.row, n.what) for n in draft.notes]
    assert (1, 2, "整行合并的标题或说明行") in whats and (1, 3, "表头在表内重复（分页）") in whats
    assert any(t == 3 and "没有可识别的表头" in w for t, _, w in whats)


def _tiers_of(tmp_path: Path, conditions: list[str]) -> list[object]:
    import csv

    header = ["序号", "违法行为", "违法依据", "处罚依据", "裁量阶次", "适用条件", "处罚标准"]
    basis = "《中华人民共和国食品安全法》第一百二十四条第一款"
    first = ["1", "甲", basis, basis]
    rows = [(first if k == 0 else [""] * 4) + [f"第{k + 1}档", c, "警告"] for k, c in enumerate(conditions)]
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows])
    _, draft = import_table(tmp_path / "t.csv", department="x", version="1", extends=[])
    return [t["when"] for t in draft.data["items"][0]["tiers"]]


@pytest.mark.parametrize(
    "conditions,expected",
    [
        # the ends its neighbours leave: below 不足 (<) → >=, above 以上 (>=) → <
        (
            ["违法所得或者货值金额不足0.5万", "违法所得或者货值金额0.5—1万元", "违法所得或者货值金额1万元以上"],
            "5000 <= illegal_gain_or_goods_value < 10000",
        ),
        # below 以下 (<=) → >, above 超过 (>) → <=; the tiers in descending order settle it the same way
        (["违法所得超过5万元", "违法所得1万元至5万元", "违法所得1万元以下"], "10000 < illegal_gain <= 50000"),
        (["货值金额不满1万元", "货值金额1~3万元", "货值金额3万元以上"], "10000 <= goods_value < 30000"),
    ],
)
def test_a_range_written_with_zhi_takes_the_ends_its_neighbouring_tiers_leave(
    tmp_path: Path, conditions: list[str], expected: str
) -> None:
    whens = _tiers_of(tmp_path, conditions)
    assert whens[1] == expected
    # the tiers then neither overlap nor leave a gap at the two ends and between them
    fact = expected.split()[2]
    lo, hi = D(expected.split()[0]), D(expected.split()[-1])
    for value in (lo - D("0.01"), lo, (lo + hi) / 2, hi, hi + D("0.01")):
        assert sum(bool(eval(str(w), {}, {fact: value})) for w in whens) == 1, value  # noqa: S307


@pytest.mark.parametrize(
    "conditions",
    [
        ["违法所得1万元至5万元", "违法所得5万元以上"],  # no tier below: the lower end is not settled
        ["违法所得不足1万元", "违法所得1万元至5万元"],  # no tier above
        ["违法所得1万元以下", "违法所得不足1万元", "违法所得1万元至5万元", "违法所得5万元以上"],  # two disagree
        ["货值金额不足1万元", "违法所得1万元至5万元", "违法所得5万元以上"],  # a neighbour of another fact
        ["违法所得不足1万元", "违法所得1万元至4万元", "违法所得5万元以上"],  # neighbours at other numbers
        ["违法所得不足1万元", "违法所得5000—1万元", "违法所得1万元以上"],  # 5000万 > 1万: which unit?
    ],
)
def test_a_range_its_neighbours_do_not_settle_stays_marked(tmp_path: Path, conditions: list[str]) -> None:
    from discretion.tables.marks import Marker

    whens = _tiers_of(tmp_path, conditions)
    marked = [w for w in whens if isinstance(w, Marker)]
    assert len(marked) == 1 and ("至" in marked[0].why or "下限" in marked[0].why), whens


def test_phrases_of_the_product_quality_law_and_of_tables_that_include_their_ends() -> None:
    """产品质量法 第四十九条、第五十条 as tables write them: the goods named before 货值金额, a percentage
    below a multiple, 责令停止生产、销售 (an order, not a penalty), 有违法所得的 … 没收违法所得; and a
    tier's amounts followed by （含本数）."""
    p = parse_penalty("责令停止销售，没收违法销售的产品，并处违法销售产品货值金额百分之五十以上一倍以下的罚款", V, M)
    assert p.fine == {"multiple_of": "goods_value", "times": [D("0.5"), D(1)]}
    assert p.measures == ["stop_sale", "confiscate_goods"]
    assert parse_penalty("责令停止生产、销售", V, M).measures == ["stop_production_sale"]
    assert parse_penalty("责令停止经营", V, M).measures == ["stop_business"]  # not 停止销售: the document's words
    p = parse_penalty("并处货值金额一倍以上二倍以下的罚款；有违法所得的，并处没收违法所得", V, M, base="goods_value")
    assert p.measures == [{"code": "confiscate_illegal_gain", "when": "illegal_gain > 0"}]
    clauses, facts = statutory_fine(
        "责令停止生产、销售，没收违法生产、销售的产品，并处违法生产、销售产品货值金额百分之五十以上三倍以下的罚款；"
        "有违法所得的，并处没收违法所得；情节严重的，吊销营业执照",
        V,
    )
    assert clauses == [{"id": "base", "fine": {"multiple_of": "goods_value", "times": [D("0.5"), D(3)]}}]
    assert parse_penalty("处5000元以上1万元以下罚款（含本数）", V, M).fine == {
        "range": [D(5000), D(10000)],
        "bounds": "[]",
    }
    assert parse_condition_text("首次被发现且在责令期限内改正的", V)[0] == "prior_offences == 0 and corrected_in_time"
    assert parse_condition_text("在限期内改正", V)[0] == "corrected_in_time"


@pytest.mark.parametrize("text", ["不予行政处罚", "不予处罚", "免予处罚。", "依法免予行政处罚"])
def test_a_tier_row_that_gives_no_penalty_is_marked_with_the_list_it_belongs_to(text: str) -> None:
    with pytest.raises(Unreadable, match="清单"):
        parse_penalty(text, V, M)


def test_a_tier_row_of_no_penalty_becomes_the_items_list_entry(tmp_path: Path) -> None:
    """Tables often open a violation with a row 轻微 | 首次…及时改正 | 不予行政处罚（，责令改正）: in the language
    that is a no-penalty list entry of the item (the row's condition, its words as the basis), not a tier."""
    import csv

    from discretion.ruleset import ListEntry

    header = ["序号", "违法行为", "违法依据", "处罚依据", "裁量阶次", "适用条件", "处罚标准"]
    basis = "《中华人民共和国食品安全法》第一百二十四条第一款"
    rows = [
        ["某局行政处罚裁量基准"] + [""] * 6,
        header,
        ["1", "甲", basis, basis, "轻微", "初次违法且在责令期限内改正的", "不予行政处罚，责令改正"],
        ["", "", "", "", "较轻", "违法所得不足5000元", "处5万元以上6万元以下罚款"],
        ["", "", "", "", "免罚", "没有造成危害后果的", "免予处罚"],
    ]
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    _, draft = import_table(tmp_path / "t.csv", department="x", version="1", extends=["general/2021"])
    item = draft.data["items"][0]
    assert [t["label"] for t in item["tiers"]] == ["较轻"]  # the no-penalty rows are not tiers
    no_penalty, exemption = draft.data["lists"]
    assert (no_penalty["list"], no_penalty["when"], no_penalty["measures"]) == (
        "no_penalty",
        "prior_offences == 0 and corrected_in_time",
        ["order_correction"],
    )
    assert no_penalty["applies_to"] == [item["code"]] and no_penalty["mandatory"] is True
    assert no_penalty["basis"][0]["law"] == "某局行政处罚裁量基准"
    assert (exemption["list"], exemption["when"]) == ("exemption", "harm == 'none'")
    for entry in (no_penalty, exemption):
        ListEntry.model_validate(entry)  # a valid entry of the language as it stands
    assert not any(m.column == "处罚标准" for m in draft.markers)
