"""Departments and ruleset versions: read, upload a draft, verify, diff, impact, approve, publish."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Body, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import col, or_, select

from discretion.audit import DiffReport, ImpactReport, VerifyReport
from discretion.audit.verify import approval_check
from discretion.errors import NotFound, UnknownItem
from discretion.ruleset import FactSpec
from discretion.store import lifecycle
from discretion.store.tables import Department, RulesetVersion

from discretion.store.users import actor_name

from ..deps import CurrentKey, LibraryDep, SessionDep, check_department, check_role
from ..params import AgainstQuery, DepartmentPath, DepartmentQuery, ItemPath, VersionPath
from ..review import review
from ..workers import in_worker

router = APIRouter(prefix="/v1", tags=["rulesets"])


class DepartmentPublic(BaseModel):
    code: str
    name: str


class VersionPublic(BaseModel):
    """A ruleset version as readers see it (the document is in the detail view)."""

    department: str
    version: str
    status: str
    content_hash: str
    effective_from: dt.date
    effective_to: dt.date | None
    uploaded_by: str
    approved_by: str | None
    published_by: str | None
    published_at: dt.datetime | None
    withdrawn_by: str | None = None
    withdrawn_at: dt.datetime | None = None
    withdrawn_reason: str | None = None


class VersionDetail(VersionPublic):
    document: str


class ItemSchema(BaseModel):
    """What a form needs for one item: its facts (type, label, values, required) and its basis."""

    department: str
    version: str
    code: str
    name: str
    legal_basis: list[str]
    penalty_basis: list[str]
    facts: dict[str, FactSpec]
    required: list[str]


def _public(row: RulesetVersion, detail: bool = False) -> dict[str, Any]:
    out = row.model_dump(exclude={"id", "document", "uploaded_at", "approved_at"})
    if detail:
        out["document"] = row.document
    return out


@router.get("/departments", response_model=list[DepartmentPublic])
def departments(session: SessionDep, key: CurrentKey) -> list[Department]:
    """Departments known to the service."""
    return list(session.exec(select(Department).order_by(col(Department.code))))


@router.get("/rulesets", response_model=list[VersionPublic])
def rulesets(session: SessionDep, key: CurrentKey, department: DepartmentQuery = None) -> list[dict[str, Any]]:
    """Ruleset versions, optionally of one department: every published one (also superseded or withdrawn
    since), and the drafts and approved versions of the key's own department (all of them for an unscoped key)."""
    q = select(RulesetVersion).order_by(col(RulesetVersion.department), col(RulesetVersion.effective_from))
    if department:
        q = q.where(RulesetVersion.department == department)
    if key.department is not None:
        q = q.where(or_(RulesetVersion.department == key.department, col(RulesetVersion.published_at).is_not(None)))
    return [_public(r) for r in session.exec(q)]


@router.get("/rulesets/{department}/{version}", response_model=VersionDetail)
def ruleset(department: DepartmentPath, version: VersionPath, session: SessionDep, key: CurrentKey) -> dict[str, Any]:
    """One version: its YAML document, content hash and status. A version never published is seen only by
    keys of its department (another department's key gets 404, as if it did not exist)."""
    return _public(readable_version(session, key, department, version), detail=True)


def readable_version(session: SessionDep, key: CurrentKey, department: str, version: str) -> RulesetVersion:
    """The version if the key may read it: published ones are public law (any key evaluates against
    them), drafts and approved versions belong to their department until published."""
    row = lifecycle.get_version(session, department, version)
    if row.published_at is None and key.department is not None and key.department != department:
        raise NotFound(f"department {department!r} has no version {version!r}", field="version")
    return row


@router.get("/rulesets/{department}/{version}/items/{code}", response_model=ItemSchema)
def item_schema(
    department: DepartmentPath, version: VersionPath, code: ItemPath, key: CurrentKey, library: LibraryDep
) -> ItemSchema:
    """The fact schema of one item of a published version (what an evaluation form asks)."""
    lib = library.get()
    crs = lib.version(department, version) if department in lib.departments() else None
    if crs is None:
        raise NotFound(f"no published version {version!r} of {department!r}", field="version")
    ci = crs.find_item(code)
    if ci is None:
        raise UnknownItem(f"{code!r} is not an item of {department} {version}", field="code")
    return ItemSchema(
        department=department,
        version=version,
        code=ci.item.code,
        name=ci.item.name,
        legal_basis=[c.render() for c in ci.item.legal_basis],
        penalty_basis=[c.render() for c in ci.item.penalty_basis],
        facts=ci.schema,
        required=[n for n, s in ci.schema.items() if s.is_required],
    )


@router.post(
    "/rulesets/{department}",
    response_model=VersionPublic,
    status_code=201,
    openapi_extra={"requestBody": {"content": {"application/yaml": {"schema": {"type": "string"}}}, "required": True}},
)
async def upload(department: DepartmentPath, http: Request, session: SessionDep, key: CurrentKey) -> dict[str, Any]:
    """Upload a draft version (YAML body), validated as `discretion validate` does (reviewer)."""
    check_role(key, "reviewer")
    check_department(key, department, ["path", "department"])
    raw = await http.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        from discretion.errors import RulesetLoadError

        raise RulesetLoadError("the body is not UTF-8 text", file="draft.yaml") from None

    def store() -> dict[str, Any]:
        row = lifecycle.upload_draft(session, department, text, actor_name(key))
        session.commit()
        session.refresh(row)
        return _public(row)

    return await in_worker(store)  # parse and compile: a worker thread, a few at a time


