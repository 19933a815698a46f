"""`fastapi.background_task` spans: the tasks of a request's BackgroundTasks, each in its own span."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from starlette.background import BackgroundTask, BackgroundTasks

from vivace.telemetry._state import RequestTelemetry

__all__ = ["traced_tasks"]


class _TracedTask:
    __slots__ = ("request", "task")

    def __init__(self, task: BackgroundTask, request: RequestTelemetry) -> None:
        self.task = task
        self.request = request

    async def __call__(self) -> None:
        with self.request.operation("background_task", self.task.func):
            await self.task()


class _TracedTaskList(list[Any]):
    """The task list of one request's BackgroundTasks: iterating it (as `BackgroundTasks.__call__` does) yields
    each task wrapped in its span, including tasks added after the list was swapped in."""

    request: RequestTelemetry

    def __iter__(self) -> Iterator[Any]:
        for task in super().__iter__():
            yield _TracedTask(task, self.request) if isinstance(task, BackgroundTask) else task


def traced_tasks(request: RequestTelemetry, candidates: list[Any]) -> None:
    """Make every BackgroundTasks among `candidates` run its tasks in spans (once per instance)."""
    if request.tracer is None:
        return
    for tasks in candidates:
        if isinstance(tasks, BackgroundTasks) and not isinstance(tasks.tasks, _TracedTaskList):
            traced = _TracedTaskList(tasks.tasks)
            traced.request = request
            tasks.tasks = traced
