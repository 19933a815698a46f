"""Redis connections for the features that span processes (channels, rate limits, caches, tasks).

One rule for all of them: a client is opened when the application starts and closed when it stops (an
app-scoped resource), with a bounded connection pool; an unreachable server at startup is a clear startup error;
a server lost while serving raises `vivace._backends.BackendUnavailable`, which each feature turns into its
documented behaviour (a 503 with a JSON body, fail-open, a 1011 close). redis-py reconnects by itself, so
service recovers without a restart.

Only the Redis backends import this module, so `redis` (the `vivace[redis]` extra) stays optional.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError, TimeoutError

__all__ = ["DEFAULT_MAX_CONNECTIONS", "POOL_TIMEOUT_SECONDS", "REDIS_ERRORS", "open_redis", "redacted"]

DEFAULT_MAX_CONNECTIONS = 50
# How long a request waits for a free pooled connection before that counts as the store being unavailable.
POOL_TIMEOUT_SECONDS = 5.0


# What redis-py raises when the server is gone or too slow.
REDIS_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError, OSError)


def redacted(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")).geturl()


@asynccontextmanager
async def open_redis(
    url: str, *, feature: str, max_connections: int = DEFAULT_MAX_CONNECTIONS, **options: Any
) -> AsyncIterator[Redis]:
    """A client for `url` that answered PING, closed (pool included) on exit.

    Raises `RuntimeError` naming the feature and the URL when the server cannot be reached at startup.
    """
    # NOTE: a blocking pool makes a burst wait for a free connection; redis-py's default pool raises at once, and
    # features would mistake load for an outage.
    pool = BlockingConnectionPool.from_url(
        url, max_connections=max_connections, timeout=POOL_TIMEOUT_SECONDS, **options
    )
    client = Redis(connection_pool=pool)
    try:
        try:
            await client.ping()
        except REDIS_ERRORS as exc:
            raise RuntimeError(f"{feature}: cannot reach Redis at {redacted(url)}: {exc}") from exc
        yield client
    finally:
        await client.aclose()
        await pool.aclose()
