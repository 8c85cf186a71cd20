"""Hypothesis strategies for small, self-contained rulesets: clauses, tiers, weights and list
entries with random conditions over a few facts, so that gaps, overlaps and out-of-range amounts
occur often."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

FACTS: dict[str, dict[str, Any]] = {
    "harm": {"type": "enum", "label": "危害后果", "values": ["none", "minor", "serious"]},
    "gain": {"type": "money", "label": "违法所得", "required": False},
    "count": {"type": "integer", "label": "违法次数", "default": 0, "minimum": 0},
    "flag": {"type": "bool", "label": "情节", "default": False},
    "other": {"type": "bool", "label": "另一情节", "default": False},
}

MONEY = st.sampled_from([0, 500, 1000, 2000, 10000])


def comparison() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["none", "minor", "serious"]).map(lambda v: f"harm == '{v}'"),
        st.lists(st.sampled_from(["none", "minor", "serious"]), min_size=1, max_size=2, unique=True).map(
            lambda vs: f"harm in {json.dumps(vs)}".replace('"', "'")
        ),
        st.tuples(st.sampled_from(["<", "<=", ">", ">=", "=="]), MONEY).map(lambda t: f"gain {t[0]} {t[1]}"),
        st.tuples(MONEY, MONEY).filter(lambda t: t[0] < t[1]).map(lambda t: f"{t[0]} <= gain < {t[1]}"),
        st.tuples(st.sampled_from(["<", ">=", "=="]), st.integers(0, 3)).map(lambda t: f"count {t[0]} {t[1]}"),
        st.sampled_from(["flag", "not flag", "other", "not other"]),
    )


def condition() -> st.SearchStrategy[str]:
    return st.recursive(
        comparison(),
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
            inner.map(lambda c: f"not ({c})"),
        ),
        max_leaves=3,
    )


AMOUNTS = st.tuples(st.integers(0, 20), st.integers(0, 20)).map(lambda t: sorted((t[0] * 1000, t[1] * 1000)))


@st.composite
def fine(draw: st.DrawFn, *, statutory: bool) -> dict[str, Any]:
    kind = draw(st.sampled_from(["range", "times"] if statutory else ["range", "share", "times"]))
    if kind == "range":
        return {"range": draw(AMOUNTS)}
    if kind == "share":
        a, b = sorted(draw(st.tuples(st.sampled_from([0, 0.25, 0.5, 0.75, 1]), st.sampled_from([0, 0.25, 0.5, 1]))))
        return {"share": [a, b]}
    a, b = sorted(draw(st.tuples(st.sampled_from([0.5, 1, 2]), st.sampled_from([1, 3, 5]))))
    out: dict[str, Any] = {"times": [a, b]}
    if statutory:
        out["multiple_of"] = "gain"
        if draw(st.booleans()):
            out["fallback"] = {
                "when": draw(st.sampled_from(["gain < 1000", "gain < 2000", "gain <= 500"])),
                "range": draw(AMOUNTS),
            }
    return out


@st.composite
def item(draw: st.DrawFn, code: str = "X-1") -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    for i in range(draw(st.integers(1, 2))):
        c: dict[str, Any] = {"id": f"c{i}", "fine": draw(fine(statutory=True))}
        if i or draw(st.booleans()):
            c["when"] = draw(condition())
        clauses.append(c)
    out: dict[str, Any] = {
        "code": code,
        "name": "事项",
        "legal_basis": [{"law": "测试法", "article": 1}],
        "penalty_basis": [{"law": "测试法", "article": 2}],
        "statutory": clauses,
    }
    shape = draw(st.sampled_from(["tiers", "tiers", "weighted", "range"]))
    out["shape"] = shape
    if shape == "tiers":
        out["tiers"] = [
            {
                "id": f"t{i}",
                "label": f"阶次{i}",
                "when": draw(condition()),
                "fine": draw(fine(statutory=False)),
            }
            for i in range(draw(st.integers(1, 3)))
        ]
    elif shape == "weighted":
        out["weighted"] = {
            "start": draw(st.sampled_from([0, 0.1, 0.2, 0.5])),
            "factors": [
                {
                    "id": f"w{i}",
                    "label": f"因素{i}",
                    "when": draw(condition()),
                    "weight": draw(st.sampled_from([-0.3, -0.1, 0.1, 0.2, 0.4])),
                }
                for i in range(draw(st.integers(1, 3)))
            ],
        }
    return out


@st.composite
def entries(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["exemption", "no_penalty", "aggravated", "lenient"]))
        e: dict[str, Any] = {
            "id": f"L{i}",
            "list": kind,
            "label": f"清单{i}",
            "mandatory": draw(st.booleans()),
            "applies_to": ["*"],
            "when": draw(condition()),
            "basis": {"law": "测试法", "article": 9},
        }
        if kind == "aggravated" and draw(st.booleans()):
            e["tier_up"] = True
        if kind in ("aggravated", "lenient") and draw(st.booleans()):
            e["weight"] = draw(st.sampled_from([-0.2, 0.1, 0.3]))
        elif kind == "lenient" and draw(st.booleans()):  # a proportional reduction, perhaps capped (东莞: 20万)
            e["reduce"] = draw(st.sampled_from([[0.3, 0.5], [0.5, 0.5]]))
            if draw(st.booleans()):
                e["reduce_at_most"] = draw(st.sampled_from([1000, 200000]))
        plain = not {"tier_up", "weight", "reduce"} & e.keys()
        if kind in ("aggravated", "lenient") and plain and draw(st.booleans()):
            # a count of circumstances (when_count: 中国人民银行令〔2024〕第6号 第十七条)
            least = draw(st.integers(0, 2))
            e["when_count"] = {
                draw(st.sampled_from(["lenient", "aggravated"])): {"at_least": least},
                **({"aggravated": {"at_most": draw(st.integers(0, 1))}} if draw(st.booleans()) else {}),
            }
        out.append(e)
    return out


@st.composite
def ruleset_doc(draw: st.DrawFn, version: str = "2024", start: str = "2024-01-01") -> dict[str, Any]:
    """A small, self-contained ruleset document (as the YAML's data)."""
    lists = draw(entries())
    # list entries may read only ruleset-level facts: all facts are declared at the ruleset level
    return {
        "department": "gen",
        "department_name": "生成部门",
        "version": version,
        "effective_from": start,
        "source": ["测试文件"],
        "placement": {"shape": "tiers", "tier_overlap": "defect", "rounding": 100},
        "limitation": {"years": 2, "basis": {"law": "测试法", "article": 36}},
        "facts": FACTS,
        "items": [draw(item())],
        "lists": lists,
    }


def to_yaml(doc: dict[str, Any]) -> str:
    """JSON is YAML: dump the document as JSON text (keeps every value exact)."""
    return json.dumps(doc, ensure_ascii=False, indent=1)
