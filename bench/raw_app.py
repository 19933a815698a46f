"""A hand-written ASGI app: the upper limit any framework can reach on this server.

It answers the scenarios whose ceiling says something about the server rather than about a framework:
`GET /hello` (everything prebuilt, a request costs only the two `send` calls), `POST /upload` (the least work
that gives the same answer as the frameworks: the body gathered into one buffer, which holds the file's bytes
contiguously, the one copy `await file.read()` needs too; the part delimiters found with `bytes.find`; the
file's size and the text field answered; no validation, no spooling), the `/ws` echo and the `/events` stream
(pre-encoded `data:` lines, no validation). Anything else is a 404.
"""

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = (b"content-type", b"application/json")


def _start(status: int, body: bytes) -> Message:
    return {
        "type": "http.response.start",
        "status": status,
        "headers": [_JSON, (b"content-length", str(len(body)).encode())],
    }


_HELLO_BODY = b'{"message":"Hello World"}'
_HELLO_START = _start(200, _HELLO_BODY)
_HELLO_END: Message = {"type": "http.response.body", "body": _HELLO_BODY}

_NOT_FOUND_BODY = b'{"detail":"Not Found"}'
_NOT_FOUND_START = _start(404, _NOT_FOUND_BODY)
_NOT_FOUND_END: Message = {"type": "http.response.body", "body": _NOT_FOUND_BODY}

_SSE_START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache")],
}


async def app(scope: Message, receive: Receive, send: Send) -> None:
    kind = scope["type"]
    if kind == "http":
        await _http(scope, receive, send)
    elif kind == "websocket":
        await _echo(receive, send)
    elif kind == "lifespan":
        await _lifespan(receive, send)


async def _http(scope: Message, receive: Receive, send: Send) -> None:
    path, method = scope["path"], scope["method"]
    if path == "/hello" and method == "GET":
        await send(_HELLO_START)
        await send(_HELLO_END)
    elif path == "/upload" and method == "POST":
        await _upload(scope, receive, send)
    elif path == "/events" and method == "GET":
        await _events(_count_param(scope["query_string"]), send)
    else:
        await send(_NOT_FOUND_START)
        await send(_NOT_FOUND_END)


async def _upload(scope: Message, receive: Receive, send: Send) -> None:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    answer = read_parts(b"".join(chunks), _boundary(scope["headers"]))
    if answer is None:
        await send(_start(400, _BAD_BODY))
        await send({"type": "http.response.body", "body": _BAD_BODY})
        return
    body = json.dumps(answer, separators=(",", ":")).encode()
    await send(_start(200, body))
    await send({"type": "http.response.body", "body": body})


_BAD_BODY = b'{"detail":"Bad multipart body"}'


def _boundary(headers: list[tuple[bytes, bytes]]) -> bytes:
    for name, value in headers:
        if name == b"content-type":
            return value.partition(b"boundary=")[2].split(b";")[0].strip(b'" ')
    return b""


def read_parts(body: bytes, boundary: bytes) -> dict[str, Any] | None:
    """{"filename", "size", "note"} of a well-formed body with a `file` part and a `note` field; None if malformed."""
    delimiter = b"\r\n--" + boundary
    if not body.startswith(delimiter[2:] + b"\r\n"):
        return None
    answer: dict[str, Any] = {"filename": None, "size": 0, "note": ""}
    pos = len(delimiter)
    while True:
        head_end = body.find(b"\r\n\r\n", pos)
        end = body.find(delimiter, head_end + 4)
        if head_end < 0 or end < 0:
            return None
        head = body[pos:head_end]
        if b'filename="' in head:
            answer["filename"] = head.partition(b'filename="')[2].partition(b'"')[0].decode()
            answer["size"] = end - head_end - 4  # the file's bytes are body[head_end + 4 : end], already contiguous
        elif b'name="note"' in head:
            answer["note"] = body[head_end + 4 : end].decode()
        pos = end + len(delimiter)
        if body.startswith(b"--", pos):
            return answer
        pos += 2


def _count_param(query: bytes) -> int:
    for pair in query.split(b"&"):
        name, _, value = pair.partition(b"=")
        if name == b"count" and value.isdigit():
            return int(value)
    return 1000


async def _events(count: int, send: Send) -> None:
    await send(_SSE_START)
    for n in range(count):
        event = b'data: {"n":%d,"label":"tick"}\n\n' % n
        await send({"type": "http.response.body", "body": event, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _echo(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif kind == "websocket.receive":
            await send({"type": "websocket.send", "text": message.get("text"), "bytes": message.get("bytes")})
        else:  # websocket.disconnect
            return


async def _lifespan(receive: Receive, send: Send) -> None:
    # NOTE: answering lifespan keeps uvicorn from logging "ASGI 'lifespan' protocol appears unsupported".
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
