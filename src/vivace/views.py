"""Class-based views: path operations that share request values declared once, as class attributes.

    class NoteViews(View):
        path = "/notes"
        tags = ["notes"]
        session: Annotated[Session, Depends(get_session)]
        user: Annotated[User, Depends(current_user)]

        @get("/")
        async def list_notes(self, limit: int = 10) -> list[Note]: ...

        @post("/", status_code=201)
        async def add_note(self, note: NoteIn) -> Note: ...

    app.include_router(NoteViews.as_router())

Every annotated class attribute (not `ClassVar`) is a request value, declared as a parameter would be: a
dependency, a path, query or header parameter, `Request`... Each decorated method becomes an ordinary `APIRoute`
whose endpoint takes the method's own parameters plus those attributes, so its plan is compiled like any other
route's and its OpenAPI operation is the one of a function taking the same parameters (attributes first). Per
request, the attributes' values are given to a fresh instance (`View.__init__(**values)`), then the method runs.

`path`, `tags`, `dependencies`, `responses` and `deprecated` on the class become the router's settings
(`path` is its prefix); `as_router(**options)` passes any other `APIRouter` option.

Startup code only: what runs per request is the small wrapper `_endpoint` builds.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, TypeVar, get_origin

from typing_extensions import Unpack

from vivace._route_options import RouteOptions
from vivace.params import Depends
from vivace.routing import APIRouter

__all__ = ["View", "api_route", "delete", "get", "head", "options", "patch", "post", "put", "trace", "websocket"]

F = TypeVar("F", bound=Callable[..., Any])

#: the attribute of a method that lists the routes its decorators declared
_MARKS = "__vivace_view_routes__"


@dataclass(frozen=True)
class _RouteMark:
    """One decorator on a method: what to declare on the view's router."""

    path: str
    methods: list[str] | None  # None: a WebSocket route
    options: dict[str, Any] = field(default_factory=dict)


def _mark(mark: _RouteMark) -> Callable[[F], F]:
    def decorator(method: F) -> F:
        if not inspect.isfunction(method):
            raise TypeError(f"a view route decorates a plain method, not {method!r}")
        # NOTE: the decorator nearest the method is applied first: appending keeps the written order reversed,
        # so insert in front to declare routes in the order they are written
        setattr(method, _MARKS, [mark, *getattr(method, _MARKS, [])])
        return method

    return decorator


