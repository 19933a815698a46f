"""A declared task: the function, its retry policy, its analysed plan; enqueue it now, later, or on a schedule."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, ParamSpec, Protocol, TypeVar

from pydantic import TypeAdapter

from vivace._core.signature import get_typed_signature
from vivace.tasks._handle import TaskHandle
from vivace.tasks._plan import TaskPlan, build_plan
from vivace.tasks._policy import RetryPolicy

__all__ = ["Task", "TaskCall"]

P = ParamSpec("P")
R = TypeVar("R")

_UNTYPED = (inspect.Signature.empty, Any, None, type(None))


class TaskRegistry(Protocol):
    """What a declared task needs of the `Tasks` that declared it."""

    def dependency_overrides(self) -> Mapping[Any, Any]: ...

    async def send(
        self, task: Task[Any, R], arguments: dict[str, Any], *, key: str | None, when: datetime | None
    ) -> TaskHandle[R]: ...

    async def raw_result(self, task_id: str, timeout: float | None = None) -> Any: ...


class Task(Generic[P, R]):
    """A function declared with `@tasks.task`: call it directly as before, or `await task.enqueue(...)`."""

    def __init__(self, tasks: TaskRegistry, function: Callable[..., Any], *, name: str, policy: RetryPolicy) -> None:
        self.tasks = tasks
        self.function = function
        self.name = name
        self.policy = policy
        self._plan = build_plan(function, name)  # NOTE: a declaration a worker cannot run fails here, at import
        self._overridden: tuple[tuple[tuple[Any, Any], ...], TaskPlan] | None = None
        returns = get_typed_signature(function).return_annotation
        self._result = None if returns in _UNTYPED else TypeAdapter(returns)
        #: periodic runs, as taskiq's label-based schedule source reads them
        self.schedules: list[dict[str, Any]] = []
        functools.update_wrapper(self, function)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        """Call the function itself, here and now (dependencies are not resolved)."""
        return self.function(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Task({self.name!r})"

    def plan(self) -> TaskPlan:
        """The plan with the application's current `dependency_overrides` applied (re-analysed when they change)."""
        overrides = self.tasks.dependency_overrides()
        if not overrides:
            return self._plan
        state = tuple((key, value) for key, value in overrides.items())
        if self._overridden is None or self._overridden[0] != state:
            self._overridden = (state, build_plan(self.function, self.name, overrides))
        return self._overridden[1]

    async def enqueue(self, *args: Any, **kwargs: Any) -> TaskHandle[R]:
        """Validate the arguments and send the task; returns at once with its handle (`handle.id`)."""
        return await TaskCall(self).enqueue(*args, **kwargs)

    def options(
        self, *, key: str | None = None, delay: float | timedelta | None = None, at: datetime | None = None
    ) -> TaskCall[R]:
        """Enqueue with options: an idempotency `key` (a second enqueue with the same key runs nothing and returns
        the first task's handle), or a `delay` (seconds or timedelta) / a time `at` (aware datetime) to run it."""
        return TaskCall(self, key=key, when=_when(delay, at))

    def every(self, cron: str, **arguments: Any) -> Task[P, R]:
        """Also run this task periodically, on the `cron` schedule ("*/5 * * * *", UTC), with `arguments`.

        The scheduler process (`vivace scheduler`) sends the runs; exactly one scheduler must run.
        """
        payload = self._plan.validate((), arguments)
        self.schedules.append({"cron": cron, "kwargs": payload, "schedule_id": f"{self.name}:{len(self.schedules)}"})
        return self

    def parse_result(self, value: Any) -> R:
        return value if self._result is None else self._result.validate_python(value)  # type: ignore[no-any-return]

    def handle(self, task_id: str, *, duplicate: bool = False) -> TaskHandle[R]:
        return TaskHandle(self.name, task_id, self._fetch, duplicate=duplicate)

    async def _fetch(self, task_id: str, timeout: float | None) -> R:
        return self.parse_result(await self.tasks.raw_result(task_id, timeout))


class TaskCall(Generic[R]):
    """A task with enqueue options bound (see `Task.options`)."""

    __slots__ = ("key", "task", "when")

    def __init__(self, task: Task[Any, R], *, key: str | None = None, when: datetime | None = None) -> None:
        self.task = task
        self.key = key
        self.when = when

    async def enqueue(self, *args: Any, **kwargs: Any) -> TaskHandle[R]:
        payload = self.task.plan().validate(args, kwargs)
        return await self.task.tasks.send(self.task, payload, key=self.key, when=self.when)


def _when(delay: float | timedelta | None, at: datetime | None) -> datetime | None:
    if delay is not None and at is not None:
        raise ValueError("give either delay or at, not both")
    if at is not None:
        if at.tzinfo is None:
            raise ValueError("`at` must be an aware datetime (with a tzinfo), e.g. datetime.now(UTC)")
        return at
    if delay is None:
        return None
    seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
    if seconds < 0:
        raise ValueError(f"delay must be 0 or more, not {seconds}")
    return datetime.now(UTC) + timedelta(seconds=seconds)
