"""`Channels`: publish to a channel by name, subscribe to it from WebSocket and SSE endpoints.

It keeps this process's subscribers per channel and fans each message out to them (one `Message` object for
all, so it is serialised once per process); its backend stores history and, for Redis, carries messages
between processes. It plugs into an application as an app-scoped dependency:
`Depends(channels.connect, scope="app")` opens the backend at startup and closes it at shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypedDict

import anyio
from starlette.websockets import WebSocket, WebSocketState
from typing_extensions import Unpack

from vivace._backends import BackendUnavailable
from vivace.channels._backend import ChannelBackend
from vivace.channels._errors import ChannelsUnavailable, InvalidChannel, InvalidMessageId
from vivace.channels._memory import MemoryChannelBackend
from vivace.channels._message import Message, encode
from vivace.channels._relay import OnReceive, close_for, relay
from vivace.channels._subscription import EndReason, Overflow, Subscription

__all__ = ["MAX_CHANNEL_LENGTH", "Channels", "SubscribeOptions"]

MAX_CHANNEL_LENGTH = 200


class SubscribeOptions(TypedDict, total=False):
    """How one subscription behaves; `Channels` holds the defaults."""

    #: Replay the retained messages after this id (an SSE client's `Last-Event-ID`) before live ones.
    last_id: str | None
    #: Live messages buffered for a slow consumer before the overflow policy applies.
    queue_size: int
    #: `"drop_oldest"` (drop and send a gap marker) or `"disconnect"` (end the subscription).
    overflow: Overflow


class _Feed:
    """This process's subscribers of one channel, and whether the backend already watches it for them."""

    __slots__ = ("lock", "subscribers", "watched")

    def __init__(self) -> None:
        self.subscribers: dict[Subscription, None] = {}  # NOTE: a dict keeps join order, a set would not
        self.watched = False
        self.lock = anyio.Lock()


async def _accept(websocket: WebSocket) -> None:
    if websocket.client_state == WebSocketState.CONNECTING:
        await websocket.accept()


def check_channel(channel: str) -> str:
    if not 0 < len(channel) <= MAX_CHANNEL_LENGTH or not channel.isprintable():
        raise InvalidChannel(channel)
    return channel


