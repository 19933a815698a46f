"""`yield` dependencies served by vivace's flat runner (src/vivace/_core/nesting.py) behave as FastAPI's do.

Each app logs what its dependencies, endpoint and background tasks see, and an ASGI wrapper logs when the
response starts; the log, the status, headers and body must match FastAPI's, request by request: when exit code
runs relative to the response (`scope="request"` after it is sent, `scope="function"` before), which exception a
dependency sees at its `yield`, what a dependency raising or swallowing after its `yield` makes of the response.
Every case runs twice: through TestClient (an anyio task: vivace's nested runner, its exit code shielded) and
as a server runs a request, in a plain asyncio task (vivace's one-frame runner for async request-scoped ones).
"""

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from starlette.testclient import TestClient
from starlette.types import Message, Receive, Scope, Send

Log = list[str]


class _LogResponseStart:
    """An ASGI wrapper noting in the log when the response starts."""

    def __init__(self, app: Any, log: Log) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.log.append(f"response {message['status']}")
            await send(message)

        await self.app(scope, receive, logged)


def _outcomes(app: Any, log: Log, requests: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    """Each request's (status, body, log lines it produced); an exception the app raised after the response
    started (TestClient re-raises it) is noted by type."""
    client = TestClient(_LogResponseStart(app, log), raise_server_exceptions=False)
    seen = []
    with client:
        for method, url, kwargs in requests:
            log.clear()
            response = client.request(method, url, **kwargs)
            seen.append((url, response.status_code, response.headers.get("x-dep"), response.text, list(log)))
    return seen


def _task_outcomes(app: Any, log: Log, requests: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    """`_outcomes`, each request served in a task of its own on a plain asyncio loop, as uvicorn serves it (no
    anyio task group or cancel scope around the application); that the app let an exception out is logged."""
    logged = _LogResponseStart(app, log)

    async def serve(method: str, url: str) -> tuple[Any, ...]:
        path, _, query = url.partition("?")
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
            "path": path, "raw_path": path.encode(), "root_path": "", "query_string": query.encode(),
            "headers": [(b"host", b"testserver")], "server": ("testserver", 80), "client": ("client", 1),
        }
        sent: list[Message] = []
        pending = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> Message:
            return pending.pop() if pending else {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        try:
            await asyncio.get_running_loop().create_task(logged(scope, receive, send))
        except Exception:
            # NOTE: not by type: an HTTPException raised after the response escapes as a RuntimeError from FastAPI
            # and as itself from vivace (docs/differences.md)
            log.append("raised to the server")
        start = next((message for message in sent if message["type"] == "http.response.start"), None)
        status = None if start is None else start["status"]
        headers = {} if start is None else {key.decode(): value.decode() for key, value in start["headers"]}
        body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
        return (url, status, headers.get("x-dep"), body.decode(), list(log))

    async def serve_all() -> list[Any]:
        seen = []
        for method, url, _ in requests:
            log.clear()
            seen.append(await serve(method, url))
        return seen

    return asyncio.run(serve_all())


@pytest.fixture(params=["testclient", "server-task"])
def driver(request: pytest.FixtureRequest) -> str:
    """How the requests reach the app: see the module docstring."""
    return str(request.param)


def _compare(
    both: Any, build: Callable[[Any, Log], Any], requests: list[tuple[str, str, dict[str, Any]]], driver: str
) -> Any:
    results = {}
    outcomes = _outcomes if driver == "testclient" else _task_outcomes
    for name, fw in both.items():
        log: Log = []
        app = build(fw, log)
        if name == "vivace":
            _assert_flat(app)
        results[name] = outcomes(app, log, requests)
    for ours, theirs in zip(results["vivace"], results["fastapi"], strict=True):
        assert ours == theirs
    return results["vivace"]


def _assert_flat(app: Any) -> None:
    """Every route with a `yield` dependency is served by the flat runner, not the generic pipeline."""
    from vivace._core.runner import describe

    for route in app.routes:
        plan = getattr(route, "served_plan", None)
        if plan is not None and any(step.is_generator for step in plan.steps):
            assert describe(plan) == "flat runner, yield dependencies nested", route.path


def _get(url: str, **kwargs: Any) -> tuple[str, str, dict[str, Any]]:
    return ("GET", url, kwargs)


class Item(BaseModel):
    name: str
    size: int


def build_lifecycle(fw: Any, log: Log) -> Any:
    """Async and sync `yield` dependencies in both scopes, background tasks, the injected Response."""
    app = fw.FastAPI()

    async def session(response: fw.Response) -> AsyncIterator[str]:
        log.append("session enter")
        response.headers["x-dep"] = "set before yield"
        try:
            yield "db"
        except Exception as error:
            log.append(f"session saw {type(error).__name__}")
            raise
        finally:
            log.append("session exit")

    def sync_resource() -> Iterator[str]:
        log.append("sync enter")
        try:
            yield "file"
        finally:
            log.append("sync exit")

    async def audit() -> AsyncIterator[str]:
        log.append("audit enter")
        yield "audit"
        log.append("audit exit")

    Session = Annotated[str, fw.Depends(session)]
    Audit = Annotated[str, fw.Depends(audit, scope="function")]

    @app.get("/request-scope")
    async def request_scope(db: Session, tasks: fw.BackgroundTasks) -> dict[str, str]:
        log.append(f"endpoint {db}")
        tasks.add_task(log.append, "background")
        return {"db": db}

    @app.get("/function-scope")
    async def function_scope(db: Session, audited: Audit) -> dict[str, str]:
        log.append(f"endpoint {db} {audited}")
        return {"db": db}

    @app.get("/sync")
    def sync_endpoint(db: Session, handle: Annotated[str, fw.Depends(sync_resource)]) -> str:
        log.append(f"endpoint {db} {handle}")
        return handle

    @app.get("/response")
    async def returns_response(db: Session, tasks: fw.BackgroundTasks) -> Any:
        tasks.add_task(log.append, "background")
        return fw.PlainTextResponse(f"plain {db}", status_code=202)

    @app.get("/shared")
    async def shared(db: Session, again: Annotated[str, fw.Depends(session)], audited: Audit) -> list[str]:
        return [db, again, audited]

    @app.get("/items/{size}", response_model=Item)
    async def item(size: int, db: Session) -> Any:
        log.append("endpoint")
        return {"name": db, "size": size}

    @app.get("/invalid", response_model=Item)
    async def invalid(db: Session) -> Any:
        return {"name": db}  # NOTE: no size: a ResponseValidationError, thrown into the session

    return app


@pytest.mark.parametrize(
    "url", ["/request-scope", "/function-scope", "/sync", "/response", "/shared", "/items/3", "/items/x", "/invalid"]
)
def test_lifecycle_matches_fastapi(both: Any, url: str, driver: str) -> None:
    """Exit code runs at FastAPI's moment relative to the response and background tasks, on every kind of route."""
    _compare(both, build_lifecycle, [_get(url)], driver)


def build_errors(fw: Any, log: Log) -> Any:  # noqa: C901 - one nested dependency or endpoint per case
    """Exceptions crossing a `yield`: from the endpoint into dependencies, and from exit code out of them."""
    app = fw.FastAPI()

    async def translating() -> AsyncIterator[str]:
        try:
            yield "t"
        except ValueError as error:
            log.append(f"translating {error}")
            raise fw.HTTPException(status_code=409, detail="conflict") from error

    async def watching() -> AsyncIterator[str]:
        try:
            yield "w"
        except fw.HTTPException as error:
            log.append(f"watching {error.status_code}")
            raise

    def sync_watching() -> Iterator[str]:
        try:
            yield "s"
        except Exception as error:
            log.append(f"sync watching {type(error).__name__}")
            raise
        finally:
            log.append("sync exit")

    async def swallowing() -> AsyncIterator[str]:
        try:
            yield "x"
        except Exception as error:
            log.append(f"swallowed {type(error).__name__}")

    def sync_swallowing() -> Iterator[str]:
        try:
            yield "x"
        except Exception as error:
            log.append(f"sync swallowed {type(error).__name__}")

    async def raising_after(code: int = 418) -> AsyncIterator[str]:
        yield "r"
        log.append("raising after yield")
        raise fw.HTTPException(status_code=code, detail="after")

    Raising = Annotated[str, fw.Depends(raising_after)]
    RaisingEarly = Annotated[str, fw.Depends(raising_after, scope="function")]

    @app.get("/translated")
    async def translated(
        w: Annotated[str, fw.Depends(watching)],
        s: Annotated[str, fw.Depends(sync_watching)],
        t: Annotated[str, fw.Depends(translating)],
    ) -> str:
        raise ValueError("bad state")

    @app.get("/http-error")
    async def http_error(w: Annotated[str, fw.Depends(watching)], s: Annotated[str, fw.Depends(sync_watching)]) -> str:
        raise fw.HTTPException(status_code=404, detail="missing", headers={"x-dep": "from endpoint"})

    @app.get("/swallowed")
    async def swallowed(x: Annotated[str, fw.Depends(swallowing)]) -> str:
        raise ValueError("lost")

    @app.get("/sync-swallowed")
    def sync_swallowed(x: Annotated[str, fw.Depends(sync_swallowing)]) -> str:
        raise ValueError("lost")

    @app.get("/after-response")
    async def after_response(r: Raising, w: Annotated[str, fw.Depends(watching)]) -> str:
        log.append("endpoint")
        return "sent"

    @app.get("/after-inside")
    async def after_inside(w: Annotated[str, fw.Depends(watching)], r: Raising) -> str:
        return "sent"

    @app.get("/swallowed-after")
    async def swallowed_after(x: Annotated[str, fw.Depends(swallowing)], r: Raising) -> str:
        return "sent"

    @app.get("/sync-swallowed-after")
    async def sync_swallowed_after(x: Annotated[str, fw.Depends(sync_swallowing)], r: Raising) -> str:
        return "sent"

    @app.get("/background-swallowed")
    async def background_swallowed(x: Annotated[str, fw.Depends(swallowing)], tasks: fw.BackgroundTasks) -> str:
        tasks.add_task(_fail_in_background)
        return "sent"

    @app.get("/after-function")
    async def after_function(r: RaisingEarly) -> str:
        log.append("endpoint")
        return "not sent"

    @app.get("/dependency-error")
    async def dependency_error(
        w: Annotated[str, fw.Depends(watching)], q: Annotated[int, fw.Depends(_refuse(fw))]
    ) -> str:
        raise AssertionError("not reached")  # pragma: no cover

    return app


def _fail_in_background() -> None:
    raise ValueError("background task failed")


def _refuse(fw: Any) -> Callable[[], Any]:
    async def refuse() -> int:
        raise fw.HTTPException(status_code=401, detail="who are you")

    return refuse


@pytest.mark.parametrize(
    "url",
    [
        "/translated",
        "/http-error",
        "/swallowed",
        "/sync-swallowed",
        "/after-response",
        "/after-inside",
        "/swallowed-after",
        "/sync-swallowed-after",
        "/background-swallowed",
        "/after-function",
        "/after-function?code=400",
        "/dependency-error",
    ],
)
def test_exceptions_cross_the_yield_as_in_fastapi(both: Any, url: str, driver: str) -> None:
    """What a dependency sees at its `yield` and what its exit code raising or swallowing does to the answer."""
    _compare(both, build_errors, [_get(url)], driver)


def build_validation(fw: Any, log: Log) -> Any:
    """A request failing validation: the dependencies whose own inputs are valid still run (and exit)."""
    app = fw.FastAPI()

    async def session() -> AsyncIterator[str]:
        log.append("session enter")
        yield "db"
        log.append("session exit")

    async def paged(limit: int = 10) -> AsyncIterator[int]:
        log.append(f"paged enter {limit}")
        yield limit
        log.append("paged exit")

    @app.get("/search")
    async def search(
        q: int, db: Annotated[str, fw.Depends(session)], limit: Annotated[int, fw.Depends(paged)]
    ) -> list[Any]:
        return [q, db, limit]

    async def swallowing() -> AsyncIterator[str]:
        try:
            yield "x"
        except Exception as error:
            log.append(f"swallowed {type(error).__name__}")

    @app.get("/swallowing")
    async def swallowing_route(q: int, x: Annotated[str, fw.Depends(swallowing)]) -> int:
        return q

    return app


@pytest.mark.parametrize(
    "url", ["/swallowing?q=x", "/swallowing?q=1", "/search?q=1", "/search?q=x", "/search?q=1&limit=x", "/search"]
)
def test_validation_errors_with_yield_dependencies(both: Any, url: str, driver: str) -> None:
    """422s on routes with `yield` dependencies: same body, same dependencies entered and exited."""
    _compare(both, build_validation, [_get(url)], driver)


def build_cached_settings(fw: Any, log: Log) -> Any:
    """The realistic application's shape: a `functools.lru_cache`d sync settings dependency and a session."""
    app = fw.FastAPI()

    @functools.lru_cache
    def settings() -> dict[str, int]:
        log.append("settings built")
        return {"page": 20}

    async def session() -> AsyncIterator[str]:
        yield "db"
        log.append("session exit")

    @app.get("/page")
    async def page(
        conf: Annotated[dict[str, int], fw.Depends(settings)], db: Annotated[str, fw.Depends(session)]
    ) -> dict[str, Any]:
        return {"conf": conf, "db": db}

    @app.get("/reset")
    async def reset() -> str:
        settings.cache_clear()
        return "cleared"

    return app


def test_cached_sync_dependency_is_built_once_and_again_after_a_clear(both: Any, driver: str) -> None:
    """An lru_cache'd dependency runs its body on the first request and after `cache_clear()`, never otherwise."""
    _compare(both, build_cached_settings, [_get("/page"), _get("/page"), _get("/reset"), _get("/page")], driver)


def build_edges(fw: Any, log: Log) -> Any:  # noqa: C901 - one nested dependency or endpoint per case
    """Generators that misbehave, fail while being set up, or depend on one another."""
    app = fw.FastAPI()

    async def outer() -> AsyncIterator[str]:
        log.append("outer enter")
        try:
            yield "o"
        except Exception as error:
            log.append(f"outer saw {type(error).__name__}")
            raise
        finally:
            log.append("outer exit")

    async def inner(o: Annotated[str, fw.Depends(outer)]) -> AsyncIterator[str]:
        log.append(f"inner enter {o}")
        try:
            yield f"{o}+i"
        finally:
            log.append("inner exit")

    async def refusing(o: Annotated[str, fw.Depends(outer)]) -> AsyncIterator[str]:
        log.append("refusing enter")
        raise fw.HTTPException(status_code=403, detail="no entry")
        yield "never"  # pragma: no cover

    async def no_yield() -> AsyncIterator[str]:
        if False:  # pragma: no cover
            yield "never"

    async def twice() -> AsyncIterator[str]:
        yield "one"
        log.append("twice again")
        yield "two"

    def sync_raising_after() -> Iterator[str]:
        yield "s"
        log.append("sync raising")
        raise RuntimeError("sync teardown failed")

    @app.get("/chain")
    async def chain(i: Annotated[str, fw.Depends(inner)]) -> str:
        log.append(f"endpoint {i}")
        return i

    @app.get("/chain-error")
    async def chain_error(i: Annotated[str, fw.Depends(inner)]) -> str:
        raise KeyError("gone")

    @app.get("/refused")
    async def refused(r: Annotated[str, fw.Depends(refusing)], i: Annotated[str, fw.Depends(inner)]) -> str:
        raise AssertionError("not reached")  # pragma: no cover

    @app.get("/no-yield")
    async def no_yield_route(x: Annotated[str, fw.Depends(no_yield)]) -> str:
        return x

    @app.get("/twice")
    async def twice_route(x: Annotated[str, fw.Depends(twice)], o: Annotated[str, fw.Depends(outer)]) -> str:
        return x

    @app.get("/twice-inside")
    async def twice_inside(o: Annotated[str, fw.Depends(outer)], x: Annotated[str, fw.Depends(twice)]) -> str:
        return x

    @app.get("/sync-after")
    def sync_after(o: Annotated[str, fw.Depends(outer)], s: Annotated[str, fw.Depends(sync_raising_after)]) -> str:
        return s

    return app


@pytest.mark.parametrize(
    "url", ["/chain", "/chain-error", "/refused", "/no-yield", "/twice", "/twice-inside", "/sync-after"]
)
def test_misbehaving_and_chained_generators_match_fastapi(both: Any, url: str, driver: str) -> None:
    """Setup failures, a generator that never yields or yields twice, a teardown error, a dependency chain."""
    _compare(both, build_edges, [_get(url)], driver)
