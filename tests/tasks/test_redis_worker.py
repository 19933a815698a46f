"""The Redis backend with real processes: a uvicorn web app enqueues, `vivace worker` processes run the tasks.

Side effects are counted in Redis, so "ran exactly once" is checked across process crashes.
"""

from __future__ import annotations

import importlib.util
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import redis
from process_support import uvicorn_process
from tasks_support import WorkerProcess, running, start_process, wait_until

from vivace.tasks import TaskFailed, Tasks
from vivace.tasks.redis import RedisTaskBackend

pytestmark = pytest.mark.redis

APP = """
import asyncio
import os
from typing import Annotated

from redis.asyncio import Redis

from vivace import Depends, Vivace
from vivace.tasks import TaskInfo, Tasks, current_task
from vivace.tasks.redis import RedisTaskBackend

URL = os.environ["REDIS_URL"]
app = Vivace()
tasks = Tasks(RedisTaskBackend(URL, prefix="t", reclaim_after=1.0))
tasks.install(app)


async def get_redis():
    client = Redis.from_url(URL)
    await client.incr("app-scope:opened")
    yield client
    await client.incr("app-scope:closed")  # teardown, when the worker stops
    await client.aclose()


RedisDep = Annotated[Redis, Depends(get_redis, scope="app")]
Info = Annotated[TaskInfo, Depends(current_task)]


@tasks.task(name="record")
async def record(label: str, r: RedisDep) -> str:
    await r.rpush("records", label)
    return label.upper()


@tasks.task(name="slow_count")
async def slow_count(label: str, seconds: float, r: RedisDep) -> int:
    await r.rpush(f"started:{label}", str(os.getpid()))
    await asyncio.sleep(seconds)
    return await r.incr(f"count:{label}")


@tasks.task(name="flaky", retries=2, backoff=0.05)
async def flaky(r: RedisDep, info: Info) -> None:
    await r.rpush("flaky:attempts", info.attempt)
    raise RuntimeError(f"attempt {info.attempt} failed")


@app.post("/record/{label}")
async def enqueue_record(label: str) -> dict[str, str]:
    return {"id": (await record.enqueue(label)).id}
"""

Project = tuple[Path, dict[str, str], redis.Redis]


