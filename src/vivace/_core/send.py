"""Stage 8, send: `http.response.start` + `http.response.body` with prebuilt headers, then background tasks."""

from __future__ import annotations

from starlette.background import BackgroundTasks
from starlette.responses import Response
from starlette.types import Send

__all__ = ["body_allowed", "send_bytes"]

_NO_BODY = frozenset({204, 205, 304})


def body_allowed(status: int) -> bool:
    return status >= 200 and status not in _NO_BODY


async def send_bytes(
    send: Send,
    status: int,
    media_type: bytes,
    body: bytes,
    extra: Response | None,
    background: BackgroundTasks | None,
) -> None:
    """Answer with `body`; headers/cookies set on the injected `Response` parameter are appended."""
    if body_allowed(status):
        headers = [(b"content-length", str(len(body)).encode()), (b"content-type", media_type)]
    else:
        headers = [(b"content-type", media_type)]
        body = b""
    if extra is not None:
        headers.extend(extra.raw_headers)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
    if background is not None:
        await background()
