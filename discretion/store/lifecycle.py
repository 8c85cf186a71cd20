"""Ruleset versions in the store: draft → approved → published (frozen) → superseded | withdrawn.

A draft is validated exactly as `discretion validate` does, against the versions already
published (its `extends` must resolve). Approval needs a reviewer other than the uploader, and
a draft that verify finds defective is not approved unless the reviewer writes down why it
should be anyway (an override, recorded in the audit log with the findings it overrides).
The store sits below the audit layer, so `approve` is handed the verifier
(`discretion.audit.verify.approval_check`); it has no default, so no caller approves unverified.
Publishing and withdrawing hold the department's lock (PostgreSQL advisory lock, SQLite write
lock); a partial unique index forbids two live versions of one department on the same day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import hashlib
import threading

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from ..compiler import CompiledRuleset
from ..errors import Conflict, Forbidden, NotFound, RulesetLoadError
from ..loader import BUNDLED, RulesetLibrary, parse_ruleset
from .audit import record
from .tables import Department, RulesetVersion, utcnow

LIVE = ("published", "superseded")
#: findings copied into one audit entry at most (the count is always recorded)
AUDITED_FINDINGS = 200


#: what approval asks of verify: the findings (models with item, check, message, example) and a
#: summary of what was checked (items, cells, exhaustive), both recorded in the audit log
Verifier = Callable[[CompiledRuleset], tuple[Sequence[Any], dict[str, object]]]


class ApprovalRefused(Conflict):
    """A draft verify finds defective, approved without an override reason (HTTP 409, CLI exit 2).
    `problems` are the findings, each with an example case."""

    def __init__(self, ref: str, problems: Sequence[Any]) -> None:
        self.ref = ref
        self.problems = problems
        super().__init__(
            f"verify found {len(problems)} defect(s) in {ref}; it is approved only with an "
            "override_reason (a written reason, recorded in the audit log)",
            field="override_reason",
        )


def ensure_department(session: Session, code: str, name: str) -> Department:
    dept = session.get(Department, code)
    if dept is None:
        dept = Department(code=code, name=name)
        session.add(dept)
    return dept


def get_version(session: Session, department: str, version: str) -> RulesetVersion:
    row = session.exec(
        select(RulesetVersion).where(RulesetVersion.department == department, RulesetVersion.version == version)
    ).first()
    if row is None:
        raise NotFound(f"department {department!r} has no version {version!r}", field="version")
    return row


def live_texts(session: Session) -> dict[str, str]:
    """Documents of every published or superseded version, keyed department/version."""
    rows = session.exec(select(RulesetVersion).where(col(RulesetVersion.status).in_(LIVE)))
    return {f"{r.department}/{r.version}": r.document for r in rows}


def live_signature(session: Session) -> tuple[Any, ...]:
    """A cheap fingerprint of the live set, to know when a cached library is stale."""
    rows = session.exec(select(RulesetVersion.id, RulesetVersion.status).where(col(RulesetVersion.status).in_(LIVE)))
    return tuple(sorted((r[0], r[1]) for r in rows))


_live_cache: tuple[tuple[Any, ...], RulesetLibrary] | None = None
_live_lock = threading.Lock()


def _live_library(session: Session) -> RulesetLibrary:
    """The live versions compiled, reused while the live set is unchanged (compiling them again for
    every upload, verify or diff cost a second of CPU each time)."""
    global _live_cache
    signature = (str(session.get_bind().engine.url), live_signature(session))  # .engine: the bind may be a Connection
    with _live_lock:
        if _live_cache is not None and _live_cache[0] == signature:
            return _live_cache[1]
    lib = RulesetLibrary.from_texts(live_texts(session), tolerant=True)
    with _live_lock:
        _live_cache = (signature, lib)
    return lib


def compile_with_live(session: Session, extra: dict[str, str]) -> RulesetLibrary:
    """Compile the live versions plus `extra`; a RulesetLoadError names file, path and reason.

    Another department's bad state does not stop this one: only an error of a department of
    `extra` is raised."""
    lib = RulesetLibrary.from_texts(extra, tolerant=True, beside=_live_library(session))
    for ref in extra:
        error = lib.broken.get(ref.split("/")[0])
        if error is not None:
            raise error
    return lib


def upload_draft(session: Session, department: str, text: str, actor: str) -> RulesetVersion:
    """Store a new draft after validating it; the department in the document must match."""
    rs = parse_ruleset(text, file="draft.yaml")
    if rs.department != department:
        raise RulesetLoadError(
            f"the document is for department {rs.department!r}, uploaded to {department!r}",
            file="draft.yaml",
            path="department",
        )
    ref = rs.ref
    existing = session.exec(
        select(RulesetVersion).where(RulesetVersion.department == department, RulesetVersion.version == rs.version)
    ).first()
    if existing is not None:
        raise Conflict(f"version {rs.version!r} of {department!r} already exists ({existing.status})", field="version")
    lib = compile_with_live(session, {ref: text})
    ensure_department(session, department, rs.department_name)
    row = RulesetVersion(
        department=department,
        version=rs.version,
        document=text,
        content_hash=lib.compiled[ref].hash,
        status="draft",
        effective_from=rs.effective_from,
        effective_to=rs.effective_to,
        uploaded_by=actor,
    )
    session.add(row)
    record(session, actor, "ruleset.upload", department=department, target=ref, detail={"hash": row.content_hash})
    return row


def approve(
    session: Session,
    department: str,
    version: str,
    actor: str,
    *,
    verifier: Verifier,
    override_reason: str | None = None,
) -> RulesetVersion:
    """A reviewer other than the uploader approves a draft that verify finds sound; a defective draft
    only with `override_reason`, which goes to the audit log with the findings (action
    `ruleset.approve.override`)."""
    row = get_version(session, department, version)
    ref = f"{department}/{version}"
    if row.status != "draft":
        raise Conflict(f"only a draft can be approved; {ref} is {row.status}", field="status")
    if row.uploaded_by == actor:
        raise Forbidden("the uploader cannot approve their own draft (another reviewer must)", field="actor")
    lib = compile_with_live(session, {ref: row.document})
    problems, checked = verifier(lib.compiled[ref])
    reason = (override_reason or "").strip()
    if problems and not reason:
        raise ApprovalRefused(ref, problems)
    row.status, row.approved_by, row.approved_at = "approved", actor, utcnow()
    session.add(row)
    verified = {"problems": len(problems), **checked}
    detail: dict[str, object] = {"hash": row.content_hash, "verify": verified}
    if problems:
        findings = [p.model_dump(mode="json") for p in problems[:AUDITED_FINDINGS]]
        detail["override"] = {"reason": reason, "findings": findings}
    action = "ruleset.approve.override" if problems else "ruleset.approve"
    record(session, actor, action, department=department, target=ref, detail=detail)
    return row


def lock_department(session: Session, department: str) -> None:
    """Serialise lifecycle writes of one department until the transaction ends: an advisory lock
    on PostgreSQL (other departments go on), the database's write lock on SQLite (taken by a
    write before any read, so nothing read here can change before the commit)."""
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(hashlib.sha256(f"publish:{department}".encode()).digest()[:8], "big", signed=True)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    else:
        session.execute(text("UPDATE department SET name = name WHERE code = :d"), {"d": department})


def publish(session: Session, department: str, version: str, actor: str) -> RulesetVersion:
    """Publish an approved version: it is frozen from now on; older live versions become superseded.

    Checks and writes run under the department's lock, and a partial unique index (one live
    version per department and effective date) backs the check in the database."""
    lock_department(session, department)
    row = get_version(session, department, version)
    session.refresh(row)  # read under the lock
    if row.status != "approved":
        raise Conflict(
            f"only an approved version can be published; {department}/{version} is {row.status}", field="status"
        )
    same_day = session.exec(
        select(RulesetVersion).where(
            RulesetVersion.department == department,
            col(RulesetVersion.status).in_(LIVE),
            RulesetVersion.effective_from == row.effective_from,
            col(RulesetVersion.id) != row.id,
        )
    ).first()
    if same_day is not None:
        raise Conflict(
            f"{department}/{same_day.version} ({same_day.status}) already takes effect on "
            f"{row.effective_from}: withdraw it first or change the effective date",
            field="effective_from",
        )
    compile_with_live(session, {f"{department}/{version}": row.document})  # still compiles beside what is live now
    won = session.execute(
        update(RulesetVersion)
        .where(col(RulesetVersion.id) == row.id, col(RulesetVersion.status) == "approved")
        .values(status="published", published_by=actor, published_at=utcnow())
    )
    if won.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        raise Conflict(f"{department}/{version} was published by a concurrent request", field="status")
    session.execute(
        update(RulesetVersion)
        .where(
            col(RulesetVersion.department) == department,
            col(RulesetVersion.status) == "published",
            col(RulesetVersion.id) != row.id,
            col(RulesetVersion.effective_from) < row.effective_from,
        )
        .values(status="superseded")
    )
    record(
        session,
        actor,
        "ruleset.publish",
        department=department,
        target=f"{department}/{version}",
        detail={"hash": row.content_hash},
    )
    session.refresh(row)
    return row


def withdraw(session: Session, department: str, version: str, actor: str, reason: str) -> RulesetVersion:
    """Withdraw a published (or superseded) version: it stays in the record as withdrawn, with who,
    when and why; evaluation uses the remaining live versions from then on."""
    if not reason.strip():
        raise Conflict("a withdrawal needs a reason", field="reason")
    lock_department(session, department)
    row = get_version(session, department, version)
    session.refresh(row)
    if row.status not in LIVE:
        raise Conflict(
            f"only a published or superseded version can be withdrawn; {department}/{version} is {row.status}",
            field="status",
        )
    row.status, row.withdrawn_by, row.withdrawn_at, row.withdrawn_reason = "withdrawn", actor, utcnow(), reason
    session.add(row)
    record(
        session,
        actor,
        "ruleset.withdraw",
        department=department,
        target=f"{department}/{version}",
        detail={"hash": row.content_hash, "reason": reason},
    )
    return row


def seed_bundled(session: Session, root: Path = BUNDLED) -> list[str]:
    """Store the bundled rulesets as published versions, once; later calls add only what is new."""
    lib = RulesetLibrary.load(root)
    added = []
    for ref, crs in sorted(lib.compiled.items(), key=lambda kv: kv[1].ruleset.effective_from):
        rs = crs.ruleset
        exists = session.exec(
            select(RulesetVersion).where(
                RulesetVersion.department == rs.department, RulesetVersion.version == rs.version
            )
        ).first()
        if exists is not None:
            continue
        ensure_department(session, rs.department, rs.department_name)
        now = utcnow()
        session.add(
            RulesetVersion(
                department=rs.department,
                version=rs.version,
                document=lib.files[ref].text,
                content_hash=crs.hash,
                status="published",
                effective_from=rs.effective_from,
                effective_to=rs.effective_to,
                uploaded_by="bundled",
                approved_by="bundled",
                approved_at=now,
                published_by="bundled",
                published_at=now,
            )
        )
        record(session, "bundled", "ruleset.publish", department=rs.department, target=ref, detail={"hash": crs.hash})
        added.append(ref)
    return added
