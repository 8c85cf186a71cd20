"""Decided cases as columns: one small integer per case and field, each distinct value checked once.

A million decided cases repeat a few departments, items, units, officers, dates, fines and lists of
penalties, and many repeat their facts. So cases are kept as numpy columns of codes, never as one
object per case, and each field check of the import format (fields.py) runs once per distinct raw
value. A refused row gets the reason of its first failing check, as a row-by-row reader would give.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from . import fields
from .fields import ORDER, Refused

NO_FINE = -1  # a fine in fen is never negative: -1 marks a case with no fine
_OK = len(fields.CHECKS)


@dataclass
class Rejected:
    line: int
    case_id: str | None
    reason: str


@dataclass
class CaseTable:
    """Accepted decided cases as columns (row order = input order) and the rejected rows.

    Coded columns index the lists beside them: `departments[department[i]]` is case i's department,
    `names[unit[i]]` its unit. `facts_text[facts[i]]` is its facts object as read (JSON text, one
    per distinct text); `facts_of(i)` parses it.
    """

    line: np.ndarray
    case_id: list[str]
    department: np.ndarray
    item: np.ndarray
    facts: np.ndarray
    act: np.ndarray  # date ordinals
    decided: np.ndarray
    unit: np.ndarray
    officer: np.ndarray
    outcome: np.ndarray  # index into fields.OUTCOMES
    fine: np.ndarray  # fen, NO_FINE where none
    penalties: np.ndarray
    departments: list[str]
    items: list[str]
    names: list[str]
    penalty_sets: list[tuple[str, ...]]
    facts_text: list[Any]
    facts_loads: Callable[[Any], Any]
    rejected: list[Rejected] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.case_id)

    @property
    def cases_read(self) -> int:
        return len(self.case_id) + len(self.rejected)

    def facts_of(self, i: int) -> Any:
        """Case i's facts as read (not yet validated against a schema)."""
        return self.facts_loads(self.facts_text[int(self.facts[i])])

    def date(self, column: np.ndarray, i: int) -> dt.date:
        return dt.date.fromordinal(int(column[i]))

    def join(self, later: CaseTable) -> CaseTable | None:
        """These cases followed by `later`'s (read from the rest of the same input), codes made
        common; None if a case id occurs in both (a repeat must be checked against the first one, in
        order)."""
        mine = set(self.case_id)
        if any(map(mine.__contains__, later.case_id)):
            return None

        def common(a: list[Any], b: list[Any]) -> tuple[list[Any], np.ndarray]:
            index = {v: i for i, v in enumerate(a)}
            out = list(a)
            to = np.empty(len(b), dtype=np.int64)
            for j, v in enumerate(b):
                k = index.get(v)
                if k is None:
                    k = index[v] = len(out)
                    out.append(v)
                to[j] = k
            return out, to

        departments, d = common(self.departments, later.departments)
        items, it = common(self.items, later.items)
        names, nm = common(self.names, later.names)
        penalty_sets, pn = common(self.penalty_sets, later.penalty_sets)
        facts_text, ft = common(self.facts_text, later.facts_text)

        def cat(a: np.ndarray, b: np.ndarray, to: np.ndarray | None = None) -> np.ndarray:
            return np.concatenate([a, (to[b] if to is not None else b).astype(a.dtype)])

        return CaseTable(
            line=cat(self.line, later.line),
            case_id=self.case_id + later.case_id,
            department=cat(self.department, later.department, d),
            item=cat(self.item, later.item, it),
            facts=cat(self.facts, later.facts, ft),
            act=cat(self.act, later.act),
            decided=cat(self.decided, later.decided),
            unit=cat(self.unit, later.unit, nm),
            officer=cat(self.officer, later.officer, nm),
            outcome=cat(self.outcome, later.outcome),
            fine=cat(self.fine, later.fine),
            penalties=cat(self.penalties, later.penalties, pn),
            departments=departments,
            items=items,
            names=names,
            penalty_sets=penalty_sets,
            facts_text=facts_text,
            facts_loads=self.facts_loads,
            rejected=self.rejected + later.rejected,
        )

    def fine_of(self, i: int) -> Decimal | None:
        f = int(self.fine[i])
        return None if f == NO_FINE else Decimal(f).scaleb(-2)


