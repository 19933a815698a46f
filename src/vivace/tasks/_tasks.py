"""`Tasks`: the registry of an application's durable tasks, their backend, and their lifecycle.

One `Tasks` per application. `tasks.install(app)` ties it to the app: the backend starts and stops with the app
(a lifespan of its own, included like a router's), task dependencies use the app's app-scoped values and
dependency overrides, and `vivace worker` / `vivace scheduler` find the tasks through the app.
"""

from __future__ import annotations

import importlib
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import datetime
from types import TracebackType
from typing import Annotated, Any, ParamSpec, Protocol, TypeVar, overload

import anyio
from taskiq import Context, TaskiqDepends, TaskiqMessage
from taskiq.receiver import Receiver

from vivace._backends import BackendUnavailable, unavailable
from vivace._core.app_scope import AppScope
from vivace.exception_handlers import http_exception_handler
from vivace.routing import APIRouter
from vivace.tasks._backend import DeadLetter, TaskBackend
from vivace.tasks._declare import Task
from vivace.tasks._errors import TaskFailed, TasksNotStarted
from vivace.tasks._execute import KEY_LABEL, Runner, describe
from vivace.tasks._handle import TaskHandle
from vivace.tasks._memory import MemoryTaskBackend
from vivace.tasks._policy import RetryPolicy

__all__ = ["FEATURE", "Tasks", "installed_tasks"]

P = ParamSpec("P")
R = TypeVar("R")

FEATURE = "durable tasks"
_INSTALLED: weakref.WeakKeyDictionary[Any, Tasks] = weakref.WeakKeyDictionary()


def installed_tasks(app: Any) -> Tasks | None:
    """The `Tasks` installed on `app`, if any (how `vivace worker APP` finds them)."""
    return _INSTALLED.get(app)


class TaskDecorator(Protocol):
    """What `tasks.task(...)` with options returns: a decorator that keeps the function's types."""

    @overload
    def __call__(self, function: Callable[P, Awaitable[R]], /) -> Task[P, R]: ...

    @overload
    def __call__(self, function: Callable[P, R], /) -> Task[P, R]: ...


class _OwnScope:
    """Where app-scoped dependencies live when the tasks are used without an application."""

    def __init__(self) -> None:
        self.app_scope = AppScope()
        self.dependency_overrides: dict[Any, Any] = {}


def _load_tracing(provider: Callable[[], Any]) -> Any:
    try:
        # NOTE: imported on demand, so tasks work (untraced) without OpenTelemetry installed
        module = importlib.import_module("vivace.tasks._telemetry")
    except ImportError as exc:
        if not (exc.name or "").startswith("opentelemetry"):
            raise
        return None
    return module.TaskTracing(provider)


