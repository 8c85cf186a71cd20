"""Export then import gives the same ruleset: every bundled ruleset, any choice of its items, both formats.

"The same" is the content hash of the resolved ruleset (what every recommendation names) and,
for a readable failure, the dump with conditions compared by syntax tree. Bundled rulesets
must come back with no marker at all. Beside the bundled rulesets the corpus holds the
language's illustrative ruleset (examples/language) and tests/tables/constructs, which sets
every field the other two leave unset; a test checks that the corpus sets every field of every
model of the language, so a construct added to the language without a table form fails here.
"""

from __future__ import annotations

import enum
import tempfile
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from discretion import RulesetLibrary
from discretion import ruleset as language
from discretion.compiler import content_hash, resolve
from discretion.loader import parse_ruleset
from discretion.tables import appendix, import_table
from discretion.tables.export import SHAPES, export_table
from discretion.tables.penalties import _BOUNDS_WORDS, DIRECTIONS

from .tables.roundtrip import differences, dump

ROOT = Path(__file__).parent.parent
LIB = RulesetLibrary.load()
LIBRARIES = {
    "bundled": LIB,
    "language": RulesetLibrary.load(ROOT / "examples" / "language" / "rulesets"),
    "constructs": RulesetLibrary.load(Path(__file__).parent / "tables" / "constructs"),
}
REFS = [(name, ref) for name, lib in LIBRARIES.items() for ref in sorted(lib.files)]


def _needed(lib: RulesetLibrary, ref: str) -> set[int]:
    """Items whose own facts a list entry reads: a ruleset without them is not a ruleset."""
    own = lib.files[ref].ruleset
    return {i for i, item in enumerate(own.items) if any(f in e.when for e in own.lists for f in item.facts)}


def _round_trip(lib: RulesetLibrary, ref: str, sub: language.Ruleset, fmt: str, tmp: Path) -> None:
    own = lib.files[ref].ruleset
    parents = [lib.compiled[p].ruleset for p in own.extends]
    resolved = resolve(sub, parents)
    out = tmp / f"{own.department}-{own.version}.{fmt}"
    export_table(resolved, sub, out, fmt)
    text, draft = import_table(
        out, department=own.department, version=own.version, extends=list(own.extends), rulesets=lib.root
    )
    assert draft.markers == [], [m.as_dict() for m in draft.markers]
    assert draft.share == 1.0
    back = parse_ruleset(text)
    assert differences(dump(sub), dump(back)) == []
    assert content_hash(resolve(back, parents)) == content_hash(resolved)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(which=st.sampled_from(REFS), fmt=st.sampled_from(["docx", "xlsx"]), data=st.data())
def test_export_then_import_gives_the_same_ruleset(which: tuple[str, str], fmt: str, data: st.DataObject) -> None:
    lib = LIBRARIES[which[0]]
    own = lib.files[which[1]].ruleset
    chosen = data.draw(st.sets(st.integers(0, max(len(own.items) - 1, 0)), max_size=6)) if own.items else set()
    sub = own.model_copy(update={"items": [own.items[i] for i in sorted(chosen | _needed(lib, which[1]))]})
    with tempfile.TemporaryDirectory() as tmp:
        _round_trip(lib, which[1], sub, fmt, Path(tmp))


def test_whole_bundled_rulesets_round_trip_to_the_same_hash(tmp_path: Path) -> None:
    for ref in sorted(LIB.files):
        own = LIB.files[ref].ruleset
        out = tmp_path / f"{own.department}-{own.version}.xlsx"
        export_table(LIB.compiled[ref].ruleset, own, out, "xlsx")
        text, draft = import_table(out, department=own.department, version=own.version, extends=list(own.extends))
        assert draft.markers == []
        back = parse_ruleset(text)
        parents = [LIB.compiled[p].ruleset for p in own.extends]
        assert content_hash(resolve(back, parents)) == LIB.compiled[ref].hash, ref


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize("which", [r for r in REFS if r[0] != "bundled"], ids=lambda r: f"{r[0]}-{r[1]}")
def test_every_construct_of_the_language_round_trips(which: tuple[str, str], fmt: str, tmp_path: Path) -> None:
    """The language example and the constructs fixture, whole: may, bands, direction, bounds, given(),
    True, weighted (start, cap, groups, negative weights, bases), displaces, reduce, change/transition …"""
    lib = LIBRARIES[which[0]]
    _round_trip(lib, which[1], lib.files[which[1]].ruleset, fmt, tmp_path)
    assert content_hash(lib.files[which[1]].ruleset) == content_hash(lib.files[which[1]].ruleset)


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """Every model of the language reachable from `model` through its fields' annotations."""
    if model.__name__ in seen:
        return seen
    seen[model.__name__] = model

    def walk(t: Any) -> None:
        if isinstance(t, type) and issubclass(t, BaseModel):
            _models(t, seen)
        for arg in typing.get_args(t):
            walk(arg)

    for f in model.model_fields.values():
        walk(f.annotation)
    return seen


