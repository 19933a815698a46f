"""Stage 8, send: `http.response.start` + `http.response.body` with prebuilt headers, then background tasks."""

from __future__ import annotations

from starlette.background import BackgroundTasks
from starlette.responses import Response
from starlette.types import Message, Send

__all__ = ["body_allowed", "response_start", "send_bytes", "send_prepared"]

_NO_BODY = frozenset({204, 205, 304})


def body_allowed(status: int) -> bool:
    return status >= 200 and status not in _NO_BODY


def response_start(status: int, media_type: bytes, body: bytes, extra: Response | None) -> tuple[Message, bytes]:
    """The `http.response.start` message for `body`, and the body to send (empty when the status allows none).

    Headers and cookies set on the injected `Response` parameter (`extra`) are appended.
    """
    if body_allowed(status):
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", media_type)]
    else:
        headers = [(b"content-type", media_type)]
        body = b""
    if extra is not None:
        headers.extend(extra.raw_headers)
    return {"type": "http.response.start", "status": status, "headers": headers}, body


async def send_bytes(
    send: Send,
    status: int,
    media_type: bytes,
    body: bytes,
    extra: Response | None,
    background: BackgroundTasks | None,
) -> None:
    """Answer with `body`, then run the background tasks."""
    start, body = response_start(status, media_type, body, extra)
    await send_prepared(send, start, body, background)


async def send_prepared(send: Send, start: Message, body: bytes, background: BackgroundTasks | None) -> None:
    """Send a start message built by `response_start` and its body, then run the background tasks."""
    await send(start)
    await send({"type": "http.response.body", "body": body})
    if background is not None:
        await background()
