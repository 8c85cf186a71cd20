"""Importing real published benchmark tables (tests/fixtures/tables, see SOURCES.md).

The expectations below are written by hand from each document: what a reviewer reading the
table would encode, cell by cell, and which cells cannot be read with certainty. A cell the
importer structures must equal the expectation (none wrong); a cell it cannot read must be
marked with its position (none dropped, none guessed).
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from discretion.tables import import_table
from discretion.tables.marks import Marker

FIXTURES = Path(__file__).parent / "fixtures" / "tables"
MARK = object()  # the expectation: this value is a marker

XINMI_BASIS_TEXT = (
    "违反本条例规定，排水户不按照污水排入排水管网许可证的要求排放污水的，由城镇排水主管部门责令停止违法行为，"
    "限期改正，可以处5万元以下罚款；造成严重后果的，吊销污水排入排水管网许可证，并处5万元以上50万元以下罚款，"
    "可以向社会予以通报；造成损失的，依法承担赔偿责任；构成犯罪的，依法追究刑事责任。"
)

WANGBA_30 = (
    "互联网上网服务营业场所经营单位违反本条例的规定，有下列行为之一的，由文化行政部门给予警告，"
    "可以并处15000元以下的罚款；情节严重的，责令停业整顿，直至吊销《网络文化经营许可证》：（一）在规定的营业时间以外营业的；"
    "（二）接纳未成年人进入营业场所的；（三）经营非网络游戏的；（四）擅自停止实施经营管理技术措施的；"
    "（五）未悬挂《网络文化经营许可证》或者未成年人禁入标志的"
)

EXPECT: dict[str, dict[str, Any]] = {
    "xinmi_cgzf.docx": {
        "items": [
            {
                "name": "排水户不按照污水排入排水管网许可证的要求排放污水",
                "legal_basis": MARK,  # the table has no 违法依据 column
                "penalty_basis": [
                    {
                        "law": "城镇排水与污水处理条例",
                        "article": 50,
                        "paragraph": 2,
                        "text": XINMI_BASIS_TEXT,
                    }
                ],
                # 可以处5万元以下罚款；造成严重后果的 … 并处5万元以上50万元以下罚款 — two clauses
                "statutory": [
                    {
                        "id": "base",
                        "when": "not (harm == 'serious')",
                        "fine": {"range": [D(0), D(50000)], "may": True},  # 可以处: the officer's option
                    },
                    {
                        "id": "escalated",
                        "label": "造成严重后果的",
                        "when": "harm == 'serious'",
                        "fine": {"range": [D(50000), D(500000)]},
                    },
                ],
                "tiers": [
                    {
                        "id": "minor",
                        "label": "轻微",
                        # 造成轻微危害后果且经…责令限期采取治理措施后，能够在限期内采取措施整改完毕的
                        "when": "harm == 'minor' and corrected_in_time",
                        # 责令停止违法行为，限期改正: no fine — [0, 0] (a tier without `fine` takes the statute's range)
                        "fine": {"range": [D(0), D(0)]},
                        "measures": ["stop_violation", "order_correction"],
                    },
                    {
                        "id": "general",
                        "label": "一般",
                        "when": MARK,
                        "fine": {"range": [D(0), D(50000)]},
                        "measures": ["stop_violation", "order_correction"],
                    },
                    {
                        "id": "serious",
                        "label": "严重",
                        # 经…责令限期改正违法行为后，拒不整改；或造成严重危害后果的
                        "when": "refused_to_correct or harm == 'serious'",
                        "fine": {"range": [D(50000), D(500000)]},
                        "measures": ["revoke_licence"],
                    },
                ],
            }
        ],
        # 造成一定危害后果或经…后，无正当理由超过期限采取措施的: 超过期限采取措施 (late) is no declared fact
        "marked_cells": {(3, "适用条件")},
    },
    "luanxian_nync.xlsx": {
        "items": [
            {
                "name": "登记试验单位出具虚假登记试验报告的",
                "legal_basis": MARK,  # the one 法律依据 column quotes the penalty provision
                "penalty_basis": [{"law": "农药管理条例", "article": 51}],
                "statutory": [{"id": "base", "fine": {"range": [D(50000), D(100000)]}}],
                "tiers": [
                    {
                        "id": "light",
                        "label": "较轻",
                        "when": "illegal_gain == 0",
                        "fine": MARK,
                    },  # 对单位处…
                    {
                        "id": "general",
                        "label": "一般",
                        "when": "illegal_gain <= 50000",
                        "fine": {"range": [D(60000), D(80000)]},
                    },
                    {
                        "id": "heavier",
                        "label": "较重",
                        "when": "illegal_gain >= 50000",
                        "fine": {"range": [D(80000), D(100000)]},
                    },
                ],
            },
            {
                "name": "未取得农药生产许可证生产农药或者生产假农药的",
                "legal_basis": MARK,
                "penalty_basis": [{"law": "农药管理条例", "article": 52, "paragraph": 1}],
                "statutory": [
                    {
                        "id": "base",
                        "fine": {
                            "multiple_of": "goods_value",
                            "times": [D(10), D(20)],
                            "fallback": {
                                "when": "goods_value < 10000",
                                "range": [D(50000), D(100000)],
                            },
                        },
                    }
                ],
                "tiers": [
                    # 违法所得或者货值金额: one amount the document measures (the fact declared with these words as
                    # its label), not a choice between 违法所得 and 货值金额; 0.5万 is 5000元
                    {
                        "id": "light",
                        "label": "较轻",
                        "when": "illegal_gain_or_goods_value < 5000",
                        # 没收违法生产的产品和用于违法生产的工具、设备、原材料等 / 处5万元以上7万元以下罚款
                        "fine": {"range": [D(50000), D(70000)]},
                        "measures": ["confiscate_goods", "confiscate_tools"],
                    },
                    {
                        "id": "general",
                        "label": "一般",
                        # 0.5—1万元: the ends its neighbours leave (不足0.5万 below, 1万元以上 above)
                        "when": "5000 <= illegal_gain_or_goods_value < 10000",
                        "fine": {"range": [D(70000), D(100000)]},
                    },
                    {
                        "id": "heavier",
                        "label": "较重",
                        "when": "illegal_gain_or_goods_value >= 10000",
                        # 处货值金额10倍以上20倍以下罚款，由发证机关吊销农药生产许可证和相应的农药登记证；
                        # 构成犯罪的，依法追究刑事责任 (not an administrative penalty: a note)
                        "fine": {"times": [D(10), D(20)]},
                        "measures": ["revoke_licence"],
                    },
                ],
            },
        ],
        "marked_cells": {
            (3, "处罚裁量标准"),
        },
    },
    "wuqia_nync.docx": {
        "items": [
            {
                "name": name,
                "legal_basis": MARK,
                "penalty_basis": [{"law": "肥料登记管理办法"}],
                "statutory": MARK,  # only the title is cited: the statutory range is not in the table
                # 警告,并处违法所得X倍的罚款,最高不超过Y万元;没有违法所得的,处A元以上B元以下的罚款: each row is two
                # tiers, with a gain (> 0) and without (== 0); a gain that cannot be determined is in neither
                "tiers": [
                    tier
                    for tid, label, when, times, ceiling, no_gain in (
                        ("light", "较轻", "goods_value <= 10000", (1, 1), ceilings[0], (1000, 4000)),
                        ("general", "一般", "10000 <= goods_value <= 50000", (1, "2.5"), ceilings[1], (4000, 7000)),
                        ("serious", "严重", "goods_value >= 50000", ("2.5", 3), ceilings[2], (7000, 10000)),
                    )
                    for tier in (
                        {
                            "id": tid,
                            "label": label,
                            "when": f"{when} and illegal_gain > 0",
                            "fine": {"times": [D(times[0]), D(times[1])], "ceiling": D(ceiling)},
                            "measures": ["warning"],
                        },
                        {
                            "id": f"{tid}_no_gain",
                            "label": f"{label}（没有违法所得）",
                            "when": f"{when} and illegal_gain == 0",
                            "fine": {"range": [D(no_gain[0]), D(no_gain[1])]},
                            "measures": ["warning"],
                        },
                    )
                ],
            }
            for name, ceilings in (
                ("生产、销售未取得登记证的肥料产品", (10000, 20000, 30000)),
                ("转让肥料登记证或登记证号", (10000, 15000, 20000)),
            )
        ],
        "marked_cells": set(),
    },
    "wangba_whsc.xlsx": {
        "items": [
            {
                "name": "（一）在规定的营业时间以外营业的",
                "legal_basis": MARK,
                # "第三十条 …" without a title, in the benchmark of 《互联网上网服务营业场所管理条例》 (its title)
                "penalty_basis": [{"law": "互联网上网服务营业场所管理条例", "article": 30, "text": WANGBA_30}],
                # 给予警告，可以并处15000元以下的罚款: the fine is the officer's option
                "statutory": [{"id": "base", "fine": {"range": [D(0), D(15000)], "may": True}}],
                "tiers": [
                    # 给予警告，登记违法行为: a warning, no fine; 登记 (recording the violation) is a note
                    {
                        "id": "minor",
                        "label": "轻微违法行为",
                        "when": "prior_offences_1y == 0",
                        "fine": {"range": [D(0), D(0)]},
                        "measures": ["warning"],
                    },
                    {
                        "id": "general",
                        "label": "一般违法行为",
                        "when": "prior_offences_1y == 1",
                        "fine": {"range": [D(0), D(3000)], "may": True},  # 可以并处
                        "measures": ["warning"],
                    },
                    {
                        "id": "heavier",
                        "label": "较重违法行为",
                        "when": "prior_offences_1y == 2",
                        "fine": {"range": [D(3000), D(8000)], "may": True},  # 可以并处
                        "measures": ["warning"],
                    },
                    {
                        "id": "serious",
                        "label": "严重违法行为",
                        "when": "prior_offences_1y == 3",
                        "fine": {"range": [D(8000), D(15000)], "may": True},  # 可以并处
                        "measures": ["warning"],
                    },
                    {
                        "id": "very_serious",
                        "label": "特别严重违法行为",
                        "when": "prior_offences_1y >= 4",
                        "fine": MARK,
                    },
                ],
            }
        ],
        "marked_cells": {(7, "行政处罚标准")},
        "notes": ["第3行：“登记违法行为”不是行政处罚，未编码", "第3行：处罚标准未载罚款，阶次罚款为0元（不罚款）"],
    },
    "taian_scjg.xlsx": {
        "items": [
            {
                "name": "未经设立登记从事一般经营活动",
                "legal_basis": MARK,
                "penalty_basis": [{"law": "中华人民共和国市场主体登记管理条例实施细则", "article": 68}],
                "statutory": MARK,  # 拒不改正的 … ；情节严重的 … : two escalations, the importer does not order them
                "tiers": [
                    {
                        "id": "lenient",
                        "label": "从轻",
                        "when": "refused_to_correct and turnover < 100000 and harm == 'none'",
                        "fine": {"range": [D(10000), D(37000)]},
                    },
                    {
                        "id": "general",
                        "label": "一般",
                        "when": "refused_to_correct and 100000 <= turnover < 300000 and harm == 'none'",
                        "fine": {"range": [D(37000), D(73000)]},
                    },
                    # 拒不改正，经营额在30万元以上的或者造成危害后果的: the scope of 或 is not certain
                    {
                        "id": "aggravated",
                        "label": "从重",
                        "when": MARK,
                        "fine": {"range": [D(73000), D(100000)]},
                    },
                ],
            }
        ],
        "marked_cells": {(4, "处罚依据"), (6, "适用情形")},
    },
    "jiaotong_jtys.docx": {
        "items": [
            {
                "name": "客运经营者、货运经营者不按规定维护和检测运输车辆",
                "legal_basis": MARK,
                "penalty_basis": [{"law": "中华人民共和国道路运输条例", "article": 70, "paragraph": 1}],
                "statutory": [{"id": "base", "fine": {"range": [D(1000), D(5000)]}}],
                "tiers": [
                    # how long the vehicle went without 维护和检测, counted in 二级维护 intervals: a number fact
                    # labelled with the document's words (missed_periods, checked below); 在1个…内 is ≤ 1
                    {
                        "id": "minor",
                        "label": "情节轻微",
                        "when": "prior_offences == 0 and missed_periods <= 1",
                        "fine": {"range": [D(1000), D(1000)]},
                    },
                    # 一年内被查处两次以上 (this one the second at least); 超过2个…间隔时间 is > 2; 或造成严重后果
                    {
                        "id": "serious",
                        "label": "情节严重",
                        "when": "prior_offences_1y >= 1 or missed_periods > 2 or harm == 'serious'",
                        "fine": {"range": [D(5000), D(5000)]},
                    },
                ],
            }
        ],
        "facts": {
            "missed_periods": {
                "type": "number",
                "label": "未进行维护和检测的时间（以二级维护间隔时间计，个数）",
                "minimum": 0,
            }
        },
        "marked_cells": set(),
    },
}


def _import(name: str) -> Any:
    _, draft = import_table(FIXTURES / name, department="x", version="1", extends=["general/2021"])
    return draft


def _check(expected: Any, actual: Any, where: str) -> None:
    if expected is MARK:
        assert isinstance(actual, Marker), f"{where}: expected a marker, got {actual!r}"
        return
    assert not isinstance(actual, Marker), f"{where}: marked ({actual.why}), expected {expected!r}"
    if isinstance(expected, dict):
        if where.endswith(".fine"):  # a fine is exactly what the table says: no key more (may, ceiling …)
            assert isinstance(actual, dict) and set(actual) == set(expected), f"{where}: {actual!r} != {expected!r}"
        for key, value in expected.items():
            assert isinstance(actual, dict) and key in actual, f"{where}.{key}: missing in {actual!r}"
            _check(value, actual[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            _check(e, a, f"{where}[{i}]")
    else:
        assert expected == actual, f"{where}: {actual!r} != {expected!r}"


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_real_table_imports_as_read_by_hand(name: str) -> None:
    draft = _import(name)
    items = draft.data["items"]
    assert len(items) == len(EXPECT[name]["items"])
    for i, (expected, actual) in enumerate(zip(EXPECT[name]["items"], items, strict=True)):
        _check(expected, actual, f"{name}: items[{i}]")
        for key in (
            "legal_basis",
            "penalty_basis",
        ):  # a citation has no part the document does not give
            if isinstance(expected[key], list):
                assert [set(c) - {"text"} for c in actual[key]] == [set(c) - {"text"} for c in expected[key]]
        # nothing the expectation leaves out may be structured silently: tiers carry only these keys
        for t_exp, t_act in zip(expected["tiers"], actual.get("tiers", []), strict=False):
            assert set(t_act) - {"basis"} <= set(t_exp) | {"fine", "measures"}, t_act
            # a tier without `fine` takes the statute's whole range: only where the expectation says so
            assert ("fine" in t_act) == ("fine" in t_exp), f"{name}: {t_act['id']}: fine {t_act.get('fine')!r}"


@pytest.mark.parametrize("name", sorted(n for n in EXPECT if "notes" in EXPECT[n]))
def test_what_a_table_says_that_is_not_a_penalty_is_noted(name: str) -> None:
    [item] = _import(name).data["items"]
    assert item["note"].split("\n") == EXPECT[name]["notes"]


@pytest.mark.parametrize("name", sorted(n for n in EXPECT if "facts" in EXPECT[n]))
def test_the_facts_a_documents_words_declare(name: str) -> None:
    """A fact the importer declares from the document's own words (not from its fixed vocabulary)."""
    facts = _import(name).data["facts"]
    for fact, spec in EXPECT[name]["facts"].items():
        assert facts[fact] == spec


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_every_unread_cell_is_marked_with_its_position(name: str) -> None:
    draft = _import(name)
    cells = {(m.row, m.column) for m in draft.markers if m.table == 1 and m.text}
    assert {c for c in cells if c[1] not in ("违法依据", "法律依据", "法定幅度")} == EXPECT[name]["marked_cells"]
    for m in draft.markers:
        assert m.why, m
    # the share counts each marked cell as not structured, never more than the cells read
    assert draft.cells_structured + len(EXPECT[name]["marked_cells"]) <= draft.cells_total


def test_share_of_cells_structured_across_the_real_tables() -> None:
    """The measured share (reported in the README); the rest is marked, none wrong (tests above)."""
    drafts = [_import(n) for n in EXPECT]
    total = sum(d.cells_total for d in drafts)
    structured = sum(d.cells_structured for d in drafts)
    marked = sum(len(e["marked_cells"]) for e in EXPECT.values())
    assert structured + marked == total


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_no_cell_is_dropped(name: str) -> None:
    """Every non-empty cell under the header is structured or marked (counted), or named in a note."""
    from discretion.tables.columns import find_header
    from discretion.tables.reading import read_document

    doc = read_document(FIXTURES / name)
    table = doc.tables[0]
    header = find_header(table)
    assert header is not None
    cells = {(c.row, c.col) for r in table.rows[header.last_row :] for c in r if c.text}
    draft = _import(name)
    noted = {n.row for n in draft.notes if n.what.startswith(("整行", "表头在表内", "在第一个"))}
    assert draft.cells_total == len({c for c in cells if c[0] not in noted})