@router.get("/rulesets/{department}/{version}/verify", response_model=VerifyReport)
async def verify(department: DepartmentPath, version: VersionPath, http: Request, key: CurrentKey) -> VerifyReport:
    """What a reviewer checks before approving (`discretion verify`), over every cell of fact space:
    clause and tier gaps or overlaps with an example case, amounts beyond the statute, weighted sums
    below it, uncited entries; `exhaustive` says every cell was covered. Drafts too (reviewer).
    Runs in a heavy worker (503 with Retry-After when they are all busy and the queue is full)."""
    check_role(key, "reviewer")
    check_department(key, department, ["path", "department"])
    report: VerifyReport = await review(http.app.state.engine, "verify", department, version)
    return report


@router.get("/rulesets/{department}/{version}/diff", response_model=DiffReport)
async def diff(
    department: DepartmentPath, version: VersionPath, against: AgainstQuery, http: Request, key: CurrentKey
) -> DiffReport:
    """What changed from version `against` to this one, item by item, in words (reviewer; a heavy worker)."""
    check_role(key, "reviewer")
    check_department(key, department, ["path", "department"])
    report: DiffReport = await review(http.app.state.engine, "diff", department, version, against)
    return report


@router.get("/rulesets/{department}/{version}/impact", response_model=ImpactReport)
async def impact(
    department: DepartmentPath,
    version: VersionPath,
    against: AgainstQuery,
    http: Request,
    key: CurrentKey,
) -> ImpactReport:
    """The department's stored decided cases replayed on version `against` and on this one: every
    recommendation that would change (reviewer; a heavy worker)."""
    check_role(key, "reviewer")
    check_department(key, department, ["path", "department"])
    report: ImpactReport = await review(http.app.state.engine, "impact", department, version, against)
    return report


class Transition(BaseModel):
    """Optional note recorded with an approval or a publication."""

    note: str = Field(default="", max_length=2000)


class Approval(Transition):
    """An approval; `override_reason` is needed only when verify finds the draft defective."""

    override_reason: str | None = Field(
        default=None, min_length=1, max_length=2000, description="为何在校验发现问题时仍予批准（写入审计日志）"
    )


def refused(exc: lifecycle.ApprovalRefused) -> JSONResponse:
    """409 naming the missing override reason, then one entry per finding with its example case."""
    detail: list[dict[str, Any]] = [{"loc": ["body", "override_reason"], "msg": exc.message, "type": "verify_defects"}]
    for p in exc.problems:
        msg = p.message
        if p.example:
            msg += f"（示例事实：{json.dumps(p.example, ensure_ascii=False, default=str)}）"
        detail.append(
            {
                "loc": ["verify", p.item or exc.ref, p.check],
                "msg": msg,
                "type": f"verify.{p.check}",
                "example": jsonable_encoder(p.example),
            }
        )
    return JSONResponse({"detail": detail}, status_code=409)


@router.post("/rulesets/{department}/{version}/approve", response_model=VersionPublic)
async def approve(
    department: DepartmentPath,
    version: VersionPath,
    session: SessionDep,
    key: CurrentKey,
    body: Approval = Body(default_factory=Approval),
) -> Any:
    """Approve a draft (reviewer, not its uploader). A draft that verify finds defective is refused
    (409, with the findings) unless `override_reason` says why; reason and findings are audited."""
    check_role(key, "reviewer")
    check_department(key, department, ["path", "department"])

    def run() -> Any:  # verify runs inside the approval: a heavy worker
        try:
            row = lifecycle.approve(
                session,
                department,
                version,
                actor_name(key),
                verifier=approval_check,
                override_reason=body.override_reason,
            )
        except lifecycle.ApprovalRefused as e:
            session.rollback()
            return refused(e)
        session.commit()
        session.refresh(row)
        return _public(row)

    return await in_worker(run)


@router.post("/rulesets/{department}/{version}/publish", response_model=VersionPublic)
def publish(
    department: DepartmentPath,
    version: VersionPath,
    session: SessionDep,
    key: CurrentKey,
    library: LibraryDep,
    body: Transition = Body(default_factory=Transition),
) -> dict[str, Any]:
    """Publish an approved version (reviewer or admin): it is frozen from now on."""
    check_role(key, "reviewer")
    check_department(key, department, ["path", "department"])
    row = lifecycle.publish(session, department, version, actor_name(key))
    session.commit()
    library.invalidate()
    session.refresh(row)
    return _public(row)


class Withdrawal(BaseModel):
    """Why a published version is withdrawn (kept in the record with who and when)."""

    reason: str = Field(min_length=1, max_length=2000)


@router.post("/rulesets/{department}/{version}/withdraw", response_model=VersionPublic)
def withdraw(
    department: DepartmentPath,
    version: VersionPath,
    body: Withdrawal,
    session: SessionDep,
    key: CurrentKey,
    library: LibraryDep,
) -> dict[str, Any]:
    """Withdraw a published or superseded version (admin): it stays recorded as withdrawn, with who
    and why; evaluation uses the department's remaining versions."""
    check_role(key, "admin")
    check_department(key, department, ["path", "department"])
    row = lifecycle.withdraw(session, department, version, actor_name(key), body.reason)
    session.commit()
    library.invalidate()
    session.refresh(row)
    return _public(row)
