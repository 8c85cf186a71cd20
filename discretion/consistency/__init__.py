"""Consistency sweeps: find 同案不同罚 in decided cases.

reading.py (decided-case files → rows, rejected rows) · keys.py (relevance keys by vectorised
bucketing) · expectations.py (one evaluation per distinct key) · findings.py (the four kinds
of finding and the per-unit statistics) · report.py (the report model) · synth.py (generated
cases with injected inconsistencies).
"""

from .sweep import sweep

__all__ = ["sweep"]
