"""The web side of the Redis backend: a clear startup error, 503 while Redis is away, recovery, no leaks."""

# NOTE: no `from __future__ import annotations`: the app's tasks are defined inside the tests

from pathlib import Path

import anyio
import pytest
import redis
from redis_support import RedisServer
from tasks_support import running, wait_until

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


def test_worker_survives_a_redis_restart(own_redis_server: RedisServer, tmp_path: Path) -> None:
    """A worker keeps running while Redis is away and takes tasks again once it is back (data lost or not)."""
    (tmp_path / "app.py").write_text(WORKER_APP)
    env = {"REDIS_URL": own_redis_server.url}
    with running("worker", tmp_path, env) as worker:
        own_redis_server.kill()
        worker.wait_for("lost Redis")
        own_redis_server.start()  # an empty server: the stream and the consumer group are gone too
        client = redis.Redis.from_url(own_redis_server.url)
        try:
            task_id = anyio.run(enqueue_echo, own_redis_server.url)
            wait_until(lambda: client.get("echo") == b"hello", message="the task ran after the restart")
        finally:
            client.close()
        assert worker.process.poll() is None
    assert task_id


WORKER_APP = """
import os

from redis.asyncio import Redis

from vivace import Vivace
from vivace.tasks import Tasks
from vivace.tasks.redis import RedisTaskBackend

app = Vivace()
tasks = Tasks(RedisTaskBackend(os.environ["REDIS_URL"], prefix="o"))
tasks.install(app)


@tasks.task(name="echo")
async def echo(text: str) -> None:
    client = Redis.from_url(os.environ["REDIS_URL"])
    await client.set("echo", text)
    await client.aclose()
"""


async def enqueue_echo(url: str) -> str:
    tasks = Tasks(RedisTaskBackend(url, prefix="o"))

    @tasks.task(name="echo")
    async def echo(text: str) -> None: ...

    async with tasks:
        return (await echo.enqueue("hello")).id
