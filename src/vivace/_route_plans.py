"""When a route's plan is compiled: once, when first needed, and again only when what it came from changed.

* A route declared with `@router.get(...)` (or built as `APIRoute(...)`) compiles at once, so a route that
  cannot work fails where it is written, as in FastAPI.
* The copy `include_router` makes of it compiles nothing at declaration. When it differs from the route it was
  copied from only in what surrounds the plan's steps (path, name, tags, response class, status code...), its
  plan is its source's with those fields replaced (`_rebased`); otherwise (the inclusion added dependencies, the
  prefix added a path parameter, limits differ) it is compiled on first need, at the latest when the
  application starts. A router's routes are thus compiled once, not once per router they pass through.
* A plan remembers what it was compiled from: the route's `dependant` (the object, its `call` and its list of
  sub-dependencies) and the route's `dependencies`. Extension libraries change those after declaration
  (fastapi-pagination appends a dependency to both, sentry-sdk wraps `dependant.call`); the next `route.plan`
  sees it and compiles again. Changing only `route.dependencies` analyses the endpoint again; changing the
  `dependant` (replacing it or its list of dependencies) uses it as given. Every change through these attributes
  tells the application, which recompiles its router before the next request (`_routes_changed`).

Startup code only: the compiled router never reads these properties per request.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, SupportsIndex

from vivace._core.compile import _output, check_response_models, compile_route
from vivace._core.plan import RoutePlan
from vivace._core.signature import Dependant, analyse_dependency

__all__ = ["PlannedRoute", "WatchedList", "copy_source", "copying"]

# NOTE: set while `include_router` builds the copy of a route: the copy's constructor reads it (its signature is
# FastAPI's, so the source cannot be passed as an argument)
_COPY_SOURCE: ContextVar[Any] = ContextVar("vivace_copy_source", default=None)


@contextmanager
def copying(source: Any) -> Iterator[None]:
    """Routes built inside are copies of `source`: they compile on first need, reusing its plan when they can."""
    token = _COPY_SOURCE.set(source)
    try:
        yield
    finally:
        _COPY_SOURCE.reset(token)


def copy_source() -> Any:
    """The route being copied by `include_router` while its copy is built, else None."""
    return _COPY_SOURCE.get()


class WatchedList(list[Any]):
    """A list that calls `on_change` after every change: `route.dependencies` and a route's analysed
    `dependant.dependencies`, which libraries append to after declaration."""

    __slots__ = ("_on_change",)

    def __init__(self, items: Any, on_change: Callable[[], None]) -> None:
        super().__init__(items)
        self._on_change = on_change

    def __reduce_ex__(self, protocol: SupportsIndex) -> tuple[Any, ...]:
        # NOTE: a copy (`copy.deepcopy` of a route or a router, as cadwyn makes them) is rebuilt with its items in
        # place; the default rebuild appends them one by one, notifying an owner whose own state is not back yet
        return (WatchedList, (list(self), self._on_change))

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        items = copy.deepcopy(list(self), memo)
        owner = getattr(self._on_change, "__self__", None)
        owner_copy = memo.get(id(owner)) if owner is not None else None
        if owner_copy is None:
            # NOTE: copied on its own (cadwyn copies defaults and dependency lists), the list's value is its items:
            # a plain list, without dragging a copy of the route (and its app) along
            return items
        # copied with its owner (a deep copy of the route or router): watched by the owner's copy
        return WatchedList(items, getattr(owner_copy, self._on_change.__name__))

    def append(self, item: Any) -> None:
        super().append(item)
        self._on_change()

    def extend(self, items: Any) -> None:
        super().extend(items)
        self._on_change()

    def insert(self, index: SupportsIndex, item: Any) -> None:
        super().insert(index, item)
        self._on_change()

    def remove(self, item: Any) -> None:
        super().remove(item)
        self._on_change()

    def pop(self, index: SupportsIndex = -1) -> Any:
        item = super().pop(index)
        self._on_change()
        return item

    def clear(self) -> None:
        super().clear()
        self._on_change()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._on_change()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._on_change()

    def __iadd__(self, items: Any) -> WatchedList:  # type: ignore[override,misc]
        super().__iadd__(items)
        self._on_change()
        return self


@dataclasses.dataclass(frozen=True, slots=True)
class _Inputs:
    """What a plan was compiled from, compared by identity."""

    dependant: Dependant
    call: Any
    subs: tuple[Dependant, ...]
    dependencies: tuple[Any, ...]

    @classmethod
    def of(cls, dependant: Dependant, dependencies: list[Any]) -> _Inputs:
        return cls(dependant, dependant.call, tuple(dependant.dependencies), tuple(dependencies))

    def same(self, other: _Inputs) -> bool:
        return (
            self.dependant is other.dependant and self.call is other.call
            and _same(self.subs, other.subs) and _same(self.dependencies, other.dependencies)
        )


def _same(left: Sequence[Any], right: Sequence[Any]) -> bool:
    """The same objects in the same order."""
    if len(left) != len(right):
        return False
    return all(a is b for a, b in zip(left, right, strict=True)) if left else True


@dataclasses.dataclass(frozen=True, slots=True)
class _Compiled:
    """A plan and what it came from: `inputs` for a compiled plan; the source's plan for a rebased copy."""

    plan: RoutePlan
    inputs: _Inputs | None = None
    source_plan: RoutePlan | None = None
    dependencies: tuple[Any, ...] = ()


