"""What the worker processes share: the live feed's channels, the login counters and the cached note lists.

With `VIVACE_EXAMPLE_REDIS_URL` unset, each of them lives in this process's memory, which is all one process
needs (`make run`). Set, they live in that Redis, so that every worker sees the same ones (`make run-cluster`):
a change saved through one worker reaches the live feeds held by the others, a client cannot multiply its login
attempts by the number of workers, and a list cached by one worker is a hit (or a 304) on the others.

The choice is made when the application starts, from the settings, like the database's: the stores below are
opened by app-scoped dependencies that depend on `get_settings`. A test that overrides `get_settings` chooses
for them too, and each start begins with empty memory stores. A Redis that cannot be reached at startup stops
the application with an error that names the feature and the address.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import cast

from vivace.cache import CacheBackend, Claim, Entry, MemoryCacheBackend
from vivace.channels import ChannelBackend, MemoryChannelBackend
from vivace.ratelimit import MemoryRateLimitBackend, RateLimitStore

from .settings import Settings, SettingsDep

__all__ = ["REDIS_PREFIX", "SharedCacheBackend", "SharedRateLimitBackend", "channel_backend"]

# Starts every Redis key of the example (the cache adds its namespace), so it can share a Redis with others.
REDIS_PREFIX = "vivace-notes:"
# NOTE: a reconnecting client replays from the audit log, not from the channel, so a short history suffices.
CHANNEL_HISTORY = 100


def channel_backend(settings: Settings) -> ChannelBackend:
    """Where the live feed's channels live: memory, or the Redis streams of `settings.redis_url`."""
    if settings.redis_url is None:
        return MemoryChannelBackend(history=CHANNEL_HISTORY)
    from vivace.channels.redis import RedisChannelBackend  # noqa: PLC0415 - the redis extra only when configured

    return RedisChannelBackend(settings.redis_url, history=CHANNEL_HISTORY, prefix=REDIS_PREFIX + "channel:")


class SharedRateLimitBackend:
    """Rate-limit counters in memory or in Redis, as the settings say when the application starts.

    Every limiter built on one instance declares `connect` as its app-scoped dependency; being the same
    callable, it runs once: the limiters share one store (and one Redis connection pool). `clock` is the
    memory store's (seconds; settable, so that a test can stop time).
    """

    def __init__(self) -> None:
        self.clock: Callable[[], float] | None = None

    def __repr__(self) -> str:
        return "SharedRateLimitBackend()"

    async def connect(self, settings: SettingsDep) -> AsyncIterator[RateLimitStore]:
        if settings.redis_url is None:
            yield MemoryRateLimitBackend(clock=self.clock)
            return
        from vivace.ratelimit.redis import RedisRateLimitBackend  # noqa: PLC0415 - the redis extra, when configured

        redis = RedisRateLimitBackend(settings.redis_url, prefix=REDIS_PREFIX + "ratelimit:")
        async with asynccontextmanager(redis.connect)() as store:
            yield store


class SharedCacheBackend:
    """A cache store in memory or in Redis, as the settings say when the application starts.

    `Cache` declares `lifespan` as an app-scoped dependency; the store it opens receives every call.
    """

    def __init__(self) -> None:
        self._store: CacheBackend | None = None
        self.lifespan = self.connect

    def __repr__(self) -> str:
        return f"SharedCacheBackend({self._store!r})"

    async def connect(self, settings: SettingsDep) -> AsyncIterator[SharedCacheBackend]:
        if self._store is not None:
            raise RuntimeError("the notes cache is already open (one application at a time)")
        try:
            if settings.redis_url is None:
                self._store = MemoryCacheBackend(max_entries=10_000, max_bytes=32 * 1024 * 1024)
                yield self
                return
            from vivace.cache.redis import RedisCacheBackend  # noqa: PLC0415 - the redis extra, when configured

            redis = RedisCacheBackend(settings.redis_url)
            async with asynccontextmanager(redis.connect)() as store:
                self._store = cast("CacheBackend", store)  # NOTE: its `lifespan` is typed narrower than the protocol's
                yield self
        finally:
            self._store = None

    @property
    def opened(self) -> CacheBackend:
        """The store chosen at startup."""
        if self._store is None:
            raise RuntimeError("the notes cache opens when the application starts")
        return self._store

    def now(self) -> float:
        return self.opened.now()

    async def get(self, key: str) -> Entry | None:
        return await self.opened.get(key)

    async def claim(self, key: str, tags: Sequence[str]) -> Claim:
        return await self.opened.claim(key, tags)

    async def store(self, key: str, entry: Entry, ttl: float, tags: Sequence[str], claim: Claim) -> bool:
        return await self.opened.store(key, entry, ttl, tags, claim)

    async def release(self, key: str, claim: Claim) -> None:
        await self.opened.release(key, claim)

    async def delete(self, keys: Sequence[str]) -> int:
        return await self.opened.delete(keys)

    async def invalidate_tags(self, tags: Sequence[str]) -> int:
        return await self.opened.invalidate_tags(tags)
