"""The typed identity of a rule, and the enums of directions, outcomes, list kinds and shapes.

Every condition of a compiled item is stored under a `RuleKey` (a statutory clause, its
fallback, a tier, a weighted factor, a list entry, a conditional measure, the extended
limitation). Keys are built only by the constructors below, so a misspelt kind is a type
error rather than a condition that silently never holds. `str(key)` is the id the trace and
the sweep reports show (`statutory:base`, `tier:minor`, `list:GEN-32-1` …), unchanged from
when keys were strings.
"""

from __future__ import annotations

from enum import StrEnum


class RuleKind(StrEnum):
    """What a rule key names."""

    STATUTORY = "statutory"  # a clause of the law's own range (拒不改正、情节严重 are clauses too)
    FALLBACK = "fallback"  # the statute's fixed range for a small or unknown base
    TIER = "tier"  # a 裁量阶次
    WEIGHT = "weight"  # a factor of a weighted sum (权重累加)
    LIST = "list"  # an entry of the five lists (五清单)
    MEASURE = "measure"  # a measure taken only when its condition holds
    LIMITATION = "limitation"  # the extended limitation period (第三十六条 五年)


class RuleKey:
    """One rule of an item: its kind and its id (for a measure: its owner's key and index).

    Immutable and hashable; ordered and printed as `kind:id`, the form the trace shows.
    """

    __slots__ = ("kind", "id", "_text", "_hash")

    kind: RuleKind
    id: str
    _text: str
    _hash: int

    def __init__(self, kind: RuleKind, id: str) -> None:
        text = f"{kind.value}:{id}"
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "id", id)
        object.__setattr__(self, "_text", text)
        object.__setattr__(self, "_hash", hash(text))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("RuleKey is immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RuleKey) and other._text == self._text

    def __hash__(self) -> int:
        return self._hash

    def __lt__(self, other: RuleKey) -> bool:
        return self._text < other._text

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"RuleKey({self._text!r})"

    def __reduce__(self) -> tuple[type[RuleKey], tuple[RuleKind, str]]:
        return (RuleKey, (self.kind, self.id))

    # -------------------------------------------------------- constructors
    # Keys are made while planning each new cell (one per list entry, tier, clause): the constructors
    # hand out one shared key per (kind, id) instead of formatting and hashing a new one each time.

    @classmethod
    def statutory(cls, clause: str) -> RuleKey:
        return _interned(_STATUTORY, clause)

    @classmethod
    def fallback(cls, clause: str) -> RuleKey:
        return _interned(_FALLBACK, clause)

    @classmethod
    def tier(cls, tier: str) -> RuleKey:
        return _interned(_TIER, tier)

    @classmethod
    def weight(cls, factor: str) -> RuleKey:
        return _interned(_WEIGHT, factor)

    @classmethod
    def entry(cls, entry: str) -> RuleKey:
        """A list entry (五清单)."""
        return _interned(_LIST, entry)

    @classmethod
    def measure(cls, owner: RuleKey, index: int) -> RuleKey:
        """The condition of the `index`-th measure of the clause, tier or entry `owner`."""
        return _interned(_MEASURE, f"{owner}:{index}")


# members bound once: attribute access on an Enum class is slow in CPython 3.11 (planning a cell makes dozens of keys)
_STATUTORY, _FALLBACK, _TIER, _WEIGHT, _LIST, _MEASURE = (
    RuleKind.STATUTORY,
    RuleKind.FALLBACK,
    RuleKind.TIER,
    RuleKind.WEIGHT,
    RuleKind.LIST,
    RuleKind.MEASURE,
)
#: keys made so far, by kind and id (bounded: a service that loads draft after draft does not grow without end)
_KEYS: dict[tuple[RuleKind, str], RuleKey] = {}
_MAX_KEYS = 100_000


def _interned(kind: RuleKind, id: str) -> RuleKey:
    hit = _KEYS.get((kind, id))
    if hit is None:
        hit = RuleKey(kind, id)
        if len(_KEYS) < _MAX_KEYS:
            _KEYS[kind, id] = hit
    return hit


#: the extended limitation period (第三十六条: 五年 where life, health or financial security is touched)
LIMITATION_EXTENDED = RuleKey(RuleKind.LIMITATION, "extended")


class Direction(StrEnum):
    """Where the circumstances put a fine: 从轻 / 一般 / 从重 inside the range, 减轻 below it."""

    LENIENT = "lenient"
    GENERAL = "general"
    AGGRAVATED = "aggravated"
    MITIGATED = "mitigated"


class Outcome(StrEnum):
    """What an evaluation decides: 不予处罚, 免予处罚 or 给予行政处罚."""

    NO_PENALTY = "no_penalty"
    EXEMPTION = "exemption"
    PENALTY = "penalty"


class ListKind(StrEnum):
    """The five lists (五清单)."""

    NO_PENALTY = "no_penalty"
    EXEMPTION = "exemption"
    LENIENT = "lenient"
    MITIGATED = "mitigated"
    AGGRAVATED = "aggravated"


#: the lists that decide whether a penalty is given at all, and those that move a fine
DECIDING_LISTS = (ListKind.NO_PENALTY, ListKind.EXEMPTION)
ADJUSTING_LISTS = (ListKind.LENIENT, ListKind.MITIGATED, ListKind.AGGRAVATED)


class ShapeKind(StrEnum):
    """How a fine is placed in its range (see discretion/shapes)."""

    TIERS = "tiers"
    RANGE = "range"
    WEIGHTED = "weighted"
