"""Compiling a resolved ruleset: every condition parsed and type-checked, one matcher per item.

A `CompiledItem` holds all conditions that can matter for one catalogue item (its statutory
clauses, fallbacks, tiers, weights, conditional measures, the list entries that apply to it,
the extended limitation) under stable rule keys. `match` asks durable_rules once per cell
of fact space and caches the answer; `match_reference` asks the plain predicates. The
two must agree, which the differential tests check.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Iterator, Mapping

import orjson

from .citation import Citation
from .conditions import Condition, Value, cell_function, parse_condition
from .engine import DurableMatcher
from .errors import ConditionError, RulesetLoadError
from .facts import Derivation, parse_derived
from .keys import LIMITATION_EXTENDED, RuleKey
from .ruleset import CountBound, FactSpec, Item, Limitation, ListEntry, MeasureRef, Placement, Ruleset
from .warmth import refuse_cold

if TYPE_CHECKING:
    from .evaluation.cells import ItemCaches

DEFAULT_PLACEMENT = Placement()


def content_hash(ruleset: Ruleset) -> str:
    """sha256 of the canonical JSON of a resolved ruleset: the identity of a version."""
    return hashlib.sha256(canonical_json(ruleset.model_dump(mode="json", exclude_none=True))).hexdigest()


def canonical_json(doc: Any) -> bytes:
    """`json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))` in UTF-8, the identity a
    version's hash has always had: orjson writes the same bytes for a ruleset's JSON-mode dump (strings, ints,
    bools, None, lists, dicts; keys sorted by code point; the same escapes), four times faster on a large
    catalogue. A ruleset has no float field (money and numbers are Decimal, dumped as strings: orjson would
    write a float's digits its own way), which tests/test_catalogue.py checks with the two writers' bytes;
    what orjson will not write (an int beyond 64 bits, a lone surrogate) goes to json.dumps."""
    try:
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def resolve(ruleset: Ruleset, parents: list[Ruleset]) -> Ruleset:
    """Merge the extended rulesets in: their facts, measures and lists, and placement/limitation
    where the ruleset gives none. A fact declared twice must be declared identically."""
    facts: dict[str, FactSpec] = {}
    measures: dict[str, str] = {}
    penalty_measures: dict[str, str] = {}
    lists: list[ListEntry] = []
    placement, limitation = ruleset.placement, ruleset.limitation
    for parent in parents:
        for name, spec in parent.facts.items():
            if name in facts and facts[name] != spec:
                raise RulesetLoadError(
                    f"fact {name!r} is declared differently by two extended rulesets", path=f"extends ({parent.ref})"
                )
            facts[name] = spec
        measures.update(parent.measures)
        penalty_measures.update(parent.penalty_measures)
        lists.extend(parent.lists)
        placement = placement or parent.placement
        limitation = limitation or parent.limitation
    for name, spec in ruleset.facts.items():
        if name in facts and facts[name] != spec:
            raise RulesetLoadError(
                f"fact {name!r} redeclares a fact of an extended ruleset differently", path=f"facts.{name}"
            )
        facts[name] = spec
    measures.update(ruleset.measures)
    penalty_measures.update(ruleset.penalty_measures)
    undeclared = [m for m in penalty_measures if m not in measures]
    if undeclared:
        raise RulesetLoadError(f"penalty_measures: not declared in measures: {undeclared}", path="penalty_measures")
    own_ids = {e.id for e in ruleset.lists}
    clash = own_ids & {e.id for e in lists}
    if clash:
        raise RulesetLoadError(f"list ids repeat ids of an extended ruleset: {sorted(clash)}", path="lists")
    return ruleset.model_copy(
        update={
            "facts": facts,
            "measures": measures,
            "penalty_measures": penalty_measures,
            "lists": [*lists, *ruleset.lists],
            "placement": placement,
            "limitation": limitation,
        }
    )


def applies(entry: ListEntry, code: str) -> bool:
    """Whether a list entry's `applies_to` patterns cover an item code."""
    return any(fnmatch.fnmatchcase(code, p) for p in entry.applies_to)


@dataclass(frozen=True)
class Counting:
    """A list entry that holds by the number of other entries that hold (`when_count`: 中国人民银行令〔2024〕第6号
    第十七条 "同时具有两个或者两个以上从轻处罚情形，且不具有从重处罚情形的，可以减轻处罚").

    `counted` has, per list it names, its bound and the entries of that list that apply to the item (not
    displaced, and not counting entries themselves: a count never counts a count, so there is no cycle)."""

    entry: ListEntry
    key: RuleKey
    counted: tuple[tuple[str, CountBound, tuple[tuple[RuleKey, ListEntry], ...]], ...]

    def holding(self, matched: frozenset[RuleKey]) -> list[tuple[str, CountBound, list[ListEntry]]]:
        """Per list counted: its bound and the entries of it whose conditions hold."""
        return [(kind, bound, [e for k, e in cands if k in matched]) for kind, bound, cands in self.counted]

    def holds(self, matched: frozenset[RuleKey]) -> bool:
        """Whether every bound is met by the entries that hold (the entry's own `when` is asked apart)."""
        for _, bound, cands in self.counted:
            n = sum(1 for k, _ in cands if k in matched)
            if (bound.at_least is not None and n < bound.at_least) or (bound.at_most is not None and n > bound.at_most):
                return False
        return True


def countings(applicable: list[ListEntry], entries: list[ListEntry]) -> list[Counting]:
    """The counting entries among `applicable`, each with the entries (of `entries`, the ones not displaced)
    it counts."""
    plain = [e for e in entries if e.when_count is None]
    return [
        Counting(
            e,
            RuleKey.entry(e.id),
            tuple(
                (kind, bound, tuple((RuleKey.entry(x.id), x) for x in plain if x.list == kind))
                for kind, bound in sorted(e.when_count.items(), key=lambda kv: _COUNT_ORDER[kv[0]])
            ),
        )
        for e in applicable
        if e.when_count is not None
    ]


#: the order a count's lists are said in (从轻, 减轻, 从重)
_COUNT_ORDER = {"lenient": 0, "mitigated": 1, "aggravated": 2}


@dataclass(eq=False)  # identity: the evaluation layer keys its caches by the item
class CompiledItem:
    """One catalogue item ready to evaluate: its schema, conditions and matcher."""

    item: Item
    schema: dict[str, FactSpec]
    types: dict[str, str]
    derived: list[tuple[str, Derivation]]
    conditions: dict[RuleKey, Condition]
    entries: list[ListEntry]
    matcher: DurableMatcher
    cell_facts: tuple[str, ...]
    cell_key: Callable[[Mapping[str, Value | None]], tuple[Any, ...]]
    by_list: dict[tuple[str, bool], list[ListEntry]] = field(default_factory=dict)
    #: general entries that do not apply here, displaced by a special provision (with its basis)
    displaced: list[tuple[ListEntry, list[Citation]]] = field(default_factory=list)
    #: the evaluator's per-cell caches: created, sized and evicted by discretion.evaluation.cells (kept
    #: here only so that a case reaches them with one attribute read)
    evaluation_caches: ItemCaches | None = None
    #: `by_list` with each entry's rule key (planning a new cell asks which entries hold)
    keyed_by_list: dict[tuple[str, bool], list[tuple[ListEntry, RuleKey]]] = field(default_factory=dict)
    #: entries that hold by the number of other entries that hold (`when_count`)
    counting: list[Counting] = field(default_factory=list)
    #: where each fact's value or bucket sits in a cell key (a condition's answer depends on its facts' part only)
    cell_positions: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for e in self.entries:
            self.by_list.setdefault((e.list, e.mandatory), []).append(e)
        self.keyed_by_list = {k: [(e, RuleKey.entry(e.id)) for e in v] for k, v in self.by_list.items()}

    def match(self, facts: Mapping[str, Value | None]) -> frozenset[RuleKey]:
        """Rule keys that hold, from durable_rules (uncached: the evaluation layer caches per cell,
        discretion.evaluation.cells)."""
        return self.counted(self.match_conditions(facts))

    def match_conditions(self, facts: Mapping[str, Value | None]) -> frozenset[RuleKey]:
        """The keys of the conditions that hold, from durable_rules, before counts are applied (`counted`)."""
        return self.matcher.match(facts)

    def match_reference(self, facts: Mapping[str, Value | None]) -> frozenset[RuleKey]:
        """Rule keys that hold, from the reference predicates."""
        return self.counted(frozenset(k for k, c in self.conditions.items() if c.holds(facts)))

    def counted(self, keys: frozenset[RuleKey]) -> frozenset[RuleKey]:
        """`keys` (the conditions that hold) without the counting entries whose count is not met: a counting
        entry holds when its own `when` and its count both hold. The count reads only keys of `keys`, so a cell
        of fact space still decides it (the per-cell caches stay keyed by what the count reads)."""
        if not self.counting:
            return keys
        failed = {c.key for c in self.counting if c.key in keys and not c.holds(keys)}
        return keys - failed if failed else keys

    def holds(self, key: RuleKey, facts: Mapping[str, Value | None]) -> bool:
        return self.conditions[key].holds(facts)


@dataclass(eq=False)
class CompiledRuleset:
    """A resolved, hashed ruleset with every item compiled."""

    ruleset: Ruleset
    hash: str
    placement: Placement
    limitation: Limitation | None
    items: Mapping[str, CompiledItem]  # a dict, or LazyItems for a large catalogue

    @property
    def placement_basis(self) -> list[Citation]:
        """What placement steps cite: the placement rules' documents, else the ruleset's source."""
        if self._placement_basis is None:
            self._placement_basis = list(self.placement.basis) or [Citation(law=s) for s in self.ruleset.source[:1]]
        return self._placement_basis

    _placement_basis: list[Citation] | None = None

    @property
    def department(self) -> str:
        return self.ruleset.department

    @property
    def version(self) -> str:
        return self.ruleset.version

    def find_item(self, code: str) -> CompiledItem | None:
        """By code, or by an earlier code the item declares in `formerly`."""
        hit = self.items.get(code)
        if hit is not None:
            return hit
        for item in self.ruleset.items:  # the models, not the compiled items: a miss compiles nothing
            if code in item.formerly:
                return self.items[item.code]
        return None


def _measure_conditions(
    owner: RuleKey, refs: list[MeasureRef], schema: Mapping[str, FactSpec], where: str, out: dict[RuleKey, Condition]
) -> None:
    for i, m in enumerate(refs):
        if m.when:
            out[RuleKey.measure(owner, i)] = parse_condition(m.when, schema, field=f"{where}.measures[{i}].when")


def compile_item(
    rs: Ruleset, idx: int, item: Item, placement: Placement, limitation: Limitation | None, rs_hash: str
) -> CompiledItem:
    """Parse every condition an item can meet; derive the item's fact schema from them."""
    where = f"items[{idx}]"
    full: dict[str, FactSpec] = {**rs.facts}
    for name, spec in item.facts.items():
        if name in full and full[name] != spec:
            raise ConditionError(
                f"item fact {name!r} redeclares a ruleset fact differently",
                text=name,
                position=1,
                field=f"{where}.facts.{name}",
            )
        full[name] = spec
    conds: dict[RuleKey, Condition] = {}
    base_facts: set[str] = set()
    for ci, clause in enumerate(item.statutory):
        w = f"{where}.statutory[{ci}]"
        conds[RuleKey.statutory(clause.id)] = parse_condition(clause.when, full, field=f"{w}.when")
        if clause.fine is not None and clause.fine.multiple_of:
            base = full.get(clause.fine.multiple_of)
            if base is None or base.type != "money":
                raise ConditionError(
                    f"the base {clause.fine.multiple_of!r} must be a declared money fact",
                    text=clause.fine.multiple_of,
                    position=1,
                    field=f"{w}.fine.multiple_of",
                )
            base_facts.add(clause.fine.multiple_of)
            if clause.fine.fallback is not None:
                conds[RuleKey.fallback(clause.id)] = parse_condition(
                    clause.fine.fallback.when, full, field=f"{w}.fine.fallback.when"
                )
        _measure_conditions(RuleKey.statutory(clause.id), clause.measures, full, w, conds)
    from .shapes import shape_for  # the shapes depend on evaluation, which depends on this module

    refused = shape_for(item.shape or placement.shape).validate(item)
    if refused is not None:
        raise ConditionError(refused[1], text=item.code, position=1, field=f"{where}.{refused[0]}")
    for ti, tier in enumerate(item.tiers):
        conds[RuleKey.tier(tier.id)] = parse_condition(tier.when, full, field=f"{where}.tiers[{ti}].when")
        _measure_conditions(RuleKey.tier(tier.id), tier.measures, full, f"{where}.tiers[{ti}]", conds)
    if item.weighted is not None:
        for fi, factor in enumerate(item.weighted.factors):
            conds[RuleKey.weight(factor.id)] = parse_condition(
                factor.when, full, field=f"{where}.weighted.factors[{fi}].when"
            )
    applicable = [e for e in rs.lists if applies(e, item.code)]
    displaced = _displaced(rs, idx, item, applicable)
    entries = [e for e in applicable if e.id not in displaced]
    for e in applicable:
        li = rs.lists.index(e)
        conds[RuleKey.entry(e.id)] = parse_condition(e.when, full, field=f"lists[{li}].when")
        _measure_conditions(RuleKey.entry(e.id), e.measures, full, f"lists[{li}]", conds)
    if item.touches_safety and limitation is not None and limitation.extended is not None:
        conds[LIMITATION_EXTENDED] = parse_condition(limitation.extended.when, full, field="limitation.extended.when")
    for key, refs in _all_measures(item, entries):
        for m in refs:
            if m.code not in rs.measures:
                raise ConditionError(
                    f"measure {m.code!r} is not declared in `measures`",
                    text=m.code,
                    position=1,
                    field=f"{where} ({key})",
                )

    # The item's schema: what its conditions read, its fine bases, its own facts, and what derived facts need.
    read: set[str] = set(base_facts) | set(item.facts)
    for c in conds.values():
        read.update(c.facts)
    derived_fns: dict[str, tuple[Derivation, tuple[str, ...]]] = {}
    pending = [n for n in read if full[n].derived]
    while pending:
        name = pending.pop()
        if name in derived_fns:
            continue
        fn, deps = parse_derived(full[name].derived or "", full, field=f"facts.{name}.derived")
        derived_fns[name] = (fn, deps)
        for d in deps:
            read.add(d)
            if full[d].derived and d not in derived_fns:
                pending.append(d)
    order = _topological(derived_fns)
    schema = {n: full[n] for n in sorted(read)}
    types: dict[str, str] = {n: s.type for n, s in schema.items()}
    names, cell_key, positions = cell_function(list(conds.values()), types)
    matcher = DurableMatcher(f"d_{rs.department}_{rs.version}_{rs_hash[:16]}_{item.code}", conds, types)
    return CompiledItem(
        item=item,
        schema=schema,
        types=types,
        derived=[(n, derived_fns[n][0]) for n in order],
        conditions=conds,
        entries=entries,
        matcher=matcher,
        cell_facts=names,
        cell_key=cell_key,
        cell_positions=positions,
        displaced=[(e, displaced[e.id]) for e in applicable if e.id in displaced],
        counting=countings(applicable, entries),
    )


def _displaced(rs: Ruleset, idx: int, item: Item, applicable: list[ListEntry]) -> dict[str, list[Citation]]:
    """法律、行政法规另有规定的，从其规定: the general entries this item's special provisions displace,
    each with the basis of the special provision (the item's `displaces`, or an applicable entry's)."""
    known = {e.id for e in rs.lists}
    out: dict[str, list[Citation]] = {}
    for di, d in enumerate(item.displaces or []):
        if d.entry not in known:
            raise ConditionError(
                f"displaces {d.entry!r}, which is not a list entry of this ruleset or what it extends",
                text=d.entry,
                position=1,
                field=f"items[{idx}].displaces[{di}].entry",
            )
        out[d.entry] = list(d.basis)
    for e in applicable:
        for target in e.displaces or []:
            out.setdefault(target, list(e.basis))
    return out


def _all_measures(item: Item, entries: list[ListEntry]) -> list[tuple[RuleKey, list[MeasureRef]]]:
    out = [(RuleKey.statutory(c.id), c.measures) for c in item.statutory]
    out += [(RuleKey.tier(t.id), t.measures) for t in item.tiers]
    out += [(RuleKey.entry(e.id), e.measures) for e in entries]
    return out


def _topological(fns: dict[str, tuple[Derivation, tuple[str, ...]]]) -> list[str]:
    done: list[str] = []
    visiting: set[str] = set()

    def visit(n: str) -> None:
        if n in done:
            return
        if n in visiting:
            raise ConditionError(
                "derived facts depend on each other in a cycle", text=n, position=1, field=f"facts.{n}"
            )
        visiting.add(n)
        for d in fns[n][1]:
            if d in fns:
                visit(d)
        visiting.discard(n)
        done.append(n)

    for n in sorted(fns):
        visit(n)
    return done


class LazyItems(Mapping[str, CompiledItem]):
    """Compiled items by code, each compiled on first use (a catalogue of thousands loads at once).

    `on_error` turns a compile error into the positioned one the loader reports; iterating the
    values compiles every item (what verify and `discretion validate` do).
    """

    def __init__(
        self, resolved: Ruleset, placement: Placement, h: str, on_error: Callable[[Exception], Exception] | None = None
    ) -> None:
        self._resolved, self._placement, self._hash, self._on_error = resolved, placement, h, on_error
        self._index = {item.code: i for i, item in enumerate(resolved.items)}
        self._done: dict[str, CompiledItem] = {}
        self._lock = threading.Lock()

    def __getitem__(self, code: str) -> CompiledItem:
        hit = self._done.get(code)
        if hit is not None:
            return hit
        i = self._index[code]
        refuse_cold()  # compiling an item is milliseconds: not on the event loop
        with self._lock:
            hit = self._done.get(code)
            if hit is None:
                rs = self._resolved
                try:
                    hit = compile_item(rs, i, rs.items[i], self._placement, rs.limitation, self._hash)
                except (ConditionError, RulesetLoadError) as e:
                    if self._on_error is None:
                        raise
                    raise self._on_error(e) from None
                self._done[code] = hit
        return hit

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, code: object) -> bool:
        return code in self._index


