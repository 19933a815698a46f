"""`RedisChannelBackend`: channels shared by every worker process, each channel a Redis Stream.

`publish` is one XADD (trimmed to the history bound); each process runs one reader (`_redis_reader`) that
tails the streams its subscribers need; replay reads the stream with XRANGE. Message ids are the Streams ids.
Importing this module needs the `redis` package (`pip install vivace[redis]`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from redis.asyncio import Redis

from vivace._backends import BackendUnavailable
from vivace._redis import REDIS_ERRORS, open_redis
from vivace.channels._backend import Page, Sink
from vivace.channels._errors import FEATURE
from vivace.channels._message import Gap, Kind, Message
from vivace.channels._redis_ids import FIELDS, entry_payload, id_order, id_text
from vivace.channels._redis_reader import StreamReader

__all__ = ["RedisChannelBackend"]

WAKE_TTL_MS = 24 * 3600 * 1000  # a crashed process's wake stream disappears by itself after a day


async def _run(reader: StreamReader, stop: anyio.CancelScope) -> None:
    with stop:
        await reader.run()


class RedisChannelBackend:
    """Channels in Redis at `url`.

    Each channel keeps about `history` messages (exactly, with `approximate=False`; approximate trimming is
    cheaper for Redis) and, with `max_age`, none older than that many seconds. At most `max_connections`
    connections are open per process, one of them the reader's. While Redis is away, subscriptions wait and
    resume after their last id when it returns; after `resume_within` seconds (None: never) they are ended.
    """

    def __init__(
        self,
        url: str,
        *,
        history: int = 1000,
        max_age: float | None = None,
        approximate: bool = True,
        prefix: str = "vivace:channel:",
        max_connections: int = 20,
        resume_within: float | None = 30.0,
        block: float = 2.0,
    ) -> None:
        if history < 1 or max_connections < 2:
            raise ValueError("history must be at least 1 and max_connections at least 2")
        if max_age is not None and max_age <= 0:
            raise ValueError("max_age must be positive")
        self.url = url
        self.history = history
        self.max_age = max_age
        self.approximate = approximate
        self.prefix = prefix
        self.max_connections = max_connections
        self.resume_within = resume_within
        self.block = block
        self._sink: Sink | None = None
        self._client: Redis | None = None
        self._reader: StreamReader | None = None
        self._commands: anyio.Semaphore | None = None

    def bind(self, sink: Sink) -> None:
        self._sink = sink

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[None]:
        assert self._sink is not None, "bind() first: Channels(backend) does it"
        options: dict[str, Any] = {"socket_timeout": self.block + 5.0}
        async with open_redis(self.url, feature=FEATURE, max_connections=self.max_connections, **options) as client:
            wake_key = f"{self.prefix}~wake:{uuid.uuid4().hex}"
            reader = StreamReader(
                client, self.url, self._sink, prefix=self.prefix, wake_key=wake_key, block=self.block,
                resume_within=self.resume_within,
            )  # fmt: skip
            # NOTE: an anyio cancel scope, not Task.cancel(): its cancellation is delivered again at every
            # await until the task leaves it, so redis-py turning one cancellation into a TimeoutError (when
            # it races a read timeout) cannot leave the reader running
            stop = anyio.CancelScope()
            task = asyncio.create_task(_run(reader, stop), name="vivace.channels reader")
            self._client, self._reader = client, reader
            # NOTE: the reader holds one pooled connection while it blocks; commands share the others. Made
            # here, in the event loop that will use it (an app may be started by several loops in turn).
            self._commands = anyio.Semaphore(self.max_connections - 1)
            try:
                yield
            finally:
                self._client = self._reader = self._commands = None
                stop.cancel()
                await task
                with contextlib.suppress(*REDIS_ERRORS):
                    await client.delete(wake_key)

    async def publish(self, channel: str, kind: Kind, payload: bytes) -> str:
        client, commands = self._connected()
        async with commands:
            try:
                pipe = client.pipeline(transaction=False)
                pipe.xadd(self.prefix + channel, {FIELDS[kind]: payload}, maxlen=self.history,
                          approximate=self.approximate)  # fmt: skip
                if self.max_age is not None:
                    pipe.xtrim(self.prefix + channel, minid=self._cutoff(), approximate=self.approximate)
                results = await pipe.execute()
            except REDIS_ERRORS as exc:
                raise BackendUnavailable(FEATURE, exc) from exc
        message_id: bytes = results[0]
        return message_id.decode()

    async def watch(self, channel: str) -> None:
        (client, commands), reader = self._connected(), self._reader
        assert reader is not None
        async with commands:
            try:
                newest: Any = await client.xrevrange(self.prefix + channel, count=1)
                # NOTE: the position is known before the reader is woken, so its next read includes the channel
                reader.add(channel, newest[0][0].decode() if newest else "0-0")
                pipe = client.pipeline(transaction=False)
                pipe.xadd(reader.wake_key, {b"w": b""}, maxlen=1, approximate=False)
                pipe.pexpire(reader.wake_key, WAKE_TTL_MS)
                await pipe.execute()
            except REDIS_ERRORS as exc:
                reader.remove(channel)
                raise BackendUnavailable(FEATURE, exc) from exc

    def unwatch(self, channel: str) -> None:
        if self._reader is not None:
            self._reader.remove(channel)

    async def read_after(self, channel: str, after: str, limit: int) -> Page:
        wanted = id_order(after)
        info, entries = await self._read(channel, wanted, limit)
        gap, reset = self._history_gap(channel, after, wanted, info)
        if reset:  # the stream is not the one `after` came from: replay what it has from the start
            wanted = (0, 0)
            info, entries = await self._read(channel, wanted, limit)
        messages = [Message(channel, raw.decode(), *stored) for raw, fields in entries
                    if (stored := entry_payload(fields)) is not None]  # fmt: skip
        position = entries[-1][0].decode() if entries else id_text(wanted)
        return Page(messages, gap, position, complete=len(entries) < limit)

    def order(self, message_id: str) -> tuple[int, int]:
        return id_order(message_id)

    # -- internals ----------------------------------------------------------------------------------------

    def _connected(self) -> tuple[Redis, anyio.Semaphore]:
        if self._client is None or self._commands is None:
            raise RuntimeError(
                'RedisChannelBackend is not connected: use `Depends(channels.connect, scope="app")` in the '
                "application, or `async with channels:` outside one"
            )
        return self._client, self._commands

    def _cutoff(self) -> str:
        assert self.max_age is not None
        return f"{int((time.time() - self.max_age) * 1000)}-0"

    async def _read(self, channel: str, wanted: tuple[int, int], limit: int) -> tuple[Any, list[Any]]:
        """The stream's XINFO (an exception when there is no stream) and up to `limit` entries after
        `wanted`, read in one MULTI so that no trimming happens in between."""
        client, commands = self._connected()
        key = self.prefix + channel
        async with commands:
            try:
                pipe = client.pipeline(transaction=True)
                if self.max_age is not None:
                    pipe.xtrim(key, minid=self._cutoff(), approximate=False)
                pipe.xinfo_stream(key)
                pipe.xrange(key, min=f"({id_text(wanted)}", max="+", count=limit)
                *_, info, entries = await pipe.execute(raise_on_error=False)
            except REDIS_ERRORS as exc:
                raise BackendUnavailable(FEATURE, exc) from exc
        if isinstance(entries, Exception):
            raise BackendUnavailable(FEATURE, entries)
        return info, entries

    @staticmethod
    def _history_gap(channel: str, after: str, wanted: tuple[int, int], info: Any) -> tuple[Gap | None, bool]:
        """The gap marker owed to a reader resuming after `wanted`, and whether to restart from the beginning.

        Streams ids are not consecutive, so a gap is reported when `wanted` is older than the oldest retained
        message and some messages were trimmed (the count is unknown), or when the stream does not know the
        id at all (Redis lost its data, or the id is from elsewhere).
        """
        if isinstance(info, Exception):  # no such stream
            return (Gap(channel, "history", after, None), True) if wanted > (0, 0) else (None, False)
        if wanted > id_order(info["last-generated-id"].decode()):
            return Gap(channel, "history", after, None), True
        trimmed = info.get("entries-added", info["length"] + 1) > info["length"]
        oldest = info.get("first-entry")
        if trimmed and (wanted < id_order(oldest[0].decode()) if oldest else wanted < id_order(after)):
            return Gap(channel, "history", after, None), False
        return None, False
