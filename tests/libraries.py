"""The two libraries the suite reads, loaded once per process (each xdist worker loads its own).

Loading compiles every ruleset and builds its durable_rules matchers; done at the top of each test
module it cost a second per module at collection. Compiled libraries are immutable apart from their
per-cell caches, which a running service shares between requests in the same way.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from discretion import RulesetLibrary

FIXTURES = Path(__file__).parent / "fixtures" / "rulesets"


@cache
def bundled() -> RulesetLibrary:
    """The bundled rulesets (rulesets/)."""
    return RulesetLibrary.load()


@cache
def fixtures() -> RulesetLibrary:
    """The test fixtures (tests/fixtures/rulesets: general + a food department)."""
    return RulesetLibrary.load(FIXTURES)


def items(*names: str) -> list[tuple[str, str, str]]:
    """(library, ruleset ref, item code) of every item of the named libraries, for parametrize."""
    libs = {"bundled": bundled, "fixtures": fixtures}
    return sorted((n, ref, code) for n in names for ref, c in libs[n]().compiled.items() for code in c.items)
