"""Export then import gives the same ruleset: every bundled ruleset, any choice of its items, both formats.

"The same" is the content hash of the resolved ruleset (what every recommendation names) and,
for a readable failure, the dump with conditions compared by syntax tree. Bundled rulesets
must come back with no marker at all.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from discretion import RulesetLibrary
from discretion.compiler import content_hash, resolve
from discretion.loader import parse_ruleset
from discretion.tables import import_table
from discretion.tables.export import export_table

from .tables.roundtrip import differences, dump

LIB = RulesetLibrary.load()
REFS = sorted(LIB.files)


def _needed(ref: str) -> set[int]:
    """Items whose own facts a list entry reads: a ruleset without them is not a ruleset."""
    own = LIB.files[ref].ruleset
    return {i for i, item in enumerate(own.items) if any(f in e.when for e in own.lists for f in item.facts)}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ref=st.sampled_from(REFS), fmt=st.sampled_from(["docx", "xlsx"]), data=st.data())
def test_export_then_import_gives_the_same_ruleset(ref: str, fmt: str, data: st.DataObject) -> None:
    own = LIB.files[ref].ruleset
    chosen = data.draw(st.sets(st.integers(0, max(len(own.items) - 1, 0)), max_size=6)) if own.items else set()
    sub = own.model_copy(update={"items": [own.items[i] for i in sorted(chosen | _needed(ref))]})
    parents = [LIB.compiled[p].ruleset for p in own.extends]
    resolved = resolve(sub, parents)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"table.{fmt}"
        export_table(resolved, sub, out, fmt)
        text, draft = import_table(out, department=own.department, version=own.version, extends=list(own.extends))
    assert draft.markers == [], [m.as_dict() for m in draft.markers]
    assert draft.share == 1.0
    back = parse_ruleset(text)
    assert differences(dump(sub), dump(back)) == []
    assert content_hash(resolve(back, parents)) == content_hash(resolved)


def test_whole_bundled_rulesets_round_trip_to_the_same_hash(tmp_path: Path) -> None:
    for ref in REFS:
        own = LIB.files[ref].ruleset
        out = tmp_path / f"{own.department}-{own.version}.xlsx"
        export_table(LIB.compiled[ref].ruleset, own, out, "xlsx")
        text, draft = import_table(out, department=own.department, version=own.version, extends=list(own.extends))
        assert draft.markers == []
        back = parse_ruleset(text)
        parents = [LIB.compiled[p].ruleset for p in own.extends]
        assert content_hash(resolve(back, parents)) == LIB.compiled[ref].hash, ref


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
