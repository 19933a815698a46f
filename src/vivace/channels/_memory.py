"""The in-process backend: a bounded ring of recent messages per channel, ids from a per-channel counter.

Everything happens in the publishing call itself (no task, no lock): the message is appended to its ring and
handed to the sink before `publish` returns. Only subscribers of the same process see it.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from itertools import islice

from vivace.channels._backend import Page, Sink
from vivace.channels._errors import InvalidMessageId
from vivace.channels._message import Gap, Kind, Message

__all__ = ["MemoryChannelBackend"]


class _Ring:
    """One channel's recent messages, oldest first, with the time each was published."""

    __slots__ = ("entries", "last")

    def __init__(self, size: int) -> None:
        self.last = 0  # the id of the newest message ever published (0: none yet)
        self.entries: deque[tuple[float, Message]] = deque(maxlen=size)

    @property
    def first(self) -> int:
        """The id of the oldest retained message (`last + 1` when none is retained)."""
        return int(self.entries[0][1].id) if self.entries else self.last + 1


class MemoryChannelBackend:
    """Channels within one process. `history` messages per channel are kept for replay (fewer when
    `max_age` seconds pass first); at most `max_channels` channels keep history, the least recently used
    one is forgotten first (its ids start again at 1)."""

    def __init__(self, *, history: int = 1000, max_age: float | None = None, max_channels: int = 10_000) -> None:
        if history < 1 or max_channels < 1:
            raise ValueError("history and max_channels must be at least 1")
        if max_age is not None and max_age <= 0:
            raise ValueError("max_age must be positive")
        self.history = history
        self.max_age = max_age
        self.max_channels = max_channels
        self._rings: OrderedDict[str, _Ring] = OrderedDict()
        self._sink: Sink | None = None

    def bind(self, sink: Sink) -> None:
        self._sink = sink

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[None]:
        yield  # NOTE: nothing to open; history lives as long as the backend object

    async def publish(self, channel: str, kind: Kind, payload: bytes) -> str:
        ring = self._ring(channel)
        ring.last += 1
        message = Message(channel, str(ring.last), kind, payload)
        ring.entries.append((time.monotonic(), message))
        if self._sink is not None:
            self._sink.deliver(channel, (message,))
        return message.id

    async def watch(self, channel: str) -> None:
        return None  # every published message is handed to the sink, which ignores unwatched channels

    def unwatch(self, channel: str) -> None:
        return None

    async def read_after(self, channel: str, after: str, limit: int) -> Page:
        ring = self._rings.get(channel) or _Ring(1)
        self._expire(ring)
        wanted = self.order(after)[0]
        gap = None
        if wanted > ring.last:  # an id this process never gave: it restarted, or forgot the channel
            gap = Gap(channel, "history", after, None)
            wanted = 0
        first = ring.first
        if wanted < first - 1 and gap is None:
            gap = Gap(channel, "history", after, first - 1 - wanted)
        start = max(0, wanted + 1 - first)
        messages = [message for _, message in islice(ring.entries, start, start + limit)]
        position = messages[-1].id if messages else str(max(wanted, first - 1))
        return Page(messages, gap, position, complete=len(messages) < limit)

    def order(self, message_id: str) -> tuple[int, int]:
        if not (message_id.isascii() and message_id.isdigit()) or len(message_id) > 19:
            raise InvalidMessageId(message_id)
        return int(message_id), 0

    def _ring(self, channel: str) -> _Ring:
        ring = self._rings.get(channel)
        if ring is None:
            ring = self._rings[channel] = _Ring(self.history)
            if len(self._rings) > self.max_channels:
                self._rings.popitem(last=False)
        else:
            self._rings.move_to_end(channel)
            self._expire(ring)
        return ring

    def _expire(self, ring: _Ring) -> None:
        if self.max_age is None:
            return
        oldest = time.monotonic() - self.max_age
        while ring.entries and ring.entries[0][0] < oldest:
            ring.entries.popleft()
