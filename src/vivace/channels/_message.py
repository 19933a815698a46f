"""What a subscriber receives: a `Message` (a published value with its id) or a `Gap` (messages it will not get).

One `Message` object is shared by every local subscriber of its channel, so the work of turning it into wire
text (JSON for a WebSocket, an SSE event) is done once per process and cached on it, not once per subscriber.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import from_json, to_json

from vivace.sse import ServerSentEvent

__all__ = ["Gap", "GapReason", "Kind", "Message", "encode"]

Kind = Literal["json", "bytes"]
GapReason = Literal["history", "overflow"]

_UNSET: Any = object()
_COMPACT = (",", ":")  # the separators of pydantic's JSON, so an envelope reads as one style


def encode(value: Any) -> tuple[Kind, bytes]:
    """A published value as stored: bytes as they are, anything else as compact JSON text."""
    if isinstance(value, bytes | bytearray | memoryview):
        return "bytes", bytes(value)
    if isinstance(value, BaseModel):
        return "json", value.model_dump_json().encode()
    return "json", to_json(value)


class Message:
    """One published value, with the id that orders it in its channel."""

    __slots__ = ("_data", "_envelope", "_event", "channel", "id", "kind", "payload")

    def __init__(self, channel: str, message_id: str, kind: Kind, payload: bytes) -> None:
        self.channel = channel
        self.id = message_id
        self.kind: Kind = kind
        #: JSON text (UTF-8) for JSON messages, the published bytes for bytes messages.
        self.payload = payload
        self._data: Any = _UNSET
        self._event: ServerSentEvent | None = None
        self._envelope: str | None = None

    def __repr__(self) -> str:
        return f"Message(channel={self.channel!r}, id={self.id!r}, kind={self.kind!r}, payload={self.payload[:60]!r})"

    @property
    def data(self) -> Any:
        """The published value as JSON decodes it (dicts, lists...), or the bytes of a bytes message."""
        if self._data is _UNSET:
            self._data = self.payload if self.kind == "bytes" else from_json(self.payload)
        return self._data

    @property
    def text(self) -> str:
        """The JSON text of a JSON message (what `websocket.send_text` wants)."""
        if self.kind == "bytes":
            raise TypeError("a bytes message has no JSON text; use .payload")
        return self.payload.decode()

    def event(self) -> ServerSentEvent:
        """This message as an SSE event whose `id` is the message id (bytes are sent base64-encoded, as the
        `bytes` event)."""
        if self._event is None:
            if self.kind == "bytes":
                raw = base64.b64encode(self.payload).decode()
                self._event = ServerSentEvent(raw_data=raw, id=self.id, event="bytes")
            else:
                self._event = ServerSentEvent(raw_data=self.text, id=self.id)
        return self._event

    def envelope(self) -> str:
        """`{"channel": ..., "id": ..., "data": ...}` as JSON text: what `relay` sends over a WebSocket."""
        if self._envelope is None:
            if self.kind == "bytes":
                raise TypeError("a bytes message is sent as a binary frame, without an envelope")
            # PERF: the payload is already JSON text; it is spliced in, not decoded and encoded again.
            head = json.dumps({"channel": self.channel, "id": self.id}, separators=_COMPACT)
            self._envelope = f'{head[:-1]},"data":{self.text}}}'
        return self._envelope


class Gap:
    """A marker in place of messages a subscriber will never receive.

    `reason` is `"history"` when the id it asked to resume from is older than the retained history (or the
    history was lost), `"overflow"` when its queue was full and the oldest messages were dropped. `after` is
    the last id it had before the gap; `missed` is how many messages are gone when that is known.
    """

    __slots__ = ("after", "channel", "missed", "reason")

    def __init__(self, channel: str, reason: GapReason, after: str | None, missed: int | None) -> None:
        self.channel = channel
        self.reason: GapReason = reason
        self.after = after
        self.missed = missed

    def __repr__(self) -> str:
        return f"Gap(channel={self.channel!r}, reason={self.reason!r}, after={self.after!r}, missed={self.missed!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Gap):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def _fields(self) -> tuple[str, str, str | None, int | None]:
        return self.channel, self.reason, self.after, self.missed

    def summary(self) -> dict[str, Any]:
        return {"reason": self.reason, "after": self.after, "missed": self.missed}

    def event(self) -> ServerSentEvent:
        """The SSE `gap` event; it has no id, so the client's Last-Event-ID stays the last message it got."""
        return ServerSentEvent(raw_data=json.dumps(self.summary(), separators=_COMPACT), event="gap")

    def envelope(self) -> str:
        """`{"channel": ..., "gap": {"reason": ..., "after": ..., "missed": ...}}` as JSON text."""
        return json.dumps({"channel": self.channel, "gap": self.summary()}, separators=_COMPACT)
