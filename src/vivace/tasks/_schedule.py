"""Periodic and delayed tasks through taskiq's scheduler.

Periodic runs are declared on the task (`task.every("*/5 * * * *")`) and read by taskiq's label-based schedule
source; delayed runs (`task.options(delay=...)`) are written by the backend to its own source (a list-based Redis
source for `RedisTaskBackend`). One loop, `TaskiqScheduler` + taskiq's `SchedulerLoop`, sends each run when it is
due. Exactly one such loop may run for a broker, or periodic tasks run once per loop: the `vivace scheduler`
process for Redis, the application's own process for the memory backend.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta

import anyio
from taskiq import AsyncBroker, ScheduleSource, TaskiqScheduler
from taskiq.cli.scheduler.run import SchedulerLoop
from taskiq.schedule_sources import LabelScheduleSource

__all__ = ["has_schedules", "run_schedules"]

logger = logging.getLogger("vivace.tasks")


def has_schedules(broker: AsyncBroker) -> bool:
    """Whether any task registered on `broker` has a periodic schedule."""
    return any(task.labels.get("schedule") for task in broker.local_task_registry.values())


async def run_schedules(broker: AsyncBroker, sources: Sequence[ScheduleSource], *, update_interval: float) -> None:
    """Send scheduled tasks when they are due, until cancelled; `update_interval` is how often (in seconds)
    the sources are read again, which bounds how late a delayed task can be."""
    scheduler = TaskiqScheduler(broker, [LabelScheduleSource(broker), *sources])
    started: list[ScheduleSource] = []
    try:
        for source in scheduler.sources:
            await source.startup()
            started.append(source)
        loop = SchedulerLoop(scheduler, event_loop=asyncio.get_running_loop())
        await loop.run(update_interval=timedelta(seconds=update_interval))
    finally:
        with anyio.CancelScope(shield=True):
            for source in reversed(started):
                await source.shutdown()
