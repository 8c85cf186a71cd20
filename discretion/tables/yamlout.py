"""The draft as YAML in the ruleset language: Decimals as numbers, markers as `!unresolved` nodes."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import yaml

from .draft import Draft
from .marks import TAG, Marker


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]  # a base chosen at import: libyaml's dumper if built in
    """Writes Decimals as plain numbers and markers as `!unresolved` mappings; no anchors (a draft
    shares no nodes, and looking for them is what makes PyYAML slow on thousands of items)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = format(value, "f")
    tag = (
        "tag:yaml.org,2002:int" if value == value.to_integral_value() and "." not in text else "tag:yaml.org,2002:float"
    )
    return dumper.represent_scalar(tag, text)


def _marker(dumper: yaml.SafeDumper, m: Marker) -> yaml.Node:
    return dumper.represent_mapping(TAG, m.as_dict(), flow_style=True)


def _date(dumper: yaml.SafeDumper, value: dt.date) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_Dumper.add_representer(Decimal, _decimal)
_Dumper.add_representer(Marker, _marker)
_Dumper.add_representer(dt.date, _date)
# the language's enums (ListKind, Direction …) are written as their values
_Dumper.add_multi_representer(enum.Enum, lambda dumper, v: dumper.represent_str(str(v.value)))


def dump_draft(draft: Draft, header: str = "") -> str:
    """The draft as a YAML document in the ruleset language (markers tagged `!unresolved`)."""

    def dump(value: Any) -> str:
        return str(yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120))

    parts = [header]
    for key, value in draft.data.items():  # item by item: one small node graph at a time
        if key in ("items", "lists") and value:
            parts.append(f"{key}:\n")
            parts.extend(dump([entry]) for entry in value)
        else:
            parts.append(dump({key: value}))
    return "".join(parts)
