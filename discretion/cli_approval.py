"""`discretion approve`: a reviewer approves a stored draft from the command line, gated on verify.

The same rule as `POST /v1/rulesets/{dept}/{version}/approve`: a draft verify finds defective is
refused (exit 2, each finding with its example case) unless `--override-reason` says why, and the
reason goes to the audit log with the findings. The store is DISCRETION_DATABASE_URL.
"""

from __future__ import annotations

import json

import typer


def approve_cmd(
    department: str = typer.Option(..., "--department", help="部门编码"),
    version: str = typer.Argument(..., help="待批准的草稿版本"),
    reviewer: str = typer.Option(..., "--reviewer", help="批准人（不得为上传人）"),
    override_reason: str | None = typer.Option(
        None, "--override-reason", help="校验发现问题时仍予批准的书面理由（写入审计日志）"
    ),
) -> None:
    """Approve a draft (reviewer, not its uploader); refused if verify finds defects, unless
    overridden."""
    from sqlmodel import Session

    from .audit.verify import approval_check
    from .cli import BadInput, _run, _store
    from .store import lifecycle

    def go() -> None:
        if override_reason is not None and not override_reason.strip():
            raise BadInput("--override-reason: must not be empty")
        if override_reason is not None and len(override_reason) > 2000:
            raise BadInput("--override-reason: at most 2000 characters")
        with Session(_store()) as session:
            try:
                lifecycle.approve(
                    session,
                    department,
                    version,
                    reviewer,
                    verifier=approval_check,
                    override_reason=override_reason,
                )
            except lifecycle.ApprovalRefused as e:
                session.rollback()
                for p in e.problems:
                    typer.echo(f"问题  {p.item or e.ref} [{p.check}] {p.message}", err=True)
                    if p.example:
                        typer.echo(
                            "      示例事实：" + json.dumps(p.example, ensure_ascii=False, default=str),
                            err=True,
                        )
                raise
            session.commit()
        typer.echo(f"approved {department}/{version}")

    _run(go)
