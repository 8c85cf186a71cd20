"""The layering of the code, read from its import statements (every import, at any depth).

    api/, discretion/cli*.py the outside          → anything in discretion
    discretion/decisions/   decisions          → alerts, jobs, consistency, store, evaluation, core
    discretion/jobs/        durable jobs          → consistency, store, core
    discretion/alerts/      alerts, webhooks      → jobs, store, core
    discretion/consistency/ sweeps                → store, evaluation, shapes, cases, core
    discretion/audit/       verify, diff, impact  → evaluation, shapes, cases, core
    discretion/store/       the database          → cases, core
    discretion/evaluation/  evaluate, explain     → shapes, core
    discretion/shapes/      fine shapes           → core
    discretion/cases/       decided-case format   → core
    discretion/tables/      published tables      → core
    core: discretion/*.py   the ruleset language, compiler, loader, facts, money, citations

KNOWN lists the upward imports that exist today, each with why; a new one fails, and so does an
entry whose import is gone (delete it then: the list only shrinks).
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
        _module_name(p): p
        for pkg in PACKAGES
        for p in (ROOT / pkg).rglob("*.py")
        if "migrations" not in p.parts
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
    return parts[1]


def _edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for m, targets in GRAPH.items():
        for t in targets:
            if layer(t) != layer(m) and layer(t) != "public":
                edges[layer(m)].add(layer(t))
    return edges


def _offenders(source: str, target: str) -> list[str]:
    return sorted(
        f"{m} → {t}"
        for m, ts in GRAPH.items()
        for t in ts
        if layer(m) == source and layer(t) == target
    )


def test_the_library_never_imports_the_service() -> None:
    assert [
        f"{m} → {t}"
        for m, ts in GRAPH.items()
        if m.startswith("discretion")
        for t in ts
        if t.startswith("api")
    ] == []


@pytest.mark.parametrize("below", ["core", "cases", "evaluation"])
def test_lower_layers_never_import_the_store(below: str) -> None:
    assert _offenders(below, "store") == []


ALLOWED = {
    "core": set(),
    "shapes": {"core"},
    "cases": {"core"},
    "tables": {"core"},
    "evaluation": {"core", "shapes"},
    "store": {"core", "cases"},
    "audit": {"core", "cases", "evaluation", "shapes"},
    "consistency": {"core", "cases", "evaluation", "shapes", "store"},
    "alerts": {"core", "store", "jobs"},
    "jobs": {"core", "store", "consistency"},
    "decisions": {"core", "store", "evaluation", "consistency", "alerts", "jobs"},
}

#: upward imports that exist today: (from layer, to layer) → why, and what would remove it
KNOWN = {
    (
        "core",
        "shapes",
    ): "compiler.py compiles an item's fine through the shape registry while the shapes "
    "import the compiler's types: the shapes are half of the language (move the "
    "compile-time half below the compiler, or the compiler's types into the core's base)",
    (
        "shapes",
        "evaluation",
    ): "the shapes place fines with evaluation's arithmetic (fines, placing) and "
    "return its result types (lazy and TYPE_CHECKING imports): that arithmetic "
    "belongs below the shapes",
    (
        "jobs",
        "alerts",
    ): "jobs/kinds.py registers the webhook delivery handler by importing it (the handler "
    "could register itself with the queue)",
    (
        "jobs",
        "decisions",
    ): "jobs/kinds.py registers the bulk-check handler by importing it (likewise)",
}


@pytest.mark.parametrize("source", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below(source: str) -> None:
    extra = _edges().get(source, set()) - ALLOWED[source] - {t for s, t in KNOWN if s == source}
    assert not extra, {t: _offenders(source, t) for t in extra}


@pytest.mark.parametrize("edge", sorted(KNOWN))
def test_each_known_upward_import_still_exists(edge: tuple[str, str]) -> None:
    """When one is removed, its entry goes too, so that it cannot come back unnoticed."""
    assert _offenders(*edge), f"{edge} is gone: delete it from KNOWN"


def test_no_cycles_between_layers() -> None:
    """No cycles once the KNOWN upward imports are set aside (each of those closes one today)."""
    edges = {a: {b for b in bs if (a, b) not in KNOWN} for a, bs in _edges().items()}
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
