"""The decided-case format: its fields and their checks (fields), cases as numpy columns of codes
(table), and the readers of JSON lines and CSV (reading).

Below both the store (which imports decided cases) and the consistency sweeps (which read them from
a file or the store); it imports only the core (money, errors), never either of them.
"""
