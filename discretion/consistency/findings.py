"""The kinds of finding, computed over all cases at once with numpy (no loop over cases).

Within one key (legally the same case):
- different outcomes (penalised vs not), or different kinds of penalty;
- fines spread wider than the recommended range allows (positions in the range differ by more than its width);
Per case:
- a fine outside the recommended range (critical above the statutory maximum), compared in integer fen;
- penalised although a mandatory no-penalty or exemption entry applied, or the limitation had run.
The per-unit and per-officer statistics are in stats.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ..wording import MAY_OUTSIDE
from .expectations import KeyGroup
from ..cases.fields import OUTCOMES
from .report import SEVERITY_ORDER, Finding, GroupStat
from .stats import group_stats
from ..cases.table import NO_FINE, CaseTable

EPS = 1e-9
PENALTY = OUTCOMES.index("penalty")


class Cases:
    """The swept cases of all keys, concatenated: table row, key index, and what each case's key expects."""

    def __init__(self, groups: list[KeyGroup], table: CaseTable) -> None:
        sizes = np.array([len(g.rows) for g in groups], dtype=np.int64)
        self.rows = np.concatenate([g.rows for g in groups]) if groups else np.zeros(0, np.int64)
        self.key = np.repeat(np.arange(len(groups)), sizes)
        self.expired = np.concatenate([g.expired for g in groups]) if groups else np.zeros(0, bool)
        self.live = ~self.expired
        self.outcome = table.outcome[self.rows].astype(np.int64)
        self.penalised = self.outcome == PENALTY
        self.fine = table.fine[self.rows]
        self.penalties = table.penalties[self.rows].astype(np.int64)
        n = len(self.rows)
        self.ranged = np.zeros(n, dtype=bool)
        floats = {k: np.full(n, np.nan) for k in ("rec_min", "rec_max")}
        fen = {k: np.zeros(n, dtype=np.int64) for k in ("lo_fen", "hi_fen", "max_fen")}
        at = 0
        for g, size in zip(groups, sizes.tolist(), strict=True):
            if g.ranges is not None:
                self.ranged[at : at + size] = True
                for k, a in floats.items():
                    a[at : at + size] = getattr(g.ranges, k)
                for k, a in fen.items():
                    a[at : at + size] = getattr(g.ranges, k)
            at += size
        self.rec_min, self.rec_max = floats["rec_min"], floats["rec_max"]
        self.lo_fen, self.hi_fen, self.max_fen = fen["lo_fen"], fen["hi_fen"], fen["max_fen"]
        # keys measured against a 可以并处 option's range (no statutory maximum to check)
        self.may_ranges = np.repeat(np.array([g.may_ranges for g in groups], dtype=bool), sizes)
        # a fine's position in its recommended range (0 at the minimum, 1 at the maximum); NaN where none
        self.measured = self.live & self.penalised & (self.fine != NO_FINE) & self.ranged
        width = self.rec_max - self.rec_min
        with np.errstate(invalid="ignore", divide="ignore"):
            pos = (self.fine / 100 - self.rec_min) / width
        degenerate = np.where(self.fine < self.lo_fen, -1.0, np.where(self.fine > self.hi_fen, 1.0, 0.0))
        self.position = np.where(self.measured, np.where(width > EPS, pos, degenerate), np.nan)


