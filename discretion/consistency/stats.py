"""Per-unit and per-officer statistics, over all cases at once.

The share of a unit's (officer's) cases that deviate (outside the range, mandatory lists or the
limitation ignored) against the others' share: a two-sided binomial test, Bonferroni over the groups
compared, flagged only with at least 5 cases; and the median of (own position − the others' median
position on the same key) in the recommended range.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binomtest

from .report import GroupStat

ALPHA = 0.01
MIN_CASES = 5


def group_stats(
    kind: str, name: np.ndarray, names: list[str], deviant: np.ndarray, position: np.ndarray, key: np.ndarray
) -> list[GroupStat]:
    """`name`, `deviant`, `position` (NaN: none) and `key` per case (the cases not time-barred)."""
    named = np.array([bool(n) for n in names], dtype=bool)[name] if len(name) else np.zeros(0, bool)
    present = np.unique(name[named])
    if len(present) < 2:
        return []
    total, total_dev = len(name), int(deviant.sum())
    cases = np.bincount(name[named], minlength=len(names))
    devs = np.bincount(name[named], weights=deviant[named], minlength=len(names)).astype(np.int64)
    relative = _relative_positions(name, named, position, key)
    out: list[GroupStat] = []
    for j in present.tolist():
        n, dev = int(cases[j]), int(devs[j])
        others_n, others_dev = total - n, total_dev - dev
        others_rate = others_dev / others_n if others_n else 0.0
        p = binomtest(dev, n, min(max(others_rate, 1e-6), 1 - 1e-6)).pvalue if n else 1.0
        flagged = n >= MIN_CASES and p < ALPHA / len(present) and dev / n > others_rate
        rel = relative.get(j)
        out.append(
            GroupStat(
                kind=kind,
                name=names[j],
                cases=n,
                deviations=dev,
                rate=dev / n if n else 0.0,
                others_rate=others_rate,
                p_value=float(p),
                median_relative_position=float(np.median(rel)) if rel is not None and len(rel) else None,
                flagged=bool(flagged),
            )
        )
    out.sort(key=lambda s: (not s.flagged, s.p_value, s.name))
    return out


def _relative_positions(
    name: np.ndarray, named: np.ndarray, position: np.ndarray, key: np.ndarray
) -> dict[int, np.ndarray]:
    """Per name: own position − the median position of the others' cases on the same key, for each own
    case that has a position and whose key has others' positions.

    The others' median on key k without name j is found by rank: cases sorted by (key, position), and
    for name j the running count of cases not its own; the r-th case of key k that is not j's is where
    that count reaches (its value before k) + r + 1."""
    has = named & ~np.isnan(position)
    idx = np.flatnonzero(has)
    if not len(idx):
        return {}
    order = idx[np.lexsort((position[idx], key[idx]))]
    k_s, p_s, n_s = key[order], position[order], name[order]
    starts = np.flatnonzero(np.r_[True, k_s[1:] != k_s[:-1]])
    seg_len = np.diff(np.r_[starts, len(k_s)])
    seg_of = np.repeat(np.arange(len(starts)), seg_len)  # each sorted case's segment
    out: dict[int, np.ndarray] = {}
    for j in np.unique(n_s).tolist():
        own = n_s == j
        others_cum = np.cumsum(~own)
        before = np.where(starts > 0, others_cum[np.maximum(starts - 1, 0)], 0)
        own_in_seg = np.bincount(seg_of[own], minlength=len(starts))
        m = seg_len - own_in_seg  # others' cases per key
        segs = np.flatnonzero((own_in_seg > 0) & (m > 0))
        med = np.full(len(starts), np.nan)
        if len(segs):
            mm = m[segs]
            hi_rank = mm // 2
            lo_rank = np.where(mm % 2 == 1, hi_rank, hi_rank - 1)
            t_hi = np.searchsorted(others_cum, before[segs] + hi_rank + 1, side="left")
            t_lo = np.searchsorted(others_cum, before[segs] + lo_rank + 1, side="left")
            med[segs] = np.where(mm % 2 == 1, p_s[t_hi], (p_s[t_lo] + p_s[t_hi]) / 2)
        mine = np.flatnonzero(own)
        rel = p_s[mine] - med[seg_of[mine]]
        out[j] = rel[~np.isnan(rel)]
    return out