_PLAIN = frozenset({str, bytes, dt.date, type(None)})  # no value of these types equals a value of another type
_SCALARS = frozenset({str, bytes, int, float, bool, type(None), Decimal, dt.date})


def _typed(v: Any) -> tuple[type, Any]:
    """A dictionary key that keeps 1, 1.0 and True apart and makes lists and objects hashable."""
    t = type(v)
    return (t, v) if t in _SCALARS else (t, repr(v))


class _Column:
    """One field's distinct raw values in order of appearance, each checked once.

    Per distinct value: the order of its failing check (or _OK) and reason, and its image: an int
    (a date ordinal, fen) or, where `coded`, the index of its normalised value in `labels`.
    Values are looked up as they are while they are strings, bytes, dates or None (no such value
    equals one of another type); others by (type, value), so that 1, 1.0 and True stay apart.
    """

    def __init__(self, check: Callable[[Any], Any], *, coded: bool = False, labels: list[Any] | None = None) -> None:
        self.check, self.coded = check, coded
        self._next = itertools.count().__next__
        self.plain: defaultdict[Any, int] = defaultdict(self._next)
        self.typed: dict[Any, int] = {}
        self.raw: list[Any] = []
        self.failed: list[int] = []
        self.reason: list[str] = []
        self.image: list[int] = []
        self.labels: list[Any] = labels if labels is not None else []
        self.label_index: dict[Any, int] = {v: i for i, v in enumerate(self.labels)}
        self._arrays: tuple[np.ndarray, np.ndarray] = (np.zeros(0, np.int64), np.zeros(0, np.int64))

    def codes(self, column: Sequence[Any]) -> np.ndarray:
        """Each value's distinct index; new distinct values are checked now."""
        plain, before = self.plain, len(self.plain)
        try:
            codes = np.fromiter(map(plain.__getitem__, column), dtype=np.int64, count=len(column))
        except TypeError:  # an unhashable value (a list, an object)
            codes = None
        new = list(itertools.islice(reversed(plain), len(plain) - before))[::-1] if len(plain) > before else []
        for k in new:
            self._add(k)
        odd = [k for k in new if type(k) not in _PLAIN]
        if codes is not None and not odd:
            return codes
        for k in odd:  # keep the plain index to types that equal no other type's values
            del plain[k]
        keys = list(map(_typed, column))
        typed = self.typed
        for k, v in dict(zip(keys, column, strict=True)).items():
            if k not in typed:
                typed[k] = self._next()
                self._add(v)
        return np.fromiter(map(typed.__getitem__, keys), dtype=np.int64, count=len(keys))

    def _add(self, v: Any) -> None:
        self.raw.append(v)
        try:
            out = self.check(v)
        except Refused as e:
            self.failed.append(e.order)
            self.reason.append(str(e))
            self.image.append(0)
            return
        self.failed.append(_OK)
        self.reason.append("")
        if self.coded:
            k = self.label_index.get(out)
            if k is None:
                k = self.label_index[out] = len(self.labels)
                self.labels.append(out)
            out = k
        self.image.append(out)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(failed check order, image) per distinct value, as arrays (grown as values are added)."""
        failed, image = self._arrays
        if len(failed) < len(self.failed):
            self._arrays = failed, image = (
                np.concatenate([failed, np.asarray(self.failed[len(failed) :], np.int64)]),
                np.concatenate([image, np.asarray(self.image[len(image) :], np.int64)]),
            )
        return failed, image


def _required(name: str, then: Callable[[Any], Any] = str) -> Callable[[Any], Any]:
    return lambda v: then(fields.present(name, v))


#: the fields of the import format a row's content is compared on, for repeated case ids (the facts are
#: compared on their own, the case id is the key)
CONTENT = tuple(c for c in fields.COLUMNS if c not in ("case_id", "facts"))


class TableBuilder:
    """Adds chunks of raw rows (one sequence per field of the import format); keeps the accepted
    cases.

    `facts_loads` parses a facts text; `facts_object(text)` says cheaply whether it is a JSON object
    (default: parse it); `penalties_loads` turns a stored penalties value into the format's list.
    """

    def __init__(
        self,
        facts_loads: Callable[[Any], Any],
        *,
        facts_object: Callable[[Any], bool] | None = None,
        penalties_loads: Callable[[Any], Any] | None = None,
    ) -> None:
        self.facts_loads = facts_loads
        is_object = facts_object or (lambda text: isinstance(facts_loads(text), dict))

        def facts(text: Any) -> int:
            if not is_object(text):
                raise Refused("facts", "facts: must be an object")
            return len(self.cols["facts"].raw) - 1  # its distinct index

        pen = penalties_loads
        names: list[str] = []
        self.cols: dict[str, _Column] = {
            "department": _Column(_required("department"), coded=True),
            "item": _Column(_required("item"), coded=True),
            "facts": _Column(facts),
            "act_date": _Column(_required("act_date", lambda v: fields.date(v, "act_date").toordinal())),
            "decision_date": _Column(_required("decision_date", lambda v: fields.date(v, "decision_date").toordinal())),
            "outcome": _Column(_required("outcome", fields.outcome)),
            "penalties": _Column(lambda v: fields.penalties(pen(v) if pen is not None else v), coded=True),
            "fine": _Column(lambda v: NO_FINE if (d := fields.fine(v)) is None else int(d.scaleb(2))),
            "unit": _Column(lambda v: str(v or ""), coded=True, labels=names),
            "officer": _Column(lambda v: str(v or ""), coded=True, labels=names),
        }
        self.cols["officer"].label_index = self.cols["unit"].label_index  # one list of names for both
        self.lines: list[np.ndarray] = []
        self.ids: list[str] = []
        self.images: dict[str, list[np.ndarray]] = {k: [] for k in self.cols}
        self.rejected: list[Rejected] = []
        self.seen: dict[str, int] = {}

    def add(self, lines: np.ndarray, raw: Mapping[str, Sequence[Any]]) -> None:
        """Check a chunk of raw rows column-wise; keep the good ones, reject the others with line
        and reason."""
        n = len(lines)
        if not n:
            return
        case_id = raw["case_id"]
        first = np.full(n, _OK, dtype=np.int64)
        if None in case_id or "" in case_id:
            first[[i for i, v in enumerate(case_id) if fields.is_missing(v)]] = ORDER["case_id missing"]
        codes = {name: col.codes(raw[name]) for name, col in self.cols.items()}
        images: dict[str, np.ndarray] = {}
        for name, col in self.cols.items():
            failed, image = col.arrays()
            np.minimum(first, failed[codes[name]], out=first)
            images[name] = image[codes[name]]
        dated = first > ORDER["decision_date"]
        first[dated & (images["decision_date"] < images["act_date"])] = ORDER["date order"]
        keep = first == _OK
        if not keep.all():
            for i in np.flatnonzero(~keep).tolist():
                self.rejected.append(
                    Rejected(
                        int(lines[i]),
                        str(case_id[i] or "") or None,
                        self._reason(int(first[i]), codes, i),
                    )
                )
        ids = case_id if set(map(type, case_id)) == {str} else [str(v) for v in case_id]
        keep = self._first_of_each_id(lines, ids, keep, images)
        if keep.all():
            self.ids.extend(ids)
            self.lines.append(np.asarray(lines, dtype=np.int64))
            for name in self.cols:
                self.images[name].append(images[name])
            return
        idx = np.flatnonzero(keep)
        self.ids.extend(ids[i] for i in idx.tolist())
        self.lines.append(np.asarray(lines, dtype=np.int64)[idx])
        for name in self.cols:
            self.images[name].append(images[name][idx])

    def _reason(self, order: int, codes: dict[str, np.ndarray], i: int) -> str:
        if order == ORDER["case_id missing"]:
            return "case_id: missing"
        if order == ORDER["date order"]:
            return "decision_date: before act_date"
        for name, col in self.cols.items():
            c = int(codes[name][i])
            if col.failed[c] == order:
                return col.reason[c]
        raise AssertionError(order)  # pragma: no cover

    def _first_of_each_id(
        self, lines: np.ndarray, ids: Sequence[str], keep: np.ndarray, images: dict[str, np.ndarray]
    ) -> np.ndarray:
        """A case id seen before is dropped if its content is the same, rejected if not; the first
        one stays."""
        seen, base = self.seen, len(self.ids)
        good = ids if keep.all() else [ids[i] for i in np.flatnonzero(keep).tolist()]
        if len(set(good)) == len(good) and not any(map(seen.__contains__, good)):
            seen.update(zip(good, range(base, base + len(good)), strict=True))
            return keep
        kept_at: dict[str, int] = {}  # ids kept from this chunk → their index in the chunk
        n_kept = 0
        for i in np.flatnonzero(keep).tolist():
            cid = ids[i]
            g = seen.get(cid)
            if g is None:
                seen[cid] = base + n_kept
                kept_at[cid] = i
                n_kept += 1
                continue
            j = kept_at.get(cid)
            if j is not None:
                same = self._same(images, j, images, i)
                line = int(lines[j])
            else:
                stored = self._stored(g)
                same = self._same(stored, 0, images, i)
                line = int(stored["line"][0])
            keep[i] = False
            if not same:
                self.rejected.append(
                    Rejected(int(lines[i]), cid, f"case_id: repeats line {line} with different content")
                )
        return keep

    def _stored(self, g: int) -> dict[str, np.ndarray]:
        """The images of the g-th kept case (in an earlier chunk)."""
        for k, part in enumerate(self.lines):
            if g < len(part):
                out = {name: self.images[name][k][g : g + 1] for name in self.cols}
                out["line"] = part[g : g + 1]
                return out
            g -= len(part)
        raise IndexError(g)  # pragma: no cover

    def _same(self, a: dict[str, np.ndarray], i: int, b: dict[str, np.ndarray], j: int) -> bool:
        if any(int(a[k][i]) != int(b[k][j]) for k in CONTENT):
            return False
        fa, fb = int(a["facts"][i]), int(b["facts"][j])
        raw = self.cols["facts"].raw
        return fa == fb or self.facts_loads(raw[fa]) == self.facts_loads(raw[fb])

    def table(self) -> CaseTable:
        def cat(name: str, dtype: Any) -> np.ndarray:
            parts = self.images[name]
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        c = self.cols
        return CaseTable(
            line=cat_lines(self.lines),
            case_id=self.ids,
            department=cat("department", np.int32),
            item=cat("item", np.int32),
            facts=cat("facts", np.int32),
            act=cat("act_date", np.int32),
            decided=cat("decision_date", np.int32),
            unit=cat("unit", np.int32),
            officer=cat("officer", np.int32),
            outcome=cat("outcome", np.int8),
            fine=cat("fine", np.int64),
            penalties=cat("penalties", np.int32),
            departments=c["department"].labels,
            items=c["item"].labels,
            names=c["unit"].labels,
            penalty_sets=c["penalties"].labels,
            facts_text=c["facts"].raw,
            facts_loads=self.facts_loads,
            rejected=self.rejected,
        )


def cat_lines(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)
