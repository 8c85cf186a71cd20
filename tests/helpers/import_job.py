"""Import a JSON-lines file of decided cases into a database, as a separate process.

Usage: python tests/helpers/import_job.py DATABASE_URL FILE [BATCH_SIZE]

Used by tests/test_reliability.py, which kills this process halfway through the import.
The rulesets are the test fixtures (tests/fixtures/rulesets). Prints the report as JSON at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from discretion import RulesetLibrary  # noqa: E402
from discretion.store import make_engine  # noqa: E402
from discretion.store.cases import import_cases, parse_rows  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "rulesets"


def main(argv: list[str]) -> int:
    url, path = argv[1], Path(argv[2])
    batch_size = int(argv[3]) if len(argv) > 3 else 1000
    library = RulesetLibrary.load(FIXTURES)
    engine = make_engine(url)
    print("started", flush=True)
    report = import_cases(engine, parse_rows(path.read_text(encoding="utf-8"), "jsonl"), library, batch_size=batch_size)
    engine.dispose()
    print(report.model_dump_json(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
