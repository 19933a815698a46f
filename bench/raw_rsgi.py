"""A hand-written RSGI app: the upper limit any framework can reach on granian's RSGI interface.

The RSGI counterpart of bench/raw_app.py, for the scenarios where the server is the question: `GET /hello`
(a prebuilt body, one `response_bytes` call), `POST /upload` (the whole body in one read, the parts found as
bench/raw_app.py finds them), the `/ws` echo (accept, then each text or binary message sent back as it came)
and the `/events` stream (pre-encoded `data:` lines). Anything else is a 404. Served by
`bench/serve.py --framework raw --server granian-rsgi`.
"""

import json
from typing import Any

from raw_app import read_parts

_JSON = [("content-type", "application/json")]
_HELLO_BODY = b'{"message":"Hello World"}'
_NOT_FOUND_BODY = b'{"detail":"Not Found"}'
_BAD_BODY = b'{"detail":"Bad multipart body"}'
_SSE_HEADERS = [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-cache")]

#: granian's WebsocketMessageType values: close, bytes, string
_BYTES, _TEXT = 1, 2


async def _echo(protocol: Any) -> None:
    transport = await protocol.accept()
    try:
        while True:
            message = await transport.receive()
            kind = message.kind
            if kind == _TEXT:
                await transport.send_str(message.data)
            elif kind == _BYTES:
                await transport.send_bytes(message.data)
            else:  # the client closed
                return
    except RuntimeError:  # granian's ProtocolClosed / ProtocolError: the client is gone
        return
    finally:
        protocol.close(None)


def _count_param(query: str) -> int:
    for pair in query.split("&"):
        name, _, value = pair.partition("=")
        if name == "count" and value.isdigit():
            return int(value)
    return 1000


async def _upload(scope: Any, protocol: Any) -> None:
    body = await protocol()
    boundary = scope.headers.get("content-type", "").partition("boundary=")[2].split(";")[0].strip('" ')
    answer = read_parts(body, boundary.encode())
    if answer is None:
        protocol.response_bytes(400, _JSON, _BAD_BODY)
    else:
        protocol.response_bytes(200, _JSON, json.dumps(answer, separators=(",", ":")).encode())


async def _events(count: int, protocol: Any) -> None:
    transport = protocol.response_stream(200, _SSE_HEADERS)
    for n in range(count):
        await transport.send_bytes(b'data: {"n":%d,"label":"tick"}\n\n' % n)


class RawRSGI:
    """granian calls `__rsgi__` per request or connection; the app has no start-up or shut-down work."""

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        path = scope.path
        if scope.proto != "http":
            if path == "/ws":
                await _echo(protocol)
            else:
                protocol.close(403)
            return
        if path == "/hello" and scope.method == "GET":
            protocol.response_bytes(200, _JSON, _HELLO_BODY)
        elif path == "/upload" and scope.method == "POST":
            await _upload(scope, protocol)
        elif path == "/events" and scope.method == "GET":
            await _events(_count_param(scope.query_string), protocol)
        else:
            protocol.response_bytes(404, _JSON, _NOT_FOUND_BODY)


app = RawRSGI()
