"""sweep(): group decided cases by relevance key, evaluate each key once, and report inconsistencies.

Per case, only numpy work happens: filters, the versions in force (looked up once per distinct
department and date), the item group, and the key (facts are validated and bucketed once per
distinct facts text of the group). The evaluator runs once per distinct key (and two or three more
times per key where a fine is a multiple of a base, to fit how the recommended range grows with it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from collections.abc import Callable

import numpy as np

from ..compiler import CompiledItem, CompiledRuleset
from ..errors import DiscretionError
from ..evaluation.apply import add_years
from ..keys import LIMITATION_EXTENDED, RuleKey
from ..loader import RulesetLibrary
from .expectations import KeyGroup, expect
from .findings import find
from .keys import FactColumns, describe, item_keys, rules_of, validate_columns
from ..cases.reading import cyclic_gc_paused
from .report import ConsistencyReport, GroupChart, RejectedRow, Summary
from ..cases.fields import OUTCOMES
from ..cases.table import NO_FINE, CaseTable

_NO_VERSION, _ERROR = -1, -2


def sweep(
    library: RulesetLibrary,
    table: CaseTable,
    *,
    department: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ConsistencyReport:
    """The consistency report for decided cases (optionally of one department, decided in [since, until])."""
    with cyclic_gc_paused():
        return _sweep(library, table, department=department, since=since, until=until, progress=progress)


class _Versions:
    """The version in force per distinct (department, date) of the cases: refs, or why there is none."""

    def __init__(self, library: RulesetLibrary, table: CaseTable) -> None:
        self.library, self.table = library, table
        self.refs: list[CompiledRuleset] = []
        self.errors: list[str] = []

    def of(self, dept: np.ndarray, dates: np.ndarray) -> np.ndarray:
        """Per case: index into refs, _NO_VERSION, or _ERROR - k - 1 for errors[k]."""
        pairs = dept.astype(np.int64) << 32 | dates.astype(np.int64)
        uniq, inv = np.unique(pairs, return_inverse=True)
        found = {id(c): i for i, c in enumerate(self.refs)}
        out = np.empty(len(uniq), dtype=np.int64)
        for u, pair in enumerate(uniq.tolist()):
            name, day = self.table.departments[pair >> 32], dt.date.fromordinal(pair & 0xFFFFFFFF)
            try:
                crs = self.library.in_force(name, day)
            except DiscretionError as e:
                self.errors.append(str(e))
                out[u] = _ERROR - (len(self.errors) - 1)
                continue
            if crs is None:
                out[u] = _NO_VERSION
                continue
            k = found.get(id(crs))
            if k is None:
                k = found[id(crs)] = len(self.refs)
                self.refs.append(crs)
            out[u] = k
        per_case: np.ndarray = out[inv.reshape(-1)]
        return per_case


def _sweep(
    library: RulesetLibrary,
    table: CaseTable,
    *,
    department: str | None,
    since: dt.date | None,
    until: dt.date | None,
    progress: Callable[[int], None] | None,
) -> ConsistencyReport:
    rejected = [RejectedRow(line=r.line, case_id=r.case_id, reason=r.reason) for r in table.rejected]
    chosen = np.ones(len(table), dtype=bool)
    if department:
        chosen &= table.department == (table.departments.index(department) if department in table.departments else -1)
    if since:
        chosen &= table.decided >= since.toordinal()
    if until:
        chosen &= table.decided <= until.toordinal()
    rows = np.flatnonzero(chosen)
    groups = _item_groups(library, table, rows, rejected)
    key_groups: list[KeyGroup] = []
    evaluations = swept = 0
    for (_dept, old_ref, new_ref, code), members in sorted(groups.items()):
        crs = library.compiled[old_ref]
        ci = crs.find_item(code)
        new_ci = library.compiled[new_ref].find_item(code) if new_ref and new_ref != old_ref else None
        got = _validated(table, members, ci, new_ci, rejected)  # type: ignore[arg-type]  # every item of a swept group is in its version
        if got is None:
            continue
        members, local, facts, new_facts = got
        swept += len(members)
        if progress:
            progress(len(members))
        evaluations += _keys(library, table, crs, ci, new_ci, members, local, facts, new_facts, key_groups)  # type: ignore[arg-type]  # (the same)
    for g in key_groups:
        rejected.extend(
            RejectedRow(line=int(table.line[r]), case_id=table.case_id[r], reason=reason) for r, reason in g.dropped
        )
        swept -= len(g.dropped)
    findings, charted, units, officers = find(key_groups, table)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    rejected.sort(key=lambda r: r.line)
    return ConsistencyReport(
        summary=Summary(
            cases_read=table.cases_read,
            cases_swept=swept,
            rejected=len(rejected),
            keys=len(key_groups),
            evaluations=evaluations,
            findings=counts,
        ),
        findings=findings,
        units=units,
        officers=officers,
        rejected=rejected,
        groups=_charts(table, key_groups, charted),
    )


def _item_groups(
    library: RulesetLibrary, table: CaseTable, rows: np.ndarray, rejected: list[RejectedRow]
) -> dict[tuple[str, str, str, str], np.ndarray]:
    """The chosen cases by (department, version on the act date, version on the decision date, item);
    cases with no version in force or an item the version does not have are rejected."""
    versions = _Versions(library, table)
    dept = table.department[rows]
    old = versions.of(dept, table.act[rows])
    new = versions.of(dept, table.decided[rows])
    bad = (old < 0) | (new <= _ERROR)
    # the item of each (version, item code) pair, looked up once
    pair = np.where(old >= 0, old, 0) * (len(table.items) + 1) + table.item[rows]
    uniq, inv = np.unique(pair, return_inverse=True)
    has_item = np.array(
        [
            versions.refs[p // (len(table.items) + 1)].find_item(table.items[p % (len(table.items) + 1)]) is not None
            if versions.refs
            else False
            for p in uniq.tolist()
        ],
        dtype=bool,
    )
    missing = ~bad & ~has_item[inv.reshape(-1)]
    for k in np.flatnonzero(bad | missing).tolist():
        r = int(rows[k])
        name, o, n_ = table.departments[int(table.department[r])], int(old[k]), int(new[k])
        if o <= _ERROR:
            reason = versions.errors[_ERROR - o]
        elif n_ <= _ERROR:
            reason = versions.errors[_ERROR - n_]
        elif o == _NO_VERSION:
            reason = f"act_date: no version of {name!r} in force on {table.date(table.act, r)}"
        else:
            reason = f"item: {table.items[int(table.item[r])]!r} is not an item of {name} {versions.refs[o].version}"
        rejected.append(RejectedRow(line=int(table.line[r]), case_id=table.case_id[r], reason=reason))
    ok = ~(bad | missing)
    rows, old, new = rows[ok], old[ok], np.where(new[ok] >= 0, new[ok], -1)
    gkey = (dept[ok].astype(np.int64) * (len(versions.refs) + 1) + old) * (len(versions.refs) + 2) + (new + 1)
    gkey = gkey * (len(table.items) + 1) + table.item[rows]
    out: dict[tuple[str, str, str, str], np.ndarray] = {}
    if not len(rows):
        return out
    order = np.argsort(gkey, kind="stable")
    cuts = np.flatnonzero(np.diff(gkey[order])) + 1
    for members in np.split(order, cuts):
        m = int(members[0])
        r = int(rows[m])
        old_crs, new_crs = versions.refs[int(old[m])], (versions.refs[int(new[m])] if new[m] >= 0 else None)
        out[
            (
                table.departments[int(table.department[r])],
                old_crs.ruleset.ref,
                new_crs.ruleset.ref if new_crs else "",
                table.items[int(table.item[r])],
            )
        ] = rows[members]
    return out


def _validated(
    table: CaseTable, members: np.ndarray, ci: CompiledItem, new_ci: CompiledItem | None, rejected: list[RejectedRow]
) -> tuple[np.ndarray, np.ndarray, FactColumns, FactColumns | None] | None:
    """The facts of an item group, validated once per distinct facts text against the old version (and
    the newer one); cases whose facts do not validate are rejected. Returns the kept cases, each one's
    index into the distinct facts, and the validated distinct facts."""
    texts, local = _distinct(table.facts[members], len(table.facts_text))
    raws = [table.facts_loads(table.facts_text[t]) for t in texts.tolist()]
    facts, errors = validate_columns(
        raws, ci.schema, ci.derived, tolerated=frozenset(new_ci.schema) if new_ci else frozenset()
    )
    new_facts = None
    if new_ci is not None:
        new_facts, new_errors = validate_columns(raws, new_ci.schema, new_ci.derived, tolerated=frozenset(ci.schema))
        errors = {**new_errors, **errors}
    del raws
    if errors:
        bad = np.zeros(len(texts), dtype=bool)
        bad[list(errors)] = True
        for k in np.flatnonzero(bad[local]).tolist():
            r = int(members[k])
            rejected.append(
                RejectedRow(line=int(table.line[r]), case_id=table.case_id[r], reason=str(errors[int(local[k])]))
            )
        keep = ~bad[local]
        members, local = members[keep], local[keep]
    if not len(members):
        return None
    return members, local, facts, new_facts


def _distinct(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes (ascending) and each one's index among them, in linear time (codes < size)."""
    present = np.zeros(size, dtype=bool)
    present[codes] = True
    distinct = np.flatnonzero(present)
    at = np.zeros(size, dtype=np.int64)
    at[distinct] = np.arange(len(distinct))
    return distinct, at[codes]


