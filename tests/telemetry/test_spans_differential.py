"""vivace records the same spans as FastAPI 0.165 for the same app: names, kinds, parents, attributes, status."""

# NOTE: no `from __future__ import annotations`: endpoints annotate with `fw.BackgroundTasks`, a closure variable
import importlib
import os
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float


def build(fw: ModuleType, config: dict[str, Any]) -> Any:
    """One app exercising every span FastAPI creates; endpoints are local so both report the same qualnames."""
    app = fw.FastAPI(telemetry=config)
    add_data_routes(fw, app)
    add_failing_routes(fw, app)
    add_response_routes(fw, app)
    sub = fw.FastAPI()

    @sub.get("/inner/{x}")
    def inner(x: str) -> str:
        return x

    app.mount("/sub", sub)
    return app


def add_data_routes(fw: ModuleType, app: Any) -> None:
    def dependency() -> int:
        return 1

    @app.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None, value: int = fw.Depends(dependency)) -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    @app.post("/items", response_model=Item)
    def create_item(item: Item) -> Item:
        return item

    @app.get("/slash/")
    def slash() -> int:
        return 1


def add_failing_routes(fw: ModuleType, app: Any) -> None:
    def failing_dependency() -> None:
        raise ValueError("dependency failed")

    def denying_dependency() -> None:
        raise fw.HTTPException(status_code=401, detail="no")

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("endpoint failed")

    @app.get("/teapot")
    def teapot() -> None:
        raise fw.HTTPException(status_code=418)

    @app.get("/dependency-fails", dependencies=[fw.Depends(failing_dependency)])
    def dependency_fails() -> str:
        return "unreachable"

    @app.get("/denied", dependencies=[fw.Depends(denying_dependency)])
    def denied() -> str:
        return "unreachable"


def add_response_routes(fw: ModuleType, app: Any) -> None:
    responses = importlib.import_module(f"{fw.__name__}.responses")

    @app.get("/text", response_class=responses.PlainTextResponse)
    def text() -> str:
        return "hello"

    @app.get("/response")
    def response() -> Any:
        return responses.PlainTextResponse("made by hand")

    @app.get("/later")
    def later(tasks: fw.BackgroundTasks) -> list[int]:
        def task() -> None:
            return None

        tasks.add_task(task)
        return [1]

    @app.get("/stream")
    def stream() -> Any:
        yield {"a": 1}


CASES = {
    "200 with path, query and a dependency": ("GET", "/items/3?q=a&sig=secret", {}),
    "422 on a bad path parameter": ("GET", "/items/abc", {}),
    "200 with a JSON body and response model": ("POST", "/items", {"json": {"name": "a", "price": 1}}),
    "422 on a body failing validation": ("POST", "/items", {"json": {"name": "a"}}),
    "422 on a body that is not JSON": (
        "POST", "/items", {"content": b"{nope", "headers": {"content-type": "application/json"}}
    ),
    "404": ("GET", "/missing", {}),
    "405 keeps the route": ("DELETE", "/text", {}),
    "unknown method is _OTHER": ("FOO", "/text", {}),
    "500 from the endpoint": ("GET", "/boom", {}),
    "HTTPException is not an error span": ("GET", "/teapot", {}),
    "500 from a dependency": ("GET", "/dependency-fails", {}),
    "401 from a dependency": ("GET", "/denied", {}),
    "custom response class is serialized": ("GET", "/text", {}),
    "returned Response is not serialized": ("GET", "/response", {}),
    "background task span": ("GET", "/later", {}),
    "generator endpoint streams": ("GET", "/stream", {}),
    "trailing-slash redirect names the target route": ("GET", "/slash", {}),
    "mounted app's route gets the mount prefix": ("GET", "/sub/inner/1", {}),
    "404 inside a mounted app": ("GET", "/sub/nothing", {}),
    "trace context is continued": (
        "GET", "/items/1", {"headers": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_spans_match_fastapi(record: Any, case: str) -> None:
    """For each kind of request, vivace's finished spans equal FastAPI's (in order, with parents)."""
    found = record(build, [CASES[case]])
    assert found["vivace"] == found["fastapi"]
    assert found["vivace"][0], "the request recorded no span at all"


def test_server_span_continues_the_incoming_trace(signals: Any) -> None:
    """A `traceparent` header makes the SERVER span a child of the caller's span, in the caller's trace."""
    from starlette.testclient import TestClient

    import vivace

    client = TestClient(build(vivace, signals.config))
    client.get("/items/1", headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
    server = [span for span in signals.spans.get_finished_spans() if span.kind.name == "SERVER"]
    assert [span.context.trace_id for span in server] == [0x0AF7651916CD43DD8448EB211C80319C]
    assert server[0].parent is not None and server[0].parent.span_id == 0xB7AD6B7169203331


def test_operation_spans_off_leaves_only_the_server_span(record: Any) -> None:
    """`operation_spans=False` records the SERVER span alone, as FastAPI does."""

    def without_operations(fw: ModuleType, config: dict[str, Any]) -> Any:
        return build(fw, {**config, "operation_spans": False})

    found = record(without_operations, [("GET", "/items/1", {}), ("GET", "/later", {})])
    assert found["vivace"] == found["fastapi"]
    assert [len(spans) for spans in found["vivace"]] == [1, 1]


def test_exclude_skips_the_request(record: Any) -> None:
    """An `exclude` function returning True records nothing for that request, on both frameworks."""

    def excluding(fw: ModuleType, config: dict[str, Any]) -> Any:
        return build(fw, {**config, "exclude": lambda scope: scope["path"].startswith("/items")})

    found = record(excluding, [("GET", "/items/1", {}), ("GET", "/text", {})])
    assert found["vivace"] == found["fastapi"]
    assert found["vivace"][0] == []
    assert found["vivace"][1]


def test_known_methods_come_from_the_environment(record: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS replaces the list of methods reported by name."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "GET,PURGE")
    found = record(build, [("POST", "/items", {"json": {"name": "a", "price": 1}}), ("PURGE", "/text", {})])
    assert found["vivace"] == found["fastapi"]
    assert os.environ["OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS"] == "GET,PURGE"
    assert found["vivace"][0][-1][0] == "HTTP /items"