class Tasks:
    """Declares tasks (`@tasks.task`) and sends them through a backend (memory by default).

    `shutdown_timeout` bounds how long the memory backend lets tasks finish when the app stops; `sleep` and
    `clock` (the wait between retries, the dead letters' timestamps) can be replaced in tests;
    `tracer_provider` overrides the application's telemetry provider for task spans.
    """

    def __init__(
        self,
        backend: TaskBackend | None = None,
        *,
        shutdown_timeout: float = 30.0,
        sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
        clock: Callable[[], float] = time.time,
        tracer_provider: Any = None,
    ) -> None:
        self.backend: TaskBackend = backend if backend is not None else MemoryTaskBackend()
        self.shutdown_timeout = shutdown_timeout
        self.app: Any = None
        self._scope_owner: Any = _OwnScope()
        self._tasks: dict[str, Task[Any, Any]] = {}
        self._started = False
        self._worker = False
        self._inline = False
        self._inline_receiver: Receiver | None = None
        self._tracer_provider = tracer_provider
        self._tracing = _load_tracing(self._provider)
        self.runner = Runner(
            store=lambda: self.backend.store, owner=lambda: self._scope_owner, sleep=sleep, clock=clock,
            tracing=self._tracing,
        )  # fmt: skip

    # -- declaring ----------------------------------------------------------------------------------------

    @overload
    def task(self, function: Callable[P, Awaitable[R]], /) -> Task[P, R]: ...

    @overload
    def task(self, function: Callable[P, R], /) -> Task[P, R]: ...

    @overload
    def task(
        self,
        /,
        *,
        name: str | None = None,
        retries: int = 0,
        backoff: float = 1.0,
        max_backoff: float = 300.0,
        jitter: float = 0.0,
        retry_on: tuple[type[BaseException], ...] = (Exception,),
        time_limit: float | None = None,
    ) -> TaskDecorator: ...

    def task(
        self,
        function: Callable[..., Any] | None = None,
        /,
        *,
        name: str | None = None,
        retries: int = 0,
        backoff: float = 1.0,
        max_backoff: float = 300.0,
        jitter: float = 0.0,
        retry_on: tuple[type[BaseException], ...] = (Exception,),
        time_limit: float | None = None,
    ) -> Any:
        """Declare a task: `@tasks.task` or `@tasks.task(retries=3, backoff=2.0, time_limit=30)`.

        `retries` extra attempts wait `backoff * 2**(n-1)` seconds (at most `max_backoff`, plus up to `jitter`
        of it at random) after failure n, for the exceptions in `retry_on`; `time_limit` bounds each attempt.
        `name` (default `module:function`) is how workers find the task: keep it stable across deployments.
        """
        retry = RetryPolicy(retries, backoff, max_backoff, jitter, retry_on, time_limit)

        def declare(target: Callable[..., Any]) -> Task[Any, Any]:
            task_name = name or f"{target.__module__}:{target.__qualname__}"
            if task_name in self._tasks:
                raise ValueError(f"a task named {task_name!r} is already declared")
            declared: Task[Any, Any] = Task(self, target, name=task_name, policy=retry)
            self._register(declared)
            self._tasks[task_name] = declared
            return declared

        return declare if function is None else declare(function)

    def _register(self, task: Task[Any, Any]) -> None:
        runner = self.runner

        async def run(context: Annotated[Context, TaskiqDepends()], **arguments: Any) -> Any:
            return await runner.deliver(task, context.message, arguments)

        registered = self.backend.broker.register_task(run, task_name=task.name)
        registered.labels["schedule"] = task.schedules  # NOTE: the same list: `task.every()` adds to it

    def __getitem__(self, name: str) -> Task[Any, Any]:
        return self._tasks[name]

    def __iter__(self) -> Iterator[Task[Any, Any]]:
        return iter(self._tasks.values())

    # -- the application ----------------------------------------------------------------------------------

    def install(self, app: Any) -> None:
        """Start and stop with `app`, use its app-scoped dependencies and overrides, answer 503 when the backend
        is unreachable while serving."""
        if self.app is not None or installed_tasks(app) is not None:
            raise RuntimeError("a Tasks is installed on one application, and an application has one Tasks")
        self.app = self._scope_owner = app
        _INSTALLED[app] = self
        app.include_router(APIRouter(lifespan=self._lifespan))
        if BackendUnavailable not in app.exception_handlers:
            app.add_exception_handler(BackendUnavailable, _answer_unavailable)

    @asynccontextmanager
    async def _lifespan(self, app: Any) -> AsyncIterator[None]:
        await self.start()
        try:
            yield
        finally:
            await self.stop()

    def dependency_overrides(self) -> Mapping[Any, Any]:
        overrides: Mapping[Any, Any] = getattr(self._scope_owner, "dependency_overrides", {})
        return overrides

    def _provider(self) -> Any:
        if self._tracer_provider is not None:
            return self._tracer_provider
        telemetry = getattr(self.app, "_telemetry", None)  # NOTE: the app's `telemetry={...}` settings, if any
        return None if telemetry is None else telemetry.config.get("tracer_provider")

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self, *, worker: bool = False) -> None:
        """Connect the backend (the app's lifespan does this); in a worker, also create app-scoped values."""
        if self._started:
            return
        await self.backend.start(worker=worker)
        self._started = True
        self._worker = worker
        if worker:
            for task in self._tasks.values():
                await task.plan().warm(self._scope_owner)

    async def stop(self) -> None:
        """Disconnect the backend (an in-process backend first lets running tasks finish)."""
        if not self._started:
            return
        self._started = False
        try:
            await self.backend.stop(timeout=self.shutdown_timeout)
        finally:
            # NOTE: in a web process the application closes its own app scope; a worker does not run the app
            if self.app is None or self._worker:
                await self._scope_owner.app_scope.close()

    async def __aenter__(self) -> Tasks:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _client(self) -> TaskBackend:
        if not self._started:
            if not self.backend.in_process:
                raise TasksNotStarted(
                    "the task backend is not started: call tasks.install(app) and run the app's lifespan "
                    "(`with TestClient(app)`, a server), or use `async with tasks:`"
                )
            await self.start()  # NOTE: an app used without its lifespan still runs its in-process tasks
        return self.backend

    # -- sending and results ------------------------------------------------------------------------------

    async def send(
        self, task: Task[Any, R], arguments: dict[str, Any], *, key: str | None, when: datetime | None
    ) -> TaskHandle[R]:
        """Send validated `arguments` for `task` (see `Task.enqueue` and `Task.options`)."""
        backend = await self._client()
        task_id = uuid.uuid4().hex
        try:
            holder = None if key is None else await backend.store.reserve(key, task_id)
            if holder is not None:
                return task.handle(holder, duplicate=True)
            labels: dict[str, Any] = {KEY_LABEL: key or task_id}
            try:
                if self._tracing is None:
                    await self._deliver(backend, task, task_id, labels, arguments, when)
                else:
                    with self._tracing.sending(task.name, task_id, labels):
                        await self._deliver(backend, task, task_id, labels, arguments, when)
            except BaseException:
                if key is not None:
                    with anyio.CancelScope(shield=True), suppress(*backend.unavailable_errors):
                        await backend.store.release(key, task_id)  # NOTE: best effort: it was never sent
                raise
        except backend.unavailable_errors as exc:
            raise BackendUnavailable(FEATURE, exc) from exc
        return task.handle(task_id)

    async def _deliver(
        self,
        backend: TaskBackend,
        task: Task[Any, Any],
        task_id: str,
        labels: dict[str, Any],
        arguments: dict[str, Any],
        when: datetime | None,
    ) -> None:
        # NOTE: the message is built here, once tracing has written the trace context into `labels`
        message = TaskiqMessage(task_id=task_id, task_name=task.name, labels=labels, args=[], kwargs=arguments)
        if self._inline:
            await self._receiver(backend).callback(backend.broker.formatter.dumps(message).message)
        elif when is None:
            await backend.broker.kick(backend.broker.formatter.dumps(message))
        else:
            await backend.send_at(message.task_name, message.task_id, message.labels, message.kwargs, when)

    def _receiver(self, backend: TaskBackend) -> Receiver:
        if self._inline_receiver is None or self._inline_receiver.broker is not backend.broker:
            self._inline_receiver = Receiver(backend.broker, validate_params=False, run_startup=False,
                                             max_async_tasks=1)  # fmt: skip
        return self._inline_receiver

    @contextmanager
    def inline(self) -> Iterator[None]:
        """While the block runs, `enqueue()` runs the task to its end before returning (delays are skipped):
        for tests. Retries, dependencies, idempotency and dead letters behave as in a worker."""
        previous, self._inline = self._inline, True
        try:
            yield
        finally:
            self._inline = previous

    async def raw_result(self, task_id: str, timeout: float | None = None) -> Any:
        """The JSON value task `task_id` returned (TaskFailed, TimeoutError as `TaskHandle.result`)."""
        backend = await self._client()
        results = backend.broker.result_backend
        deadline = None if timeout is None else time.monotonic() + timeout
        interval = backend.poll_interval
        try:
            while not await results.is_result_ready(task_id):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"task {task_id} has no result after {timeout} s")
                await anyio.sleep(interval if left is None else min(interval, left))
                interval = min(interval * 1.5, 0.5)
            result = await results.get_result(task_id)
        except backend.unavailable_errors as exc:
            raise BackendUnavailable(FEATURE, exc) from exc
        if result.is_err:
            error = result.error
            if isinstance(error, TaskFailed):
                raise error
            raise TaskFailed("?", task_id, "no result" if error is None else describe(error), 0)
        return result.return_value

    async def result(self, task_id: str, timeout: float | None = None) -> Any:
        """The result of any task by id, as JSON data (a task's own `handle(id).result()` gives it typed)."""
        return await self.raw_result(task_id, timeout)

    async def join(self, timeout: float = 30.0) -> None:
        """Wait until every task queued in this process has run (the memory backend; tests and scripts).

        Delayed tasks still waiting for their time are not waited for. TimeoutError after `timeout` seconds.
        """
        await self.backend.join(timeout)

    async def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The tasks that failed for good, newest first."""
        backend = await self._client()
        try:
            return await backend.store.dead_letters(limit)
        except backend.unavailable_errors as exc:
            raise BackendUnavailable(FEATURE, exc) from exc


async def _answer_unavailable(request: Any, exc: Exception) -> Any:
    feature = exc.feature if isinstance(exc, BackendUnavailable) else FEATURE
    return await http_exception_handler(request, unavailable(feature))
