"""Same behaviour as FastAPI 0.165 in routing corners: empty paths, stream item types through `include_router`,
SSE event validation, upload clean-up on a rejected body, dependency scopes and body read failures."""

import importlib
import json
from collections.abc import AsyncIterable, Iterator
from typing import Annotated, Any

import anyio
import pytest
from pydantic import BaseModel
from starlette import formparsers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message


class Item(BaseModel):
    name: str
    optional: str | None = None


def test_empty_prefix_and_empty_path_is_a_fastapi_error(fw: Any) -> None:
    """Including a router whose route path is "" without a prefix raises FastAPIError."""
    router = fw.APIRouter()

    @router.get("")
    def empty() -> list[str]:
        return ["OK"]

    app = fw.FastAPI()
    app.include_router(router, prefix="/prefix")
    with pytest.raises(fw.exceptions.FastAPIError, match="Prefix and path cannot be both empty"):
        app.include_router(router)


def test_sse_event_with_data_and_raw_data_is_rejected(fw: Any) -> None:
    """A ServerSentEvent with both `data` and `raw_data` is a ValueError that names both fields."""
    sse = importlib.import_module(f"{fw.name}.sse")
    with pytest.raises(ValueError, match="Cannot set both 'data' and 'raw_data'"):
        sse.ServerSentEvent(data="json", raw_data="raw")


def build_typed_streams(fw: Any) -> Any:
    sse = importlib.import_module(f"{fw.name}.sse")
    router = fw.APIRouter()

    @router.get("/jsonl", response_model_exclude_none=True)
    async def jsonl() -> AsyncIterable[Item]:
        yield Item(name="foo")
        yield Item(name="bar", optional="x")

    @router.get("/sse", response_class=sse.EventSourceResponse, response_model_exclude_none=True)
    async def events() -> AsyncIterable[Item]:
        yield Item(name="foo")

    @router.get("/plain-sse", response_class=sse.EventSourceResponse)
    async def plain_events() -> AsyncIterable[sse.ServerSentEvent]:
        yield sse.ServerSentEvent(data={"a": 1}, event="tick")

    @router.get("/defaulted")
    async def defaulted() -> AsyncIterable[Item]:
        yield Item(name="foo")

    app = fw.FastAPI()
    app.include_router(router, prefix="/api")
    app.include_router(router, prefix="/events", default_response_class=sse.EventSourceResponse)
    return app


@pytest.mark.parametrize(
    "req", ["GET /api/jsonl", "GET /api/sse", "GET /api/plain-sse", "GET /api/defaulted", "GET /events/defaulted"]
)
def test_typed_stream_through_an_included_router(same: Any, req: str) -> None:
    """A generator route copied by include_router keeps its item type and the route's response options."""
    same(build_typed_streams, req)


def _track_spools(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    created: list[Any] = []
    original = formparsers.SpooledTemporaryFile

    def track(*args: Any, **kwargs: Any) -> Any:
        created.append(original(*args, **kwargs))
        return created[-1]

    monkeypatch.setattr(formparsers, "SpooledTemporaryFile", track)
    return created


def _post(app: Any, chunks: list[bytes], content_type: str) -> list[Message]:
    """POST `chunks` to `app` as separate ASGI body messages, without a Content-Length; the sent messages."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "root_path": "",
        "query_string": b"",
        "client": ("test", 1),
        "server": ("test", 80),
        "headers": [(b"host", b"test"), (b"content-type", content_type.encode())],
    }
    pending: Iterator[bytes] = iter(chunks)
    sent: list[Message] = []

    async def receive() -> Message:
        chunk = next(pending, None)
        if chunk is None:
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunk, "more_body": chunk is not chunks[-1]}

    async def send(message: Message) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    return sent


_PREFIX = (
    b"--boundary\r\n"
    b'Content-Disposition: form-data; name="file"; filename="example.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
    b"hello"
)


def test_rejected_multipart_body_closes_its_spooled_files(fw: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A multipart body over max_body_size is a 413, and the upload's spooled file is already closed."""
    created = _track_spools(monkeypatch)
    app = fw.FastAPI(max_body_size=len(_PREFIX))

    @app.post("/")
    async def upload(file: Annotated[fw.UploadFile, fw.File()]) -> dict[str, Any]:
        return {"name": file.filename}

    sent = _post(app, [_PREFIX, b"more data\r\n--boundary--\r\n"], "multipart/form-data; boundary=boundary")
    assert sent[0]["status"] == 413
    assert len(created) == 1
    assert created[0].closed


def test_accepted_multipart_body_closes_its_spooled_files(fw: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """An accepted upload reaches the endpoint in a spooled file that is closed after the response."""
    created = _track_spools(monkeypatch)
    body = _PREFIX + b"\r\n--boundary--\r\n"
    app = fw.FastAPI(max_body_size=len(body))

    @app.post("/")
    async def upload(file: Annotated[fw.UploadFile, fw.File()]) -> dict[str, Any]:
        return {"name": file.filename, "open": not created[0].closed}

    sent = _post(app, [body], "multipart/form-data; boundary=boundary")
    assert sent[0]["status"] == 200
    assert json.loads(sent[1]["body"]) == {"name": "example.txt", "open": True}
    assert len(created) == 1
    assert created[0].closed


class Session:
    def __init__(self) -> None:
        self.open = True


def session() -> Iterator[Session]:
    opened = Session()
    yield opened
    opened.open = False


def test_same_yield_dependency_in_two_scopes(fw: Any) -> None:
    """One `yield` dependency used with scope="function" and scope="request" runs twice, each on its own scope."""
    app = fw.FastAPI()

    @app.get("/")
    def both(
        function_session: Annotated[Session, fw.Depends(session, scope="function")],
        request_session: Annotated[Session, fw.Depends(session, scope="request")],
    ) -> Any:
        def body() -> Iterator[str]:
            yield json.dumps({"function": function_session.open, "request": request_session.open})

        return fw.responses.StreamingResponse(body())

    response = fw.TestClient(app).get("/")
    assert response.json() == {"function": False, "request": True}


def _failing_receive(app: Any, error: Exception) -> Any:
    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        async def fail() -> Message:
            raise error

        await app(scope, fail if scope["type"] == "http" else receive, send)

    return wrapped


def build_bytes_body(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.post("/")
    async def raw(data: Annotated[bytes, fw.Body(media_type="application/octet-stream")]) -> int:
        return len(data)

    return app


@pytest.mark.parametrize(
    "error",
    [RuntimeError("read failed"), ExceptionGroup("read failed", [StarletteHTTPException(413)])],
    ids=["error", "group-with-413"],
)
def test_failure_while_reading_the_body_is_a_400(fw: Any, error: Exception) -> None:
    """An error other than HTTPException raised while the body is read is a 400 parse error, not a 500."""
    client = fw.TestClient(_failing_receive(build_bytes_body(fw), error), raise_server_exceptions=False)
    response = client.post("/", content=b"hello")
    assert (response.status_code, response.json()) == (400, {"detail": "There was an error parsing the body"})


@pytest.mark.parametrize("status", [413, 418])
def test_http_exception_while_reading_the_body_passes_through(fw: Any, status: int) -> None:
    """An HTTPException raised while the body is read becomes that exception's response."""
    app = _failing_receive(build_bytes_body(fw), StarletteHTTPException(status))
    response = fw.TestClient(app, raise_server_exceptions=False).post("/", content=b"hello")
    assert response.status_code == status
