"""Route declarations: `APIRoute`, `APIWebSocketRoute` and `APIRouter`.

Startup code only. A route records what the user declared and its analysed `Dependant`; `_core/compile.py`
turns it into a `RoutePlan` when the application starts. What `include_router` merges into the copies of an
included router's routes is in `vivace/_inclusion.py`.
"""

from __future__ import annotations

import inspect
from collections.abc import (
    AsyncIterator,
    Callable,
    Collection,
    Sequence,
)
from contextlib import asynccontextmanager, contextmanager
from enum import Enum
from os import PathLike
from typing import Any, Literal, TypeVar, cast

from starlette import routing
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, compile_path
from starlette.routing import Mount as Mount
from starlette.routing import request_response as request_response
from starlette.routing import websocket_session as websocket_session
from starlette.types import ASGIApp, Lifespan
from typing_extensions import Unpack, deprecated

from vivace import sse
from vivace._core.compile import check_response_model, is_generator_callable
from vivace._core.limits import check_form_limits, check_max_body_size
from vivace._core.plan import RoutePlan
from vivace._core.route_handler import RouteHandler, plan_handler
from vivace._core.signature import Dependant, analyse, analyse_dependency, get_typed_signature
from vivace._core.stream import stream_item_type
from vivace._frontend import Fallback, Frontend, FrontendFiles, join_paths, normalize_path, wants_check
from vivace._inclusion import Inclusion, check_prefix, first_set, included_options, inner_limit, mount_limits
from vivace._lazy_names import lazy_names
from vivace._route_context import RouteContext, iter_route_contexts
from vivace._route_fields import RouteFields
from vivace._route_handlers import (
    asking,
    get_request_handler,
    get_websocket_app,
    run_endpoint_function,
    serialize_response,
)
from vivace._route_options import RouteOptions
from vivace._route_path import LazyPathRoute, read_path
from vivace._route_plans import PlannedRoute, copy_source, copying
from vivace._route_serving import ServedAlone, route_runner
from vivace._router_scope import RouterScope, check_handler_key, check_middleware, inheriting, record_layers
from vivace.datastructures import Default, DefaultPlaceholder
from vivace.params import Depends
from vivace.responses import JSONResponse, Response
from vivace.sse import EventSourceResponse
from vivace.utils import generate_unique_id, get_path_param_names, is_body_allowed_for_status_code

__all__ = [
    "APIRoute",
    "APIRouter",
    "APIWebSocketRoute",
    "Mount",
    "RouteContext",
    "_EffectiveRouteContext",  # noqa: F822 (loaded on first use: __getattr__ below)
    "_IncludedRouter",  # noqa: F822 (loaded on first use: __getattr__ below)
    "_get_scope_effective_route_context",  # noqa: F822 (loaded on first use: __getattr__ below)
    "_iter_routes_with_context",  # noqa: F822 (loaded on first use: __getattr__ below)
    "get_request_handler",
    "get_websocket_app",
    "iter_route_contexts",
    "request_response",
    "route_runner",
    "run_endpoint_function",
    "serialize_response",
    "websocket_session",
]

DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])
# PERF: FastAPI's private names (a 50-field dataclass among them) cost 16 M instructions at import; loaded on use
__getattr__ = lazy_names(__name__, dict.fromkeys([name for name in __all__ if name[0] == "_"], "vivace._route_private"))

# NOTE: instrumentation (sentry-sdk) replaces this module's `get_request_handler`; routes are then served through
# the replacement, which the application checks when it compiles (see vivace/_route_handlers.py)
_DEFINED_GET_REQUEST_HANDLER = get_request_handler


def _value(value: Any) -> Any:
    return value.value if isinstance(value, DefaultPlaceholder) else value