def _set_fields(value: Any, out: set[tuple[str, str]]) -> set[tuple[str, str]]:
    if isinstance(value, BaseModel):
        for name in value.model_fields_set:
            if getattr(value, name) not in (None, [], {}):
                out.add((type(value).__name__, name))
            _set_fields(getattr(value, name), out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _set_fields(v, out)
    elif isinstance(value, dict):
        for v in value.values():
            _set_fields(v, out)
    return out


def test_the_corpus_sets_every_field_of_the_language() -> None:
    """A field of the language that no round-tripped ruleset sets is a construct the table form is not tested on."""
    every = {(name, f) for name, m in _models(language.Ruleset, {}).items() for f in m.model_fields}
    used: set[tuple[str, str]] = set()
    for name, ref in REFS:
        _set_fields(LIBRARIES[name].files[ref].ruleset, used)
    assert sorted(every - used) == []


def _values(t: Any) -> set[str]:
    for arg in (t, *typing.get_args(t)):
        if isinstance(arg, type) and issubclass(arg, enum.Enum):
            return {str(v.value) for v in arg}
        if typing.get_origin(arg) is typing.Literal:
            return {str(v) for v in typing.get_args(arg)}
    return set().union(*(_values(a) for a in typing.get_args(t))) if typing.get_args(t) else set()


@pytest.mark.parametrize(
    ("model", "field", "words"),
    [
        (language.FineSpec, "bounds", set(_BOUNDS_WORDS.values())),
        (language.Band, "direction", set(DIRECTIONS)),
        (language.Tier, "direction", set(DIRECTIONS)),
        (language.Item, "shape", set(SHAPES)),
        (language.ListEntry, "list", set(appendix.LIST_KINDS.values())),
        (language.ListEntry, "reduce_not_below", set(appendix.NOT_BELOW)),
        (language.Ruleset, "change", set(appendix.INFO_WORDS["change"])),
        (language.Ruleset, "transition", set(appendix.INFO_WORDS["transition"])),
        (language.FactSpec, "type", set(appendix.FACT_TYPES)),
    ],
)
def test_the_table_has_words_for_every_value(model: type[BaseModel], field: str, words: set[str]) -> None:
    """Values the table writes in words (not as YAML): every value the language allows has its words."""
    assert _values(model.model_fields[field].annotation) == words


def test_the_exported_table_is_what_a_department_publishes(tmp_path: Path) -> None:
    """Merged violation cells, tiers as rows, citations written out, lists as a table of their own."""
    from docx import Document

    ref = "cgzf/2023"
    own = LIB.files[ref].ruleset
    out = tmp_path / "cg.docx"
    export_table(LIB.compiled[ref].ruleset, own, out, "docx")
    doc = Document(str(out))
    catalogue = doc.tables[0]
    header = [c.text for c in catalogue.rows[0].cells]
    assert header[:3] == ["序号", "事项编码", "违法行为"] and "裁量基准" in header
    assert [c.text for c in catalogue.rows[1].cells][6:12] == [
        "类别",
        "阶次编号",
        "裁量阶次",
        "适用条件",
        "处罚标准",
        "阶次依据",
    ]
    texts = [[c.text for c in r.cells] for r in catalogue.rows[2:]]
    # CG-PS-50-2: two statutory clauses and three tiers under one merged violation
    rows = [t for t in texts if t[1] == "CG-PS-50-2"]
    assert len(rows) == 5 and [r[6] for r in rows] == ["法定", "法定", "阶次", "阶次", "阶次"]
    assert rows[0][4].startswith("《城镇排水与污水处理条例》第五十条第二款：违反本条例规定")
    assert rows[4][8] == "严重" and "处50000元以上500000元以下罚款" in rows[4][10]
    assert [t.rows[0].cells[0].text for t in doc.tables[1:]][:1] == ["项目"]  # 文件信息, then 事实, 措施


def test_the_weighted_shape_and_the_new_constructs_as_a_department_reads_them(tmp_path: Path) -> None:
    """The words the table uses for the constructs, checked on the cells themselves (not only by round trip)."""
    from openpyxl import load_workbook

    lib = LIBRARIES["constructs"]
    own = lib.files["cons/2024"].ruleset
    out = tmp_path / "cons.xlsx"
    export_table(own, own, out, "xlsx")
    ws = load_workbook(out)["裁量基准"]
    rows = [[str(c.value or "") for c in r] for r in ws.iter_rows(min_row=4)]
    weighted = [r for r in rows if r[6] in ("权重", "权重因素")]
    assert weighted[0][10].startswith("起始权重0.3，最高权重0.9：") and "示意基准》第十条" in weighted[0][11]
    assert [r[7] for r in weighted[1:]] == ["big", "coop", "minor", "major"]
    assert [r[10] for r in weighted[1:]] == ["权重0.4", "权重-0.1", "权重0，互斥组：lv", "权重0.2，互斥组：lv"]
    displaced = [r for r in rows if r[6] == "排除适用"]
    assert [r[7] for r in displaced] == ["CONS-L-COOP"] and displaced[0][11].count("《示意法规》") == 2
    tiers = {r[7]: r for r in rows if r[6] == "阶次"}
    assert tiers["low"][10].split("\n")[0] == "栏目：从轻"
    assert "从轻栏：处【违法所得（元）】2倍以上2.5倍以下罚款，金额不含下限、含上限" in tiers["mid"][10]
    assert "可以吊销许可证件" in tiers["high"][10]
    statutory = {r[7]: r for r in rows[: len(own.items[0].statutory)]}
    assert statutory["base"][9] == "【违法所得（元）】已查明，且【违法所得（元）】超过0元"
    assert "可以处1000元以上5000元以下罚款，金额含上下限" in statutory["unknown"][10]
    assert "可以吊销许可证件（【两年内再次违法】时）" in statutory["base"][10]


#: what a reviewer writes where the real tables leave a marker outside their cells (publisher, date, source, the
#: violated article): the drafts are then whole rulesets
_REVIEWED = {
    "department_name": "审核人员填写的发布机关",
    "effective_from": "2024-01-01",
    "source": "[审核人员填写的来源文件]",
    "legal_basis": "[{law: 审核人员填写的法律, article: 1}]",
}


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize("name", ["jiaotong_jtys.docx", "wuqia_nync.docx", "luanxian_nync.xlsx"])
def test_a_real_tables_draft_once_reviewed_round_trips(name: str, fmt: str, tmp_path: Path) -> None:
    """The facts the importer declares from a document's own words (missed_periods, 违法所得或者货值金额) and its
    own vocabulary (prior offences, goods value, the split on 违法所得), and the ranges settled by neighbouring
    tiers, export and come back as the same ruleset."""
    import re

    fixtures = Path(__file__).parent / "fixtures" / "tables"
    text, _ = import_table(fixtures / name, department="x", version="1", extends=["general/2021"])
    for key, value in _REVIEWED.items():
        text = re.sub(rf"^(\s*{key}): !unresolved \{{.*\}}$", rf"\1: {value}", text, flags=re.M)
    # a statutory fine for wuqia's multiples of 违法所得 (test values, not read from the statute)
    fine = "{multiple_of: illegal_gain, times: [0, 3], ceiling: 30000, fallback: {range: [0, 10000]}}"
    statute = f"{{id: base, fine: {fine}}}"
    text = re.sub(r"^(\s*)statutory: !unresolved \{.*\}$", rf"\1statutory: [{statute}]", text, flags=re.M)
    # 对单位处5万元以上6万元以下罚款 (luanxian): the reviewer keeps the range (the product fines one party)
    text = re.sub(r"^(\s*)fine: !unresolved \{.*\}$", r"\1fine: {range: [50000, 60000]}", text, flags=re.M)
    assert "!unresolved {" not in text
    own = parse_ruleset(text)
    parents = [LIB.compiled["general/2021"].ruleset]
    resolved = resolve(own, parents)
    out = tmp_path / f"x.{fmt}"
    export_table(resolved, own, out, fmt)
    back_text, draft = import_table(out, department="x", version="1", extends=["general/2021"])
    assert draft.markers == [], [m.as_dict() for m in draft.markers]
    back = parse_ruleset(back_text)
    assert differences(dump(own), dump(back)) == []
    assert content_hash(resolve(back, parents)) == content_hash(resolved)
