"""Declaring limits: the rate notations, the keyword form, and clear errors for what cannot work."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from starlette.requests import Request

from vivace import Depends, FastAPI
from vivace.ratelimit import RateLimit, client_address, forwarded_for
from vivace.testclient import TestClient


@pytest.mark.parametrize(
    ("text", "limit", "period"),
    [
        ("10/minute", 10, 60),
        ("10 per minute", 10, 60),
        ("1/second", 1, 1),
        ("100/5 minutes", 100, 300),
        ("5/30s", 5, 30),
        ("1000/hour", 1000, 3600),
        ("2/d", 2, 86400),
        (" 7 / 2h ", 7, 7200),
        ("3/MINUTES", 3, 60),
    ],
)
def test_rate_notations(text: str, limit: int, period: int) -> None:
    """Requests per unit, with an optional count of units, in words or letters."""
    rate = RateLimit(text).rate
    assert (rate.limit, rate.period, rate.burst) == (limit, period, limit)


def test_keyword_form_and_timedelta() -> None:
    """`limit=` and `period=` (seconds or a timedelta) say the same as the string."""
    assert RateLimit(limit=10, period=60).rate == RateLimit("10/minute").rate
    assert RateLimit(limit=10, period=timedelta(minutes=1)).rate == RateLimit("10/minute").rate
    assert RateLimit(limit=10, period=60.0).rate.period == 60


def test_the_rate_reads_back_in_words() -> None:
    """The rate as the 429's detail and the repr state it."""
    assert str(RateLimit("100/5 minutes").rate) == "100 per 5 minutes"
    assert str(RateLimit("60/minute", burst=5).rate) == "60 per minute (bursts of 5)"
    assert str(RateLimit("1/90s").rate) == "1 per 90 seconds"
    assert "per route" in repr(RateLimit("1/second")) and "shared" in repr(RateLimit("1/second", shared=True))


@pytest.mark.parametrize("text", ["", "10", "ten/minute", "10/fortnight", "10/", "/minute", "-1/minute", "10/0s"])
def test_unreadable_rates_are_refused(text: str) -> None:
    """A rate that cannot be read fails at declaration with the accepted notation in the message."""
    with pytest.raises(ValueError, match="rate"):
        RateLimit(text)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({}, TypeError, "needs a rate"),
        ({"rate": "1/second", "limit": 1}, TypeError, "not both"),
        ({"limit": 0, "period": 60}, ValueError, "at least one request"),
        ({"limit": 1, "period": 0.5}, ValueError, "whole number of seconds"),
        ({"limit": 10_000_000, "period": 1}, ValueError, "one per microsecond"),
        ({"rate": "1/second", "burst": 0}, ValueError, "burst"),
        ({"rate": "1/second", "name": 'say "hi"'}, ValueError, "name"),
        ({"rate": "1/second", "name": ""}, ValueError, "name"),
        ({"rate": "1/second", "on_backend_error": "ignore"}, ValueError, "on_backend_error"),
        ({"rate": "1/second", "backend": object()}, TypeError, "backend"),
        ({"rate": "1/second", "key": "ip"}, TypeError, "key"),
    ],
)
def test_bad_declarations_fail_at_once(options: dict[str, Any], error: type[Exception], message: str) -> None:
    """Mistakes surface when the limiter is created, not at the first request."""
    with pytest.raises(error, match=message):
        RateLimit(**options)


def request_from(client: tuple[str, int] | None, *forwarded: str) -> Request:
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return Request({"type": "http", "headers": headers, "client": client})


def test_client_address_is_the_peer() -> None:
    """The default key is the connection's peer; without one, every such request shares one key."""
    assert client_address(request_from(("10.0.0.7", 555))) == "10.0.0.7"
    assert client_address(request_from(None)) == "unknown"


def test_forwarded_for_trusts_only_the_given_number_of_proxies() -> None:
    """The client is the Nth address from the right; what the client wrote further left is ignored."""
    one = forwarded_for()
    two = forwarded_for(trusted_proxies=2)
    request = request_from(("10.0.0.2", 80), "6.6.6.6, 203.0.113.9, 10.0.0.1")
    assert one(request) == "10.0.0.1"
    assert two(request) == "203.0.113.9"
    # repeated header fields form one list
    assert two(request_from(("10.0.0.2", 80), "203.0.113.9", "10.0.0.1")) == "203.0.113.9"


def test_forwarded_for_falls_back_to_the_peer() -> None:
    """Too few addresses (the proxies were bypassed) or none: the peer address is the key."""
    assert forwarded_for(trusted_proxies=2)(request_from(("198.51.100.4", 80), "10.0.0.1")) == "198.51.100.4"
    assert forwarded_for()(request_from(("198.51.100.4", 80))) == "198.51.100.4"
    assert forwarded_for()(request_from(("198.51.100.4", 80), "")) == "198.51.100.4"
    with pytest.raises(ValueError, match="trusted_proxies"):
        forwarded_for(0)


class RecordingStore:
    """A store of one's own (the `RateLimitStore` protocol) that admits everything and remembers the keys."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    async def hit(self, key: str, interval: int, capacity: int) -> int:
        self.keys.append(key)
        return interval


def test_keys_name_the_policy_route_and_client() -> None:
    """A store sees `name:limit/period/burst:route:client`; very long client keys arrive as a digest."""
    store = RecordingStore()
    limiter = RateLimit("10/minute", backend=store, key=lambda request: request.headers.get("x-key", ""))
    shared = RateLimit("10/minute", name="api", shared=True, backend=store)
    app = FastAPI()

    @app.get("/items/{item}", dependencies=[Depends(limiter), Depends(shared)])
    async def item(item: int) -> int:
        return item

    client = TestClient(app)
    client.get("/items/1", headers={"X-Key": "alice"})
    client.get("/items/2", headers={"X-Key": "x" * 5000})
    assert store.keys[:2] == ["default:10/60/10:GET /items/{item}:alice", "api:10/60/10:*:testclient"]
    assert store.keys[2] == "default:10/60/10:GET /items/{item}:" + hashlib.sha256(b"x" * 5000).hexdigest()


def test_public_names_and_no_redis_without_the_backend() -> None:
    """`vivace.ratelimit` lists its public names sorted and imports no Redis client; the Redis module does."""
    code = (
        "import sys, vivace.ratelimit as r; assert 'redis' not in sys.modules, 'redis imported';"
        "assert r.__all__ == sorted(r.__all__) and all(hasattr(r, n) for n in r.__all__);"
        "import vivace.ratelimit.redis; assert 'redis' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
