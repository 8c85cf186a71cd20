"""Webhooks an admin registers to receive alerts (signed deliveries, retried as durable jobs)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from discretion.alerts.webhooks import check_url, register, remove
from discretion.store.tables import Webhook
from discretion.store.users import actor_name

from ..params import RecordIdPath
from ..deps import CurrentKey, SessionDep, check_department, check_role, forbid

router = APIRouter(prefix="/v1", tags=["webhooks"])


class WebhookCreate(BaseModel):
    """Where to deliver alerts (http or https), for one department or (no department) all of them."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000)
    department: str | None = Field(default=None, max_length=64)


class WebhookPublic(BaseModel):
    id: str
    url: str
    department: str | None
    created_by: str
    created_at: dt.datetime


class WebhookCreated(WebhookPublic):
    """Shown once: the secret the receiver checks `X-Discretion-Signature` (sha256=HMAC of the body) with."""

    secret: str


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
def create_webhook(body: WebhookCreate, http: Request, session: SessionDep, key: CurrentKey) -> Webhook:
    """Register a webhook (admin); the answer carries its signing secret, shown only now."""
    check_role(key, "admin")
    if body.department is None and key.department is not None:  # all departments' alerts: not a scoped admin's
        raise forbid(
            f"this key is scoped to department {key.department!r}: a webhook for every department needs an unscoped "
            "admin key",
            ["body", "department"],
        )
    if body.department is not None:
        check_department(key, body.department, ["body", "department"])
    server = http.scope.get("server") or (None, None)
    own_hosts = {h.lower() for h in (http.url.hostname, server[0]) if h}
    check_url(
        body.url,
        own_hosts=own_hosts,
        own_port=http.url.port or server[1] or (443 if http.url.scheme == "https" else 80),
    )
    hook = register(session, body.url, department=body.department, actor=actor_name(key))
    session.commit()
    session.refresh(hook)
    return hook


@router.get("/webhooks", response_model=list[WebhookPublic])
def list_webhooks(session: SessionDep, key: CurrentKey) -> list[Webhook]:
    """Live webhooks (admin; a scoped admin sees its department's); secrets are never shown again."""
    check_role(key, "admin")
    q = select(Webhook).where(col(Webhook.removed_at).is_(None))
    if key.department is not None:
        q = q.where(Webhook.department == key.department)
    return list(session.exec(q.order_by(col(Webhook.created_at))))


@router.delete("/webhooks/{hook_id}", response_model=WebhookPublic)
def delete_webhook(hook_id: RecordIdPath, session: SessionDep, key: CurrentKey) -> Webhook:
    """Remove a webhook (admin; a scoped admin only its department's); its pending deliveries are skipped."""
    check_role(key, "admin")
    hook = remove(session, hook_id, actor=actor_name(key), department=key.department)
    session.commit()
    session.refresh(hook)
    return hook
