"""The Redis backend: one budget per key shared by every worker process and every machine of a deployment.

    from vivace.ratelimit import RateLimit
    from vivace.ratelimit.redis import RedisRateLimitBackend

    limits = RedisRateLimitBackend("redis://localhost:6379/0")
    search_limit = RateLimit("10/minute", backend=limits)

Each check is one Lua script run by the server (`EVALSHA`; redis-py loads the script again when the server
answers NOSCRIPT, as it does after a restart), so the read and the update cannot interleave with another
worker's. The script reads the clock with `TIME`: the server's clock is the only one that counts, so workers
whose clocks disagree still agree on every answer. Every key expires when its budget is whole again.

This module imports `redis` (the `vivace[redis]` extra); `vivace.ratelimit` itself does not.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from vivace._backends import BackendUnavailable
from vivace._redis import DEFAULT_MAX_CONNECTIONS, REDIS_ERRORS, open_redis, redacted
from vivace.ratelimit._limiter import FEATURE

__all__ = ["DEFAULT_PREFIX", "GCRA_SCRIPT", "RedisRateLimitBackend"]

DEFAULT_PREFIX = "vivace:ratelimit:"
DEFAULT_TIMEOUT = 1.0
# What a lost or unusable server raises: the connection errors, and any error reply (READONLY after a
# failover, OOM, LOADING) that makes the check impossible.
_STORE_ERRORS: tuple[type[BaseException], ...] = (*REDIS_ERRORS, RedisError)

# The same steps as MemoryRateLimitBackend.hit, in whole microseconds of the server's clock.
# KEYS[1]: the key; ARGV[1]: the interval one request costs; ARGV[2]: the debt allowed (capacity).
# Returns the debt (admitted when it is at most the capacity). Integers pass through Lua's doubles exactly
# up to 2^53 microseconds (the year 2255).
GCRA_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local debt = tat + interval - now
if debt <= tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], string.format('%d', tat + interval), 'PX', string.format('%d', math.ceil(debt / 1000)))
end
return debt
"""


class RedisRateLimitBackend:
    """Counters in Redis at `url`, connected when the application starts and closed when it stops.

    `prefix` starts every key (share one Redis between applications with different prefixes); `timeout`
    bounds each call in seconds, so a Redis that stops answering turns into the limiter's `on_backend_error`
    behaviour quickly instead of holding requests; at most `max_connections` calls run at once per process.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = DEFAULT_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.timeout = timeout
        self.max_connections = max_connections

    def __repr__(self) -> str:
        return f"RedisRateLimitBackend({redacted(self.url)!r})"

    async def connect(self) -> AsyncIterator[RedisRateLimitStore]:
        """The app-scoped dependency every limiter on this backend shares: one pool per process."""
        async with open_redis(
            self.url,
            feature=FEATURE,
            max_connections=self.max_connections,
            socket_timeout=self.timeout,
            socket_connect_timeout=self.timeout,
            # NOTE: one immediate retry replaces a pooled connection the server dropped (a restart); more, or
            # retrying a timeout, would only hold requests during an outage.
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        ) as client:
            yield RedisRateLimitStore(client, self.prefix, self.max_connections)


class RedisRateLimitStore:
    """A connected store: one script call per check."""

    def __init__(self, client: Redis, prefix: str, max_connections: int) -> None:
        self._script = client.register_script(GCRA_SCRIPT)
        self._prefix = prefix
        # NOTE: redis-py's pool raises (a ConnectionError, which would read as an outage) when every connection
        # is busy; waiting for a free one keeps a burst of requests counted.
        self._slots = asyncio.Semaphore(max_connections)

    async def hit(self, key: str, interval: int, capacity: int) -> int:
        try:
            async with self._slots:
                debt = await self._script(keys=[self._prefix + key], args=[interval, capacity])
        except _STORE_ERRORS as exc:
            raise BackendUnavailable(FEATURE, exc) from exc
        return int(debt)
