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
from typing import Any
from collections.abc import Callable, Mapping

from durable.engine import Host, MessageNotHandledException, MessageObservedException

from .conditions import MARK, Condition, encode, given_facts, given_flag
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


class DurableMatcher:
    """Asks durable_rules which of a set of named conditions hold for one set of facts."""

    def __init__(self, name: str, conditions: Mapping[RuleKey, Condition], types: Mapping[str, str]) -> None:
        self.name = re.sub(r"[^A-Za-z0-9_]", "_", name)
        self.types = dict(types)
        self.flags: tuple[tuple[str, str], ...] = tuple(
            sorted((f, given_flag(f)) for c in conditions.values() for f in given_facts(c.node, set()))
        )
        self._definition = {
            f"r{i}": {"all": [{"m": cond.to_durable(self.types)}], "run": _action(rule)}
            for i, (rule, cond) in enumerate(sorted(conditions.items()))
        }

    def _ensure(self) -> None:
        if self.name not in _REGISTERED:
            _host().register_rulesets({self.name: self._definition})
            _REGISTERED.add(self.name)

    def match(self, facts: Mapping[str, Any]) -> frozenset[RuleKey]:
        """The rule keys whose conditions hold; absent (None) facts are left out, as the reference does."""
        message: dict[str, Any] = {
            f: encode(v, self.types[f]) for f, v in facts.items() if v is not None and f in self.types
        }
        message[MARK] = 1
        for fact, flag in self.flags:
            message[flag] = 0 if facts.get(fact) is None else 1
        message["sid"] = _SID
        with _LOCK:
            self._ensure()
            for attempt in (1, 2):
                message["id"] = f"f{next(_IDS)}"
                _FIRED.clear()
                try:
                    _host().assert_fact(self.name, message)
                except MessageNotHandledException:
                    return frozenset()
                except MessageObservedException:
                    if attempt == 2:
                        raise
                    continue
                fired = frozenset(_FIRED)
                _FIRED.clear()
                with contextlib.suppress(MessageNotHandledException):
                    _host().retract_fact(self.name, message)
                return fired
        raise AssertionError("unreachable")  # pragma: no cover
