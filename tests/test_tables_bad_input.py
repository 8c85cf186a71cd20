"""Bad tables: a clear error (exit 2, naming the file or position) or a marked cell — never a traceback."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from discretion.cli import app
from discretion.tables import import_table
from discretion.tables.reading import TableImportError

runner = CliRunner()
HEADER = ["序号", "违法行为", "违法依据", "处罚依据", "裁量阶次", "适用条件", "处罚标准"]
BASIS = "《中华人民共和国食品安全法》第一百二十四条第一款"


def _import(path: Path, tmp: Path, *extra: str):  # type: ignore[no-untyped-def]
    return runner.invoke(
        app,
        [
            "import",
            str(path),
            "--department",
            "x",
            "--version",
            "1",
            "--out",
            str(tmp / "draft.yaml"),
            *extra,
        ],
    )


def _refused(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for w in words:
        assert w in result.output, result.output


def test_a_docx_without_a_table(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_paragraph("关于印发行政处罚裁量基准的通知（正文，没有表格）")
    doc.save(str(tmp_path / "notice.docx"))
    _refused(_import(tmp_path / "notice.docx", tmp_path), "no table")


@pytest.mark.parametrize(
    "name,content",
    [
        (
            "encrypted.docx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        ),  # what Word writes for a password
        ("encrypted.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),
    ],
)
def test_password_protected_files(tmp_path: Path, name: str, content: bytes) -> None:
    (tmp_path / name).write_bytes(content)
    _refused(_import(tmp_path / name, tmp_path), "password-protected")


def test_corrupt_and_misnamed_files(tmp_path: Path) -> None:
    (tmp_path / "image.xlsx").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    _refused(_import(tmp_path / "image.xlsx", tmp_path), "not a .xlsx")
    with zipfile.ZipFile(tmp_path / "broken.docx", "w") as z:
        z.writestr("word/document.xml", "<w:document><w:body><w:tbl>")  # truncated XML, no content types
    _refused(_import(tmp_path / "broken.docx", tmp_path), "corrupt .docx")
    (tmp_path / "table.pdf").write_bytes(b"%PDF-1.7")
    _refused(_import(tmp_path / "table.pdf", tmp_path), "unsupported file type")
    _refused(_import(tmp_path / "missing.csv", tmp_path), "cannot read")


def test_a_table_with_no_recognisable_header(tmp_path: Path) -> None:
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["姓名", "电话"], ["张三", "123"]])
    _refused(_import(tmp_path / "t.csv", tmp_path), "no table with a recognisable header")


def test_a_text_that_is_not_a_table(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_bytes("行政处罚裁量基准是行政机关……\n".encode("gb18030") + b"\xff\xfe\x00")
    _refused(_import(tmp_path / "t.csv", tmp_path))


def test_a_merged_cell_that_spans_two_violations_is_marked_not_copied(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    t = doc.add_table(rows=3, cols=len(HEADER))
    rows = [
        HEADER,
        [
            "1",
            "甲违法行为",
            "《中华人民共和国食品安全法》第三十四条",
            BASIS,
            "一般",
            "初次违法",
            "处5万元以上6.5万元以下罚款",
        ],
        [
            "2",
            "乙违法行为",
            "《中华人民共和国食品安全法》第三十五条",
            "",
            "一般",
            "初次违法",
            "处5万元以上6.5万元以下罚款",
        ],
    ]
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            if text:
                t.cell(r, c).text = text
    t.cell(1, 3).merge(t.cell(2, 3))  # 处罚依据 merged over both violations
    doc.save(str(tmp_path / "t.docx"))
    text, draft = import_table(tmp_path / "t.docx", department="x", version="1", extends=[])
    first, second = draft.data["items"]
    assert isinstance(first["penalty_basis"], list)
    marker = second["penalty_basis"]
    assert marker.row == 3 and marker.text == BASIS and "两个违法行为" in marker.why
    assert "!unresolved" in text


def test_a_threshold_written_two_ways_in_one_row_is_marked(tmp_path: Path) -> None:
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(
            [
                HEADER,
                [
                    "1",
                    "甲",
                    "《中华人民共和国食品安全法》第三十四条",
                    BASIS,
                    "违法所得1万元以上",
                    "违法所得超过1万元不满5万元",
                    "处5万元以上6.5万元以下罚款",
                ],
            ]
        )
    _, draft = import_table(tmp_path / "t.csv", department="x", version="1", extends=[])
    when = draft.data["items"][0]["tiers"][0]["when"]
    assert when.row == 2 and when.column == "适用条件" and "写法不一" in when.why


def test_the_draft_fails_validate_until_every_marker_is_resolved(tmp_path: Path) -> None:
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, ["1", "甲", "《条例》第5条", BASIS, "一般", "违法所得1万元至5万元", "警告"]])
    out = tmp_path / "x" / "1.yaml"
    r = runner.invoke(
        app,
        [
            "import",
            str(tmp_path / "t.csv"),
            "--department",
            "x",
            "--version",
            "1",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "《条例》" in r.output and "找不到全称" in r.output  # the report names the cell and the reason
    v = runner.invoke(app, ["validate", str(out)])
    assert v.exit_code == 2 and "unresolved import marker" in v.output and "line" in v.output


def _ten_thousand_rows() -> list[list[str]]:
    """A header and 2,500 violations of 4 tier rows each, the violation's cells blank on its later rows."""
    rows = [HEADER]
    for i in range(2500):
        rows.append(
            [
                str(i + 1),
                f"违法行为{i}",
                "《中华人民共和国食品安全法》第三十四条",
                BASIS,
                "轻微",
                "货值金额不足2000元",
                "处5万元以上6.5万元以下罚款",
            ]
        )
        rows += [
            ["", "", "", "", "一般", "货值金额2000元以上不满5000元", "处6.5万元以上8.5万元以下罚款"],
            ["", "", "", "", "较重", "货值金额5000元以上不满1万元", "处8.5万元以上10万元以下罚款"],
            ["", "", "", "", "严重", "货值金额1万元以上", "处9万元以上10万元以下罚款"],
        ]
    return rows


