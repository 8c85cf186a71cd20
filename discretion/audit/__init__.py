"""Audit of ruleset versions for legal reviewers (DESIGN.md, "Audit"): verify."""

from .verify import Problem, VerifyReport, verify, verify_version

__all__ = ["Problem", "VerifyReport", "verify", "verify_version"]
