"""A hand-written ASGI app: the upper limit any framework can reach on this server.

It answers the scenarios whose ceiling says something about the server rather than about a framework:
`GET /hello` (everything prebuilt, a request costs only the two `send` calls), `POST /upload` (drains the
body and counts it, no multipart parsing: the cost of moving 1 MiB through uvicorn), the `/ws` echo and the
`/events` stream (pre-encoded `data:` lines, no validation). Anything else is a 404.
"""

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
        await _count_body(receive, send)
    elif path == "/events" and method == "GET":
        await _events(_count_param(scope["query_string"]), send)
    else:
        await send(_NOT_FOUND_START)
        await send(_NOT_FOUND_END)


async def _count_body(receive: Receive, send: Send) -> None:
    received, more = 0, True
    while more:
        message = await receive()
        received += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = b'{"received":%d}' % received
    await send(_start(200, body))
    await send({"type": "http.response.body", "body": body})


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