class APIRoute(PlannedRoute, RouteFields, LazyPathRoute, routing.Route):
    """An HTTP path operation as declared; compiled into a RoutePlan at startup."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: set[str] | list[str] | None = None,
        dependency_overrides_provider: Any = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        self.path = path
        self.endpoint = endpoint
        self.dependency_overrides_provider = dependency_overrides_provider
        self.response_class = options.get("response_class", Default(JSONResponse))
        self.stream_item_type: Any = None
        self.response_model = self._response_model(options.get("response_model", Default(None)), endpoint)
        self.status_code = options.get("status_code")
        self.tags: list[str | Enum] = list(options.get("tags") or [])
        self.dependencies: list[Depends] = list(options.get("dependencies") or [])
        self.summary = options.get("summary")
        self.description = self._description(options.get("description"), endpoint)
        self.response_description = options.get("response_description", "Successful Response")
        self.responses: dict[int | str, dict[str, Any]] = dict(options.get("responses") or {})
        self.deprecated = options.get("deprecated")
        self.operation_id = options.get("operation_id")
        self.response_model_include = options.get("response_model_include")
        self.response_model_exclude = options.get("response_model_exclude")
        self.response_model_by_alias = options.get("response_model_by_alias", True)
        self.response_model_exclude_unset = options.get("response_model_exclude_unset", False)
        self.response_model_exclude_defaults = options.get("response_model_exclude_defaults", False)
        self.response_model_exclude_none = options.get("response_model_exclude_none", False)
        self.include_in_schema = options.get("include_in_schema", True)
        self.name = options.get("name") or routing.get_name(endpoint)
        self.callbacks = options.get("callbacks")
        self.openapi_extra = options.get("openapi_extra")
        self.generate_unique_id_function = options.get("generate_unique_id_function", Default(generate_unique_id))
        self.strict_content_type = options.get("strict_content_type", Default(True))
        self.max_body_size = check_max_body_size(options.get("max_body_size"))
        self.form_limits = check_form_limits(options.get("form_limits"))
        self.methods: set[str] = {m.upper() for m in (methods or ["GET"])}
        self.path_format, self.param_convertors = read_path(self, path)  # the pattern: compiled on first match
        if self.response_model is not None:
            assert is_body_allowed_for_status_code(self.status_code), (
                f"Status code {self.status_code} must not have a response body"
            )
            if copy_source() is None:  # NOTE: a copy's response model was checked where the route was declared
                check_response_model(self.response_model)  # an unusable response model fails here, at declaration
        self.unique_id = self.operation_id or _value(self.generate_unique_id_function)(self)
        self._served_plan: RoutePlan | None = None
        self._own_app = ServedAlone(self)
        self._user_app: ASGIApp | None = None
        self._made_by_factory: tuple[Any, RoutePlan, RouteHandler] | None = None
        self._init_plan(self.dependencies)  # compiled now unless a copy (see vivace/_route_plans.py)

    @property
    def served_plan(self) -> RoutePlan:
        """The plan the application serves: its compilation with dependency overrides, else `plan`."""
        return self._served_plan or self.plan

    @served_plan.setter
    def served_plan(self, plan: RoutePlan) -> None:
        # NOTE: the route's own plan is not kept: `plan` then follows later changes (a wrapped `dependant.call`)
        self._served_plan = None if plan is self.plan else plan

    @property
    def app(self) -> ASGIApp:
        """The route as an ASGI app of its own (see `ServedAlone`), or what a library set in its place."""
        return self._user_app or self._own_app

    @app.setter
    def app(self, app: ASGIApp) -> None:
        self._user_app = app
        self._route_changed()

    def get_route_handler(self) -> RouteHandler:
        """The `request -> Response` handler; subclasses override this to wrap it, as in FastAPI.

        Plain routes never call it: the compiled router serves their plan directly. A route class that overrides
        it is served through the handler it returns (built once per compilation of the app), and so is every
        route once a library replaced `vivace.routing.get_request_handler`, which this then calls.
        """
        factory = get_request_handler
        if factory is _DEFINED_GET_REQUEST_HANDLER:
            return plan_handler(self.served_plan)
        made = self._made_by_factory
        if made is not None and made[0] is factory and made[1] is self.served_plan:
            return made[2]  # NOTE: the replacement may wrap `dependant.call` on each call; once per plan is enough
        with asking(self):
            handler = factory(
                dependant=self.dependant, body_field=self.body_field, status_code=self.status_code,
                response_class=self.response_class, response_field=self.response_field,
                response_model_include=self.response_model_include,
                response_model_exclude=self.response_model_exclude,
                response_model_by_alias=self.response_model_by_alias,
                response_model_exclude_unset=self.response_model_exclude_unset,
                response_model_exclude_defaults=self.response_model_exclude_defaults,
                response_model_exclude_none=self.response_model_exclude_none,
                dependency_overrides_provider=self.dependency_overrides_provider,
                embed_body_fields=self._embed_body_fields, strict_content_type=self.strict_content_type,
                stream_item_field=None, is_json_stream=False, form_limits=self.form_limits,
            )
        self._made_by_factory = (factory, self.served_plan, handler)
        return handler

    @property
    def has_custom_handler(self) -> bool:
        """True when the route is served through a handler rather than straight from its plan: its class
        overrides `get_route_handler`, a library set `route.app`, or one replaced `get_request_handler`."""
        return (
            type(self).get_route_handler is not APIRoute.get_route_handler
            or self._user_app is not None
            or get_request_handler is not _DEFINED_GET_REQUEST_HANDLER
        )

    def _response_model(self, response_model: Any, endpoint: Callable[..., Any]) -> Any:
        if not isinstance(response_model, DefaultPlaceholder):
            return response_model
        annotation = get_typed_signature(endpoint).return_annotation
        if annotation is inspect.Signature.empty or annotation is None:
            return None
        if isinstance(annotation, type) and issubclass(annotation, Response):
            return None
        item = stream_item_type(annotation)
        if item is not None and is_generator_callable(endpoint):
            # a generator's items are validated one by one; ServerSentEvent is a wrapper, not a data model
            streams_items = isinstance(self.response_class, DefaultPlaceholder) or _is_event_stream(self.response_class)
            if streams_items and not (isinstance(item, type) and issubclass(item, sse.ServerSentEvent)):
                self.stream_item_type = item
            return None
        return annotation

    @staticmethod
    def _description(description: str | None, endpoint: Callable[..., Any]) -> str | None:
        if description:  # NOTE: an empty description falls back to the docstring, as in FastAPI
            return description
        doc = inspect.cleandoc(endpoint.__doc__ or "")
        return doc.split("\f")[0].strip() or None

    @property
    def path_param_names(self) -> frozenset[str]:
        return frozenset(get_path_param_names(self.path_format))

    def analyse(self, overrides: dict[Any, Any] | None = None) -> Dependant:
        return _analyse_route(self, overrides)

    def __repr__(self) -> str:
        return f"APIRoute(path={self.path!r}, name={self.name!r}, methods={sorted(self.methods)})"


class APIWebSocketRoute(PlannedRoute, routing.WebSocketRoute):
    """A WebSocket endpoint with FastAPI-style parameters and dependencies."""

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        name: str | None = None,
        dependencies: Sequence[Depends] | None = None,
        dependency_overrides_provider: Any = None,
    ) -> None:
        self.path = path
        self.endpoint = endpoint
        self.name = name or routing.get_name(endpoint)
        self.dependencies = list(dependencies or [])
        self.dependency_overrides_provider = dependency_overrides_provider
        self.path_regex, self.path_format, self.param_convertors = compile_path(path)
        self.app = ServedAlone(self)
        self._init_plan(self.dependencies)  # compiled now unless a copy (see vivace/_route_plans.py)

    @property
    def path_param_names(self) -> frozenset[str]:
        return frozenset(get_path_param_names(self.path_format))

    def analyse(self, overrides: dict[Any, Any] | None = None) -> Dependant:
        return _analyse_route(self, overrides)

    def __repr__(self) -> str:
        return f"APIWebSocketRoute(path={self.path!r}, name={self.name!r})"


def _analyse_route(route: APIRoute | APIWebSocketRoute, overrides: dict[Any, Any] | None) -> Dependant:
    """The endpoint's Dependant, with route-level `dependencies=[...]` placed first as FastAPI does."""
    names = route.path_param_names
    root = analyse(route.endpoint, path=route.path_format, path_param_names=names, overrides=overrides)
    extra = [
        analyse_dependency(dep, path=route.path_format, path_param_names=names, overrides=overrides)
        for dep in route.dependencies
    ]
    root.dependencies[:0] = extra
    return root


