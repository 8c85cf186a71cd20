"""Loading rulesets from YAML: positioned errors, `extends` resolution, and the library.

Files live at `<root>/<department>/<version>.yaml`; `extends: [general/2021]` names another
file of the same root. Every error names the file, the path inside it, the line and the reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import yaml
from pydantic import ValidationError

from . import yamlcache
from .bounds import BoundError, check_text
from .compiler import EAGER_ITEMS, CompiledRuleset, compile_ruleset, resolve
from .errors import ConditionError, RulesetDefect, RulesetLoadError, UnknownDepartment, VersionNotInForce
from .ruleset import Ruleset

BUNDLED = Path(__file__).resolve().parent.parent / "rulesets"


#: bounds on one YAML document, checked while it is composed (before anything is built from it):
#: a ruleset uses a few anchors at most; two million aliases or 500 levels are an attack
MAX_ALIASES = 100
MAX_YAML_DEPTH = 50


#: libyaml's parser (C) when PyYAML has it: about thirty times faster than the pure-Python one,
#: and a request's parse holds the GIL the event loop needs
_CBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: a malformed document up to this size is parsed again by the pure-Python parser for its wording;
#: a larger one is reported as libyaml words it (the pure-Python parser takes seconds per megabyte)
_REWORD_LIMIT = 256 * 1024


class _TextCheck:
    """Refuses strings a store or an encoder cannot hold (NUL, lone surrogates) where they stand."""

    def construct_scalar(self, node: Any) -> Any:
        value = super().construct_scalar(node)  # type: ignore[misc]  # a mixin: the loader it is mixed into has it
        if isinstance(value, str):
            try:
                check_text(value, what="a string")
            except BoundError as e:
                raise yaml.constructor.ConstructorError(None, None, str(e), node.start_mark) from None
        return value


class _Loader(_TextCheck, yaml.SafeLoader):
    """SafeLoader that keeps dates as dates and refuses duplicate keys and unstorable strings;
    `check_structure` bounds aliases and nesting before it runs."""


def _no_duplicates(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.constructor.SafeConstructor.construct_mapping(loader, node, deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _unresolved(loader: _Loader, node: yaml.Node) -> Any:
    """A cell `discretion import` could not read (discretion.tables.marks): refused where it stands."""
    why = ""
    if isinstance(node, yaml.MappingNode):
        why = next((v.value for k, v in node.value if k.value == "why" and isinstance(v, yaml.ScalarNode)), "")
    raise yaml.constructor.ConstructorError(None, None, f"unresolved import marker: {why}", node.start_mark)


_Loader.add_constructor("!unresolved", _unresolved)


class _FastLoader(_TextCheck, _CBase):  # type: ignore[misc, valid-type]  # libyaml if built in
    """_Loader's constructors on libyaml's parser: the same data, parsed ~10× faster.

    Only documents that parse are read with it; an error is reported by _Loader (up to
    _REWORD_LIMIT), so its wording and position do not depend on whether libyaml is installed.
    """


_FastLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)
_FastLoader.add_constructor("!unresolved", _unresolved)


def check_structure(text: str) -> None:
    """Refuse more than MAX_ALIASES aliases or nesting deeper than MAX_YAML_DEPTH, from libyaml's
    events, before any node is composed (the first event past a bound stops the parse). A document
    libyaml cannot parse is left to the loaders, which report it."""
    aliases = depth = 0
    try:
        for event in yaml.parse(text, Loader=_CBase):
            if isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise _Bound(f"more than {MAX_ALIASES} aliases", event.start_mark)
            elif isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise _Bound(f"nested deeper than {MAX_YAML_DEPTH} levels", event.start_mark)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except _Bound:
        raise
    except yaml.YAMLError:
        if len(text) > _REWORD_LIMIT:
            raise
        return


class _Unusual(Exception):
    """The document uses what `_events_to_data` leaves to the loaders (anchors, explicit tags, merge keys …)."""


_NOTHING = object()
_STR = "tag:yaml.org,2002:str"
_PLAIN_TAGS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp"))
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_SCALARS = yaml.constructor.SafeConstructor()


#: plain scalars seen before → their tag (a catalogue repeats its keys and values thousands of times);
#: only text check_text accepted is kept, so a hit needs no check
_PLAIN_SEEN: dict[str, str] = {}
_QUOTED_SEEN: set[str] = set()
_SEEN_MAX = 200_000
#: the constructed value of a plain non-string scalar's text (its tag depends on the text alone)
_VALUES: dict[str, Any] = {}


def _scalar_tag(event: yaml.ScalarEvent) -> str:
    """The tag PyYAML's resolver gives a scalar (the same tables, looked up by the first character);
    a str is checked as _TextCheck checks it."""
    if event.tag is not None and event.tag != "!":
        raise _Unusual("explicit tag")
    value = event.value
    if not event.implicit[0]:  # quoted (or a block scalar): a string
        if value not in _QUOTED_SEEN:
            check_text(value, what="a string")
            if len(_QUOTED_SEEN) < _SEEN_MAX:
                _QUOTED_SEEN.add(value)
        return _STR
    seen = _PLAIN_SEEN.get(value)
    if seen is not None:
        return seen
    tag = _STR
    for candidate, regexp in _IMPLICIT.get(value[0] if value else "", []) + _IMPLICIT.get(None, []):
        if regexp.match(value):
            tag = str(candidate)
            break
    if tag == _STR:
        check_text(value, what="a string")
    if len(_PLAIN_SEEN) < _SEEN_MAX:
        _PLAIN_SEEN[value] = tag
    return tag


class _Frame:
    """A mapping being read: its data and the key waiting for its value."""

    __slots__ = ("data", "key")

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.key: Any = _NOTHING


def _events_to_data(text: str) -> tuple[Any, bool]:
    """The data `yaml.load(text, Loader=_FastLoader)` builds, from libyaml's events in one pass, with
    `check_structure`'s bounds on nesting; a document using anchors, aliases, explicit tags, merge keys,
    complex keys, duplicate keys or several documents raises `_Unusual` (the loaders then read it and
    word any error). PyYAML's constructor machinery is most of a cold load; this is the same data in a
    fraction of the time (tests/test_yaml_events.py compares the two). Also returns whether JSON holds
    the data exactly (yamlcache._exact), known here from the scalars' tags."""
    stack: list[Any] = []  # a list, or a _Frame of a mapping
    root: Any = _NOTHING
    documents = 0
    exact = True
    parser = _CBase(text)
    # locals: this loop runs once per event (a 6,000-item catalogue has over half a million)
    get_event, plain_seen, quoted_seen = parser.get_event, _PLAIN_SEEN, _QUOTED_SEEN
    scalar, end, mapping_end, sequence_end = (
        yaml.ScalarEvent,
        yaml.StreamEndEvent,
        yaml.MappingEndEvent,
        yaml.SequenceEndEvent,
    )
    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    try:
        while True:
            event = get_event()
            kind = type(event)
            if kind is scalar:
                if event.anchor is not None or (event.tag is not None and event.tag != "!"):
                    raise _Unusual("anchor or explicit tag")
                if event.implicit[0]:
                    tag = plain_seen.get(event.value) or _scalar_tag(event)
                elif event.value in quoted_seen:
                    tag = _STR
                else:
                    tag = _scalar_tag(event)
                if tag is _STR or tag == _STR:
                    value: Any = event.value
                elif tag in _PLAIN_TAGS:
                    value = _VALUES.get(event.value, _NOTHING)
                    if value is _NOTHING:  # int, float, bool, null, date: immutable, so one object serves
                        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
                        value = _SCALARS.yaml_constructors[tag](_SCALARS, node)
                        if len(_VALUES) < _SEEN_MAX:
                            _VALUES[event.value] = value
                    if isinstance(value, float):
                        exact = exact and math.isfinite(value)
                    elif isinstance(value, dt.date):  # JSON gives a date back only where the ruleset expects one
                        exact = exact and (
                            not isinstance(value, dt.datetime)
                            and len(stack) == 1
                            and isinstance(stack[0], _Frame)
                            and stack[0].key in ("effective_from", "effective_to")
                        )
                else:
                    raise _Unusual(tag)
            elif kind in starts:
                if event.anchor is not None or (event.tag is not None and event.tag != "!") or not event.implicit:
                    raise _Unusual("collection tag or anchor")
                if len(stack) >= MAX_YAML_DEPTH:
                    raise _Unusual("too deep")
                stack.append(_Frame() if kind is starts[0] else [])
                continue
            elif kind is mapping_end:
                frame = stack.pop()
                if frame.key is not _NOTHING:
                    raise _Unusual("key without value")
                value = frame.data
            elif kind is sequence_end:
                value = stack.pop()
            elif kind is end:
                break
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _Unusual("several documents")
                continue
            elif kind is yaml.AliasEvent:
                raise _Unusual("alias")
            else:  # stream start, document end
                continue
            if not stack:
                root = value
                continue
            top = stack[-1]
            if type(top) is list:
                top.append(value)
            elif top.key is _NOTHING:
                if isinstance(value, (dict, list)) or value in top.data:
                    raise _Unusual("complex or duplicate key")
                if type(value) is not str:
                    exact = False  # JSON keys are strings
                top.key = value
            else:
                top.data[top.key] = value
                top.key = _NOTHING
    finally:
        parser.dispose()
    if stack:
        raise _Unusual("unclosed collection")
    return (None if root is _NOTHING else root), exact


