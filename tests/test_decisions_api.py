"""POST /v1/decisions, alerts and webhooks over the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlmodel import Session, func, select

from discretion.alerts.webhooks import KIND as DELIVER
from discretion.alerts.webhooks import deliver
from discretion.consistency.sources import from_engine
from discretion.jobs.worker import Kind
from discretion.store.tables import Alert, AuditEntry, DecidedCase, Decision, Job

from .test_api import h

DECISION = {
    "case_id": "D-1",
    "department": "food",
    "item": "F-124",
    "facts": {"goods_value": 8000, "harm": "minor"},
    "act_date": "2024-05-01",
    "decision_date": "2024-06-01",
    "outcome": "penalty",
    "fine": "70000",
    "measures": ["order_correction", "confiscate_goods"],
    "unit": "城东所",
}


def _count(api, table) -> int:
    with Session(api.app.state.engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_a_deviating_decision_is_answered_with_its_findings_and_stored_with_its_alerts(api) -> None:
    r = api.post("/v1/decisions", json=DECISION, headers=h(api, "officer"))
    assert r.status_code == 201, r.text
    body = r.json()
    assert [f["kind"] for f in body["findings"]] == ["outside_range", "no_reason"]
    assert body["findings"][0]["message"].startswith("罚款70,000元高于基准建议幅度54,500元至60,500元")
    assert body["reason_required"] and not body["ok"]
    assert body["ruleset"]["version"] == "2024" and body["recommendation"]["ruleset"]["hash"] == body["ruleset"]["hash"]
    with Session(api.app.state.engine) as s:
        d = s.get(Decision, "D-1")
        assert d is not None and d.ruleset_hash == body["ruleset"]["hash"] and d.recorded_by == body["officer"]
        alerts = list(s.exec(select(Alert).where(Alert.case_id == "D-1").order_by(Alert.id)))
        assert [a.id for a in alerts] == [f["alert_id"] for f in body["findings"]]
        assert alerts[0].citation == body["findings"][0]["citation"] and alerts[0].unit == "城东所"
        case = s.get(DecidedCase, "D-1")
        assert case is not None and str(case.fine) == "70000.00" and case.penalties == ["没收违法生产经营的物品"]
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "decision.record")).one().target == "D-1"
    # a decided case for sweeps and impact, in the import format
    table = from_engine(api.app.state.engine, department="food")
    assert table.case_id == ["D-1"]


def test_a_decision_inside_the_benchmark_raises_no_alert(api) -> None:
    r = api.post("/v1/decisions", json={**DECISION, "fine": "56000"}, headers=h(api, "officer"))
    assert r.status_code == 201 and r.json()["ok"] and r.json()["findings"] == []
    assert _count(api, Alert) == 0


def test_the_same_case_twice_is_idempotent_and_other_content_is_refused(api) -> None:
    first = api.post("/v1/decisions", json=DECISION, headers=h(api, "officer"))
    again = api.post("/v1/decisions", json=DECISION, headers=h(api, "officer"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.content == first.content
    other = api.post("/v1/decisions", json={**DECISION, "fine": "56000"}, headers=h(api, "officer"))
    assert other.status_code == 409
    assert (
        other.json()["detail"][0]["loc"] == ["body", "case_id"]
        and "first record stands" in other.json()["detail"][0]["msg"]
    )
    assert (_count(api, Decision), _count(api, Alert), _count(api, DecidedCase)) == (1, 2, 1)
    assert api.get("/v1/decisions/D-1", headers=h(api, "sup")).json() == first.json()


@pytest.mark.parametrize(
    "change, loc",
    [
        ({"item": "F-999"}, ["body", "item"]),
        ({"facts": {"goods_value": "lots", "harm": "minor"}}, ["body", "facts", "goods_value"]),
        (
            {"facts": {"goods_value": 1, "harm": "minor", "colour": "red"}},
            ["body", "facts", "colour"],
        ),
        ({"fine": "abc"}, ["body", "fine"]),
        ({"fine": -1}, ["body", "fine"]),
        ({"fine": True}, ["body", "fine"]),
        ({"decision_date": "2024-04-30"}, ["body", "decision_date"]),
        ({"act_date": "2020-01-01", "decision_date": "2020-02-01"}, ["body", "act_date"]),
        ({"measures": ["order_correction", "flogging"]}, ["body", "measures", "1"]),
        ({"evaluation_id": 999}, ["body", "evaluation_id"]),
        ({"outcome": "pardon"}, ["body", "outcome"]),
        ({"case_id": ""}, ["body", "case_id"]),
        # the case's dates bounded as an evaluation's are (the same CaseRequest fields)
        ({"act_date": "0001-01-01"}, ["body", "act_date"]),
        ({"decision_date": "9999-12-31"}, ["body", "decision_date"]),
        ({"discovery_date": "9998-06-30"}, ["body", "discovery_date"]),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_nothing_is_stored(api, change: dict, loc: list) -> None:
    r = api.post("/v1/decisions", json={**DECISION, **change}, headers=h(api, "officer"))
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["detail"][0]["loc"][: len(loc)] == loc, r.json()
    assert (_count(api, Decision), _count(api, Alert), _count(api, DecidedCase)) == (0, 0, 0)


def test_roles_and_departments(api) -> None:
    assert api.post("/v1/decisions", json=DECISION).status_code == 401
    assert api.post("/v1/decisions", json=DECISION, headers=h(api, "sup")).status_code == 403
    assert api.post("/v1/decisions", json=DECISION, headers=h(api, "stranger")).status_code == 403


def test_alerts_are_listed_filtered_paged_and_handled_with_an_audited_note(api) -> None:
    for n, (fine, unit) in enumerate([("70000", "城东所"), ("300000", "城西所"), ("56000", "城西所")]):
        body = {
            **DECISION,
            "case_id": f"D-{n}",
            "fine": fine,
            "unit": unit,
            "reason": "现场情况特殊",
        }
        assert api.post("/v1/decisions", json=body, headers=h(api, "officer")).status_code == 201
    every = api.get("/v1/alerts", headers=h(api, "sup")).json()
    assert [(a["case_id"], a["severity"]) for a in every["alerts"]] == [
        ("D-0", "high"),
        ("D-1", "critical"),
    ]
    assert every["next_after_id"] is None
    assert [a["case_id"] for a in api.get("/v1/alerts?unit=城西所", headers=h(api, "sup")).json()["alerts"]] == ["D-1"]
    assert (
        api.get("/v1/alerts?severity=critical&state=open", headers=h(api, "sup")).json()["alerts"][0]["case_id"]
        == "D-1"
    )
    assert api.get("/v1/alerts?since=2024-06-02", headers=h(api, "sup")).json()["alerts"] == []
    page = api.get("/v1/alerts?limit=1", headers=h(api, "sup")).json()
    assert len(page["alerts"]) == 1
    nxt = api.get(f"/v1/alerts?limit=1&after_id={page['next_after_id']}", headers=h(api, "sup")).json()
    assert nxt["alerts"][0]["case_id"] == "D-1"
    assert api.get("/v1/alerts?department=other", headers=h(api, "sup")).status_code == 403
    assert api.get("/v1/alerts", headers=h(api, "officer")).status_code == 403
    assert api.get("/v1/alerts?severity=huge", headers=h(api, "sup")).status_code == 422
    aid = every["alerts"][0]["id"]
    ack = api.post(f"/v1/alerts/{aid}/acknowledge", json={"note": "已约谈办案人员"}, headers=h(api, "sup"))
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    assert api.post(f"/v1/alerts/{aid}/acknowledge", json={"note": "again"}, headers=h(api, "sup")).status_code == 409
    assert api.post(f"/v1/alerts/{aid}/close", json={"note": ""}, headers=h(api, "sup")).status_code == 422
    closed = api.post(f"/v1/alerts/{aid}/close", json={"note": "已说明理由，予以认可"}, headers=h(api, "sup"))
    assert closed.json()["state"] == "closed" and closed.json()["note"] == "已说明理由，予以认可"
    with Session(api.app.state.engine) as s:
        actions = [
            (e.action, e.detail["note"]) for e in s.exec(select(AuditEntry).where(AuditEntry.target == str(aid)))
        ]
    assert actions == [
        ("alert.acknowledge", "已约谈办案人员"),
        ("alert.close", "已说明理由，予以认可"),
    ]


# ---------------------------------------------------------------- webhooks, against a receiver started here


class Receiver:
    """An HTTP receiver on 127.0.0.1: answers each POST with the next scripted status (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.got = list(statuses), []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                data = self.rfile.read(int(self.headers["Content-Length"]))
                status = owner.statuses.pop(0) if owner.statuses else 200
                owner.got.append((status, dict(self.headers), data))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, pred, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while not pred() and time.monotonic() < end:
            time.sleep(0.05)


@pytest.fixture
def fast(api):
    """The app's worker with short backoff and polling (the production backoff is seconds to minutes)."""
    w = api.app.state.worker
    w.kinds[DELIVER] = Kind(deliver, slots=4, retry_base=0.02, retry_cap=0.05)
    w.poll = 0.05
    yield api
    w.stop()


def test_webhook_deliveries_are_signed_retried_and_idempotent(fast) -> None:
    api = fast
    rx = Receiver([503, 503])  # down twice, then up
    try:
        created = api.post("/v1/webhooks", json={"url": rx.url, "department": "food"}, headers=h(api, "admin"))
        assert created.status_code == 201, created.text
        secret = created.json()["secret"]
        assert "secret" not in api.get("/v1/webhooks", headers=h(api, "admin")).json()[0]
        answer = api.post("/v1/decisions", json=DECISION, headers=h(api, "officer")).json()
        rx.wait(lambda: any(s == 200 for s, _, _ in rx.got))
        assert [s for s, _, _ in rx.got] == [503, 503, 200]
        keys = {hd["Idempotency-Key"] for _, hd, _ in rx.got}
        assert len(keys) == 1 and len({d for _, _, d in rx.got}) == 1  # the same delivery, byte for byte
        _, headers, data = rx.got[-1]
        expected = "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Discretion-Signature"], expected)
        body = json.loads(data)
        assert body["idempotency_key"] == keys.pop()
        assert [a["id"] for a in body["alerts"]] == [f["alert_id"] for f in answer["findings"]]
        assert body["alerts"][0]["citation"] == answer["findings"][0]["citation"]
    finally:
        rx.server.shutdown()


