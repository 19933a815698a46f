"""Server-Sent Events: `EventSourceResponse` and `ServerSentEvent`, as in FastAPI 0.165.

A path operation declared with `response_class=EventSourceResponse` that `yield`s values streams them as SSE
events: plain values are JSON-encoded into the `data:` field, `ServerSentEvent` items control every field.
While the generator is idle, a `: ping` comment is sent every 15 seconds so proxies keep the connection open.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, model_validator
from starlette.responses import StreamingResponse

__all__ = ["KEEPALIVE_COMMENT", "EventSourceResponse", "ServerSentEvent", "format_sse_event"]

#: The comment sent while a stream is idle (an SSE comment line; clients ignore it).
KEEPALIVE_COMMENT = b": ping\n\n"

#: Seconds of generator silence before a keep-alive comment is sent (tests may lower it).
_PING_INTERVAL: float = 15.0


class EventSourceResponse(StreamingResponse):
    """Marks a generator path operation as an SSE stream and sets `text/event-stream`."""

    media_type = "text/event-stream"


def _single_line(value: str | None, what: str) -> str | None:
    if value is not None and ("\r" in value or "\n" in value):
        raise ValueError(f"SSE '{what}' must be a single line")
    return value


def _valid_event(value: str | None) -> str | None:
    return _single_line(value, "event")


def _valid_id(value: str | None) -> str | None:
    if value is not None and "\0" in value:
        raise ValueError("SSE 'id' must not contain null characters")
    return _single_line(value, "id")


class ServerSentEvent(BaseModel):
    """One event with full control of its fields; `data` is JSON-encoded, `raw_data` is sent as it is."""

    data: Any = None
    raw_data: str | None = None
    event: Annotated[str | None, AfterValidator(_valid_event)] = None
    id: Annotated[str | None, AfterValidator(_valid_id)] = None
    retry: Annotated[int | None, Field(ge=0)] = None
    comment: str | None = None

    @model_validator(mode="after")
    def _one_payload(self) -> ServerSentEvent:
        if self.data is not None and self.raw_data is not None:
            raise ValueError("Cannot set both 'data' and 'raw_data': 'data' is JSON-encoded, 'raw_data' is sent as is.")
        return self


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
