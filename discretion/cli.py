"""The command line: evaluate a case, list rulesets, validate files, run the examples.

Exit codes: 0 success, 2 bad input (one line naming the field), 1 internal error.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from pydantic import ValidationError

from .errors import DiscretionError
from .evaluation import EvaluationRequest, evaluate
from .evaluation.explain import explain
from .loader import RulesetLibrary

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from .compiler import CompiledRuleset

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="discretion: 行政处罚裁量基准规则引擎",
)

RulesetsOpt = typer.Option(None, "--rulesets", help="规则集目录（缺省：内置规则集）")
DbRulesOpt = typer.Option(None, "--db", help="数据库 URL：使用服务已发布的规则版本（缺省读取 DISCRETION_DATABASE_URL）")


class BadInput(Exception):
    """Raised inside commands for input errors found before the library is reached."""


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _audit_head(url: str) -> Any:
    """The store's audit chain head (entry, hash), for a sweep report of that store."""
    from sqlmodel import Session

    from .consistency.report import AuditHead
    from .store import make_engine
    from .store.audit import head

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            entry, digest = head(session)
        return AuditHead(entry=entry, hash=digest)
    finally:
        engine.dispose()


def _date(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def _facts(value: str) -> Any:
    text = value
    if not value.lstrip().startswith("{"):
        path = Path(value)
        if not path.is_file():
            raise BadInput(f"--facts: {value!r} is neither a JSON object nor a file")
        text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as e:
        raise BadInput(f"--facts: invalid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
    except (RecursionError, ValueError):
        raise BadInput("--facts: nested too deep, or a number of thousands of digits") from None
    if not isinstance(data, dict):
        raise BadInput("--facts: must be a JSON object of fact name: value")
    return data


def _library(root: Path | None, db: str | None = None, *, quiet: bool = True) -> RulesetLibrary:
    """Files under `root`, else the store's published versions (--db / DISCRETION_DATABASE_URL), else bundled."""
    from .cli_store import library_for

    return library_for(root, db, quiet=quiet)


def _run(fn: Any) -> None:
    """Map errors to exit codes: 2 for anything the user can fix, 1 for our own bugs."""
    from .cli_store import clear_notes, flush_notes

    clear_notes()
    try:
        fn()
        flush_notes()
    except typer.Exit:
        flush_notes()
        raise
    except BrokenPipeError:  # output piped into `head` and closed: not an error of ours
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115
        raise typer.Exit(0) from None
    except BadInput as e:
        _fail(str(e))
    except DiscretionError as e:
        _fail(str(e))
    except ValidationError as e:
        err = e.errors()[0]
        _fail(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}")
    except Exception as e:  # noqa: BLE001 - the contract is no traceback, exit 1
        _fail(f"internal error: {type(e).__name__}: {e}", code=1)


@app.command("evaluate")
def evaluate_cmd(
    department: str = typer.Option(..., "--department", help="部门编码，如 scjg"),
    item: str = typer.Option(..., "--item", help="事项编码"),
    facts: str = typer.Option(..., "--facts", help="事实：JSON 对象或 JSON 文件路径"),
    act_date: str | None = typer.Option(None, "--act-date", help="违法行为发生日期 YYYY-MM-DD（缺省：决定日期）"),
    act_end_date: str | None = typer.Option(None, "--act-end-date", help="连续或者继续状态终了日期"),
    discovery_date: str | None = typer.Option(None, "--discovery-date", help="发现（立案）日期，缺省为决定日期"),
    decision_date: str | None = typer.Option(None, "--decision-date", help="决定日期（缺省：今天）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON"),
    rulesets: Path | None = RulesetsOpt,
    db: str | None = DbRulesOpt,
) -> None:
    """Recommend a penalty for one case, with every step cited."""

    def go() -> None:
        decided = _date(decision_date, "--decision-date") or dt.date.today()
        request = EvaluationRequest(
            department=department,
            item=item,
            facts=_facts(facts),
            act_date=_date(act_date, "--act-date") or decided,
            act_end_date=_date(act_end_date, "--act-end-date"),
            discovery_date=_date(discovery_date, "--discovery-date"),
            decision_date=decided,
        )
        rec = evaluate(_library(rulesets, db, quiet=False), request)
        typer.echo(rec.model_dump_json() if as_json else explain(rec))  # the same bytes as POST /v1/evaluate

    _run(go)


rulesets_app = typer.Typer(help="规则集：列出（无子命令时）与导出", invoke_without_command=True)
app.add_typer(rulesets_app, name="rulesets")


@rulesets_app.callback(invoke_without_command=True)
def rulesets_cmd(
    ctx: typer.Context,
    department: str | None = typer.Option(None, "--department", help="只列出该部门"),
    as_json: bool = typer.Option(False, "--json"),
    rulesets: Path | None = RulesetsOpt,
    db: str | None = DbRulesOpt,
) -> None:
    """List departments, their versions with effective dates, and their items."""
    if ctx.invoked_subcommand is not None:
        return

    def go() -> None:
        lib = _library(rulesets, db, quiet=False)
        depts = [department] if department else lib.departments()
        out: list[dict[str, Any]] = []
        for d in depts:
            for c in lib.versions(d):
                start, end = lib.period(c)
                out.append(
                    {
                        "department": d,
                        "department_name": c.ruleset.department_name,
                        "version": c.version,
                        "effective_from": str(start),
                        "effective_to": str(end) if end else None,
                        "hash": c.hash,
                        "source": c.ruleset.source,
                        "items": [{"code": i.code, "name": i.name} for i in c.ruleset.items],
                    }
                )
        if as_json:
            typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
            return
        for v in out:
            typer.echo(
                f"{v['department']} {v['version']}  {v['department_name']}  "
                f"{v['effective_from']} 至 {v['effective_to'] or '今'}  {v['hash'][:12]}"
            )
            for i in v["items"]:
                typer.echo(f"    {i['code']}  {i['name']}")

    _run(go)


@app.command("validate")
def validate_cmd(paths: list[Path] = typer.Argument(..., help="规则集文件或目录")) -> None:
    """Load and check ruleset files; print each error with its file, path and line."""

    def go() -> None:
        failures = 0
        for p in paths:
            if p.is_dir():
                try:
                    lib = RulesetLibrary.load(p)
                    lib.compile_all()
                    typer.echo(f"ok  {p}  ({len(lib.compiled)} rulesets)")
                except DiscretionError as e:
                    failures += 1
                    typer.echo(f"error: {e}", err=True)
                continue
            try:
                lib, ref = RulesetLibrary.load_file(p)
                lib.compile_all()
                typer.echo(f"ok  {p}  {ref}  {lib.compiled[ref].hash[:16]}")
            except DiscretionError as e:
                failures += 1
                typer.echo(f"error: {e}", err=True)
        if failures:
            raise typer.Exit(2)

    _run(go)


@app.command("verify")
def verify_cmd(
    department: str | None = typer.Option(None, "--department", help="只检查该部门"),
    as_json: bool = typer.Option(False, "--json"),
    limit: int = typer.Option(
        200_000, "--limit", min=1, help="一组相互关联的事实最多逐格枚举的格数（超过则抽样，并在报告中说明未能穷举）"
    ),
    rulesets: Path | None = RulesetsOpt,
    db: str | None = DbRulesOpt,
) -> None:
    """Check every version for legal reviewers, over every cell of fact space: clause and tier gaps or
    overlaps, tier amounts beyond the statute, weighted sums below the statutory minimum, entries without
    a citation. Exit 0 if none, 2 if any (an item that could not be checked exhaustively is one)."""

    def go() -> None:
        from .audit import verify

        lib = _library(rulesets, db, quiet=False)
        if department:
            lib.versions(department)  # unknown department: a clear error
        report = verify(lib, department=department, limit=limit)
        if as_json:
            typer.echo(report.model_dump_json(indent=2))
        else:
            from .audit.verify import summary

            typer.echo(summary(report))
            for p in report.problems:
                typer.echo(f"问题  {p.ruleset} {p.item or ''} [{p.check}] {p.message}")
                if p.example:
                    typer.echo(f"      示例事实：{json.dumps(p.example, ensure_ascii=False, default=str)}")
            typer.echo("未发现问题" if report.ok else f"共 {len(report.problems)} 个问题")
        if not report.ok:
            raise typer.Exit(2)

    _run(go)


def _two_versions(lib: RulesetLibrary, department: str, old: str, new: str) -> tuple[CompiledRuleset, CompiledRuleset]:
    return lib.version(department, old), lib.version(department, new)


@app.command("diff")
def diff_cmd(
    department: str = typer.Option(..., "--department", help="部门"),
    old: str = typer.Argument(..., help="旧版本"),
    new: str = typer.Argument(..., help="新版本"),
    as_json: bool = typer.Option(False, "--json"),
    rulesets: Path | None = RulesetsOpt,
    db: str | None = DbRulesOpt,
) -> None:
    """What changed between two versions, item by item, in words a reviewer reads."""

    def go() -> None:
        from .audit import diff

        report = diff(*_two_versions(_library(rulesets, db, quiet=False), department, old, new))
        if as_json:
            typer.echo(report.model_dump_json(indent=2))
            return
        typer.echo(f"{department} {old} → {new}：{len(report.changes)} 处变化")
        for c in report.changes:
            where = (
                "全局"
                if not c.items
                else ("、".join(c.items[:3]) + (f" 等{len(c.items)}个事项" if len(c.items) > 3 else ""))
            )
            typer.echo(f"  [{where}] {c.text}")

    _run(go)


@app.command("impact")
def impact_cmd(
    department: str = typer.Option(..., "--department", help="部门"),
    old: str = typer.Argument(..., help="旧版本"),
    new: str = typer.Argument(..., help="新版本"),
    cases: Path | None = typer.Option(None, "--cases", help="已决案件文件（JSON lines 或 CSV）"),
    db: str | None = typer.Option(None, "--db", help="数据库 URL（读取已导入的案件）"),
    as_json: bool = typer.Option(False, "--json"),
    rulesets: Path | None = RulesetsOpt,
) -> None:
    """Replay decided cases on two versions and list every recommendation that changes."""

    def go() -> None:
        from .audit import impact
        from .cases.reading import read_cases
        from .consistency.sources import from_database

        if (cases is None) == (db is None):
            raise BadInput("--cases or --db: give exactly one")
        versions = _two_versions(_library(rulesets, db, quiet=False), department, old, new)
        report = impact(*versions, read_cases(cases) if cases is not None else from_database(db or ""))
        if as_json:
            typer.echo(report.model_dump_json(indent=2))
            return
        typer.echo(
            f"{department} {old} → {new}：{report.cases} 件案件，重放 {report.replayed} 件，"
            f"建议不变 {report.unchanged} 件，变化或无法重放 {len(report.changed)} 件"
        )
        for r in report.changed:
            typer.echo(f"  [{r.kind}] {r.case_id}（第{r.line}行，{r.item}）：{r.old} → {r.new}")
        for code, n in report.item_missing.items():
            typer.echo(f"  [item_missing] {code}：只在一个版本中，{n} 件案件未重放")

    _run(go)


@app.command("demo")
def demo_cmd(
    rulesets: Path | None = RulesetsOpt,
    cases: Path = typer.Option(Path("examples/cases"), "--cases", help="案例目录"),
) -> None:
    """Evaluate every example case and print each recommendation with its citations."""

    def go() -> None:
        from .evaluation.casefile import load_cases

        lib = _library(rulesets)
        for case in load_cases(cases):
            if case.expect_error is not None:
                continue
            rec = evaluate(lib, case.request())
            typer.echo(f"\n══ {case.name}")
            typer.echo(explain(rec))

    _run(go)


@app.command("synth")
def synth_cmd(
    cases: int = typer.Option(..., "--cases", min=1, help="案件数"),
    seed: int = typer.Option(0, "--seed"),
    inconsistent_groups: int = typer.Option(0, "--inconsistent-groups", min=0, help="每类注入的不一致数"),
    out: Path = typer.Option(..., "--out", help="输出文件（.jsonl 或 .csv）"),
    rulesets: Path | None = RulesetsOpt,
) -> None:
    """Generate decided cases over the rulesets, with K injected inconsistencies of each kind."""

    def go() -> None:
        from .consistency.synth import generate, write

        rows, injected = generate(_library(rulesets), cases, seed, inconsistent_groups)
        side = write(rows, injected, out)
        typer.echo(f"{len(rows)} cases → {out}; injected → {side}")

    _run(go)


@app.command("sweep")
def sweep_cmd(
    cases: Path | None = typer.Option(None, "--cases", help="已决案件文件（JSON lines 或 CSV）"),
    db: str | None = typer.Option(None, "--db", help="数据库 URL（读取已导入的案件）"),
    department: str | None = typer.Option(None, "--department"),
    since: str | None = typer.Option(None, "--from", help="决定日期起 YYYY-MM-DD"),
    until: str | None = typer.Option(None, "--to", help="决定日期止 YYYY-MM-DD"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON 报告"),
    csv_dir: Path | None = typer.Option(None, "--csv", help="把发现、单位统计、拒收行写成 CSV 到该目录"),
    html_file: Path | None = typer.Option(None, "--html", help="把报告写成一个自包含的 HTML 文件（执法监督用）"),
    rulesets: Path | None = RulesetsOpt,
) -> None:
    """Find 同案不同罚: group decided cases by relevance key and report every inconsistency."""

    def go() -> None:
        from .cases.reading import read_cases
        from .consistency.sweep import sweep
        from .consistency.sources import from_database
        from .consistency.output import summary_text, write_csv

        if (cases is None) == (db is None):
            raise BadInput("--cases or --db: give exactly one")
        lib = _library(rulesets, db, quiet=False)
        started = _audit_head(db) if db is not None else None  # before the cases are read
        read = read_cases(cases) if cases is not None else from_database(db or "")
        from rich.progress import Progress

        with Progress(transient=True, disable=not sys.stderr.isatty()) as bar:
            task = bar.add_task("sweeping", total=len(read))
            report = sweep(
                lib,
                read,
                department=department,
                since=_date(since, "--from"),
                until=_date(until, "--to"),
                progress=lambda n: bar.advance(task, n),
            )
        report.audit_head = started
        if csv_dir is not None:
            write_csv(report, csv_dir)
        if html_file is not None:
            from .consistency.html import write_html

            write_html(report, html_file)
        typer.echo(report.model_dump_json(indent=2) if as_json else summary_text(report))

    _run(go)


keys_app = typer.Typer(help="API keys", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


def _store() -> Engine:
    """The migrated store engine from DISCRETION_DATABASE_URL (default: ./discretion.db); migrated as
    the owner (DISCRETION_OWNER_DATABASE_URL) when the service's role owns nothing."""
    from .store import make_engine, migrate
    from .store.database import owner_database_url

    engine = make_engine()
    owner = make_engine(owner_database_url()) if owner_database_url() else engine
    migrate(owner)
    return engine


@keys_app.command("create")
def keys_create(
    role: str = typer.Option(..., "--role", help="officer | reviewer | supervisor | admin"),
    department: str | None = typer.Option(None, "--department", help="部门编码（缺省：全部部门）"),
    label: str = typer.Option("", "--label", help="备注"),
) -> None:
    """Create an API key and print it (the only time it is shown)."""

    def go() -> None:
        from sqlmodel import Session

        from .store.keys import ROLES, create_key

        if role not in ROLES:
            raise BadInput(f"--role: must be one of {', '.join(ROLES)}")
        with Session(_store()) as session:
            key, token = create_key(session, role, department, actor="cli", label=label)
            session.commit()
        typer.echo(token)

    _run(go)


@keys_app.command("list")
def keys_list() -> None:
    """Every key: id, role, department, label, created, revoked (no secrets are stored)."""

    def go() -> None:
        from sqlmodel import Session

        from .store.keys import list_keys

        with Session(_store()) as session:
            for k in list_keys(session):
                state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "live"
                typer.echo(f"{k.id}  {k.role:10s} {k.department or '*':8s} {state:24s} {k.label}")

    _run(go)


@keys_app.command("revoke")
def keys_revoke(key_id: str = typer.Argument(..., help="key id (the part after dk_)")) -> None:
    """Revoke a key; running servers refuse it within 30 seconds (at once through DELETE /v1/keys/{id})."""

    def go() -> None:
        from sqlmodel import Session

        from .store.keys import revoke_key

        with Session(_store()) as session:
            revoke_key(session, key_id, actor="cli")
            session.commit()
        typer.echo(f"revoked {key_id}")

    _run(go)


@app.command("serve")
def serve_cmd(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    workers: int | None = typer.Option(None, "--workers", min=1, max=64, help="default: DISCRETION_WORKERS, else 1"),
    rulesets: Path | None = RulesetsOpt,
) -> None:
    """Run the API: migrate the database, load the bundled rulesets once, print a first admin key."""

    def go() -> None:
        import uvicorn
        from sqlmodel import Session

        from .settings import load_settings
        from .store import database_url
        from .store.keys import create_key, has_admin
        from .cli_harden import audit_start_lines
        from .store.lifecycle import seed_bundled

        engine = _store()
        with Session(engine) as session:
            added = seed_bundled(session, rulesets) if rulesets else seed_bundled(session)
            token = None
            if not has_admin(session):
                _, token = create_key(session, "admin", None, actor="serve", label="first admin key")
            admin_password = ensure_first_admin(session)
            session.commit()
        typer.echo(f"database: {database_url()}")
        for line in audit_start_lines(engine):
            typer.echo(line)
        if added:
            typer.echo(f"published bundled rulesets: {', '.join(added)}")
        if token:
            typer.echo(f"admin key (shown once, keep it): {token}")
        if admin_password:
            typer.echo(f"web sign-in: user admin, password (shown once, keep it): {admin_password}")
        uvicorn.run(
            "api.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers or load_settings().workers,
            log_level="warning",
        )

    _run(go)


from . import cli_tables  # noqa: E402,F401  (registers `import` and `export`)
from .cli_users import ensure_first_admin, users_app  # noqa: E402

app.add_typer(users_app, name="users")
from .cli_store import export_cmd  # noqa: E402 - `discretion rulesets export`

rulesets_app.command("export")(export_cmd)
from .cli_harden import audit_app, db_app, withdraw_cmd  # noqa: E402

app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.command("withdraw")(withdraw_cmd)
from .cli_approval import approve_cmd  # noqa: E402  (a command of its own module)

app.command("approve")(approve_cmd)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
