"""The reviewer's table import (导入裁量基准表格): a department's published benchmark table (.docx, .xlsx,
.csv) read into a draft ruleset by `discretion import`'s importer (api/importing.py), shown with the share
of cells structured and the import report (表格、行、列、原文、原因), the draft in an editable text box
that submits through the ordinary draft upload (/review/upload, which validates: a draft with markers
left fails there with the marker's line), and a download of the draft.

The file is bounded before it is read, its kind told by its suffix; the import runs in the heavy pool
(a child process where the database can be opened there). Every refusal is a Chinese sentence.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from discretion.tables.reading import MAX_CELL_CHARS, MAX_CELLS, MAX_COLUMNS, TableImportError

from ..importing import MAX_EXTENDS, MAX_UPLOAD, Imported, suffix_of
from ..params import CODE_PATTERN, REF_PATTERN
from ..review import review
from .reviewer import MAX_DRAFT, _index, _reviewer, paged
from .web import CSRF_MESSAGE, csrf_ok, render, require_department

router = APIRouter(include_in_schema=False)
_CODE = re.compile(CODE_PATTERN)
_REF = re.compile(REF_PATTERN)
#: marker rows the page shows (the download and the text box hold them all)
SHOWN = 500


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


#: the importer's refusals (discretion/tables/reading.py, draft.py, api/importing.py) in Chinese
_WORDS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"exceeds the limit"),
        f"文件超过 {_mb(MAX_UPLOAD)} 的上限，未读取。请检查是否选错了文件，或把表格拆成几个文件。",
    ),
    (
        re.compile(r"password-protected|encrypted"),
        "文件设有密码保护（已加密），或是旧版 Word/Excel 格式（.doc/.xls）："
        "请取消密码，另存为 .docx 或 .xlsx 后再导入。",
    ),
    (re.compile(r"unpacks to"), "文件解压后过大（可能是“压缩炸弹”），为保护系统未读取。"),
    (
        re.compile(r"^not a (?P<k>\.\w+) file"),
        "文件不是有效的 {k} 文件：可能已损坏，或其实是别的格式（只改了扩展名）。请用 Word/Excel 打开后重新保存再导入。",
    ),
    (re.compile(r"^corrupt (?P<k>\.\w+) file"), "{k} 文件已损坏，无法读取。请用 Word/Excel 打开后重新保存再导入。"),
    (re.compile(r"unsupported file type"), "只能导入 Word（.docx）、Excel（.xlsx）或 CSV（.csv）文件。"),
    (
        re.compile(r"no table with a recognisable header"),
        "文件中没有可识别表头的表格：表头须有“违法行为”，以及“处罚依据”或“处罚标准”（“裁量基准”“处罚幅度”）等列。",
    ),
    (re.compile(r"no table in the file"), "文件中没有表格。请上传公布的裁量基准表格（Word 表格或 Excel 工作表）。"),
    (re.compile(r"more than (?P<n>\d+) rows"), "表格超过 {n} 行，未读取：请把表格拆成几个文件分别导入。"),
    (re.compile(r"more than \d+ cells"), f"表格超过 {MAX_CELLS} 个单元格，未读取：请把表格拆成几个文件分别导入。"),
    (
        re.compile(r"a row of (?P<n>\d+) columns"),
        f"表格有一行多达 {{n}} 列（最多 {MAX_COLUMNS} 列），不像裁量基准表格。",
    ),
    (re.compile(r"a cell of"), f"有一个单元格超过 {MAX_CELL_CHARS} 个字，不像裁量基准表格。"),
    (re.compile(r"neither UTF-8 nor GB18030|binary content"), "CSV 文件不是文本（UTF-8 或 GB18030 编码），无法读取。"),
    (re.compile(r"not a CSV table"), "文件不是有效的 CSV 表格（引号不配对或格式有误）。"),
    (re.compile(r"merged range (?P<r>\S+) is too large"), "合并单元格 {r} 的范围过大，无法读取。"),
    (re.compile(r"appendix table cannot be read: (?P<w>.*)"), "附表无法读取：{w}"),
    (re.compile(r"cannot read"), "文件无法读取。"),
    (re.compile(r"'(?P<r>[^']*)' is not a published ruleset version"), "所继承的基准 {r} 不存在或尚未发布。"),
]
_POSITION = re.compile(r"^(?P<w>表\d+(?: 第\d+行)?(?: 第\d+列)?): ")


def import_words(e: TableImportError) -> str:
    """The importer's refusal said in Chinese, with the table and row it names (never the English)."""
    message = e.message
    where = ""
    m = _POSITION.match(message)
    if m:
        where, message = f"（{m.group('w')}）", message[m.end() :]
    said = next((zh.format_map(m.groupdict()) for rx, zh in _WORDS if (m := rx.search(message))), None)
    return (said or "文件无法作为裁量基准表格读取。") + where


