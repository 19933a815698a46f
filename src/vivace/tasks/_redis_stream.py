"""taskiq-redis's stream broker, made safe for long tasks and for workers that die or stop.

What changes from `RedisStreamBroker` (same stream, consumer group, XADD and connection pool):
- a worker reads **one message at a time** (`XREADGROUP ... COUNT 1`), only when it has room to run it, so no
  message waits, already claimed, behind a busy worker;
- every message a worker holds has its **idle time reset by a heartbeat** (`XCLAIM ... JUSTID` to itself), so a
  task running longer than `reclaim_after` is not handed to a second worker while the first is alive;
- a worker **reclaims** (`XAUTOCLAIM`) messages that have been idle longer than `reclaim_after`: those of a worker
  that crashed, was killed, or stopped before its tasks finished;
- acknowledging **also deletes** the entry (`XACK` + `XDEL` in one transaction), so the stream holds only the
  backlog; a worker that gives up on its tasks (`abandon()`) acknowledges and saves nothing more.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from taskiq import AckableMessage
from taskiq.result import TaskiqResult
from taskiq.serializers import JSONSerializer
from taskiq_redis import ListRedisScheduleSource, RedisAsyncResultBackend, RedisStreamBroker

from vivace._redis import REDIS_ERRORS

__all__ = ["Results", "Schedules", "StreamBroker"]

logger = logging.getLogger("vivace.tasks")

_RETRY_SECONDS = 1.0  # how often a worker that lost Redis tries again
_STOP_WAIT = 2.0  # seconds a stopping worker waits for its heartbeat to end


class Results(RedisAsyncResultBackend[Any]):
    """Results as JSON (never pickle: a result store must not be able to run code in the reader)."""

    def __init__(self, url: str, *, prefix: str, ttl: int, max_connections: int) -> None:
        super().__init__(
            url, result_ex_time=ttl, prefix_str=prefix, serializer=JSONSerializer(),
            max_connection_pool_size=max_connections,
        )  # fmt: skip
        self.abandoned = False

    async def set_result(self, task_id: str, result: TaskiqResult[Any]) -> None:
        if not self.abandoned:
            await super().set_result(task_id, result)


class Schedules(ListRedisScheduleSource):
    """Delayed tasks, stored as JSON; the connection pool is closed with the source."""

    def __init__(self, url: str, *, prefix: str, max_connections: int) -> None:
        super().__init__(url, prefix=prefix, serializer=JSONSerializer(), max_connection_pool_size=max_connections)

    async def shutdown(self) -> None:
        await super().shutdown()
        await self._connection_pool.disconnect()


class StreamBroker(RedisStreamBroker):
    """See the module docstring."""

    def __init__(
        self, url: str, *, stream: str, group: str, reclaim_after: float, block: float, **options: Any
    ) -> None:
        super().__init__(
            url, queue_name=stream, consumer_group_name=group, consumer_id="0", xread_block=int(block * 1000),
            idle_timeout=int(reclaim_after * 1000), xread_count=1, **options,
        )  # fmt: skip
        self.reclaim_after = reclaim_after
        self._held: set[bytes] = set()
        self._heartbeat: asyncio.Task[None] | None = None
        self._beating = False
        self._abandoned = False

    async def startup(self) -> None:
        await super().startup()
        if self.is_worker_process:
            self._beating = True
            self._heartbeat = asyncio.create_task(self._beat())

    async def shutdown(self) -> None:
        heartbeat, self._heartbeat = self._heartbeat, None
        if heartbeat is not None:
            self._beating = False
            heartbeat.cancel()
            # NOTE: bounded: a cancellation that lands inside a Redis command may be absorbed by the client
            await asyncio.wait({heartbeat}, timeout=_STOP_WAIT)
            await self._leave_group()
        await super().shutdown()

    def abandon(self) -> None:
        """Stop acknowledging and heartbeating: every message held is left for another worker to reclaim."""
        self._abandoned = True
        self._beating = False
        if isinstance(self.result_backend, Results):
            self.result_backend.abandoned = True
        if self._heartbeat is not None:
            self._heartbeat.cancel()

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async with Redis(connection_pool=self.connection_pool) as redis:
            next_reclaim = 0.0
            lost = False
            while True:
                try:
                    entries, next_reclaim = await self._next_entries(redis, next_reclaim)
                except ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    # NOTE: Redis restarted without its data: the group (and the stream) must be created again
                    await self._declare_consumer_group()
                    continue
                except REDIS_ERRORS as exc:
                    _raise_if_cancelled()
                    # NOTE: the worker outlives a Redis outage: redis-py reconnects on the next command
                    if not lost:
                        logger.warning("lost Redis (%s); retrying every second", exc)
                    lost = True
                    await asyncio.sleep(_RETRY_SECONDS)
                    continue
                if lost:
                    logger.warning("Redis is back; taking tasks again")
                    lost = False
                for message_id, fields in entries:
                    yield self._hold(message_id, fields[b"data"])

    async def _next_entries(self, redis: Redis, next_reclaim: float) -> tuple[list[Any], float]:
        """A reclaimed message when one is due for it, else the next new message (or none after `block`)."""
        if time.monotonic() >= next_reclaim:
            entries = await self._reclaim(redis)
            next_reclaim = time.monotonic() + min(max(self.reclaim_after / 4, 0.1), 5.0)
            if entries:
                return entries, next_reclaim
        fetched: Any = await redis.xreadgroup(
            self.consumer_group_name, self.consumer_name, {self.queue_name: ">"}, block=self.block, count=1
        )
        return [entry for _, stream_entries in fetched or [] for entry in stream_entries], next_reclaim

    async def _reclaim(self, redis: Redis) -> list[Any]:
        """One message idle for longer than `reclaim_after`, now ours (its worker is gone)."""
        claimed = await redis.xautoclaim(
            self.queue_name, self.consumer_group_name, self.consumer_name, min_idle_time=self.idle_timeout, count=1
        )
        entries = [entry for entry in claimed[1] if entry and entry[1]]
        if entries:
            logger.warning("reclaimed task message %s from a worker that stopped", entries[0][0].decode())
        return entries

    def _hold(self, message_id: bytes, data: bytes) -> AckableMessage:
        self._held.add(message_id)
        return AckableMessage(data=data, ack=self._acknowledger(message_id))

    def _acknowledger(self, message_id: bytes) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            if self._abandoned:
                return  # NOTE: left pending on purpose: another worker reclaims it and runs it again
            try:
                async with Redis(connection_pool=self.connection_pool) as redis, redis.pipeline() as pipe:
                    pipe.xack(self.queue_name, self.consumer_group_name, message_id)
                    pipe.xdel(self.queue_name, message_id)
                    await pipe.execute()
            except REDIS_ERRORS as exc:
                logger.warning("could not acknowledge task message %s (%s); it may run again", message_id, exc)
            self._held.discard(message_id)

        return ack

    async def _beat(self) -> None:
        interval = max(self.reclaim_after / 3, 0.05)
        async with Redis(connection_pool=self.connection_pool) as redis:
            while self._beating:
                await asyncio.sleep(interval)
                try:
                    await self._touch(redis)
                except REDIS_ERRORS as exc:
                    _raise_if_cancelled()
                    logger.warning("task heartbeat failed (%s); held tasks may be reclaimed", exc)

    async def _touch(self, redis: Redis) -> None:
        """Reset the idle time of the messages this worker holds (and still owns)."""
        if not self._held:
            return
        pending = await redis.xpending_range(
            self.queue_name, self.consumer_group_name, min="-", max="+", count=len(self._held) + 100,
            consumername=self.consumer_name,
        )  # fmt: skip
        owned: list[Any] = [entry["message_id"] for entry in pending if entry["message_id"] in self._held]
        if owned:
            await redis.xclaim(
                self.queue_name, self.consumer_group_name, self.consumer_name, min_idle_time=0, message_ids=owned,
                justid=True,
            )  # fmt: skip

    async def _leave_group(self) -> None:
        """Remove this worker from the consumer group when it holds nothing (a crashed one stays until reclaimed)."""
        try:
            async with Redis(connection_pool=self.connection_pool) as redis:
                pending = await redis.xpending_range(
                    self.queue_name, self.consumer_group_name, min="-", max="+", count=1,
                    consumername=self.consumer_name,
                )  # fmt: skip
                if not pending:
                    await redis.xgroup_delconsumer(self.queue_name, self.consumer_group_name, self.consumer_name)
        except REDIS_ERRORS as exc:
            logger.warning("could not leave the consumer group: %s", exc)


def _raise_if_cancelled() -> None:
    """Raise CancelledError if this task was cancelled while a Redis command turned that into another error.

    NOTE: a loop that survives Redis errors must not survive its own cancellation, or stopping waits forever.
    """
    current = asyncio.current_task()
    if current is not None and current.cancelling():
        raise asyncio.CancelledError
