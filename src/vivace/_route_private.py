"""Private names of FastAPI's `routing` module that extension libraries import: `_IncludedRouter`,
`_EffectiveRouteContext`, `_iter_routes_with_context` and `_get_scope_effective_route_context`.

FastAPI 0.165 keeps an included router as one node of the including router's routes (an `_IncludedRouter`)
and merges the inclusion's settings into an `_EffectiveRouteContext` for each route when it is matched. vivace
copies an included router's routes into the including router instead, with those settings already merged
(`vivace/_inclusion.py`). So in vivace:

* no route list holds an `_IncludedRouter`: code that walks `app.routes` and descends into included routers
  (fastapi-pagination) finds every route at the top level, and the copies it changes are the routes served;
* `_iter_routes_with_context(routes)` yields each route with `None`, FastAPI's context for a route that needs no
  merging; `_get_scope_effective_route_context(scope)` is `None` for the same reason;
* `_EffectiveRouteContext` is a record with FastAPI's fields, for code that builds one itself (cadwyn's
  `copy_route(route, _EffectiveRouteContext(original_route=route))`).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from starlette.routing import BaseRoute, WebSocketRoute

from vivace.datastructures import Default
from vivace.responses import JSONResponse
from vivace.utils import generate_unique_id

__all__ = [
    "_EffectiveRouteContext",
    "_IncludedRouter",
    "_get_scope_effective_route_context",
    "_iter_routes_with_context",
]


@dataclass
class _EffectiveRouteContext:
    """A route with the settings of the inclusions above it merged in (FastAPI's field names and defaults)."""

    original_route: BaseRoute
    starlette_route: BaseRoute | None = None
    app: Any = None
    frontend_prefix: str = ""
    path: str = ""  # with every prefix above the route
    endpoint: Any = None
    stream_item_type: Any = None
    response_model: Any = None
    summary: str | None = None
    response_description: str = "Successful Response"
    deprecated: bool | None = None
    operation_id: str | None = None
    response_model_include: Any = None  # an IncEx
    response_model_exclude: Any = None
    response_model_by_alias: bool = True
    response_model_exclude_unset: bool = False
    response_model_exclude_defaults: bool = False
    response_model_exclude_none: bool = False
    include_in_schema: bool = True
    response_class: Any = field(default_factory=lambda: Default(JSONResponse))
    dependency_overrides_provider: Any = None
    callbacks: list[BaseRoute] | None = None  # for the OpenAPI document
    openapi_extra: dict[str, Any] | None = None
    generate_unique_id_function: Any = field(default_factory=lambda: Default(generate_unique_id))
    strict_content_type: Any = field(default_factory=lambda: Default(True))
    max_body_size: int | None = None  # bytes; None: no limit
    tags: list[str | Enum] = field(default_factory=list)
    responses: dict[int | str, dict[str, Any]] = field(default_factory=dict)
    name: str = ""
    path_regex: Any = None  # the compiled pattern of `path`, prefixes included
    path_format: str = ""
    param_convertors: dict[str, Any] = field(default_factory=dict)
    methods: set[str] = field(default_factory=set)  # upper case
    unique_id: str = ""
    status_code: int | None = None
    response_field: Any = None
    stream_item_field: Any = None
    dependencies: list[Any] = field(default_factory=list)  # the inclusions' first, then the route's
    description: str = ""
    response_fields: dict[int | str, Any] = field(default_factory=dict)
    dependant: Any = None  # the analysis with the merged dependencies
    _embed_body_fields: bool = False
    body_field: Any = None
    is_sse_stream: bool = False
    is_json_stream: bool = False


@dataclass
class _IncludedRouter(BaseRoute):
    """FastAPI's node for an included router. vivace never creates one (it copies the routes, see above); the
    class exists so that code matching on it imports and falls through to the copied routes."""

    original_router: Any
    include_context: Any


def _iter_routes_with_context(routes: Sequence[BaseRoute]) -> Iterator[tuple[BaseRoute, _EffectiveRouteContext | None]]:
    """Each route with the merged settings of its inclusions: in vivace, already the route's own (`None`).

    NOTE: except a WebSocket route an inclusion copied: as in FastAPI, it comes as the route that was declared, with
    the served copy as the context's `starlette_route` (cadwyn reads the marks it set on the declared route).
    """
    for route in routes:
        declared = _declared(route) if isinstance(route, WebSocketRoute) else route
        if declared is route:
            yield route, None
        else:
            yield declared, _EffectiveRouteContext(original_route=declared, starlette_route=route)


def _declared(route: BaseRoute) -> BaseRoute:
    """The route as it was declared, before any inclusion copied it (each copy knows the route it was made from)."""
    source = getattr(route, "_source", None)
    while source is not None:
        route, source = source, getattr(source, "_source", None)
    return route


def _get_scope_effective_route_context(scope: MutableMapping[str, Any]) -> Any:
    """The matched route's merged settings for this request: in vivace, the route's own (`None`)."""
    return None
