"""The reviewer's table import (issue 13: "the same as an upload on the reviewer's page"): a published table
through the page gives the share structured, the import report and the very draft `discretion import` writes;
submitted through the draft upload it is stored once its markers are resolved; every bad file is a Chinese
page; other roles, other departments and forms without their CSRF token are refused; the work runs off
the event loop, in the heavy pool."""

from __future__ import annotations

import html
import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session

from discretion.errors import NotFound
from discretion.store.lifecycle import get_version
from discretion.tables import import_table

from .conftest import FIXTURES
from .test_web_reviewer import _ENGLISH, _reviewer_reads
from .web_support import alerts, csrf, loop_spy, people_client, sign_in

TABLES = Path(__file__).parent / "fixtures" / "tables"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def web(seeded):  # type: ignore[no-untyped-def]
    return people_client(seeded, "zhao")


def _import(web, name: str, data: bytes | None = None, **form: str):  # type: ignore[no-untyped-def]
    """POST the import form as the page sends it (fields default to food, 2030, general/2021)."""
    fields = {"csrf": csrf(web.get("/review").text), "department": "food", "version": "2030", "extends": "general/2021"}
    fields.update(form)
    if data is None:
        data = (TABLES / name).read_bytes()
    files = {"file": (name, data, "application/octet-stream")} if name else None
    return web.post("/review/import", data=fields, files=files, follow_redirects=False)


