"""The exceptions discretion raises, each carrying what a caller needs to report it.

    DiscretionError
    ├── RulesetError                  a ruleset file or its content is wrong (reviewer's problem)
    │   ├── RulesetLoadError          YAML/schema error: file, path inside it, reason
    │   ├── ConditionError            a condition or derived expression rejected: text, position
    │   └── RulesetDefect             evaluation met a gap/overlap the ruleset must fix (tiers)
    └── EvaluationError               the request is wrong (officer's problem)
        ├── UnknownDepartment
        ├── UnknownItem
        ├── VersionNotInForce         no version in force on the act date
        ├── DateError                 dates out of order
        └── FactError                 a fact missing, extra, mistyped or out of range: field
    └── StoreError                    a request the store refuses (HTTP 4xx)
        ├── NotFound                  no such department, version, key (404)
        ├── Conflict                  the lifecycle forbids it: frozen, not approved, exists (409)
        └── Forbidden                 the actor may not do this: own approval, other department (403)
    └── SettingsError                 an environment variable the settings refuse: field names it

Every subclass renders a one-line message naming the field and the reason (CLI exit 2, HTTP 422).
"""

from __future__ import annotations


class DiscretionError(Exception):
    """Base of every error discretion raises on purpose."""

    field: str | None = None

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class RulesetError(DiscretionError):
    """A ruleset (file or content) is wrong."""


class RulesetLoadError(RulesetError):
    """A ruleset file failed to load: names the file and the path inside it."""

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None) -> None:
        self.file = file
        self.path = path
        where = ":".join(p for p in (file, path) if p)
        super().__init__(message, field=where or None)


class ConditionError(RulesetError):
    """A condition was rejected at load time; `position` is the 1-based column in `text`."""

    def __init__(self, message: str, *, text: str, position: int, field: str | None = None) -> None:
        self.text = text
        self.position = position
        super().__init__(f"{message} at column {position} in {text!r}", field=field)


class RulesetDefect(RulesetError):
    """Evaluation reached a state the ruleset must not allow (no tier or several tiers match)."""


class EvaluationError(DiscretionError):
    """The evaluation request is wrong; nothing was evaluated."""


class UnknownDepartment(EvaluationError):
    """No ruleset for this department code."""


class UnknownItem(EvaluationError):
    """The department's ruleset has no catalogue item with this code."""


class VersionNotInForce(EvaluationError):
    """No version of the department's ruleset was in force on the act date."""


class DateError(EvaluationError):
    """Dates are out of order (e.g. the act after the decision)."""


class FactError(EvaluationError):
    """A fact is missing, undeclared, mistyped or out of range."""


class StoreError(DiscretionError):
    """A request the store refuses."""

    status = 400


class NotFound(StoreError):
    """No such department, version or key."""

    status = 404


class Conflict(StoreError):
    """The lifecycle forbids it: a frozen version, an unapproved publish, an existing version."""

    status = 409


class Forbidden(StoreError):
    """The actor may not do this (e.g. approve their own upload, act for another department)."""

    status = 403


class SettingsError(DiscretionError):
    """An environment variable holds a value the setting refuses (discretion.settings); `field` names it."""
