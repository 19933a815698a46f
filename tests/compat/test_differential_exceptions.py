"""The exception classes on both frameworks: text, attributes and class relations, built directly and raised by apps.

Application code prints these exceptions, reads their attributes in handlers and catches them by base class, so
each is compared with FastAPI's on the same arguments: `str()`, `repr()`, `args`, `errors()`, every attribute.
"""

from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

VALIDATION_ERRORS = [
    "ValidationException",
    "RequestValidationError",
    "WebSocketRequestValidationError",
    "ResponseValidationError",
]
WITH_BODY = {"RequestValidationError", "ResponseValidationError"}

ERROR_LISTS: list[Any] = [
    [],
    [{"type": "missing", "loc": ("query", "q"), "msg": "Field required", "input": None}],
    [{"a": 1}, {"b": [2, 3]}],
    ["trailing spaces  ", ""],
    ("a tuple", 2),
]

ENDPOINT_CONTEXTS: list[Any] = [
    None,
    {},
    {"path": "GET /items/{item_id}"},
    {"function": "read", "file": "app.py", "line": 12},
    {"function": "read", "file": "app.py", "line": 12, "path": "GET /items"},
    {"function": "read", "file": "app.py", "line": 0, "path": "WS /ws"},
    {"file": "app.py", "line": 3, "path": "POST /x"},
    {"function": "read", "file": "", "line": 3},
    {"function": "read", "file": "app.py", "line": 3, "path": ""},
]


def _snapshot(exc: Exception) -> dict[str, Any]:
    """Everything a caller can observe on a constructed exception, in comparable form."""
    return {
        "str": str(exc),
        "repr": repr(exc),
        "args": exc.args,
        "errors": exc.errors() if hasattr(exc, "errors") else None,
        "vars": vars(exc),
        "mro": [klass.__name__ for klass in type(exc).__mro__],
    }


@pytest.mark.parametrize("endpoint_ctx", ENDPOINT_CONTEXTS, ids=str)
@pytest.mark.parametrize("errors", ERROR_LISTS, ids=str)
@pytest.mark.parametrize("class_name", VALIDATION_ERRORS)
def test_validation_error_alike(both: dict[str, Any], class_name: str, errors: Any, endpoint_ctx: Any) -> None:
    """str(), repr(), args, errors() and attributes match FastAPI's for every error list and endpoint context."""
    extra = {"body": {"sent": [1, 2]}} if class_name in WITH_BODY else {}
    snapshots = {
        name: _snapshot(getattr(fw.exceptions, class_name)(errors, endpoint_ctx=endpoint_ctx, **extra))
        for name, fw in both.items()
    }
    assert snapshots["vivace"] == snapshots["fastapi"]


@pytest.mark.parametrize("class_name", VALIDATION_ERRORS)
def test_validation_error_defaults_alike(both: dict[str, Any], class_name: str) -> None:
    """Built from the errors alone, each validation error has FastAPI's defaults (no body, no endpoint)."""
    snapshots = {name: _snapshot(getattr(fw.exceptions, class_name)([{"x": 1}])) for name, fw in both.items()}
    assert snapshots["vivace"] == snapshots["fastapi"]


@pytest.mark.parametrize(
    "changes",
    [{"endpoint_path": "GET /changed"}, {"endpoint_line": None}, {"endpoint_file": "other.py", "endpoint_path": ""}],
    ids=str,
)
def test_text_follows_changed_attributes(both: dict[str, Any], changes: dict[str, Any]) -> None:
    """str() reads the endpoint attributes, so a handler that changes them changes the text, as in FastAPI."""
    texts = {}
    for name, fw in both.items():
        context = {"function": "read", "file": "app.py", "line": 7, "path": "GET /items"}
        exc = fw.exceptions.RequestValidationError([{"a": 1}], endpoint_ctx=context)
        for attribute, value in changes.items():
            setattr(exc, attribute, value)
        texts[name] = str(exc)
    assert texts["vivace"] == texts["fastapi"]


def test_errors_returns_the_given_sequence(both: dict[str, Any]) -> None:
    """errors() hands back the very sequence the error was built with, on both frameworks."""
    for fw in both.values():
        given = [{"a": 1}]
        assert fw.exceptions.RequestValidationError(given).errors() is given


HTTP_EXCEPTIONS: list[tuple[int, dict[str, Any]]] = [
    (404, {}),
    (401, {"detail": "Not authenticated", "headers": {"WWW-Authenticate": "Bearer"}}),
    (400, {"detail": {"nested": ["detail"]}}),
    (418, {"detail": None, "headers": None}),
    (599, {}),
]


