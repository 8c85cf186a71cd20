"""The layering of the code, read from its import statements (every import, at any depth of a
module).

api/                      the service            → anything in discretion
discretion/cli.py         the command line       → anything in discretion
discretion/decisions/     事中预警 checks        → alerts, jobs, consistency, store, evaluation, cases, core
discretion/alerts/        alerts, webhooks       → jobs, store, core
discretion/consistency/   sweeps                 → jobs, store, evaluation, cases, core
discretion/jobs/          durable job queue      → store, core
discretion/audit/         verify, diff, impact   → evaluation, cases, core
discretion/tables/        published tables       → core
discretion/store/         the database           → evaluation (an imported row is evaluated), cases, core
discretion/evaluation/    evaluate, explain      → core
  (discretion/shapes/ is part of it: each fine shape plans and places inside the evaluator)
discretion/cases/         decided-case format    → core
core: discretion/*.py     the ruleset language, compiler, loader, facts, money, citations

Two exceptions, named in EXCEPTIONS (the second: a compiled item gets its bounded per-cell caches from
evaluation/cells.py, which owns them): the compiler asks an item's shape whether the item has what the
shape needs (`Shape.validate`), so a ruleset with a tiers item and no tiers fails at load time.
Imports under `if TYPE_CHECKING:` count like any other.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("discretion", "api")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every project module a file imports (`from a import b` counts as both a and a.b)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{a.name}" for a in node.names)
    return {m for m in out if m.split(".")[0] in PACKAGES}


def _graph() -> dict[str, set[str]]:
    modules = {
        _module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py") if "migrations" not in p.parts
    }
    graph = {m: {t for t in _imports(p) if t in modules and t != m} for m, p in modules.items()}
    assert len(graph) > 40, "the walk found the code"
    return graph


GRAPH = _graph()


def layer(module: str) -> str:
    """The layer a module belongs to: a subpackage of discretion, api, cli, or the core."""
    parts = module.split(".")
    if parts[0] == "api":
        return "api"
    if len(parts) == 1:
        return "public"  # discretion/__init__.py: the public surface re-exports from every layer
    if len(parts) == 2 and (ROOT / "discretion" / f"{parts[1]}.py").exists():
        return "cli" if parts[1] == "cli" or parts[1].startswith("cli_") else "core"
    if parts[1] == "shapes":
        return "evaluation"
    return parts[1]


#: (importer, imported) module pairs allowed across layers, each with its reason in the docstring
EXCEPTIONS = {
    ("discretion.compiler", "discretion.shapes"),
    ("discretion.compiler", "discretion.evaluation.cells"),  # a compiled item's per-cell caches are made there
}


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for m, targets in GRAPH.items():
        for t in targets:
            if layer(t) != layer(m) and layer(t) != "public" and (m, t) not in EXCEPTIONS:
                edges[layer(m)].add(layer(t))
    return edges


def _offenders(source: str, target: str) -> list[str]:
    return sorted(f"{m} → {t}" for m, ts in GRAPH.items() for t in ts if layer(m) == source and layer(t) == target)


def test_the_library_never_imports_the_service() -> None:
    assert [
        f"{m} → {t}" for m, ts in GRAPH.items() if m.startswith("discretion") for t in ts if t.startswith("api")
    ] == []


@pytest.mark.parametrize("below", ["core", "cases", "evaluation"])
def test_lower_layers_never_import_the_store(below: str) -> None:
    assert _offenders(below, "store") == []


ALLOWED = {
    "core": set(),
    "cases": {"core"},
    "evaluation": {"core"},
    "store": {"core", "cases", "evaluation"},  # an imported row is checked by evaluating it
    "audit": {"core", "cases", "evaluation"},
    "consistency": {"core", "cases", "evaluation", "store", "jobs"},
    "jobs": {"core", "store"},
    "alerts": {"core", "store", "jobs"},
    "decisions": {"core", "cases", "evaluation", "store", "jobs", "alerts", "consistency"},
    "tables": {"core"},
}


@pytest.mark.parametrize("source", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below(source: str) -> None:
    extra = _edges().get(source, set()) - ALLOWED[source]
    assert not extra, {t: _offenders(source, t) for t in extra}


def test_no_cycles_between_layers() -> None:
    edges = _edges()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt) :] + [nxt]
                pytest.fail(
                    "cycle: "
                    + " → ".join(cycle)
                    + "; "
                    + "; ".join(", ".join(_offenders(a, b)) for a, b in itertools.pairwise(cycle))
                )
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_the_layer_table_knows_every_subpackage() -> None:
    """A new subpackage gets a place in ALLOWED (and the docstring) before it gets imports."""
    layers = {layer(m) for m in GRAPH} - {"api", "cli", "public"}
    assert layers == set(ALLOWED)
