"""CLI commands of the hardening (issue 10): `audit verify`, `withdraw`, `db grant`.

Exit codes as everywhere: 0 success, 2 bad input or a broken chain (like `verify`'s findings),
1 internal error.
"""

from __future__ import annotations

import json
from types import ModuleType

import typer
from sqlalchemy.engine import Engine

audit_app = typer.Typer(help="the append-only audit log", no_args_is_help=True)
db_app = typer.Typer(help="the database's roles", no_args_is_help=True)


def _cli() -> ModuleType:
    from . import cli

    return cli


def audit_start_lines(engine: Engine) -> list[str]:
    """What `discretion serve` prints about the audit log when it starts: the chain walked as `audit
    verify` walks it, and its head, to be kept outside the database (a later `audit verify --head`
    proves against it that nothing logged before this start was removed or changed)."""
    from .store.chain import verify_chain

    report = verify_chain(engine)
    state = "intact" if report.intact else f"BROKEN ({len(report.problems)} problems; run discretion audit verify)"
    lines = [f"audit log: {state}, {report.entries} entries, chain head {report.head} (entry {report.head_id})"]
    lines += [f"audit log: {problem}" for problem in report.problems[:5]]
    return lines


@audit_app.command("verify")
def audit_verify(
    head: str | None = typer.Option(None, "--head", help="a head hash kept outside the database"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Walk the audit log's hash chain: every link and hash must hold, and --head must be in it."""
    cli = _cli()

    def go() -> None:
        from .store.chain import verify_chain

        if head is not None and (len(head) != 64 or any(c not in "0123456789abcdef" for c in head)):
            raise cli.BadInput("--head: a head hash is 64 hexadecimal digits")
        report = verify_chain(cli._store(), head)
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "intact": report.intact,
                        "entries": report.entries,
                        "head_id": report.head_id,
                        "head": report.head,
                        "problems": report.problems,
                    },
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            for problem in report.problems:
                typer.echo(problem)
            state = "intact" if report.intact else "BROKEN"
            typer.echo(f"{state}: {report.entries} entries, head {report.head} (entry {report.head_id})")
        if not report.intact:
            raise typer.Exit(2)

    cli._run(go)


def withdraw_cmd(
    version: str = typer.Argument(..., help="版本"),
    department: str = typer.Option(..., "--department", help="部门编码"),
    reason: str = typer.Option(..., "--reason", help="撤回理由（记录在案）"),
    actor: str = typer.Option("cli", "--actor", help="记录为撤回人"),
) -> None:
    """Withdraw a published version: it stays recorded as withdrawn, with who and why."""
    cli = _cli()

    def go() -> None:
        from sqlmodel import Session

        from .store.lifecycle import withdraw

        with Session(cli._store()) as session:
            row = withdraw(session, department, version, actor, reason)
            session.commit()
            typer.echo(f"withdrawn {row.department}/{row.version} ({row.content_hash})")

    cli._run(go)


@db_app.command("grant")
def db_grant(role: str = typer.Argument(..., help="the service's PostgreSQL role (it must own nothing)")) -> None:
    """As the owner (DISCRETION_OWNER_DATABASE_URL or DISCRETION_DATABASE_URL): migrate, then grant the
    service role what it needs and nothing more."""
    cli = _cli()

    def go() -> None:
        from .store.roles import grant_service_role

        for statement in grant_service_role(cli._store(), role):
            typer.echo(statement)

    cli._run(go)
