"""A hand-written ASGI app answering `GET /hello`: the upper limit any framework can reach on this server.

Everything is prebuilt at import, so a request costs only the two `send` calls.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_HELLO_BODY = b'{"message":"Hello World"}'
_HELLO_START: Message = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(_HELLO_BODY)).encode())],
}
_HELLO_END: Message = {"type": "http.response.body", "body": _HELLO_BODY}

_NOT_FOUND_BODY = b'{"detail":"Not Found"}'
_NOT_FOUND_START: Message = {
    "type": "http.response.start",
    "status": 404,
    "headers": [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(_NOT_FOUND_BODY)).encode()),
    ],
}
_NOT_FOUND_END: Message = {"type": "http.response.body", "body": _NOT_FOUND_BODY}


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        found = scope["path"] == "/hello" and scope["method"] == "GET"
        await send(_HELLO_START if found else _NOT_FOUND_START)
        await send(_HELLO_END if found else _NOT_FOUND_END)
    elif scope["type"] == "lifespan":
        await _lifespan(receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    # NOTE: answering lifespan keeps uvicorn from logging "ASGI 'lifespan' protocol appears unsupported".
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