class _Declarations:
    """The HTTP verb decorators and `frontend()`, written once for `APIRouter` and the application.

    On a router they declare into the router itself; the application overrides `_declared_in` with its router,
    so `app.get(...)` declares on `app.router`, as in FastAPI.
    """

    def _declared_in(self) -> APIRouter:
        """The router the declarations go to."""
        return cast("APIRouter", self)

    def _verb(self, method: str, path: str, options: RouteOptions) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self._declared_in().api_route(path, methods=[method], **options)

    def get(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Declare a GET operation."""
        return self._verb("GET", path, options)

    def put(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Declare a PUT operation."""
        return self._verb("PUT", path, options)

    def post(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Declare a POST operation."""
        return self._verb("POST", path, options)

    def delete(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Declare a DELETE operation."""
        return self._verb("DELETE", path, options)

    def options(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Declare an OPTIONS operation."""
        return self._verb("OPTIONS", path, options)

    def head(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Declare a HEAD operation."""
        return self._verb("HEAD", path, options)

    def patch(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Declare a PATCH operation."""
        return self._verb("PATCH", path, options)

    def trace(self, path: str, **options: Unpack[RouteOptions]) -> Callable[[DecoratedCallable], DecoratedCallable]:
        """Declare a TRACE operation."""
        return self._verb("TRACE", path, options)

    def frontend(
        self,
        path: str,
        *,
        directory: str | PathLike[str],
        fallback: Fallback = "auto",
        check_dir: bool | Literal["auto"] = "auto",
    ) -> None:
        """Serve the static frontend build in `directory` under `path`, behind every API route.

        `fallback` picks what answers a path with no file: "auto" (`404.html` if present, else `index.html`
        for browser navigations), "index.html", "404.html" or None. `check_dir` checks at declaration that the
        directory (and an explicit fallback file) exists; "auto" skips it under `FASTAPI_ENV=development`.
        """
        checked = wants_check(directory, check_dir, stacklevel=2)
        self._declared_in()._add_frontend(path, directory, fallback, checked)


class APIRouter(_Declarations, RouterScope, routing.Router):
    """A group of path operations with shared prefix, tags, dependencies and responses.

    vivace's additions, for this router's routes only (see vivace/_router_scope.py): `exception_handlers` (and
    `@router.exception_handler`), `middleware` and `problem_details`.
    """

    def __init__(
        self,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[Depends] | None = None,
        default_response_class: type[Response] = Default(JSONResponse),
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        routes: list[BaseRoute] | None = None,
        redirect_slashes: bool = True,
        default: ASGIApp | None = None,
        dependency_overrides_provider: Any = None,
        route_class: type[APIRoute] = APIRoute,
        on_startup: Sequence[Callable[[], Any]] | None = None,
        on_shutdown: Sequence[Callable[[], Any]] | None = None,
        lifespan: Lifespan[Any] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        strict_content_type: bool = Default(True),
        max_body_size: int | None = None,
        form_limits: dict[str, int | None] | None = None,
        exception_handlers: dict[int | type[Exception], Callable[..., Any]] | None = None,
        middleware: Sequence[Middleware] | None = None,
        problem_details: bool | None = None,
    ) -> None:
        super().__init__(
            routes=routes, redirect_slashes=redirect_slashes, default=default, lifespan=_as_context_factory(lifespan)
        )
        self._init_scope(exception_handlers, middleware, problem_details)
        # NOTE: a plain list, as in FastAPI: a route appended to it is served from the app's next sync point on
        self.routes: list[BaseRoute] = list(self.routes)
        self.on_startup: list[Callable[[], Any]] = list(on_startup or [])
        self.on_shutdown: list[Callable[[], Any]] = list(on_shutdown or [])
        check_prefix(prefix)
        self.prefix = prefix
        self.tags: list[str | Enum] = list(tags or [])
        self.dependencies = list(dependencies or [])
        self.default_response_class = default_response_class
        self.responses = dict(responses or {})
        self.callbacks = list(callbacks or [])
        self.dependency_overrides_provider = dependency_overrides_provider
        self.route_class = route_class
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema
        self.generate_unique_id_function = generate_unique_id_function
        self.strict_content_type = strict_content_type
        self.max_body_size = check_max_body_size(max_body_size)
        self.form_limits = check_form_limits(form_limits)
        self.lifespan_context_user = lifespan
        self._version = 0
        self._frontends: list[Frontend] = []  # served after every route missed; see vivace/_frontend.py
        # NOTE: the routers (or app routers) this one was included into, with the options of each inclusion:
        # a route added here later is copied into each of them, as FastAPI keeps included routers live
        self._included_into: list[tuple[APIRouter, Inclusion]] = []

    def __getstate__(self) -> dict[str, Any]:
        """A copy (cadwyn deep-copies routers) is included nowhere: the routers this one is in lead to the app."""
        return {**self.__dict__, "_included_into": []}

    def _changed(self) -> None:
        self._version += 1
        provider = self.dependency_overrides_provider
        if provider is not None and hasattr(provider, "_routes_changed"):
            provider._routes_changed()

    # FastAPI 0.165's names for the same counter: extensions that replace `router.routes` wholesale (cadwyn) call
    # `_mark_routes_changed()` so that whatever was built from the old list is rebuilt
    _mark_routes_changed = _changed

    @property
    def _routes_version(self) -> int:
        return self._version

    def _get_routes_version(self) -> int:
        return self._version

    def _added(self, route: BaseRoute) -> None:
        """A route was appended: copy it into every router this one is included into (they recurse upwards)."""
        self._changed()
        record_layers(route, self)
        for parent, inclusion in self._included_into:
            parent._include_one(route, inclusion)

    def _is_included_in(self, other: APIRouter) -> bool:
        return any(parent is other or parent._is_included_in(other) for parent, _ in self._included_into)

    def add_route(
        self, path: str, endpoint: Callable[..., Any], methods: Collection[str] | None = None,
        name: str | None = None, include_in_schema: bool = True,
    ) -> None:
        super().add_route(path, endpoint, methods=methods, name=name, include_in_schema=include_in_schema)
        self._added(self.routes[-1])

    def add_websocket_route(self, path: str, endpoint: Callable[..., Any], name: str | None = None) -> None:
        super().add_websocket_route(path, endpoint, name=name)
        self._added(self.routes[-1])

    def mount(self, path: str, app: ASGIApp, name: str | None = None) -> None:
        super().mount(path, app=app, name=name)
        self._added(self.routes[-1])

    def add_api_route(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: set[str] | list[str] | None = None,
        route_class_override: type[APIRoute] | None = None,
        **options: Unpack[RouteOptions],
    ) -> None:
        """Declare a path operation (what the `@router.get(...)` family of decorators call)."""
        route_class = route_class_override or self.route_class
        merged = self._merge_options(options)
        route = route_class(
            self.prefix + path, endpoint, methods=methods,
            dependency_overrides_provider=self.dependency_overrides_provider, **merged,
        )
        self.routes.append(route)
        self._added(route)

    def _merge_options(self, options: RouteOptions) -> RouteOptions:
        merged: RouteOptions = dict(options)  # type: ignore[assignment]
        merged["tags"] = [*self.tags, *(options.get("tags") or [])]
        merged["dependencies"] = [*self.dependencies, *(options.get("dependencies") or [])]
        merged["responses"] = {**self.responses, **(options.get("responses") or {})}
        merged["callbacks"] = [*self.callbacks, *(options.get("callbacks") or [])] or None
        merged["deprecated"] = options.get("deprecated") or self.deprecated
        merged["include_in_schema"] = options.get("include_in_schema", True) and self.include_in_schema
        merged["response_class"] = first_set(options.get("response_class", Default(None)), self.default_response_class)
        merged["generate_unique_id_function"] = first_set(
            options.get("generate_unique_id_function", Default(None)), self.generate_unique_id_function
        )
        merged["strict_content_type"] = first_set(
            options.get("strict_content_type", Default(None)), self.strict_content_type
        )
        if options.get("max_body_size") is None and self.max_body_size is not None:
            merged["max_body_size"] = self.max_body_size
        if self.form_limits:
            # NOTE: form limits merge key by key (FastAPI): a route's max_part_size keeps the router's max_fields
            merged["form_limits"] = {**self.form_limits, **(options.get("form_limits") or {})}
        return merged

    def api_route(
        self, path: str, *, methods: list[str] | None = None, **options: Unpack[RouteOptions]
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_api_route(path, func, methods=methods, **options)
            return func

        return decorator

    def add_api_websocket_route(
        self, path: str, endpoint: Callable[..., Any], name: str | None = None, *,
        dependencies: Sequence[Depends] | None = None,
    ) -> None:
        route = APIWebSocketRoute(
            self.prefix + path, endpoint, name=name, dependencies=[*self.dependencies, *(dependencies or [])],
            dependency_overrides_provider=self.dependency_overrides_provider,
        )
        self.routes.append(route)
        self._added(route)

    def websocket(
        self, path: str, name: str | None = None, *, dependencies: Sequence[Depends] | None = None
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_api_websocket_route(path, func, name=name, dependencies=dependencies)
            return func

        return decorator

    def websocket_route(self, path: str, name: str | None = None) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_websocket_route(path, func, name=name)
            self._changed()
            return func

        return decorator

    def route(
        self, path: str, methods: list[str] | None = None, name: str | None = None, include_in_schema: bool = True
    ) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_route(path, func, methods=methods, name=name, include_in_schema=include_in_schema)
            self._changed()
            return func

        return decorator

    def _add_frontend(self, path: str, directory: str | PathLike[str], fallback: Fallback, check_dir: bool) -> None:
        files = FrontendFiles(directory=directory, fallback=fallback, check_dir=check_dir)
        full_path = join_paths(self.prefix, normalize_path(path))
        own = sum(1 for f in self._frontends if f.depth == 0)
        # NOTE: a router's own frontends come before the included ones: they win between equal prefixes
        frontend = Frontend(full_path, files, tuple(self.dependencies), 0, self.dependency_overrides_provider)
        self._frontends.insert(own, frontend)
        self._frontend_added(frontend)

    def _frontend_added(self, frontend: Frontend) -> None:
        self._changed()
        for parent, inclusion in self._included_into:
            parent._include_frontend(frontend, inclusion)

    def _include_frontend(self, frontend: Frontend, inclusion: Inclusion) -> None:
        copy = frontend.included(
            self.prefix + inclusion.prefix, [*self.dependencies, *inclusion.dependencies],
            self.dependency_overrides_provider, inner_limit(inclusion, self),
        )
        self._frontends.append(copy)
        self._frontend_added(copy)

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        tags: list[str | Enum] | None = None,
        dependencies: Sequence[Depends] | None = None,
        default_response_class: type[Response] = Default(JSONResponse),
        responses: dict[int | str, dict[str, Any]] | None = None,
        callbacks: list[BaseRoute] | None = None,
        deprecated: bool | None = None,
        include_in_schema: bool = True,
        generate_unique_id_function: Callable[[APIRoute], str] = Default(generate_unique_id),
        strict_content_type: bool = Default(True),
        max_body_size: int | None = None,
        form_limits: dict[str, int | None] | None = None,
        exception_handlers: dict[int | type[Exception], Callable[..., Any]] | None = None,
        middleware: Sequence[Middleware] | None = None,
        problem_details: bool | None = None,
    ) -> None:
        """Add `router`'s operations to this one, under `prefix` and with the given shared settings.

        The routes are copied now, and the link stays: a route added to `router` later is copied here too.
        """
        for key in exception_handlers or {}:
            check_handler_key(key)
        max_body_size = check_max_body_size(max_body_size)
        form_limits = check_form_limits(form_limits)
        assert router is not self, "A router cannot include itself"
        assert not self._is_included_in(router), "A router cannot include a router it is already included in"
        check_prefix(prefix, router.routes)
        inclusion = Inclusion(
            router, prefix, list(tags or []), list(dependencies or []), default_response_class, dict(responses or {}),
            list(callbacks or []), deprecated, include_in_schema, generate_unique_id_function, strict_content_type,
            max_body_size, form_limits, dict(exception_handlers or {}), check_middleware(middleware), problem_details,
        )
        for route in list(router.routes):
            self._include_one(route, inclusion)
        for frontend in list(router._frontends):
            self._include_frontend(frontend, inclusion)
        router._included_into.append((self, inclusion))
        self.on_startup.extend(router.on_startup)
        self.on_shutdown.extend(router.on_shutdown)
        self._included_lifespans: list[Any] = [
            *getattr(self, "_included_lifespans", []),
            *([router.lifespan_context_user] if router.lifespan_context_user is not None else []),
            *getattr(router, "_included_lifespans", []),
        ]

    def _include_one(self, route: BaseRoute, inclusion: Inclusion) -> None:
        with inheriting(self, route, inclusion):  # the copy keeps the router-scoped settings it was declared under
            self._copy_route(route, inclusion)

    def _copy_route(self, route: BaseRoute, inclusion: Inclusion) -> None:
        if isinstance(route, APIRoute | APIWebSocketRoute):
            with copying(route):  # NOTE: the copy compiles on first need, reusing route's plan where it can
                self._copy_api_route(route, inclusion)
        else:
            self._copy_starlette_route(route, inclusion)

    def _copy_api_route(self, route: APIRoute | APIWebSocketRoute, inclusion: Inclusion) -> None:
        prefix = inclusion.prefix
        if isinstance(route, APIRoute):
            self.add_api_route(
                prefix + route.path, route.endpoint, methods=list(route.methods),
                route_class_override=type(route), **included_options(route, inclusion, self),
            )
        else:
            self.add_api_websocket_route(
                prefix + route.path, route.endpoint, name=route.name,
                dependencies=[*inclusion.dependencies, *route.dependencies],
            )

    def _copy_starlette_route(self, route: BaseRoute, inclusion: Inclusion) -> None:
        prefix = inclusion.prefix
        if isinstance(route, routing.Route):
            methods = list(route.methods or [])
            self.add_route(
                prefix + route.path, route.endpoint, methods=methods, include_in_schema=route.include_in_schema,
                name=route.name,
            )
        elif isinstance(route, routing.WebSocketRoute):
            self.add_websocket_route(prefix + route.path, route.endpoint, name=route.name)
        elif isinstance(route, routing.Mount):
            limited = mount_limits(inclusion, self)
            self.routes.append(routing.Mount(prefix + route.path, app=route.app, name=route.name, middleware=limited))
            self._added(self.routes[-1])

    def add_event_handler(self, event_type: str, func: Callable[[], Any]) -> None:
        assert event_type in ("startup", "shutdown")
        (self.on_startup if event_type == "startup" else self.on_shutdown).append(func)

    @deprecated("on_event is deprecated, use lifespan event handlers instead.")
    def on_event(self, event_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        return self.add_event_handler_decorator(event_type)

    def add_event_handler_decorator(self, event_type: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
        def decorator(func: DecoratedCallable) -> DecoratedCallable:
            self.add_event_handler(event_type, func)
            return func

        return decorator


def _is_event_stream(response_class: Any) -> bool:
    return isinstance(response_class, type) and issubclass(response_class, EventSourceResponse)


def _as_context_factory(lifespan: Any) -> Any:
    """A generator-function lifespan as the context-manager factory Starlette expects (it deprecates the former).

    vivace's application runs `lifespan_context_user` itself; this keeps a router served on its own working.
    """
    if inspect.isasyncgenfunction(lifespan):
        return asynccontextmanager(lifespan)
    if inspect.isgeneratorfunction(lifespan):
        sync_context = contextmanager(lifespan)

        @asynccontextmanager
        async def run_sync_lifespan(app: Any) -> AsyncIterator[Any]:
            with sync_context(app) as state:
                yield state

        return run_sync_lifespan
    return lifespan

