"""Loading rulesets from YAML: positioned errors, `extends` resolution, and the library.

Files live at `<root>/<department>/<version>.yaml`; `extends: [general/2021]` names another
file of the same root. Every error names the file, the path inside it, the line and the reason.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .compiler import CompiledRuleset, compile_ruleset, resolve
from .errors import ConditionError, RulesetLoadError, UnknownDepartment, VersionNotInForce
from .ruleset import Ruleset

BUNDLED = Path(__file__).resolve().parent.parent / "rulesets"


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as dates and refuses duplicate keys."""


def _no_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _unresolved(loader: _Loader, node: yaml.Node) -> Any:
    """A cell `discretion import` could not read (discretion.tables.marks): refused where it stands."""
    why = ""
    if isinstance(node, yaml.MappingNode):
        why = next((v.value for k, v in node.value if k.value == "why" and isinstance(v, yaml.ScalarNode)), "")
    raise yaml.constructor.ConstructorError(None, None, f"unresolved import marker: {why}", node.start_mark)


_Loader.add_constructor("!unresolved", _unresolved)


class _FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # libyaml if built in
    """_Loader's constructors on libyaml's parser: the same data, parsed ~10× faster.

    Only documents that parse are read with it; an error is reported by _Loader, so its
    wording and position do not depend on whether libyaml is installed.
    """


_FastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _line_of(root: yaml.Node | None, path: list[Any]) -> int | None:
    """The 1-based line of a path inside a composed YAML document, as deep as it resolves."""
    node, line = root, None
    for part in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == str(part):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _path_parts(path: str) -> list[Any]:
    parts: list[Any] = []
    for chunk in path.replace("]", "").replace("[", ".").split("."):
        if chunk:
            parts.append(int(chunk) if chunk.isdigit() else chunk)
    return parts


def parse_ruleset(text: str, *, file: str = "<string>") -> Ruleset:
    """Parse one ruleset document (no `extends` resolution)."""
    try:
        try:
            data = yaml.load(text, Loader=_FastLoader)
        except yaml.YAMLError:
            data = yaml.load(text, Loader=_Loader)  # the error as the pure-Python parser words it
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        reason = getattr(e, "problem", None) or str(e)
        raise RulesetLoadError(f"malformed YAML: {reason}", file=file, path=where) from None
    if not isinstance(data, dict):
        raise RulesetLoadError("a ruleset is a mapping of keys (department, version, items …)", file=file)
    try:
        return Ruleset.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        line = _line_of(yaml.compose(text, Loader=_Loader), list(err["loc"]))
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        reason = err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        raise RulesetLoadError(f"{reason}{more}", file=file, path=f"{loc}" + (f" (line {line})" if line else "")) from None


@dataclass
class RulesetFile:
    """A ruleset as read from disk, with what is needed to report positions."""

    path: Path
    text: str
    ruleset: Ruleset


def read_file(path: Path) -> RulesetFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise RulesetLoadError(f"cannot read: {e}", file=str(path)) from None
    return RulesetFile(path, text, parse_ruleset(text, file=str(path)))


def _positioned(err: ConditionError | RulesetLoadError, rf: RulesetFile, resolved: Ruleset | None) -> RulesetLoadError:
    """Re-raise a compile error with the file and line of the offending key.

    Compile paths index the resolved lists (inherited entries first); map them back to the
    file's own `lists`, or name the inherited entry.
    """
    path = err.field or ""
    m = re.match(r"lists\[(\d+)\](.*)", path)
    if m and resolved is not None:
        entry = resolved.lists[int(m.group(1))]
        own = [e.id for e in rf.ruleset.lists]
        if entry.id in own:
            path = f"lists[{own.index(entry.id)}]{m.group(2)}"
        else:
            path = f"inherited list entry {entry.id}{m.group(2)}"
    root = yaml.compose(rf.text, Loader=_Loader)
    line = _line_of(root, _path_parts(path.split(" ")[0]))
    loc = path + (f" (line {line})" if line else "")
    return RulesetLoadError(err.message, file=str(rf.path), path=loc)


