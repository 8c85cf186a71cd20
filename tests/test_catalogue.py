"""A catalogue of real size: the fast load gives exactly what the plain load gives, and bad files
keep their positioned errors (bench/catalogue.py measures the speed; no timing here)."""

from __future__ import annotations

import hashlib
import json
import shutil
import typing
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from discretion import compiler, yamlcache
from discretion.errors import RulesetLoadError
from discretion.loader import BUNDLED, RulesetLibrary, parse_ruleset

SOURCE = BUNDLED / "scjg" / "2025.yaml"


def _catalogue(root: Path, n: int, bad_at: int | None = None) -> Path:
    data = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    base = data["items"]
    items = []
    for i in range(n):
        item = yaml.safe_load(yaml.safe_dump(base[i % len(base)], allow_unicode=True))
        if i >= len(base):
            item["code"] = f"{item['code']}-R{i:05d}"
        items.append(item)
    if bad_at is not None:
        items[bad_at]["statutory"][0]["when"] = "undeclared_fact > 3"
    data["items"] = items
    (root / "scjg").mkdir(parents=True)
    shutil.copytree(BUNDLED / "general", root / "general")
    path = root / "scjg" / "2025.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DISCRETION_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cached_load_is_the_plain_load(tmp_path: Path, cache: Path) -> None:
    path = _catalogue(tmp_path / "lib", 400)
    assert path.stat().st_size > yamlcache.MIN_BYTES
    cold = RulesetLibrary.load(tmp_path / "lib")
    assert list((cache / "rulesets").glob("*.json")) and list((cache / "rulesets").glob("*.hash"))
    warm = RulesetLibrary.load(tmp_path / "lib")
    plain = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)  # the pure-Python reading
    assert warm.files["scjg/2025"].ruleset == cold.files["scjg/2025"].ruleset == parse_ruleset(yaml.safe_dump(plain))
    assert (
        warm.compiled["scjg/2025"].hash
        == cold.compiled["scjg/2025"].hash
        == compiler.content_hash(warm.compiled["scjg/2025"].ruleset)
    )


def test_a_corrupt_cache_entry_is_ignored(tmp_path: Path, cache: Path) -> None:
    _catalogue(tmp_path / "lib", 400)
    first = RulesetLibrary.load(tmp_path / "lib").compiled["scjg/2025"].hash
    for f in (cache / "rulesets").iterdir():
        f.write_bytes(b"{not json")
    assert RulesetLibrary.load(tmp_path / "lib").compiled["scjg/2025"].hash == first


def test_a_large_catalogue_compiles_items_on_first_use(tmp_path: Path, cache: Path) -> None:
    _catalogue(tmp_path / "lib", compiler.EAGER_ITEMS + 50)
    lib = RulesetLibrary.load(tmp_path / "lib")
    items = lib.compiled["scjg/2025"].items
    assert isinstance(items, compiler.LazyItems) and len(items) == compiler.EAGER_ITEMS + 50
    code = next(iter(items))
    assert items[code] is items[code]  # compiled once
    assert items[code].item.code == code


def test_a_bad_condition_in_a_large_catalogue_keeps_its_position(tmp_path: Path, cache: Path) -> None:
    n = compiler.EAGER_ITEMS + 50
    path = _catalogue(tmp_path / "lib", n, bad_at=n - 3)
    lib = RulesetLibrary.load(tmp_path / "lib")  # loads: the bad item is not compiled yet
    with pytest.raises(RulesetLoadError) as e:
        lib.compile_all()
    assert str(path) in str(e.value) and f"items[{n - 3}].statutory[0].when" in str(e.value)
    assert "line" in str(e.value) and "undeclared_fact" in str(e.value)


def test_yaml_errors_keep_line_and_column(tmp_path: Path) -> None:
    with pytest.raises(RulesetLoadError, match=r"line 2, column"):
        parse_ruleset("department: x\n  bad: [\n")
    with pytest.raises(RulesetLoadError, match="duplicate key"):
        parse_ruleset("department: x\ndepartment: y\n")
    with pytest.raises(RulesetLoadError, match=r"nope \(line 3\): unknown key"):
        parse_ruleset(
            "department: x\ndepartment_name: y\nnope: 1\nversion: '1'\neffective_from: 2024-01-01\nsource: [a]\n"
        )


def test_listing_a_large_catalogue_compiles_none_of_its_items(tmp_path: Path, cache: Path) -> None:
    """The pages' search catalogue and `discretion versions` list items from the resolved ruleset; the reviewer's
    diff names them the same way: none of a lazy catalogue's items is compiled by listing it."""
    from discretion.catalogue import Catalogue

    n = compiler.EAGER_ITEMS + 50
    _catalogue(tmp_path / "lib", n)
    lib = RulesetLibrary.load(tmp_path / "lib")
    items = lib.compiled["scjg/2025"].items
    assert isinstance(items, compiler.LazyItems)
    entries = Catalogue.of(lib).entries
    assert sum(1 for e in entries if e.department == "scjg") == n
    assert items._done == {}  # nothing compiled
    code = next(iter(items))
    assert any(h.entry.code == code for h in Catalogue.of(lib).search(code, department="scjg"))
    assert items._done == {}


_JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=0x3000)),
)
_JSON_DOCS = st.recursive(
    _JSON_SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20,
)


@given(_JSON_DOCS)
def test_the_canonical_json_of_a_hash_is_what_json_dumps_writes(doc: object) -> None:
    """The content hash's canonical form (orjson) is byte for byte json.dumps' sorted, compact, unescaped form."""
    assert compiler.canonical_json(doc) == json.dumps(
        doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8", "surrogatepass")


def _annotations(model: type, seen: set[type]) -> Iterator[object]:
    from pydantic import BaseModel

    if model in seen:
        return
    seen.add(model)
    for f in model.model_fields.values():  # type: ignore[attr-defined]
        stack = [f.annotation]
        while stack:
            t = stack.pop()
            yield t
            stack.extend(typing.get_args(t))
            if isinstance(t, type) and issubclass(t, BaseModel):
                yield from _annotations(t, seen)


def test_a_ruleset_has_no_float_or_untyped_field() -> None:
    """A ruleset's JSON-mode dump has no float (whose digits orjson and json.dumps write differently), so the
    bundled versions' hashes are what they were."""
    from discretion.ruleset import Ruleset

    kinds = set(_annotations(Ruleset, set()))
    assert float not in kinds and typing.Any not in kinds
    lib = RulesetLibrary.load()
    for crs in lib.compiled.values():
        doc = crs.ruleset.model_dump(mode="json", exclude_none=True)
        canonical = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        assert compiler.canonical_json(doc) == canonical
        assert crs.hash == hashlib.sha256(canonical).hexdigest()