def _load(text: str) -> tuple[Any, bool | None]:
    """Parse a document: the one-pass reader, else bounds first and the loaders (which word every error).
    With the data, whether JSON holds it exactly (None: not known, yamlcache checks)."""
    try:
        return _events_to_data(text)
    except (_Unusual, yaml.YAMLError, BoundError, ValueError, TypeError, OverflowError):
        pass  # read again below, where an error is reported as it always was
    check_structure(text)
    try:
        return yaml.load(text, Loader=_FastLoader), None
    except yaml.YAMLError:
        if len(text) > _REWORD_LIMIT:
            raise
        return yaml.load(text, Loader=_Loader), None  # the error as the pure-Python parser words it


class _Bound(yaml.composer.ComposerError):
    def __init__(self, problem: str, mark: Any) -> None:
        super().__init__(None, None, problem, mark)


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
    data = yamlcache.get(text)
    try:  # aliases and nesting bounded first; one pass, in C where available
        if data is None:
            data, exact = _load(text)
            yamlcache.put(text, data, exact=exact)
    except RecursionError:
        raise RulesetLoadError(f"malformed YAML: nested deeper than {MAX_YAML_DEPTH} levels", file=file) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        reason = getattr(e, "problem", None) or str(e)
        raise RulesetLoadError(f"malformed YAML: {reason}", file=file, path=where) from None
    except (ValueError, OverflowError) as e:  # a scalar YAML reads as a date or number that is none (2025-13-01)
        raise RulesetLoadError(f"malformed YAML: {e}", file=file, path=_unbuildable_scalar(text)) from None
    if not isinstance(data, dict):
        raise RulesetLoadError("a ruleset is a mapping of keys (department, version, items …)", file=file)
    try:
        return Ruleset.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        line = _line_of(yaml.compose(text, Loader=_FastLoader), list(err["loc"]))
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        reason = err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        raise RulesetLoadError(
            f"{reason}{more}", file=file, path=f"{loc}" + (f" (line {line})" if line else "")
        ) from None


