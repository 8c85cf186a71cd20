"""verify's check of counts of circumstances (`when_count`, 中国人民银行令〔2024〕第6号 第十七条): can the count hold?

A counting entry holds by how many other entries hold, and those read facts of many components of the
item's fact space (space.py). The count is a sum over components of the entries each component's cell
meets, as the weight sum is, so it is folded the same way: each component's signatures give a vector of
counts (one per list counted, capped just past the bound, beyond which the count's truth cannot change)
and whether the entry's own `when` holds; combining components adds the vectors. Every combination of
component cells is a real cell, so a count no combination meets is an entry that never acts on the item —
a ruleset defect (e.g. "两个以上从轻情形" on an item to which one 从轻 entry applies). A counting entry
cannot settle a case, raise a tier or carry a weight (refused at load), so no other check's state depends
on the count, and the states verify walks stay exact.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..compiler import CompiledItem, Counting
from ..conditions import Value
from ..wording import count_words
from .checks import Finding
from .space import Space

#: a fold state: the capped counts of each list counted, and whether the entry's own condition holds
_State = tuple[tuple[int, ...], bool]


def _caps(c: Counting) -> tuple[int, ...]:
    """How far each count needs to go: past the largest number its bound names."""
    return tuple(max(b.at_least or 0, (b.at_most + 1) if b.at_most is not None else 0) for _, b, _ in c.counted)


def reachable(c: Counting, space: Space) -> dict[_State, dict[str, Value | None]]:
    """Every (capped counts, own condition) some cell of the item reaches, with an example of its facts."""
    caps = _caps(c)
    keys = [{str(k) for k, _ in cands} for _, _, cands in c.counted]
    own = str(c.key)
    states: dict[_State, dict[str, Value | None]] = {((0,) * len(caps), False): {}}
    for comp in space.components:
        local: dict[_State, dict[str, Value | None]] = {}
        for sig, (example, _) in comp.signatures.items():
            local.setdefault((tuple(len(sig & ks) for ks in keys), own in sig), example)
        nxt: dict[_State, dict[str, Value | None]] = {}
        for (n1, o1), e1 in states.items():
            for (n2, o2), e2 in local.items():
                key = (tuple(min(a + b, cap) for a, b, cap in zip(n1, n2, caps, strict=True)), o1 or o2)
                nxt.setdefault(key, {**e1, **e2})
        states = nxt
    return states


def _meets(c: Counting, counts: tuple[int, ...]) -> bool:
    for (_, b, _), n in zip(c.counted, counts, strict=True):
        if (b.at_least is not None and n < b.at_least) or (b.at_most is not None and n > b.at_most):
            return False
    return True


def findings(ci: CompiledItem, space: Space) -> Iterable[Finding]:
    """A counting entry that applies to the item (not displaced) and that no cell of it meets."""
    acting = {e.id for e in ci.entries}
    for c in ci.counting:
        if c.entry.id not in acting:
            continue
        if any(own and _meets(c, counts) for counts, own in reachable(c, space)):
            continue
        available = "、".join(f"{kind} {len(cands)}" for kind, _, cands in c.counted)
        yield Finding(
            "count",
            f"list entry {c.entry.id!r} (when_count: {count_words(c.entry)}) holds for no case of this item: "
            f"no combination of facts meets its count and its condition (entries of the lists counted that "
            f"apply to the item: {available})",
        )
