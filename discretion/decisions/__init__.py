"""Decisions actually made, checked the moment they are recorded (事中预警).

check.py (the decision against its recommendation: findings with rule and article, no store, no API) ·
record.py (the decision's format, stored as a decided case plus its check, alerts and deliveries in one
transaction, idempotent by case id) · bulk.py (imported decided cases checked the same way, as a job).
"""

from .check import CheckFinding, CheckResult, DecisionMade, check, check_against

__all__ = ["CheckFinding", "CheckResult", "DecisionMade", "check", "check_against"]
