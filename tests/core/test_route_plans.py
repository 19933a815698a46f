"""When route plans are compiled (vivace/_route_plans.py): once per route, not once per router a route passes
through; again after a library changed what a plan came from; errors where the route is written."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from pydantic import BaseModel

from vivace import APIRouter, Depends, FastAPI, HTTPException
from vivace.dependencies.utils import get_parameterless_sub_dependant
from vivace.exceptions import FastAPIError
from vivace.routing import APIRoute
from vivace.testclient import TestClient


class Item(BaseModel):
    name: str


class Opaque:
    """A class Pydantic cannot validate."""


def _sub(call: Callable[..., Any]) -> Any:
    """A sub-dependant for `call`, as a library builds one to append to `route.dependant.dependencies`."""
    return get_parameterless_sub_dependant(depends=Depends(call), path="/a")


def _served_once() -> tuple[FastAPI, TestClient, APIRoute]:
    """An app with one route, `GET /a` answering "a", served once (its plan compiled and in use)."""
    app = FastAPI()

    @app.get("/a")
    def read() -> str:
        return "a"

    client = TestClient(app)
    assert client.get("/a").json() == "a"
    return app, client, next(r for r in app.routes if isinstance(r, APIRoute))


def _items_router() -> APIRouter:
    router = APIRouter(prefix="/items")

    @router.get("/{item_id}", response_model=Item)
    def read(item_id: int) -> dict[str, str]:
        return {"name": f"n{item_id}"}

    @router.post("/")
    def create(item: Item) -> Item:
        return item

    return router


def test_included_routes_compile_once(compiled: list[str]) -> None:
    """A router's routes compile where declared; their copies in the app reuse those plans' steps."""
    router = _items_router()
    app = FastAPI()
    app.include_router(router, prefix="/v1")
    client = TestClient(app)
    assert client.get("/v1/items/2").json() == {"name": "n2"}
    assert client.post("/v1/items/", json={"name": "a"}).json() == {"name": "a"}
    assert compiled == ["/items/{item_id}", "/items/"]
    copies = [r for r in app.routes if isinstance(r, APIRoute)]
    assert [c.plan.steps for c in copies] == [r.plan.steps for r in router.routes]
    assert [c.plan.path for c in copies] == ["/v1/items/{item_id}", "/v1/items/"]


def test_inclusion_dependencies_compile_the_copy_on_first_need(compiled: list[str]) -> None:
    """A copy that gains dependencies from the inclusion is compiled, once, on its first request; neither the
    routes it was copied from nor the copies not requested yet are compiled."""
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    app = FastAPI()
    app.include_router(_items_router(), prefix="/v1", dependencies=[Depends(audit)])
    assert compiled == []
    client = TestClient(app)
    assert client.get("/v1/items/2").status_code == 200
    assert client.get("/v1/items/3").status_code == 200
    assert compiled == ["/v1/items/{item_id}"]
    assert calls == ["audit", "audit"]


def test_bad_inclusion_dependency_fails_when_the_app_compiles() -> None:
    """A dependency an inclusion adds that cannot work is reported when the app starts, not ignored."""

    def opaque_query(q: Opaque) -> None:
        return None

    app = FastAPI()
    app.include_router(_items_router(), dependencies=[Depends(opaque_query)])
    with pytest.raises(FastAPIError, match="Pydantic cannot validate"), TestClient(app):
        pass


def test_route_that_cannot_work_fails_where_declared_on_a_router() -> None:
    """A route's own parameters are checked at the decorator, on a router as on the app."""
    router = APIRouter()
    with pytest.raises(FastAPIError, match="Pydantic cannot validate"):

        @router.get("/a")
        def read(q: Opaque) -> None:
            return None


def test_dependencies_appended_after_startup_take_effect_at_the_next_sync_point() -> None:
    """`route.dependencies` appended in place after the first request runs once the app passes a sync point
    (`app.openapi()` here; FastAPI 0.165 ignores such a change on a route declared on the app); assigning a new
    list takes effect at once."""

    def deny() -> None:
        raise HTTPException(status_code=403, detail="denied")

    app, client, route = _served_once()
    route.dependencies.append(Depends(deny))
    assert client.get("/a").status_code == 200  # NOTE: no sync point yet: the compiled plan is still served
    app.openapi()
    assert client.get("/a").status_code == 403
    route.dependencies = []
    assert client.get("/a").status_code == 200


@pytest.mark.parametrize("sync", ["openapi", "build_middleware_stack", "mark_routes_changed", "add_api_route"])
def test_dependant_appended_after_startup_is_seen_at_each_sync_point(sync: str) -> None:
    """A sub-dependency appended in place to a served route's `dependant.dependencies` runs from the next sync
    point on: `app.openapi()`, `app.build_middleware_stack()`, `router._mark_routes_changed()`, a route added."""
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    app, client, route = _served_once()
    route.dependant.dependencies.append(_sub(audit))
    client.get("/a")
    assert calls == []
    {
        "openapi": app.openapi,
        "build_middleware_stack": app.build_middleware_stack,
        "mark_routes_changed": app.router._mark_routes_changed,
        "add_api_route": lambda: app.add_api_route("/b", route.endpoint),
    }[sync]()
    assert client.get("/a").json() == "a"
    assert calls == ["audit"]


