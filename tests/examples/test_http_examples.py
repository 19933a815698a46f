"""The middleware and WebSocket guide samples (docs/examples/middleware_*.py, websockets_*.py) do what the pages say."""

import anyio
import pytest
from samples import load
from starlette.websockets import WebSocketDisconnect

from vivace.testclient import TestClient


def test_function_middleware_tags_and_times_requests() -> None:
    """The middleware sets X-Request-ID (the endpoint sees the same id) and X-Process-Time."""
    client = TestClient(load("middleware_http").app)
    response = client.get("/whoami", headers={"X-Request-ID": "abc"})
    assert response.json() == {"request_id": "abc"}
    assert response.headers["x-request-id"] == "abc"
    assert float(response.headers["x-process-time"]) >= 0
    generated = client.get("/whoami")
    assert generated.json()["request_id"] == generated.headers["x-request-id"] != "-"


def test_function_middleware_answers_unhandled_errors() -> None:
    """An endpoint's unhandled exception reaches the middleware, which answers 500 with the request id."""
    client = TestClient(load("middleware_http").app)
    response = client.get("/fail", headers={"X-Request-ID": "r-9", "Origin": "https://app.example.com"})
    assert (response.status_code, response.json()) == (500, {"detail": "Something broke", "request_id": "r-9"})
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"


def test_streams_pass_through_and_cors_applies() -> None:
    """The streamed countdown passes through all layers; CORS answers preflights for the allowed origin."""
    client = TestClient(load("middleware_http").app)
    assert client.get("/countdown").text == "3\n2\n1\n"
    preflight = client.options(
        "/whoami", headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}
    )
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"


def test_gzip_applies_to_streams_only_when_accepted() -> None:
    """The countdown stream is gzip-encoded for a client that accepts it."""
    client = TestClient(load("middleware_http").app)
    response = client.get("/countdown", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text == "3\n2\n1\n"
    raw = client.get("/countdown", headers={"Accept-Encoding": "identity"})
    assert ("content-encoding" not in raw.headers, raw.text) == (True, "3\n2\n1\n")


def test_route_class_times_only_its_routes() -> None:
    """Routes of the TimedRoute router get X-Route-Time; the app's other routes do not."""
    client = TestClient(load("middleware_route_class").app)
    timed = client.get("/reports/2024")
    assert timed.json() == {"year": 2024}
    assert float(timed.headers["x-route-time"]) >= 0
    assert "x-route-time" not in client.get("/health").headers
    assert client.get("/reports/last").status_code == 422


def test_chat_member_joins_talks_and_leaves() -> None:
    """A member sees their own join and messages; on disconnect they leave the room."""
    sample = load("websockets_chat")
    client = TestClient(sample.app)
    with client.websocket_connect("/rooms/1?token=ada") as ada:
        assert ada.receive_text() == "ada joined room 1"
        ada.send_text("hi")
        assert ada.receive_text() == "ada: hi"
        assert list(sample.rooms[1].members) == ["ada"]
    client.cookies.set("session", "bob")
    with client.websocket_connect("/rooms/1") as bob:
        assert bob.receive_text() == "bob joined room 1"
        assert list(sample.rooms[1].members) == ["bob"]


def test_room_broadcasts_to_every_member() -> None:
    """Room.broadcast sends the text to each connection in the room."""
    # NOTE: TestClient runs each WebSocket session on its own event loop, so two live sessions cannot talk to
    # each other through one room; the broadcast is checked with stand-in connections instead.
    sample = load("websockets_chat")

    class Recorder:
        def __init__(self) -> None:
            self.texts: list[str] = []

        async def send_text(self, text: str) -> None:
            self.texts.append(text)

    room, ada, bob = sample.Room(), Recorder(), Recorder()
    room.members = {"ada": ada, "bob": bob}
    anyio.run(room.broadcast, "hello")
    assert ada.texts == bob.texts == ["hello"]


@pytest.mark.parametrize(("url", "code"), [("/rooms/1", 1008), ("/rooms/abc?token=ada", 1008)])
def test_chat_refuses_bad_connections(url: str, code: int) -> None:
    """No name, or an invalid room id, closes the connection with 1008 before it is accepted."""
    client = TestClient(load("websockets_chat").app)
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(url):
        pass
    assert info.value.code == code
