"""The same app behaves the same on uvicorn, granian's ASGI interface and granian's RSGI interface (vivace's
native entry, `vivace._rsgi`): status codes, headers, bodies, validation errors, limits, streams, SSE, WebSockets
and the lifespan, each checked against a real server process.

The one difference, documented in docs/guide/granian.md: granian's RSGI carries no WebSocket close codes.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from process_support import ServerProcess
from server_support import KINDS, served, start
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

pytest.importorskip("granian")

APP = textwrap.dedent(
    """
    import os
    from collections.abc import AsyncIterable, Iterator
    from contextlib import asynccontextmanager
    from typing import Any

    from pydantic import BaseModel

    from vivace import HTTPException, Request, Vivace, WebSocket
    from vivace.responses import FileResponse
    from vivace.sse import EventSourceResponse

    EVENTS = os.environ.get("EVENTS_FILE")


    def record(event: str) -> None:
        if EVENTS:
            with open(EVENTS, "a") as out:
                out.write(event + "\\n")


    @asynccontextmanager
    async def lifespan(app: Vivace) -> Any:
        record("startup")
        yield {"greeting": "hello from the lifespan"}
        record("shutdown")


    app = Vivace(lifespan=lifespan)


    class Item(BaseModel):
        name: str
        price: float


    @app.get("/hello")
    async def hello() -> Any:
        return {"message": "Hello, World!"}


    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None) -> Any:
        return {"item_id": item_id, "q": q}


    @app.post("/items", status_code=201)
    async def create_item(item: Item) -> Item:
        return item


    @app.post("/small", max_body_size=1000)
    async def small(item: dict[str, Any]) -> Any:
        return len(item)


    @app.get("/state")
    async def state(request: Request) -> Any:
        return {
            "greeting": request.state.greeting,
            "client": request.client.host,
            "url": str(request.url),
            "user_agent": request.headers["user-agent"],
        }


    @app.get("/boom")
    async def boom() -> Any:
        raise RuntimeError("boom")


    @app.get("/teapot")
    async def teapot() -> Any:
        raise HTTPException(418, "short and stout", headers={"X-Tea": "earl grey"})


    @app.get("/lines")
    async def lines() -> AsyncIterable[int]:
        for number in range(3):
            yield number


    @app.get("/sync-lines")
    def sync_lines() -> Iterator[dict[str, int]]:
        for number in range(2):
            yield {"n": number}


    @app.get("/events", response_class=EventSourceResponse)
    async def events() -> AsyncIterable[dict[str, int]]:
        for number in range(3):
            yield {"n": number}


    @app.get("/file")
    async def file() -> FileResponse:
        return FileResponse(__file__, media_type="text/x-python")


    @app.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") == "bye":
                await websocket.close(4001, "bye")
                return
            if message.get("text") is not None:
                await websocket.send_text(message["text"])
            else:
                await websocket.send_bytes(message["bytes"])


    @app.websocket("/typed")
    async def typed(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(await websocket.receive_json())


    @app.websocket("/denied")
    async def denied(websocket: WebSocket) -> None:
        await websocket.close()
    """
)


@pytest.fixture(scope="module", params=KINDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The app above, served once per module by each server kind."""
    with served(request.param, APP, tmp_path_factory.mktemp("served"), ready_path="/hello") as process:
        yield process


@pytest.fixture
def kind(server: ServerProcess, request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["server"])


def get(server: ServerProcess, path: str, **options: Any) -> httpx.Response:
    return httpx.get(server.url + path, timeout=30, **options)


def post(server: ServerProcess, path: str, **options: Any) -> httpx.Response:
    return httpx.post(server.url + path, timeout=30, **options)


def test_hello(server: ServerProcess) -> None:
    """A plain GET: the body, its length and type."""
    response = get(server, "/hello")
    assert response.status_code == 200
    assert response.content == b'{"message":"Hello, World!"}'
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-length"] == "27"


def test_path_and_query(server: ServerProcess) -> None:
    """Path and query values are converted; a bad one is FastAPI's 422."""
    assert get(server, "/items/3?q=tea%20time").json() == {"item_id": 3, "q": "tea time"}
    response = get(server, "/items/three")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "int_parsing", "loc": ["path", "item_id"], "input": "three",
                "msg": "Input should be a valid integer, unable to parse string as an integer",
            }
        ]
    }  # fmt: skip


def test_json_body(server: ServerProcess) -> None:
    """A valid JSON body round-trips with the route's status; an invalid one is a 422 naming the field."""
    created = post(server, "/items", json={"name": "tea", "price": 2.5})
    assert (created.status_code, created.json()) == (201, {"name": "tea", "price": 2.5})
    invalid = post(server, "/items", json={"name": "tea", "price": "free"})
    assert invalid.status_code == 422
    assert [error["loc"] for error in invalid.json()["detail"]] == [["body", "price"]]
    broken = post(server, "/items", content=b'{"name": ', headers={"content-type": "application/json"})
    assert broken.status_code == 422
    assert broken.json()["detail"][0]["type"] == "json_invalid"