def test_changes_made_during_startup_are_served() -> None:
    """A dependency appended in place by a lifespan's startup code (fastapi-pagination finishes its set-up there)
    runs from the first request on: the app compiles after the startup code."""
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        route = next(r for r in app.routes if isinstance(r, APIRoute))
        route.dependencies.append(Depends(audit))
        route.dependant.dependencies.append(_sub(audit))
        yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/a")
    def read() -> str:
        return "a"

    assert TestClient(app).get("/a").json() == "a"  # served once before the lifespan ran
    with TestClient(app) as client:
        assert client.get("/a").json() == "a"
    assert calls == ["audit"]


def test_served_plan_unchanged_without_a_change(compiled: list[str]) -> None:
    """Sync points with nothing changed compile nothing: the walk compares identities only."""
    app, client, _ = _served_once()
    router = app._compiled
    app.openapi()
    app.build_middleware_stack()
    assert client.get("/a").json() == "a"
    assert compiled == ["/a"] and app._compiled is router


def test_dependant_replaced_is_used_as_given() -> None:
    """A `dependant` assigned by a library is what the route runs; `route.plan` recompiles from it."""
    app = FastAPI()

    @app.get("/a")
    def read() -> Any:
        return "a"

    @app.get("/b")
    def other(q: int = 1) -> int:
        return q

    route_a, route_b = [r for r in app.routes if isinstance(r, APIRoute)][-2:]
    before = route_a.plan
    route_a.dependant = route_b.dependant
    assert route_a.plan is not before
    assert TestClient(app).get("/a?q=5").json() == 5


def test_plan_is_kept_while_nothing_changed(compiled: list[str]) -> None:
    """Reading `route.plan`, `route.dependant` and the ModelField attributes does not compile again."""
    app = FastAPI()

    @app.post("/a", response_model=Item)
    def create(item: Item) -> Item:
        return item

    route = next(r for r in app.routes if isinstance(r, APIRoute))
    first = route.plan
    assert (route.body_field.name, route.response_field.name) == ("item", "Response_create_a_post")
    assert route.plan is first and route.dependant is route.dependant
    assert compiled == ["/a"]


def test_router_route_changed_in_place_reaches_the_apps_copy() -> None:
    """A dependency appended in place to a router's own route after `include_router` runs on the app's copy:
    before the first request at once, after it from the next sync point (`app.openapi()`)."""
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    def page() -> None:
        calls.append("page")

    router = _items_router()
    app = FastAPI()
    app.include_router(router, prefix="/v1")
    source = router.routes[0]
    assert isinstance(source, APIRoute)
    source.dependencies.append(Depends(audit))
    client = TestClient(app)
    assert client.get("/v1/items/2").json() == {"name": "n2"}
    assert calls == ["audit"]
    source.dependant.dependencies.append(_sub(page))
    assert client.get("/v1/items/2").status_code == 200
    assert calls == ["audit", "audit"]
    app.openapi()
    assert client.get("/v1/items/3").status_code == 200
    assert calls == ["audit", "audit", "audit", "page"]


def test_route_appended_to_router_routes_is_served_from_the_next_sync_point() -> None:
    """A route appended in place to `app.router.routes` after the first request is served once the app passes a
    sync point (FastAPI serves it at once)."""
    app = FastAPI()

    @app.get("/a")
    def read() -> str:
        return "a"

    client = TestClient(app)
    assert client.get("/a").status_code == 200

    def late() -> str:
        return "late"

    app.router.routes.append(APIRoute("/late", late))
    assert client.get("/late").status_code == 404
    app.build_middleware_stack()
    assert client.get("/late").json() == "late"


def test_deep_copy_keeps_the_plan_and_is_independent(compiled: list[str]) -> None:
    """A deep copy of a route serves its original's plan without compiling again; a dependency appended to the
    copy's dependant runs for the copy only."""
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    router = APIRouter()

    @router.get("/a")
    def read(q: int = 1) -> int:
        return q

    original = router.routes[0]
    assert isinstance(original, APIRoute)
    plan = original.plan  # NOTE: a declared route compiles on first need; here, before the copy is made
    twin = copy.deepcopy(original)
    assert twin.plan.steps == plan.steps and compiled == ["/a"]
    twin.dependant.dependencies.append(_sub(audit))
    first, second = FastAPI(), FastAPI()
    first.router.routes.append(original)
    second.router.routes.append(twin)
    assert TestClient(first).get("/a?q=2").json() == 2
    assert calls == []
    assert TestClient(second).get("/a?q=3").json() == 3
    assert calls == ["audit"]


def test_dependant_replaced_after_the_first_request_is_served_at_once() -> None:
    """Assigning `route.dependant` tells the app: the next request runs the assigned dependant (FastAPI keeps
    the handler it built from the old one)."""
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    _, client, route = _served_once()
    replaced = copy.copy(route.dependant)
    replaced.dependencies = [*replaced.dependencies, _sub(audit)]
    route.dependant = replaced
    assert client.get("/a").json() == "a"
    assert calls == ["audit"] and route.dependant is replaced


def test_router_route_replaced_after_serving_reaches_the_apps_copy_at_once() -> None:
    """Assigning a new `dependencies` list to a router's own route after the app served its copy takes effect on
    the next request: the copy's application is told."""

    def deny() -> None:
        raise HTTPException(status_code=403, detail="denied")

    router = _items_router()
    app = FastAPI()
    app.include_router(router, prefix="/v1")
    client = TestClient(app)
    assert client.get("/v1/items/2").status_code == 200
    source = router.routes[0]
    assert isinstance(source, APIRoute)
    source.dependencies = [Depends(deny)]
    assert client.get("/v1/items/2").status_code == 403
