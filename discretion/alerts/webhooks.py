"""Webhooks: URLs an admin registers to receive alerts, each delivery a durable job.

Every delivery is a POST of JSON, signed with the hook's own secret: header
`X-Discretion-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>`, and carries an
`Idempotency-Key` (the delivery's job id, also in the body) so a receiver can drop repeats: delivery
is at least once. A receiver that is down or answers other than 2xx gets the same body again with
exponential backoff; after the last attempt the job is `failed` and stays in the store, where an admin
can retry it. The alerts themselves never depend on delivery: they are stored before it is tried.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import secrets
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session

from ..errors import EvaluationError, NotFound
from ..jobs.queue import JobFailed
from ..jobs.worker import JobContext
from ..store.audit import record
from ..store.tables import Webhook, utcnow

KIND = "webhook.deliver"
SIGNATURE_HEADER = "X-Discretion-Signature"
TIMEOUT = 10.0


class WebhookUrlError(EvaluationError):
    """A webhook URL that is not http(s), has no host, or points at this service itself."""


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for a body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body_bytes(body: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): the same for every attempt of one delivery."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def check_url(url: str, *, own_hosts: set[str], own_port: int | None) -> str:
    """The URL if a webhook may use it: http or https with a host, and not this service itself (its own
    host and port by any loopback name, or the host name it was reached by)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as e:
        raise WebhookUrlError(f"not a URL: {e}", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlError(f"must be an http or https URL, not {parts.scheme or 'no scheme'!r}", field="url")
    host = (parts.hostname or "").lower()
    if not host:
        raise WebhookUrlError("has no host", field="url")
    if parts.username or parts.password:
        raise WebhookUrlError("must not carry credentials (the signature authenticates deliveries)", field="url")
    same_port = own_port is not None and port == own_port
    if same_port and (host in own_hosts or _is_local(host)):
        raise WebhookUrlError(f"points at this service itself ({host}:{port})", field="url")
    return url


def register(session: Session, url: str, *, department: str | None, actor: str) -> Webhook:
    """A new webhook with a fresh secret (returned once, at registration, for the receiver to verify)."""
    hook = Webhook(
        id=secrets.token_hex(6),
        url=url,
        secret=secrets.token_urlsafe(32),
        department=department,
        created_by=actor,
    )
    session.add(hook)
    record(
        session,
        actor,
        "webhook.register",
        department=department,
        target=hook.id,
        detail={"url": url},
    )
    return hook


def remove(session: Session, hook_id: str, *, actor: str, department: str | None = None) -> Webhook:
    """Remove a live webhook; `department` is the actor's scope (None: all), another's is not found."""
    hook = session.get(Webhook, hook_id)
    if hook is None or hook.removed_at is not None or (department is not None and hook.department != department):
        raise NotFound(f"no webhook {hook_id!r}", field="id")
    hook.removed_at = utcnow()
    session.add(hook)
    record(
        session,
        actor,
        "webhook.remove",
        department=hook.department,
        target=hook.id,
        detail={"url": hook.url},
    )
    return hook


class DeliveryFailed(Exception):
    """The receiver was unreachable or did not answer 2xx: the job is retried with backoff."""


def deliver(ctx: JobContext) -> dict[str, Any]:
    """POST one delivery to its webhook (a job handler)."""
    with Session(ctx.engine) as session:
        hook = session.get(Webhook, ctx.payload["webhook_id"])
        if hook is None:
            raise JobFailed(f"webhook {ctx.payload['webhook_id']} does not exist")
        url, secret, removed = hook.url, hook.secret, hook.removed_at is not None
    if removed:
        return {"skipped": "the webhook was removed"}
    data = body_bytes(ctx.payload["body"])
    req = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: sign(secret, data),
            "Idempotency-Key": ctx.job["id"],
            "X-Discretion-Attempt": str(ctx.job["attempts"]),
            "User-Agent": "discretion-webhook/1",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:  # noqa: S310 - http(s) only, checked at registration
            status = resp.status
    except urllib.error.HTTPError as e:
        raise DeliveryFailed(f"{url} answered {e.code}") from None
    except (urllib.error.URLError, OSError) as e:
        raise DeliveryFailed(f"{url} unreachable: {e}") from None
    if not 200 <= status < 300:
        raise DeliveryFailed(f"{url} answered {status}")
    return {"status": status}