def _textarea(page: str) -> str:
    m = re.search(r'<textarea id="draft-text" name="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert m, "the result page holds the draft in a text box"
    return html.unescape(m.group(1))


def _cli(name: str, version: str = "2030") -> tuple[str, object]:
    """What `discretion import` writes for the same file over the same general rules as the store holds."""
    return import_table(TABLES / name, department="food", version=version, extends=["general/2021"], rulesets=FIXTURES)


@pytest.mark.parametrize("name", ["jiaotong_jtys.docx", "taian_scjg.xlsx"])
def test_a_real_table_gives_the_report_the_share_and_the_cli_draft(web, name: str) -> None:
    r = _import(web, name)
    assert r.status_code == 200, r.text[:2000]
    expected, draft = _cli(name)
    assert _textarea(r.text) == expected  # differential: the very YAML the CLI writes for the same file
    lead = re.sub(r"<[^>]+>", "", r.text.split('<p class="lead">')[1].split("</p>")[0])
    assert f"单元格 {draft.cells_total} 个，已结构化 {draft.cells_structured} 个" in lead  # type: ignore[attr-defined]
    assert f"（{draft.share * 100:.1f}%）" in lead  # type: ignore[attr-defined]
    assert f"待人工处理的标记 {len(draft.markers)} 个" in lead  # type: ignore[attr-defined]
    report = r.text.split("<h2>待处理的单元格</h2>")[1].split("</table>")[0]
    assert [html.unescape(h) for h in re.findall(r'<th scope="col">([^<]+)</th>', report)] == [
        "表格",
        "行",
        "列",
        "原文",
        "原因",
    ]
    rows = re.findall(r"<tr>" + r"<td[^>]*>(.*?)</td>" * 5 + r"</tr>", report, re.S)
    assert len(rows) == len(draft.markers)  # type: ignore[attr-defined]
    for (table, row, column, text, why), m in zip(rows, draft.markers, strict=True):  # type: ignore[attr-defined]
        assert html.unescape(why) == m.why and html.unescape(column) == (m.column or "—")
        assert table == (str(m.table) if m.table else "—") and row == (str(m.row) if m.row else "—")
        assert html.unescape(text) == (m.text or "（空）")
    assert not _ENGLISH.findall(_reviewer_reads(r.text))


def test_submitting_a_draft_with_markers_left_says_where_the_first_one_stands(web) -> None:
    page = _import(web, "jiaotong_jtys.docx").text
    text = _textarea(page)
    r = web.post(
        "/review/upload", data={"csrf": csrf(page), "department": "food", "text": text}, follow_redirects=False
    )
    assert r.status_code == 422
    first = next(i for i, line in enumerate(text.splitlines(), 1) if "!unresolved {" in line)
    said = alerts(r.text)[0]
    assert "尚未处理" in said and f"第 {first} 行" in said and f"还有 {text.count('!unresolved {')} 个" in said
    assert not _ENGLISH.findall(_reviewer_reads(r.text))
    with Session(web.engine) as s, pytest.raises(NotFound):
        get_version(s, "food", "2030")  # nothing stored


def _exported(tmp_path: Path) -> Path:
    """The fixture food/2024 ruleset as the table a department publishes: it reads back without a marker."""
    from discretion import RulesetLibrary
    from discretion.tables.export import export_table

    lib = RulesetLibrary.load(FIXTURES)
    compiled = lib.version("food", "2024")
    out = tmp_path / "food-2024.xlsx"
    export_table(compiled.ruleset, lib.files[compiled.ruleset.ref].ruleset, out, "xlsx")
    return out


def test_a_table_without_markers_is_stored_as_a_draft_through_the_upload(web, tmp_path: Path) -> None:
    table = _exported(tmp_path)
    r = _import(web, "food-2024.xlsx", table.read_bytes())
    assert r.status_code == 200 and "没有待处理的标记" in r.text
    text = _textarea(r.text)
    assert "!unresolved {" not in text and "version: '2030'" in text
    # the reviewer's one edit: the new version takes effect on its own date, not the exported one's
    text = re.sub(r"(?m)^effective_from: .*$", "effective_from: 2030-01-01", text)
    r = web.post(
        "/review/upload", data={"csrf": csrf(r.text), "department": "food", "text": text}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/review/food/2030"), r.text[:3000]
    with Session(web.engine) as s:
        row = get_version(s, "food", "2030")
        assert row.status == "draft" and row.uploaded_by == "zhao" and row.document == text


def test_the_draft_downloads_as_imported_and_as_edited(web) -> None:
    expected, _ = _cli("taian_scjg.xlsx")
    r = _import(web, "taian_scjg.xlsx", then="download")
    assert r.status_code == 200 and r.content.decode("utf-8") == expected
    assert r.headers["content-disposition"] == 'attachment; filename="food-2030.yaml"'
    page = _import(web, "taian_scjg.xlsx").text
    edited = _textarea(page) + "# 已核对\n"
    r = web.post(
        "/review/import/download",
        data={"csrf": csrf(page), "department": "food", "version": "2030", "text": edited},
    )
    assert r.status_code == 200 and r.content.decode("utf-8") == edited
    assert web.post("/review/import/download", data={"department": "food", "version": "2030"}).status_code == 403


def _docx_without_a_table() -> bytes:
    from docx import Document

    buf = io.BytesIO()
    d = Document()
    d.add_paragraph("关于规范行政处罚裁量权的通知：本文没有表格。")
    d.save(buf)
    return buf.getvalue()


def _zip_bomb() -> bytes:
    """An .xlsx-named zip of 420 MB of zeros (under half a megabyte packed): over the importer's bound."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, z.open("xl/worksheets/sheet1.xml", "w") as f:
        chunk = b"\0" * (1 << 20)
        for _ in range(420):
            f.write(chunk)
    return buf.getvalue()


#: bad uploads: (what, file name, content or None for no file, form fields, expected status, words expected)
BAD = [
    ("not a table", "通知.docx", _docx_without_a_table(), {}, 422, "没有表格"),
    ("corrupt xlsx", "表.xlsx", b"PK\x03\x04" + b"\x01" * 500, {}, 422, "不是有效的 .xlsx 文件"),
    ("corrupt docx", "表.docx", _docx_without_a_table()[:3000], {}, 422, "不是有效的 .docx 文件"),
    ("password", "表.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000, {}, 422, "密码保护"),
    ("zip bomb", "表.xlsx", None, {}, 422, "压缩炸弹"),
    ("unknown extension", "表.pdf", b"%PDF-1.4 ...", {}, 422, "只能导入"),
    ("legacy .doc", "表.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", {}, 422, "另存为 .docx"),
    ("no header", "表.csv", "甲,乙,丙\n1,2,3\n".encode(), {}, 422, "可识别表头"),
    ("empty", "表.csv", b"", {}, 422, "文件是空的"),
    ("no file", "", None, {}, 422, "请选择要导入的表格文件"),
    ("no version", "taian_scjg.xlsx", None, {"version": ""}, 422, "请填写草稿的版本号"),
    ("bad version", "taian_scjg.xlsx", None, {"version": "2030 修订"}, 422, "版本号只能由"),
    ("no department", "taian_scjg.xlsx", None, {"department": ""}, 422, "请选择部门"),
    ("bad extends", "taian_scjg.xlsx", None, {"extends": "general 2021/"}, 422, "继承的基准须写成"),
    ("unpublished extends", "taian_scjg.xlsx", None, {"extends": "general/1999"}, 422, "general/1999 不存在或尚未发布"),
    ("binary csv", "表.csv", b"\xff\xfe\x00\x01" * 100, {}, 422, "CSV 文件不是文本"),
]


@pytest.mark.parametrize("what,name,data,form,status,words", BAD, ids=[b[0] for b in BAD])
def test_every_bad_file_is_a_chinese_page(web, what, name, data, form, status, words) -> None:  # type: ignore[no-untyped-def]
    if what == "zip bomb":
        data = _zip_bomb()
    r = _import(web, name, data, **form) if name else _import(web, "", b"", **form)
    assert r.status_code == status, (what, r.status_code, r.text[:500])
    said = alerts(r.text)
    assert said and words in html.unescape(said[0]), (what, said)
    assert not _ENGLISH.findall(_reviewer_reads(r.text)), (what, _ENGLISH.findall(_reviewer_reads(r.text)))
    assert "Traceback" not in r.text
    if form.get("version") != "":
        assert 'value="' + html.escape(form.get("version", "2030")) in r.text  # what was typed is kept


def test_a_file_over_the_bound_is_refused_before_it_is_read(web, monkeypatch) -> None:
    import api.pages.importer as importer

    monkeypatch.setattr(importer, "MAX_UPLOAD", 4096)
    r = _import(web, "taian_scjg.xlsx")
    assert r.status_code == 413 and "的上限，未读取" in alerts(r.text)[0]
    # beyond the service's body limit the request never reaches the page: still a Chinese page
    monkeypatch.undo()
    big = b"0" * (web.app.state.settings.max_body + 1)
    r = _import(web, "big.csv", big)
    assert r.status_code == 413 and "文件过大" in r.text and not _ENGLISH.findall(_reviewer_reads(r.text))


def test_officers_other_departments_and_forms_without_the_token_are_refused(web) -> None:
    token = csrf(web.get("/review").text)
    files = {"file": ("t.xlsx", (TABLES / "taian_scjg.xlsx").read_bytes(), XLSX)}
    form = {"department": "food", "version": "2030"}
    r = web.post("/review/import", data=form, files=files)
    assert r.status_code == 403 and "安全校验" in alerts(r.text)[0]
    r = web.post("/review/import", data={**form, "csrf": token, "department": "other"}, files=files)
    assert r.status_code == 403 and "其他部门" in r.text
    web.cookies.clear()
    sign_in(web, "li")  # an officer
    r = web.post("/review/import", data={**form, "csrf": csrf(web.get("/evaluate").text)}, files=files)
    assert r.status_code == 403 and "无权" in r.text
    with Session(web.engine) as s, pytest.raises(NotFound):
        get_version(s, "food", "2030")


def test_the_import_runs_off_the_event_loop_in_the_heavy_pool(web, monkeypatch) -> None:
    """In a heavy worker (threads here: a spy cannot see into a child process); a full pool is a Chinese page."""
    import api.importing as importing
    import api.pages.importer as importer
    import api.review as review

    monkeypatch.setattr(review, "USE_PROCESSES", False)
    calls: list[bool] = []
    monkeypatch.setattr(importing, "import_read", loop_spy(importing.import_read, calls))
    r = _import(web, "taian_scjg.xlsx")
    assert r.status_code == 200 and calls == [False], calls
    assert _textarea(r.text) == _cli("taian_scjg.xlsx")[0]  # in a thread as in a child process

    from .test_web_reviewer import _refused

    monkeypatch.setattr(importer, "review", lambda *a: _refused())
    r = _import(web, "taian_scjg.xlsx")
    assert r.status_code == 503 and "系统繁忙" in r.text and "导入" in r.text


def test_by_default_the_import_runs_in_a_child_process(web) -> None:
    import api.review as review

    if review._url(web.engine) is None or not review.USE_PROCESSES:
        pytest.skip("processes need a database another process can open")
    assert _import(web, "jiaotong_jtys.docx").status_code == 200
    assert review._executor is not None  # the heavy pool's processes ran it


def test_a_form_the_server_cannot_read_is_a_chinese_page(web) -> None:
    """request.form's own refusals (too many fields, a field over its bound) are pages, not JSON in English:
    on the import and on the draft upload its result submits to (a pasted draft over 2 MB)."""
    token = csrf(web.get("/review").text)
    many = {f"f{i}": "x" for i in range(20)}
    r = web.post("/review/import", data={"csrf": token, **many}, files={"file": ("t.csv", b"a,b", "text/csv")})
    assert r.status_code == 413 and "表单无法读取" in alerts(r.text)[0]
    r = web.post("/review/upload", data={"csrf": token, "department": "food", "text": "x" * (2 * 1024 * 1024 + 1)})
    assert r.status_code == 413 and "超过 2 MB" in alerts(r.text)[0]
    assert not _ENGLISH.findall(_reviewer_reads(r.text))
