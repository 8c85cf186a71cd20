"""Consistency sweeps: find 同案不同罚 in decided cases.

fields.py (the checks of one field of the case format) · table.py (cases as numpy columns of codes,
each distinct value checked once) · reading.py (JSON lines / CSV → table) · sources.py (the store →
table) · keys.py (relevance keys by vectorised bucketing) · expectations.py (one evaluation per
distinct key) · findings.py (the kinds of finding, with numpy) · stats.py (per-unit and per-officer
statistics) · report.py (the report model) · synth.py (generated cases with injected inconsistencies).
"""

from .sweep import sweep

__all__ = ["sweep"]
