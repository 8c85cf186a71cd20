"""A catalogue of real size: the fast load gives exactly what the plain load gives, and bad files
keep their positioned errors (bench/catalogue.py measures the speed; no timing here)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

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
