"""The one XREAD loop of a process: it tails every channel that has local subscribers and hands new entries to
the sink, so a thousand subscribers of a channel cost one Redis read, not a thousand.

A channel joins the loop with the id it must read after; the loop is woken by an entry in this process's own
wake stream, so a new channel does not wait for the current blocking read to time out. When Redis goes away
the loop keeps every channel's position and retries; when it answers again, each channel resumes after the
last id it delivered. If Redis stays away longer than `resume_within` seconds, the sink is told to end every
subscription (their WebSockets close with 1011, their SSE streams end).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio
from redis.asyncio import Redis

from vivace._redis import REDIS_ERRORS, redacted
from vivace.channels._backend import Sink
from vivace.channels._message import Message
from vivace.channels._redis_ids import entry_payload, id_order

__all__ = ["StreamReader"]

logger = logging.getLogger("vivace.channels")

READ_COUNT = 500  # entries per stream per read
FIRST_RETRY = 0.05
MAX_RETRY = 1.0


class StreamReader:
    """Tails the streams of watched channels; `positions` holds the last id delivered for each."""

    def __init__(
        self, client: Redis, url: str, sink: Sink, *, prefix: str, wake_key: str, block: float,
        resume_within: float | None,
    ) -> None:  # fmt: skip
        self.client = client
        self.url = url
        self.sink = sink
        self.prefix = prefix
        self.wake_key = wake_key
        self.block_ms = int(block * 1000)
        self.resume_within = resume_within
        self.positions: dict[str, str] = {}
        self.down_since: float | None = None
        self._wake_position = "0-0"
        self._changed = anyio.Event()
        self._retry = FIRST_RETRY

    def add(self, channel: str, position: str) -> None:
        self.positions[channel] = position
        self._changed.set()

    def remove(self, channel: str) -> None:
        self.positions.pop(channel, None)

    async def run(self) -> None:
        while True:
            if not self.positions:
                self._changed = anyio.Event()
                await self._changed.wait()
                continue
            streams: dict[Any, Any] = {self.prefix + channel: at for channel, at in self.positions.items()}
            streams[self.wake_key] = self._wake_position
            try:
                reply: Any = await self.client.xread(streams, count=READ_COUNT, block=self.block_ms)
            except REDIS_ERRORS as exc:
                await self._outage(exc)
                continue
            self._recovered()
            for key, entries in reply or ():
                self._dispatch(key.decode(), entries)

    def _dispatch(self, key: str, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        if key == self.wake_key:
            self._wake_position = entries[-1][0].decode()
            return
        channel = key[len(self.prefix) :]
        position = self.positions.get(channel)
        if position is None or not entries:
            return  # NOTE: unwatched while this read was in flight
        floor = id_order(position)
        messages = []
        for raw_id, fields in entries:
            message_id = raw_id.decode()
            stored = entry_payload(fields)
            if stored is not None and id_order(message_id) > floor:
                messages.append(Message(channel, message_id, *stored))
        if id_order(newest := entries[-1][0].decode()) > floor:  # NOTE: a stale read never moves it back
            self.positions[channel] = newest
        if messages:
            self.sink.deliver(channel, messages)

    async def _outage(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            logger.warning("channels: lost Redis at %s (%s); retrying", redacted(self.url), exc)
        if self.resume_within is not None and now - self.down_since >= self.resume_within and self.positions:
            logger.error("channels: Redis away for %.1f s; ending every subscription", now - self.down_since)
            self.positions.clear()
            self.sink.fail()
        await anyio.sleep(self._retry)
        self._retry = min(self._retry * 2, MAX_RETRY)

    def _recovered(self) -> None:
        if self.down_since is not None:
            logger.warning("channels: Redis is back after %.1f s", time.monotonic() - self.down_since)
            self.down_since = None
        self._retry = FIRST_RETRY
