"""Route path templates as FastAPI reads them: `path_regex`, `path_format`, `param_convertors` and the errors
for a template that cannot work, on routes declared on the app, on a router and copied by `include_router`."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from starlette.routing import compile_path

Framework = Any  # the `fw` namespace of tests/compat/conftest.py

PATHS = [
    "/",
    "/plain",
    "/items/{item_id}",
    "/items/{item_id:int}/tags",
    "/files/{rest:path}",
    "/a.b+c/{x:float}/{y:uuid}/end",
    "/{first}/{second:str}",
]


def _templates(fw: Framework, routes: list[Any]) -> list[tuple[str, str, str, dict[str, str]]]:
    """Each path operation's path, pattern, format and convertor classes, in order."""
    api_route = importlib.import_module(f"{fw.name}.routing").APIRoute
    return [
        (
            route.path,
            route.path_regex.pattern,
            route.path_format,
            {name: type(convertor).__name__ for name, convertor in route.param_convertors.items()},
        )
        for route in routes
        if isinstance(route, api_route)
    ]


def _build(fw: Framework) -> tuple[Any, Any]:
    app, router = fw.FastAPI(), fw.APIRouter()
    for path in PATHS:
        app.get(path)(lambda: None)
        router.get(path)(lambda: None)
    return app, router


def test_route_templates_match_fastapi(both: dict[str, Framework]) -> None:
    """Pattern, format and convertors of routes declared on the app and on a router are FastAPI's."""
    found = {}
    for name, fw in both.items():
        app, router = _build(fw)
        found[name] = (_templates(fw, router.routes), _templates(fw, app.routes))
    assert found["vivace"] == found["fastapi"]


def test_included_routes_have_the_prefixed_template(fw: Framework) -> None:
    """Routes served through `include_router` match by Starlette's template of the prefixed path."""
    app, router = _build(fw)
    app.include_router(router, prefix="/r")
    for path, pattern, path_format, convertors in _templates(fw, app.routes):
        expected = compile_path(path)
        assert (pattern, path_format) == (expected[0].pattern, expected[1])
        assert convertors == {name: type(found).__name__ for name, found in expected[2].items()}
    client = fw.TestClient(app)
    assert client.get("/r/items/7/tags").status_code == 200
    assert client.get("/r/items/x/tags").status_code == 404


@pytest.mark.parametrize("path", ["/a/{x:nope}", "/a/{x}/{x}", "/a/{x}/{y}/{x}/{y:int}"])
def test_a_template_that_cannot_work_fails_at_declaration_like_fastapi(both: dict[str, Framework], path: str) -> None:
    """An unknown convertor or a repeated parameter name raises FastAPI's error where the route is declared."""
    raised = {}
    for name, fw in both.items():
        router = fw.APIRouter()
        with pytest.raises((AssertionError, ValueError)) as caught:
            router.get(path)(lambda: None)
        raised[name] = (type(caught.value), str(caught.value))
    assert raised["vivace"] == raised["fastapi"]


def test_an_assigned_pattern_reads_back_and_is_served(fw: Framework) -> None:
    """A library's `route.path_regex = ...` replaces the pattern: reads return it and matching uses it."""
    app = fw.FastAPI()

    @app.get("/items/{item_id}")
    def read(item_id: str) -> str:
        return item_id

    route = app.routes[-1]
    pattern = re.compile("^/items/(?P<item_id>[a-z]+)$")
    route.path_regex = pattern
    assert route.path_regex is pattern
    client = fw.TestClient(app)
    assert client.get("/items/abc").json() == "abc"
    assert client.get("/items/123").status_code == 404


def test_private_routing_names_import_from_the_module(fw: Framework) -> None:
    """FastAPI's private routing names import from `routing`, by attribute and with `from ... import`."""
    routing = importlib.import_module(f"{fw.name}.routing")
    names = ["_EffectiveRouteContext", "_IncludedRouter", "_get_scope_effective_route_context"]
    names.append("_iter_routes_with_context")
    imported = __import__(f"{fw.name}.routing", fromlist=names)
    assert [getattr(imported, name) for name in names] == [getattr(routing, name) for name in names]
    with pytest.raises(AttributeError):
        routing._not_a_routing_name  # noqa: B018 (the lookup itself is the test)
