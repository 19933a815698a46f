"""The Redis task backend: tasks cross processes through a Redis stream and run in `vivace worker` processes.

    from vivace.tasks import Tasks
    from vivace.tasks.redis import RedisTaskBackend

    tasks = Tasks(RedisTaskBackend("redis://localhost:6379/0"))

Every key lives under `prefix` (default `vivace:tasks`): `:stream` (the queue, a stream read by the consumer group
`:workers`), `:result:<id>` (results, JSON, kept `results_ttl` s), `:key:<key>` / `:done:<key>` /
`:attempts:<key>` (idempotency keys, completions and attempt counts, kept `ttl` s), `:dead` (the dead-letter
list, newest first, at most `max_dead_letters`), `:schedule:*` (delayed tasks, for the scheduler).
A worker that stops without finishing a task leaves it pending; another worker takes it over once it has been
idle `reclaim_after` seconds. Needs the `redis`, `taskiq` and `taskiq-redis` packages (`vivace[tasks]`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from taskiq import ScheduledTask, ScheduleSource

from vivace._redis import DEFAULT_MAX_CONNECTIONS, REDIS_ERRORS, open_redis
from vivace.tasks._backend import DeadLetter
from vivace.tasks._memory_store import DEFAULT_TTL
from vivace.tasks._redis_stream import Results, Schedules, StreamBroker
from vivace.tasks._tasks import FEATURE

__all__ = ["RedisTaskBackend", "RedisTaskStore"]

# Delete KEYS[1] only while it still holds ARGV[1] (another enqueue may have claimed the key since).
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


class RedisTaskStore:
    """`TaskStore` on Redis: each method is one command or one MULTI/EXEC transaction."""

    def __init__(self, client: Redis, *, prefix: str, ttl: float, max_dead_letters: int) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = max(1, int(ttl))
        self._max_dead = max_dead_letters

    async def reserve(self, key: str, task_id: str) -> str | None:
        name = f"{self._prefix}:key:{key}"
        for _ in range(3):  # NOTE: a key that expires between SET NX and GET is simply claimed on the next round
            if await self._client.set(name, task_id, nx=True, ex=self._ttl):
                return None
            holder = await self._client.get(name)
            if holder is not None:
                return holder.decode() if isinstance(holder, bytes) else str(holder)
        return None  # pragma: no cover - three expiries in a row

    async def release(self, key: str, task_id: str) -> None:
        # NOTE: EVAL, not a cached script SHA: nothing to reload after a Redis restart
        await self._client.eval(_RELEASE, 1, f"{self._prefix}:key:{key}", task_id)  # type: ignore[misc]

    async def completion(self, key: str) -> tuple[bool, Any]:
        raw = await self._client.get(f"{self._prefix}:done:{key}")
        return (False, None) if raw is None else (True, json.loads(raw))

    async def begin_attempt(self, key: str) -> tuple[int, int]:
        name = f"{self._prefix}:attempts:{key}"
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, "begun", 1)
            pipe.hget(name, "failed")
            pipe.expire(name, self._ttl)
            begun, failed, _ = await pipe.execute()
        return int(begun), int(failed or 0)

    async def fail_attempt(self, key: str) -> None:
        name = f"{self._prefix}:attempts:{key}"
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hincrby(name, "failed", 1)
            pipe.expire(name, self._ttl)
            await pipe.execute()

    async def complete(self, key: str, value: Any) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.set(f"{self._prefix}:done:{key}", json.dumps(value, separators=(",", ":")), ex=self._ttl)
            pipe.delete(f"{self._prefix}:attempts:{key}")
            await pipe.execute()

    async def bury(self, letter: DeadLetter) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.lpush(f"{self._prefix}:dead", letter.to_json())
            pipe.ltrim(f"{self._prefix}:dead", 0, self._max_dead - 1)
            await pipe.execute()

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        raw = await self._client.lrange(f"{self._prefix}:dead", 0, limit - 1)  # type: ignore[misc]
        return [DeadLetter.from_json(item) for item in raw]


class RedisTaskBackend:
    """Tasks sent through Redis and run by workers; see the module docstring for the keys and options.

    `reclaim_after` (seconds) is how long a message held by a worker that stopped waits before another worker
    runs it; a live worker's messages are never reclaimed, however long its tasks take (it heartbeats them).
    """

    in_process = False
    poll_interval = 0.05
    unavailable_errors = REDIS_ERRORS

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "vivace:tasks",
        reclaim_after: float = 30.0,
        results_ttl: float = DEFAULT_TTL,
        ttl: float = DEFAULT_TTL,
        max_dead_letters: int = 10_000,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        block: float = 1.0,
    ) -> None:
        if reclaim_after <= 0:
            raise ValueError(f"reclaim_after must be a positive number of seconds, not {reclaim_after}")
        self.url = url
        self.prefix = prefix
        self._ttl = ttl
        self._max_dead = max_dead_letters
        self._max_connections = max_connections
        self.broker = StreamBroker(
            url, stream=f"{prefix}:stream", group=f"{prefix}:workers", reclaim_after=reclaim_after, block=block,
            max_connection_pool_size=max_connections,
        )  # fmt: skip
        self.broker.with_result_backend(
            Results(url, prefix=f"{prefix}:result", ttl=max(1, int(results_ttl)), max_connections=max_connections)
        )
        self._schedules = Schedules(url, prefix=f"{prefix}:schedule", max_connections=max_connections)
        self._store: RedisTaskStore | None = None
        self._stack: AsyncExitStack | None = None

    @property
    def store(self) -> RedisTaskStore:
        if self._store is None:
            raise RuntimeError(f"{FEATURE}: the Redis task backend is not started")
        return self._store

    async def start(self, *, worker: bool) -> None:
        async with AsyncExitStack() as stack:
            # NOTE: PING first, so an unreachable server is one clear startup error naming the (redacted) URL
            client = await stack.enter_async_context(
                open_redis(self.url, feature=FEATURE, max_connections=self._max_connections)
            )
            self._store = RedisTaskStore(client, prefix=self.prefix, ttl=self._ttl, max_dead_letters=self._max_dead)
            self.broker.is_worker_process = worker
            await self.broker.startup()
            self._stack = stack.pop_all()

    async def stop(self, *, timeout: float) -> None:
        stack, self._stack = self._stack, None
        try:
            await self.broker.shutdown()
            await self._schedules.shutdown()
        finally:
            self._store = None
            if stack is not None:
                await stack.aclose()

    async def send_at(
        self, task: str, task_id: str, labels: Mapping[str, Any], arguments: Mapping[str, Any], when: datetime
    ) -> None:
        schedule = ScheduledTask(
            task_name=task, labels=dict(labels), args=[], kwargs=dict(arguments), task_id=task_id, time=when,
            schedule_id=task_id,
        )  # fmt: skip
        await self._schedules.add_schedule(schedule)

    def schedule_sources(self) -> list[ScheduleSource]:
        return [self._schedules]

    def abandon(self) -> None:
        self.broker.abandon()

    async def join(self, timeout: float = 30.0) -> None:
        """Nothing to wait for: the tasks run in workers."""