def test_ten_thousand_rows_import_and_every_row_is_accounted_for(tmp_path: Path) -> None:
    rows = _ten_thousand_rows()
    with (tmp_path / "big.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    _, draft = import_table(tmp_path / "big.csv", department="x", version="1", extends=[])
    assert len(draft.data["items"]) == 2500
    assert sum(len(i["tiers"]) for i in draft.data["items"]) == 10_000
    assert draft.cells_total == 2500 * 7 + 7500 * 3  # every non-empty data cell counted
    with pytest.raises(TableImportError, match="more than 5000 rows"):
        import_table(tmp_path / "big.csv", department="x", version="1", extends=[], max_rows=5000)
    _refused(_import(tmp_path / "big.csv", tmp_path, "--max-rows", "100"), "more than 100 rows")


def test_unknown_extends_is_a_clear_error(tmp_path: Path) -> None:
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER])
    _refused(_import(tmp_path / "t.csv", tmp_path, "--extends", "../../etc/passwd"), "--extends")


def test_export_bad_arguments(tmp_path: Path) -> None:
    _refused(
        runner.invoke(
            app,
            [
                "export",
                "--department",
                "cgzf",
                "--version",
                "2023",
                "--format",
                "pdf",
                "--out",
                str(tmp_path / "x.pdf"),
            ],
        ),
        "--format",
    )
    _refused(
        runner.invoke(
            app,
            [
                "export",
                "--department",
                "nope",
                "--version",
                "2023",
                "--format",
                "xlsx",
                "--out",
                str(tmp_path / "x.xlsx"),
            ],
        ),
        "unknown department",
    )
    _refused(
        runner.invoke(
            app,
            [
                "export",
                "--department",
                "cgzf",
                "--version",
                "2023",
                "--format",
                "xlsx",
                "--out",
                str(tmp_path / "no" / "dir" / "x.xlsx"),
            ],
        ),
        "does not exist",
    )


