"""diff misses nothing: every change that changes the content hash is said, in words where there is
a sentence for it and structurally where there is not, naming the items it can change."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from discretion import RulesetLibrary
from discretion.audit import diff
from discretion.audit.structure import differences
from discretion.audit.verify import item_space
from discretion.compiler import CompiledItem, CompiledRuleset
from discretion.errors import DiscretionError
from discretion.evaluation.apply import Dates, apply_version
from discretion.evaluation.result import TraceStep
from discretion.facts import validate_facts

from .ruleset_strategies import condition, ruleset_doc, to_yaml
from .test_evaluation import DEPT, ITEM_GAIN
from .test_verify import COMMON

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
DATES = Dates(dt.date(2024, 3, 1), None, dt.date(2024, 6, 1), dt.date(2024, 6, 1))
VERSION_STEP = TraceStep(step="version", rule="gen/2024", effect="适用", citation="测试")

# ---------------------------------------------------------------- mutations of a document


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaves(v, (*path, k))]
    if isinstance(node, list) and node and all(isinstance(x, (dict, list)) for x in node):
        return [p for i, v in enumerate(node) for p in _leaves(v, (*path, i))]
    return [path]


def _get(doc: Any, path: tuple) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


@st.composite
def changed_pair(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A document and a copy with one change: a value perturbed, a key dropped, or a part replaced
    by the same part of another random document."""
    doc = draw(ruleset_doc())
    new = copy.deepcopy(doc)
    how = draw(st.sampled_from(["leaf", "leaf", "drop", "graft"]))
    leaves = [p for p in _leaves(new) if p[0] not in ("department", "version")]
    if how == "graft":
        other = draw(ruleset_doc())
        part = draw(
            st.sampled_from(
                [
                    ("items", 0, "statutory"),
                    ("items", 0, "tiers"),
                    ("items", 0, "weighted"),
                    ("items", 0, "shape"),
                    ("lists",),
                    ("placement",),
                    ("limitation",),
                ]
            )
        )
        try:
            value = _get(other, part)
        except (KeyError, IndexError):
            value = None
        if value is None:
            assume(part[-1] in _get(new, part[:-1]))
            del _get(new, part[:-1])[part[-1]]
        else:
            _set(new, part, copy.deepcopy(value))
        return doc, new
    path = draw(st.sampled_from(leaves))
    if how == "drop":
        assume(isinstance(path[-1], str))
        del _get(new, path[:-1])[path[-1]]
        return doc, new
    old = _get(new, path)
    if path[-1] == "when":
        value = draw(condition())
    elif isinstance(old, bool):
        value = not old
    elif isinstance(old, (int, float)):
        value = old + draw(st.sampled_from([-1000, -1, -0.1, 0.05, 0.1, 1, 1000]))
    elif isinstance(old, list):
        value = old[:-1] if old else ["none"]
    else:
        value = f"{old}改"
    _set(new, path, value)
    return doc, new


def _compiled(doc: dict[str, Any]) -> CompiledRuleset | None:
    try:
        return RulesetLibrary.from_texts({"gen/2024": to_yaml(doc)}).version("gen", "2024")
    except DiscretionError:
        return None


# ---------------------------------------------------------------- evaluation of both


def _cases(ci: CompiledItem) -> list[dict[str, Any]]:
    """One case per reachable state of the item (verify's examples): every behaviour it has."""
    space = item_space(ci)
    return [{**space.fixed, **{k: v for k, v in r.example().items() if v is not None}} for r in space.states.values()]


def _outcome(crs: CompiledRuleset, code: str, raw: dict[str, Any]) -> Any:
    ci = crs.items.get(code)
    if ci is None:
        return "no such item"
    try:
        facts = validate_facts({k: v for k, v in raw.items() if k in ci.schema}, ci.schema, ci.derived)
        rec = apply_version(crs, ci, facts, DATES, VERSION_STEP)
    except DiscretionError as e:
        return f"refused: {type(e).__name__}"
    return json.loads(rec.model_dump_json(exclude={"ruleset"}))


# ---------------------------------------------------------------- the properties


