"""A catalogue of real size: load time, memory per item and evaluations per second, 20 vs 6,000 items.

The catalogue is generated from the bundled items: rulesets/scjg/2025.yaml's items replicated
(codes suffixed -R00001 …, so its list patterns still apply), beside general/2021. Each size
is measured in a fresh process: wall time of `RulesetLibrary.load`, resident memory added by
the load (/proc/self/statm) divided by the items, each size started cold (empty parse cache)
and then warm (discretion.yamlcache holds the parsed document and its content hash), the first
evaluation of an item (which compiles it if compilation is lazy), and warm evaluations per second
over 20 items drawn from the whole catalogue, with facts drawn from each item's own schema.

    python bench/catalogue.py [--items 6000] [--small 20] [--evaluations 4000]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCE = ROOT / "rulesets" / "scjg" / "2025.yaml"


def build(root: Path, n: int) -> int:
    """Write an n-item scjg/2025 beside general/2021 under root; return the YAML size in bytes."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    data = yaml.load(SOURCE.read_text(encoding="utf-8"), Loader=loader)
    base = data["items"]
    items = []
    for i in range(n):
        item = json.loads(json.dumps(base[i % len(base)], default=str))
        if i >= len(base):
            item["code"] = f"{item['code']}-R{i:05d}"
            item["name"] = f"{item['name']}（副本{i}）"
        items.append(item)
    data["items"] = items
    (root / "scjg").mkdir(parents=True)
    (root / "general").mkdir()
    shutil.copy(ROOT / "rulesets" / "general" / "2021.yaml", root / "general" / "2021.yaml")
    text = yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False, width=120)
    (root / "scjg" / "2025.yaml").write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _facts(schema: dict, rnd: random.Random) -> dict:
    out: dict = {}
    for name, spec in schema.items():
        if spec.derived:
            continue
        if spec.type == "money":
            out[name] = f"{rnd.randint(0, 5_000_000) / 100:.2f}"
        elif spec.type == "bool":
            out[name] = rnd.random() < 0.3
        elif spec.type == "enum":
            out[name] = rnd.choice(spec.values)
        elif spec.type == "integer":
            lo = int(spec.minimum) if spec.minimum is not None else 0
            out[name] = rnd.randint(lo, lo + 5)
        else:
            out[name] = str(Decimal(rnd.randint(0, 1000)) / 10)
    return out


def measure(root: Path, evaluations: int) -> dict:
    """Run in a fresh process: load, memory, first and warm evaluations."""
    from discretion import EvaluationRequest, RulesetLibrary, evaluate
    from discretion.errors import DiscretionError

    before = _rss()
    t0, c0 = time.perf_counter(), time.process_time()
    lib = RulesetLibrary.load(root)
    load_s, load_cpu = time.perf_counter() - t0, time.process_time() - c0
    added = _rss() - before
    version = lib.version("scjg", "2025")
    codes = sorted(version.ruleset.items and [i.code for i in version.ruleset.items])
    rnd = random.Random(11)
    sample = rnd.sample(codes, 20) if len(codes) > 20 else codes
    decided = dt.date(2025, 12, 1)

    def request(code: str) -> EvaluationRequest:
        schema = version.items[code].schema
        return EvaluationRequest(
            department="scjg",
            item=code,
            facts=_facts(schema, rnd),
            act_date=dt.date(2025, 11, 1),
            decision_date=decided,
        )

    t0 = time.perf_counter()
    first = [request(c) for c in sample]
    for r in first:
        with contextlib.suppress(DiscretionError):  # a defect of the generated facts is counted below
            evaluate(lib, r)
    first_ms = (time.perf_counter() - t0) * 1000 / len(sample)
    requests = [request(sample[i % len(sample)]) for i in range(evaluations)]
    done, failed = 0, 0
    t0, c0 = time.perf_counter(), time.process_time()
    for r in requests:
        try:
            evaluate(lib, r)
            done += 1
        except DiscretionError:
            failed += 1
    rate = len(requests) / (time.perf_counter() - t0)
    cpu_rate = len(requests) / (time.process_time() - c0)
    return {
        "items": len(codes),
        "load_s": round(load_s, 3),
        "load_cpu_s": round(load_cpu, 3),
        "rss_added_mib": round(added / 2**20, 1),
        "kib_per_item": round(added / 1024 / len(codes), 1),
        "first_eval_ms": round(first_ms, 2),
        "evals_per_s": round(rate),
        "evals_per_cpu_s": round(cpu_rate),
        "ruleset_defects": failed,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=6000)
    ap.add_argument("--small", type=int, default=20)
    ap.add_argument("--evaluations", type=int, default=4000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child), args.evaluations)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DISCRETION_CACHE_DIR": str(Path(tmp) / "cache"),
        }  # cold first, then warm
        for n in (args.small, args.items):
            root = Path(tmp) / f"n{n}"
            size = build(root, n)
            for start in ("cold", "warm"):
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        str(root),
                        "--evaluations",
                        str(args.evaluations),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                )
                row = json.loads(out.stdout.strip().splitlines()[-1])
                row["yaml_mib"], row["start"] = round(size / 2**20, 2), start
                rows.append(row)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"{'items':>6} {'start':>5} {'YAML MiB':>9} {'load s':>7} {'load CPU s':>11} {'RSS+ MiB':>9} {'KiB/item':>9} "
        f"{'1st eval ms':>12} {'evals/s':>8} {'evals/CPU s':>12} {'defects':>8}"
    )
    for r in rows:
        print(
            f"{r['items']:>6} {r['start']:>5} {r['yaml_mib']:>9} {r['load_s']:>7} {r['load_cpu_s']:>11} "
            f"{r['rss_added_mib']:>9} {r['kib_per_item']:>9} {r['first_eval_ms']:>12} {r['evals_per_s']:>8} "
            f"{r['evals_per_cpu_s']:>12} {r['ruleset_defects']:>8}"
        )
    small, large = rows[1], rows[3]
    print(
        f"warm evaluations per CPU second: {large['evals_per_cpu_s'] / small['evals_per_cpu_s']:.2f}× "
        f"the {small['items']}-item rate (wall clock: {large['evals_per_s'] / small['evals_per_s']:.2f}×)"
    )


if __name__ == "__main__":
    main()
