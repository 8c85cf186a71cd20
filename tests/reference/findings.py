"""The kinds of finding, and per-unit / per-officer statistics with a plain test.

Within one key (legally the same case):
- different outcomes (penalised vs not), or different kinds of penalty;
- fines spread wider than the recommended range allows (positions in the range differ by more than
its width); Per case:
- a fine outside the recommended range (critical above the statutory maximum);
- penalised although a mandatory no-penalty or exemption entry applied, or the limitation had run.
Per unit and officer: the share of their cases outside the range against the others' share
(two-sided binomial test, Bonferroni over the groups compared, at least 5 cases), and their median
position in the recommended range relative to the others on the same keys.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import binomtest

from discretion.consistency.report import SEVERITY_ORDER, Finding, GroupStat

if TYPE_CHECKING:
    from ..loader import RulesetLibrary
    from .sweep import KeyGroup

ALPHA = 0.01
MIN_CASES = 5
EPS = 1e-9


def _finding(g: KeyGroup, kind: str, severity: str, cases: list[str], detail: str) -> Finding:
    return Finding(
        kind=kind,
        severity=severity,
        department=g.department,
        item=g.item,
        version=g.version,  # type: ignore[arg-type]
        key=g.words,
        rules=g.rules,
        cases=sorted(cases),
        detail=detail,
    )


def _penalised(outcome: str) -> bool:
    return outcome == "penalty"


def find(groups: list[KeyGroup], library: RulesetLibrary) -> tuple[list[Finding], list[GroupStat], list[GroupStat]]:
    findings: list[Finding] = []
    deviant: set[str] = set()
    positions: dict[str, float] = {}
    key_of: dict[str, int] = {}
    for k, g in enumerate(groups):
        ids = [r.case_id for r in g.rows]
        for r in g.rows:
            key_of[r.case_id] = k
        if g.defect:
            findings.append(_finding(g, "ruleset_defect", "low", ids, f"基准本身不能给出建议：{g.defect}"))
        live = [i for i in range(len(g.rows)) if not g.expired[i]]
        # per case: limitation, mandatory lists, range
        for i, r in enumerate(g.rows):
            if g.expired[i] and _penalised(r.outcome):
                findings.append(
                    _finding(
                        g,
                        "limitation_ignored",
                        "critical",
                        [r.case_id],
                        "违法行为在追责期限内未被发现，依《中华人民共和国行政处罚法》第三十六条不再给予行政处罚，但作出了处罚",
                    )
                )
                deviant.add(r.case_id)
        rec = g.recommendation
        if rec is not None and rec.outcome != "penalty" and not g.may_fine:
            hit = [g.rows[i].case_id for i in live if _penalised(g.rows[i].outcome)]
            if hit:
                cite = next(
                    (s.citation for s in rec.trace if s.step in ("no_penalty", "exemption", "outcome")),
                    "",
                )
                findings.append(
                    _finding(
                        g,
                        "mandatory_list_ignored",
                        "high",
                        hit,
                        f"依{cite}应当{rec.outcome_label}，但作出了处罚",
                    )
                )
                deviant.update(hit)
        if rec is not None and rec.outcome == "penalty":
            allowed = {"penalty"} | g.discretionary_outcomes
            hit = [g.rows[i].case_id for i in live if g.rows[i].outcome not in allowed]
            if hit:
                findings.append(
                    _finding(
                        g,
                        "mandatory_list_ignored",
                        "high",
                        hit,
                        "基准建议给予处罚且没有可以不予（免予）处罚的依据，但未予处罚",
                    )
                )
                deviant.update(hit)
        if g.rec_min is not None and g.rec_max is not None and g.stat_max is not None:
            outside: list[str] = []
            above_law: list[str] = []
            for i in live:
                r = g.rows[i]
                if not _penalised(r.outcome) or r.fine is None:
                    continue
                fine = float(r.fine)
                lo, hi = g.rec_min[i], g.rec_max[i]
                width = hi - lo
                positions[r.case_id] = (
                    (fine - lo) / width
                    if width > EPS
                    else (0.0 if abs(fine - lo) <= 0.005 else float(np.sign(fine - lo)))
                )
                if not np.isnan(g.stat_max[i]) and fine > g.stat_max[i] + 0.005:
                    above_law.append(r.case_id)
                elif fine < lo - 0.005 or fine > hi + 0.005:
                    outside.append(r.case_id)
            if above_law:
                findings.append(_finding(g, "outside_range", "critical", above_law, "罚款超过法定最高额"))
            if outside:
                said = "罚款不在可以并处罚款的建议幅度内" if g.may_ranges else "罚款不在基准建议幅度内"
                findings.append(_finding(g, "outside_range", "medium", outside, said))
            deviant.update(above_law, outside)
        # within the key
        outcomes = {g.rows[i].outcome for i in live}
        if len({_penalised(o) for o in outcomes}) > 1 and not g.may_fine:
            findings.append(
                _finding(
                    g,
                    "different_outcome",
                    "high",
                    [g.rows[i].case_id for i in live],
                    f"同一裁量情形，处理结果不同：{'、'.join(sorted(outcomes))}",
                )
            )
        else:
            kinds = {
                (g.rows[i].fine is not None and g.rows[i].fine > 0 and not g.may_fine, g.rows[i].penalties)
                for i in live
                if _penalised(g.rows[i].outcome)
            }
            if len(kinds) > 1:
                findings.append(
                    _finding(
                        g,
                        "different_penalty_types",
                        "medium",
                        [g.rows[i].case_id for i in live if _penalised(g.rows[i].outcome)],
                        "同一裁量情形，处罚种类不同",
                    )
                )
        pos = [positions[g.rows[i].case_id] for i in live if g.rows[i].case_id in positions]
        if len(pos) >= 2 and max(pos) - min(pos) > 1 + EPS:
            spread = max(pos) - min(pos)
            findings.append(
                _finding(
                    g,
                    "fine_spread",
                    "high" if spread > 2 else "medium",
                    [g.rows[i].case_id for i in live if g.rows[i].case_id in positions],
                    f"同一裁量情形的罚款差距为建议幅度的{spread:.1f}倍",
                )
            )
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.department, f.item, f.cases))
    all_rows = [r for g in groups for i, r in enumerate(g.rows) if not g.expired[i]]
    units = _stats("unit", all_rows, deviant, positions, key_of)
    officers = _stats("officer", all_rows, deviant, positions, key_of)
    return findings, units, officers


def _stats(
    kind: str, rows: list, deviant: set[str], positions: dict[str, float], key_of: dict[str, int]
) -> list[GroupStat]:
    by: dict[str, list] = defaultdict(list)
    for r in rows:
        name = r.unit if kind == "unit" else r.officer
        if name:
            by[name].append(r)
    if len(by) < 2:
        return []
    total = len(rows)
    total_dev = sum(1 for r in rows if r.case_id in deviant)
    # positions of every case by key and group, for "relative to the others on the same keys"
    ids = {name: j for j, name in enumerate(by)}
    per_key: dict[int, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
    for name, rs in by.items():
        j = ids[name]
        for r in rs:
            pos = positions.get(r.case_id)
            if pos is not None:
                who, xs = per_key[key_of[r.case_id]]
                who.append(j)
                xs.append(pos)
    ordered: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def others_median(k: int, j: int) -> float | None:
        """np.median of the positions of the other groups' cases on key k (sorted once per key)."""
        got = ordered.get(k)
        if got is None:
            who, xs = per_key[k]
            xa = np.array(xs, dtype=float)
            o = np.argsort(xa, kind="stable")
            got = ordered[k] = (xa[o], np.array(who, dtype=np.int64)[o])
        sel = got[0][got[1] != j]
        m = len(sel)
        if m == 0:
            return None
        if m % 2:
            return float(sel[m // 2])
        return float((sel[m // 2 - 1] + sel[m // 2]) / 2)

    out: list[GroupStat] = []
    for name, rs in sorted(by.items()):
        n = len(rs)
        dev = sum(1 for r in rs if r.case_id in deviant)
        others_n, others_dev = total - n, total_dev - dev
        others_rate = others_dev / others_n if others_n else 0.0
        p = binomtest(dev, n, min(max(others_rate, 1e-6), 1 - 1e-6)).pvalue if n else 1.0
        rel = []
        medians: dict[int, float | None] = {}  # the others' median is the same for all of this group's cases on a key
        j = ids[name]
        for r in rs:
            pos = positions.get(r.case_id)
            if pos is None:
                continue
            k = key_of[r.case_id]
            med = medians.get(k, False)
            if med is False:
                med = medians[k] = others_median(k, j)
            if med is not None:
                rel.append(pos - med)
        flagged = n >= MIN_CASES and p < ALPHA / len(by) and dev / n > others_rate
        out.append(
            GroupStat(
                kind=kind,
                name=name,
                cases=n,
                deviations=dev,
                rate=dev / n if n else 0.0,  # type: ignore[arg-type]
                others_rate=others_rate,
                p_value=float(p),
                median_relative_position=float(np.median(rel)) if rel else None,
                flagged=bool(flagged),
            )
        )
    out.sort(key=lambda s: (not s.flagged, s.p_value, s.name))
    return out
