"""Every form of `lifespan=` FastAPI accepts runs its start-up and shut-down, on the app and on routers."""

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest


def _async_generator(events: list[str]) -> Any:
    async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
        events.append("start")
        yield {"source": "async generator"}
        events.append("stop")

    return lifespan


def _plain_generator(events: list[str]) -> Any:
    def lifespan(app: Any) -> Iterator[dict[str, str]]:
        events.append("start")
        yield {"source": "plain generator"}
        events.append("stop")

    return lifespan


def _context_factory(events: list[str]) -> Any:
    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
        events.append("start")
        yield {"source": "context manager"}
        events.append("stop")

    return lifespan


FORMS = [_async_generator, _plain_generator, _context_factory]
SOURCES = {
    _async_generator: "async generator",
    _plain_generator: "plain generator",
    _context_factory: "context manager",
}


@pytest.mark.parametrize("make", FORMS, ids=[form.__name__.strip("_") for form in FORMS])
@pytest.mark.parametrize("on", ["app", "router"])
def test_lifespan_forms(fw: Any, make: Any, on: str) -> None:
    """The lifespan starts before the first request, its state reaches requests, and it stops at shutdown."""
    events: list[str] = []
    lifespan = make(events)
    if on == "app":
        app = fw.FastAPI(lifespan=lifespan)
    else:
        app = fw.FastAPI()
        app.include_router(fw.APIRouter(lifespan=lifespan))

    @app.get("/state")
    async def state(request: fw.Request) -> str:
        return str(request.state.source)

    with fw.TestClient(app) as client:
        assert events == ["start"]
        assert client.get("/state").json() == SOURCES[make]
    assert events == ["start", "stop"]


def test_state_from_nested_lifespans_prefers_the_outer_one(fw: Any) -> None:
    """State keys from the app's and included routers' lifespans merge; on a shared key the outer one wins."""

    def yielding(state: dict[str, str]) -> Any:
        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[dict[str, str]]:
            yield state

        return lifespan

    inner = fw.APIRouter(lifespan=yielding({"inner": "yes", "shared": "inner"}))
    outer = fw.APIRouter(lifespan=yielding({"outer": "yes", "shared": "outer"}))
    outer.include_router(inner)
    app = fw.FastAPI(lifespan=yielding({"app": "yes"}))
    app.include_router(outer)

    @app.get("/state")
    async def state(request: fw.Request) -> dict[str, str]:
        return {key: getattr(request.state, key) for key in ("app", "outer", "inner", "shared")}

    with fw.TestClient(app) as client:
        assert client.get("/state").json() == {"app": "yes", "outer": "yes", "inner": "yes", "shared": "outer"}


@pytest.mark.parametrize("with_lifespan", [False, True])
def test_wrapping_router_lifespan_context_after_creation_is_honoured(fw: Any, with_lifespan: bool) -> None:
    """An extension that wraps `app.router.lifespan_context` after the app exists (as fastapi-pagination does) has
    its wrapper run around the app's own start-up and shut-down, whose state still reaches requests."""
    events: list[str] = []
    app = fw.FastAPI(lifespan=_context_factory(events) if with_lifespan else None)
    original = app.router.lifespan_context

    @asynccontextmanager
    async def wrapped(application: Any) -> AsyncIterator[Any]:
        events.append("wrapper start")
        async with original(application) as state:
            yield state
        events.append("wrapper stop")

    app.router.lifespan_context = wrapped

    @app.get("/")
    def read(request: fw.Request) -> Any:
        return dict(request.state._state) if hasattr(request.state, "_state") else {}

    with fw.TestClient(app) as client:
        body = client.get("/").json()
    assert body == ({"source": "context manager"} if with_lifespan else {})
    inner = ["start", "stop"] if with_lifespan else []
    assert events == ["wrapper start", *inner, "wrapper stop"]
