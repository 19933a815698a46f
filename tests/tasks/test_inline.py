"""`tasks.inline()`: the test helper that runs each enqueued task before `enqueue()` returns."""

# NOTE: no `from __future__ import annotations`: tasks are defined inside the tests

import pytest
from tasks_support import RecordedSleep

from vivace import Vivace
from vivace.tasks import TaskFailed, Tasks
from vivace.testclient import TestClient


def test_inline_runs_before_the_response() -> None:
    """Inside `inline()`, the side effect is there as soon as the endpoint answered; retries happen too."""
    sleeps = RecordedSleep()
    app = Vivace()
    tasks = Tasks(sleep=sleeps)
    tasks.install(app)
    sent: list[str] = []
    attempts: list[str] = []

    @tasks.task(retries=1)
    async def send_welcome(email: str) -> str:
        attempts.append(email)
        if len(attempts) == 1:
            raise ConnectionError("mail server busy")
        sent.append(email)
        return "sent"

    @app.post("/signup")
    async def signup(email: str) -> dict[str, str]:
        return {"task": (await send_welcome.enqueue(email)).id}

    with tasks.inline(), TestClient(app) as client:
        task_id = client.post("/signup", params={"email": "ada@example.org"}).json()["task"]
        assert sent == ["ada@example.org"]
    assert sleeps.delays == [1.0]
    with TestClient(app):
        pass  # the app starts and stops again: nothing left to run
    assert len(attempts) == 2 and task_id


@pytest.mark.anyio
async def test_inline_failures_delays_and_nested_tasks() -> None:
    """Inline, a failure becomes the task's result (enqueue does not raise), delays are skipped, and a task
    enqueued by a task runs inline too."""
    tasks = Tasks()
    order: list[str] = []

    @tasks.task
    async def child(n: int) -> None:
        order.append(f"child {n}")

    @tasks.task
    async def parent() -> None:
        order.append("parent start")
        await child.options(delay=3600).enqueue(1)
        order.append("parent end")

    @tasks.task
    async def broken() -> None:
        raise ValueError("bad")

    async with tasks:
        with tasks.inline():
            await parent.enqueue()
            handle = await broken.enqueue()
        assert order == ["parent start", "child 1", "parent end"]
        with pytest.raises(TaskFailed, match="ValueError: bad"):
            await handle.result(timeout=1)
