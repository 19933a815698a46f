"""The Redis backend in one process: startup without Redis, Redis lost and back while serving, connections."""

# NOTE: no `from __future__ import annotations`: the endpoints below use local dependencies in annotations

from collections import Counter
from typing import Annotated, Literal

import pytest
import redis
from redis_support import RedisServer, free_port

from vivace import Depends, FastAPI
from vivace.cache import Cache
from vivace.cache.redis import RedisCacheBackend
from vivace.testclient import TestClient

pytestmark = pytest.mark.redis


def notes_app(
    url: str, on_unavailable: Literal["bypass", "error"] = "bypass", outage_backoff: float = 0
) -> tuple[FastAPI, Counter[str]]:
    """`GET /notes` counts its runs; `POST /notes` invalidates it. No outage backoff unless asked: the tests
    below see the store come back at their very next request."""
    app = FastAPI()
    cache = Cache(RedisCacheBackend(url), on_unavailable=on_unavailable, outage_backoff=outage_backoff)
    runs: Counter[str] = Counter()

    @app.get("/notes")
    @cache.cached(ttl=60, tags=["notes"])
    async def notes() -> int:
        runs["notes"] += 1
        return runs["notes"]

    @app.post("/notes")
    async def add(c: Annotated[Cache, Depends(cache)]) -> int:
        return await c.invalidate_tags("notes")

    return app, runs


def clients_connected(url: str) -> int:
    """Connections the server has, not counting the one asking."""
    with redis.Redis.from_url(url) as probe:
        return len(probe.client_list()) - 1


def test_redis_down_at_startup_is_a_clear_startup_error() -> None:
    """Nothing listening: the application does not start, and the error names the feature and the URL."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    app, _ = notes_app(url)
    with pytest.raises(RuntimeError, match=f"cache: cannot reach Redis at {url}"), TestClient(app):
        pass


def test_lost_redis_bypasses_the_cache_by_default_and_recovers(own_redis_server: RedisServer) -> None:
    """Default "bypass": with Redis gone the endpoint runs for every request (answers stay correct);
    once Redis is back, answers are stored and served again, without a restart."""
    app, runs = notes_app(own_redis_server.url)
    with TestClient(app) as client:
        assert [client.get("/notes").json() for _ in range(2)] == [1, 1]
        own_redis_server.kill()
        assert [client.get("/notes").json() for _ in range(2)] == [2, 3]
        assert "etag" not in client.get("/notes").headers  # answered uncached
        assert client.post("/notes").status_code == 503  # an invalidation is never dropped silently
        own_redis_server.start()
        assert [client.get("/notes").json() for _ in range(3)] == [5, 5, 5]
        assert client.post("/notes").json() == 1
    assert runs["notes"] == 5


def test_lost_redis_answers_503_when_configured(own_redis_server: RedisServer) -> None:
    """on_unavailable="error": the affected requests get the JSON 503 with Retry-After; recovery as above."""
    app, runs = notes_app(own_redis_server.url, on_unavailable="error")
    with TestClient(app) as client:
        assert client.get("/notes").json() == 1
        own_redis_server.kill()
        lost = client.get("/notes")
        assert lost.status_code == 503
        assert lost.json() == {"detail": "cache is temporarily unavailable"}
        assert lost.headers["retry-after"] == "1"
        own_redis_server.start()
        assert [client.get("/notes").json() for _ in range(2)] == [2, 2]
    assert runs["notes"] == 2


def test_after_a_failure_the_store_is_left_alone_for_the_backoff(own_redis_server: RedisServer) -> None:
    """Within `outage_backoff` of a failure, requests do not try the store: they bypass it even once it is back
    (only an invalidation, which must not be lost, asks it)."""
    app, runs = notes_app(own_redis_server.url, outage_backoff=60)
    with TestClient(app) as client:
        client.get("/notes")
        own_redis_server.kill()
        assert client.get("/notes").json() == 2
        own_redis_server.start()
        assert [client.get("/notes").json() for _ in range(2)] == [3, 4]
        assert client.post("/notes").status_code == 200
    assert runs["notes"] == 4


def test_connections_are_closed_at_shutdown(redis_server: RedisServer) -> None:
    """The pool opens at startup and is closed when the application stops: no connection is left behind."""
    app, _ = notes_app(redis_server.url)
    with TestClient(app) as client:
        client.get("/notes")
        client.post("/notes")
        assert clients_connected(redis_server.url) >= 1
    assert clients_connected(redis_server.url) == 0


def test_unconnected_backend_says_how_it_opens() -> None:
    """Used outside an application that started it, the backend explains when it connects."""
    backend = RedisCacheBackend("redis://127.0.0.1:1/0")
    with pytest.raises(RuntimeError, match="opens when the application starts"):
        backend.client  # noqa: B018 - the property raises


@pytest.mark.parametrize(
    "options", [{"poll_interval": 0}, {"poll_interval": 2, "wait_timeout": 1}, {"lock_timeout": 0}]
)
def test_backend_options_are_checked(options: dict[str, float]) -> None:
    """Impossible waiting options are reported at construction."""
    with pytest.raises(ValueError, match="RedisCacheBackend"):
        RedisCacheBackend("redis://127.0.0.1:1/0", **options)
