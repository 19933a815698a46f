"""The WebSocket's direct reads and sends (issue 18) keep Starlette's state machine: vivace and FastAPI side by side.

Each endpoint runs a script against the connection and records what every step returned or raised; the
connection is driven through the ASGI callables, so the two frameworks meet exactly the same messages.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

Script = Callable[[WebSocket, list[Any]], Awaitable[None]]

CONNECT = {"type": "websocket.connect"}


def text(value: str) -> dict[str, Any]:
    return {"type": "websocket.receive", "text": value}


def binary(value: bytes) -> dict[str, Any]:
    return {"type": "websocket.receive", "bytes": value}


def bye(code: int = 1000, reason: str = "") -> dict[str, Any]:
    return {"type": "websocket.disconnect", "code": code, "reason": reason}


def outcome(exc: BaseException) -> tuple[Any, ...]:
    """What an endpoint can tell about an error: a disconnect's code and reason, or the error's kind and text."""
    if isinstance(exc, WebSocketDisconnect):
        return ("WebSocketDisconnect", exc.code, exc.reason)
    return (type(exc).__name__, isinstance(exc, RuntimeError), str(exc))


async def step(seen: list[Any], call: Awaitable[Any]) -> None:
    try:
        seen.append(("ok", await call))
    except Exception as exc:  # NOTE: the test compares whatever each framework raises
        seen.append(outcome(exc))


def serve(fw: Any, script: Script, incoming: list[dict[str, Any]], fail_send: bool = False) -> dict[str, Any]:
    """Run `script` in a WebSocket endpoint of `fw`; returns what it recorded and the messages the app sent."""
    app = fw.FastAPI()
    seen: list[Any] = []

    @app.websocket("/ws")  # type: ignore[untyped-decorator]
    async def endpoint(websocket: WebSocket) -> None:
        await script(websocket, seen)
        seen.append(("states", websocket.client_state, websocket.application_state))

    sent: list[dict[str, Any]] = []
    inbox = iter(incoming)

    async def receive() -> dict[str, Any]:
        return next(inbox)

    async def send(message: dict[str, Any]) -> None:
        if fail_send and message["type"] == "websocket.send":
            raise OSError("the client is gone")
        sent.append(message)

    scope = {
        "type": "websocket",
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "scheme": "ws",
        "subprotocols": [],
        "asgi": {"version": "3.0"},
    }
    asyncio.run(app(scope, receive, send))
    return {"seen": seen, "sent": sent}


def assert_same(both: dict[str, Any], script: Script, incoming: list[dict[str, Any]], **kwargs: Any) -> Any:
    ours, theirs = (serve(both[name], script, incoming, **kwargs) for name in ("vivace", "fastapi"))
    assert ours == theirs
    return ours


async def echo_all_kinds(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    await step(seen, ws.receive_text())
    await step(seen, ws.receive_bytes())
    await step(seen, ws.receive_json())
    await step(seen, ws.receive_json(mode="binary"))
    await ws.send_text("t")
    await ws.send_bytes(b"b")
    await ws.send_json({"k": "é"})
    await ws.send_json([1], mode="binary")
    await step(seen, ws.receive_text())
    await step(seen, ws.receive_text())  # NOTE: after the disconnect
    await step(seen, ws.receive_bytes())
    await step(seen, ws.receive_json())


def test_reads_sends_and_reads_after_disconnect(both: dict[str, Any]) -> None:
    """Every typed read and send gives the same values and messages; a disconnect raises its code and reason
    once, and a read after it raises the same error on both."""
    result = assert_same(
        both, echo_all_kinds, [CONNECT, text("a"), binary(b"b"), text('{"x":1}'), binary(b"[2]"), bye(1001, "later")]
    )
    assert result["seen"][4] == ("WebSocketDisconnect", 1001, "later")
    assert result["seen"][5][0] == "WebSocketDisconnected"


async def before_accept(ws: WebSocket, seen: list[Any]) -> None:
    await step(seen, ws.receive_text())
    await step(seen, ws.receive_bytes())
    await step(seen, ws.send_text("early"))
    await step(seen, ws.send_bytes(b"early"))
    await step(seen, ws.send_json({}))
    await ws.close()


def test_reads_and_sends_before_accept(both: dict[str, Any]) -> None:
    """Before `accept`, reads raise "not connected" and sends the state machine's RuntimeError, as in FastAPI."""
    result = assert_same(both, before_accept, [CONNECT])
    assert all(kind != "ok" for kind, *_ in result["seen"][:5])


