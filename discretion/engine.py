"""The one adapter around durable_rules, the production condition matcher.

durable_rules keeps rulesets in a process-global host that cannot replace them, loses
actions under concurrent use, raises when nothing matches, and refuses Decimal. So: one
host per process; each compiled item is registered once under a name carrying its
ruleset's content hash; every call holds one lock, asserts a fact with a fresh id,
collects the ids of the rules that fired, and retracts the fact.

Its Host also starts background timer threads that dispatch pending actions of every ruleset
every 0.2 s, outside any lock of ours: such a thread could take an action of the fact being
matched and run it after the match had read what fired (a rule missing from one answer, and
added to the next). The host here starts none: every action runs inside assert_fact, under
the lock. Nothing here uses durable_rules' timers or queued events.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable, Mapping

from durable.engine import Host, MessageNotHandledException, MessageObservedException

from .conditions import MARK, Condition, encode, given_facts, given_flag
from .errors import ConditionError
from .keys import RuleKey

_LOCK = threading.Lock()
_HOST: Host | None = None
_REGISTERED: set[str] = set()
_FIRED: list[RuleKey] = []
_IDS = itertools.count()
_SID = "0"


class _SynchronousHost(Host):  # type: ignore[misc]  # durable_rules is untyped
    """A Host without the background dispatcher threads (see the module docstring)."""

    def _run(self) -> None:
        return None


def _host() -> Host:
    global _HOST
    if _HOST is None:
        _HOST = _SynchronousHost()
    return _HOST


def _action(
    rule: RuleKey,
) -> Callable[[Any], None]:  # one parameter only: two would make durable_rules treat it as async
    def run(c: Any) -> None:
        _FIRED.append(rule)

    return run


#: what one durable_rules message may carry: durable_rules 2.0.28 refuses a message of 255 properties (error 302)
#: and fails on one whose facts fan out past its alpha-network stack (error 303, seen from ~220 distinct facts);
#: 128 distinct facts were matched correctly. A message here carries its facts, the given() flags, the mark,
#: `sid` and `id`; the conditions sent together keep within this bound (half of what was seen to work).
MAX_PROPERTIES = 67
_FIXED = 3  # MARK, sid, id


class DurableMatcher:
    """Asks durable_rules which of a set of named conditions hold for one set of facts.

    The conditions are registered as one durable_rules ruleset, or as several when together they read more
    facts than one message may carry (MAX_PROPERTIES): each ruleset is then asked with the facts its own
    conditions read, and the answers are joined."""

    def __init__(self, name: str, conditions: Mapping[RuleKey, Condition], types: Mapping[str, str]) -> None:
        self.name = re.sub(r"[^A-Za-z0-9_]", "_", name)
        self.types = dict(types)
        groups = _groups(sorted(conditions.items()), self.name)
        self._groups: list[_Group] = [
            _Group(
                name=self.name if len(groups) == 1 else f"{self.name}__{k}",
                facts=tuple(sorted({f for _, c in group for f in c.facts if f in self.types})),
                flags=tuple(sorted((f, given_flag(f)) for _, c in group for f in given_facts(c.node, set()))),
                definition={
                    f"r{i}": {"all": [{"m": cond.to_durable(self.types)}], "run": _action(rule)}
                    for i, (rule, cond) in enumerate(group)
                },
            )
            for k, group in enumerate(groups)
        ]

    def _ensure(self) -> None:
        for g in self._groups:
            if g.name not in _REGISTERED:
                _host().register_rulesets({g.name: g.definition})
                _REGISTERED.add(g.name)

    def match(self, facts: Mapping[str, Any]) -> frozenset[RuleKey]:
        """The rule keys whose conditions hold; absent (None) facts are left out, as the reference does."""
        with _LOCK:
            self._ensure()
            fired: frozenset[RuleKey] = frozenset()
            for g in self._groups:
                fired |= self._ask(g, facts)
            return fired

    def _ask(self, g: _Group, facts: Mapping[str, Any]) -> frozenset[RuleKey]:
        message: dict[str, Any] = {f: encode(v, self.types[f]) for f in g.facts if (v := facts.get(f)) is not None}
        message[MARK] = 1
        for fact, flag in g.flags:
            message[flag] = 0 if facts.get(fact) is None else 1
        message["sid"] = _SID
        for attempt in (1, 2):
            message["id"] = f"f{next(_IDS)}"
            _FIRED.clear()
            try:
                _host().assert_fact(g.name, message)
            except MessageNotHandledException:
                return frozenset()
            except MessageObservedException:
                if attempt == 2:
                    raise
                continue
            fired = frozenset(_FIRED)
            _FIRED.clear()
            with contextlib.suppress(MessageNotHandledException):
                _host().retract_fact(g.name, message)
            return fired
        raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class _Group:
    """Conditions registered and asked together: their facts and given() flags fit in one message."""

    name: str
    facts: tuple[str, ...]
    flags: tuple[tuple[str, str], ...]
    definition: dict[str, Any]


def _size(conditions: list[tuple[RuleKey, Condition]]) -> int:
    facts = {f for _, c in conditions for f in c.facts}
    flags = {f for _, c in conditions for f in given_facts(c.node, set())}
    return len(facts) + len(flags) + _FIXED


def _groups(conditions: list[tuple[RuleKey, Condition]], name: str) -> list[list[tuple[RuleKey, Condition]]]:
    """Conditions in order, cut into groups whose messages fit (first fit, in the conditions' order)."""
    groups: list[list[tuple[RuleKey, Condition]]] = []
    for rule, cond in conditions:
        if _size([(rule, cond)]) > MAX_PROPERTIES:  # parse_condition refuses such a condition (MAX_FACTS)
            raise ConditionError(
                f"reads more facts than the matcher takes ({MAX_PROPERTIES - _FIXED})",
                text=cond.text,
                position=1,
                field=f"{name}:{rule}",
            )
        for group in groups:
            if _size([*group, (rule, cond)]) <= MAX_PROPERTIES:
                group.append((rule, cond))
                break
        else:
            groups.append([(rule, cond)])
    return groups or [[]]
