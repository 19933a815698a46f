"""One HTTP request on granian's RSGI protocol, presented to the compiled plans as ASGI `receive` and `send`.

The plans answer with two `send` calls (`http.response.start`, then one `http.response.body`); the adapter keeps
the start and answers the body with a single `response_bytes` call, so a complete response costs granian one
call and no stream. A body sent in several parts (streams, SSE, `StreamingResponse`) opens `response_stream`
and forwards each part. The request body is read only when the app asks for it: in one piece when the declared
Content-Length is small, else chunk by chunk, so the plans' size limits refuse a large body before it is read.
"""

from __future__ import annotations

import contextlib
from typing import Any

from starlette.types import Message

__all__ = ["WHOLE_BODY", "HTTPExchange"]

#: a declared body up to this size is read with one call (`await protocol()`); larger ones stream in chunks,
#: so a limit can stop them part way
WHOLE_BODY = 1024 * 1024

_DISCONNECT: Message = {"type": "http.disconnect"}


def _convert(headers: Any) -> list[tuple[str, str]]:
    try:
        return [(name.decode(), value.decode()) for name, value in headers]
    except UnicodeDecodeError:
        # NOTE: a value that is not UTF-8 (a Latin-1 byte): sent as the character of that byte
        return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


#: converted header lists by their bytes pairs: a route answers with the same few lists over and over
_TEXT: dict[tuple[tuple[bytes, bytes], ...], list[tuple[str, str]]] = {}
_TEXT_KEPT = 1024


def _text(headers: Any) -> list[tuple[str, str]]:
    """ASGI's bytes header pairs as the text pairs RSGI takes (granian writes the text back as UTF-8)."""
    # PERF: one tuple and one dict hit instead of a decode per name and value (callgrind, in-process: 4.9k ->
    # ~1k instructions for a route's two headers); bounded like any cache fed by responses
    key = tuple(headers)
    try:
        return _TEXT[key]
    except KeyError:
        if len(_TEXT) >= _TEXT_KEPT:
            _TEXT.clear()
        converted = _TEXT[key] = _convert(key)
        return converted
    except TypeError:  # NOTE: a header pair given as a list is not hashable: converted each time
        return _convert(headers)


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class HTTPExchange:
    """`receive` and `send` for one request over an RSGI HTTP protocol object."""

    __slots__ = ("_body", "_chunks", "_complete", "_headers", "_protocol", "_start", "_stream")

    def __init__(self, protocol: Any, headers: list[tuple[bytes, bytes]]) -> None:
        self._protocol = protocol
        self._headers = headers  # NOTE: the declared length is looked up only when the body is read
        self._chunks: Any = None  # granian's body iterator, once the body streams
        self._body = True  # the request body is still to be read
        self._start: Message | None = None
        self._stream: Any = None  # granian's stream transport, while a response streams
        self._complete = False

    async def receive(self) -> Message:
        if not self._body:
            # NOTE: the whole body was read: what is left to wait for is the client leaving
            await self._protocol.client_disconnect()
            return _DISCONNECT
        try:
            return await self._read()
        except RuntimeError:  # granian's RSGIProtocolError: the client went away while sending its body
            self._body = False
            return _DISCONNECT

    async def _read(self) -> Message:
        chunks = self._chunks
        if chunks is None:
            declared = _declared_length(self._headers)
            if declared is not None and declared <= WHOLE_BODY:
                # PERF: the common small body in one call to granian rather than a chunk and an empty end
                self._body = False
                return {"type": "http.request", "body": await self._protocol(), "more_body": False}
            chunks = self._chunks = self._protocol.__aiter__()
        try:
            chunk = await chunks.__anext__()
        except StopAsyncIteration:
            chunk = b""
        if not chunk:
            self._body = False
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            more_body = message.get("more_body", False)
            if more_body or self._stream is not None:
                await self._send_part(message.get("body", b""), more_body)
                return
            # PERF: a complete response is one granian call, with no coroutine of its own
            start = self._started()
            self._complete = True
            body = bytes(message.get("body", b""))
            self._protocol.response_bytes(start["status"], _text(start.get("headers", ())), body)
        elif kind == "http.response.start":
            if self._start is not None:
                raise RuntimeError("http.response.start sent twice")
            self._start = message
        elif kind == "http.response.pathsend":
            start = self._started()
            self._complete = True
            self._protocol.response_file(start["status"], _text(start.get("headers", ())), message["path"])
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r} on an HTTP connection")

    def _started(self) -> Message:
        start = self._start
        if start is None:
            raise RuntimeError("an HTTP response body was sent before http.response.start")
        if self._complete:
            raise RuntimeError("an HTTP response was sent after the response was complete")
        return start

    async def _send_part(self, body: bytes, more_body: bool) -> None:
        """One part of a streamed body; the first opens granian's stream with the start's status and headers."""
        stream = self._stream
        if stream is None:
            start = self._started()
            stream = self._stream = self._protocol.response_stream(start["status"], _text(start.get("headers", ())))
        if body:
            # NOTE: a failed send is a client that left; as uvicorn does, later parts are dropped and the app is
            # not interrupted here: it learns of the disconnect from `receive`
            with contextlib.suppress(RuntimeError):
                await stream.send_bytes(bytes(body))
        if not more_body:
            self._stream = None  # NOTE: granian ends the response when its transport is released
            self._complete = True

    @property
    def answered(self) -> bool:
        """Whether a response was given to granian (else granian answers a bare 500 when the app returns)."""
        return self._complete or self._stream is not None
