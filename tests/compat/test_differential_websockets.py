"""WebSockets on vivace and FastAPI: parameters, dependencies, closing codes and errors give the same results."""

from typing import Annotated, Any

import pytest
from starlette.websockets import WebSocket, WebSocketDisconnect


def build(fw: Any) -> Any:
    app = fw.FastAPI()
    closed: list[int] = []
    app.state.closed = closed

    async def token(websocket: WebSocket, token: Annotated[str | None, fw.Query()] = None) -> str:
        if token is None:
            raise fw.exceptions.WebSocketException(code=1008, reason="token required")
        return token

    @app.websocket("/rooms/{room_id}")
    async def room(
        websocket: WebSocket,
        room_id: int,
        who: Annotated[str, fw.Depends(token)],
        q: int | None = None,
        x_client: Annotated[str | None, fw.Header()] = None,
        session: Annotated[str | None, fw.Cookie()] = None,
    ) -> None:
        await websocket.accept()
        await websocket.send_json(
            {"room": room_id, "who": who, "q": q, "client": x_client, "session": session}
        )
        try:
            while True:
                text = await websocket.receive_text()
                if text == "bye":
                    await websocket.close(code=4000, reason="see you")
                    return
                await websocket.send_text(f"{room_id}:{text}")
        except WebSocketDisconnect as exc:
            closed.append(exc.code)

    @app.websocket("/denied")
    async def denied(websocket: WebSocket) -> None:
        raise fw.exceptions.WebSocketException(code=4403, reason="nope")

    router = fw.APIRouter(prefix="/v1", dependencies=[fw.Depends(token)])

    @router.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    app.include_router(router)
    return app


@pytest.fixture
def client(fw: Any) -> Any:
    """A TestClient on the WebSocket app, once per framework."""
    return fw.TestClient(build(fw))


def test_parameters_from_every_location(client: Any) -> None:
    """Path, query, header and cookie parameters and a dependency reach the endpoint, converted."""
    client.cookies.set("session", "s-1")
    with client.websocket_connect("/rooms/7?token=t&q=3", headers={"X-Client": "cli"}) as ws:
        assert ws.receive_json() == {"room": 7, "who": "t", "q": 3, "client": "cli", "session": "s-1"}
        ws.send_text("hi")
        assert ws.receive_text() == "7:hi"


def close_of(client: Any, url: str) -> tuple[int, Any]:
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(url):
        pass
    return info.value.code, info.value.reason


def test_websocket_exception_closes_with_its_code(client: Any) -> None:
    """A WebSocketException (in a dependency or the endpoint) closes the handshake with its code and reason."""
    assert close_of(client, "/rooms/7") == (1008, "token required")
    assert close_of(client, "/denied") == (4403, "nope")


def test_validation_error_closes_with_1008(client: Any) -> None:
    """Invalid parameters close with 1008 and the validation errors as the reason."""
    code, reason = close_of(client, "/rooms/seven?token=t")
    assert code == 1008
    assert [error["loc"] for error in reason] == [["path", "room_id"]]


def test_client_disconnect_reaches_the_endpoint(client: Any) -> None:
    """The endpoint sees WebSocketDisconnect with the client's code."""
    with client.websocket_connect("/rooms/1?token=t") as ws:
        ws.receive_json()
        ws.close(code=1001)
    assert client.app.state.closed == [1001]


def test_server_close_code_reaches_the_client(client: Any) -> None:
    """A close from the endpoint reaches the client with its code."""
    with client.websocket_connect("/rooms/1?token=t") as ws:
        ws.receive_json()
        ws.send_text("bye")
        message = ws.receive()
    assert (message["type"], message["code"], message.get("reason")) == ("websocket.close", 4000, "see you")


def test_router_dependencies_apply_to_websockets(client: Any) -> None:
    """An included router's dependencies run for its WebSocket routes."""
    assert close_of(client, "/v1/echo")[0] == 1008
    with client.websocket_connect("/v1/echo?token=t") as ws:
        ws.send_text("ping")
        assert ws.receive_text() == "ping"


def test_unknown_path_is_refused(client: Any) -> None:
    """A WebSocket to a path with no route is closed before it is accepted."""
    assert close_of(client, "/nowhere")[0] == 1000
