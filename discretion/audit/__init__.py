"""Audit of ruleset versions for legal reviewers (DESIGN.md, "Audit"): verify, diff, impact."""

from .diff import Change, DiffReport, diff
from .impact import ImpactReport, ImpactRow, impact
from .verify import ItemCoverage, Problem, VerifyReport, verify, verify_version

__all__ = [
    "Change",
    "DiffReport",
    "ImpactReport",
    "ImpactRow",
    "ItemCoverage",
    "Problem",
    "VerifyReport",
    "diff",
    "impact",
    "verify",
    "verify_version",
]
