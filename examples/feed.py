"""The live feed: an in-process hub that hands each change to the open event streams of its owner.

The hub lives as long as the application (the lifespan in `app.py` creates and closes it). With several
worker processes each has its own hub; a shared broker (Redis pub/sub, say) would take its place.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from vivace import Depends, Request

from .schemas import ChangeOut

__all__ = ["ChangeFeed", "FeedDep", "get_feed"]


class ChangeFeed:
    """Subscribers receive their own user's changes through a bounded in-memory stream."""

    def __init__(self, buffer_size: int = 100) -> None:
        self.buffer_size = buffer_size
        self._subscribers: defaultdict[int, set[MemoryObjectSendStream[ChangeOut]]] = defaultdict(set)

    def subscriber_count(self, user_id: int) -> int:
        return len(self._subscribers.get(user_id, ()))

    @contextmanager
    def subscribe(self, user_id: int) -> Iterator[MemoryObjectReceiveStream[ChangeOut]]:
        """Receive `user_id`'s changes until the block ends (or the hub drops a reader that fell behind)."""
        sender, receiver = anyio.create_memory_object_stream[ChangeOut](self.buffer_size)
        self._subscribers[user_id].add(sender)
        try:
            with receiver:
                yield receiver
        finally:
            self._subscribers[user_id].discard(sender)
            if not self._subscribers[user_id]:
                del self._subscribers[user_id]
            sender.close()

    def publish(self, user_id: int, change: ChangeOut) -> None:
        """Never waits: publishing runs in a background task that must not stall on a slow client."""
        for sender in list(self._subscribers.get(user_id, ())):
            try:
                sender.send_nowait(change)
            except anyio.WouldBlock:
                # NOTE: a reader this far behind is cut off; an EventSource reconnects by itself with
                # Last-Event-ID and catches up from the audit log, so nothing is lost.
                sender.close()
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                pass  # the reader is leaving; `subscribe` removes it

    def close(self) -> None:
        """End every open stream (at shutdown)."""
        for senders in self._subscribers.values():
            for sender in senders:
                sender.close()


async def get_feed(request: Request) -> ChangeFeed:
    """The hub the lifespan put into the application state."""
    feed: ChangeFeed = request.state.feed
    return feed


FeedDep = Annotated[ChangeFeed, Depends(get_feed)]
