"""What durable tasks raise: bad arguments at enqueue time, and a task that failed for good."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from vivace.exceptions import FastAPIError

__all__ = ["TaskArgumentsError", "TaskDeclarationError", "TaskFailed", "TasksNotStarted"]


class TaskDeclarationError(FastAPIError):
    """A task declared in a way that cannot work in a worker (a request-only dependency, a generator task...).

    Raised by the decorator, so the mistake shows when the module is imported, not when a worker runs the task.
    """


class TaskArgumentsError(ValueError):
    """The arguments given to `enqueue()` do not match the task's signature; nothing was enqueued.

    `errors` lists each problem as `{"type", "loc", "msg", "input"}`, `loc` naming the argument.
    """

    def __init__(self, task: str, errors: Sequence[dict[str, Any]]) -> None:
        self.task = task
        self.errors = list(errors)
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in self.errors)
        super().__init__(f"invalid arguments for task {task!r}: {problems}")


class TaskFailed(Exception):
    """The task ended in failure: its last attempt raised (or timed out) and no retry was left.

    The arguments are plain strings and an int, so the error survives a trip through any result store.
    """

    def __init__(self, task: str, task_id: str, error: str, attempts: int) -> None:
        super().__init__(task, task_id, error, attempts)
        self.task = task
        self.task_id = task_id
        self.error = error
        self.attempts = attempts

    def __str__(self) -> str:
        tries = "attempt" if self.attempts == 1 else "attempts"
        return f"task {self.task!r} ({self.task_id}) failed after {self.attempts} {tries}: {self.error}"


class TasksNotStarted(RuntimeError):
    """A task was enqueued (or a result asked for) before the task backend was started."""
