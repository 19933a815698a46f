"""What a task backend provides: a taskiq broker (transport + results), a store (keys, attempts, dead letters),
delayed delivery and the schedule sources a scheduler reads. `MemoryTaskBackend` and
`vivace.tasks.redis.RedisTaskBackend` implement it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from taskiq import AsyncBroker, ScheduleSource

__all__ = ["DeadLetter", "TaskBackend", "TaskStore"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A task that failed for good: what it was asked to do, and why it stopped."""

    task_id: str
    task: str
    key: str  # the idempotency key (the task id unless one was given)
    arguments: dict[str, Any]
    error: str  # the last attempt's error, as "ExceptionType: message"
    attempts: int
    failed_at: float  # a Unix timestamp

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> DeadLetter:
        return cls(**json.loads(raw))


class TaskStore(Protocol):
    """Per-key bookkeeping that makes delivery at-least-once but execution once: every method is atomic."""

    async def reserve(self, key: str, task_id: str) -> str | None:
        """Claim `key` for `task_id`; if it was claimed already, the task id that holds it (nothing is sent)."""
        ...

    async def release(self, key: str, task_id: str) -> None:
        """Give `key` up if `task_id` still holds it (the task could not be sent after all)."""
        ...

    async def completion(self, key: str) -> tuple[bool, Any]:
        """`(True, value)` when a task with this key ran to completion, else `(False, None)`."""
        ...

    async def begin_attempt(self, key: str) -> tuple[int, int]:
        """Count one more attempt begun for `key`; returns how many have begun (this one included) and how many
        of them failed. The difference, less one, is how many were interrupted (their worker died)."""
        ...

    async def fail_attempt(self, key: str) -> None:
        """Count one failed attempt for `key`."""
        ...

    async def complete(self, key: str, value: Any) -> None:
        """Record that `key` ran to completion with `value` (JSON-able), in one atomic write."""
        ...

    async def bury(self, letter: DeadLetter) -> None:
        """Add `letter` to the dead-letter list (bounded: the oldest letters go first)."""
        ...

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        """The most recent dead letters, newest first."""
        ...


class TaskBackend(Protocol):
    """A transport for tasks and the state around them."""

    @property
    def broker(self) -> AsyncBroker:
        """The taskiq broker, with its result backend set."""
        ...

    @property
    def store(self) -> TaskStore: ...

    @property
    def in_process(self) -> bool:
        """True when tasks run inside the application's own process (the memory backend), not in workers."""
        ...

    @property
    def poll_interval(self) -> float:
        """How often a caller waiting for a result asks the result backend again, in seconds."""
        ...

    @property
    def unavailable_errors(self) -> tuple[type[BaseException], ...]:
        """What the store's client raises when the store is unreachable (turned into `BackendUnavailable`)."""
        ...

    async def start(self, *, worker: bool) -> None:
        """Connect (and, for an in-process backend, start running tasks); `worker` in a worker process."""
        ...

    async def stop(self, *, timeout: float) -> None:
        """Disconnect; an in-process backend first lets queued and running tasks finish, up to `timeout` s."""
        ...

    async def send_at(
        self, task: str, task_id: str, labels: Mapping[str, Any], arguments: Mapping[str, Any], when: datetime
    ) -> None:
        """Deliver the task at `when` (an aware datetime) rather than now."""
        ...

    def schedule_sources(self) -> list[ScheduleSource]:
        """Where a scheduler finds delayed tasks (besides the periodic ones declared on tasks)."""
        ...

    async def join(self, timeout: float = 30.0) -> None:
        """Wait until the tasks queued in this process have run (TimeoutError after `timeout` s); a backend whose
        tasks run in workers has nothing queued here and returns at once."""
        ...

    def abandon(self) -> None:
        """A worker gives up on its running tasks: nothing more is acknowledged or saved, so they are redelivered."""
        ...