async def after_close(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    await ws.close(4000)
    await step(seen, ws.send_text("late"))
    await step(seen, ws.send_bytes(b"late"))
    await step(seen, ws.send_json({"late": True}))
    await step(seen, ws.receive_text())


def test_send_and_receive_after_close(both: dict[str, Any]) -> None:
    """Sends after `close` raise "Cannot call send once a close message has been sent"; nothing more is sent."""
    result = assert_same(both, after_close, [CONNECT])
    assert result["seen"][0][0] == "WebSocketDisconnected"
    assert [m["type"] for m in result["sent"]] == ["websocket.accept", "websocket.close"]


async def iterate(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    seen.append([item async for item in ws.iter_text()])
    await step(seen, ws.receive_text())


async def iterate_json(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    seen.append([item async for item in ws.iter_json()])


async def iterate_bytes(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    seen.append([item async for item in ws.iter_bytes()])


@pytest.mark.parametrize(
    ("script", "incoming"),
    [
        (iterate, [CONNECT, text("a"), text("b"), bye()]),
        (iterate_json, [CONNECT, text("1"), text('{"a":[]}'), bye(1005)]),
        (iterate_bytes, [CONNECT, binary(b"x"), binary(b""), bye()]),
    ],
)
def test_iterators_end_on_disconnect(both: dict[str, Any], script: Script, incoming: list[dict[str, Any]]) -> None:
    """`iter_text`, `iter_json` and `iter_bytes` yield every message and end quietly at the disconnect."""
    result = assert_same(both, script, incoming)
    assert len(result["seen"][0]) == 2


async def send_to_gone_client(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    await step(seen, ws.send_text("x"))
    await step(seen, ws.send_text("again"))


async def send_bytes_to_gone_client(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    await step(seen, ws.send_bytes(b"x"))


@pytest.mark.parametrize("script", [send_to_gone_client, send_bytes_to_gone_client])
def test_send_refused_by_the_server(both: dict[str, Any], script: Script) -> None:
    """A send the server refuses (OSError) raises WebSocketDisconnect(1006) and leaves the connection closed."""
    result = assert_same(both, script, [CONNECT], fail_send=True)
    assert result["seen"][0] == ("WebSocketDisconnect", 1006, "")
    assert result["seen"][-1] == ("states", WebSocketState.CONNECTED, WebSocketState.DISCONNECTED)


async def read_one(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    await step(seen, ws.receive_text())


def test_unexpected_asgi_message(both: dict[str, Any]) -> None:
    """A message no server may send mid-connection raises the state machine's RuntimeError on both."""
    result = assert_same(both, read_one, [CONNECT, {"type": "websocket.connect"}])
    assert result["seen"][0][:2] == ("RuntimeError", True)


@pytest.mark.parametrize(
    ("script", "message", "code"),
    [
        (read_one, binary(b"b"), 1003),
        (lambda ws, seen: _read_bytes(ws, seen), text("t"), 1003),
        (lambda ws, seen: _read_json(ws, seen), text("{not json"), 1007),
    ],
)
def test_wrong_kind_of_message_closes(both: dict[str, Any], script: Script, message: dict[str, Any], code: int) -> None:
    """vivace's documented difference: a message of the wrong kind closes with 1003 (bad JSON 1007) and the read
    raises WebSocketDisconnect with that code, where FastAPI raises KeyError or a JSON decode error."""
    ours = serve(both["vivace"], script, [CONNECT, message])
    assert ours["seen"][0][:2] == ("WebSocketDisconnect", code)
    assert ours["sent"][-1]["type"] == "websocket.close" and ours["sent"][-1]["code"] == code
    theirs = serve(both["fastapi"], script, [CONNECT, message])
    assert theirs["seen"][0][0] in ("KeyError", "JSONDecodeError")


async def _read_bytes(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    await step(seen, ws.receive_bytes())


async def _read_json(ws: WebSocket, seen: list[Any]) -> None:
    await ws.accept()
    await step(seen, ws.receive_json())