@pytest.fixture
def project(tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """tmp_path/app.py, the environment its processes get, and a client to look at Redis."""
    (tmp_path / "app.py").write_text(APP)
    monkeypatch.setenv("REDIS_URL", redis_url)
    client = redis.Redis.from_url(redis_url)
    yield tmp_path, {"REDIS_URL": redis_url}, client
    client.close()


def load_app_module(directory: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"tasks_app_{time.monotonic_ns()}", directory / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def send(directory: Path, name: str, *, key: str | None = None, delay: float | None = None, **arguments: Any) -> str:
    """Enqueue from the test process, with the app's own task declarations, as a second producer would."""

    async def enqueue() -> str:
        tasks = load_app_module(directory).tasks
        async with tasks:
            return str((await tasks[name].options(key=key, delay=delay).enqueue(**arguments)).id)

    return anyio.run(enqueue)


def result_of(url: str, task_id: str, timeout: float = 30) -> Any:
    """A task's result, read by id by a client that declares no task at all."""

    async def fetch() -> Any:
        async with Tasks(RedisTaskBackend(url, prefix="t")) as tasks:
            return await tasks.result(task_id, timeout=timeout)

    return anyio.run(fetch)


def busy_worker(project: Project, shutdown_timeout: str, label: str, seconds: float) -> tuple[WorkerProcess, str]:
    """A worker (with `--shutdown-timeout`) that has started a `slow_count` task of `seconds`; the task's id."""
    directory, env, client = project
    worker = start_process("worker", directory, env, "--shutdown-timeout", shutdown_timeout)
    worker.wait_for("ready")
    task_id = send(directory, "slow_count", label=label, seconds=seconds)
    wait_until(lambda: client.llen(f"started:{label}") == 1, message="the task started")
    return worker, task_id


def test_web_app_enqueues_and_a_worker_runs_it(project: Project) -> None:
    """A task enqueued by a uvicorn app runs in a worker process; app-scoped values open once, close at stop."""
    directory, env, client = project
    with uvicorn_process(APP, directory, env=env) as server, running("worker", directory, env) as worker:
        assert client.get("app-scope:opened") == b"1"  # created at the worker's startup
        task_ids = [httpx.post(f"{server.url}/record/{label}").json()["id"] for label in ("a", "b")]
        assert [result_of(env["REDIS_URL"], task_id) for task_id in task_ids] == ["A", "B"]
        assert sorted(client.lrange("records", 0, -1)) == [b"a", b"b"]
        assert worker.terminate() == 0
    assert (client.get("app-scope:opened"), client.get("app-scope:closed")) == (b"1", b"1")
    assert client.xlen("t:stream") == 0  # acknowledged entries are deleted
    assert client.xinfo_consumers("t:stream", "t:workers") == []  # the worker left the group


def test_killed_worker_task_runs_again_exactly_once(project: Project) -> None:
    """SIGKILL mid-task: a restarted worker reclaims the message and runs the task to completion, once."""
    directory, env, client = project
    first = start_process("worker", directory, env)
    first.wait_for("ready")
    task_id = send(directory, "slow_count", key="job-k", label="k", seconds=1.5)
    wait_until(lambda: client.llen("started:k") == 1, message="the task started in the first worker")
    first.kill()
    assert client.get("count:k") is None  # it died before its side effect
    with running("worker", directory, env) as second:
        assert result_of(env["REDIS_URL"], task_id) == 1
        assert "reclaimed task message" in second.output()
    pids = client.lrange("started:k", 0, -1)
    assert len(pids) == 2 and pids[0] != pids[1]  # ran again, in the second worker
    assert client.get("count:k") == b"1"
    assert send(directory, "slow_count", key="job-k", label="k", seconds=1.5) == task_id  # nothing new is sent
    assert client.get("count:k") == b"1"


def test_retries_and_dead_letter_in_a_worker(project: Project) -> None:
    """A failing task is retried in the worker, then lands in the dead-letter list with its error."""
    directory, env, client = project
    with running("worker", directory, env):
        task_id = send(directory, "flaky")
        with pytest.raises(TaskFailed, match="failed after 3 attempts: RuntimeError: attempt 3 failed"):
            result_of(env["REDIS_URL"], task_id)
    assert client.lrange("flaky:attempts", 0, -1) == [b"1", b"2", b"3"]
    [raw] = client.lrange("t:dead", 0, -1)
    assert b'"task":"flaky"' in raw and f'"task_id":"{task_id}"'.encode() in raw


def test_delayed_task_fires_in_its_window(project: Project) -> None:
    """A task delayed by 2 s is sent by the scheduler process no earlier than that, and soon after."""
    directory, env, client = project
    with running("worker", directory, env), running("scheduler", directory, env, "--update-interval", "0.5"):
        began = time.monotonic()
        send(directory, "record", delay=2.0, label="late")
        wait_until(lambda: client.llen("records") == 1, timeout=30, message="the delayed task ran")
        elapsed = time.monotonic() - began
    assert client.lrange("records", 0, -1) == [b"late"]
    assert 1.9 <= elapsed < 15, elapsed


def test_sigterm_lets_the_running_task_finish(project: Project) -> None:
    """SIGTERM while a task runs: the worker finishes it, saves its result, then exits with status 0."""
    _, env, client = project
    worker, task_id = busy_worker(project, "30", label="t", seconds=1.0)
    assert worker.terminate() == 0
    assert client.get("count:t") == b"1"
    assert result_of(env["REDIS_URL"], task_id, timeout=1) == 1
    assert "waiting up to 30.0 s for 1 running task(s)" in worker.output()


def test_shutdown_deadline_hands_the_task_to_another_worker(project: Project) -> None:
    """A task still running at the shutdown deadline is not acknowledged: another worker runs it to its end."""
    directory, env, client = project
    first, task_id = busy_worker(project, "0.5", label="d", seconds=3.0)
    assert first.terminate() == 0
    assert "did not finish in time" in first.output()
    assert client.get("count:d") is None
    with running("worker", directory, env):
        assert result_of(env["REDIS_URL"], task_id) == 1
    assert client.llen("started:d") == 2 and client.get("count:d") == b"1"


def test_second_signal_stops_at_once(project: Project) -> None:
    """A second SIGTERM gives up on the running task right away (it stays pending for another worker)."""
    _, _, client = project
    worker, _ = busy_worker(project, "60", label="s", seconds=30.0)
    worker.process.send_signal(signal.SIGTERM)
    worker.wait_for("stopping")
    began = time.monotonic()
    assert worker.terminate(timeout=20) == 0
    assert time.monotonic() - began < 15
    assert client.xpending("t:stream", "t:workers")["pending"] == 1


def test_several_worker_processes(project: Project) -> None:
    """--workers 2 runs two processes that share the queue; SIGTERM stops both after their tasks."""
    directory, env, client = project
    worker = start_process("worker", directory, env, "--workers", "2", "--concurrency", "1")
    wait_until(lambda: worker.output().count("worker ready") == 2, message="two workers ready")
    task_ids = [send(directory, "slow_count", label=f"w{n}", seconds=0.5) for n in range(4)]
    assert [result_of(env["REDIS_URL"], task_id) for task_id in task_ids] == [1, 1, 1, 1]
    pids = {client.lindex(f"started:w{n}", 0) for n in range(4)}
    assert len(pids) == 2
    assert worker.terminate() == 0
    assert worker.output().count("worker stopped") == 2