def _by_key(mask: np.ndarray, key: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(key, indices of the cases in mask) per key that has any, in key order."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return
    order = np.argsort(key[idx], kind="stable")
    idx = idx[order]
    cuts = np.flatnonzero(np.diff(key[idx])) + 1
    for part in np.split(idx, cuts):
        yield int(key[part[0]]), part


CHARTED = frozenset({"fine_spread", "outside_range", "different_outcome"})


def find(groups: list[KeyGroup], table: CaseTable) -> tuple[list[Finding], set[int], list[GroupStat], list[GroupStat]]:
    """The findings, the keys with findings of the CHARTED kinds, and the unit and officer statistics."""
    c = Cases(groups, table)
    ids = table.case_id
    findings: list[Finding] = []
    charted: set[int] = set()

    def add(k: int, kind: str, severity: str, at: np.ndarray, detail: str) -> None:
        g = groups[k]
        if kind in CHARTED:
            charted.add(k)
        findings.append(
            Finding(
                kind=kind,
                severity=severity,
                department=g.department,
                item=g.item,
                version=g.version,
                key=g.words,
                rules=g.rules,
                cases=sorted(ids[r] for r in c.rows[at].tolist()),
                detail=detail,
            )
        )

    defect = np.array([bool(g.defect) for g in groups], dtype=bool)
    for k, at in _by_key(defect[c.key] if len(groups) else defect, c.key):
        add(k, "ruleset_defect", "low", at, f"基准本身不能给出建议：{groups[k].defect}")
    deviant = np.zeros(len(c.rows), dtype=bool)
    # 第三十六条: penalised after the limitation ran (one finding per case)
    late = c.expired & c.penalised
    for i in np.flatnonzero(late).tolist():
        add(
            int(c.key[i]),
            "limitation_ignored",
            "critical",
            np.array([i]),
            "违法行为在追责期限内未被发现，依《中华人民共和国行政处罚法》第三十六条不再给予行政处罚，但作出了处罚",
        )
    deviant |= late
    # mandatory lists: penalised where the benchmark says no penalty / exemption; or not penalised without a basis
    # a 可以并处 fine the officer imposed is a penalty the benchmark allows, not one it rules out
    expects_none = np.array(
        [g.recommendation is not None and g.recommendation.outcome != "penalty" and not g.may_fine for g in groups],
        bool,
    )
    allowed = np.zeros((len(groups), len(OUTCOMES)), dtype=bool)
    for k, g in enumerate(groups):
        if g.recommendation is not None and g.recommendation.outcome == "penalty":
            allowed[k, PENALTY] = True
            for o in g.discretionary_outcomes:
                allowed[k, OUTCOMES.index(o)] = True
        else:
            allowed[k] = True
    ignored = c.live & c.penalised & expects_none[c.key] if len(groups) else np.zeros(0, bool)
    for k, at in _by_key(ignored, c.key):
        rec = groups[k].recommendation
        cite = next((s.citation for s in rec.trace if s.step in ("no_penalty", "exemption", "outcome")), "")  # type: ignore[union-attr]  # a group expected to go unpunished has its recommendation
        add(k, "mandatory_list_ignored", "high", at, f"依{cite}应当{rec.outcome_label}，但作出了处罚")  # type: ignore[union-attr]  # (the same)
    unpunished = c.live & ~allowed[c.key, c.outcome] if len(groups) else np.zeros(0, bool)
    for k, at in _by_key(unpunished, c.key):
        add(k, "mandatory_list_ignored", "high", at, "基准建议给予处罚且没有可以不予（免予）处罚的依据，但未予处罚")
    deviant |= ignored | unpunished
    # outside the recommended range, in fen
    above_law = c.measured & ~c.may_ranges & (c.fine > c.max_fen)
    outside = c.measured & ~above_law & ((c.fine < c.lo_fen) | (c.fine > c.hi_fen))
    for k, at in _by_key(above_law, c.key):
        add(k, "outside_range", "critical", at, "罚款超过法定最高额")
    for k, at in _by_key(outside, c.key):
        add(
            k,
            "outside_range",
            "medium",
            at,
            f"罚款{MAY_OUTSIDE}内" if groups[k].may_ranges else "罚款不在基准建议幅度内",
        )
    deviant |= above_law | outside
    _within_key(c, groups, add)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.department, f.item, f.cases))
    units = group_stats(
        "unit", table.unit[c.rows[c.live]], table.names, deviant[c.live], c.position[c.live], c.key[c.live]
    )
    officers = group_stats(
        "officer", table.officer[c.rows[c.live]], table.names, deviant[c.live], c.position[c.live], c.key[c.live]
    )
    return findings, charted, units, officers


def _within_key(c: Cases, groups: list[KeyGroup], add: Callable[[int, str, str, np.ndarray, str], None]) -> None:
    """Different outcomes, else different kinds of penalty; and fines spread wider than the range."""
    nk = len(groups)
    if not nk:
        return
    live_key = c.key[c.live]
    seen = np.zeros((nk, len(OUTCOMES)), dtype=bool)
    seen[live_key, c.outcome[c.live]] = True
    # a 可以并处 fine imposed in one case and not in another is the officer's choice, not by itself a
    # different outcome (where only the fine makes it a penalty) or a different kind of penalty
    may_fine = np.array([g.may_fine for g in groups], dtype=bool)
    mixed = seen[:, PENALTY] & seen[:, :PENALTY].any(axis=1) & ~may_fine
    for k, at in _by_key(c.live & mixed[c.key], c.key):
        names = "、".join(sorted(OUTCOMES[o] for o in np.flatnonzero(seen[k]).tolist()))
        add(k, "different_outcome", "high", at, f"同一裁量情形，处理结果不同：{names}")
    # kinds of penalty: whether a fine was imposed, and the other penalties
    pen = c.live & c.penalised & ~mixed[c.key]
    kind = c.penalties * 2 + ((c.fine > 0) & ~may_fine[c.key])
    span = int(kind.max()) + 1 if len(kind) else 1
    kinds = np.unique(c.key[pen] * span + kind[pen]) // span
    several = np.bincount(kinds, minlength=nk) > 1
    for k, at in _by_key(pen & several[c.key], c.key):
        add(k, "different_penalty_types", "medium", at, "同一裁量情形，处罚种类不同")
    measured = c.measured
    if measured.any():
        hi = np.full(nk, -np.inf)
        lo = np.full(nk, np.inf)
        np.maximum.at(hi, c.key[measured], c.position[measured])
        np.minimum.at(lo, c.key[measured], c.position[measured])
        count = np.bincount(c.key[measured], minlength=nk)
        spread = hi - lo
        wide = (count >= 2) & (spread > 1 + EPS)
        for k, at in _by_key(measured & wide[c.key], c.key):
            s = float(spread[k])
            add(k, "fine_spread", "high" if s > 2 else "medium", at, f"同一裁量情形的罚款差距为建议幅度的{s:.1f}倍")
