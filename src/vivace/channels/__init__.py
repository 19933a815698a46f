"""Channels: publish/subscribe by channel name, with history for replay, for WebSocket and SSE endpoints.

`Channels()` works within one process (the memory backend); `Channels(RedisChannelBackend(url))`, from
`vivace.channels.redis`, spans every worker. See the guide page docs/guide/channels.md.
"""

from vivace.channels._backend import ChannelBackend, Page, Sink
from vivace.channels._channels import Channels, SubscribeOptions
from vivace.channels._errors import ChannelsUnavailable, InvalidChannel, InvalidMessageId
from vivace.channels._memory import MemoryChannelBackend
from vivace.channels._message import Gap, Message
from vivace.channels._relay import CLOSE_CODES, relay
from vivace.channels._subscription import EndReason, Overflow, Subscription

__all__ = [
    "CLOSE_CODES",
    "ChannelBackend",
    "Channels",
    "ChannelsUnavailable",
    "EndReason",
    "Gap",
    "InvalidChannel",
    "InvalidMessageId",
    "MemoryChannelBackend",
    "Message",
    "Overflow",
    "Page",
    "Sink",
    "SubscribeOptions",
    "Subscription",
    "relay",
]
