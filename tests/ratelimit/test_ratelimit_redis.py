"""The Redis backend against a real redis-server: shared by worker processes, outages, restarts, clean shutdown."""

# NOTE: no `from __future__ import annotations`: endpoints below use local dependencies in annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis
from process_support import uvicorn_process
from redis_support import RedisServer, free_port

from vivace import Depends, FastAPI
from vivace.ratelimit import RateLimit
from vivace.ratelimit.redis import RedisRateLimitBackend
from vivace.testclient import TestClient

pytestmark = pytest.mark.redis

WORKER_APP = """
import os
from vivace import Depends, FastAPI
from vivace.ratelimit import RateLimit
from vivace.ratelimit.redis import RedisRateLimitBackend

limits = RedisRateLimitBackend(os.environ["REDIS_URL"])
app = FastAPI()

@app.get("/limited", dependencies=[Depends(RateLimit("5/hour", backend=limits))])
async def limited() -> int:
    return os.getpid()
"""


def other_clients(url: str) -> int:
    """Connections open on the server, not counting the one asking."""
    with redis.Redis.from_url(url) as client:
        return len(client.client_list()) - 1


def test_two_workers_share_one_budget(own_redis_server: RedisServer, tmp_path: Path) -> None:
    """Two uvicorn processes on one Redis: 12 requests spread over both admit exactly the 5 allowed."""
    redis_url = own_redis_server.url  # NOTE: a server of its own, so other tests' connections are not counted
    with ExitStack() as stack:
        servers = [
            stack.enter_context(uvicorn_process(WORKER_APP, tmp_path, name=f"worker{n}", env={"REDIS_URL": redis_url}))
            for n in range(2)
        ]
        answers = [httpx.get(f"{servers[n % 2].url}/limited", timeout=10) for n in range(12)]
        assert [a.status_code for a in answers] == [200] * 5 + [429] * 7
        assert len({a.json() for a in answers[:5]}) == 2  # both processes admitted some
        # NOTE: t counts down on Redis's clock while the requests are sent; a loaded machine may take seconds
        remaining, reset = answers[5].headers["ratelimit"].removeprefix('"default";').split(";")
        assert remaining == "r=0"
        assert 700 <= int(reset.removeprefix("t=")) <= 720
        assert other_clients(redis_url) >= 2  # each worker holds its own pool
    # the workers stopped gracefully: their pools were closed at shutdown
    assert other_clients(redis_url) == 0


def app_on(backend: RedisRateLimitBackend) -> FastAPI:
    app = FastAPI()

    @app.get("/open", dependencies=[Depends(RateLimit("2/minute", backend=backend))])
    async def fail_open() -> str:
        return "open"

    closed = RateLimit("2/minute", backend=backend, on_backend_error="fail_closed")

    @app.get("/closed", dependencies=[Depends(closed)])
    async def fail_closed() -> str:
        return "closed"

    return app


def codes(client: TestClient, path: str, count: int) -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def test_outage_fails_open_or_closed_and_recovers(
    own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis killed: fail_open lets requests through, fail_closed answers 503; restarted: limits apply again."""
    caplog.set_level(logging.WARNING, logger="vivace.ratelimit")
    with TestClient(app_on(RedisRateLimitBackend(own_redis_server.url, timeout=2))) as client:
        assert codes(client, "/open", 3) == [200, 200, 429]
        own_redis_server.kill()
        assert codes(client, "/open", 3) == [200, 200, 200]
        unavailable = client.get("/closed")
        assert (unavailable.status_code, unavailable.json()) == (
            503,
            {"detail": "rate limiting is temporarily unavailable"},
        )
        assert unavailable.headers["retry-after"] == "1"
        lost = [r.getMessage() for r in caplog.records if "until the store answers again" in r.getMessage()]
        assert len(lost) == 2  # once per limiter for the whole outage
        own_redis_server.start()  # an empty server: counts start over, the script must be loaded again
        assert codes(client, "/open", 3) == [200, 200, 429]
        assert codes(client, "/closed", 3) == [200, 200, 429]
        assert sum("store answers again;" in r.getMessage() for r in caplog.records) == 2


def test_script_is_loaded_again_after_a_script_flush(redis_server: RedisServer) -> None:
    """A server that forgot the script (NOSCRIPT) gets it again without a failed request."""
    with TestClient(app_on(RedisRateLimitBackend(redis_server.url))) as client:
        assert client.get("/open").status_code == 200
        with redis.Redis.from_url(redis_server.url) as admin:
            admin.script_flush()
        assert codes(client, "/open", 2) == [200, 429]


def test_startup_fails_clearly_without_redis() -> None:
    """No server at the URL: the application does not start, and the error names the feature and the URL."""
    client = TestClient(app_on(RedisRateLimitBackend(f"redis://:secret@127.0.0.1:{free_port()}/0")))
    with pytest.raises(RuntimeError, match=r"rate limiting: cannot reach Redis at redis://:\*\*\*@127\.0\.0\.1"):
        client.__enter__()


def test_keys_expire_once_the_budget_is_whole(redis_url: str) -> None:
    """Each key lives in Redis only until its budget is back, under the backend's prefix."""
    with TestClient(app_on(RedisRateLimitBackend(redis_url, prefix="shop:"))) as client:
        client.get("/open")
        client.get("/open")
    with redis.Redis.from_url(redis_url) as admin:
        [key] = admin.keys("*")
        assert key.startswith(b"shop:default:2/60/2:GET /open:")
        assert 59_000 < admin.pttl(key) <= 60_000


def test_connections_are_closed_at_shutdown(own_redis_server: RedisServer) -> None:
    """Every limiter of a backend shares one pool, closed when the application stops."""
    redis_url = own_redis_server.url
    app = app_on(RedisRateLimitBackend(redis_url))
    with TestClient(app) as client:
        client.get("/open")
        client.get("/closed")
        assert other_clients(redis_url) == 1
    assert other_clients(redis_url) == 0


def test_concurrent_requests_wait_for_a_connection(redis_url: str) -> None:
    """60 requests at once through a 3-connection pool: none is mistaken for an outage, exactly 20 pass."""
    backend = RedisRateLimitBackend(redis_url, max_connections=3)
    app = FastAPI()

    @app.get("/burst", dependencies=[Depends(RateLimit("20/hour", backend=backend, on_backend_error="fail_closed"))])
    async def burst() -> str:
        return "ok"

    with TestClient(app) as client, ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda _: client.get("/burst").status_code, range(60)))
    assert (statuses.count(200), statuses.count(429)) == (20, 40)


def test_a_served_app_rides_out_a_redis_restart(own_redis_server: RedisServer, tmp_path: Path) -> None:
    """In a real uvicorn process: Redis killed -> requests pass (fail open); restarted -> limited again."""
    with uvicorn_process(WORKER_APP, tmp_path, env={"REDIS_URL": own_redis_server.url}) as server:
        url = f"{server.url}/limited"
        assert [httpx.get(url, timeout=10).status_code for _ in range(6)] == [200] * 5 + [429]
        own_redis_server.kill()
        assert [httpx.get(url, timeout=10).status_code for _ in range(3)] == [200] * 3
        own_redis_server.start()
        assert [httpx.get(url, timeout=10).status_code for _ in range(6)] == [200] * 5 + [429]
    assert server.output().count("until the store answers again") == 1
