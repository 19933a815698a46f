"""The live feed: each user's changes on a channel of their own (`vivace.channels`), read by the event stream.

The audit log (`changelog.py`) publishes every change once it is recorded; the `/changes/stream` endpoints
subscribed to that user's channel receive it: those of this process when the channels live in memory, those
of every worker when they live in Redis (see `shared.py`). A client that reconnects replays what it missed
from the audit log, not from the channel: the log keeps every change for as long as the database does, under
the ids the client already holds.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from vivace import Depends
from vivace.channels import Channels, ChannelsUnavailable, EndReason, Message, Subscription

from .schemas import ChangeOut
from .settings import SettingsDep
from .shared import channel_backend

__all__ = ["ChangeFeed", "Changes", "FeedDep", "get_feed"]

logger = logging.getLogger("examples.feed")


class Changes:
    """One subscriber's changes, decoded, in the order they were published.

    The iteration ends when the subscription does: the application stops, the reader fell too far behind,
    or the shared store stayed away too long (`ended` says which). Each case makes an EventSource reconnect
    with its Last-Event-ID, and the replay from the audit log gives it what it missed.
    """

    def __init__(self, subscription: Subscription) -> None:
        self._subscription = subscription

    @property
    def ended(self) -> EndReason | None:
        return self._subscription.ended

    def __aiter__(self) -> Changes:
        return self

    async def __anext__(self) -> ChangeOut:
        item = await anext(self._subscription)
        if not isinstance(item, Message):
            # NOTE: a gap marker (changes this subscriber will not get): end the stream so the client
            # reconnects and replays from the audit log, rather than go on with a hole in its view
            raise StopAsyncIteration
        return ChangeOut.model_validate_json(item.payload)


class ChangeFeed:
    """Publish a user's changes and subscribe to them; a reader `buffer_size` changes behind is cut off."""

    def __init__(self, channels: Channels, buffer_size: int = 100) -> None:
        self.channels = channels
        self.buffer_size = buffer_size

    @staticmethod
    def channel(user_id: int) -> str:
        return f"changes:{user_id}"

    def subscriber_count(self, user_id: int) -> int:
        """Open subscriptions to `user_id`'s changes in this process."""
        return self.channels.subscriber_count(self.channel(user_id))

    @asynccontextmanager
    async def subscribe(self, user_id: int) -> AsyncIterator[Changes]:
        """Receive `user_id`'s changes until the block ends. Raises `ChannelsUnavailable` (a 503) when the
        shared store cannot be reached."""
        # NOTE: "disconnect" rather than dropping changes: the client reconnects and replays them all
        channel = self.channel(user_id)
        async with self.channels.subscribe(channel, queue_size=self.buffer_size, overflow="disconnect") as live:
            yield Changes(live)

    async def publish(self, user_id: int, change: ChangeOut) -> None:
        """Announce a recorded change. Runs after the response (a background task), so a lost store is logged,
        not raised: the change is in the audit log, and clients catch up from it when they reconnect."""
        try:
            await self.channels.publish(self.channel(user_id), change)
        except ChannelsUnavailable:
            logger.warning("live feed: change %d not announced, the channels' store is unreachable", change.id)


async def get_feed(settings: SettingsDep) -> AsyncIterator[ChangeFeed]:
    """The feed of the running application, opened at startup (for Redis: a connection pool and one reader
    task per process) and closed at shutdown, which ends every open stream."""
    async with Channels(channel_backend(settings)) as channels:
        yield ChangeFeed(channels)


FeedDep = Annotated[ChangeFeed, Depends(get_feed, scope="app")]
