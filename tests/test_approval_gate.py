"""Approval is gated on verify: a defective draft is refused unless the reviewer writes down why,
and the reason goes to the audit log with the findings. Store, API and CLI, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from discretion import EvaluationRequest, RulesetDefect, RulesetLibrary, evaluate
from discretion.audit.verify import approval_check
from discretion.cli import app
from discretion.store.audit import entries
from discretion.store.lifecycle import ApprovalRefused, approve, get_version, upload_draft

from .conftest import FIXTURES
from .test_api import h
from .test_store import FOOD_2025

#: serious harm with goods worth 5,000–10,000 yuan meets no tier: a gap verify must find
GAP = FOOD_2025.replace("goods_value < 10000 and harm == 'serious'", "goods_value < 5000 and harm == 'serious'")
REASON = "上级文件原表如此，已报请制定机关更正；过渡期内按原表执行"


def _upload(engine, text: str = GAP) -> None:
    with Session(engine) as s:
        upload_draft(s, "food", text, "alice")
        s.commit()


def test_the_gap_draft_really_has_a_gap_the_evaluator_refuses() -> None:
    """The fixture of these tests: the defect is real, not a verify artefact."""
    general = (FIXTURES / "general" / "2021.yaml").read_text(encoding="utf-8")
    lib = RulesetLibrary.from_texts({"general/2021": general, "food/2025": GAP})
    with pytest.raises(RulesetDefect):
        evaluate(
            lib,
            EvaluationRequest(
                department="food",
                item="F-124",
                facts={"goods_value": 6000, "harm": "serious"},
                act_date=dt.date(2025, 2, 1),
                decision_date=dt.date(2025, 3, 1),
            ),
        )


def test_a_defective_draft_is_refused_with_its_findings_and_stays_a_draft(seeded) -> None:
    _upload(seeded)
    with Session(seeded) as s:
        with pytest.raises(ApprovalRefused) as e:
            approve(s, "food", "2025", "bob", verifier=approval_check)
        s.rollback()
        [gap] = [p for p in e.value.problems if p.check == "coverage"]
        assert gap.item == "F-124" and "got none" in gap.message
        assert gap.example is not None and gap.example["harm"] == "serious"
        assert 5000 <= gap.example["goods_value"] < 10000
        assert get_version(s, "food", "2025").status == "draft"
        assert [x.action for x in entries(s, department="food")][-1] == "ruleset.upload"


def test_a_blank_override_reason_is_no_reason(seeded) -> None:
    _upload(seeded)
    with Session(seeded) as s, pytest.raises(ApprovalRefused):
        approve(s, "food", "2025", "bob", verifier=approval_check, override_reason="   ")


def test_an_override_with_a_written_reason_approves_and_is_audited_with_the_findings(
    seeded,
) -> None:
    _upload(seeded)
    with Session(seeded) as s:
        row = approve(s, "food", "2025", "bob", verifier=approval_check, override_reason=REASON)
        s.commit()
        assert row.status == "approved" and row.approved_by == "bob"
        [entry] = entries(s, action="ruleset.approve.override")
        assert entry.actor == "bob" and entry.target == "food/2025"
        assert entry.detail["override"]["reason"] == REASON
        findings = entry.detail["override"]["findings"]
        assert any(f["check"] == "coverage" and f["item"] == "F-124" and f["example"] for f in findings)
        assert entry.detail["verify"]["problems"] == len(findings) and entry.detail["verify"]["exhaustive"] is True


def test_a_sound_draft_is_approved_without_a_reason_and_audited_as_verified(seeded) -> None:
    _upload(seeded, FOOD_2025)
    with Session(seeded) as s:
        approve(s, "food", "2025", "bob", verifier=approval_check)
        s.commit()
        [entry] = [x for x in entries(s, action="ruleset.approve") if x.target == "food/2025"]
        assert entry.detail["verify"]["problems"] == 0 and "override" not in entry.detail
        assert entries(s, action="ruleset.approve.override") == []


# ---------------------------------------------------------------- over HTTP


def test_api_refuses_a_defective_draft_with_409_and_the_findings(api) -> None:
    assert api.post("/v1/rulesets/food", content=GAP, headers=h(api, "alice")).status_code == 201
    r = api.post("/v1/rulesets/food/2025/approve", headers=h(api, "bob"))
    assert r.status_code == 409, r.text
    detail = r.json()["detail"]
    assert detail[0]["loc"] == ["body", "override_reason"] and detail[0]["type"] == "verify_defects"
    gaps = [d for d in detail[1:] if d["type"] == "verify.coverage"]
    assert gaps and gaps[0]["loc"] == ["verify", "F-124", "coverage"] and "示例事实" in gaps[0]["msg"]
    assert gaps[0]["example"]["harm"] == "serious"
    assert api.get("/v1/rulesets/food/2025", headers=h(api, "bob")).json()["status"] == "draft"


def test_api_empty_override_reason_is_422_naming_the_field(api) -> None:
    api.post("/v1/rulesets/food", content=GAP, headers=h(api, "alice"))
    r = api.post("/v1/rulesets/food/2025/approve", json={"override_reason": ""}, headers=h(api, "bob"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "override_reason"


def test_api_override_approves_and_the_reason_is_in_the_audit_log(api) -> None:
    api.post("/v1/rulesets/food", content=GAP, headers=h(api, "alice"))
    r = api.post("/v1/rulesets/food/2025/approve", json={"override_reason": REASON}, headers=h(api, "bob"))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "approved"
    log = api.get("/v1/audit", params={"action": "ruleset.approve.override"}, headers=h(api, "admin")).json()
    assert [(e["actor"], e["detail"]["override"]["reason"]) for e in log] == [(api.tokens["bob"].split("_")[1], REASON)]


def test_api_approves_a_sound_draft_without_a_body(api) -> None:
    api.post("/v1/rulesets/food", content=FOOD_2025, headers=h(api, "alice"))
    assert api.post("/v1/rulesets/food/2025/approve", headers=h(api, "bob")).json()["status"] == "approved"


# ---------------------------------------------------------------- from the command line


def test_cli_refuses_a_defective_draft_then_approves_with_an_override(seeded, db_url, monkeypatch) -> None:
    _upload(seeded)
    monkeypatch.setenv("DISCRETION_DATABASE_URL", db_url)
    runner = CliRunner()
    refused = runner.invoke(app, ["approve", "--department", "food", "2025", "--reviewer", "bob"])
    assert refused.exit_code == 2, refused.output
    assert "[coverage]" in refused.output and "示例事实" in refused.output and "override_reason" in refused.output
    blank = runner.invoke(
        app,
        ["approve", "--department", "food", "2025", "--reviewer", "bob", "--override-reason", " "],
    )
    assert blank.exit_code == 2 and "--override-reason" in blank.output
    ok = runner.invoke(
        app,
        [
            "approve",
            "--department",
            "food",
            "2025",
            "--reviewer",
            "bob",
            "--override-reason",
            REASON,
        ],
    )
    assert ok.exit_code == 0, ok.output
    with Session(seeded) as s:
        assert get_version(s, "food", "2025").status == "approved"
        [entry] = entries(s, action="ruleset.approve.override")
        assert entry.detail["override"]["reason"] == REASON and entry.actor == "bob"


def test_cli_uploader_cannot_approve_and_unknown_version_is_named(seeded, db_url, monkeypatch) -> None:
    _upload(seeded, FOOD_2025)
    monkeypatch.setenv("DISCRETION_DATABASE_URL", db_url)
    runner = CliRunner()
    own = runner.invoke(app, ["approve", "--department", "food", "2025", "--reviewer", "alice"])
    assert own.exit_code == 2 and "uploader" in own.output
    missing = runner.invoke(app, ["approve", "--department", "food", "1999", "--reviewer", "bob"])
    assert missing.exit_code == 2 and "1999" in missing.output
