"""The audit log's hash chain: each entry carries the hash of the entry before it.

Why: triggers stop everyone but the database owner from changing the log; the chain lets anyone
prove the owner did not either. Changing or removing an entry breaks the link of the entry after
it; removing the last entries, or rewriting the whole chain, is found against a head hash kept
outside the database (GET /v1/audit returns it; `discretion audit verify --head HASH` checks it).

hash = sha256 of the canonical JSON of [prev_hash, at (UTC, microseconds), actor, action,
department, target, detail]. The first entry's prev_hash is GENESIS.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.engine import Engine

GENESIS = "0" * 64
_BATCH = 5000


def _utc_text(at: dt.datetime | str) -> str:
    if isinstance(at, str):  # SQLite without type information (raw SQL in the migration)
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is not None:
        at = at.astimezone(dt.UTC).replace(tzinfo=None)
    return at.isoformat(sep=" ", timespec="microseconds")


def entry_hash(prev_hash: str, entry: Mapping[Any, Any]) -> str:  # Any keys: a database RowMapping too
    """The hash of one entry (a mapping with at, actor, action, department, target, detail)."""
    detail = entry["detail"]
    if isinstance(detail, str):
        detail = json.loads(detail)
    doc = [
        prev_hash,
        _utc_text(entry["at"]),
        entry["actor"],
        entry["action"],
        entry["department"],
        entry["target"],
        detail,
    ]
    canonical = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class ChainReport:
    """What `audit verify` found: entries checked, the head, and every break with its entry id."""

    entries: int = 0
    head_id: int | None = None
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(engine: Engine, head: str | None = None) -> ChainReport:
    """Walk the log in id order; every link and every hash must hold, and `head` (if given) must be
    the hash of an entry: else entries were removed or changed."""
    report = ChainReport()
    prev, found_head, last_id = GENESIS, head is None, 0
    with engine.connect() as conn:
        while True:
            rows = (
                conn.execute(
                    text(
                        "SELECT id, at, actor, action, department, target, detail, prev_hash, hash "
                        "FROM audit_log WHERE id > :after ORDER BY id LIMIT :n"
                    ),
                    {"after": last_id, "n": _BATCH},
                )
                .mappings()
                .all()
            )
            if not rows:
                break
            for row in rows:
                report.entries += 1
                if row["prev_hash"] != prev:
                    report.problems.append(
                        f"entry {row['id']}: links to {row['prev_hash']}, but the entry before it "
                        f"hashes to {prev} (an entry was removed or changed)"
                    )
                want = entry_hash(row["prev_hash"] or GENESIS, row)
                if row["hash"] != want:
                    report.problems.append(f"entry {row['id']}: its content does not match its hash (changed)")
                prev = row["hash"] or want
                found_head = found_head or prev == head
                last_id = row["id"]
    report.head_id, report.head = (last_id or None), prev
    if not found_head:
        report.problems.append(
            f"the head {head} is not in the log: entries after it were removed, or the chain was rewritten"
        )
    return report