def api_route(path: str, *, methods: list[str] | None = None, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Declare a path operation on a view method (`methods` defaults to GET)."""
    return _mark(_RouteMark(path, list(methods or ["GET"]), dict(options)))


def get(path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Declare a GET operation on a view method."""
    return api_route(path, methods=["GET"], **options)


def put(path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Declare a PUT operation on a view method."""
    return api_route(path, methods=["PUT"], **options)


def post(path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Declare a POST operation on a view method."""
    return api_route(path, methods=["POST"], **options)


def delete(path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Declare a DELETE operation on a view method."""
    return api_route(path, methods=["DELETE"], **options)


def options(path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Declare an OPTIONS operation on a view method."""
    return api_route(path, methods=["OPTIONS"], **options)


def head(path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Declare a HEAD operation on a view method."""
    return api_route(path, methods=["HEAD"], **options)


def patch(path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Declare a PATCH operation on a view method."""
    return api_route(path, methods=["PATCH"], **options)


def trace(path: str, **options: Unpack[RouteOptions]) -> Callable[[F], F]:
    """Declare a TRACE operation on a view method."""
    return api_route(path, methods=["TRACE"], **options)


def websocket(path: str, *, name: str | None = None, dependencies: Sequence[Depends] | None = None) -> Callable[[F], F]:
    """Declare a WebSocket endpoint on a view method (its parameters take the `WebSocket`)."""
    return _mark(_RouteMark(path, None, {"name": name, "dependencies": list(dependencies or [])}))


class View:
    """Base class of class-based views; see the module's documentation."""

    #: the router's prefix: "" or a path starting with "/" and not ending with one
    path: ClassVar[str] = ""
    tags: ClassVar[Sequence[str | Enum]] = ()
    #: dependencies run for every operation of the view, whose values the methods do not need
    dependencies: ClassVar[Sequence[Depends]] = ()
    responses: ClassVar[dict[int | str, dict[str, Any]]] = {}
    deprecated: ClassVar[bool | None] = None

    def __init__(self, **values: Any) -> None:
        """Receives the class attributes' values for one request; an override must pass them on."""
        for name, value in values.items():
            setattr(self, name, value)

    @classmethod
    def as_router(cls, **options: Any) -> APIRouter:
        """A new `APIRouter` with one route per decorated method, to include wherever routers go."""
        settings: dict[str, Any] = {
            "prefix": cls.path, "tags": list(cls.tags), "dependencies": list(cls.dependencies),
            "responses": dict(cls.responses), "deprecated": cls.deprecated, **options,
        }
        router = APIRouter(**settings)
        shared = _shared_parameters(cls)
        for method, marks in _routed_methods(cls):
            endpoint = _endpoint(cls, method, shared)
            for mark in marks:
                if mark.methods is None:
                    router.add_api_websocket_route(mark.path, endpoint, **mark.options)
                else:
                    router.add_api_route(mark.path, endpoint, methods=mark.methods, **mark.options)
        return router


_KEYWORD = inspect.Parameter.KEYWORD_ONLY

#: the settings `View` reads from the class: never request values, even when annotated
_SETTINGS = frozenset({"path", "tags", "dependencies", "responses", "deprecated"})


def _routed_methods(cls: type[View]) -> Iterator[tuple[Callable[..., Any], list[_RouteMark]]]:
    """Each method with routes, in the order written (base classes first), as the class resolves the name.

    NOTE: a subclass overriding a routed method without decorating it keeps the base's routes with its own code.
    """
    seen: set[str] = set()
    for klass in reversed(cls.__mro__):
        for name, member in vars(klass).items():
            if name in seen or not getattr(member, _MARKS, None):
                continue
            seen.add(name)
            marks = _marks_of(cls, name)
            method = getattr(cls, name)
            if not inspect.isfunction(method):
                raise TypeError(f"{cls.__qualname__}.{name} is routed but is not a plain method")
            yield method, marks


def _marks_of(cls: type, name: str) -> list[_RouteMark]:
    for klass in cls.__mro__:
        marks = getattr(vars(klass).get(name), _MARKS, None)
        if marks:
            return list(marks)
    return []


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.replace("typing.", "").startswith("ClassVar")
    return annotation is ClassVar or get_origin(annotation) is ClassVar


def _hints(owner: Any) -> dict[str, Any]:
    """`owner`'s annotations, resolved where their names can be found, else as written."""
    raw = dict(vars(owner).get("__annotations__", {})) if isinstance(owner, type) else dict(owner.__annotations__)
    try:
        resolved = typing.get_type_hints(owner, include_extras=True)
    except Exception:  # NOTE: names local to a function: left as strings, resolved later where possible
        return raw
    return {name: resolved.get(name, annotation) for name, annotation in raw.items()}


def _shared_parameters(cls: type[View]) -> list[inspect.Parameter]:
    """The class attributes every operation receives, as keyword-only parameters, in the order declared."""
    found: dict[str, inspect.Parameter] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or klass is View:
            continue
        module_globals = vars(sys.modules.get(klass.__module__, sys))
        for name, annotation in _hints(klass).items():
            if name in _SETTINGS or _is_class_var(annotation):
                continue
            if isinstance(annotation, str):
                with contextlib.suppress(Exception):
                    annotation = eval(annotation, module_globals, dict(vars(klass)))
            default = getattr(cls, name, inspect.Parameter.empty)
            found[name] = inspect.Parameter(name, _KEYWORD, default=default, annotation=annotation)
    return list(found.values())


def _method_signature(cls: type[View], method: Callable[..., Any]) -> inspect.Signature:
    signature = inspect.signature(method)
    hints = _hints(method)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].kind not in (
        inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD
    ):
        raise TypeError(f"{cls.__qualname__}.{method.__name__} must take `self` first")
    own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in parameters[1:]]
    returned = hints.get("return", signature.return_annotation)
    # NOTE: get_type_hints turns `-> None` into NoneType; a route reads None as "no response model"
    return signature.replace(parameters=own, return_annotation=None if returned is type(None) else returned)


def _endpoint(cls: type[View], method: Callable[..., Any], shared: list[inspect.Parameter]) -> Callable[..., Any]:
    """The route's endpoint: the shared attributes and the method's parameters in; a fresh instance per call."""
    signature = _method_signature(cls, method)
    names = tuple(p.name for p in shared)
    clash = sorted(set(names) & set(signature.parameters))
    if clash:
        raise TypeError(f"{cls.__qualname__}.{method.__name__} has parameters named like class attributes: {clash}")
    endpoint = _wrapper(cls, method, names)
    functools.update_wrapper(endpoint, method)
    # NOTE: the attributes come first, like `self`; keyword-only, so defaults may appear in any order
    parameters = [*shared, *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values())]
    endpoint.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return endpoint


def _wrapper(cls: type[View], method: Callable[..., Any], names: tuple[str, ...]) -> Callable[..., Any]:
    """A function of the method's own kind (async, sync, generator) that builds the instance and calls it."""

    def instance(values: dict[str, Any]) -> View:
        return cls(**{name: values.pop(name) for name in names})

    if inspect.isasyncgenfunction(method):

        async def stream_async(**values: Any) -> Any:
            view = instance(values)
            async with contextlib.aclosing(method(view, **values)) as items:
                async for item in items:
                    yield item

        return stream_async
    if inspect.isgeneratorfunction(method):

        def stream(**values: Any) -> Any:
            view = instance(values)
            return (yield from method(view, **values))

        return stream
    if inspect.iscoroutinefunction(method):

        async def call_async(**values: Any) -> Any:
            view = instance(values)
            return await method(view, **values)

        return call_async

    def call(**values: Any) -> Any:
        view = instance(values)
        return method(view, **values)

    return call