@dataclass
class RulesetLibrary:
    """Every ruleset under one root, resolved and compiled, indexed by department and date."""

    root: Path
    files: dict[str, RulesetFile] = field(default_factory=dict)
    compiled: dict[str, CompiledRuleset] = field(default_factory=dict)
    _versions: dict[str, list[CompiledRuleset]] = field(default_factory=dict, repr=False)
    #: answers derived from the (immutable) library, e.g. trace steps that depend only on a version
    memo: dict[tuple, object] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, root: Path | str | None = None) -> RulesetLibrary:
        """Load and compile everything under `root` (default: the bundled rulesets)."""
        lib = cls(Path(root) if root else BUNDLED)
        if not lib.root.is_dir():
            raise RulesetLoadError("not a directory of rulesets", file=str(lib.root))
        for path in sorted(lib.root.glob("*/*.yaml")):
            lib._read(path)
        for ref in lib.files:
            lib._compile(ref, ())
        lib._check_periods()
        return lib

    @classmethod
    def load_file(cls, path: Path) -> tuple[RulesetLibrary, str]:
        """Load one file and, from the folder above its department folder, what it extends."""
        lib = cls(path.resolve().parent.parent)
        ref = lib._read(path).ruleset.ref
        pending = list(lib.files[ref].ruleset.extends)
        while pending:
            parent = pending.pop()
            candidate = lib.root / f"{parent}.yaml"
            if parent not in lib.files and candidate.is_file():
                pending.extend(lib._read(candidate).ruleset.extends)
        lib._compile(ref, ())
        return lib, ref

    @classmethod
    def from_texts(cls, texts: dict[str, str]) -> RulesetLibrary:
        """Build a library from YAML documents keyed by `department/version` (e.g. from the store)."""
        lib = cls(Path("<store>"))
        for ref, text in sorted(texts.items()):
            rf = RulesetFile(Path(f"{ref}.yaml"), text, parse_ruleset(text, file=f"{ref}.yaml"))
            if rf.ruleset.ref != ref:
                raise RulesetLoadError(f"declares {rf.ruleset.ref} but is stored as {ref}", file=f"{ref}.yaml",
                                       path="department/version")
            lib.files[ref] = rf
        for ref in lib.files:
            lib._compile(ref, ())
        lib._check_periods()
        return lib

    def _read(self, path: Path) -> RulesetFile:
        rf = read_file(path)
        expected = f"{path.parent.name}/{path.stem}"
        if rf.ruleset.ref != expected:
            raise RulesetLoadError(f"declares {rf.ruleset.ref} but lives at {expected}.yaml",
                                   file=str(path), path="department/version")
        self.files[rf.ruleset.ref] = rf
        return rf

    def _compile(self, ref: str, chain: tuple[str, ...]) -> CompiledRuleset:
        if ref in self.compiled:
            return self.compiled[ref]
        rf = self.files[ref]
        if ref in chain:
            raise RulesetLoadError(f"extends itself through {' → '.join(chain)}", file=str(rf.path), path="extends")
        parents = []
        for i, parent in enumerate(rf.ruleset.extends):
            if parent not in self.files:
                raise RulesetLoadError(f"extends unknown ruleset {parent!r}", file=str(rf.path), path=f"extends[{i}]")
            parents.append(self._compile(parent, (*chain, ref)).ruleset)
        resolved = None
        try:
            resolved = resolve(rf.ruleset, parents)
            compiled = compile_ruleset(resolved)
        except (ConditionError, RulesetLoadError) as e:
            if isinstance(e, RulesetLoadError) and e.file:
                raise
            raise _positioned(e, rf, resolved) from None
        self.compiled[ref] = compiled
        return compiled

    def _check_periods(self) -> None:
        for dept in self.departments():
            versions = self.versions(dept)
            for a, b in zip(versions, versions[1:]):
                if a.ruleset.effective_from == b.ruleset.effective_from:
                    raise RulesetLoadError(f"versions {a.version} and {b.version} take effect the same day",
                                           file=str(self.files[b.ruleset.ref].path), path="effective_from")

    # ------------------------------------------------------------ queries

    def departments(self) -> list[str]:
        """Department codes with at least one version that has items (general provisions excluded)."""
        return sorted({c.department for c in self.compiled.values() if c.ruleset.items})

    def versions(self, department: str) -> list[CompiledRuleset]:
        """A department's versions, oldest first."""
        hit = self._versions.get(department)
        if hit is not None:
            return hit
        out = [c for c in self.compiled.values() if c.department == department]
        if not out:
            known = ", ".join(self.departments()) or "none"
            raise UnknownDepartment(f"unknown department {department!r} (known: {known})", field="department")
        self._versions[department] = sorted(out, key=lambda c: c.ruleset.effective_from)
        return self._versions[department]

    def version(self, department: str, version: str) -> CompiledRuleset:
        for c in self.versions(department):
            if c.version == version:
                return c
        raise VersionNotInForce(f"department {department!r} has no version {version!r}", field="version")

    def period(self, c: CompiledRuleset) -> tuple[dt.date, dt.date | None]:
        """[from, to) of a version: its own effective_to, else the next version's start."""
        key = ("period", c.hash, c.department, c.version)
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = self._period(c)
        return hit  # type: ignore[return-value]

    def _period(self, c: CompiledRuleset) -> tuple[dt.date, dt.date | None]:
        versions = self.versions(c.department)
        i = versions.index(c)
        end = c.ruleset.effective_to
        if i + 1 < len(versions):
            nxt = versions[i + 1].ruleset.effective_from
            end = min(end, nxt) if end else nxt
        return c.ruleset.effective_from, end

    def in_force(self, department: str, on: dt.date) -> CompiledRuleset | None:
        """The version in force on a date, or None (asked twice per evaluation: remembered per day)."""
        key = ("in_force", department, on)
        hit = self.memo.get(key, key)
        if hit is key:
            hit = self._in_force(department, on)
            if len(self.memo) < 100_000:
                self.memo[key] = hit
        return hit  # type: ignore[return-value]

    def _in_force(self, department: str, on: dt.date) -> CompiledRuleset | None:
        for c in reversed(self.versions(department)):
            start, end = self.period(c)
            if start <= on and (end is None or on < end):
                return c
        return None
