"""FastAPI's exit stacks in the scope: code that takes the Request registers its own cleanup on them.

`scope["fastapi_function_astack"]` exits before the response starts, `scope["fastapi_inner_astack"]` after the
response and the background tasks; both see every exception of the route. `scope["fastapi_middleware_astack"]`
exits last and sees only the exceptions no handler answered (cadwyn closes the uploads of its migrated forms there).
"""

from contextlib import asynccontextmanager
from typing import Any

import pytest


def build(fw: Any, log: list[Any]) -> Any:
    app = fw.FastAPI()

    @asynccontextmanager
    async def watching(name: str) -> Any:
        try:
            yield
        except BaseException as exc:
            log.append((name, "saw", type(exc).__name__))
            raise
        log.append((name, "clean"))

    @app.exception_handler(ValueError)
    async def value_error(request: Any, exc: ValueError) -> Any:
        log.append(("handler",))
        return fw.PlainTextResponse("handled", status_code=500)

    @app.get("/run/{kind}")
    async def run(kind: str, request: fw.Request, tasks: fw.BackgroundTasks) -> str:  # type: ignore[name-defined]
        await request.scope["fastapi_middleware_astack"].enter_async_context(watching("outer"))
        await request.scope["fastapi_inner_astack"].enter_async_context(watching("inner"))
        await request.scope["fastapi_function_astack"].enter_async_context(watching("function"))
        tasks.add_task(log.append, ("background",))
        errors = {"http": fw.HTTPException(status_code=418), "value": ValueError(), "runtime": RuntimeError()}
        if kind in errors:
            raise errors[kind]
        return kind

    return app


@pytest.mark.parametrize("kind", ["ok", "http", "value", "runtime"])
def test_exit_stacks_in_scope_exit_like_fastapi(both: Any, kind: str) -> None:
    """The stacks see the same exceptions and exit in the same order as FastAPI's, around the background tasks."""
    seen = {}
    for name, fw in both.items():
        log: list[Any] = []
        client = fw.TestClient(build(fw, log), raise_server_exceptions=False)
        response = client.get(f"/run/{kind}")
        seen[name] = (response.status_code, log)
    assert seen["vivace"] == seen["fastapi"]


def test_route_without_request_has_no_stacks_to_pay_for(both: Any) -> None:
    """A route that cannot reach the scope runs without them (nothing could register on them)."""
    app = both["vivace"].FastAPI()
    scopes: list[Any] = []

    class Spy:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            scopes.append(scope)
            await self.inner(scope, receive, send)

    @app.get("/hello")
    async def hello() -> str:
        return "hi"

    app.add_middleware(Spy)
    assert both["vivace"].TestClient(app).get("/hello").json() == "hi"
    assert "fastapi_inner_astack" not in scopes[0]


def websocket_stacks(fw: Any) -> list[str]:
    app = fw.FastAPI()

    @app.websocket("/ws")
    async def socket(websocket: fw.package.WebSocket) -> None:  # type: ignore[name-defined]
        await websocket.accept()
        await websocket.send_json(sorted(key for key in websocket.scope if str(key).endswith("_astack")))
        await websocket.close()

    with fw.TestClient(app).websocket_connect("/ws") as ws:
        return ws.receive_json()  # type: ignore[no-any-return]


def test_websocket_scope_has_the_three_stacks(both: Any) -> None:
    """A WebSocket endpoint finds the same stacks in its scope."""
    assert websocket_stacks(both["vivace"]) == websocket_stacks(both["fastapi"])


def build_ordered(fw: Any, log: list[Any]) -> Any:
    app = fw.FastAPI()

    async def request_scoped() -> Any:
        yield
        log.append("request-scoped dependency exits")

    async def function_scoped() -> Any:
        yield
        log.append("function-scoped dependency exits")

    async def note(event: str) -> None:
        log.append(event)

    @app.get("/ordered")
    async def ordered(
        request: fw.Request,  # type: ignore[name-defined]
        tasks: fw.BackgroundTasks,  # type: ignore[name-defined]
        a: None = fw.Depends(request_scoped),
        b: None = fw.Depends(function_scoped, scope="function"),
    ) -> str:
        scope = request.scope
        scope["fastapi_middleware_astack"].push_async_callback(note, "outer stack")
        scope["fastapi_inner_astack"].push_async_callback(note, "inner stack")
        scope["fastapi_function_astack"].push_async_callback(note, "function stack")
        tasks.add_task(log.append, "background")
        return "ok"

    return app


def test_stack_callbacks_exit_before_the_routes_own_dependencies_of_their_scope(both: Any) -> None:
    """Registered during the request, a stack's callbacks run before the `yield` dependencies of the same scope
    exit (last in, first out), as on FastAPI's stacks."""
    logs = {}
    for name, fw in both.items():
        log: list[Any] = []
        assert fw.TestClient(build_ordered(fw, log)).get("/ordered").json() == "ok"
        logs[name] = log
    assert logs["vivace"] == logs["fastapi"]
