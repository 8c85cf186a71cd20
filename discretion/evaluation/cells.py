"""The evaluator's per-cell caches: which rules hold in a cell, and the plan of that cell.

All facts in one cell of fact space meet the same conditions (DESIGN.md), so durable_rules is
asked once per cell and the path through the evaluation order is planned once per set of rules
that hold. A service sees an unbounded number of distinct cells over time, so both caches are
least-recently-used with a fixed size per item: `CELLS` cell answers and `PLANS` plans. A cell
evicted is asked again the next time (an answer never changes: the compiled item is immutable).
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
    """The two caches of one compiled item."""

    __slots__ = ("matched", "plans")

    def __init__(self) -> None:
        self.matched: LRU[tuple[object, ...], frozenset[RuleKey]] = LRU(CELLS)
        self.plans: LRU[frozenset[RuleKey], Plan] = LRU(PLANS)

    def clear(self) -> None:
        """Forget every answer and plan (benchmarks of the first case of a cell; tests)."""
        self.matched.clear()
        self.plans.clear()


def caches(ci: CompiledItem) -> ItemCaches:
    """The caches of an item (made on first use; they live and die with the compiled item)."""
    hit = ci.evaluation_caches
    if hit is None:
        with _LOCK:
            hit = ci.evaluation_caches
            if hit is None:
                hit = ci.evaluation_caches = ItemCaches()
    return hit


_LOCK = threading.Lock()


def match(ci: CompiledItem, facts: Mapping[str, Value | None]) -> frozenset[RuleKey]:
    """The rule keys that hold for these facts: durable_rules' answer, asked once per cell."""
    cache = caches(ci).matched
    key = ci.cell_key(facts)
    hit = cache.get(key)
    if hit is None:
        refuse_cold()  # durable_rules is asked on a worker thread, not on the event loop
        hit = ci.match(facts)
        cache.put(key, hit)
    return hit
