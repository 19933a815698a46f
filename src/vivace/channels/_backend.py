"""The contract between `Channels` (local subscribers, fan-out, backpressure) and a store of channel history.

A backend stores each channel's recent messages under monotonic ids, tells its `Sink` about new messages of the
channels it watches, and reads history for replay. It raises `vivace._backends.BackendUnavailable` when its
store is gone; `Channels` turns that into each caller's documented outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol

from vivace.channels._message import Gap, Kind, Message

__all__ = ["ChannelBackend", "Page", "Sink"]


class Sink(Protocol):
    """Where a backend sends what happens to watched channels (implemented by `Channels`)."""

    def deliver(self, channel: str, messages: Sequence[Message]) -> None:
        """New messages of `channel`, in id order, each exactly once."""

    def fail(self) -> None:
        """The store is gone for good (as the backend defines it): end every subscription."""


@dataclass(frozen=True, slots=True)
class Page:
    """One read of history: the messages after an id, a gap marker first if some are gone.

    `position` is where the next read continues from (the last message's id, or where the reader stands when
    there was nothing to read); `complete` says the read reached the end of the history.
    """

    messages: Sequence[Message]
    gap: Gap | None
    position: str
    complete: bool


class ChannelBackend(Protocol):
    """A store of channel history that also feeds live messages to one `Sink`."""

    def bind(self, sink: Sink) -> None:
        """Called once, by the `Channels` that owns this backend."""

    def connect(self) -> AbstractAsyncContextManager[None]:
        """Open connections and readers for the application's lifetime; close them all on exit."""

    async def publish(self, channel: str, kind: Kind, payload: bytes) -> str:
        """Append one message; returns its id."""

    async def watch(self, channel: str) -> None:
        """Start delivering the channel's messages published from now on to the sink."""

    def unwatch(self, channel: str) -> None:
        """Stop delivering the channel's messages (its last local subscriber left)."""

    async def read_after(self, channel: str, after: str, limit: int) -> Page:
        """Up to `limit` retained messages with ids after `after`, oldest first."""

    def order(self, message_id: str) -> tuple[int, int]:
        """A sort key for an id of this backend; raises `InvalidMessageId` for anything else."""