def _extends(text: str) -> tuple[str, ...] | None:
    """The rulesets named in the form (comma, 、 or space between them), or None if one is not a ref."""
    refs = tuple(dict.fromkeys(r for r in re.split(r"[\s,，、;；]+", text.strip()) if r))
    if len(refs) > MAX_EXTENDS or not all(_REF.match(r) and len(r) <= 97 for r in refs):
        return None
    return refs


async def _form(request: Request) -> tuple[dict[str, str], Any, str | None]:
    try:
        data = await request.form(max_files=1, max_fields=10, max_part_size=64 * 1024)
    except StarletteHTTPException:  # what request.form raises for a part over the limit or a broken body
        return {}, None, "表单无法读取（字段过大或格式有误），未作任何处理。"
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    upload = data.get("file")
    return fields, (None if upload is None or isinstance(upload, str) else upload), None


def _check(fields: dict[str, str], upload: Any) -> str | None:
    """What is missing or wrong in the form's fields, in Chinese (None: all there)."""
    if not fields.get("department"):
        return "请选择部门。"
    if not _CODE.match(fields["department"]) or len(fields["department"]) > 64:
        return "部门代码有误，请从列表中选择部门。"
    version = fields.get("version", "").strip()
    if not version:
        return "请填写草稿的版本号（如 2026）。"
    if not _CODE.match(version) or len(version) > 32:
        return "版本号只能由字母、数字和 . _ - 组成，以字母或数字开头，最多 32 个字符（如 2026）。"
    if _extends(fields.get("extends", "")) is None:
        return f"继承的基准须写成“部门/版本”，如 general/2021；多个用逗号分隔，最多 {MAX_EXTENDS} 个。"
    if upload is None or not upload.filename:
        return "请选择要导入的表格文件（.docx、.xlsx 或 .csv）。"
    if suffix_of(upload.filename) is None:
        return "只能导入 Word（.docx）、Excel（.xlsx）或 CSV（.csv）文件；旧版 .doc/.xls 请先另存为 .docx/.xlsx。"
    return None


def _download(text: str, department: str, version: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type="application/x-yaml; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{department}-{version}.yaml"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/review/import", response_model=None)
async def import_table(request: Request) -> Response:
    user = await _reviewer(request)
    fields, upload, problem = await _form(request)
    kept = {
        "imp_department": fields.get("department", ""),
        "imp_version": fields.get("version", "")[:64],
        "imp_extends": fields.get("extends", "")[:400],
    }

    async def refuse(status: int, error: str) -> HTMLResponse:
        return await _index(request, user, status, import_error=error, **kept)

    if problem:
        return await refuse(413, problem)
    if not csrf_ok(request, fields):
        return await refuse(403, CSRF_MESSAGE)
    problem = _check(fields, upload)
    if problem:
        return await refuse(422, problem)
    department, version = fields["department"], fields["version"].strip()
    require_department(user, department)
    data = await upload.read(MAX_UPLOAD + 1)  # never more than the bound, whatever the part holds
    if len(data) > MAX_UPLOAD:
        return await refuse(
            413, f"文件超过 {_mb(MAX_UPLOAD)} 的上限，未读取。请检查是否选错了文件，或把表格拆成几个文件。"
        )
    if not data or data.isspace():  # no copy of a large file on the loop
        return await refuse(422, "文件是空的，请选择公布的裁量基准表格。")
    refs = _extends(fields.get("extends", "")) or ()
    name = re.sub(r"[\x00-\x1f\x7f]", "", upload.filename.replace("\\", "/").rsplit("/", 1)[-1])[:200]
    suffix = suffix_of(name) or ""
    try:
        done: Imported = await paged(
            review(request.app.state.engine, "import", data, suffix, name, department, version, refs)
        )
    except TableImportError as e:
        return await refuse(422, f"未能导入 {name}：{import_words(e)}")
    if fields.get("then") == "download":
        return _download(done.draft, department, version)
    return render(
        request,
        "review_import.html.j2",
        department=department,
        version=version,
        name=name,
        done=done,
        shown=done.markers[:SHOWN],
        notes=done.notes[:SHOWN],
        fits=len(done.draft.encode("utf-8")) <= MAX_DRAFT,
        limit=_mb(MAX_DRAFT),
    )


@router.post("/review/import/download", response_model=None)
async def download(request: Request) -> Response:
    """The draft as it stands in the text box (edits included), as a YAML file."""
    user = await _reviewer(request)
    try:
        data = await request.form(max_files=0, max_fields=10, max_part_size=MAX_DRAFT)
    except StarletteHTTPException:  # what request.form raises for a part over the limit or a broken body
        return await _index(request, user, 413, import_error=f"草稿超过 {_mb(MAX_DRAFT)}，或表单无法读取。")
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    if not csrf_ok(request, fields):
        return await _index(request, user, 403, import_error=CSRF_MESSAGE)
    department, version = fields.get("department", ""), fields.get("version", "")
    if not (_CODE.match(department) and _CODE.match(version)) or len(department) > 64 or len(version) > 32:
        return await _index(request, user, 422, import_error="部门或版本号有误，请重新导入。")
    require_department(user, department)
    return _download(fields.get("text", ""), department, version)
