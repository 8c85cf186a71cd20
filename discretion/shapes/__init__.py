"""The ways a benchmark places a fine in its range, one module each, behind one interface.

DOMAIN.md "How real benchmarks place a fine": tier tables (`tiers`), placement over the whole
statutory range (`range`), weighted sums (`weighted`). Each shape module implements `Shape`
(base.py): validate at load time, plan once per cell, place per case, verify, the words of a
sweep key and of a diff. `shape_for` is the one place a shape is chosen: its `match` is
exhaustive over `ShapeKind`, so mypy names it when a kind is added and not handled.
"""

from __future__ import annotations

from typing import assert_never

from ..keys import ShapeKind
from .base import Shape
from .range import RANGE
from .tiers import TIERS
from .weighted import WEIGHTED

__all__ = ["SHAPES", "Shape", "shape_for"]


def shape_for(kind: ShapeKind) -> Shape:
    """The module that implements a shape."""
    match kind:
        case ShapeKind.TIERS:
            return TIERS
        case ShapeKind.RANGE:
            return RANGE
        case ShapeKind.WEIGHTED:
            return WEIGHTED
        case _:
            assert_never(kind)


#: every shape, by kind
SHAPES: dict[ShapeKind, Shape] = {k: shape_for(k) for k in ShapeKind}
