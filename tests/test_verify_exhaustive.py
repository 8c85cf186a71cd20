"""verify covers every cell of every item, and finds what the old cell-by-cell walk finds.

The reference walk (tests/reference/verify_cells.py) visits each cell; the decomposed verify visits
each reachable state. On small items both are exhaustive, so they must report the same defects.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from discretion import RulesetLibrary
from discretion.audit import verify
from discretion.audit.space import representatives
from discretion.audit.verify import item_space, verify_item
from discretion.facts import validate_facts
from discretion.ruleset import FactSpec

from .conftest import FIXTURES
from .reference import verify_cells
from .ruleset_strategies import ruleset_doc, to_yaml
from .test_evaluation import DEPT, ITEM_GAIN
from .test_verify import COMMON

BUNDLED = RulesetLibrary.load()


def _as_tuples(problems: list[Any]) -> set[tuple[Any, ...]]:
    """The decomposed verify's problems in the reference's terms."""
    out: set[tuple[Any, ...]] = set()
    for p in problems:
        if p.check == "coverage":
            out.add(("coverage", p.message))
        elif p.check in ("tier_range", "tier_base"):
            out.add((p.check, re.search(r"tier '([^']+)'", p.message).group(1)))  # type: ignore[union-attr]
        elif p.check == "weighted_range":
            m = re.search(r"clause '([^']+)': the lowest reachable weight sum is (-?[\d.]+)%", p.message)
            assert m is not None, p.message
            fallback = "the fallback range" in p.message
            out.add(("weighted_range", m.group(1), fallback, Decimal(m.group(2)) / 100))
        elif p.check == "count":
            out.add(("count", re.search(r"list entry '([^']+)'", p.message).group(1)))  # type: ignore[union-attr]
        elif p.check != "citation":
            out.add((p.check, p.message))
    return out


def _normal(found: set[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    return {t[:3] + (t[3].normalize(),) if t[0] == "weighted_range" else t for t in found}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=ruleset_doc())
def test_decomposed_verify_finds_exactly_the_defects_the_cell_by_cell_walk_finds(
    doc: dict[str, Any],
) -> None:
    lib = RulesetLibrary.from_texts({"gen/2024": to_yaml(doc)})
    crs = lib.version("gen", "2024")
    for ci in crs.items.values():
        problems, coverage = verify_item(crs, ci)
        assert coverage.exhaustive
        assert _normal(_as_tuples(problems)) == _normal(verify_cells.findings(crs, ci))


@pytest.mark.parametrize("ref, code", [("cgzf/2023", "CG-PS-50-2"), ("jtys/2023", "JT-GL-65-3")])
def test_on_bundled_items_the_cell_by_cell_walk_and_verify_find_the_same_defects(ref: str, code: str) -> None:
    """CG-PS-50-2 has the two documented defects (a tier gap and a tier beyond the statute);
    JT-GL-65-3 none."""
    crs = BUNDLED.compiled[ref]
    ci = crs.items[code]
    problems, coverage = verify_item(crs, ci)
    walked = verify_cells.findings(crs, ci)
    assert coverage.exhaustive and coverage.cells <= verify_cells.size(ci)
    assert _as_tuples(problems) == walked
    assert bool(walked) == (code == "CG-PS-50-2")


def test_every_bundled_item_is_verified_exhaustively_and_the_report_says_so() -> None:
    report = verify(BUNDLED)
    assert report.coverage and all(c.exhaustive and c.note is None for c in report.coverage)
    assert report.exhaustive
    # the items that the old walk sampled (more than 4,096 cells of deciding facts) are among them
    assert max(c.cells for c in report.coverage) > 10**9


def test_cells_count_is_the_product_of_the_buckets_of_every_fact_read() -> None:
    crs = RulesetLibrary.load(FIXTURES).version("food", "2024")
    ci = crs.items["F-124"]
    space = item_space(ci)
    expected = 1
    for comp in space.components:
        n = 1
        for f in comp.facts:
            cuts = {v for c in ci.conditions.values() for v in c.thresholds().get(f, ())}
            if any(a.key.startswith("base0:") and f in a.facts for a in comp.atoms):
                cuts.add(Decimal(0))
            n *= len(representatives(ci.schema[f], cuts))
        expected *= n
    assert space.cells == expected
    assert sum(r.cells for r in space.states.values()) == expected  # every cell lands in exactly one state


def test_state_examples_are_real_cases_that_reach_their_state() -> None:
    crs = BUNDLED.version("scjg", "2025")
    ci = crs.items["SC-FOOD-124-1-1"]
    space = item_space(ci)
    for (on, settled, _), reach in space.states.items():
        facts = validate_facts(
            {**space.fixed, **{k: v for k, v in reach.example().items() if v is not None}},
            ci.schema,
            ci.derived,
        )
        matched = {str(k) for k in ci.match_reference(facts)}
        if not settled:
            assert {k for k in matched if k.startswith(("statutory:", "tier:", "fallback:"))} == {
                k for k in on if k.startswith(("statutory:", "tier:", "fallback:"))
            }


@pytest.mark.parametrize(
    "spec, cuts, expect",
    [
        (
            FactSpec(type="money", label="m"),
            [Decimal("1000")],
            [Decimal("999.99"), Decimal(1000), Decimal("1000.01")],
        ),
        (
            FactSpec(type="money", label="m"),
            [Decimal("1.00"), Decimal("1.01")],  # nothing strictly between 1.00 and 1.01
            [Decimal("0.99"), Decimal("1.00"), Decimal("1.01"), Decimal("1.02")],
        ),
        (FactSpec(type="integer", label="n", minimum=Decimal(0)), [3, 4], [2, 3, 4, 5]),
        (
            FactSpec(type="integer", label="n", minimum=Decimal(4)),
            [3, 4],
            [4, 5],
        ),  # below 3 and 3 itself: not allowed
        (
            FactSpec(type="number", label="r"),
            [Decimal("0.3"), Decimal("0.300001")],
            [
                Decimal("-0.7"),
                Decimal("0.3"),
                Decimal("0.3000005"),
                Decimal("0.300001"),
                Decimal(1),
            ],
        ),
        (FactSpec(type="money", label="m", required=False), [], [Decimal(0), None]),
    ],
)
def test_one_valid_value_per_non_empty_bucket(spec: FactSpec, cuts: list[Any], expect: list[Any]) -> None:
    assert representatives(spec, cuts) == expect


def test_a_gap_hidden_behind_many_independent_facts_is_found(make_library) -> None:
    """Twelve list-only facts multiply the cells past what the old walk sampled; the gap in the
    tiers (gain exactly 5,000) is found anyway, with a case the evaluator refuses."""
    flags = "".join(f"  f{i}: {{type: bool, label: 情节{i}, default: false}}\n" for i in range(12))
    entries = "".join(
        f"  - {{id: D-L{i}, list: lenient, label: 情节{i}, mandatory: true, "
        'applies_to: ["X-GAIN"], '
        f"when: f{i}, basis: {{law: 测试夹具}}}}\n"
        for i in range(12)
    )
    items = ITEM_GAIN.replace("when: \"harm in ['none', 'minor']\"", 'when: "gain < 5000"').replace(
        "when: \"harm in ['general', 'serious']\"", 'when: "gain > 5000"'
    )
    doc = DEPT.format(version="2024", start="2024-01-01", items=items, **COMMON)
    doc = doc.replace("facts:\n", "facts:\n" + flags, 1).rstrip("\n") + "\n" + entries
    report = verify(make_library(demo__2024=doc), department="demo")
    [cov] = [c for c in report.coverage if c.item == "X-GAIN"]
    assert cov.exhaustive and cov.cells >= 2**12 * 5
    gaps = [p for p in report.problems if p.item == "X-GAIN" and p.check == "coverage"]
    assert gaps and gaps[0].example is not None and Decimal(gaps[0].example["gain"]) == 5000


def test_a_weighted_start_below_the_statutory_minimum_is_a_defect(make_library) -> None:
    """0.1 × 5% of the investment is 0.5%, below the statutory 1%: reported, not clipped
    silently."""
    items = ITEM_GAIN.replace("start: 0.2", "start: 0.1")
    report = verify(
        make_library(demo__2024=DEPT.format(version="2024", start="2024-01-01", items=items, **COMMON)),
        department="demo",
    )
    [p] = [p for p in report.problems if p.item == "X-W"]
    assert p.check == "weighted_range" and "10%" in p.message and "0.01" in p.message
    assert p.example is not None and p.example.get("harm") == "none"  # the case that reaches the lowest sum


def test_a_sound_weighted_item_has_no_weighted_finding(make_library) -> None:
    report = verify(
        make_library(demo__2024=DEPT.format(version="2024", start="2024-01-01", items=ITEM_GAIN, **COMMON)),
        department="demo",
    )
    assert not [p for p in report.problems if p.check == "weighted_range"]


def test_a_derived_fact_is_reported_as_not_proven_exhaustive(make_library) -> None:
    items = ITEM_GAIN.replace("when: \"harm in ['none', 'minor']\"", 'when: "ratio < 0.5"').replace(
        "when: \"harm in ['general', 'serious']\"", 'when: "ratio >= 0.5"'
    )
    doc = DEPT.format(version="2024", start="2024-01-01", items=items, **COMMON).replace(
        "facts:\n",
        'facts:\n  ratio: {type: number, label: 比例, derived: "gain / investment"}\n',
        1,
    )
    report = verify(make_library(demo__2024=doc), department="demo")
    [cov] = [c for c in report.coverage if c.item == "X-GAIN"]
    assert not cov.exhaustive and "derived" in (cov.note or "")
    assert any(p.item == "X-GAIN" and p.check == "exhaustive" for p in report.problems)
    # the ratio's buckets were reached by solving: the gap where the ratio is absent (no
    # investment) is found
    assert any(p.item == "X-GAIN" and p.check == "coverage" for p in report.problems)


def test_a_fact_that_accepts_no_value_is_reported_not_a_traceback(make_library) -> None:
    """A required amount whose maximum is below zero: no case of the item can be entered at all."""
    items = ITEM_GAIN.replace(
        "    tiers:\n      - {id: low,",
        "    facts:\n      area: {type: money, label: 面积, maximum: -1}\n    tiers:\n      - {id: low,",
    )
    report = verify(
        make_library(demo__2024=DEPT.format(version="2024", start="2024-01-01", items=items, **COMMON)),
        department="demo",
    )
    [p] = [p for p in report.problems if p.item == "X-GAIN"]
    assert p.check == "facts" and "area" in p.message
