"""POST /v1/rulesets/import: a published table (the body, or a multipart part) into the draft and report
`discretion import` gives; every bad input a 4xx naming the field; reviewers of the department only."""

from __future__ import annotations

from pathlib import Path

import pytest

from discretion.tables import import_table
from discretion.tables.report import report_dict

from .conftest import FIXTURES
from .test_api import h

TABLES = Path(__file__).parent / "fixtures" / "tables"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
URL = "/v1/rulesets/import"


def _post(api, data: bytes, query: str = "department=food&version=2030&extends=general/2021", **headers: str):  # type: ignore[no-untyped-def]
    return api.post(
        f"{URL}?{query}",
        content=data,
        headers={**h(api, "alice"), "Content-Type": "application/octet-stream", **headers},
    )


@pytest.mark.parametrize("name", ["jiaotong_jtys.docx", "luanxian_nync.xlsx"])
def test_the_body_is_imported_as_the_cli_imports_the_file(api, name: str) -> None:
    data = (TABLES / name).read_bytes()
    r = _post(api, data, f"department=food&version=2030&extends=general/2021&filename={name}")
    assert r.status_code == 200, r.text
    text, draft = import_table(
        TABLES / name, department="food", version="2030", extends=["general/2021"], rulesets=FIXTURES
    )
    body = r.json()
    expected = report_dict(draft)
    assert body["draft"] == text
    assert body["report"]["markers"] == expected["markers"] and body["report"]["notes"] == expected["notes"]
    assert body["share_structured"] == expected["share"] and body["cells"] == expected["cells"]
    assert body["cells_structured"] == expected["structured"]
    assert body["format"] == name.rsplit(".", 1)[1] and body["extends"] == ["general/2021"]
    assert set(body["report"]["markers"][0]) == {"table", "row", "column", "text", "why"}
    # the same file as a multipart part, and as a body whose kind is told by its first bytes alone
    multi = api.post(
        f"{URL}?department=food&version=2030&extends=general/2021",
        files={"file": (name, data, "application/octet-stream")},
        headers=h(api, "alice"),
    )
    assert multi.status_code == 200 and multi.json()["draft"] == text
    sniffed = _post(api, data)
    assert sniffed.status_code == 200 and sniffed.json()["report"] == body["report"]
    assert sniffed.json()["draft"].replace("upload.", f"{Path(name).stem}.") == text  # only the header's file name


@pytest.mark.parametrize(
    "what, query, data, headers, status, loc",
    [
        ("no department", "version=2030", b"a,b", {}, 422, ["query", "department"]),
        ("bad version", "department=food&version=20%2030", b"a,b", {}, 422, ["query", "version"]),
        ("bad extends", "department=food&version=2030&extends=general", b"a,b", {}, 422, ["query", "extends"]),
        ("unpublished", "department=food&version=2030&extends=general/1999", b"a,b", {}, 422, ["query", "extends"]),
        ("bad format", "department=food&version=2030&format=pdf", b"a,b", {}, 422, ["query", "format"]),
        ("unknown kind", "department=food&version=2030", b"\xff\xfe\x00\x01" * 10, {}, 422, ["query", "format"]),
        ("empty", "department=food&version=2030&format=csv", b"", {}, 422, ["body", "file"]),
        ("no header", "department=food&version=2030&format=csv", "甲,乙\n1,2".encode(), {}, 422, ["body", "file"]),
        ("corrupt", "department=food&version=2030", b"PK\x03\x04junk", {"Content-Type": DOCX}, 422, ["body", "file"]),
        (
            "encrypted",
            "department=food&version=2030&filename=t.docx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
            {},
            422,
            ["body", "file"],
        ),
    ],
)
def test_every_bad_input_is_4xx_naming_the_field(api, what, query, data, headers, status, loc) -> None:  # type: ignore[no-untyped-def]
    r = _post(api, data, query, **headers)
    assert r.status_code == status, (what, r.text)
    assert loc in [d["loc"] for d in r.json()["detail"]], (what, r.json())


def test_a_file_over_the_bound_is_413(api, monkeypatch) -> None:
    import api.routes.imports as imports

    monkeypatch.setattr(imports, "MAX_UPLOAD", 1000)
    r = _post(api, (TABLES / "taian_scjg.xlsx").read_bytes())
    assert r.status_code == 413 and r.json()["detail"][0]["loc"] == ["body", "file"]


def test_reviewers_of_the_department_only(api) -> None:
    data = (TABLES / "taian_scjg.xlsx").read_bytes()
    assert _post(api, data, **h(api, "officer")).status_code == 403
    r = _post(api, data, "department=other&version=2030")
    assert r.status_code == 403 and r.json()["detail"][0]["loc"] == ["query", "department"]
    assert _post(api, data, **h(api, "admin")).status_code == 200
    assert api.post(f"{URL}?department=food&version=2030", content=data).status_code == 401


def test_nul_bytes_pass_the_guard_only_in_a_table_files_body(api) -> None:
    """A zip is full of NUL bytes: the guard lets them through to the import routes' files, and nowhere else."""
    data = (TABLES / "taian_scjg.xlsx").read_bytes()
    assert b"\x00" in data
    assert _post(api, data).status_code == 200
    as_json = _post(api, b'{"a": "\x00"}', **{"Content-Type": "application/json"})
    assert as_json.status_code == 422 and as_json.json()["detail"][0]["loc"] == ["body"]
    elsewhere = api.post("/v1/rulesets/food", content=b"department: food\x00", headers=h(api, "alice"))
    assert elsewhere.status_code == 422 and "NUL" in elsewhere.json()["detail"][0]["msg"]


def test_a_reader_that_fails_unexpectedly_is_a_refusal_of_the_file_not_a_server_error(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Whatever a table reader raises on a strange file, the import answers with a refusal naming the file
    (a 422 on the API, a Chinese sentence on the page), never a 500."""
    import api.importing as importing
    from api.pages.importer import import_words
    from discretion.tables.reading import TableImportError

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise IndexError("list index out of range")

    monkeypatch.setattr(importing, "import_read", broken)
    data = (TABLES / "taian_scjg.xlsx").read_bytes()
    with pytest.raises(TableImportError) as e:
        importing.import_upload(engine, data, ".xlsx", "t.xlsx", "scjg", "2027", ())
    assert e.value.field == "file"
    assert "IndexError" in e.value.message
    assert import_words(e.value) == "文件无法读取。"
