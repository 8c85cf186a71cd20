"""Markers: cells the importer could not read with certainty, kept verbatim where they belong.

A marker is written into the draft as a YAML node tagged `!unresolved` holding the cell's
text, its position (table, row, column) and the reason. The ruleset loader refuses the tag
with its line and column, so a draft fails `discretion validate` until a reviewer replaces
every marker with the structured value.
"""

from __future__ import annotations

from dataclasses import dataclass

TAG = "!unresolved"


@dataclass(frozen=True)
class Marker:
    """A cell (or part of one) kept verbatim because it was not read with certainty."""

    table: int
    row: int
    column: str
    text: str
    why: str

    def as_dict(self) -> dict[str, object]:
        return {"table": self.table, "row": self.row, "column": self.column, "text": self.text, "why": self.why}


class Unreadable(ValueError):
    """Raised by the cell readers (citations, thresholds, penalties) with the reason in words."""
