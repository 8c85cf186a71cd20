"""Shared fixtures: the bundled library, the test-fixture library, and ad-hoc rulesets."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from discretion import RulesetLibrary
from discretion.loader import BUNDLED

FIXTURES = Path(__file__).parent / "fixtures" / "rulesets"


@pytest.fixture(scope="session")
def bundled() -> RulesetLibrary:
    return RulesetLibrary.load()


@pytest.fixture(scope="session")
def food() -> RulesetLibrary:
    return RulesetLibrary.load(FIXTURES)


@pytest.fixture
def make_library(tmp_path: Path) -> Callable[..., RulesetLibrary]:
    """Build a library from YAML texts keyed by `dept/version`, beside the bundled general rules."""

    def build(**docs: str) -> RulesetLibrary:
        shutil.copytree(BUNDLED / "general", tmp_path / "general", dirs_exist_ok=True)
        for ref, text in docs.items():
            dept, version = ref.split("__")
            (tmp_path / dept).mkdir(exist_ok=True)
            (tmp_path / dept / f"{version}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
        return RulesetLibrary.load(tmp_path)

    return build
