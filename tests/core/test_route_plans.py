"""When route plans are compiled (vivace/_route_plans.py): once per route, not once per router a route passes
through; again after a library changed what a plan came from; errors where the route is written."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from vivace import APIRouter, Depends, FastAPI, HTTPException
from vivace import _route_plans as route_plans
from vivace.exceptions import FastAPIError
from vivace.routing import APIRoute
from vivace.testclient import TestClient


class Item(BaseModel):
    name: str


class Opaque:
    """A class Pydantic cannot validate."""


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The path of every route compiled from here on."""
    paths: list[str] = []
    original = route_plans.compile_route

    def counting(route: Any, dependant: Any) -> Any:
        paths.append(route.path)
        return original(route, dependant)

    monkeypatch.setattr(route_plans, "compile_route", counting)
    return paths


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
    """A copy that gains dependencies from the inclusion is compiled, once, when the app first needs it."""
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    app = FastAPI()
    app.include_router(_items_router(), prefix="/v1", dependencies=[Depends(audit)])
    assert compiled == ["/items/{item_id}", "/items/"]
    client = TestClient(app)
    assert client.get("/v1/items/2").status_code == 200
    assert client.get("/v1/items/3").status_code == 200
    assert compiled == ["/items/{item_id}", "/items/", "/v1/items/{item_id}", "/v1/items/"]
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


def test_dependencies_appended_after_startup_take_effect() -> None:
    """`route.dependencies` appended after the first request runs from the next request on (FastAPI 0.165 ignores
    such a change on a route declared on the app; vivace recompiles rather than ignore it)."""

    def deny() -> None:
        raise HTTPException(status_code=403, detail="denied")

    app = FastAPI()

    @app.get("/a")
    def read() -> str:
        return "a"

    client = TestClient(app)
    assert client.get("/a").status_code == 200
    route = next(r for r in app.routes if isinstance(r, APIRoute))
    route.dependencies.append(Depends(deny))
    assert client.get("/a").status_code == 403
    route.dependencies = []
    assert client.get("/a").status_code == 200


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
