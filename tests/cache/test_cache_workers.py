"""Two real uvicorn worker processes sharing one Redis: entries, 304s, invalidations and the computation lock
work across them; Redis lost and restarted while they serve; nothing left connected after they stop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import redis
from process_support import ServerProcess, start_uvicorn
from redis_support import RedisServer

pytestmark = pytest.mark.redis

APP = """
import os

import anyio

from vivace import Depends, FastAPI
from vivace.cache import Cache
from vivace.cache.redis import RedisCacheBackend

backend = RedisCacheBackend(os.environ["CACHE_REDIS_URL"], poll_interval=0.01)
cache = Cache(backend, on_unavailable=os.environ["CACHE_ON_UNAVAILABLE"])
app = FastAPI()
runs = 0


async def arrive() -> None:
    await backend.client.incr("test:arrived")


@app.get("/notes/{note_id}", dependencies=[Depends(arrive)])
@cache.cached(ttl=60, tags=["notes"])
async def read_note(note_id: int, wait_for: int = 0) -> dict[str, int]:
    computation = await backend.client.incr("test:computed")
    with anyio.fail_after(20):  # the stampede test holds the computation until every request has arrived
        while int(await backend.client.get("test:arrived") or 0) < wait_for:
            await anyio.sleep(0.01)
    return {"note": note_id, "pid": os.getpid(), "computation": computation}


@app.get("/plain")
@cache.cached(ttl=60)
async def plain() -> dict[str, int]:
    global runs
    runs += 1
    return {"pid": os.getpid(), "runs": runs}


@app.post("/notes")
async def changed(c: Cache = Depends(cache)) -> int:
    return await c.invalidate_tags("notes")
"""

TIMEOUT = 30.0
REQUESTS = 8


@contextmanager
def two_workers(tmp_path: Path, url: str, on_unavailable: str = "bypass") -> Iterator[list[ServerProcess]]:
    """Two uvicorn processes serving APP on their own ports, started together, stopped gracefully."""
    env = {"CACHE_REDIS_URL": url, "CACHE_ON_UNAVAILABLE": on_unavailable}
    with ExitStack() as stack:
        workers = []
        for name in ("worker_a", "worker_b"):
            worker = start_uvicorn(APP, tmp_path, name=name, env=env)
            stack.callback(worker.stop)
            workers.append(worker)
        for worker in workers:
            worker.wait_ready()
        yield workers


def get(worker: ServerProcess, path: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{worker.url}{path}", headers=headers, timeout=TIMEOUT)


def cached_again(worker: ServerProcess) -> httpx.Response:
    """The first answer from `worker` that the cache handled again (it has an ETag), polling for a while."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        answer = get(worker, "/plain")
        if "etag" in answer.headers:
            return answer
        time.sleep(0.1)
    raise AssertionError("the cache did not resume after Redis came back")


def connections(url: str) -> int:
    """Connections the server has, not counting the one asking."""
    with redis.Redis.from_url(url) as probe:
        return len(probe.client_list()) - 1


def test_answer_computed_on_one_worker_is_served_by_the_other(tmp_path: Path, redis_server: RedisServer) -> None:
    """Worker A computes; worker B answers 304 to A's ETag and the stored body without computing; an
    invalidation on B is seen by A; after both stop, no connection is left on the server."""
    with two_workers(tmp_path, redis_server.url) as (a, b):
        first = get(a, "/notes/1")
        assert first.status_code == 200
        assert first.json()["pid"] == a.process.pid
        revalidated = get(b, "/notes/1", **{"If-None-Match": first.headers["etag"]})
        assert revalidated.status_code == 304
        assert revalidated.content == b""
        assert revalidated.headers["etag"] == first.headers["etag"]
        assert revalidated.headers["cache-control"].startswith("public, max-age=")
        hit = get(b, "/notes/1")
        assert hit.content == first.content
        assert hit.json()["pid"] == a.process.pid  # computed on A, served by B
        assert httpx.post(f"{b.url}/notes", timeout=TIMEOUT).json() == 1
        assert get(a, "/notes/1").json()["computation"] == 2
        with redis.Redis.from_url(redis_server.url) as probe:
            assert probe.get("test:computed") == b"2"
        assert connections(redis_server.url) >= 2
    assert connections(redis_server.url) == 0


def test_concurrent_misses_on_both_workers_compute_once(tmp_path: Path, redis_server: RedisServer) -> None:
    """Requests to both workers at once for one key: one computation in all (counted in Redis), one answer."""
    with two_workers(tmp_path, redis_server.url) as (a, b), ThreadPoolExecutor(REQUESTS) as pool:
        path = f"/notes/2?wait_for={REQUESTS}"
        answers = list(pool.map(lambda worker: get(worker, path), [a, b] * (REQUESTS // 2)))
        assert [answer.status_code for answer in answers] == [200] * REQUESTS
        assert len({answer.content for answer in answers}) == 1
        assert answers[0].json()["computation"] == 1
        with redis.Redis.from_url(redis_server.url) as probe:
            assert probe.get("test:computed") == b"1"


@pytest.mark.parametrize("on_unavailable", ["bypass", "error"])
def test_redis_killed_while_serving_then_back(
    tmp_path: Path, own_redis_server: RedisServer, on_unavailable: str
) -> None:
    """Redis killed: both workers run the endpoint uncached ("bypass", the default) or answer the JSON 503
    ("error"). Redis back: caching resumes across the workers without restarting them."""
    with two_workers(tmp_path, own_redis_server.url, on_unavailable) as (a, b):
        assert get(a, "/plain").status_code == 200
        assert get(b, "/plain").json()["pid"] == a.process.pid
        own_redis_server.kill()
        for worker in (a, b):
            lost = get(worker, "/plain")
            if on_unavailable == "bypass":
                assert lost.status_code == 200
                assert lost.json()["pid"] == worker.process.pid
                assert "etag" not in lost.headers
            else:
                assert lost.status_code == 503
                assert lost.json() == {"detail": "cache is temporarily unavailable"}
        own_redis_server.start()
        fresh = cached_again(b)  # after the cache's outage backoff (one second by default)
        assert fresh.json()["pid"] == b.process.pid
        assert get(a, "/plain", **{"If-None-Match": fresh.headers["etag"]}).status_code == 304
        assert get(a, "/plain").content == fresh.content