@pytest.mark.parametrize("cell", ["2025-13-01", "[1, 2", "{a: 2025-02-30}"])
def test_a_yaml_cell_that_cannot_be_read_is_an_unreadable_cell(cell: str) -> None:
    from discretion.tables.appendix import read_facts, read_info
    from discretion.tables.marks import Unreadable

    row = ["goods_value", "货值金额", "金额", "", cell, "", "", "", "", ""]
    with pytest.raises(Unreadable, match="缺省值"):
        read_facts([row])
    with pytest.raises(Unreadable, match="不能识别"):
        read_info([["落点规则", cell]])


def test_a_truncated_docx_and_a_corrupt_xlsx(tmp_path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_table(rows=2, cols=len(HEADER))
    doc.save(str(tmp_path / "whole.docx"))
    data = (tmp_path / "whole.docx").read_bytes()
    (tmp_path / "cut.docx").write_bytes(data[: len(data) // 2])  # a download cut off: no central directory
    _refused(_import(tmp_path / "cut.docx", tmp_path), "not a .docx")
    with zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as z:  # a zip, but its workbook is not a workbook
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<<not xml")
    _refused(_import(tmp_path / "bad.xlsx", tmp_path), "corrupt .xlsx")


def test_an_oversized_file_and_a_zip_that_expands_past_the_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from discretion.tables import reading

    monkeypatch.setattr(reading, "MAX_BYTES", 64 * 1024)  # the bounds scaled down: 64 KiB, expanding to 512 KiB
    with zipfile.ZipFile(tmp_path / "bomb.xlsx", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (1024 * 1024))  # 1 MiB of zeros: about 1 KiB packed
    assert (tmp_path / "bomb.xlsx").stat().st_size < 64 * 1024
    _refused(_import(tmp_path / "bomb.xlsx", tmp_path), "unpacks to", "over the limit")
    (tmp_path / "big.csv").write_bytes(b"a,b\n" * 20_000)
    _refused(_import(tmp_path / "big.csv", tmp_path), "exceeds the limit")


def test_a_cell_too_long_is_refused_with_its_position(tmp_path: Path) -> None:
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADER, ["1", "甲", "《条例》第5条", BASIS, "一般", "初次违法" * 5001, "警告"]])
    _refused(_import(tmp_path / "t.csv", tmp_path), "a cell of more than 20000 characters", "第2行")
    from docx import Document

    doc = Document()
    t = doc.add_table(rows=2, cols=len(HEADER))
    for c, text in enumerate(HEADER):
        t.cell(0, c).text = text
    t.cell(1, 5).text = "初次违法" * 5001
    doc.save(str(tmp_path / "t.docx"))
    _refused(_import(tmp_path / "t.docx", tmp_path), "a cell of 20004 characters", "第2行", "第6列")


def test_ten_thousand_rows_of_xlsx_are_read_in_bounded_memory(tmp_path: Path) -> None:
    """The .xlsx is streamed (read_only) and the draft written item by item: 10,000 tier rows (2,500 violations)
    add well under 200 MiB at peak (measured: ~35 MiB), in a process of their own."""
    import subprocess
    import sys
    import textwrap

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("裁量基准")
    for row in _ten_thousand_rows():
        ws.append(row)
    wb.save(str(tmp_path / "big.xlsx"))
    code = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from discretion.tables import import_table
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _, draft = import_table(Path({str(tmp_path / "big.xlsx")!r}), department="x", version="1", extends=[])
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(len(draft.data["items"]), sum(len(i["tiers"]) for i in draft.data["items"]), (after - before) // 1024)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    items, tiers, added_mib = map(int, out.stdout.split())
    assert (items, tiers) == (2500, 10_000)
    assert added_mib < 200, added_mib