@SETTINGS
@given(pair=changed_pair())
def test_different_hashes_always_give_a_non_empty_diff_and_equal_hashes_an_empty_one(pair) -> None:
    a, b = (_compiled(d) for d in pair)
    assume(a is not None and b is not None)
    report = diff(a, b)
    if a.hash != b.hash:
        assert report.changes, differences(a.ruleset, b.ruleset)
    else:
        assert report.changes == []


@SETTINGS
@given(pair=changed_pair())
def test_a_change_that_changes_an_evaluation_names_that_item(pair) -> None:
    a, b = (_compiled(d) for d in pair)
    assume(a is not None and b is not None and a.hash != b.hash)
    report = diff(a, b)
    for code in sorted(set(a.items) | set(b.items)):
        cases = [
            *(_cases(a.items[code]) if code in a.items else []),
            *(_cases(b.items[code]) if code in b.items else []),
        ]
        if any(_outcome(a, code, c) != _outcome(b, code, c) for c in cases):
            assert any(not c.items or code in c.items for c in report.changes), (
                code,
                report.changes,
            )


# ---------------------------------------------------------------- the two the issue names


def _pair(make_library, new_items: str) -> tuple[CompiledRuleset, CompiledRuleset]:
    lib = make_library(
        demo__2024=DEPT.format(version="2024", start="2024-01-01", items=ITEM_GAIN, **COMMON),
        demo__2025=DEPT.format(version="2025", start="2025-01-01", items=new_items, **COMMON),
    )
    return lib.version("demo", "2024"), lib.version("demo", "2025")


def test_a_change_of_a_weighted_factor_is_said_in_words(make_library) -> None:
    old, new = _pair(
        make_library,
        ITEM_GAIN.replace("weight: 0.3}", "weight: 0.4}").replace("start: 0.2", "start: 0.25"),
    )
    texts = {c.text: c.items for c in diff(old, new).changes}
    assert texts["权重因素权重「有危害后果」：30% → 40%"] == ["X-W"]
    assert texts["起始权重「权重累加」：20% → 25%"] == ["X-W"]
    assert not [t for t in texts if t.startswith("其他改动")]


def test_a_change_of_a_facts_bounds_is_said_in_words(make_library) -> None:
    lib = make_library(
        demo__2024=DEPT.format(version="2024", start="2024-01-01", items=ITEM_GAIN, **COMMON),
        demo__2025=DEPT.format(version="2025", start="2025-01-01", items=ITEM_GAIN, **COMMON).replace(
            "investment: {type: money, label: 总投资额, default: 0}",
            "investment: {type: money, label: 总投资额, default: 0, maximum: 100000000}",
        ),
    )
    [change] = [c for c in diff(lib.version("demo", "2024"), lib.version("demo", "2025")).changes if c.what == "facts"]
    assert change.items == ["X-W"] and "最高100000000" in change.text and "总投资额（investment）" in change.text


def test_a_field_without_a_sentence_is_said_structurally_with_its_item(make_library) -> None:
    old, new = _pair(
        make_library,
        ITEM_GAIN.replace("    name: 倍数罚款\n", "    name: 倍数罚款\n    touches_safety: true\n"),
    )
    [change] = [c for c in diff(old, new).changes if c.what != "ruleset"]  # (the versions' dates differ too)
    assert change.what == "other" and change.items == ["X-GAIN"]
    assert change.text == "其他改动 items[X-GAIN].touches_safety：false → true"


def test_a_change_of_tier_order_is_reported(make_library) -> None:
    low = "      - {id: low, label: 较轻, when: \"harm in ['none', 'minor']\", fine: {share: [0, 0.5]}}\n"
    high = "      - {id: high, label: 较重, when: \"harm in ['general', 'serious']\", fine: {share: [0.5, 1]}}\n"
    assert low + high in ITEM_GAIN
    old, new = _pair(make_library, ITEM_GAIN.replace(low + high, high + low))
    [change] = [c for c in diff(old, new).changes if c.what != "ruleset"]
    assert change.text == "顺序改变 items[X-GAIN].tiers：low、high → high、low" and change.items == ["X-GAIN"]
