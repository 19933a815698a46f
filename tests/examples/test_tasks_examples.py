"""The samples of docs/guide/durable-tasks.md run and do what the page says."""

import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from samples import load

from vivace.testclient import TestClient


def wait_for(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return value


def test_basic_sample_enqueues_and_reports_the_result() -> None:
    """POST /signup answers 202 with a task id; GET /signup/{id} returns the task's typed result."""
    sample = load("tasks_basic")
    with TestClient(sample.app) as client:
        response = client.post("/signup", params={"email": "ada@example.org", "name": "Ada"})
        assert response.status_code == 202
        task_id = response.json()["task"]
        assert client.get(f"/signup/{task_id}").json() == {"to": "ada@example.org", "subject": "Welcome, Ada!"}
        assert client.post("/signup", params={"email": "nope", "name": "Bob"}).status_code == 422
    assert sample.outbox == ["ada@example.org"]


def test_dependencies_sample_shares_the_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The task writes through the app-scoped engine the routes read from; the engine is disposed at shutdown."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'reports.db'}")
    sample = load("tasks_dependencies")
    with TestClient(sample.app) as client:
        client.post("/reports", params={"rows": 3})
        client.post("/reports", params={"rows": 5})
        assert wait_for(lambda: client.get("/reports").json() == [3, 5])


def test_retries_sample_keys_dead_letters_and_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    """A repeated callback notifies the partner once; a non-network error is not retried and is dead-lettered;
    a delayed reminder waits."""
    sample = load("tasks_retries")
    calls: list[int] = []

    def partner(request: httpx.Request) -> httpx.Response:
        order = int(request.content.decode().split(":")[1].strip(" }"))
        if order == 13:
            raise ValueError("the partner rejected order 13")
        calls.append(order)
        return httpx.Response(201)

    real_client = httpx.AsyncClient
    monkeypatch.setattr(sample.httpx, "AsyncClient", lambda: real_client(transport=httpx.MockTransport(partner)))
    with TestClient(sample.app) as client:
        with sample.tasks.inline():
            first = client.post("/orders/7/paid").json()
            again = client.post("/orders/7/paid").json()
            client.post("/orders/13/paid")
        assert (again["task"], again["duplicate"], first["duplicate"]) == (first["task"], True, False)
        client.post("/orders/8/remind")
        [letter] = client.get("/admin/dead-letters").json()
        assert (letter["attempts"], letter["error"]) == (1, "ValueError: the partner rejected order 13")
    assert calls == [7]


def test_retries_sample_retries_network_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Network errors are retried with doubling waits, up to five attempts in all."""
    sample = load("tasks_retries")
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    real_client = httpx.AsyncClient
    monkeypatch.setattr(sample.httpx, "AsyncClient", lambda: real_client(transport=httpx.MockTransport(unreachable)))
    sample.tasks.runner.sleep = no_wait
    with sample.tasks.inline(), TestClient(sample.app) as client:
        client.post("/orders/9/paid")
        [letter] = client.get("/admin/dead-letters").json()
    assert (letter["attempts"], waits) == (5, [2.0, 4.0, 8.0, 16.0])


@pytest.mark.redis
def test_redis_sample(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With REDIS_URL set, the sample's tasks go through Redis; the nightly schedule is declared."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    sample = load("tasks_redis")
    assert [(s["cron"], s["kwargs"]) for s in sample.nightly_report.schedules] == [("0 2 * * *", {"team": "sales"})]
    with sample.tasks.inline(), TestClient(sample.app) as client:
        task_id = client.post("/reports/ops").json()["task"]

    async def fetch() -> Any:
        async with sample.tasks:
            return await sample.tasks.result(task_id, timeout=5)

    assert anyio.run(fetch) == "report for ops"


def test_testing_sample() -> None:
    """The page's test passes; without the override the task fails and lands in the dead letters."""
    sample = load("tasks_testing")
    sample.test_checkout_sends_a_receipt()
    assert sample.app.dependency_overrides == {}
    with sample.tasks.inline(), TestClient(sample.app) as client:
        client.post("/checkout", params={"email": "bob@example.org"})

    async def letters() -> Any:
        return await sample.tasks.dead_letters()

    [letter] = anyio.run(letters)
    assert letter.error == "RuntimeError: no mail server in this sample"