#: rulesets with more items than this compile their items lazily, on first use
EAGER_ITEMS = 200


def compile_ruleset(
    resolved: Ruleset, *, on_error: Callable[[Exception], Exception] | None = None, known_hash: str | None = None
) -> CompiledRuleset:
    """Compile a resolved ruleset (ConditionError names the offending path). Up to EAGER_ITEMS items
    compile now; a larger catalogue compiles each item when it is first asked for. `known_hash` is its
    content hash when the caller has it already (discretion.yamlcache)."""
    placement = resolved.placement or DEFAULT_PLACEMENT
    h = known_hash or content_hash(resolved)
    known = {e.id for e in resolved.lists}
    for li, e in enumerate(resolved.lists):
        for di, target in enumerate(e.displaces or []):
            if target not in known or target == e.id:
                raise ConditionError(
                    f"displaces {target!r}, which is not another list entry of this ruleset or what it extends",
                    text=target,
                    position=1,
                    field=f"lists[{li}].displaces[{di}]",
                )
        if "*" in e.applies_to:  # applies to every item, so it may read only ruleset-level facts
            parse_condition(e.when, resolved.facts, field=f"lists[{li}].when")
    items: Mapping[str, CompiledItem] = LazyItems(resolved, placement, h, on_error)
    if len(items) <= EAGER_ITEMS:
        items = {code: items[code] for code in items}
    return CompiledRuleset(ruleset=resolved, hash=h, placement=placement, limitation=resolved.limitation, items=items)
