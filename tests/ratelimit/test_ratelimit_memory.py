"""The memory backend: budgets refill with time, the table stays bounded, and counts are exact under concurrency."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fake_clock import FakeClock
from ratelimit_support import limit_headers

from vivace import Depends, FastAPI
from vivace.ratelimit import MemoryRateLimitBackend, RateLimit
from vivace.testclient import TestClient


def app_with(limiter: RateLimit) -> FastAPI:
    app = FastAPI()

    @app.get("/items", dependencies=[Depends(limiter)])
    async def items() -> str:
        return "ok"

    return app


def test_budget_refills_one_request_per_interval(clock: FakeClock) -> None:
    """3 a minute: after the budget is spent, one more request passes every 20 s, and all 3 after 60 s."""
    client = TestClient(app_with(RateLimit("3/minute", backend=MemoryRateLimitBackend(clock=clock))))
    assert [client.get("/items").status_code for _ in range(4)] == [200, 200, 200, 429]
    clock.advance(19.9)
    refused = client.get("/items")
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "1")  # 0.1 s, rounded up
    clock.advance(0.1)
    assert [client.get("/items").status_code for _ in range(2)] == [200, 429]
    clock.advance(60)
    assert [client.get("/items").status_code for _ in range(4)] == [200, 200, 200, 429]


def test_refused_requests_do_not_spend_budget(clock: FakeClock) -> None:
    """Hammering while refused does not push the next admission further away."""
    client = TestClient(app_with(RateLimit("1/10s", backend=MemoryRateLimitBackend(clock=clock))))
    assert client.get("/items").status_code == 200
    for _ in range(20):
        assert client.get("/items").status_code == 429
    clock.advance(10)
    assert client.get("/items").status_code == 200


def test_remaining_and_reset_follow_the_clock(clock: FakeClock) -> None:
    """After a partial refill the headers report the regained request and the shorter time to a full quota."""
    client = TestClient(app_with(RateLimit("4/minute", backend=MemoryRateLimitBackend(clock=clock))))
    for _ in range(3):
        client.get("/items")
    clock.advance(30)  # 45 s owed, 30 s paid back: 15 s owed, 3 requests free
    assert limit_headers(client.get("/items"))["ratelimit"] == '"default";r=2;t=30'


def hit(backend: MemoryRateLimitBackend, key: str) -> bool:
    """One request of `key` on a one-request-per-10-s budget; whether it was admitted."""
    return asyncio.run(backend.hit(key, interval=10_000_000, capacity=10_000_000)) <= 10_000_000


def test_table_is_bounded_by_evicting_the_least_recently_used_key(clock: FakeClock) -> None:
    """Past max_keys the least recently used key goes; a recently used one keeps its state."""
    backend = MemoryRateLimitBackend(max_keys=3, clock=clock)
    for key in ("a", "b", "c"):
        assert hit(backend, key)
    assert not hit(backend, "a")  # refused, and now the most recently used
    assert hit(backend, "d")
    assert len(backend) == 3
    assert not hit(backend, "a")  # still tracked
    assert hit(backend, "b")  # evicted, so it starts again with a full budget


def test_expired_keys_are_pruned_as_new_keys_arrive(clock: FakeClock) -> None:
    """Keys whose budget is whole again are dropped when new keys come, keeping the table at the live keys."""
    backend = MemoryRateLimitBackend(clock=clock)
    for index in range(100):
        hit(backend, f"old-{index}")
    clock.advance(10)  # every old key's budget is whole again
    for index in range(100):
        hit(backend, f"new-{index}")
    assert len(backend) == 100


def test_max_keys_must_be_positive() -> None:
    """A table that can hold nothing is refused when it is created."""
    with pytest.raises(ValueError, match="max_keys"):
        MemoryRateLimitBackend(max_keys=0)


async def call_app(app: Any, path: str) -> int:
    """One request straight into the ASGI app; returns the status."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": [],
        "client": ("10.1.1.1", 4000), "server": ("testserver", 80), "state": {},
    }  # fmt: skip
    await app(scope, receive, send)
    status: int = sent[0]["status"]
    return status


def test_concurrent_requests_admit_exactly_the_limit() -> None:
    """200 requests in flight at once on one event loop: exactly the limit (50) pass."""
    app = app_with(RateLimit("50/hour"))

    async def burst() -> list[int]:
        return await asyncio.gather(*(call_app(app, "/items") for _ in range(200)))

    codes = asyncio.run(burst())
    assert (codes.count(200), codes.count(429)) == (50, 150)
