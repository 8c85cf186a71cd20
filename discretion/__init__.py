"""discretion: the open, auditable rules engine for administrative-penalty discretion benchmarks.

from discretion import RulesetLibrary, EvaluationRequest, evaluate
lib = RulesetLibrary.load()                      # the bundled rulesets
rec = evaluate(lib, EvaluationRequest(department="scjg", item="…", facts={…},
                                      act_date=…, decision_date=…))
"""

from __future__ import annotations

from .citation import Citation
from .errors import (
    ConditionError,
    DateError,
    DiscretionError,
    EvaluationError,
    FactError,
    RulesetDefect,
    RulesetError,
    RulesetLoadError,
    UnknownDepartment,
    UnknownItem,
    VersionNotInForce,
)
from .evaluation import EvaluationRequest, evaluate
from .evaluation.result import Recommendation, TraceStep
from .loader import RulesetLibrary, parse_ruleset
from .ruleset import Ruleset

__all__ = [
    "Citation",
    "ConditionError",
    "DateError",
    "DiscretionError",
    "EvaluationError",
    "EvaluationRequest",
    "FactError",
    "Recommendation",
    "Ruleset",
    "RulesetDefect",
    "RulesetError",
    "RulesetLibrary",
    "RulesetLoadError",
    "TraceStep",
    "UnknownDepartment",
    "UnknownItem",
    "VersionNotInForce",
    "evaluate",
    "parse_ruleset",
]
