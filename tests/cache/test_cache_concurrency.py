"""Stampede protection and races: one computation per key at a time, and no stale answer stored after an
invalidation that happened while it was computed."""

# NOTE: no `from __future__ import annotations`: the endpoints below use local dependencies in annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest
from cache_support import BackendKind, redis_kind

from vivace import Depends, FastAPI, HTTPException
from vivace.cache import Cache
from vivace.testclient import TestClient

REQUESTS = 8
WAIT = 20.0  # seconds; generous, the machine is shared


async def wait_for(condition: Any) -> None:
    """Poll `condition()` on the event loop until it holds (bounded)."""
    with anyio.fail_after(WAIT):
        while not condition():
            await anyio.sleep(0.005)


def stampede_app(cache: Cache, arrivals: Counter[str], expected: int) -> FastAPI:
    """`GET /slow` computes only once every expected request has reached the route (counted by a dependency)."""
    app = FastAPI()

    async def arrive() -> None:
        arrivals["arrived"] += 1

    @app.get("/slow", dependencies=[Depends(arrive)])
    @cache.cached(ttl=60)
    async def slow() -> dict[str, int]:
        arrivals["computed"] += 1
        await wait_for(lambda: arrivals["arrived"] >= expected)
        return {"computation": arrivals["computed"]}

    return app


def test_concurrent_misses_compute_once(kind: BackendKind) -> None:
    """N concurrent requests for one key: the endpoint runs once and every request gets its answer."""
    arrivals: Counter[str] = Counter()
    app = stampede_app(Cache(kind.make()), arrivals, REQUESTS)
    with TestClient(app) as client, ThreadPoolExecutor(REQUESTS) as pool:
        answers = list(pool.map(lambda _: client.get("/slow"), range(REQUESTS)))
    assert [answer.status_code for answer in answers] == [200] * REQUESTS
    assert {answer.content for answer in answers} == {b'{"computation":1}'}
    assert len({answer.headers["etag"] for answer in answers}) == 1
    assert arrivals["computed"] == 1


@pytest.mark.redis
def test_two_applications_on_one_redis_compute_once(redis_url: str) -> None:
    """Two apps (two event loops, two caches) sharing Redis: the lock lets one compute, the other waits for it."""
    arrivals: Counter[str] = Counter()
    apps = [stampede_app(Cache(redis_kind(redis_url).make()), arrivals, REQUESTS) for _ in range(2)]
    with TestClient(apps[0]) as first, TestClient(apps[1]) as second, ThreadPoolExecutor(REQUESTS) as pool:
        clients = [first, second] * (REQUESTS // 2)
        answers = list(pool.map(lambda client: client.get("/slow"), clients))
    assert {answer.content for answer in answers} == {b'{"computation":1}'}
    assert arrivals["computed"] == 1


def test_failing_computation_is_not_stored_and_waiters_run_their_own(kind: BackendKind) -> None:
    """An endpoint that raises stores nothing; requests that waited for it run the endpoint themselves."""
    app = FastAPI()
    cache = Cache(kind.make())
    arrivals: Counter[str] = Counter()

    async def arrive() -> None:
        arrivals["arrived"] += 1

    @app.get("/broken", dependencies=[Depends(arrive)])
    @cache.cached(ttl=60)
    async def broken() -> None:
        arrivals["computed"] += 1
        await wait_for(lambda: arrivals["arrived"] >= 3)
        raise HTTPException(404, "nothing here")

    with TestClient(app) as client, ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda _: client.get("/broken"), range(3)))
    assert [answer.json() for answer in answers] == [{"detail": "nothing here"}] * 3
    assert arrivals["computed"] == 3


def test_invalidation_during_a_computation_keeps_its_answer_out(kind: BackendKind) -> None:
    """A tag invalidated while an answer is computed: that answer is sent but not stored (it may be stale)."""
    app = FastAPI()
    cache = Cache(kind.make())
    entered, release = threading.Event(), threading.Event()
    runs: Counter[str] = Counter()

    @app.get("/notes")
    @cache.cached(ttl=60, tags=["notes"])
    async def notes() -> int:
        runs["notes"] += 1
        entered.set()
        await wait_for(release.is_set)
        return runs["notes"]

    with TestClient(app) as client, ThreadPoolExecutor(1) as pool:
        pending = pool.submit(client.get, "/notes")
        assert entered.wait(WAIT)
        client.portal.call(cache.invalidate_tags, "notes")  # type: ignore[union-attr]
        release.set()
        assert pending.result(WAIT).json() == 1
        assert client.get("/notes").json() == 2  # recomputed: the first answer was not kept
        assert client.get("/notes").json() == 2
