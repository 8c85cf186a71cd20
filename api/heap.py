"""Full garbage collections that do not stop the service: the long-lived heap is frozen.

Why: a warm instance holds ~300,000 objects that live as long as it does (the compiled rulesets, the cells'
answers and plans, the framework). CPython's full collection scans them all, and measured in process
(tools/reqcost.py, 2026-11-30) it took 160–180 ms of CPU — 450–720 ms of wall clock on the loaded
machine — once every ~1,500 requests, on the event loop's thread: every request in flight waits for it,
and that was most of the p99 (README, "Decisions").

`gc.freeze()` moves every object tracked now into a permanent generation that collections do not scan
(a full collection of the same warm instance then took ~0 ms; with requests in flight and the caches grown,
10–30 ms, so collections are also made rarer: YOUNG). It is called at startup, after the
library is built, and after cold work filled the cells' caches (at most once every FREEZE_EVERY seconds).
A frozen object is still freed when its last reference goes; only a reference cycle among frozen
objects is never collected. What is frozen is what lives long, plus whatever the requests in flight at
that moment hold: a few kilobytes, at most once every FREEZE_EVERY seconds and only while new cells are
being filled. A library that replaces another (a publish) first thaws and collects the heap once, so
the old library's cycles are freed (one full collection per publish, as before every ~1,500 requests).

Only a served instance does this (`enable()`, called by `app_from_env`, the factory `discretion serve`
runs): a test process makes and drops many apps, whose garbage a freeze would keep for good.
"""

from __future__ import annotations

import gc
import threading
import time

#: seconds between two freezes after cold work
FREEZE_EVERY = 10.0
#: allocations between two young collections (CPython's default 700): a request allocates hundreds of
#: objects, so with the default the rest of the heap (a few ten thousand objects not frozen, ~10–30 ms of
#: CPU to scan) was collected in full every ~1,000 requests — within the p99 of 32 clients' requests
YOUNG = 10_000

_lock = threading.Lock()
_last = 0.0
_enabled = False


def enable() -> None:
    """Freeze from now on in this process (a served instance), starting now."""
    global _enabled
    _enabled = True
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])
    freeze()


def freeze() -> None:
    """Freeze every object tracked now (startup, a first library)."""
    global _last
    if not _enabled:
        return
    with _lock:
        gc.freeze()
        _last = time.monotonic()


def refreeze() -> None:
    """Thaw, collect once, freeze again: after a library replaced another (its cycles are garbage now)."""
    global _last
    if not _enabled:
        return
    with _lock:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _last = time.monotonic()


def settle() -> None:
    """After cold work (new cells' answers and plans): freeze, unless that was done in the last
    FREEZE_EVERY seconds. Cheap to call: a clock read when nothing is due."""
    if _enabled and time.monotonic() - _last >= FREEZE_EVERY:
        freeze()
