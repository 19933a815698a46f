"""The memory task backend: tasks run in the application's own process, in the background, with every feature
of durable tasks except durability (a task still queued when the process dies is lost).

It is the default, for development, tests and single-process deployments. A taskiq broker whose `kick` puts the
message on a bounded queue that `concurrency` consumers drain through taskiq's own `Receiver`, so a task runs
exactly as it would in a worker; results go to taskiq's in-memory result backend (bounded).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Mapping
from datetime import UTC, datetime
from typing import Any

from taskiq import AsyncBroker, BrokerMessage, ScheduleSource, TaskiqMessage
from taskiq.brokers.inmemory_broker import InmemoryResultBackend
from taskiq.receiver import Receiver

from vivace.tasks._memory_store import DEFAULT_TTL, MemoryTaskStore
from vivace.tasks._schedule import has_schedules, run_schedules

__all__ = ["MemoryTaskBackend", "TaskQueueFull"]

logger = logging.getLogger("vivace.tasks")


class TaskQueueFull(RuntimeError):
    """The memory backend already holds `max_pending` tasks waiting to run; this one was not enqueued."""


class _MemoryBroker(AsyncBroker):
    """A taskiq broker that keeps its queue in this process."""

    def __init__(self, *, concurrency: int, max_pending: int, max_results: int) -> None:
        super().__init__()
        self.with_result_backend(InmemoryResultBackend(max_stored_results=max_results))
        self.concurrency = concurrency
        self.max_pending = max_pending
        self._receiver: Receiver | None = None
        self._queue: asyncio.Queue[bytes] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._consumers: list[asyncio.Task[None]] = []
        self._timers: set[asyncio.TimerHandle] = set()

    @property
    def receiver(self) -> Receiver:
        if self._receiver is None:
            # NOTE: built on first use, once the tasks are registered; the limit is the consumers' count anyway
            self._receiver = Receiver(self, validate_params=False, run_startup=False, max_async_tasks=self.concurrency)
        return self._receiver

    async def kick(self, message: BrokerMessage) -> None:
        self._put(message.message)

    def listen(self) -> AsyncGenerator[bytes, None]:
        raise RuntimeError("the memory task backend runs tasks in the application's process; it has no workers")

    def _put(self, data: bytes) -> None:
        queue = self._running_queue()
        try:
            queue.put_nowait(data)
        except asyncio.QueueFull:
            raise TaskQueueFull(
                f"{self.max_pending} tasks are already waiting in the memory task backend; raise max_pending or "
                "use the Redis backend with workers"
            ) from None

    def _running_queue(self) -> asyncio.Queue[bytes]:
        """The queue of the running event loop, with its consumers (started on first use in each loop).

        NOTE: an application used without its lifespan (a TestClient outside `with`) may run each request in a
        new event loop; tasks still waiting in the previous loop's queue move to the new one.
        """
        loop = asyncio.get_running_loop()
        if self._queue is not None and self._loop is loop:
            return self._queue
        waiting = _drain(self._queue)
        self._queue = asyncio.Queue(self.max_pending)
        self._loop = loop
        for data in waiting:
            self._queue.put_nowait(data)
        self._consumers = [loop.create_task(self._consume(self._queue)) for _ in range(self.concurrency)]
        return self._queue

    async def _consume(self, queue: asyncio.Queue[bytes]) -> None:
        current = asyncio.current_task()
        while True:
            data = await queue.get()
            try:
                await self.receiver.callback(data)
            except Exception:  # NOTE: a consumer outlives any one task; the receiver already logged the failure
                logger.exception("a task could not be run")
            finally:
                queue.task_done()
            if current is not None and current.cancelling():
                # NOTE: taskiq's receiver catches the cancellation of the task it runs; stop as asked all the same
                raise asyncio.CancelledError

    def deliver_at(self, data: bytes, when: datetime) -> None:
        loop = asyncio.get_running_loop()
        self._running_queue()
        delay = max(0.0, (when - datetime.now(UTC)).total_seconds())
        handle: asyncio.TimerHandle

        def due() -> None:
            self._timers.discard(handle)
            try:
                self._put(data)
            except TaskQueueFull as exc:
                logger.error("a delayed task was dropped: %s", exc)

        handle = loop.call_later(delay, due)
        self._timers.add(handle)

    async def drain(self, timeout: float) -> bool:
        """Wait until no task is queued or running (at most `timeout` s); True if that happened in time."""
        queue = self._queue
        if queue is None or self._loop is not asyncio.get_running_loop():
            return True
        try:
            await asyncio.wait_for(queue.join(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop_consumers(self, timeout: float) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        if not await self.drain(timeout):
            logger.warning("tasks still running after %.1f s were cancelled at shutdown", timeout)
        consumers, self._consumers = self._consumers, []
        if self._loop is asyncio.get_running_loop() and consumers:
            for consumer in consumers:
                consumer.cancel()
            await asyncio.wait(consumers, timeout=timeout)
        self._queue = self._loop = None


def _drain(queue: asyncio.Queue[bytes] | None) -> list[bytes]:
    items: list[bytes] = []
    while queue is not None and not queue.empty():
        items.append(queue.get_nowait())
    return items


class MemoryTaskBackend:
    """Tasks run in this process, after being queued; see the module docstring and docs/guide/durable-tasks.md.

    `concurrency` tasks run at once; at most `max_pending` wait (enqueue raises `TaskQueueFull` beyond); the
    last `max_results` results are kept; idempotency keys and completions are kept `ttl` seconds.
    """

    in_process = True
    poll_interval = 0.01
    unavailable_errors: tuple[type[BaseException], ...] = ()

    def __init__(
        self,
        *,
        concurrency: int = 10,
        max_pending: int = 10_000,
        max_results: int = 1_000,
        max_dead_letters: int = 1_000,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self.broker = _MemoryBroker(concurrency=concurrency, max_pending=max_pending, max_results=max_results)
        self.store = MemoryTaskStore(max_keys=max(max_pending, max_results) * 10, max_dead_letters=max_dead_letters,
                                     ttl=ttl)  # fmt: skip
        self._schedules: asyncio.Task[None] | None = None

    async def start(self, *, worker: bool) -> None:
        if worker:
            raise RuntimeError(
                "the memory task backend runs tasks inside the application's process; workers need "
                "vivace.tasks.redis.RedisTaskBackend"
            )
        await self.broker.startup()
        self.broker._running_queue()
        if has_schedules(self.broker):
            # NOTE: the periodic tasks of a memory backend are sent by the application's process itself
            self._schedules = asyncio.create_task(run_schedules(self.broker, [], update_interval=60.0))

    async def stop(self, *, timeout: float) -> None:
        schedules, self._schedules = self._schedules, None
        if schedules is not None:
            schedules.cancel()
            await asyncio.gather(schedules, return_exceptions=True)
        await self.broker.stop_consumers(timeout)
        await self.broker.shutdown()

    async def send_at(
        self, task: str, task_id: str, labels: Mapping[str, Any], arguments: Mapping[str, Any], when: datetime
    ) -> None:
        message = TaskiqMessage(task_id=task_id, task_name=task, labels=dict(labels), args=[], kwargs=dict(arguments))
        self.broker.deliver_at(self.broker.formatter.dumps(message).message, when)

    def schedule_sources(self) -> list[ScheduleSource]:
        return []

    def abandon(self) -> None:  # pragma: no cover - only workers abandon tasks, and this backend has none
        pass

    async def join(self, timeout: float = 30.0) -> None:
        """Wait until every queued task has run (tests, scripts); TimeoutError after `timeout` seconds."""
        if not await self.broker.drain(timeout):
            raise TimeoutError(f"tasks were still running after {timeout} s")
