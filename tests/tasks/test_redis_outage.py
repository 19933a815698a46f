"""The web side of the Redis backend: a clear startup error, 503 while Redis is away, recovery, no leaks."""

# NOTE: no `from __future__ import annotations`: the app's tasks are defined inside the tests

import pytest
import redis
from redis_support import RedisServer

from vivace import Vivace
from vivace.tasks import Tasks, TasksNotStarted
from vivace.tasks.redis import RedisTaskBackend
from vivace.testclient import TestClient

pytestmark = pytest.mark.redis


def build(url: str) -> Vivace:
    app = Vivace()
    tasks = Tasks(RedisTaskBackend(url, prefix="o"))
    tasks.install(app)

    @tasks.task(name="noop")
    async def noop() -> None: ...

    @app.post("/enqueue")
    async def enqueue() -> dict[str, str]:
        return {"id": (await noop.enqueue()).id}

    return app


def connected_clients(server: RedisServer) -> int:
    client = redis.Redis.from_url(server.url)
    try:
        return len(client.client_list()) - 1  # without this inspecting connection
    finally:
        client.close()


def test_redis_down_at_startup_is_a_clear_error(own_redis_server: RedisServer) -> None:
    """The app does not start without Redis; the error names the feature and the URL."""
    own_redis_server.kill()
    client = TestClient(build(own_redis_server.url))
    with pytest.raises(RuntimeError, match=r"durable tasks: cannot reach Redis at redis://127\.0\.0\.1"):
        client.__enter__()


def test_redis_lost_while_serving_answers_503_then_recovers(own_redis_server: RedisServer) -> None:
    """While Redis is away enqueueing answers a JSON 503 with Retry-After; it works again once Redis is back."""
    with TestClient(build(own_redis_server.url)) as client:
        assert client.post("/enqueue").status_code == 200
        own_redis_server.kill()
        response = client.post("/enqueue")
        assert (response.status_code, response.headers["retry-after"]) == (503, "1")
        assert response.json() == {"detail": "durable tasks is temporarily unavailable"}
        own_redis_server.start()
        assert client.post("/enqueue").status_code == 200
    assert connected_clients(own_redis_server) == 0


def test_no_connection_left_after_shutdown(own_redis_server: RedisServer) -> None:
    """Every pool the backend opened (broker, results, store, schedules) is closed when the app stops."""
    with TestClient(build(own_redis_server.url)) as client:
        client.post("/enqueue")
        assert connected_clients(own_redis_server) > 0
    assert connected_clients(own_redis_server) == 0


@pytest.mark.anyio
async def test_using_the_backend_before_it_started(redis_url: str) -> None:
    """Enqueueing through a Redis backend that was never started is a clear error, not a hang."""
    tasks = Tasks(RedisTaskBackend(redis_url))

    @tasks.task
    async def noop() -> None: ...

    with pytest.raises(TasksNotStarted, match="the task backend is not started"):
        await noop.enqueue()
