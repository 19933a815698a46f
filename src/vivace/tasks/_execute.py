"""Running one delivered task: once per idempotency key, attempt after attempt, until it succeeds or fails for good.

A delivery goes through these steps:
1. a key that already ran to completion gives back the recorded outcome (a redelivery after a crash, or the same
   task enqueued twice): the task does not run again;
2. otherwise each attempt is counted in the store before it starts, then the task's dependencies are resolved and
   the task is called, within the per-attempt time limit;
3. a failure the policy retries waits `policy.delay(attempt)` and tries again; the last failure, or one that is
   not retried, goes to the dead-letter list and the task's result is a `TaskFailed` error. An attempt cut short
   by its worker's death is not a failure: the task runs again, but only `MAX_INTERRUPTIONS` times, so a task
   that kills every worker it runs on ends in the dead-letter list instead of looping;
4. the outcome is recorded under the key in one atomic write, before the broker acknowledges the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

import anyio
from pydantic_core import to_jsonable_python
from taskiq import TaskiqMessage

from vivace.tasks._backend import DeadLetter, TaskStore
from vivace.tasks._errors import TaskArgumentsError, TaskFailed
from vivace.tasks._plan import TaskPlan
from vivace.tasks._policy import RetryPolicy

__all__ = ["KEY_LABEL", "MAX_INTERRUPTIONS", "Runner", "TaskInfo", "current_task"]

logger = logging.getLogger("vivace.tasks")

KEY_LABEL = "vivace_key"
MAX_INTERRUPTIONS = 3  # runs of one task cut short by a dying worker before it counts as failed for good
_CURRENT: ContextVar[TaskInfo] = ContextVar("vivace_task")


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """The task being run, for code that needs it: `Annotated[TaskInfo, Depends(current_task)]`."""

    id: str
    name: str
    key: str  # the idempotency key: the one given to `options(key=...)`, else the task id
    attempt: int  # 1 for the first attempt, n after n-1 failed ones (a run cut short by a crash is not one)
    max_attempts: int


async def current_task() -> TaskInfo:
    """A dependency giving the running task's `TaskInfo`; outside a task it raises RuntimeError."""
    try:
        return _CURRENT.get()
    except LookupError:
        raise RuntimeError("current_task() is only available while a task runs") from None


class RunnableTask(Protocol):
    """What the runner needs of a declared task (`vivace.tasks.Task`)."""

    @property
    def name(self) -> str: ...

    @property
    def policy(self) -> RetryPolicy: ...

    def plan(self) -> TaskPlan: ...


class TimeLimitExceeded(Exception):
    """An attempt ran past the task's `time_limit` and was stopped (a failure like any other)."""


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class Runner:
    """Runs deliveries for one `Tasks`; keeps track of the runs in progress so a worker can abandon them."""

    def __init__(
        self,
        *,
        store: Callable[[], TaskStore],
        owner: Callable[[], Any],
        sleep: Callable[[float], Awaitable[Any]],
        clock: Callable[[], float],
        tracing: Any,
    ) -> None:
        self._store = store
        self._owner = owner
        self.sleep = sleep  # NOTE: public, so a test can make the waits between retries instant
        self._clock = clock
        self._tracing = tracing
        self.running: set[asyncio.Task[Any]] = set()

    async def deliver(self, task: RunnableTask, message: TaskiqMessage, arguments: Mapping[str, Any]) -> Any:
        """Run `message` (step 1 to 4 above); returns the JSON-able result or raises TaskFailed."""
        key = str(message.labels.get(KEY_LABEL) or message.task_id)
        store = self._store()
        done, outcome = await store.completion(key)
        if done:
            logger.info("task %s (%s) already ran for key %r: not run again", task.name, message.task_id, key)
            return _unpack(task.name, message.task_id, outcome)
        current = asyncio.current_task()
        if current is not None:
            self.running.add(current)
        try:
            if self._tracing is None:
                return await self._attempts(task, message, key, arguments, store)
            with self._tracing.processing(task.name, message.task_id, message.labels):
                return await self._attempts(task, message, key, arguments, store)
        finally:
            if current is not None:
                self.running.discard(current)

    async def _attempts(
        self, task: RunnableTask, message: TaskiqMessage, key: str, arguments: Mapping[str, Any], store: TaskStore
    ) -> Any:
        policy = task.policy
        while True:
            begun, failed = await store.begin_attempt(key)
            attempt = failed + 1
            interrupted = begun - 1 - failed  # NOTE: attempts that never reported back: their worker died
            if interrupted > MAX_INTERRUPTIONS:
                error = f"its worker stopped while running it, {interrupted} times"
                raise await self._fail(task, message, key, arguments, error, attempt, store)
            try:
                value = await self._attempt(task, message, key, attempt, arguments)
            except Exception as exc:
                await store.fail_attempt(key)
                retry = not isinstance(exc, TaskArgumentsError) and policy.should_retry(exc, attempt)
                if not retry:
                    raise await self._fail(task, message, key, arguments, describe(exc), attempt, store) from exc
                delay = policy.delay(attempt)
                logger.warning(
                    "task %s (%s) attempt %d failed (%s); retrying in %.2f s",
                    task.name, message.task_id, attempt, describe(exc), delay,
                )  # fmt: skip
                await self.sleep(delay)
                continue
            await store.complete(key, {"value": value})
            return value

    async def _attempt(
        self, task: RunnableTask, message: TaskiqMessage, key: str, attempt: int, arguments: Mapping[str, Any]
    ) -> Any:
        plan = task.plan()
        values = plan.values(arguments)
        limit = task.policy.time_limit
        token = _CURRENT.set(TaskInfo(message.task_id, task.name, key, attempt, task.policy.max_attempts))
        try:
            with anyio.move_on_after(limit) as scope:
                result = await plan.run(self._owner(), values)
        finally:
            _CURRENT.reset(token)
        if scope.cancelled_caught:
            raise TimeLimitExceeded(f"the attempt took longer than its time limit of {limit} s")
        return to_jsonable_python(result)

    async def _fail(
        self,
        task: RunnableTask,
        message: TaskiqMessage,
        key: str,
        arguments: Mapping[str, Any],
        error: str,
        attempts: int,
        store: TaskStore,
    ) -> TaskFailed:
        letter = DeadLetter(
            task_id=message.task_id, task=task.name, key=key, arguments=dict(arguments), error=error,
            attempts=attempts, failed_at=self._clock(),
        )  # fmt: skip
        await store.bury(letter)
        await store.complete(key, {"error": error, "attempts": attempts})
        logger.error(
            "task %s (%s) failed for good after %d attempt(s): %s", task.name, message.task_id, attempts, error
        )
        return TaskFailed(task.name, message.task_id, error, attempts)


def _unpack(task: str, task_id: str, outcome: Mapping[str, Any]) -> Any:
    """The value a recorded outcome holds, or its failure raised again."""
    if "error" in outcome:
        raise TaskFailed(task, task_id, str(outcome["error"]), int(outcome["attempts"]))
    return outcome["value"]
