"""What a request sees when channels cannot do what it asked: HTTP errors, so endpoints need no handlers."""

from __future__ import annotations

from vivace._backends import unavailable
from vivace.exceptions import HTTPException

__all__ = ["FEATURE", "ChannelsUnavailable", "InvalidChannel", "InvalidMessageId"]

FEATURE = "channels"


class ChannelsUnavailable(HTTPException):
    """The shared store was lost: a 503 with a JSON body and `Retry-After`, like every backed feature's."""

    def __init__(self) -> None:
        answer = unavailable(FEATURE)
        super().__init__(answer.status_code, answer.detail, answer.headers)


class InvalidMessageId(HTTPException):
    """A `last_id` (usually the `Last-Event-ID` header) that is not an id of this backend: a 400."""

    def __init__(self, message_id: str) -> None:
        super().__init__(400, f"Invalid message id: {message_id[:100]!r}")


class InvalidChannel(HTTPException):
    """A channel name that is empty, too long or holds control characters: a 400."""

    def __init__(self, channel: str) -> None:
        super().__init__(400, f"Invalid channel name: {channel[:100]!r}")