@pytest.mark.parametrize(("status_code", "kwargs"), HTTP_EXCEPTIONS, ids=str)
def test_http_exception_alike(both: dict[str, Any], status_code: int, kwargs: dict[str, Any]) -> None:
    """HTTPException keeps status, detail (default: the reason phrase) and headers, and prints as FastAPI's."""
    snapshots = {name: _snapshot(fw.exceptions.HTTPException(status_code, **kwargs)) for name, fw in both.items()}
    assert snapshots["vivace"] == snapshots["fastapi"]


@pytest.mark.parametrize(("code", "reason"), [(1008, None), (1011, "broken"), (4000, "")])
def test_websocket_exception_alike(both: dict[str, Any], code: int, reason: str | None) -> None:
    """WebSocketException keeps its close code and reason and prints as FastAPI's."""
    snapshots = {name: _snapshot(fw.exceptions.WebSocketException(code, reason)) for name, fw in both.items()}
    assert snapshots["vivace"] == snapshots["fastapi"]


@pytest.mark.parametrize(
    "class_name",
    [
        "FastAPIError",
        "DependencyScopeError",
        "PydanticV1NotSupportedError",
        "FastAPIDeprecationWarning",
        "HTTPException",
        "WebSocketException",
        *VALIDATION_ERRORS,
    ],
)
def test_class_relations_alike(both: dict[str, Any], class_name: str) -> None:
    """Each exception class has FastAPI's base classes (by name), so `except` clauses catch the same errors."""
    mros = {name: [k.__name__ for k in getattr(fw.exceptions, class_name).__mro__] for name, fw in both.items()}
    assert mros["vivace"] == mros["fastapi"]


def test_error_models_alike(both: dict[str, Any]) -> None:
    """RequestErrorModel and WebSocketErrorModel are empty models named like FastAPI's."""
    shapes = {
        name: [
            (model.__name__, model.model_json_schema(), issubclass(model, BaseModel))
            for model in (fw.exceptions.RequestErrorModel, fw.exceptions.WebSocketErrorModel)
        ]
        for name, fw in both.items()
    }
    assert shapes["vivace"] == shapes["fastapi"]


# ---- raised by an application --------------------------------------------------------------------------------


class Item(BaseModel):
    name: str
    price: float


def _captured(fw: Any, exception: str, act: Any) -> Exception:
    """The exception an app's handler for `exception` received while `act(client)` ran."""
    app = fw.FastAPI()
    received: list[Exception] = []

    async def handler(connection: Any, exc: Exception) -> Any:
        received.append(exc)
        if isinstance(connection, WebSocket):
            return await connection.close()
        return fw.PlainTextResponse("captured", status_code=499)

    @app.post("/items")
    def create(item: Item, limit: Annotated[int, fw.Query(gt=0)] = 10) -> Any:
        return item

    @app.get("/broken", response_model=Item)
    def broken() -> Any:
        return {"name": ["not", "a", "string"]}

    @app.websocket("/ws")
    async def feed(websocket: WebSocket, token: str) -> None:
        await websocket.accept()  # pragma: no cover - the query parameter is never sent

    app.add_exception_handler(getattr(fw.exceptions, exception), handler)
    with TestClient(app) as client:
        act(client)
    (exc,) = received
    return exc


def _refused_websocket(client: Any) -> None:
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws"):
        pass  # pragma: no cover - the handshake is refused


RAISED = [
    ("RequestValidationError", lambda client: client.post("/items?limit=0", json={"name": 1, "extra": True})),
    ("RequestValidationError", lambda client: client.post("/items", content=b"{not json")),
    ("ResponseValidationError", lambda client: client.get("/broken")),
    ("WebSocketRequestValidationError", _refused_websocket),
]


def _raised_snapshot(exc: Exception) -> dict[str, Any]:
    """What a handler sees, without the endpoint's line (the two apps are built from the same source lines)."""
    return {**_snapshot(exc), "body": getattr(exc, "body", "<none>"), "endpoint_ctx": exc.endpoint_ctx}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("exception", "act"), RAISED, ids=[f"{name}-{i}" for i, (name, _) in enumerate(RAISED)])
def test_raised_validation_error_alike(both: dict[str, Any], exception: str, act: Any) -> None:
    """The validation error an app raises carries FastAPI's errors, body, endpoint context and text."""
    snapshots = {name: _raised_snapshot(_captured(fw, exception, act)) for name, fw in both.items()}
    assert snapshots["vivace"] == snapshots["fastapi"]
