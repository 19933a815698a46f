"""A worker process and the scheduler process: what `vivace worker` and `vivace scheduler` run.

A worker takes tasks from the backend through taskiq's `Receiver`, `concurrency` at a time. On SIGTERM (or
SIGINT) it stops taking new ones and lets the running ones finish, for up to `shutdown_timeout` seconds; a second
signal, or the deadline, makes it give up on what is still running: those tasks are neither acknowledged nor
saved, so another worker (or this one, restarted) runs them again. Then the app-scoped dependencies the tasks used
are torn down, as at an application's shutdown.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from taskiq.acks import AcknowledgeType
from taskiq.receiver import Receiver

from vivace.tasks._schedule import has_schedules, run_schedules
from vivace.tasks._tasks import Tasks

__all__ = ["StartupError", "run_scheduler", "run_worker"]

logger = logging.getLogger("vivace.tasks")

_ABANDON_WAIT = 5.0  # seconds to let abandoned runs unwind (their teardown code runs)
_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextmanager
def _on_signals(handler: Callable[[], None]) -> Iterator[None]:
    loop = asyncio.get_running_loop()
    for signum in _SIGNALS:
        loop.add_signal_handler(signum, handler)
    try:
        yield
    finally:
        for signum in _SIGNALS:
            loop.remove_signal_handler(signum)


class StartupError(RuntimeError):
    """The worker or scheduler could not start: the backend is unreachable, or an app-scoped dependency failed."""


async def _start(tasks: Tasks, *, worker: bool) -> None:
    try:
        await tasks.start(worker=worker)
    except Exception as exc:
        await tasks.stop()
        raise StartupError(str(exc) if isinstance(exc, RuntimeError) else f"{type(exc).__name__}: {exc}") from exc


def _require_workers(tasks: Tasks, what: str) -> None:
    if tasks.backend.in_process:
        raise RuntimeError(
            f"the memory task backend runs tasks inside the application's process, so there is no {what} to run; "
            "use vivace.tasks.redis.RedisTaskBackend"
        )


async def run_worker(tasks: Tasks, *, concurrency: int, shutdown_timeout: float) -> None:
    """Run tasks until SIGTERM/SIGINT (see the module docstring)."""
    _require_workers(tasks, "worker")
    await _start(tasks, worker=True)
    try:
        names = ", ".join(task.name for task in tasks) or "none"
        logger.info("worker ready: concurrency %d, tasks: %s", concurrency, names)
        await _receive(tasks, concurrency, shutdown_timeout)
    finally:
        await tasks.stop()
        logger.info("worker stopped")


async def _receive(tasks: Tasks, concurrency: int, shutdown_timeout: float) -> None:
    receiver = Receiver(
        tasks.backend.broker, validate_params=False, max_async_tasks=concurrency, max_prefetch=0,
        run_startup=False, ack_type=AcknowledgeType.WHEN_SAVED, wait_tasks_timeout=shutdown_timeout,
    )  # fmt: skip
    finish = asyncio.Event()
    listening = asyncio.create_task(receiver.listen(finish))

    def on_signal() -> None:
        if finish.is_set():
            logger.warning("second signal: giving up on the running tasks now")
            listening.cancel()
            return
        running = len(tasks.runner.running)
        logger.info("stopping: waiting up to %.1f s for %d running task(s)", shutdown_timeout, running)
        finish.set()

    with _on_signals(on_signal), suppress(asyncio.CancelledError):
        await listening
    await _abandon(tasks)


async def _abandon(tasks: Tasks) -> None:
    """Give up on the runs still in progress: they are redelivered to another worker."""
    running = set(tasks.runner.running)
    if not running:
        return
    logger.warning("%d task(s) did not finish in time; they will run again on another worker", len(running))
    tasks.backend.abandon()
    for run in running:
        run.cancel()
    await asyncio.wait(running, timeout=_ABANDON_WAIT)


async def run_scheduler(tasks: Tasks, *, update_interval: float) -> None:
    """Send periodic and delayed tasks when due, until SIGTERM/SIGINT. Run exactly one per backend."""
    _require_workers(tasks, "scheduler")
    await _start(tasks, worker=False)
    tasks.backend.broker.is_scheduler_process = True
    try:
        periodic = sum(len(task.schedules) for task in tasks)
        logger.info("scheduler ready: %d periodic schedule(s), checking for delayed tasks every %.1f s", periodic,
                    update_interval)  # fmt: skip
        if not has_schedules(tasks.backend.broker):
            logger.info("no periodic schedules are declared; only delayed tasks will be sent")
        job = asyncio.create_task(
            run_schedules(tasks.backend.broker, tasks.backend.schedule_sources(), update_interval=update_interval)
        )

        def on_signal() -> None:
            job.cancel()

        with _on_signals(on_signal), suppress(asyncio.CancelledError):
            await job
    finally:
        await tasks.stop()
        logger.info("scheduler stopped")
