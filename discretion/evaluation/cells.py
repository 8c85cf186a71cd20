"""The evaluator's per-cell caches: which rules hold in a cell, and the plan of that cell.

All facts in one cell of fact space meet the same conditions (DESIGN.md), so durable_rules is
asked once per cell and the path through the evaluation order is planned once per set of rules
that hold. A service sees an unbounded number of distinct cells over time, so the caches are
least-recently-used with a fixed size per item: `CELLS` cell answers and `PLANS` plans. A cell
evicted is asked again the next time (an answer never changes: the compiled item is immutable).

Each condition's answer also depends only on the part of the cell key made of the facts it reads,
so durable_rules' answer is remembered per condition and that part too (`CONDITION_CELLS`): a new
cell whose every condition was already answered in other cells (a new combination of known
circumstances, the common case once a service is warm) is answered without asking durable_rules.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Generic, TypeVar
from collections.abc import Hashable, Mapping

from ..compiler import CompiledItem
from ..conditions import Value
from ..keys import RuleKey
from ..warmth import refuse_cold

if TYPE_CHECKING:
    from .plan import Plan

#: cells remembered per item (durable_rules' answer; a cell key is a tuple of a few small values)
CELLS = 65_536
#: plans remembered per item (a plan is a few kilobytes; items rarely have more than a few hundred)
PLANS = 4_096
#: answers remembered per item, condition and part of a cell key (a rule key and a few small values)
CONDITION_CELLS = 65_536

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A bounded mapping that forgets the least recently used entry when full. Reads take no lock
    (OrderedDict operations are atomic under the GIL); writes hold one."""

    __slots__ = ("size", "_data", "_lock")

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        data = self._data
        hit = data.get(key)
        if hit is not None:
            try:  # noqa: SIM105  (suppress() would cost three Python calls on every cache hit)
                data.move_to_end(key)
            except KeyError:  # evicted by another thread between the two calls
                pass
        return hit

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class ItemCaches:
    """The caches of one compiled item, and where each condition's part of a cell key is."""

    __slots__ = ("matched", "plans", "answers", "parts")

    def __init__(self, parts: tuple[tuple[RuleKey, tuple[int, ...]], ...] | None = None) -> None:
        self.matched: LRU[tuple[object, ...], frozenset[RuleKey]] = LRU(CELLS)
        self.plans: LRU[frozenset[RuleKey], Plan] = LRU(PLANS)
        #: durable_rules' answer per (condition, the part of the cell key it reads)
        self.answers: LRU[tuple[RuleKey, tuple[object, ...]], bool] = LRU(CONDITION_CELLS)
        #: each condition with the positions of its facts in the cell key (None: unknown, so always ask)
        self.parts = parts

    def clear(self) -> None:
        """Forget every answer and plan (benchmarks of the first case of a cell; tests)."""
        self.matched.clear()
        self.plans.clear()
        self.answers.clear()


def _parts(ci: CompiledItem) -> tuple[tuple[RuleKey, tuple[int, ...]], ...] | None:
    at = ci.cell_positions
    if not all(f in at for c in ci.conditions.values() for f in c.facts):
        return None
    return tuple((k, tuple(at[f] for f in c.facts)) for k, c in ci.conditions.items())


def caches(ci: CompiledItem) -> ItemCaches:
    """The caches of an item (made on first use; they live and die with the compiled item)."""
    hit = ci.evaluation_caches
    if hit is None:
        with _LOCK:
            hit = ci.evaluation_caches
            if hit is None:
                hit = ci.evaluation_caches = ItemCaches(_parts(ci))
    return hit


_LOCK = threading.Lock()


def match(ci: CompiledItem, facts: Mapping[str, Value | None]) -> frozenset[RuleKey]:
    """The rule keys that hold for these facts: durable_rules' answer, asked once per cell, and not at
    all for a cell whose every condition it has answered in other cells."""
    cache = caches(ci)
    key = ci.cell_key(facts)
    hit = cache.matched.get(key)
    if hit is None:
        held = _known(cache, key)
        if held is None:
            refuse_cold()  # durable_rules is asked on a worker thread, not on the event loop
            held = ci.match_conditions(facts)
            _remember(cache, key, held)
        hit = ci.counted(held)
        cache.matched.put(key, hit)
    return hit


def _known(cache: ItemCaches, key: tuple[object, ...]) -> frozenset[RuleKey] | None:
    """The conditions that hold in this cell from the answers remembered per condition; None if one is unknown."""
    parts = cache.parts
    if parts is None:
        return None
    get = cache.answers.get
    held = []
    for rule, at in parts:
        answer = get((rule, tuple([key[i] for i in at])))
        if answer is None:
            return None
        if answer:
            held.append(rule)
    return frozenset(held)


def _remember(cache: ItemCaches, key: tuple[object, ...], held: frozenset[RuleKey]) -> None:
    """Each condition's answer in this cell, under the part of the key it reads."""
    if cache.parts is None:
        return
    put = cache.answers.put
    for rule, at in cache.parts:
        put((rule, tuple([key[i] for i in at])), rule in held)
