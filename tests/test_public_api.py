"""The public surface is deliberate: this pins it."""

import discretion


def test_all_is_pinned() -> None:
    assert sorted(discretion.__all__) == [
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
    for name in discretion.__all__:
        assert hasattr(discretion, name)
