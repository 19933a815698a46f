"""What `enqueue()` returns: the task's id, and a way to wait for its result."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

__all__ = ["TaskHandle"]

R = TypeVar("R")


class TaskHandle(Generic[R]):
    """An enqueued task. `id` identifies it anywhere (`tasks.result(id)` in another process works too).

    `duplicate` is True when the idempotency key had been used already: nothing new was enqueued, and `id` is
    the task that holds the key.
    """

    __slots__ = ("_fetch", "duplicate", "id", "task")

    def __init__(
        self, task: str, task_id: str, fetch: Callable[[str, float | None], Awaitable[R]], *, duplicate: bool = False
    ) -> None:
        self.task = task
        self.id = task_id
        self.duplicate = duplicate
        self._fetch = fetch

    async def result(self, timeout: float | None = None) -> R:
        """The task's return value (validated as its return annotation) once it has run.

        Raises `TaskFailed` if it failed for good, `TimeoutError` if there is no result after `timeout` seconds
        (None waits as long as it takes).
        """
        return await self._fetch(self.id, timeout)

    def __repr__(self) -> str:
        extra = ", duplicate" if self.duplicate else ""
        return f"TaskHandle({self.task!r}, id={self.id!r}{extra})"

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, TaskHandle) and (other.task, other.id) == (self.task, self.id)

    def __hash__(self) -> int:
        return hash((self.task, self.id))