class PlannedRoute:
    """The plan-related state of `APIRoute` and `APIWebSocketRoute` (see the module docstring).

    The route class provides `dependencies`, `endpoint`, `path`, `path_param_names`, `dependency_overrides_provider`
    and `analyse()`.
    """

    _dependant: Dependant | None
    _analysed: _Inputs | None  # the dependant as analysed, to tell a library's change from a re-analysis
    _compiled: _Compiled | None
    _source: Any  # the route this one was copied from by include_router, if any
    _copies: list[Any]  # the copies include_router made of this route
    _own_dependencies: list[Any]  # a copy's dependencies from its inclusion, before its source's
    path_format: str
    dependencies: list[Any]
    endpoint: Callable[..., Any]
    dependency_overrides_provider: Any

    def _init_plan(self, dependencies: list[Any]) -> None:
        """Called by the constructor once the attributes analysis reads are set; compiles unless a copy."""
        self._dependant = None
        self._analysed = None
        self._compiled = None
        self._copies: list[Any] = []
        source = self._source = _COPY_SOURCE.get()
        self.__dict__["dependencies"] = WatchedList(dependencies, self._route_changed)
        if source is None:
            _ = self.plan  # NOTE: at declaration, so a route that cannot work fails where it is written
            return
        # NOTE: the dependencies the inclusion put before the source's: a change to the source keeps them
        self._own_dependencies = dependencies[: len(dependencies) - len(source.dependencies)]
        source._copies.append(self)

    # -- the attributes libraries read and change ---------------------------------------------------------

    @property
    def dependant(self) -> Dependant:
        """The endpoint's analysed dependencies (route-level `dependencies` first), as in FastAPI.

        NOTE: read as it is even after `route.dependencies` changed: fastapi-pagination appends to `dependencies`,
        then reads `dependant` to append the same dependency to it. The analysis is redone when the plan is
        compiled (`_current_dependant`), if no library changed the dependant itself.
        """
        dependant = self._dependant
        return dependant if dependant is not None else self._analyse_now()

    @dependant.setter
    def dependant(self, value: Dependant) -> None:
        self._dependant = value
        self._route_changed()

    def _current_dependant(self) -> Dependant:
        """The dependant to compile from: analysed again when only `route.dependencies` changed since."""
        dependant = self.dependant
        analysed = self._analysed
        if analysed is not None and self._untouched() and not _same(analysed.dependencies, self.dependencies):
            dependant = self._analyse_now()
        return dependant

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "dependencies" and "dependencies" in self.__dict__:
            # NOTE: a new list replaces the watched one: watch it too, and recompile
            value = WatchedList(value, self._route_changed)
            super().__setattr__(name, value)
            self._route_changed()
            return
        super().__setattr__(name, value)

    def _analyse_now(self) -> Dependant:
        dependant: Dependant = self.analyse()  # type: ignore[attr-defined]
        dependant.dependencies = WatchedList(dependant.dependencies, self._route_changed)
        self._dependant = dependant
        self._analysed = _Inputs.of(dependant, self.dependencies)
        return dependant

    def _untouched(self) -> bool:
        """True while the dependant is the analysis of the endpoint (or not analysed yet): no library replaced
        it, wrapped its call or changed its list of dependencies."""
        dependant = self._dependant
        if dependant is None:
            return True
        analysed = self._analysed
        return (
            analysed is not None and dependant is analysed.dependant and dependant.call is analysed.call
            and _same(dependant.dependencies, analysed.subs)
        )

    def _route_changed(self) -> None:
        """A library changed what the plan comes from: the application recompiles before the next request, and
        the copies `include_router` made of this route follow (FastAPI keeps included routes by reference)."""
        provider = self.dependency_overrides_provider
        if provider is not None and hasattr(provider, "_routes_changed"):
            provider._routes_changed()
        for copied in self._copies:
            copied._follow_source()

    def _follow_source(self) -> None:
        """This copy's dependencies (and, if a library changed it, dependant) again from its source's."""
        source = self._source
        dependencies = [*self._own_dependencies, *source.dependencies]
        if not _same(dependencies, self.dependencies):
            self.dependencies = dependencies  # NOTE: through __setattr__: watched, and the app told
        if source._untouched():
            return
        own = [
            analyse_dependency(dep, path=self.path_format, path_param_names=self.path_param_names, overrides=None)  # type: ignore[attr-defined]
            for dep in self._own_dependencies
        ]
        given = source.dependant
        self.dependant = dataclasses.replace(given, path=self.path_format, dependencies=[*own, *given.dependencies])

    # -- the plan ---------------------------------------------------------------------------------------------

    @property
    def plan(self) -> RoutePlan:
        """The route's plan without dependency overrides: compiled once, again after a change (module docstring)."""
        compiled = self._compiled
        if compiled is not None and self._fresh(compiled):
            return compiled.plan
        compiled = self._rebased() or self._compile()
        self._compiled = compiled
        return compiled.plan

    def _fresh(self, compiled: _Compiled) -> bool:
        inputs = compiled.inputs
        if inputs is not None:
            # PERF: identity checks only (`served_plan` is read on a cached route's miss); a change of
            # `dependencies` alone fails the last check, and `_compile` then analyses again
            dependant = self._dependant
            return (
                dependant is inputs.dependant
                and dependant.call is inputs.call
                and _same(dependant.dependencies, inputs.subs)
                and _same(self.dependencies, inputs.dependencies)
            )
        return (
            self._untouched()
            and _same(self.dependencies, compiled.dependencies)
            and compiled.source_plan is self._source.plan
        )

    def _compile(self) -> _Compiled:
        dependant = self._current_dependant()
        inputs = _Inputs.of(dependant, self.dependencies)
        return _Compiled(compile_route(_split(self, dependant), dependant), inputs=inputs)

    def _rebased(self) -> _Compiled | None:
        """The source's plan with this copy's path, name and response settings, when the copy's steps and
        validators would be the same as its source's."""
        source = self._source
        if source is None or not _reusable(self, source):
            return None
        source_plan = source.plan
        check_response_models(
            self.response_model if self.response_model is not source.response_model else None,  # type: ignore[attr-defined]
            {k: v for k, v in self.responses.items() if source.responses.get(k) is not v},  # type: ignore[attr-defined]
        )
        return _Compiled(_rebase(source_plan, self), source_plan=source_plan, dependencies=tuple(self.dependencies))


