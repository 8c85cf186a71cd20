"""A large deterministic corpus of evaluations over every bundled item, written as JSON lines.

Refactorings of the evaluator must not change one byte of any result: run this before and after
and compare the files (`cmp`). Every version of every department and of the test fixtures, every
item, cases drawn from each fact's thresholds and their neighbours (so every cell is reached),
facts left out, dates across versions (第三十七条) and beyond the limitation (第三十六条). A refused
case is written with its error, so error paths are pinned too. The output is not committed.

    python bench/corpus.py --out /tmp/corpus.jsonl [--per-item 400] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import random
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from discretion import EvaluationRequest, RulesetLibrary, evaluate  # noqa: E402
from discretion.compiler import CompiledItem  # noqa: E402
from discretion.errors import DiscretionError  # noqa: E402

LIBRARIES = (ROOT / "rulesets", ROOT / "tests" / "fixtures" / "rulesets")


def _values(ci: CompiledItem, name: str) -> list[Any]:
    """Candidate values: each threshold, just below and above it, halves and multiples, zero."""
    spec = ci.schema[name]
    if spec.type == "bool":
        return [False, False, False, False, True]  # circumstances are rarer than their absence
    if spec.type == "enum":
        return list(spec.values or [])
    cuts: set[Decimal] = set()
    for cond in ci.conditions.values():
        cuts.update(Decimal(v) for v in cond.thresholds().get(name, ()))  # type: ignore[arg-type]
    step = Decimal(1) if spec.type == "integer" else Decimal("0.01")
    out: list[Any] = []
    for t in sorted(cuts) or [Decimal(1000)]:
        for v in (t, t - step, t + step, t / 2, t * 3, Decimal(0), t * Decimal("1.37")):
            v = v.quantize(step)
            if (
                v < 0
                or (spec.minimum is not None and v < spec.minimum)
                or (spec.maximum is not None and v > spec.maximum)
            ):
                continue
            shown = int(v) if spec.type == "integer" else str(v)
            if shown not in out:
                out.append(shown)
    return out or ["0"]


def _case(rnd: random.Random, ci: CompiledItem, choices: dict[str, list[Any]]) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for name, values in choices.items():
        if rnd.random() < 0.15:
            continue  # left out: its default, absent, or a refused case when required
        facts[name] = rnd.choice(values)
    if rnd.random() < 0.01:
        facts["not_a_fact"] = 1
    return facts


def corpus(per_item: int, seed: int) -> list[str]:
    lines: list[str] = []
    for root in LIBRARIES:
        lib = RulesetLibrary.load(root)
        rnd = random.Random(seed)
        for dept in lib.departments():
            for crs in lib.versions(dept):
                start, end = lib.period(crs)
                span = ((end or dt.date(2027, 1, 1)) - start).days
                for code, ci in sorted(crs.items.items()):
                    choices = {n: _values(ci, n) for n, s in ci.schema.items() if not s.derived}
                    for _ in range(per_item):
                        facts = _case(rnd, ci, choices)
                        act = start + dt.timedelta(days=rnd.randrange(max(span, 1)))
                        decision = act + dt.timedelta(days=rnd.choice([0, 30, 60, 200, 400, 500, 900, 2000]))
                        discovery = None if rnd.random() < 0.7 else act + (decision - act) * rnd.randint(0, 4) // 4
                        end_date = None if rnd.random() < 0.9 else act + (decision - act) // 2
                        req = {
                            "department": dept,
                            "item": code,
                            "facts": facts,
                            "act_date": act.isoformat(),
                            "decision_date": decision.isoformat(),
                        }
                        if discovery is not None:
                            req["discovery_date"] = discovery.isoformat()
                        if end_date is not None:
                            req["act_end_date"] = end_date.isoformat()
                        try:
                            out: Any = evaluate(lib, EvaluationRequest(**req)).model_dump(mode="json")
                        except DiscretionError as e:
                            out = {"error": type(e).__name__, "message": str(e)}
                        lines.append(json.dumps({"request": req, "result": out}, ensure_ascii=False, sort_keys=True))
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--per-item", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    lines = corpus(args.per_item, args.seed)
    text = "\n".join(lines) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"{len(lines)} evaluations, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]} → {args.out}")


if __name__ == "__main__":
    main()
