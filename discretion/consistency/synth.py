"""Generated decided cases over a ruleset library, with known injected inconsistencies.

Most cases are decided as the benchmark recommends, with the dispersion real decisions show
(any amount in the recommended range, rounded to 100 yuan; a discretionary no-penalty option
taken for all or none of a key's cases). Then K inconsistencies of each kind are injected and
listed in `<out>.injected.json`, so tests can score recall.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..compiler import CompiledItem, CompiledRuleset
from ..cases.fields import COLUMNS
from ..errors import DiscretionError
from ..evaluation import EvaluationRequest, evaluate
from ..evaluation.cells import match
from ..evaluation.result import Recommendation
from ..loader import RulesetLibrary

UNITS = ["城关镇执法中队", "金鱼镇执法中队", "雒城街道执法中队", "三水镇执法中队", "西外乡执法中队", "高坪镇执法中队"]
DEVIANT_UNIT = "偏差执法中队"
OFFICERS_PER_UNIT = 5
KINDS = ("different_outcome", "fine_spread", "outside_range")


def _values(ci: CompiledItem, name: str) -> list[Any]:
    """Candidate values of a fact: its thresholds and neighbours, so that every cell is reachable."""
    spec = ci.schema[name]
    if spec.type == "bool":
        return [False, False, False, True]
    if spec.type == "enum":
        return list(spec.values or [])
    ths: set[Decimal] = set()
    for cond in ci.conditions.values():
        for v in cond.thresholds().get(name, ()):
            ths.add(Decimal(v))
    out: list[Any] = []
    for t in sorted(ths) or [Decimal(1000)]:
        for d in (Decimal("0.5"), Decimal(1), Decimal("1.5"), Decimal(3)):
            v = (t * d).quantize(Decimal(1) if spec.type == "integer" else Decimal("0.01"))
            if v >= 0 and (spec.minimum is None or v >= spec.minimum) and (spec.maximum is None or v <= spec.maximum):
                out.append(int(v) if spec.type == "integer" else str(v))
    return out or ["0"]


@dataclass
class _Item:
    crs: CompiledRuleset
    ci: CompiledItem
    start: dt.date
    end: dt.date
    choices: dict[str, list[Any]]


def _catalogue(lib: RulesetLibrary, last_day: dt.date) -> list[_Item]:
    out = []
    for dept in lib.departments():
        for crs in lib.versions(dept):
            start, end = lib.period(crs)
            end = min(end or last_day, last_day)
            if end <= start:
                continue
            for ci in crs.items.values():
                names = [n for n, s in ci.schema.items() if not s.derived]
                out.append(_Item(crs, ci, start, end, {n: _values(ci, n) for n in names}))
    return out


def _facts(rnd: random.Random, it: _Item) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, values in it.choices.items():
        spec = it.ci.schema[name]
        if not spec.is_required and spec.default is None and rnd.random() < 0.1:
            continue
        if spec.default is not None and rnd.random() < (0.7 if spec.type == "bool" else 0.85):
            continue  # mostly left at the default, as officers do
        if name == "age":
            if rnd.random() < 0.9:
                continue
            facts[name] = rnd.choice([13, 16, 30, 45])
            continue
        facts[name] = rnd.choice(values)
    return facts


def generate(
    lib: RulesetLibrary, n: int, seed: int, k: int, *, last_day: dt.date = dt.date(2026, 6, 30)
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(cases, injections): n ordinary cases plus k injected inconsistencies of each kind."""
    rnd = random.Random(seed)
    items = _catalogue(lib, last_day)
    officers = {u: [f"{u[:2]}{j + 1:02d}号" for j in range(OFFICERS_PER_UNIT)] for u in UNITS + [DEVIANT_UNIT]}
    cache: dict[tuple[Any, ...], Recommendation | None] = {}
    option_taken: dict[tuple[Any, ...], bool] = {}
    cases: list[dict[str, Any]] = []
    by_key: dict[tuple[Any, ...], list[int]] = {}

    def decide(
        it: _Item, facts: dict[str, Any], act: dt.date, decided: dt.date
    ) -> tuple[Recommendation, tuple[Any, ...]] | None:
        try:
            req = EvaluationRequest(
                department=it.crs.department, item=it.ci.item.code, facts=facts, act_date=act, decision_date=decided
            )
            new = lib.in_force(it.crs.department, decided)
            ck = (
                it.crs.ruleset.ref,
                new.ruleset.ref if new else "",
                it.ci.item.code,
                json.dumps(facts, sort_keys=True, default=str),
            )
            if ck not in cache:
                cache[ck] = evaluate(lib, req)
            rec = cache[ck]
        except DiscretionError:
            return None
        if rec is None:
            return None
        from ..facts import validate_facts

        matched = match(
            it.ci,
            validate_facts(
                facts,
                it.ci.schema,
                it.ci.derived,
                tolerated=frozenset(k for c in lib.compiled.values() for i in c.items.values() for k in i.schema),
            ),
        )
        return rec, (it.crs.ruleset.ref, new.ruleset.ref if new else "", it.ci.item.code, matched)

    def record(
        it: _Item,
        facts: dict[str, Any],
        act: dt.date,
        decided: dt.date,
        rec: Recommendation,
        unit: str,
        outcome: str,
        fine: Decimal | None,
    ) -> dict[str, Any]:
        penal = set(it.crs.ruleset.penalty_measures)
        case = {
            "case_id": f"S{seed}-{len(cases):07d}",
            "department": it.crs.department,
            "item": it.ci.item.code,
            "facts": facts,
            "act_date": act.isoformat(),
            "decision_date": decided.isoformat(),
            "unit": unit,
            "officer": rnd.choice(officers[unit]),
            "outcome": outcome,
            "fine": None if fine is None else str(fine),
            "penalties": sorted(m.name for m in rec.measures if m.code in penal) if outcome == "penalty" else [],
        }
        cases.append(case)
        return case

    def amount(lo: Decimal, hi: Decimal) -> Decimal:
        if hi <= lo:
            return lo
        x = lo + (hi - lo) * Decimal(rnd.random())
        r = (x / 100).quantize(Decimal(1)) * 100
        r = r if lo <= r <= hi else x.quantize(Decimal("0.01"))
        return r if r > 0 else min(hi, Decimal(100))  # a penalty with a fine range is decided with a fine

    attempts = 0
    while len(cases) < n and attempts < n * 20:
        attempts += 1
        it = rnd.choice(items)
        act = it.start + dt.timedelta(days=rnd.randrange(max(1, (it.end - it.start).days)))
        decided = act + dt.timedelta(days=rnd.randint(10, 120))
        facts = _facts(rnd, it)
        got = decide(it, facts, act, decided)
        if got is None:
            continue
        rec, key = got
        options = [o for o in rec.options if o.outcome != "penalty"]
        take = option_taken.setdefault(key, bool(options) and rnd.random() < 0.5)
        outcome: str
        if rec.outcome != "penalty" or take:
            outcome, fine = (rec.outcome if rec.outcome != "penalty" else options[0].outcome), None
        else:
            outcome = "penalty"
            fine = amount(Decimal(rec.fine.min), Decimal(rec.fine.max)) if rec.fine else None
        record(it, facts, act, decided, rec, rnd.choice(UNITS), outcome, fine)
        by_key.setdefault(key, []).append(len(cases) - 1)

    injections: list[dict[str, Any]] = []
    fined = [
        (key, idx)
        for key, idx in by_key.items()
        if cases[idx[0]]["outcome"] == "penalty" and cases[idx[0]]["fine"] is not None
    ]
    rnd.shuffle(fined)
    used: set[tuple[Any, ...]] = set()

    def twin(source: dict[str, Any], unit: str) -> tuple[_Item, dict[str, Any], Recommendation]:
        it = next(
            i
            for i in items
            if i.crs.department == source["department"]
            and i.ci.item.code == source["item"]
            and i.start <= dt.date.fromisoformat(source["act_date"]) < i.end
        )
        act, decided = dt.date.fromisoformat(source["act_date"]), dt.date.fromisoformat(source["decision_date"])
        rec, _ = decide(it, source["facts"], act, decided)  # type: ignore[misc]  # a source case was decided once already
        return it, {"act": act, "decided": decided}, rec

    for kind in KINDS:
        made = 0
        for key, idx in fined:
            if made == k:
                break
            if key in used:
                continue
            src = cases[idx[0]]
            it, d, rec = twin(src, src["unit"])
            f = rec.fine
            if f is None:
                continue
            lo, hi, smin, smax = (Decimal(x) for x in (f.min, f.max, f.statutory_min, f.statutory_max))
            if kind == "different_outcome":
                if any(o.outcome != "penalty" for o in rec.options):
                    continue
                new = record(it, src["facts"], d["act"], d["decided"], rec, rnd.choice(UNITS), "no_penalty", None)
                injections.append({"kind": kind, "cases": [src["case_id"], new["case_id"]]})
            elif kind == "fine_spread":
                if smax - smin <= (hi - lo) * Decimal("1.05") or hi - lo <= 0:
                    continue
                a = record(it, src["facts"], d["act"], d["decided"], rec, rnd.choice(UNITS), "penalty", smin)
                b = record(it, src["facts"], d["act"], d["decided"], rec, rnd.choice(UNITS), "penalty", smax)
                injections.append({"kind": kind, "cases": [a["case_id"], b["case_id"]]})
            else:
                if smax > hi:
                    bad = hi + max((smax - hi) / 2, Decimal("0.01")).quantize(Decimal("0.01"))
                elif lo > 0:
                    bad = (lo / 2).quantize(Decimal("0.01"))
                else:
                    continue
                a = record(it, src["facts"], d["act"], d["decided"], rec, rnd.choice(UNITS), "penalty", bad)
                injections.append({"kind": kind, "cases": [a["case_id"]]})
            used.add(key)
            made += 1
    # one unit that decides systematically above the recommended range
    if k:
        deviant_cases = []
        for _, idx in fined[: max(2 * k, 20)]:
            src = cases[idx[0]]
            it, d, rec = twin(src, DEVIANT_UNIT)
            if rec.fine is None or Decimal(rec.fine.statutory_max) <= Decimal(rec.fine.max):
                continue
            a = record(
                it, src["facts"], d["act"], d["decided"], rec, DEVIANT_UNIT, "penalty", Decimal(rec.fine.statutory_max)
            )
            deviant_cases.append(a["case_id"])
        injections.append({"kind": "unit", "unit": DEVIANT_UNIT, "cases": deviant_cases})
    rnd.shuffle(cases)
    return cases, injections


def write(cases: list[dict[str, Any]], injections: list[dict[str, Any]], out: Path) -> Path:
    """Write JSON lines (or CSV if `out` ends in .csv) and `<out>.injected.json`."""
    if out.suffix == ".csv":
        import csv

        with open(out, "w", encoding="utf-8", newline="") as fh:
            w = csv.DictWriter(
                fh,
                fieldnames=list(COLUMNS),
            )
            w.writeheader()
            for c in cases:
                w.writerow(
                    {
                        **c,
                        "facts": json.dumps(c["facts"], ensure_ascii=False),
                        "fine": c["fine"] or "",
                        "penalties": ";".join(c["penalties"]),
                    }
                )
    else:
        with open(out, "w", encoding="utf-8") as fh:
            for c in cases:
                fh.write(json.dumps(c, ensure_ascii=False) + "\n")
    side = out.with_name(out.name + ".injected.json")
    side.write_text(json.dumps(injections, ensure_ascii=False, indent=1), encoding="utf-8")
    return side
