"""The memory backend: tasks enqueued by endpoints, dependencies and other tasks run in the app's process."""

# NOTE: no `from __future__ import annotations`: tasks and dependencies are defined inside the tests

import threading
from typing import Annotated, Any

import anyio
import pytest
from pydantic import BaseModel

from vivace import Depends, Vivace
from vivace.tasks import MemoryTaskBackend, TaskQueueFull, Tasks
from vivace.testclient import TestClient


class Receipt(BaseModel):
    order: int
    total: float


def build() -> tuple[Vivace, Tasks]:
    app = Vivace()
    tasks = Tasks()
    tasks.install(app)
    return app, tasks


def test_enqueue_from_an_endpoint_and_fetch_the_result() -> None:
    """The endpoint gets a task id at once; the result is fetched by id, typed by the task's return annotation."""
    app, tasks = build()
    threads: list[str] = []

    @tasks.task
    def make_receipt(order: int, total: float) -> Receipt:
        threads.append(threading.current_thread().name)
        return Receipt(order=order, total=total)

    @app.post("/orders/{order}")
    async def place(order: int) -> dict[str, str]:
        handle = await make_receipt.enqueue(order, total=9.5)
        return {"task": handle.id}

    @app.get("/receipts/{task_id}")
    async def receipt(task_id: str) -> dict[str, Any]:
        typed = await make_receipt.handle(task_id).result(timeout=10)
        assert isinstance(typed, Receipt)
        return {"typed": typed.model_dump(), "raw": await tasks.result(task_id, timeout=10)}

    with TestClient(app) as client:
        task_id = client.post("/orders/7").json()["task"]
        assert len(task_id) == 32
        assert client.get(f"/receipts/{task_id}").json() == {
            "typed": {"order": 7, "total": 9.5},
            "raw": {"order": 7, "total": 9.5},
        }
    assert threads != [threading.main_thread().name]  # a `def` task runs in a worker thread


@pytest.mark.anyio
async def test_result_timeout() -> None:
    """A result that is not there within the timeout raises TimeoutError."""
    tasks = Tasks()
    release = anyio.Event()

    @tasks.task
    async def slow() -> None:
        await release.wait()

    async with tasks:
        handle = await slow.enqueue()
        with pytest.raises(TimeoutError, match=f"task {handle.id} has no result after 0.05 s"):
            await handle.result(timeout=0.05)
        with pytest.raises(TimeoutError):
            await tasks.result("no-such-task", timeout=0.01)
        release.set()
        assert await handle.result(timeout=10) is None


def test_enqueue_from_a_dependency_and_from_a_task() -> None:
    """A dependency can enqueue a task, and a task can enqueue another; the chain runs to its end."""
    app, tasks = build()
    done: list[str] = []
    finished = threading.Event()

    @tasks.task
    async def second(word: str) -> None:
        done.append(f"second:{word}")
        finished.set()

    @tasks.task
    async def first(word: str) -> None:
        done.append(f"first:{word}")
        await second.enqueue(word.upper())

    async def audit(word: str) -> str:
        return (await first.enqueue(word)).id

    @app.get("/words/{word}")
    async def endpoint(task_id: Annotated[str, Depends(audit)]) -> dict[str, str]:
        return {"task": task_id}

    with TestClient(app) as client:
        client.get("/words/hi")
        assert finished.wait(10)
    assert done == ["first:hi", "second:HI"]


def test_without_the_lifespan_tasks_still_run() -> None:
    """An app used without its lifespan (TestClient outside `with`) starts the memory backend on first use."""
    app, tasks = build()
    ran = threading.Event()

    @tasks.task
    async def note() -> None:
        ran.set()

    @app.post("/note")
    async def endpoint() -> dict[str, str]:
        handle = await note.enqueue()
        await handle.result(timeout=10)
        return {"task": handle.id}

    assert TestClient(app).post("/note").status_code == 200
    assert ran.is_set()


@pytest.mark.anyio
async def test_queue_is_bounded() -> None:
    """Beyond max_pending waiting tasks, enqueue raises TaskQueueFull; queued tasks still run."""
    tasks = Tasks(MemoryTaskBackend(concurrency=1, max_pending=2))
    release = anyio.Event()
    started = anyio.Event()
    ran: list[int] = []

    @tasks.task
    async def job(n: int) -> None:
        started.set()
        await release.wait()
        ran.append(n)

    async with tasks:
        await job.enqueue(0)
        await started.wait()  # the only consumer is busy; the queue holds two more
        await job.enqueue(1)
        await job.enqueue(2)
        with pytest.raises(TaskQueueFull, match="2 tasks are already waiting"):
            await job.enqueue(3)
        with pytest.raises(TaskQueueFull):
            await job.options(key="four").enqueue(4)
        release.set()
        await tasks.join()
        again = await job.options(key="four").enqueue(4)  # the key of a task that was never queued is free
        assert not again.duplicate
        await tasks.join()
    assert ran == [0, 1, 2, 4]


@pytest.mark.anyio
async def test_shutdown_lets_running_tasks_finish_then_cancels() -> None:
    """Stopping waits for running tasks up to shutdown_timeout, then cancels what is left."""
    tasks = Tasks(shutdown_timeout=0.2)
    finished: list[str] = []

    @tasks.task
    async def quick() -> None:
        await anyio.sleep(0.01)
        finished.append("quick")

    @tasks.task
    async def endless() -> None:
        await anyio.sleep(3600)
        finished.append("endless")

    async with tasks:
        await quick.enqueue()
        await endless.enqueue()
    assert finished == ["quick"]


def test_install_once() -> None:
    """A Tasks serves one application, and an application has one Tasks."""
    app, tasks = build()
    with pytest.raises(RuntimeError, match="installed on one application"):
        tasks.install(Vivace())
    with pytest.raises(RuntimeError, match="installed on one application"):
        Tasks().install(app)
