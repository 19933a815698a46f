"""The memory backend's bounds: least recently used entries go first, by count and by bytes."""

from collections import Counter

import pytest
from fake_clock import FakeClock

from vivace import FastAPI
from vivace.cache import Cache, Entry, MemoryCacheBackend
from vivace.testclient import TestClient


def counting_app(backend: MemoryCacheBackend, size: int = 10) -> tuple[FastAPI, Counter[str]]:
    """`GET /items/{name}` answers `size` bytes of JSON string and counts its runs per name."""
    app = FastAPI()
    cache = Cache(backend)
    runs: Counter[str] = Counter()

    @app.get("/items/{name}")
    @cache.cached(ttl=60)
    async def item(name: str) -> str:
        runs[name] += 1
        return name.ljust(size - 2, ".")

    return app, runs


def test_least_recently_used_entry_is_evicted_at_max_entries() -> None:
    """With room for two, reading `a` again keeps it; adding `c` evicts `b`, the least recently used."""
    backend = MemoryCacheBackend(max_entries=2)
    app, runs = counting_app(backend)
    with TestClient(app) as client:
        for name in ("a", "b", "a", "c", "a", "b"):
            client.get(f"/items/{name}")
    assert len(backend) == 2
    assert runs == {"a": 1, "b": 2, "c": 1}


def test_max_bytes_bounds_what_is_held() -> None:
    """Bodies and headers count against max_bytes; the oldest entries go until the new one fits."""
    probe = MemoryCacheBackend()
    app, _ = counting_app(probe, size=200)
    with TestClient(app) as client:
        client.get("/items/probe")
    one_entry = probe.stored_bytes
    backend = MemoryCacheBackend(max_entries=None, max_bytes=one_entry * 3)
    app, runs = counting_app(backend, size=200)
    with TestClient(app) as client:
        for name in ("a", "b", "c", "d", "a"):
            client.get(f"/items/{name}")
    assert len(backend) == 3
    assert backend.stored_bytes <= one_entry * 3
    assert runs == {"a": 2, "b": 1, "c": 1, "d": 1}


def test_an_entry_larger_than_max_bytes_is_not_stored() -> None:
    """An answer that could never fit is sent but not kept, and evicts nothing."""
    backend = MemoryCacheBackend(max_bytes=500)
    app, runs = counting_app(backend, size=20)
    with TestClient(app) as client:
        client.get("/items/small")
        client.get("/items/big".ljust(600, "x"))
    assert len(backend) == 1
    assert runs["small"] == 1


def test_expired_entries_are_dropped_when_read() -> None:
    """An expired entry is removed (and its bytes released) by the read that finds it."""
    clock = FakeClock()
    backend = MemoryCacheBackend(clock=clock)
    app, runs = counting_app(backend)
    with TestClient(app) as client:
        client.get("/items/a")
        clock.advance(60)
        client.get("/items/a")
        assert runs["a"] == 2
        clock.advance(59.5)
        client.get("/items/a")
    assert runs["a"] == 2
    assert len(backend) == 1


@pytest.mark.parametrize("bounds", [{"max_entries": 0}, {"max_bytes": 0}, {"max_entries": -1}])
def test_bounds_must_be_positive(bounds: dict[str, int]) -> None:
    """A bound of zero or less is a mistake reported at construction."""
    with pytest.raises(ValueError, match="must be at least 1"):
        MemoryCacheBackend(**bounds)


def test_max_age_never_exceeds_the_ttl() -> None:
    """At clock readings where `(now + ttl) - now` rounds above the ttl, max-age still says the ttl (not 61)."""
    clock = FakeClock()
    clock.now = 32759.532402506065  # (t + 60.0) - t == 60.00000000000364 in floating point
    app = FastAPI()
    cache = Cache(MemoryCacheBackend(clock=clock))

    @app.get("/answer")
    @cache.cached(ttl=60)
    async def answer() -> str:
        return "done"

    with TestClient(app) as client:
        assert client.get("/answer").headers["cache-control"] == "public, max-age=60"
        clock.advance(10)
        assert client.get("/answer").headers["cache-control"] == "public, max-age=50"


class CountingBackend(MemoryCacheBackend):
    """A memory backend whose lookups are counted: a subclass with a `get` of its own."""

    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    async def get(self, key: str) -> Entry | None:
        self.lookups += 1
        return await super().get(key)


def test_a_subclass_get_is_used_for_every_lookup() -> None:
    """Hits skip the coroutine of the plain memory store, but a subclass overriding `get` is still asked."""
    backend = CountingBackend()
    app, runs = counting_app(backend)
    with TestClient(app) as client:
        answers = [client.get("/items/a") for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert runs == {"a": 1}
    assert backend.lookups >= 3  # NOTE: a miss may look up again when it claims the key


def test_a_hit_on_the_plain_memory_store_does_not_await_it() -> None:
    """The plain memory store answers hits through `peek`, the synchronous lookup, with the same entry."""
    backend = MemoryCacheBackend()
    app, runs = counting_app(backend)
    with TestClient(app) as client:
        first = client.get("/items/a")
        backend.get = None  # type: ignore[assignment,method-assign]  # NOTE: awaiting it now would fail
        second = client.get("/items/a", headers={"If-None-Match": first.headers["etag"]})
    assert (second.status_code, runs) == (304, {"a": 1})
