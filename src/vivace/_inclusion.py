"""Router inclusion: what `include_router` records, and the options the copy of an included route gets.

`APIRouter.include_router` copies the included router's routes into the including one, and the link stays: a
route added to the included router later is copied through the same `Inclusion`. Prefixes, tags, dependencies,
responses and callbacks of the inclusion come before the route's own; a setting left at its default falls back to
the included router's, then the inclusion's, then the including router's; limits merge the same way, key by key
for `form_limits`.

Startup code only. `vivace.routing` imports this module, never the reverse, so the routes and routers it reads
appear here as the protocols below.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any, NamedTuple, Protocol, cast

from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from vivace._core.limits import LimitsLayer
from vivace._route_options import RouteOptions
from vivace.datastructures import Default, DefaultPlaceholder
from vivace.exceptions import FastAPIError
from vivace.params import Depends

__all__ = [
    "IncludedRoute", "Inclusion", "RouterSettings", "check_prefix", "first_set", "included_options", "inner_limit",
    "mount_limits",
]


class _Settings(Protocol):
    """What a route, a router and an inclusion may each set, merged into a copy (`included_options`)."""

    max_body_size: int | None
    form_limits: dict[str, int | None] | None
    deprecated: bool | None
    include_in_schema: bool
    generate_unique_id_function: Any
    strict_content_type: Any


class RouterSettings(_Settings, Protocol):
    """A router as an inclusion reads it: the included router and the including one (route defaults)."""

    default_response_class: Any


class IncludedRoute(_Settings, Protocol):
    """An `APIRoute` as its copy reads it, beyond the options the copy keeps as declared (`_AS_DECLARED`)."""

    response_class: Any
    response_model: Any
    stream_item_type: Any
    tags: list[str | Enum]
    dependencies: list[Depends]
    responses: dict[int | str, dict[str, Any]]
    callbacks: list[BaseRoute] | None


#: the options a copy keeps as the route declared them (an `APIRoute` keeps each as the attribute of that name)
_AS_DECLARED = (
    "status_code", "summary", "description", "response_description", "operation_id", "response_model_include",
    "response_model_exclude", "response_model_by_alias", "response_model_exclude_unset",
    "response_model_exclude_defaults", "response_model_exclude_none", "name", "openapi_extra",
)


class Inclusion(NamedTuple):
    """One `include_router` call: the included router and the options given, kept to copy later routes too.

    PERF: a NamedTuple, not a frozen dataclass: ~3 M fewer instructions to create the class at import.
    """

    router: RouterSettings
    prefix: str
    tags: list[str | Enum]
    dependencies: list[Depends]
    default_response_class: Any
    responses: dict[int | str, dict[str, Any]]
    callbacks: list[BaseRoute]
    deprecated: bool | None
    include_in_schema: bool
    generate_unique_id_function: Any
    strict_content_type: Any
    max_body_size: int | None
    form_limits: dict[str, int | None] | None
    # router-scoped settings of this inclusion alone (see vivace/_router_scope.py): a layer between the included
    # router's and the including router's
    exception_handlers: dict[Any, Any]
    middleware: Sequence[Middleware] = ()
    problem_details: bool | None = None


def first_set(*values: Any) -> Any:
    """The first value that is not a `Default(...)` placeholder, else the last placeholder's value."""
    for value in values:
        if not isinstance(value, DefaultPlaceholder):
            return value
    return values[-1]


def _first_given(*values: int | None) -> int | None:
    return next((v for v in values if v is not None), None)


def check_prefix(prefix: str, routes: Sequence[BaseRoute] = ()) -> None:
    """A router's or an inclusion's prefix starts with "/" and does not end with one; without a prefix, every
    route an inclusion copies must have a path of its own."""
    if prefix:
        assert prefix.startswith("/"), "A path prefix must start with '/'"
        assert not prefix.endswith("/"), "A path prefix must not end with '/', as the routes will start with '/'"
        return
    for route in routes:
        path = getattr(route, "path", None)
        if path is not None and not path:
            raise FastAPIError(
                f"Prefix and path cannot be both empty (path operation: {getattr(route, 'name', 'unknown')})"
            )


def inner_limit(inclusion: Inclusion, into: RouterSettings) -> int | None:
    """The `max_body_size` of what the inclusion adds to `into` other than API routes (frontends, mounts): the
    included router's, else the inclusion's, else the including router's."""
    return _first_given(inclusion.router.max_body_size, inclusion.max_body_size, into.max_body_size)


def mount_limits(inclusion: Inclusion, into: RouterSettings) -> list[Middleware] | None:
    """A mounted app in an included router gets the inclusion's limits, as its API routes do (FastAPI)."""
    form_limits = {**(into.form_limits or {}), **(inclusion.form_limits or {}), **(inclusion.router.form_limits or {})}
    max_body_size = inner_limit(inclusion, into)
    if max_body_size is None and not form_limits:
        return None
    return [Middleware(LimitsLayer, max_body_size=max_body_size, form_limits=form_limits)]


def included_options(route: IncludedRoute, inclusion: Inclusion, into: RouterSettings) -> RouteOptions:
    """The options of `route`'s copy in `into`: the inclusion's and both routers' settings merged with the route's."""
    router = inclusion.router
    kept = {name: getattr(route, name) for name in _AS_DECLARED}
    return cast(RouteOptions, {
        **kept,
        # NOTE: a stream's item type comes from the endpoint's annotation: the copy reads it again from there
        "response_model": Default(None) if route.stream_item_type is not None else route.response_model,
        "tags": [*inclusion.tags, *route.tags],
        "dependencies": [*inclusion.dependencies, *route.dependencies],
        "responses": {**inclusion.responses, **route.responses},
        "callbacks": [*inclusion.callbacks, *(route.callbacks or [])] or None,
        "deprecated": route.deprecated or inclusion.deprecated or into.deprecated,
        "include_in_schema": route.include_in_schema and into.include_in_schema and inclusion.include_in_schema,
        "response_class": first_set(
            route.response_class, router.default_response_class, inclusion.default_response_class,
            into.default_response_class,
        ),
        "generate_unique_id_function": first_set(
            route.generate_unique_id_function, router.generate_unique_id_function,
            inclusion.generate_unique_id_function, into.generate_unique_id_function,
        ),
        "strict_content_type": first_set(
            route.strict_content_type, router.strict_content_type, inclusion.strict_content_type,
            into.strict_content_type,
        ),
        "max_body_size": _first_given(route.max_body_size, inclusion.max_body_size, into.max_body_size),
        "form_limits": {**(into.form_limits or {}), **(inclusion.form_limits or {}), **(route.form_limits or {})}
        or None,
    })
