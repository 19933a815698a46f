"""One WebSocket connection on granian's RSGI protocol, presented to vivace's WebSocket routes as ASGI messages.

The route code (Starlette's `WebSocket`, vivace's typed reads) is unchanged: `websocket.accept` accepts through
RSGI, text and bytes go to `send_str` / `send_bytes`, and RSGI's incoming messages come back as
`websocket.receive` / `websocket.disconnect`.

A send returns once granian has the frame, as under an ASGI server (uvicorn's send returns once the frame is in
its transport's buffer): granian writes it from its own thread, and the future it hands back is awaited by the
next send, or before the connection closes. One frame at most is in flight, so a client that stops reading
still holds the sender back; a frame granian could not write is reported by the next send, as a client gone.

What RSGI (granian 2.8) cannot carry, documented in docs/guide/granian.md:
- close codes: after the handshake granian closes without a status, so a client sees 1005 whatever code the app
  passed, and the app sees 1005 whatever code the client sent;
- the handshake's details: the accepted subprotocol and extra headers of `websocket.accept` are not sent;
- a denial response (a close before accepting, or an exception handler's response) keeps its status code, not
  its headers or body; a close before accepting is a 403, as in ASGI.
"""

from __future__ import annotations

from typing import Any

from starlette.types import Message

__all__ = ["NO_STATUS", "WebSocketExchange"]

#: RFC 6455's "no status received": the code of a close that carried none, which is every close under RSGI
NO_STATUS = 1005
#: what an ASGI server answers a handshake the app closed or left without accepting
_DENIED = 403

_CONNECT: Message = {"type": "websocket.connect"}
_GONE: Message = {"type": "websocket.disconnect", "code": NO_STATUS, "reason": ""}


class WebSocketExchange:
    """`receive` and `send` for one connection over an RSGI WebSocket protocol object."""

    __slots__ = ("_closed", "_connected", "_protocol", "_sending", "_transport")

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self._transport: Any = None  # granian's transport, once accepted
        self._connected = False  # `websocket.connect` was handed out
        self._closed = False
        self._sending: Any = None  # granian's future for the last frame sent, until the next send awaits it

    async def receive(self) -> Message:
        if not self._connected:
            self._connected = True
            return _CONNECT
        transport = self._transport
        if transport is None or self._closed:
            return _GONE
        try:
            message = await transport.receive()
        except RuntimeError:  # granian's RSGIProtocolClosed / RSGIProtocolError: the connection is over
            self._closed = True
            return _GONE
        kind = message.kind
        if kind == 2:
            return {"type": "websocket.receive", "text": message.data}
        if kind == 1:
            return {"type": "websocket.receive", "bytes": message.data}
        self._closed = True
        return _GONE

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "websocket.send":
            transport = self._transport
            if transport is None or self._closed:
                raise RuntimeError("cannot send on a WebSocket that is not accepted or already closed")
            text = message.get("text")
            try:
                if self._sending is not None:
                    sending, self._sending = self._sending, None
                    await sending  # PERF: normally done already (the echo's read came in between): no suspension
                if text is not None:
                    sending = transport.send_str(text)
                else:
                    sending = transport.send_bytes(bytes(message["bytes"]))
                if hasattr(sending, "done"):
                    # PERF: granian's future: not awaited here, which would suspend the whole session's coroutine
                    # chain once more per message while granian's thread writes the frame
                    self._sending = sending
                else:
                    await sending
            except RuntimeError as exc:
                self._closed = True
                # NOTE: what ASGI servers raise when the client is gone; Starlette turns it into WebSocketDisconnect
                raise OSError("the WebSocket client disconnected") from exc
        elif kind == "websocket.accept":
            if self._transport is not None or self._closed:
                raise RuntimeError("websocket.accept sent twice, or after the connection was closed")
            self._transport = await self._protocol.accept()
        elif kind == "websocket.close":
            await self.flush()
            self.close()
        elif kind == "websocket.http.response.start":
            # NOTE: RSGI refuses a handshake with a status only: headers and body are not sent
            self.close(int(message["status"]))
        elif kind != "websocket.http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r} on a WebSocket connection")

    async def flush(self) -> None:
        """Wait until granian has written the last frame sent; one it could not write (the client is gone) is
        dropped silently, as the connection is ending."""
        sending, self._sending = self._sending, None
        if sending is not None:
            try:
                await sending
            except RuntimeError:
                self._closed = True

    async def finish(self) -> None:
        """The session is over: the last frame is written, then the connection closed (see `close`)."""
        try:
            await self.flush()
        finally:
            self.close()

    def close(self, status: int = _DENIED) -> None:
        """Close the connection; before the handshake, refuse it with `status` (an HTTP status)."""
        if self._closed:
            return
        self._closed = True
        # NOTE: granian reads the status only for a handshake not yet accepted; it must be a valid HTTP status
        # there (anything else brings the worker down), and 403 is harmless after the handshake
        self._protocol.close(status if self._transport is None and 100 <= status <= 599 else _DENIED)
