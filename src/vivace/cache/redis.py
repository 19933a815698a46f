"""`RedisCacheBackend`: entries shared by every worker process, through Redis (the `vivace[redis]` extra).

Layout under the cache's namespace NS: an entry is a string with a time to live (`NS:GET:<path length>:<path>`,
then a digest of the query, headers and user when they count), its computation lock a string with a short one
(the entry's key + `:lock`), a tag a set of entry keys (`NS:tag:<length>:<tag>`) with a generation counter (the
set's key + `:gen`) that voids computations in flight when the tag is invalidated. The lengths keep every name
unambiguous. Each multi-step operation is one Lua script; redis-py reloads a script the server forgot.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import anyio
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from vivace._backends import BackendUnavailable
from vivace._redis import DEFAULT_MAX_CONNECTIONS, REDIS_ERRORS, open_redis
from vivace.cache._backend import Claim
from vivace.cache._entry import Entry
from vivace.cache._redis_scripts import CLAIM, INVALIDATE_TAGS, RELEASE, STORE

__all__ = ["RedisCacheBackend"]

FEATURE = "cache"
# A tag's generation must outlive any computation that started before the tag was invalidated.
GENERATION_TTL_MS = 3_600_000


class RedisCacheBackend:
    """A cache store in Redis at `url`, opened at application startup and closed at shutdown.

    A miss takes a lock (`lock_timeout` seconds at most) so one worker computes; the others poll every
    `poll_interval` seconds for its answer, and compute themselves after `wait_timeout` seconds. The client
    fails fast (`socket_timeout`, one retry) so a lost server costs requests milliseconds, not seconds; other
    keyword arguments go to `redis.asyncio.Redis`.
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        lock_timeout: float = 10.0,
        wait_timeout: float = 5.0,
        poll_interval: float = 0.02,
        socket_timeout: float = 2.0,
        **redis_options: Any,
    ) -> None:
        if not 0 < poll_interval <= wait_timeout:
            raise ValueError("RedisCacheBackend: poll_interval must be positive and at most wait_timeout")
        if lock_timeout <= 0:
            raise ValueError("RedisCacheBackend: lock_timeout must be positive")
        self.url = url
        self.max_connections = max_connections
        self.lock_timeout = lock_timeout
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        # NOTE: one retry on a fresh connection covers pooled connections a restarted server has dropped
        defaults = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_timeout,
            "retry": Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
        }
        self.redis_options = {**defaults, **redis_options}
        self._client: Redis | None = None
        self._users = 0
        self._scripts: dict[str, Any] = {}
        self.lifespan = self.connect

    async def connect(self) -> AsyncIterator[RedisCacheBackend]:
        """The app-scoped dependency: the client opens (PING) at startup and closes at shutdown.

        Several applications may share the backend; the client closes when the last one stops.
        """
        if self._client is not None:
            self._users += 1
            try:
                yield self
            finally:
                self._users -= 1
            return
        async with open_redis(
            self.url, feature=FEATURE, max_connections=self.max_connections, **self.redis_options
        ) as client:
            self._client, self._users = client, 1
            self._scripts = {name: client.register_script(source) for name, source in _SCRIPTS.items()}
            try:
                yield self
            finally:
                self._users -= 1
                if self._users == 0:
                    self._client = None

    @property
    def client(self) -> Redis:
        if self._client is None:
            raise RuntimeError(
                "RedisCacheBackend is not connected: it opens when the application starts, if a route is cached "
                "with it or takes Depends(cache)"
            )
        return self._client

    def now(self) -> float:
        return time.time()  # NOTE: wall clock, the one every worker shares

    async def get(self, key: str) -> Entry | None:
        client = self.client
        with _unavailable_on_error():
            data: bytes | None = await client.get(key)  # type: ignore[assignment]  # decode_responses is off
        return None if data is None else Entry.from_bytes(data)

    async def claim(self, key: str, tags: Sequence[str]) -> Claim:
        token = secrets.token_hex(16)
        keys = [key, f"{key}:lock", *(f"{tag}:gen" for tag in tags)]
        args = [token, int(self.lock_timeout * 1000)]
        deadline = time.monotonic() + self.wait_timeout
        while True:
            with _unavailable_on_error():
                entry, locked, generations = await self._scripts["claim"](keys, args, client=self.client)
            if entry is not None:
                return Claim(Entry.from_bytes(entry), None, generations)
            if locked:
                return Claim(None, token, generations)
            if time.monotonic() >= deadline:  # NOTE: bounded wait; the holder may be slow or gone
                return Claim(None, None, generations)
            await anyio.sleep(self.poll_interval)

    async def store(self, key: str, entry: Entry, ttl: float, tags: Sequence[str], claim: Claim) -> bool:
        keys = [key, f"{key}:lock", *(f"{tag}:gen" for tag in tags), *tags]
        args = [claim.token or "", entry.to_bytes(), max(1, int(ttl * 1000)), *claim.generation]
        with _unavailable_on_error():
            stored = await self._scripts["store"](keys, args, client=self.client)
        return bool(stored)

    async def release(self, key: str, claim: Claim) -> None:
        if claim.token is None:
            return
        with _unavailable_on_error():
            await self._scripts["release"]([f"{key}:lock"], [claim.token], client=self.client)

    async def delete(self, keys: Sequence[str]) -> int:
        if not keys:
            return 0
        with _unavailable_on_error():
            removed: int = await self.client.delete(*keys)
        return removed

    async def invalidate_tags(self, tags: Sequence[str]) -> int:
        if not tags:
            return 0
        keys = [*tags, *(f"{tag}:gen" for tag in tags)]
        with _unavailable_on_error():
            removed: int = await self._scripts["invalidate"](keys, [GENERATION_TTL_MS], client=self.client)
        return removed


_SCRIPTS = {"claim": CLAIM, "store": STORE, "release": RELEASE, "invalidate": INVALIDATE_TAGS}


@contextmanager
def _unavailable_on_error() -> Iterator[None]:
    try:
        yield
    except REDIS_ERRORS as exc:
        raise BackendUnavailable(FEATURE, exc) from exc
