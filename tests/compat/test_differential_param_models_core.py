"""Parameter models at their edges (`Json[Model]` parameters, validated defaults of optional models) and the
endpoint named in validation errors, compared with FastAPI 0.165."""

import inspect
import re
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field, Json, model_validator
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect


class Point(BaseModel):
    value: int


class Filters(BaseModel):
    term: str = "all"
    limit: int = 10


class Text(BaseModel):
    kind: Literal["text"]
    body: str


class Flags(BaseModel):
    kind: Literal["flags"] = "flags"
    tags: list[str] = Field(default_factory=list)


#: a default that fails validation: `validate_default=True` must report it, as FastAPI does
BROKEN: Any = {"term": "x", "limit": "many"}


def build_json(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/query")
    def query(data: Annotated[Json[Point], fw.Query()], limit: Annotated[int, fw.Query()] = 10) -> Any:
        return {"data": data, "limit": limit}

    @app.get("/header")
    def header(data: Annotated[Json[Point], fw.Header()], limit: Annotated[int, fw.Header()] = 10) -> Any:
        return {"data": data, "limit": limit}

    @app.get("/cookie")
    def cookie(data: Annotated[Json[Point], fw.Cookie()], limit: Annotated[int, fw.Cookie()] = 10) -> Any:
        return {"data": data, "limit": limit}

    return app


JSON_CASES = [
    ("GET /query", {"params": {"data": '{"value": 2}'}}),
    ("GET /query", {"params": {"data": '{"value": 2}', "limit": "3"}}),
    ("GET /query", {"params": {"value": "2"}}),
    ("GET /query", {"params": {"data": '{"value": "x"}'}}),
    ("GET /query", {"params": {"data": "{broken"}}),
    "GET /query",
    ("GET /header", {"headers": {"data": '{"value": 2}'}}),
    ("GET /header", {"headers": {"value": "2"}}),
    ("GET /header", {"headers": {"data": "[1]"}}),
    ("GET /cookie", {"headers": {"cookie": 'data={"value": 5}'}}),
    ("GET /cookie", {"headers": {"cookie": "value=5"}}),
]


@pytest.mark.parametrize("req", JSON_CASES)
def test_json_model_parameter(same: Any, req: Any) -> None:
    """`Json[Model]` in the query, a header or a cookie is one JSON-encoded value, not a model read field by field."""
    same(build_json, req)


@pytest.mark.parametrize("location", ["query", "header", "cookie"])
def test_json_model_parameter_is_documented_as_one_parameter(fw: Any, location: str) -> None:
    """OpenAPI lists a `Json[Model]` parameter under its own name, not the model's fields."""
    parameters = build_json(fw).openapi()["paths"][f"/{location}"]["get"]["parameters"]
    assert [p["name"] for p in parameters] == ["data", "limit"]


def build_defaults(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/query/broken")
    def query_broken(filters: Annotated[Filters | None, fw.Query(validate_default=True)] = BROKEN) -> Any:
        return filters

    @app.get("/query/unchecked")
    def query_unchecked(filters: Annotated[Filters | None, fw.Query()] = BROKEN) -> Any:
        return {"type": type(filters).__name__, "filters": filters}

    @app.get("/query/none")
    def query_none(filters: Annotated[Filters | None, fw.Query(validate_default=True)] = None) -> Any:
        return {"filters": filters}

    @app.get("/query/dict")
    def query_dict(
        filters: Annotated[Filters | None, fw.Query(validate_default=True)] = {"term": "d", "limit": "3"},  # noqa: B006
    ) -> Any:
        return {"type": type(filters).__name__, "filters": filters}

    @app.get("/header/broken")
    def header_broken(filters: Annotated[Filters | None, fw.Header(validate_default=True)] = BROKEN) -> Any:
        return filters

    @app.get("/cookie/broken")
    def cookie_broken(filters: Annotated[Filters | None, fw.Cookie(validate_default=True)] = BROKEN) -> Any:
        return filters

    @app.post("/form/broken")
    def form_broken(filters: Annotated[Filters | None, fw.Form(validate_default=True)] = BROKEN) -> Any:
        return filters

    @app.post("/form/dict")
    def form_dict(
        filters: Annotated[Filters | None, fw.Form(validate_default=True)] = {"term": "d", "limit": "3"},  # noqa: B006
    ) -> Any:
        return {"type": type(filters).__name__, "filters": filters}

    @app.post("/form/union")
    def form_union(
        data: Annotated[Flags | Text | None, fw.Form(validate_default=True)] = {"kind": "text", "body": 1},  # noqa: B006
    ) -> Any:
        return data

    return app


DEFAULT_CASES = [
    "GET /query/broken",
    ("GET /query/broken", {"params": {"term": "sent"}}),
    "GET /query/unchecked",
    "GET /query/none",
    "GET /query/dict",
    "GET /header/broken",
    "GET /cookie/broken",
    "POST /form/broken",
    ("POST /form/broken", {"data": {"limit": "2"}}),
    "POST /form/dict",
    "POST /form/union",
    ("POST /form/union", {"data": {"kind": "flags"}}),
]


@pytest.mark.parametrize("req", DEFAULT_CASES)
def test_validated_default_of_optional_model(same: Any, req: Any) -> None:
    """`validate_default=True` on `Model | None` validates the default when none of the model's fields is sent."""
    same(build_defaults, req)


@pytest.mark.parametrize("marker", ["Query", "Header", "Cookie", "Form"])
def test_validated_default_runs_model_validators_per_request(fw: Any, marker: str) -> None:
    """The default is validated on each request that omits the model (its validators run), and only then."""
    calls: list[str] = []

    class Checked(BaseModel):
        term: str = "default"

        @model_validator(mode="after")
        def record(self) -> "Checked":
            calls.append(self.term)
            return self

    default = Checked()
    declared = getattr(fw, marker)
    app = fw.FastAPI()

    @app.api_route("/", methods=["GET", "POST"])
    def read(checked: Annotated[Checked | None, declared(validate_default=True)] = default) -> Any:
        return checked

    calls.clear()
    client = fw.TestClient(app)
    method = "POST" if marker == "Form" else "GET"
    assert [client.request(method, "/").json() for _ in range(2)] == [{"term": "default"}] * 2
    assert calls == ["default", "default"]


def _context_messages(both: dict[str, Any], build: Any, exception: str, connect: Any) -> dict[str, str]:
    """`str()` of the validation error each framework raised, as its exception handler received it."""
    messages: dict[str, str] = {}
    for name, fw in both.items():
        app, handled = build(fw)
        captured: list[Exception] = []

        async def handler(connection: Any, exc: Exception, fw: Any = fw, captured: list[Exception] = captured) -> Any:
            captured.append(exc)
            if isinstance(connection, WebSocket):
                return await connection.close()
            return fw.PlainTextResponse("captured", status_code=422)

        handled.add_exception_handler(getattr(fw.exceptions, exception), handler)
        with TestClient(app) as client:
            connect(client)
        messages[name] = str(captured[0])
    return messages


_ENDPOINT_LINE = re.compile(r'File ".*", line \d+, in \w+')


def _assert_same_context(messages: dict[str, str], build: Any, decorator: str, function: str) -> None:
    """Both messages agree, and vivace's names `function`, declared by the `decorator` line inside `build`.

    FastAPI caches an endpoint's file and line by the function's `id()`: once an earlier test's endpoint has been
    collected and its id reused, FastAPI can name that old function, so its context line is no stable oracle. The
    rest of the message is compared with FastAPI's; vivace's context line is checked against the source itself.
    """
    ours, theirs = (_ENDPOINT_LINE.sub("<endpoint>", messages[name]) for name in ("vivace", "fastapi"))
    assert ours == theirs
    lines, first = inspect.getsourcelines(build)
    line = first + next(index for index, text in enumerate(lines) if decorator in text)
    assert f'File "{inspect.getsourcefile(build)}", line {line}, in {function}\n' in messages["vivace"]


def _websocket_app(fw: Any) -> tuple[Any, Any]:
    """The app, and the app whose exception handler receives the error."""
    app = fw.FastAPI()

    @app.websocket("/ws/{item_id}")
    async def feed(websocket: WebSocket, item_id: int) -> None:
        await websocket.accept()  # pragma: no cover - the path parameter never validates

    return app, app


def _mounted_app(fw: Any) -> tuple[Any, Any]:
    app, sub = fw.FastAPI(), fw.FastAPI()

    @sub.get("/items/{item_id}")
    def read_item(item_id: int) -> Any:
        return item_id  # pragma: no cover - the path parameter never validates

    @sub.api_route("/broken", methods=["GET", "POST"], response_model=int)
    def broken() -> Any:
        return "not a number"

    app.mount("/sub", sub)
    return app, sub


def test_websocket_validation_error_names_endpoint(both: dict[str, Any]) -> None:
    """A WebSocket endpoint's validation error names its file, function and `WS /path`, as FastAPI's does."""

    def connect(client: Any) -> None:
        with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/nope"):
            pass  # pragma: no cover - the connection is refused

    messages = _context_messages(both, _websocket_app, "WebSocketRequestValidationError", connect)
    _assert_same_context(messages, _websocket_app, '.websocket("/ws/{item_id}")', "feed")


def test_mounted_app_validation_error_names_full_path(both: dict[str, Any]) -> None:
    """A mounted app's validation error names the path with the mount prefix (`GET /sub/items/{item_id}`)."""
    messages = _context_messages(
        both, _mounted_app, "RequestValidationError", lambda client: client.get("/sub/items/x")
    )
    _assert_same_context(messages, _mounted_app, '.get("/items/{item_id}")', "read_item")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_mounted_app_response_validation_error_names_full_path(both: dict[str, Any], method: str) -> None:
    """A mounted app's response validation error names the request's method and the mount prefix."""
    messages = _context_messages(
        both, _mounted_app, "ResponseValidationError", lambda client: client.request(method, "/sub/broken")
    )
    _assert_same_context(messages, _mounted_app, 'api_route("/broken"', "broken")
    assert f"{method} /sub/broken" in messages["vivace"]