def _keys(
    library: RulesetLibrary,
    table: CaseTable,
    crs: CompiledRuleset,
    ci: CompiledItem,
    new_ci: CompiledItem | None,
    members: np.ndarray,
    local: np.ndarray,
    facts: FactColumns,
    new_facts: FactColumns | None,
    out: list[KeyGroup],
) -> int:
    """Split an item group by relevance key, evaluate each key; returns the evaluations made."""
    used, where = _distinct(
        local, int(local.max()) + 1
    )  # distinct facts some kept case has (the others failed validation)
    keys = item_keys(ci, facts.take(used))
    key_ids = keys.key_of_case
    if new_facts is not None:  # 第三十七条: cases the newer version tells apart are apart too
        nkeys = item_keys(new_ci, new_facts.take(used))  # type: ignore[arg-type]  # new_facts implies new_ci
        pairs = key_ids * (len(nkeys.matched) + 1) + nkeys.key_of_case
        _, key_ids = np.unique(pairs, return_inverse=True)
        key_ids = key_ids.reshape(-1)
    case_keys = key_ids[where]
    old_key = keys.key_of_case[where]
    columns: dict[str, list[Any]] = {}

    def column(name: str) -> list[Any]:
        got = columns.get(name)
        if got is None:
            got = columns[name] = facts.column(name)
        return got

    order = np.argsort(case_keys, kind="stable")
    cuts = np.flatnonzero(np.diff(case_keys[order])) + 1
    acts, act_of = np.unique(table.act[members], return_inverse=True)
    deadlines: dict[int | None, np.ndarray] = {}
    dept, code = table.departments[int(table.department[members[0]])], table.items[int(table.item[members[0]])]
    evaluations = 0
    for chunk in np.split(order, cuts):
        if not len(chunk):
            continue
        matched = keys.matched[int(old_key[chunk[0]])]
        rows = members[chunk]
        years = _limitation_years(crs, ci, matched)
        if years not in deadlines:
            deadlines[years] = np.array(
                [add_years(dt.date.fromordinal(a), years).toordinal() for a in acts.tolist()]
                if years is not None
                else [],
                dtype=np.int64,
            )
        expired = (
            (table.decided[rows] > deadlines[years][act_of[chunk]])
            if years is not None
            else np.zeros(len(rows), dtype=bool)
        )
        group = KeyGroup(
            dept, code, crs.version, describe(ci, matched), rules_of(ci, matched), rows, local[chunk], expired
        )
        evaluations += expect(library, table, group, ci, matched, column)
        out.append(group)
    return evaluations