def test_a_receiver_down_for_good_loses_nothing(fast) -> None:
    api = fast
    rx = Receiver([500] * 12)  # every one of the 12 attempts fails
    try:
        api.post("/v1/webhooks", json={"url": rx.url}, headers=h(api, "admin"))
        api.post("/v1/decisions", json=DECISION, headers=h(api, "officer"))
        engine = api.app.state.engine

        def failed() -> bool:
            with Session(engine) as s:
                return s.exec(select(Job).where(Job.kind == DELIVER, Job.state == "failed")).first() is not None

        rx.wait(failed)
        assert len(rx.got) == 12
        assert len(api.get("/v1/alerts", headers=h(api, "sup")).json()["alerts"]) == 2  # the alerts stand
        [job] = api.get(f"/v1/jobs?kind={DELIVER}", headers=h(api, "admin")).json()
        assert job["state"] == "failed" and "500" in job["error"]
        assert api.post(f"/v1/jobs/{job['id']}/retry", headers=h(api, "admin")).status_code == 200
        rx.wait(lambda: rx.got[-1][0] == 200)
        assert rx.got[-1][0] == 200 and rx.got[-1][2] == rx.got[0][2]
    finally:
        rx.server.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://",
        "http://testserver/v1/alerts",
        "http://127.0.0.1:80/x",
        "http://localhost/x",
        "http://user:pw@example.org/x",
        "not a url",
    ],
)
def test_webhook_urls_that_are_not_http_or_point_at_the_service_are_refused(api, url: str) -> None:
    r = api.post("/v1/webhooks", json={"url": url}, headers=h(api, "admin"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "url"], r.text
    assert api.get("/v1/webhooks", headers=h(api, "admin")).json() == []


def test_only_admins_register_webhooks(api) -> None:
    assert api.post("/v1/webhooks", json={"url": "https://example.org/h"}, headers=h(api, "sup")).status_code == 403


def _poll_job(api, job_id: str, who: str = "sup", timeout: float = 30) -> dict:
    end = time.monotonic() + timeout
    while True:
        job = api.get(f"/v1/jobs/{job_id}", headers=h(api, who)).json()
        if job["state"] in ("done", "failed", "cancelled") or time.monotonic() > end:
            return job
        time.sleep(0.05)


def test_imported_cases_are_checked_in_bulk_as_a_job(api) -> None:
    from .test_store import _lines

    outlier = json.loads(_lines(1, 50))
    outlier["fine"] = "300000"
    rows = _lines(5) + "\n" + json.dumps(outlier, ensure_ascii=False)
    api.post(
        "/v1/cases",
        content=rows.encode(),
        headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"},
    )
    assert api.post("/v1/decisions/check-imported", json={}, headers=h(api, "officer")).status_code == 403
    r = api.post("/v1/decisions/check-imported", json={"department": "food"}, headers=h(api, "sup"))
    assert r.status_code == 202, r.text
    job = _poll_job(api, r.json()["id"])
    assert job["state"] == "done", job
    assert job["result"] == {"cases": 6, "alerts": 1, "not_checked": 0} and job["progress_done"] == 6
    [alert] = api.get("/v1/alerts", headers=h(api, "sup")).json()["alerts"]
    assert (alert["case_id"], alert["kind"], alert["severity"], alert["officer"]) == (
        "C50",
        "outside_range",
        "critical",
        "张三",
    )
    with Session(api.app.state.engine) as s:
        assert {d.source for d in s.exec(select(Decision))} == {"import"}
    again = _poll_job(api, api.post("/v1/decisions/check-imported", json={}, headers=h(api, "sup")).json()["id"])
    assert again["result"]["cases"] == 0 and _count(api, Alert) == 1  # each case is checked once


def test_sweeps_are_jobs_with_progress_and_can_be_cancelled(api) -> None:
    from .test_store import _lines

    api.post(
        "/v1/cases",
        content=_lines(4).encode(),
        headers={**h(api, "officer"), "Content-Type": "application/x-ndjson"},
    )
    sid = api.post("/v1/sweeps", json={}, headers=h(api, "sup")).json()["id"]
    job = _poll_job(api, sid)
    assert job["kind"] == "sweep" and job["state"] == "done" and job["progress_done"] == job["progress_total"] == 4
    got = api.get(f"/v1/sweeps/{sid}", headers=h(api, "sup")).json()
    assert got["status"] == "done" and got["report"]["summary"]["cases_swept"] == 4
    assert api.delete(f"/v1/sweeps/{sid}", headers=h(api, "sup")).status_code == 409  # already done


@pytest.fixture(autouse=True)
def _stop_the_worker(request):
    """Stop the app's worker before the test's database goes away."""
    client = request.getfixturevalue("api") if "api" in request.fixturenames else None
    yield
    if client is not None:
        client.app.state.worker.stop()