def test_body_limit(server: ServerProcess) -> None:
    """A body over the route's max_body_size is a 413, declared or streamed in chunks; a smaller one passes."""
    assert post(server, "/small", json={"a": "x" * 900}).json() == 1
    declared = post(server, "/small", json={"a": "x" * 2000})
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:
        yield b'{"a": "'
        for _ in range(40):
            yield b"x" * 100
        yield b'"}'

    streamed = post(server, "/small", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert get(server, "/hello").status_code == 200  # and the server goes on answering


def test_large_body_streams_in(server: ServerProcess) -> None:
    """A body larger than one read (2 MiB) arrives whole."""
    assert post(server, "/items", json={"name": "x" * (2 * 1024 * 1024), "price": 1}).status_code == 201


def test_lifespan_state_and_request_details(server: ServerProcess) -> None:
    """The lifespan's state reaches requests; client address, URL and headers are the ASGI ones."""
    assert get(server, "/state", headers={"user-agent": "tests"}).json() == {
        "greeting": "hello from the lifespan",
        "client": "127.0.0.1",
        "url": f"{server.url}/state",
        "user_agent": "tests",
    }


def test_errors(server: ServerProcess) -> None:
    """An unhandled exception is a plain 500; an HTTPException keeps its status, detail and headers."""
    crashed = get(server, "/boom")
    assert (crashed.status_code, crashed.text) == (500, "Internal Server Error")
    teapot = get(server, "/teapot")
    assert (teapot.status_code, teapot.json()) == (418, {"detail": "short and stout"})
    assert teapot.headers["x-tea"] == "earl grey"
    missing = get(server, "/nowhere")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not Found"})
    wrong_method = httpx.delete(server.url + "/hello", timeout=30)
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "GET")


def test_json_lines_stream(server: ServerProcess) -> None:
    """Generator endpoints stream JSON Lines, async and sync."""
    lines = get(server, "/lines")
    assert (lines.headers["content-type"], lines.text) == ("application/jsonl", "0\n1\n2\n")
    assert get(server, "/sync-lines").text == '{"n":0}\n{"n":1}\n'


def test_server_sent_events(server: ServerProcess) -> None:
    """SSE: the events in order, with the stream's headers."""
    with httpx.stream("GET", server.url + "/events", timeout=30) as response:
        body = response.read().decode()
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
    assert body == 'data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\n'


def test_file_response(server: ServerProcess) -> None:
    """A FileResponse sends the file (granian's response_file over RSGI) with its length and type."""
    response = get(server, "/file")
    assert response.status_code == 200
    assert response.text.startswith("\nimport os\n")
    assert response.headers["content-type"] == "text/x-python; charset=utf-8"
    assert int(response.headers["content-length"]) == len(response.content)


def ws_url(server: ServerProcess, path: str) -> str:
    return server.url.replace("http://", "ws://") + path


def test_websocket_echo(server: ServerProcess) -> None:
    """Text and binary messages echo back; JSON reads and writes work."""
    with connect(ws_url(server, "/echo"), open_timeout=30) as websocket:
        for message in ("hello", b"\x00\x01binary", "é" * 1000):
            websocket.send(message)
            assert websocket.recv(timeout=30) == message
    with connect(ws_url(server, "/typed"), open_timeout=30) as websocket:
        websocket.send(json.dumps({"a": [1, 2]}))
        assert json.loads(websocket.recv(timeout=30)) == {"a": [1, 2]}


def test_websocket_close_code(server: ServerProcess, kind: str) -> None:
    """The app's close code and reason reach the client over ASGI; granian's RSGI closes with no code (1005)."""
    with connect(ws_url(server, "/echo"), open_timeout=30) as websocket:
        websocket.send("bye")
        with pytest.raises(ConnectionClosed):
            websocket.recv(timeout=30)
        received = (websocket.close_code, websocket.close_reason)
    assert received == ((1005, "") if kind == "granian-rsgi" else (4001, "bye"))


def test_websocket_denied(server: ServerProcess) -> None:
    """A route that closes before accepting, or a path with no route, refuses the handshake with 403."""
    for path in ("/denied", "/no-such-socket"):
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url(server, path), open_timeout=30)
        assert refused.value.response.status_code == 403


def test_websocket_bad_json_closes_with_1007(server: ServerProcess, kind: str) -> None:
    """A message receive_json cannot parse ends the session (1007 where the server carries close codes)."""
    with connect(ws_url(server, "/typed"), open_timeout=30) as websocket:
        websocket.send("{not json")
        with pytest.raises(ConnectionClosed):
            websocket.recv(timeout=30)
        assert websocket.close_code == (1005 if kind == "granian-rsgi" else 1007)


@pytest.mark.parametrize("kind", KINDS)
def test_lifespan_startup_and_shutdown(kind: str, tmp_path: Path) -> None:
    """Startup runs before the first request, shutdown when the server stops (SIGTERM)."""
    events = tmp_path / "events.txt"
    with served(kind, APP, tmp_path, env={"EVENTS_FILE": str(events)}, ready_path="/hello") as process:
        assert get(process, "/state").json()["greeting"] == "hello from the lifespan"
        assert events.read_text() == "startup\n"
    assert events.read_text() == "startup\nshutdown\n"


FAILING = textwrap.dedent(
    """
    from contextlib import asynccontextmanager

    from vivace import Vivace


    @asynccontextmanager
    async def lifespan(app):
        raise RuntimeError("the database is not there")
        yield


    app = Vivace(lifespan=lifespan)
    """
)


@pytest.mark.parametrize("kind", KINDS)
def test_failed_startup_stops_the_server(kind: str, tmp_path: Path) -> None:
    """A lifespan that fails at startup stops the server with an error exit and the app's traceback."""
    process = start(kind, FAILING, tmp_path)
    try:
        code = process.process.wait(timeout=45)
    finally:
        process.kill()
    assert code != 0
    assert "RuntimeError: the database is not there" in process.output()