def _unbuildable_scalar(text: str) -> str | None:
    """Where the first scalar YAML cannot build stands ("line L, column C"), for the error."""
    try:
        root = yaml.compose(text, Loader=_FastLoader)
    except yaml.YAMLError:
        return None
    builder = _FastLoader("")
    todo = [root] if root is not None else []
    while todo:
        node = todo.pop(0)
        if isinstance(node, yaml.ScalarNode):
            try:
                builder.construct_object(node, deep=True)
            except (ValueError, OverflowError):
                return f"line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"
        elif isinstance(node, yaml.MappingNode):
            todo.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
    return None


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
    root = yaml.compose(rf.text, Loader=_FastLoader)
    line = _line_of(root, _path_parts(path.split(" ")[0]))
    loc = path + (f" (line {line})" if line else "")
    return RulesetLoadError(err.message, file=str(rf.path), path=loc)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic collection while a library is built: a catalogue allocates millions of objects, none of
    them garbage cycles, and each collection of the older generations would scan them all again (a
    third of a cold 6,000-item load). _settle collects once at the end where it matters."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@dataclass
class RulesetLibrary:
    """Every ruleset under one root, resolved and compiled, indexed by department and date."""

    root: Path
    files: dict[str, RulesetFile] = field(default_factory=dict)
    compiled: dict[str, CompiledRuleset] = field(default_factory=dict)
    _versions: dict[str, list[CompiledRuleset]] = field(default_factory=dict, repr=False)
    #: answers derived from the (immutable) library, e.g. trace steps that depend only on a version
    memo: dict[tuple[Any, ...], object] = field(default_factory=dict, repr=False)
    #: departments left out of a tolerant library, with the first error of each
    broken: dict[str, RulesetLoadError] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, root: Path | str | None = None) -> RulesetLibrary:
        """Load and compile everything under `root` (default: the bundled rulesets)."""
        lib = cls(Path(root) if root else BUNDLED)
        if not lib.root.is_dir():
            raise RulesetLoadError("not a directory of rulesets", file=str(lib.root))
        with _gc_paused():
            for path in sorted(lib.root.glob("*/*.yaml")):
                lib._read(path)
            for ref in lib.files:
                lib._compile(ref, ())
            lib._check_periods()
            lib._settle()  # still paused: re-enabled, the GC would first pass over every new object once more
        return lib

    def _settle(self) -> None:
        """A large catalogue lives as long as the process: take it out of the cyclic GC's scans
        (gc.freeze), which otherwise grow with the catalogue and slow every evaluation."""
        if sum(len(c.ruleset.items) for c in self.compiled.values()) > EAGER_ITEMS:
            gc.collect()  # resets the generations' counts: no automatic pass over the new objects follows
            gc.freeze()

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
    def from_texts(
        cls, texts: dict[str, str], *, tolerant: bool = False, beside: RulesetLibrary | None = None
    ) -> RulesetLibrary:
        """Build a library from YAML documents keyed by `department/version` (e.g. from the store).

        `tolerant`: a department whose documents do not load, compile or fit together in time is
        left out and its first error kept in `broken` (asking for it raises that error): one
        department's bad state never stops another's evaluations.

        `beside`: a library already compiled whose versions (other than those in `texts`) are taken
        as they are, so that only `texts` is compiled."""
        lib = cls(Path("<store>"))
        if beside is not None:
            for ref, rf in beside.files.items():
                if ref not in texts and ref in beside.compiled:
                    lib.files[ref], lib.compiled[ref] = rf, beside.compiled[ref]
            lib.broken.update({d: e for d, e in beside.broken.items() if not any(r.startswith(f"{d}/") for r in texts)})
        for ref, text in sorted(texts.items()):
            try:
                rf = RulesetFile(Path(f"{ref}.yaml"), text, parse_ruleset(text, file=f"{ref}.yaml"))
                if rf.ruleset.ref != ref:
                    raise RulesetLoadError(
                        f"declares {rf.ruleset.ref} but is stored as {ref}",
                        file=f"{ref}.yaml",
                        path="department/version",
                    )
            except RulesetLoadError as e:
                if not tolerant:
                    raise
                lib.broken.setdefault(ref.split("/")[0], e)
                continue
            lib.files[ref] = rf
        for ref in list(lib.files):
            try:
                lib._compile(ref, ())
            except RulesetLoadError as e:
                if not tolerant:
                    raise
                lib.broken.setdefault(ref.split("/")[0], e)
        lib._check_periods(tolerant=tolerant)
        for ref in [r for r in lib.compiled if r.split("/")[0] in lib.broken]:
            del lib.compiled[ref]
        lib._settle()
        return lib

    def compile_all(self) -> None:
        """Compile every item now (large catalogues compile lazily): for validate, with positioned errors."""
        for c in self.compiled.values():
            for code in c.items:
                c.items[code]  # noqa: B018 - compiles it

    def _read(self, path: Path) -> RulesetFile:
        rf = read_file(path)
        expected = f"{path.parent.name}/{path.stem}"
        if rf.ruleset.ref != expected:
            raise RulesetLoadError(
                f"declares {rf.ruleset.ref} but lives at {expected}.yaml",
                file=str(path),
                path="department/version",
            )
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
        parent_hashes = [self.compiled[p].hash for p in rf.ruleset.extends]
        known = yamlcache.get_hash(rf.text, parent_hashes)
        try:
            resolved = resolve(rf.ruleset, parents)
            compiled = compile_ruleset(
                resolved,
                on_error=lambda e: _positioned(e, rf, resolved),  # type: ignore[arg-type]  # compile errors are ConditionError or RulesetLoadError
                known_hash=known,
            )
            if known is None:
                yamlcache.put_hash(rf.text, parent_hashes, compiled.hash)
        except (ConditionError, RulesetLoadError) as e:
            if isinstance(e, RulesetLoadError) and e.file:
                raise
            raise _positioned(e, rf, resolved) from None
        self.compiled[ref] = compiled
        return compiled

    def _check_periods(self, *, tolerant: bool = False) -> None:
        for dept in self.departments():
            versions = self.versions(dept)
            for a, b in itertools.pairwise(versions):
                if a.ruleset.effective_from == b.ruleset.effective_from:
                    error = RulesetLoadError(
                        f"versions {a.version} and {b.version} take effect the same day",
                        file=str(self.files[b.ruleset.ref].path),
                        path="effective_from",
                    )
                    if not tolerant:
                        raise error
                    self.broken.setdefault(dept, error)
                    self._versions.pop(dept, None)
                    break

    # ------------------------------------------------------------ queries

    def departments(self) -> list[str]:
        """Department codes with at least one version that has items (general provisions excluded)."""
        return sorted({c.department for c in self.compiled.values() if c.ruleset.items} - self.broken.keys())

    def versions(self, department: str) -> list[CompiledRuleset]:
        """A department's versions, oldest first."""
        hit = self._versions.get(department)
        if hit is not None:
            return hit
        if department in self.broken:
            raise RulesetDefect(
                f"department {department!r} cannot be evaluated until its published versions are "
                f"fixed: {self.broken[department]}",
                field="department",
            )
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
        return hit  # type: ignore[return-value]  # self.memo holds several kinds, this key a period

    def _period(self, c: CompiledRuleset) -> tuple[dt.date, dt.date | None]:
        versions = self.versions(c.department)
        i = versions.index(c)
        end = c.ruleset.effective_to
        if i + 1 < len(versions):
            nxt = versions[i + 1].ruleset.effective_from
            end = min(end, nxt) if end else nxt
        return c.ruleset.effective_from, end

    def in_force(self, department: str, on: dt.date) -> CompiledRuleset | None:
        """The version in force on a date, or None (asked twice per evaluation: remembered per
        day)."""
        key = ("in_force", department, on)
        hit = self.memo.get(key, key)
        if hit is key:
            hit = self._in_force(department, on)
            if len(self.memo) < 100_000:
                self.memo[key] = hit
        return hit  # type: ignore[return-value]  # self.memo holds several kinds, this key a version

    def _in_force(self, department: str, on: dt.date) -> CompiledRuleset | None:
        for c in reversed(self.versions(department)):
            start, end = self.period(c)
            if start <= on and (end is None or on < end):
                return c
        return None
