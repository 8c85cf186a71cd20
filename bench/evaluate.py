"""Full evaluations per second (with trace), and the same decision as a zen-engine table.

Item: F-124 of the test fixture (食品安全法第一百二十四条第一款 ranges): 6 tiers, 13 list entries
(11 from 行政处罚法总则 + 2 of its own). Peer baseline, in the same run: the tier table and the
lenient/aggravated placement expressed as a GoRules zen-engine decision graph (decision table
+ expression), evaluated through its Python binding. zen does less than we do (no limitation,
no lists of no-penalty/exemption, no trace, no validation), so the ratio flatters it.

    python bench/evaluate.py [--rounds 5] [--seconds 2] [--clock wall|cpu]

The two sides run in interleaved rounds (ours, zen, ours, zen, …; `--seconds` each per round, every
round on inputs of its own): the figure is the median ratio, with its spread (bench/rounds.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.rounds import interleave  # noqa: E402
from discretion import EvaluationRequest, RulesetLibrary, evaluate  # noqa: E402
from discretion.evaluation.cells import caches  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "rulesets"


def cases(n: int, seed: int = 7) -> list[tuple[dict, dt.date]]:
    """Distinct cases (goods value to the fen, act dates spread over a year): no two inputs alike, so
    nothing input-specific can be served from a cache; only the per-cell caches (matcher answer,
    evaluation plan) are warm."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        facts = {
            "goods_value": f"{rnd.randint(100, 20_000_000) / 100:.2f}",
            "harm": rnd.choice(["none", "minor", "general", "serious"]),
            "illegal_gain": rnd.choice([0, 0, rnd.randint(1, 50_000)]),
            "repeat_within_2y": rnd.random() < 0.2,
            "eliminated_harm": rnd.random() < 0.2,
            "first_offence": rnd.random() < 0.3,
            "corrected_in_time": rnd.random() < 0.5,
            "purchase_checked": rnd.random() < 0.1,
        }
        out.append((facts, dt.date(2024, 1, 1) + dt.timedelta(days=rnd.randrange(366))))
    return out


def zen_graph() -> dict:
    """The same tiers and placement as a JDM graph: a first-hit decision table, then an expression."""
    harm_light, harm_mid, harm_heavy = '"none","minor"', '"general"', '"serious"'
    rows = [
        ("< 10000", harm_light, "50000", "65000"),
        ("< 10000", harm_mid, "65000", "85000"),
        ("< 10000", harm_heavy, "85000", "100000"),
        (">= 10000", harm_light, "goods_value * 10", "goods_value * 13"),
        (">= 10000", harm_mid, "goods_value * 13", "goods_value * 17"),
        (">= 10000", harm_heavy, "goods_value * 17", "goods_value * 20"),
    ]
    tiers = {
        "hitPolicy": "first",
        "inputs": [{"id": "g", "name": "货值", "field": "goods_value"}, {"id": "h", "name": "危害", "field": "harm"}],
        "outputs": [{"id": "lo", "name": "lo", "field": "lo"}, {"id": "hi", "name": "hi", "field": "hi"}],
        "rules": [{"_id": f"r{i}", "g": g, "h": h, "lo": lo, "hi": hi} for i, (g, h, lo, hi) in enumerate(rows)],
    }
    direction = {
        "hitPolicy": "first",
        "inputs": [
            {"id": "a", "name": "从重", "field": "repeat_within_2y"},
            {"id": "l", "name": "从轻", "field": "eliminated_harm"},
        ],
        "outputs": [{"id": "s0", "name": "s0", "field": "s0"}, {"id": "s1", "name": "s1", "field": "s1"}],
        "rules": [
            {"_id": "d0", "a": "true", "l": "true", "s0": "0.3", "s1": "0.7"},
            {"_id": "d1", "a": "true", "l": "", "s0": "0.7", "s1": "1"},
            {"_id": "d2", "a": "", "l": "true", "s0": "0", "s1": "0.3"},
            {"_id": "d3", "a": "", "l": "", "s0": "0.3", "s1": "0.7"},
        ],
    }
    place = {
        "expressions": [
            {"id": "x1", "key": "min", "value": "lo + s0 * (hi - lo)"},
            {"id": "x2", "key": "max", "value": "lo + s1 * (hi - lo)"},
            {"id": "x3", "key": "suggested", "value": "round((lo + (s0 + s1) / 2 * (hi - lo)) / 100) * 100"},
        ]
    }
    pos = {"x": 0, "y": 0}
    return {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "request", "position": pos},
            {"id": "t", "type": "decisionTableNode", "name": "tiers", "position": pos, "content": tiers},
            {"id": "d", "type": "decisionTableNode", "name": "direction", "position": pos, "content": direction},
            {"id": "p", "type": "expressionNode", "name": "place", "position": pos, "content": place},
            {"id": "out", "type": "outputNode", "name": "response", "position": pos},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "t", "type": "edge"},
            {"id": "e2", "sourceId": "in", "targetId": "d", "type": "edge"},
            {"id": "e3", "sourceId": "t", "targetId": "p", "type": "edge"},
            {"id": "e4", "sourceId": "d", "targetId": "p", "type": "edge"},
            {"id": "e5", "sourceId": "p", "targetId": "out", "type": "edge"},
        ],
    }