def _reusable(route: Any, source: Any) -> bool:
    """True when compiling `route` would give `source`'s steps and validators (same analysis, same limits)."""
    return (
        hasattr(route, "response_class")  # NOTE: WebSocket copies are compiled: few, and no response to rebuild
        and route.endpoint is source.endpoint
        and route._untouched() and source._untouched()
        and _same(route.dependencies, source.dependencies)
        and route.path_param_names == source.path_param_names
        and route.max_body_size == source.max_body_size and route.form_limits == source.form_limits
    )


def _rebase(plan: RoutePlan, route: Any) -> RoutePlan:
    """`plan` for the copy `route`: the same steps and validators; the copy's own path, name, status code,
    response class and serializer (whose errors name the copy's path)."""
    context = {**plan.endpoint_ctx, "path": f"{sorted(route.methods)[0]} {route.path_format}"}
    output = _output(route, context)
    response_class = route.response_class
    strict = route.strict_content_type
    return dataclasses.replace(
        plan,
        path=route.path,
        methods=frozenset(route.methods),
        name=route.name,
        status_code=route.status_code,
        response_class=getattr(response_class, "value", response_class),
        strict_content_type=bool(getattr(strict, "value", strict)),
        endpoint_ctx=context,
        serialize=output.serialize,
        encode=output.encode,
        stream=output.mode,
        stream_item=output.stream_item,
        has_generators=any(step.is_generator for step in plan.steps) or output.mode == "sse",
    )


class _SplitView:
    """`route` as `compile_route` reads it, with as many route-level `dependencies` as the dependant leads with.

    NOTE: compile_route takes the first `len(route.dependencies)` sub-dependants as the route-level ones; after a
    library appended to both lists (the new sub-dependant last), that count would take an endpoint parameter's
    dependency for a route-level one.
    """

    def __init__(self, route: Any, count: int) -> None:
        self._route = route
        self.dependencies = route.dependencies[:count]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._route, name)


def _split(route: Any, dependant: Dependant) -> Any:
    """`route` itself when the dependant leads with its route-level dependencies, else a `_SplitView`."""
    leading = 0
    for sub in dependant.dependencies:
        if sub.name is not None:
            break
        leading += 1
    if leading >= len(route.dependencies):
        return route
    return _SplitView(route, leading)

