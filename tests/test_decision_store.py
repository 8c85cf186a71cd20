"""Decisions written in batches (group commit) give each request what writing it alone gives: the same
answers, idempotent repeats, refusals of other content under a taken case id, nothing half-stored."""

from __future__ import annotations

from sqlmodel import Session, func, select

from discretion import RulesetLibrary
from discretion.decisions.record import (
    DecisionIn,
    Pending,
    check_decision,
    store_decision,
    store_decisions,
)
from discretion.errors import Conflict
from discretion.store.tables import Alert, AuditEntry, DecidedCase, Decision

from .conftest import FIXTURES

BASE = {
    "department": "food",
    "item": "F-124",
    "facts": {"goods_value": 8000, "harm": "minor"},
    "act_date": "2024-05-01",
    "decision_date": "2024-06-01",
    "outcome": "penalty",
    "measures": ["order_correction", "confiscate_goods"],
}


def pending(lib: RulesetLibrary, case_id: str, fine: str) -> Pending:
    body = DecisionIn.model_validate({**BASE, "case_id": case_id, "fine": fine})
    result, crs = check_decision(lib, body)
    return Pending(body=body, officer="k1", actor="k1", result=result, crs=crs)


def count(engine, table) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(table)).one()


def test_a_batch_stores_each_decision_once_and_answers_each_as_alone(seeded) -> None:
    lib = RulesetLibrary.load(FIXTURES)
    earlier = pending(lib, "A-0", "56000")
    first_answer, created, _ = store_decision(
        seeded, earlier.body, officer="k1", actor="k1", result=earlier.result, crs=earlier.crs
    )
    assert created
    batch = [
        pending(lib, "A-1", "56000"),
        pending(lib, "A-2", "70000"),
        pending(lib, "A-1", "56000"),
        pending(lib, "A-2", "56000"),
        pending(lib, "A-0", "56000"),
        pending(lib, "A-0", "99000"),
        pending(lib, "A-3", "300000"),
    ]
    got = store_decisions(seeded, batch)
    a1, a2, a1_again, a2_other, a0_again, a0_other, a3 = got
    assert a1[1] is True and a1_again == (a1[0], False, 0)
    assert a2[1] is True and isinstance(a2_other, Conflict) and a2_other.field == "case_id"
    assert a0_again == (first_answer, False, 0) and isinstance(a0_other, Conflict)
    assert [f["kind"] for f in a2[0]["findings"]] == ["outside_range", "no_reason"]
    assert [f["severity"] for f in a3[0]["findings"]][0] == "critical"
    # the alert ids in the answers are the stored alerts, each of its own decision
    with Session(seeded) as s:
        for answer in (a2[0], a3[0]):
            stored = s.exec(select(Alert.id).where(Alert.case_id == answer["case_id"]).order_by(Alert.id)).all()
            assert stored == [f["alert_id"] for f in answer["findings"]]
        assert s.get(Decision, "A-2").answer == a2[0]  # type: ignore[union-attr]
    assert (count(seeded, Decision), count(seeded, DecidedCase)) == (4, 4)
    assert count(seeded, Alert) == len(a2[0]["findings"]) + len(a3[0]["findings"])
    with Session(seeded) as s:
        assert (
            s.exec(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "decision.record")).one()
            == 4
        )


def test_the_answer_of_a_batch_equals_the_answer_alone(seeded) -> None:
    lib = RulesetLibrary.load(FIXTURES)
    alone = pending(lib, "B-1", "64000")
    one, _, _ = store_decision(seeded, alone.body, officer="k1", actor="k1", result=alone.result, crs=alone.crs)
    [(together, created, _)] = list(store_decisions(seeded, [pending(lib, "B-2", "64000")]))  # type: ignore[misc]
    drop = ("case_id", "findings")
    assert {k: v for k, v in one.items() if k not in drop} == {k: v for k, v in together.items() if k not in drop}
    assert [{**f, "alert_id": 0} for f in one["findings"]] == [{**f, "alert_id": 0} for f in together["findings"]]
