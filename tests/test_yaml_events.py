"""The one-pass reader of rulesets (loader._events_to_data) builds exactly what PyYAML's loader builds.

A cold load of a large catalogue is mostly PyYAML's constructors; the loader reads libyaml's events
itself and leaves every unusual document (anchors, aliases, explicit tags, merge keys, duplicate
keys, several documents, unstorable text) to the loaders, which word any error as before. Compared
here on every ruleset in the repository, on tricky scalars, and on documents hypothesis writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from discretion import loader, yamlcache
from discretion.errors import RulesetLoadError
from discretion.loader import _events_to_data, _FastLoader, _load, _Unusual, parse_ruleset

ROOT = Path(__file__).parent.parent
DOCUMENTS = sorted(
    [*ROOT.glob("rulesets/*/*.yaml"), *ROOT.glob("examples/**/*.yaml"), *ROOT.glob("tests/tables/**/*.yaml")]
)


def _same(text: str) -> None:
    expected = yaml.load(text, Loader=_FastLoader)
    data, exact = _events_to_data(text)
    assert data == expected
    assert [type(x) for x in _leaves(data)] == [type(x) for x in _leaves(expected)]  # 1 is not 1.0 nor True
    if isinstance(data, dict):
        assert exact == yamlcache._exact(expected, top=True)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in (*_leaves(k), *_leaves(v))]
    if isinstance(value, list):
        return [x for v in value for x in _leaves(v)]
    return [value]


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_ruleset_in_the_repository_reads_the_same(path: Path) -> None:
    _same(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "text",
    [
        "a: yes\nb: No\nc: on\nd: 0o17\ne: 017\nf: 0x1F\ng: 1_000\nh: 1.5e3\n",
        "i: .inf\nj: -.Inf\nk: .nan\nl: ~\nm: null\n",
        "n: ''\no: '1'\np: \"true\"\nq: 2024-01-01\nr: 2024-01-01 10:00:00\ns: 2024-1-1\nt: 1:20\nu: +12\nv: -0\n",
        "effective_from: 2024-01-01\nitems: [{when: 2024-01-01}]\nx: [1, 1.0, true, '1']\ny: {1: a, 2.5: b, null: c}\n",
        "w: |\n  block\n  text\nz: >\n  folded\n  text\n",
        "",
        "- just\n- a list\n",
        "plain",
        "a: 1 # comment\n# only a comment\nb: [ ]\nc: { }\n",
    ],
)
def test_tricky_scalars_read_the_same(text: str) -> None:
    _same(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchor, alias
        "base: &b {x: 1}\nd:\n  <<: *b\n  y: 2\n",  # merge key
        "a: !!str 1\n",  # explicit tag
        "a: !unresolved {why: x}\n",
        "a: 1\na: 2\n",  # duplicate key
        "--- 1\n--- 2\n",  # two documents
        "? [a, b]\n: 1\n",  # complex key
        'a: "nul\\0here"\n',  # text no store can hold
        "a: [1, 2\n",  # malformed
    ],
)
def test_unusual_documents_are_left_to_the_loaders(text: str) -> None:
    with pytest.raises((_Unusual, yaml.YAMLError, ValueError)):
        _events_to_data(text)
    try:  # the loaders give what they always gave: the same data, or the same error
        old: Any = ("data", yaml.load(text, Loader=_FastLoader))
    except Exception as e:  # noqa: BLE001
        old = ("error", type(e), str(e))
    try:
        new: Any = ("data", _load(text)[0])
    except Exception as e:  # noqa: BLE001
        new = ("error", type(e), str(e))
    if old[0] == "data":
        assert new == old


def test_errors_are_worded_and_placed_as_before() -> None:
    for text, words in (
        ("department: a\ndepartment: b\n", "duplicate key 'department'"),
        ('department: "a\\0"\n', "NUL"),
        ("a: !unresolved {why: 表中未载明}\n", "unresolved import marker: 表中未载明"),
        ("a: [1, 2\n", "malformed YAML"),
        ("department: a\neffective_from: 2025-13-01\n", r"line 2, column 17: malformed YAML: month must be"),
        ("items:\n  - {on: 2025-02-30}\n", r"line 2, column 10: malformed YAML: day is out of range"),
    ):
        with pytest.raises(RulesetLoadError, match=words):
            parse_ruleset(text)


_chars = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")  # what a store can hold
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)),
    st.text(_chars, max_size=12),
    st.sampled_from(
        ["yes", "no", "on", "off", "~", "null", "1_0", "0o7", "0x1f", ".5", "1e3", "2024-01-01", "<<", "="]
    ),
)
_keys = st.one_of(st.text(_chars, max_size=8), st.integers(0, 99), st.sampled_from(["effective_from", "effective_to"]))
_documents = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4), max_leaves=30
)


@settings(max_examples=300, deadline=None)
@given(data=_documents, flow=st.sampled_from([None, True, False]), style=st.sampled_from([None, '"', "'"]))
def test_documents_hypothesis_writes_read_the_same(data: Any, flow: bool | None, style: str | None) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, default_style=style, allow_unicode=True)
    with contextlib.suppress(_Unusual):  # left to the loaders (checked above)
        _same(text)


def test_the_memo_of_scalars_is_bounded() -> None:
    assert loader._SEEN_MAX > 0
    assert len(loader._PLAIN_SEEN) <= loader._SEEN_MAX and len(loader._VALUES) <= loader._SEEN_MAX
