"""`discretion import` and `discretion export`: published benchmark tables in and out."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from .cli import RulesetsOpt, _library, _run, app
from .tables.reading import MAX_ROWS


@app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="公布的裁量基准表（.docx、.xlsx 或 .csv）"),
    department: str = typer.Option(..., "--department", help="部门代码"),
    version: str = typer.Option(..., "--version", help="版本"),
    extends: list[str] = typer.Option([], "--extends", help="继承的规则集，如 general/2021"),
    out: Path = typer.Option(..., "--out", help="草稿 YAML 的输出路径"),
    max_rows: int = typer.Option(MAX_ROWS, "--max-rows", min=1, help="最多读取的行数"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出导入报告"),
    rulesets: Path | None = RulesetsOpt,
) -> None:
    """Read a published table into a draft ruleset; print the import report (marked cells, share read)."""

    def go() -> None:
        from .tables import import_table
        from .tables.report import report_dict, report_text

        text, draft = import_table(
            file,
            department=department,
            version=version,
            extends=list(extends),
            rulesets=rulesets,
            max_rows=max_rows,
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        if as_json:
            typer.echo(json.dumps({"out": str(out), **report_dict(draft)}, ensure_ascii=False, indent=2))
        else:
            typer.echo(report_text(draft))
            typer.echo(f"草稿已写入 {out}")

    _run(go)


@app.command("export")
def export_cmd(
    department: str = typer.Option(..., "--department", help="部门代码"),
    version: str = typer.Option(..., "--version", help="版本"),
    fmt: str = typer.Option(..., "--format", help="docx 或 xlsx"),
    out: Path = typer.Option(..., "--out", help="输出文件"),
    rulesets: Path | None = RulesetsOpt,
) -> None:
    """Write a ruleset as the table a department publishes (.docx or .xlsx)."""

    def go() -> None:
        from .cli import BadInput
        from .tables.export import export_table

        if fmt not in ("docx", "xlsx"):
            raise BadInput(f"--format: {fmt!r} is not docx or xlsx")
        lib = _library(rulesets)
        compiled = lib.version(department, version)
        own = lib.files[compiled.ruleset.ref].ruleset
        if not out.parent.is_dir():
            raise BadInput(f"--out: directory {out.parent} does not exist")
        try:
            export_table(compiled.ruleset, own, out, fmt)
        except ValueError as e:
            raise BadInput(str(e)) from None
        typer.echo(f"已写入 {out}")

    _run(go)
