"""Issue 10, part 6: the audit hash chain's head leaves the database — in the service's start log and in
every sweep report — so a later `discretion audit verify --head HASH` can prove that nothing logged up to
then was removed or changed, even by the database owner."""

from __future__ import annotations

import time

from sqlmodel import Session, select
from typer.testing import CliRunner

from discretion.cli_harden import audit_start_lines
from discretion.store.audit import head, record
from discretion.store.chain import verify_chain
from discretion.store.tables import AuditEntry

from .test_api import _client, h
from .test_hardening_store import _entries, _tamper


def test_the_start_lines_walk_the_chain_and_give_its_head(seeded) -> None:
    _entries(seeded, 4)
    with Session(seeded) as s:
        count, hash_ = head(s)
    lines = audit_start_lines(seeded)
    assert len(lines) == 1 and lines[0].startswith("audit log: intact") and hash_ in lines[0], lines
    assert f"{verify_chain(seeded).entries} entries" in lines[0]
    _tamper(seeded, "DELETE FROM audit_log WHERE target = '1'")
    broken = audit_start_lines(seeded)
    assert "BROKEN" in broken[0] and any("removed or changed" in line for line in broken[1:]), broken


def test_serve_prints_the_chain_head_before_it_serves(seeded, db_url: str, monkeypatch) -> None:
    import uvicorn

    from discretion.cli import app as cli_app

    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: served.append(a))
    monkeypatch.setenv("DISCRETION_DATABASE_URL", db_url)
    r = CliRunner().invoke(cli_app, ["serve"])
    assert r.exit_code == 0, r.output
    with Session(seeded) as s:
        _, hash_ = head(s)  # after serve's own entries (the first admin key, the bundled rulesets)
    line = next(line for line in r.output.splitlines() if line.startswith("audit log:"))
    assert "intact" in line and hash_ in line, r.output
    assert served  # and then it served


def test_a_sweep_report_carries_the_head_at_its_start_and_it_verifies_later(seeded) -> None:
    api = _client(seeded)
    r = api.post("/v1/sweeps", json={"department": "food"}, headers=h(api, "sup"))
    assert r.status_code == 202, r.text
    started = r.json()["audit_head"]
    with Session(seeded) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "sweep.start")).one()
        _, now = head(s)
    assert started == {"entry": entry.id, "hash": entry.hash} and started["hash"] == now
    for _ in range(200):
        got = api.get(f"/v1/sweeps/{r.json()['id']}", headers=h(api, "sup")).json()
        if got["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert got["status"] == "done" and got["report"] is not None, got
    assert got["audit_head"] == started  # the report keeps the head of its start
    with Session(seeded) as s:
        record(s, "later", "test.action", department="food")
        s.commit()
    assert verify_chain(seeded, started["hash"]).intact  # entries appended since: the kept head still proves
    _tamper(seeded, f"DELETE FROM audit_log WHERE id = {entry.id}")
    assert not verify_chain(seeded, started["hash"]).intact


def test_a_sweep_of_the_store_from_the_cli_carries_the_head_in_its_json_and_html(seeded, db_url: str, tmp_path) -> None:
    import json

    from discretion.cli import app as cli_app

    with Session(seeded) as s:
        record(s, "tester", "test.entry", department="food")
        s.commit()
        entry, digest = head(s)
    page = tmp_path / "report.html"
    r = CliRunner().invoke(cli_app, ["sweep", "--db", db_url, "--json", "--html", str(page)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["audit_head"] == {"entry": entry, "hash": digest}
    assert digest in page.read_text(encoding="utf-8") and f"第 {entry} 条" in page.read_text(encoding="utf-8")
    assert verify_chain(seeded, digest).intact  # the head kept outside verifies the chain up to it
