"""The interface every shape of placing a fine implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol
from collections.abc import Mapping

from ..conditions import Value
from ..keys import ListKind, RuleKey, ShapeKind
from ..ruleset import Item, ListEntry

if TYPE_CHECKING:
    from ..compiler import CompiledItem, CompiledRuleset
    from ..evaluation.fines import StatutoryFine
    from ..evaluation.plan import FinePlan, Planner
    from ..evaluation.result import Fine, Measure, Option, TraceStep

#: the mandatory lenient / mitigated / aggravated entries that hold, by list
Mandatory = dict[ListKind, list[ListEntry]]


class Shape(Protocol):
    """One way of placing a fine (DOMAIN.md: tier tables, placement rules, weighted sums)."""

    kind: ShapeKind

    def validate(self, item: Item) -> tuple[str, str] | None:
        """At load time: (field under the item, reason) when the item cannot use this shape."""
        ...

    def plan(self, cell: Planner, fp: FinePlan, mandatory: Mandatory) -> tuple[Mandatory, list[Measure]]:
        """Once per cell: the steps before the range (tier, weights), the entries that remain to
        set the direction, and the measures the shape adds (a tier's)."""
        ...

    def place(
        self,
        crs: CompiledRuleset,
        fp: FinePlan,
        stat: StatutoryFine,
        facts: Mapping[str, Value | None],
        trace: list[TraceStep],
        options: list[Option],
    ) -> Fine:
        """Per case: the recommended fine, every step appended to `trace`."""
        ...

    def verify(self, fp: FinePlan) -> list[str]:
        """What a reviewer must be told about this cell's plan (amounts beyond the statute …)."""
        ...

    def key_words(self, ci: CompiledItem, matched: frozenset[RuleKey]) -> list[str]:
        """The shape's part of a sweep key in words."""
        ...

    def diff(self, old: Item, new: Item) -> list[str]:
        """The shape's own changes between two versions of an item, in words."""
        ...


class ShapeDefaults:
    """What a shape that adds nothing at a step does there: no load check, no steps before the range,
    no findings, no words of its own. A shape module overrides the steps it has."""

    def validate(self, item: Item) -> tuple[str, str] | None:
        return None

    def plan(self, cell: Planner, fp: FinePlan, mandatory: Mandatory) -> tuple[Mandatory, list[Measure]]:
        return mandatory, []

    def verify(self, fp: FinePlan) -> list[str]:
        return []

    def key_words(self, ci: CompiledItem, matched: frozenset[RuleKey]) -> list[str]:
        return []

    def diff(self, old: Item, new: Item) -> list[str]:
        return []