def _limitation_years(crs: CompiledRuleset, ci: CompiledItem, matched: frozenset[RuleKey]) -> int | None:
    """第三十六条: the limitation period of a key, in years (None: none applies)."""
    lim, item = crs.limitation, ci.item
    years = item.limitation_years or (lim.years if lim else None)
    if years is not None and not item.limitation_years and lim and lim.extended and LIMITATION_EXTENDED in matched:
        years = lim.extended.years
    return years


def _charts(table: CaseTable, groups: list[KeyGroup], charted: set[int]) -> list[GroupChart]:
    """Per-case fines and recommended ranges of the keys with findings of the charted kinds (built column-wise,
    validated in one call per key)."""
    out: list[GroupChart] = []
    names, outcomes = np.array(table.names, dtype=object), np.array(OUTCOMES, dtype=object)
    for k in sorted(charted):
        g = groups[k]
        live = np.flatnonzero(~g.expired)
        rows = g.rows[live]
        fine = [None if f == NO_FINE else f / 100 for f in table.fine[rows].tolist()]
        rg = g.ranges
        none = [None] * len(rows)
        rec = (
            (none, none, none)
            if rg is None
            else (
                rg.rec_min[live].tolist(),
                rg.rec_max[live].tolist(),
                none if g.may_ranges else rg.stat_max[live].tolist(),  # a 可以并处 option has none
            )
        )
        cases = [
            {"case_id": c, "unit": u, "outcome": o, "fine": f, "rec_min": a, "rec_max": b, "stat_max": m}
            for c, u, o, f, a, b, m in zip(
                [table.case_id[r] for r in rows.tolist()],
                names[table.unit[rows]].tolist(),
                outcomes[table.outcome[rows]].tolist(),
                fine,
                *rec,
                strict=True,
            )
        ]
        out.append(
            GroupChart.model_validate(
                {"department": g.department, "item": g.item, "version": g.version, "key": g.words, "cases": cases}
            )
        )
    return out
