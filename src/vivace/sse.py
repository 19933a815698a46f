"""Server-Sent Events: `EventSourceResponse` and `ServerSentEvent`, as in FastAPI 0.165.

A path operation declared with `response_class=EventSourceResponse` that `yield`s values streams them as SSE
events: plain values are JSON-encoded into the `data:` field, `ServerSentEvent` items control every field.
While the generator is idle, a `: ping` comment is sent every 15 seconds so proxies keep the connection open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import StreamingResponse

from vivace._lazy_names import lazy_names

if TYPE_CHECKING:
    from vivace._sse_event import ServerSentEvent

__all__ = ["KEEPALIVE_COMMENT", "EventSourceResponse", "ServerSentEvent", "format_sse_event"]

# PERF: `ServerSentEvent` is a Pydantic model, built on first use rather than at import (see vivace/_sse_event.py)
__getattr__ = lazy_names(__name__, {"ServerSentEvent": "vivace._sse_event"})

#: The comment sent while a stream is idle (an SSE comment line; clients ignore it).
KEEPALIVE_COMMENT = b": ping\n\n"

#: Seconds of generator silence before a keep-alive comment is sent (tests may lower it).
_PING_INTERVAL: float = 15.0


class EventSourceResponse(StreamingResponse):
    """Marks a generator path operation as an SSE stream and sets `text/event-stream`."""

    media_type = "text/event-stream"


def _lines(value: str) -> list[str]:
    # The SSE line terminators are \r\n, \r and \n; a trailing terminator yields an empty last line.
    return value.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def format_sse_event(
    *,
    data_str: str | None = None,
    event: str | None = None,
    id: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
) -> bytes:
    """Encode one event in the `text/event-stream` wire format, terminated by a blank line."""
    lines = [f": {line}" for line in _lines(comment)] if comment is not None else []
    if event is not None:
        lines.append(f"event: {event}")
    if data_str is not None:
        lines.extend(f"data: {line}" for line in _lines(data_str))
    if id is not None:
        lines.append(f"id: {id}")
    if retry is not None:
        lines.append(f"retry: {retry}")
    return "\n".join([*lines, "", ""]).encode()
