"""Conditions in words (never code) and the catalogue search on a 6,000-item catalogue."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from discretion.catalogue import Catalogue, Entry, terms
from discretion.condition_words import condition_words
from discretion.wording import step_name


def _item(bundled, dept: str = "scjg", code: str = "SC-FOOD-124-1-1"):
    return bundled.in_force(dept, dt.date(2024, 3, 1)).items[code]


def test_the_first_offence_entry_reads_as_the_benchmark_says(bundled) -> None:
    ci = _item(bundled)
    text = condition_words({str(k): c for k, c in ci.conditions.items()}["list:GEN-33-2"].text, ci.schema)
    assert text == "初次违法、没有造成危害后果或者危害后果轻微并及时改正"


def test_given_reads_as_supplied_or_not() -> None:
    """`given()` is said in words, never an error (it raised AttributeError before mypy named it)."""
    from discretion.ruleset import FactSpec

    schema = {
        "gain": FactSpec(type="money", label="违法所得", required=False),
        "first": FactSpec(type="bool", label="初次违法", default=False),
    }
    assert condition_words("not given(gain)", schema) == "违法所得未提供（无法确定）"
    assert condition_words("given(gain) and first", schema) == "违法所得已提供并初次违法"


def test_a_range_on_one_number_says_its_label_once(bundled) -> None:
    ci = _item(bundled)
    text = condition_words({str(k): c for k, c in ci.conditions.items()}["list:GEN-30-2"].text, ci.schema)
    assert text.count("年龄") == 1 and "达到14" in text and "低于18" in text


def test_every_condition_of_every_bundled_item_reads_without_code(bundled) -> None:
    seen = 0
    for crs in bundled.compiled.values():
        for ci in crs.items.values():
            for cond in ci.conditions.values():
                if not cond.text:
                    continue
                words = condition_words(cond.text, ci.schema)
                seen += 1
                assert words != "（条件无法显示）"
                for token in (
                    " and ",
                    " or ",
                    " not ",
                    "==",
                    "!=",
                    "<",
                    ">",
                    "[",
                    "'",
                    "True",
                    "False",
                ):
                    assert token not in words, (cond.text, words)
                for name in cond.facts:
                    assert name not in words, (cond.text, words)
    assert seen > 500


def test_unknown_step_ids_are_still_chinese() -> None:
    assert step_name("tier") == "裁量阶次" and step_name("some_new_step") == "裁量步骤"


def _big(bundled, n: int = 6000) -> tuple[Catalogue, list[Entry]]:
    """A catalogue of n items generated from the bundled ones (codes and names varied)."""
    base = Catalogue.of(bundled, dt.date(2024, 3, 1)).entries
    out = []
    for i in range(n):
        e = base[i % len(base)]
        out.append(
            Entry.make(
                e.department,
                e.department_name,
                e.version,
                f"{e.code}-G{i:04d}",
                f"{e.name}（第{i}批）",
                e.legal_basis,
                e.penalty_basis,
            )
        )
    return Catalogue(out), base


def test_search_on_6000_items_every_word_must_match_and_is_ranked(bundled) -> None:
    cat, base = _big(bundled)
    hits = cat.search("食品 标准", limit=10_000)
    assert hits and all(
        "食品" in (h.entry.name + h.entry.penalty_basis + h.entry.legal_basis)
        and "标准" in (h.entry.name + h.entry.penalty_basis + h.entry.legal_basis)
        for h in hits
    )
    expected = sum(
        1 for e in cat.entries if all(w in (e.name + e.legal_basis + e.penalty_basis).lower() for w in ("食品", "标准"))
    )
    assert len(hits) == expected
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    article = cat.search("第一百二十四条", limit=10_000)
    assert article and all("第一百二十四条" in h.entry.penalty_basis + h.entry.legal_basis for h in article)
    assert [h.entry.code for h in cat.search("124条", limit=10_000)] == [h.entry.code for h in article]
    assert all(
        "无照" in h.entry.name or "无照" in h.entry.legal_basis + h.entry.penalty_basis for h in cat.search("无照")
    )
    assert cat.search("无照")
    code = cat.entries[42].code
    assert cat.search(code)[0].entry.code == code
    assert cat.search(code.lower())[0].entry.code == code


def test_names_rank_above_articles(bundled) -> None:
    cat = Catalogue(
        [
            Entry.make("d", "部门", "1", "A", "其他", "《食品法》第一条", ""),
            Entry.make("d", "部门", "1", "B", "食品经营", "《某法》第一条", ""),
        ]
    )
    assert [h.entry.code for h in cat.search("食品")] == ["B", "A"]


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300))
def test_any_query_is_bounded_and_never_fails(q: str) -> None:
    assert len(terms(q)) <= 8
    cat = Catalogue([Entry.make("d", "部门", "1", "A", "食品", "", "")])
    for h in cat.search(q):
        assert h.score > 0


def test_entries_are_plain_data() -> None:
    e = Entry.make("d", "部门", "1", "A", "食品", "", "")
    assert replace(e, name="x").name == "x"