class Channels:
    """Named channels of JSON or bytes messages, with history for replay.

    `backend` is where messages live: `MemoryChannelBackend()` (the default: one process) or
    `vivace.channels.redis.RedisChannelBackend` (every worker of every host). `queue_size` and `overflow`
    are the defaults of each subscription; `replay_page` is how many messages one history read fetches.
    """

    def __init__(
        self,
        backend: ChannelBackend | None = None,
        *,
        queue_size: int = 100,
        overflow: Overflow = "drop_oldest",
        replay_page: int = 100,
    ) -> None:
        if queue_size < 1 or replay_page < 1:
            raise ValueError("queue_size and replay_page must be at least 1")
        if overflow not in ("drop_oldest", "disconnect"):
            raise ValueError(f"overflow must be 'drop_oldest' or 'disconnect', not {overflow!r}")
        self.backend: ChannelBackend = backend if backend is not None else MemoryChannelBackend()
        self.queue_size = queue_size
        self.overflow: Overflow = overflow
        self.replay_page = replay_page
        self._feeds: dict[str, _Feed] = {}
        self._stack: AsyncExitStack | None = None
        self.backend.bind(self)

    # -- life cycle ---------------------------------------------------------------------------------------

    async def connect(self) -> AsyncIterator[Channels]:
        """The app-scoped dependency: `Annotated[Channels, Depends(channels.connect, scope="app")]`."""
        async with self:
            yield self

    async def __aenter__(self) -> Channels:
        if self._stack is not None:
            raise RuntimeError("these channels are already connected (one application at a time)")
        stack = AsyncExitStack()
        await stack.enter_async_context(self.backend.connect())
        self._stack = stack
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        stack, self._stack = self._stack, None
        self._end_all("closed")
        if stack is not None:
            await stack.aclose()

    # -- publishing and subscribing -----------------------------------------------------------------------

    async def publish(self, channel: str, data: Any) -> str:
        """Send `data` (bytes, or anything JSON-serialisable, pydantic models included) to every subscriber
        of `channel`; returns the message's id. Raises `ChannelsUnavailable` (a 503) if the store is lost."""
        kind, payload = encode(data)
        try:
            return await self.backend.publish(check_channel(channel), kind, payload)
        except BackendUnavailable as exc:
            raise ChannelsUnavailable() from exc

    @asynccontextmanager
    async def subscribe(self, channel: str, **options: Unpack[SubscribeOptions]) -> AsyncIterator[Subscription]:
        """A subscription to `channel` for the duration of the block; leaving the block unsubscribes.

        Raises `ChannelsUnavailable` (503) when the store is lost, `InvalidMessageId` (400) for a `last_id`
        that is not an id of this backend, `InvalidChannel` (400) for a bad name.
        """
        subscription = await self._join(check_channel(channel), options)
        try:
            yield subscription
        finally:
            subscription.close()

    async def relay(
        self, websocket: WebSocket, channel: str, *, on_receive: OnReceive | None = None,
        **options: Unpack[SubscribeOptions],
    ) -> None:  # fmt: skip
        """Subscribe `websocket` to `channel`, accept it (unless already accepted) and forward messages until
        either side ends (see `vivace.channels.relay`); a failed subscribe closes it with 1011 or 1008.

        NOTE: subscribing comes first, so a client whose connection is open is already subscribed.
        """
        async with AsyncExitStack() as stack:
            try:
                subscription = await stack.enter_async_context(self.subscribe(channel, **options))
            except ChannelsUnavailable:
                await _accept(websocket)
                await close_for(websocket, "unavailable")
                return
            except (InvalidMessageId, InvalidChannel):
                await _accept(websocket)
                await close_for(websocket, "invalid")
                return
            await _accept(websocket)
            await relay(websocket, subscription, on_receive=on_receive)

    def subscriber_count(self, channel: str | None = None) -> int:
        """How many subscriptions this process has (to `channel`, or to any channel)."""
        if channel is not None:
            feed = self._feeds.get(channel)
            return len(feed.subscribers) if feed is not None else 0
        return sum(len(feed.subscribers) for feed in self._feeds.values())

    # -- the backend's sink -------------------------------------------------------------------------------

    def deliver(self, channel: str, messages: Sequence[Message]) -> None:
        feed = self._feeds.get(channel)
        if feed is None:
            return
        for subscription in list(feed.subscribers):  # NOTE: a copy: a subscriber may leave while offered
            for message in messages:
                subscription.offer(message)

    def fail(self) -> None:
        self._end_all("unavailable")

    # -- internals ----------------------------------------------------------------------------------------

    async def _join(self, channel: str, options: SubscribeOptions) -> Subscription:
        subscription = Subscription(
            channel, self.backend, self._leave,
            queue_size=options.get("queue_size", self.queue_size),
            overflow=options.get("overflow", self.overflow),
            page_size=self.replay_page,
        )  # fmt: skip
        last_id = options.get("last_id")
        if last_id is not None:
            subscription.replay_after(last_id)
        feed = self._feeds.get(channel)
        if feed is None:
            feed = self._feeds[channel] = _Feed()
        feed.subscribers[subscription] = None  # NOTE: before any await, so no message slips past
        try:
            await self._watch(channel, feed)
            await subscription.read_first_page()
        except BaseException:
            subscription.close()
            raise
        return subscription

    async def _watch(self, channel: str, feed: _Feed) -> None:
        if feed.watched:
            return
        async with feed.lock:
            if feed.watched:
                return
            try:
                await self.backend.watch(channel)
            except BackendUnavailable as exc:
                raise ChannelsUnavailable() from exc
            feed.watched = True

    def _leave(self, subscription: Subscription) -> None:
        feed = self._feeds.get(subscription.channel)
        if feed is None:
            return
        feed.subscribers.pop(subscription, None)
        if not feed.subscribers:
            del self._feeds[subscription.channel]
            if feed.watched:
                self.backend.unwatch(subscription.channel)

    def _end_all(self, reason: EndReason) -> None:
        for feed in list(self._feeds.values()):
            for subscription in list(feed.subscribers):
                subscription.end(reason)