#: what a rate is per: wall-clock seconds, or seconds of this process's CPU (`--clock cpu`: on a shared
#: machine, what the other processes take is then not counted against either side)
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def rate(fn, inputs: list, seconds: float, clock=time.perf_counter) -> tuple[float, int]:
    """Evaluations per second (of `clock`) over one pass of distinct inputs, stopped after `seconds`."""
    n, start = 0, clock()
    deadline = start + seconds
    for x in inputs:
        fn(x)
        n += 1
        if n % 256 == 0 and clock() >= deadline:
            break
    return n / (clock() - start), n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0, help="per side and round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="seconds of wall clock or of CPU")
    args = ap.parse_args()
    clock = CLOCKS[args.clock]
    lib = RulesetLibrary.load(FIXTURE)
    ci = lib.compiled["food/2024"].items["F-124"]
    decided = dt.date(2025, 6, 1)

    def request(case: tuple[dict, dt.date]) -> EvaluationRequest:
        return EvaluationRequest(
            department="food", item="F-124", facts=case[0], act_date=case[1], decision_date=decided
        )

    for case in cases(
        5000, seed=1
    ):  # warm the per-cell caches (matcher answers, plans), as a running service's would be
        evaluate(lib, request(case))
    per_round = int(args.seconds * 40_000)
    timed = cases(per_round * args.rounds, seed=2)  # every timed input distinct, across rounds too
    requests = [request(c) for c in timed]

    def cold(r: EvaluationRequest) -> None:  # the first case of its cell: durable_rules asked, plan built
        caches(ci).clear()
        evaluate(lib, r)

    import zen

    decision = zen.ZenEngine().create_decision(json.dumps(zen_graph()))
    zen_inputs = [{**f, "goods_value": float(f["goods_value"])} for f, _ in timed]
    check = decision.evaluate(zen_inputs[0])["result"]
    assert {"min", "max", "suggested"} <= set(check), check

    def chunk(i: int) -> slice:
        return slice(i * per_round, (i + 1) * per_round)

    def warm_side(i: int) -> float:
        return rate(lambda r: evaluate(lib, r), requests[chunk(i)], args.seconds, clock)[0]

    def first_side(i: int) -> float:
        return rate(cold, requests[chunk(i)][:2000], min(args.seconds, 2.0), clock)[0]

    def zen_side(i: int) -> float:
        return rate(decision.evaluate, zen_inputs[chunk(i)], args.seconds, clock)[0]

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    print(f"item F-124: {len(ci.item.tiers)} tiers, {len(ci.entries)} list entries, {len(ci.conditions)} conditions")
    warm = interleave(args.rounds, warm_side, zen_side, progress)
    print("discretion evaluate (full, with trace) against the zen-engine decision graph (table + expression),")
    print(f"evaluations per {args.clock} second, {args.rounds} interleaved rounds of {args.seconds:g} s each side:")
    print(warm.summary("discretion", "zen", "/s"))
    first = interleave(args.rounds, first_side, zen_side, progress)
    print("the first case of a cell (durable_rules asked, plan built; 2,000 cases a round) against zen:")
    print(first.summary("discretion first-of-cell", "zen", "/s"))


if __name__ == "__main__":
    main()
