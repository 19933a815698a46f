"""Plugging a subscription into a WebSocket: forward what it receives, read what the client sends, and close
with a code that says why the feed ended."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Literal

import anyio
from starlette.websockets import WebSocket, WebSocketDisconnect

from vivace.channels._errors import ChannelsUnavailable
from vivace.channels._message import Message
from vivace.channels._subscription import EndReason, Subscription

__all__ = ["CLOSE_CODES", "CloseReason", "OnReceive", "close_for", "relay"]

OnReceive = Callable[[str | bytes], Awaitable[None]]

CloseReason = EndReason | Literal["invalid"]

#: How a WebSocket is closed when its subscription ends on the server's side (or cannot start: "invalid").
CLOSE_CODES: dict[CloseReason, tuple[int, str]] = {
    "closed": (1001, "server going away"),
    "invalid": (1008, "invalid channel name or message id"),
    "overflow": (1008, "too slow: messages would have been lost"),
    "unavailable": (1011, "channels unavailable"),
}


async def relay(websocket: WebSocket, subscription: Subscription, *, on_receive: OnReceive | None = None) -> None:
    """Send every item of `subscription` to `websocket` until either side ends.

    JSON messages and gap markers go out as text frames holding their `envelope()`; bytes messages as binary
    frames. What the client sends is passed to `on_receive` (text or bytes). When the client leaves, this
    returns; when the subscription ends first, the connection is closed with the code of `CLOSE_CODES`.
    """
    gone = False
    error: BaseException | None = None

    async def listen() -> None:
        nonlocal gone, error
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    gone = True
                    break
                if on_receive is not None:
                    text = message.get("text")
                    await on_receive(text if text is not None else message.get("bytes") or b"")
        except ChannelsUnavailable:
            subscription.end("unavailable")  # publishing failed: the feed is as lost as the store
        except Exception as exc:  # NOTE: re-raised below, outside the task group, so it is not wrapped
            error = exc
        group.cancel_scope.cancel()

    async with anyio.create_task_group() as group:
        group.start_soon(listen)
        gone = await _forward(websocket, subscription) or gone
        group.cancel_scope.cancel()
    if error is not None:
        raise error
    if not gone:
        await close_for(websocket, subscription.ended or "closed")


async def _forward(websocket: WebSocket, subscription: Subscription) -> bool:
    """Send items until the subscription ends; True when the client turned out to be gone."""
    try:
        async for item in subscription:
            if isinstance(item, Message) and item.kind == "bytes":
                await websocket.send_bytes(item.payload)
            else:
                await websocket.send_text(item.envelope())
    except WebSocketDisconnect:
        return True
    return False


async def close_for(websocket: WebSocket, reason: CloseReason) -> None:
    """Close with the code for `reason`; a client that already left is not an error."""
    code, text = CLOSE_CODES[reason]
    with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
        await websocket.close(code, text)
