"""Before approval a draft can be withdrawn, or replaced by a corrected document of its version.

Both are refused once a draft is approved (the lifecycle moves on) and are in the audit log.
A replacement is validated exactly as an upload is (`lifecycle.upload_draft`).
"""

from __future__ import annotations

from sqlmodel import Session

from ..errors import Conflict, RulesetLoadError
from ..loader import parse_ruleset
from .audit import record
from .lifecycle import compile_with_live, get_version
from .tables import RulesetVersion, utcnow


def withdraw_draft(session: Session, department: str, version: str, actor: str) -> RulesetVersion:
    row = get_version(session, department, version)
    if row.status != "draft":
        raise Conflict(f"只有草稿可以撤回；{department}/{version} 的状态是 {row.status}", field="status")
    row.status = "withdrawn"  # recorded like any withdrawal: who and when (the store's triggers insist)
    row.withdrawn_by, row.withdrawn_at, row.withdrawn_reason = actor, utcnow(), "草稿在批准前撤回"
    session.add(row)
    record(
        session,
        actor,
        "ruleset.withdraw",
        department=department,
        target=f"{department}/{version}",
        detail={"hash": row.content_hash},
    )
    return row


def replace_draft(session: Session, department: str, version: str, text: str, actor: str) -> RulesetVersion:
    """Put a corrected document in place of a draft; it keeps its department and version."""
    row = get_version(session, department, version)
    if row.status != "draft":
        raise Conflict(f"只有草稿可以替换；{department}/{version} 的状态是 {row.status}", field="status")
    rs = parse_ruleset(text, file="draft.yaml")
    if (rs.department, rs.version) != (department, version):
        raise RulesetLoadError(
            f"the document is {rs.department}/{rs.version}, not {department}/{version}",
            file="draft.yaml",
            path="department/version",
        )
    ref = f"{department}/{version}"
    lib = compile_with_live(session, {ref: text})
    row.document, row.content_hash = text, lib.compiled[ref].hash
    row.effective_from, row.effective_to = rs.effective_from, rs.effective_to
    row.uploaded_by, row.uploaded_at = actor, utcnow()
    session.add(row)
    record(
        session,
        actor,
        "ruleset.replace",
        department=department,
        target=ref,
        detail={"hash": row.content_hash},
    )
    return row
