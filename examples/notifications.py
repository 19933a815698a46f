"""Telling a user that a note was shared with them: a durable task (`vivace.tasks`), retried when sending fails.

The "sending" is one line on the `examples.notifications` logger; a real service would call a mail or push API
in `LogNotifier.send`, which can fail for a while. The task therefore retries a `NotificationFailed` up to
`RETRIES` times, waiting 1, 2, 4 then 8 seconds, and a task that fails for good leaves a dead letter.

Where tasks run is chosen when the application is built, from `VIVACE_EXAMPLE_REDIS_URL` (a task is registered
with its backend when it is declared, so this cannot wait for startup as the other shared stores do):

- unset (`make run`): the memory backend, which runs tasks in the web process, in the background;
- set: the Redis backend. Web processes only send tasks; `vivace worker examples/app.py` (with the same
  environment) runs them, as many worker processes as needed.
"""

from __future__ import annotations

import logging
from typing import Annotated, Protocol

from vivace import Depends
from vivace.tasks import MemoryTaskBackend, TaskBackend, TaskInfo, Tasks, current_task

from .settings import Settings
from .shared import REDIS_PREFIX

__all__ = [
    "NOTIFY_SHARE",
    "RETRIES",
    "FlakyNotifier",
    "LogNotifier",
    "NotificationFailed",
    "Notifier",
    "NotifierDep",
    "get_notifier",
    "make_tasks",
    "notify_share",
    "task_backend",
]

logger = logging.getLogger("examples.notifications")

# NOTE: the name workers know the task by; it must stay the same across deployments while tasks are queued.
NOTIFY_SHARE = "notes.notify_share"
RETRIES = 4
BACKOFF = 1.0


class NotificationFailed(Exception):
    """The notification service failed in a way worth retrying (a timeout, a 503)."""


class Notifier(Protocol):
    async def send(self, recipient: str, message: str) -> None: ...


class LogNotifier:
    """Sends a notification by logging it: the demo's stand-in for a mail or push service."""

    async def send(self, recipient: str, message: str) -> None:
        logger.info("notify %s: %s", recipient, message)


class FlakyNotifier(LogNotifier):
    """Fails the first `failures` sends with `NotificationFailed`, then sends: a service that is down for a while.

    Swap it in with `app.dependency_overrides[get_notifier] = lambda: flaky` to watch the retries.
    """

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts = 0

    async def send(self, recipient: str, message: str) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise NotificationFailed(f"notification service unavailable (attempt {self.attempts})")
        await super().send(recipient, message)


async def get_notifier() -> Notifier:
    """One notifier per process (scope="app"): in the web process with memory tasks, in each worker with Redis."""
    return LogNotifier()


NotifierDep = Annotated[Notifier, Depends(get_notifier, scope="app")]


async def notify_share(
    note_id: int,
    title: str,
    sender: str,
    recipient: str,
    notifier: NotifierDep,
    task: Annotated[TaskInfo, Depends(current_task)],
) -> str:
    """Tell `recipient` that `sender` shared a note with them; returns the message sent.

    The arguments carry everything the message needs, so the task reads nothing from the database: it says
    what was shared when it was shared, even if the note is renamed before a retry.
    """
    message = f"{sender} shared the note {title!r} (#{note_id}) with you"
    if task.attempt > 1:
        logger.debug("notification %s: attempt %d of %d", task.key, task.attempt, task.max_attempts)
    await notifier.send(recipient, message)
    return message


def task_backend(settings: Settings) -> TaskBackend:
    """Memory (tasks run in this process) without a Redis URL; Redis (tasks run by `vivace worker`) with one."""
    if settings.redis_url is None:
        return MemoryTaskBackend()
    from vivace.tasks.redis import RedisTaskBackend  # noqa: PLC0415 - the redis extra only when configured

    return RedisTaskBackend(settings.redis_url, prefix=REDIS_PREFIX + "tasks")


def make_tasks(settings: Settings) -> Tasks:
    """The application's durable tasks, on the backend `settings` choose; one `Tasks` per application."""
    tasks = Tasks(task_backend(settings))
    tasks.task(name=NOTIFY_SHARE, retries=RETRIES, backoff=BACKOFF, retry_on=(NotificationFailed,))(notify_share)
    return tasks
