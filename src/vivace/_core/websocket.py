"""WebSocket routes: the same extract -> validate -> resolve stages, then the endpoint owns the connection.

What a client may do that the endpoint cannot expect ends the session the way RFC 6455 says, never with a
traceback in the server's log: a binary message where the endpoint reads text (or the reverse) closes with 1003,
a message `receive_json` cannot parse with 1007, and a client gone while the endpoint sends (or accepts) ends the
session quietly. A `WebSocketDisconnect` raised by a *read* still leaves the endpoint as in FastAPI: reading is
where an endpoint expects the client to leave, and tests written for FastAPI expect to see it. An error no
exception handler takes closes an accepted connection with 1011 before it goes on to the server's log (uvicorn
would only drop the connection: the client saw 1006 and no close frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from contextlib import AsyncExitStack
from typing import Any, NoReturn

import anyio
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketDisconnected, WebSocketState

from vivace._core.drain import DRAIN, OnDrain
from vivace._core.handle import endpoint_context, validate_request
from vivace._core.plan import DepStep, RoutePlan
from vivace._core.resolve import Context, run_steps, run_steps_skipping
from vivace.exceptions import WebSocketRequestValidationError

__all__ = [
    "GOING_AWAY",
    "INTERNAL_ERROR",
    "INVALID_PAYLOAD",
    "UNSUPPORTED_DATA",
    "WEBSOCKET_KEY",
    "ConnectionGone",
    "ServedWebSocket",
    "close_after_error",
    "handle_websocket",
]

#: RFC 6455 close codes: a message of a kind the endpoint does not take, data inconsistent with its type, and an
#: error on the server's side
UNSUPPORTED_DATA = 1003
INVALID_PAYLOAD = 1007
INTERNAL_ERROR = 1011
#: the close code of a server going down (RFC 6455 7.4.1)
GOING_AWAY = 1001
#: what Starlette reports when the server refuses a send (the client is gone); never sent on the wire
ABNORMAL_CLOSURE = 1006

_CONNECTED = WebSocketState.CONNECTED

#: the scope key holding the connection's ServedWebSocket, for the router's answer to an unhandled error
WEBSOCKET_KEY = "vivace.websocket"


async def handle_websocket(plan: RoutePlan, scope: Scope, receive: Receive, send: Send) -> None:
    ctx = Context(scope, receive, send)
    # NOTE: every dependency and the endpoint share this object (Context.request hands it out)
    websocket = ServedWebSocket(scope, receive, send)
    ctx._request = scope[WEBSOCKET_KEY] = websocket  # type: ignore[assignment]
    errors = await validate_request(plan, ctx)
    if errors:
        raise WebSocketRequestValidationError(errors, endpoint_ctx=endpoint_context(plan.endpoint_ctx, scope))  # type: ignore[arg-type]
    session = anyio.CancelScope()
    try:
        with DRAIN.track(_going_away(websocket, session)), session:
            async with AsyncExitStack() as ctx.request_stack, AsyncExitStack() as ctx.function_stack:
                endpoint = plan.steps[-1]
                if _awaited_here(endpoint):
                    # NOTE: every dependency, never the endpoint (it fills ctx.results), then the endpoint
                    await run_steps_skipping(plan.steps, ctx, _never)
                    ctx.results[-1] = await endpoint.call(**endpoint.arguments(ctx))
                else:
                    await run_steps(plan.steps, ctx)
    except ConnectionGone:
        return  # NOTE: the connection is over, and the `yield` dependencies have exited; nothing is left to answer
    finally:
        await websocket.flush()  # NOTE: the last frame is written before the app returns and the server closes


def _awaited_here(endpoint: DepStep) -> bool:
    """Whether the session awaits the endpoint itself rather than through `run_steps` (an `async def` endpoint
    with no concurrency limit).

    PERF: every frame between the task and the endpoint is resumed each time the endpoint waits for a message,
    and an echo waits once per message: `run_steps`, `call_step` and `_invoke` were three of them.
    """
    return not (endpoint.app_scoped or endpoint.limiter is not None or endpoint.is_generator) and endpoint.is_async


def _never(step: DepStep) -> bool:
    return False


def _going_away(websocket: ServedWebSocket, session: anyio.CancelScope) -> OnDrain:
    """What a session does when the process drains: close with 1001 at once (the endpoint's reads then see the
    client's answer as a disconnect, its sends end the session quietly), and cancel a session still running once
    the grace has run out, so its `finally` blocks and `yield` dependencies run before the server stops."""

    async def on_drain(grace: float) -> None:
        websocket.draining = True
        if websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):  # NOTE: the client may be gone already
                await websocket.close(GOING_AWAY, "server shutting down")
        asyncio.get_running_loop().call_later(grace, session.cancel)

    return on_drain


async def close_after_error(scope: Scope) -> None:
    """Close an accepted connection with 1011 when an error no handler takes ends its session.

    The error itself goes on to the server, which logs it; the client gets a close frame with a code saying the
    server failed, and nothing of the error.
    """
    websocket = scope.get(WEBSOCKET_KEY)
    if not isinstance(websocket, ServedWebSocket) or websocket.application_state != WebSocketState.CONNECTED:
        return  # NOTE: not accepted (the server answers the handshake with 500), or closed already
    with contextlib.suppress(Exception):  # NOTE: the client may be gone too; the original error matters more
        await websocket.close(INTERNAL_ERROR)


class ConnectionGone(WebSocketDisconnect):
    """A disconnect the endpoint could not expect: the client was gone when it sent or accepted, or vivace closed
    the connection for a message of the wrong kind. Still a `WebSocketDisconnect` for the endpoint's `except`;
    left uncaught, it ends the session quietly."""


class ServedWebSocket(WebSocket):
    """Starlette's WebSocket, whose typed reads close the connection on a message of the wrong kind.

    Starlette raises KeyError (a text read that gets a binary message) or a JSON decode error from inside
    `receive_*`; here the connection is closed with the matching code and `WebSocketDisconnect` is raised, so an
    endpoint's usual `except WebSocketDisconnect:` clean-up runs, as for a client that left.

    Once both sides are connected, the typed reads and sends call the server's `receive`/`send` directly: one
    frame per message instead of three (an echo costs ~1.04x the raw ASGI app's instructions on uvicorn, where
    Starlette's layering cost 1.14x). Any other state takes Starlette's path, so misuse raises the same errors.

    A server whose `send` hands back a future rather than a coroutine (granian: its own thread writes the frame)
    is not waited for by `send_text`/`send_bytes`: the next send awaits that future, as does any other message
    and the end of the session (`flush`). An echo then suspends its coroutine chain once per message, not twice;
    at most one frame is in flight, and a frame the server could not write is reported by the next send.
    """

    #: set when the process drains and vivace closed the connection with 1001
    draining = False
    #: the server's future for the last frame sent, until the next send or `flush` awaits it
    _sending: Any = None

    async def flush(self) -> None:
        """Wait until the server has written the last frame sent; a write that failed is dropped (the client is
        gone, which the session's next step learns from the server)."""
        sending = self._sending
        if sending is not None:
            self._sending = None
            with contextlib.suppress(Exception):
                await sending

    async def send(self, message: Message) -> None:
        if self._sending is not None:
            await self.flush()
        if self.draining and self.application_state == WebSocketState.DISCONNECTED:
            raise ConnectionGone(GOING_AWAY, "server shutting down")  # NOTE: vivace closed it; end the session
        try:
            await super().send(message)
        except ConnectionGone:
            raise
        except WebSocketDisconnect as exc:  # NOTE: Starlette's answer to the server refusing a send: client gone
            raise ConnectionGone(exc.code, exc.reason) from None

    async def receive_text(self) -> str:
        if self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()  # NOTE: the common case, with Starlette's checks inlined (issue 18)
            if message["type"] == "websocket.receive":
                text: str | None = message.get("text")
                if text is not None:
                    return text
                await self._refuse(UNSUPPORTED_DATA, "Expected a text message")
            self._not_data(message)
        text = (await self._data_message()).get("text")
        if text is None:
            await self._refuse(UNSUPPORTED_DATA, "Expected a text message")
        return str(text)

    async def receive_bytes(self) -> bytes:
        if self.application_state is _CONNECTED and self.client_state is _CONNECTED:
            message = await self._receive()
            if message["type"] == "websocket.receive":
                data: bytes | None = message.get("bytes")
                if data is not None:
                    return data
                await self._refuse(UNSUPPORTED_DATA, "Expected a binary message")
            self._not_data(message)
        data = (await self._data_message()).get("bytes")
        if data is None:
            await self._refuse(UNSUPPORTED_DATA, "Expected a binary message")
        return bytes(data)

    async def send_text(self, data: str) -> None:
        if self.application_state is not _CONNECTED:
            return await self.send({"type": "websocket.send", "text": data})  # NOTE: the state's own error
        try:
            sending = self._sending
            if sending is not None:
                self._sending = None
                await sending  # PERF: normally done already (the echo's read came in between): no suspension
            sending = self._send({"type": "websocket.send", "text": data})
            if hasattr(sending, "done"):  # PERF: the server's future (see the class docstring)
                self._sending = sending
            else:
                await sending
        except OSError:  # NOTE: as Starlette's send: the server refused it, the client is gone
            self.application_state = WebSocketState.DISCONNECTED
            raise ConnectionGone(ABNORMAL_CLOSURE) from None

    async def send_bytes(self, data: bytes) -> None:
        if self.application_state is not _CONNECTED:
            return await self.send({"type": "websocket.send", "bytes": data})
        try:
            sending = self._sending
            if sending is not None:
                self._sending = None
                await sending
            sending = self._send({"type": "websocket.send", "bytes": data})
            if hasattr(sending, "done"):
                self._sending = sending
            else:
                await sending
        except OSError:
            self.application_state = WebSocketState.DISCONNECTED
            raise ConnectionGone(ABNORMAL_CLOSURE) from None

    async def receive_json(self, mode: str = "text") -> Any:
        if mode not in ("text", "binary"):
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        try:
            text = await self.receive_text() if mode == "text" else (await self.receive_bytes()).decode("utf-8")
            return json.loads(text)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError
            await self._refuse(INVALID_PAYLOAD, "Invalid JSON")

    async def _data_message(self) -> Message:
        if self.application_state != WebSocketState.CONNECTED:
            raise WebSocketDisconnected('WebSocket is not connected. Need to call "accept" first.')
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message["code"], message.get("reason"))
        return message

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if mode not in ("text", "binary"):
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        await (self.send_text(text) if mode == "text" else self.send_bytes(text.encode("utf-8")))

    def _not_data(self, message: Message) -> NoReturn:
        """The fast reads' answer to a message other than data: a disconnect, or one no server may send."""
        if message["type"] == "websocket.disconnect":
            self.client_state = WebSocketState.DISCONNECTED
            raise WebSocketDisconnect(message["code"], message.get("reason"))
        raise RuntimeError(
            f'Expected ASGI message "websocket.receive" or "websocket.disconnect", but got {message["type"]!r}'
        )

    async def _refuse(self, code: int, reason: str) -> NoReturn:
        await self.close(code, reason)
        raise ConnectionGone(code, reason)
