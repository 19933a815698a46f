"""`Depends(..., scope="app")`: one value shared by every request, torn down at shutdown, checked at startup."""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

import pytest

from vivace import Depends, FastAPI, Header
from vivace.exceptions import DependencyScopeError
from vivace.testclient import TestClient


class Engine:
    """Stands in for a database engine; `number` tells instances apart."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.closed = False


def build(events: list[str]) -> FastAPI:
    app = FastAPI()

    async def get_engine() -> AsyncIterator[Engine]:
        engine = Engine(sum(event.startswith("open") for event in events) + 1)
        events.append(f"open {engine.number}")
        yield engine
        engine.closed = True
        events.append(f"close {engine.number}")

    def get_settings() -> dict[str, str]:
        events.append("settings")
        return {"name": "demo"}

    def get_client(engine: Annotated[Engine, Depends(get_engine, scope="app")]) -> Iterator[str]:
        events.append("client up")
        yield f"client-of-{engine.number}"
        events.append("client down")

    @app.get("/engine")
    async def read_engine(engine: Annotated[Engine, Depends(get_engine, scope="app")]) -> dict[str, int]:
        return {"engine": engine.number}

    @app.get("/all")
    def read_all(
        settings: Annotated[dict[str, str], Depends(get_settings, scope="app")],
        client: Annotated[str, Depends(get_client, scope="app")],
    ) -> dict[str, str]:
        return {**settings, "client": client}

    app.state.get_engine = get_engine  # NOTE: lets the override test name the real dependency
    return app


def test_created_once_at_startup_and_shared() -> None:
    """Every app-scoped dependency is made once when the app starts, and each request gets the same value."""
    events: list[str] = []
    app = build(events)
    with TestClient(app) as client:
        assert events == ["open 1", "settings", "client up"]
        first = client.get("/engine").json()
        assert client.get("/engine").json() == first
        assert client.get("/all").json() == {"name": "demo", "client": f"client-of-{first['engine']}"}
        assert events == ["open 1", "settings", "client up"]


def test_torn_down_at_shutdown_in_reverse_order() -> None:
    """Yield dependencies' exit code runs at shutdown, newest first (the client before the engine it uses)."""
    events: list[str] = []
    with TestClient(build(events)):
        pass
    assert events == ["open 1", "settings", "client up", "client down", "close 1"]


def test_created_on_first_use_without_lifespan() -> None:
    """Without a lifespan (no `with TestClient`), the value is made by the first request that needs it."""
    events: list[str] = []
    client = TestClient(build(events))
    assert events == []
    client.get("/engine")
    client.get("/engine")
    assert events == ["open 1"]


def test_restarting_the_app_makes_new_values() -> None:
    """A second startup after a shutdown creates fresh values (the old ones were closed)."""
    events: list[str] = []
    app = build(events)
    with TestClient(app) as client:
        one = client.get("/engine").json()["engine"]
    with TestClient(app) as client:
        two = client.get("/engine").json()["engine"]
    assert two == one + 1
    assert events.count(f"close {one}") == 1


def test_overridable_with_dependency_overrides() -> None:
    """`dependency_overrides` replaces an app-scoped dependency like any other (how tests swap a real engine)."""
    events: list[str] = []
    app = build(events)

    async def fake_engine() -> AsyncIterator[Engine]:
        yield Engine(999)

    app.dependency_overrides[app.state.get_engine] = fake_engine
    with TestClient(app) as client:
        assert client.get("/engine").json() == {"engine": 999}
    assert "open" not in " ".join(events)


def test_concurrent_first_use_makes_one_value() -> None:
    """Many requests arriving together before the value exists still create it only once."""
    made: list[int] = []
    app = FastAPI()

    async def slow_resource() -> int:
        import anyio

        await anyio.sleep(0.05)
        made.append(1)
        return len(made)

    @app.get("/r")
    async def read(value: Annotated[int, Depends(slow_resource, scope="app")]) -> int:
        return value

    import anyio

    async def main() -> list[int]:
        import httpx

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            results: list[int] = []

            async def one() -> None:
                results.append((await client.get("/r")).json())

            async with anyio.create_task_group() as group:
                for _ in range(10):
                    group.start_soon(one)
            return results

    assert anyio.run(main) == [1] * 10
    assert made == [1]


def test_app_scoped_depending_on_request_scoped_is_rejected() -> None:
    """An app-scoped dependency cannot use a per-request one: the route declaration fails, naming both."""
    app = FastAPI()

    def current_user() -> str:
        return "u"

    def cache(user: Annotated[str, Depends(current_user)]) -> str:
        return user

    with pytest.raises(DependencyScopeError, match=r'"cache" has scope "app".*"current_user"'):

        @app.get("/x")
        def read(value: Annotated[str, Depends(cache, scope="app")]) -> str:
            return value


def test_app_scoped_reading_request_data_is_rejected() -> None:
    """An app-scoped dependency that declares request parameters (a header) is rejected with their names."""
    app = FastAPI()

    def per_tenant(x_tenant: Annotated[str, Header()]) -> str:
        return x_tenant

    with pytest.raises(DependencyScopeError, match=r"cannot read request data.*x_tenant"):

        @app.get("/x")
        def read(value: Annotated[str, Depends(per_tenant, scope="app")]) -> str:
            return value
