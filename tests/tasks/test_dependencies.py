"""Tasks use vivace's dependency system: the same declarations as routes, app-scoped values included."""

# NOTE: no `from __future__ import annotations`: tasks and dependencies are defined inside the tests

import threading
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest
from tasks_support import RecordedSleep

from vivace import Depends, Vivace
from vivace.tasks import TaskInfo, Tasks, current_task
from vivace.testclient import TestClient


class Engine:
    def __init__(self, events: list[str]) -> None:
        self.events = events
        self.disposed = False


def test_app_scoped_values_are_shared_with_routes_and_torn_down_last() -> None:
    """Routes and tasks receive the same engine, created once; it is disposed at shutdown, after tasks finish."""
    events: list[str] = []
    engines: list[Engine] = []
    finished = threading.Event()

    def get_engine() -> Iterator[Engine]:
        engine = Engine(events)
        engines.append(engine)
        events.append("engine created")
        yield engine
        engine.disposed = True
        events.append("engine disposed")

    EngineDep = Annotated[Engine, Depends(get_engine, scope="app")]
    app = Vivace()
    tasks = Tasks()
    tasks.install(app)

    @tasks.task
    async def report(engine: EngineDep) -> int:
        events.append("task ran")
        finished.set()
        return id(engine)

    @app.post("/report")
    async def endpoint(engine: EngineDep) -> dict[str, Any]:
        handle = await report.enqueue()
        return {"route": id(engine), "task": await handle.result(timeout=10)}

    with TestClient(app) as client:
        body = client.post("/report").json()
        assert body["route"] == body["task"]
        client.post("/report")
        assert not engines[0].disposed
    assert len(engines) == 1
    assert events == ["engine created", "task ran", "task ran", "engine disposed"]


@pytest.mark.anyio
async def test_per_run_dependencies_close_after_each_attempt(sleeps: RecordedSleep) -> None:
    """A `yield` dependency without scope="app" is opened and closed around every attempt, failed ones too."""
    tasks = Tasks(sleep=sleeps)
    events: list[str] = []

    async def session(info: Annotated[TaskInfo, Depends(current_task)]) -> AsyncIterator[str]:
        events.append(f"open {info.attempt}")
        try:
            yield f"session {info.attempt}"
        finally:
            events.append(f"close {info.attempt}")

    @tasks.task(retries=1)
    async def work(db: Annotated[str, Depends(session)], info: Annotated[TaskInfo, Depends(current_task)]) -> str:
        events.append(f"work with {db}")
        if info.attempt == 1:
            raise RuntimeError("first attempt fails")
        return db

    async with tasks:
        assert await (await work.enqueue()).result(timeout=10) == "session 2"
    assert events == ["open 1", "work with session 1", "close 1", "open 2", "work with session 2", "close 2"]


@pytest.mark.anyio
async def test_dependency_parameters_are_task_arguments() -> None:
    """A dependency's own parameters are read from the task's arguments by name, with their declared types."""
    tasks = Tasks()

    def load_user(user_id: int) -> dict[str, int]:
        return {"id": user_id}

    @tasks.task
    async def greet(user: Annotated[dict[str, int], Depends(load_user)], greeting: str = "hi") -> str:
        return f"{greeting} {user['id']}"

    async with tasks:
        assert await (await greet.enqueue(user_id="42")).result(timeout=10) == "hi 42"
        assert await (await greet.enqueue("hello", user_id=1)).result(timeout=10) == "hello 1"


def test_dependency_overrides_apply_to_tasks() -> None:
    """`app.dependency_overrides` replaces a task's dependency, as it does a route's."""
    app = Vivace()
    tasks = Tasks()
    tasks.install(app)

    def real_mailer() -> str:
        return "smtp"

    @tasks.task
    async def send(mailer: Annotated[str, Depends(real_mailer, scope="app")]) -> str:
        return mailer

    @app.post("/send")
    async def endpoint() -> dict[str, str]:
        return {"mailer": await (await send.enqueue()).result(timeout=10)}

    app.dependency_overrides[real_mailer] = lambda: "fake"
    with TestClient(app) as client:
        assert client.post("/send").json() == {"mailer": "fake"}
    app.dependency_overrides.clear()
    with TestClient(app) as client:
        assert client.post("/send").json() == {"mailer": "smtp"}


@pytest.mark.anyio
async def test_without_an_app_app_scoped_values_close_with_the_tasks() -> None:
    """Used without an application, app-scoped values live until `async with tasks` ends."""
    tasks = Tasks()
    events: list[str] = []

    async def client() -> AsyncIterator[str]:
        events.append("open")
        yield "client"
        events.append("closed")

    @tasks.task
    async def call(http: Annotated[str, Depends(client, scope="app")]) -> str:
        return http

    async with tasks:
        assert await (await call.enqueue()).result(timeout=10) == "client"
        assert await (await call.enqueue()).result(timeout=10) == "client"
        assert events == ["open"]
    assert events == ["open", "closed"]


@pytest.mark.anyio
async def test_current_task_outside_a_task() -> None:
    """The current_task dependency only answers while a task runs."""
    with pytest.raises(RuntimeError, match="only available while a task runs"):
        await current_task()
