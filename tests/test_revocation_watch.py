"""The revocation counter as a request sees it (api/revocation.py): at once by default, or within the
bound a deployment sets (DISCRETION_REVOCATION_MAX_AGE), never older."""

from __future__ import annotations

import asyncio
import time

import pytest

from api.revocation import RevocationWatch


class Counter:
    def __init__(self) -> None:
        self.value, self.reads = 1, 0

    def read(self) -> int:
        self.reads += 1
        return self.value


def test_at_once_every_request_sees_a_revocation_committed_before_it_arrived() -> None:
    counter = Counter()
    watch = RevocationWatch(counter.read)

    async def go() -> list[int]:
        seen = [await watch.current()]
        counter.value = 2  # a key revoked on another instance
        seen.append(await watch.current())
        return seen

    assert asyncio.run(go()) == [1, 2]


@pytest.mark.parametrize("max_age", [0.05, 0.2])
def test_with_a_bound_a_request_may_use_a_read_at_most_that_old_and_no_older(max_age: float) -> None:
    counter = Counter()
    watch = RevocationWatch(counter.read, max_age=max_age)

    async def go() -> tuple[int, int, int, int]:
        first = await watch.current()
        begun = time.monotonic()
        counter.value = 2
        within = await watch.current()  # no wait: the read of a moment ago
        reads_within = counter.reads
        await asyncio.sleep(max_age + 0.01)
        assert time.monotonic() - begun > max_age
        after = await watch.current()  # older than the bound: a fresh read
        return first, within, reads_within, after

    first, within, reads_within, after = asyncio.run(go())
    assert (first, within, reads_within, after) == (1, 1, 1, 2)
    assert counter.reads == 2


def test_the_setting_reaches_the_service(monkeypatch, engine) -> None:
    from api.app import create_app
    from discretion.store import migrate

    migrate(engine)
    monkeypatch.setenv("DISCRETION_REVOCATION_MAX_AGE", "0.1")
    assert create_app(engine).state.revocations.max_age == 0.1
    monkeypatch.delenv("DISCRETION_REVOCATION_MAX_AGE")
    assert create_app(engine).state.revocations.max_age == 0.0
