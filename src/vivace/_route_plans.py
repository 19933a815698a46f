"""When a route's plan is compiled: once, when first needed, and again only when what it came from changed.

* A route declared with `@router.get(...)` (or built as `APIRoute(...)`) is analysed and checked at once
  (`check_declaration`: what compiling would refuse and FastAPI refuses at declaration), so a route that cannot
  work fails where it is written, as in FastAPI; its plan is compiled when first needed (in an application, on
  its first request: vivace/_route_lazy.py). When the check refuses, the route is compiled at once, so the
  error raised is the one compiling raises.
* The copy `include_router` makes of it compiles nothing at declaration (the response models its inclusion adds
  are checked there); the application checks it when it builds its router. When it differs from the route it was
  copied from only in what surrounds the plan's steps (path, name, tags, response class, status code...), its
  plan is its source's with those fields replaced (`_rebased`); otherwise (the inclusion added dependencies, the
  prefix added a path parameter, limits differ) it is compiled on first need. A router's routes are thus
  compiled once, not once per router they pass through.
* A plan remembers what it was compiled from: the route's `dependant` (the object, its `call` and its list of
  sub-dependencies) and the route's `dependencies`, compared by identity. Extension libraries change those after
  declaration (fastapi-pagination appends a dependency to both lists, sentry-sdk wraps `dependant.call`); the
  next `route.plan` sees it and compiles again. Changing only `route.dependencies` analyses the endpoint again;
  changing the `dependant` (replacing it or its list of dependencies) uses it as given. A copy made by
  `include_router` catches up with such a change to the route it was copied from when its `plan` or `dependant`
  is next read (FastAPI keeps included routes by reference).

When the application sees a change. `route.dependencies` and `dependant.dependencies` are plain lists, as in
FastAPI (cadwyn, for one, versions them only if they are), so appending to them tells nobody. The application
compiles its router from the routes' current plans on the first request and at startup (after the lifespan's
startup code); it remembers what each route's plan came from (`routes_key`: the routes, then each one's dependant,
call, sub-dependencies and dependencies, and its source's, all compared by identity) and compares it again at
these sync points, compiling again before the next request if anything differs:

* at once: assigning `route.dependant` or `route.dependencies` (also on the route an `include_router` copy was
  made from), setting `route.app`, `router._mark_routes_changed()`, `include_router`, `add_api_route` and the
  other registration methods, assigning `app.dependency_overrides` or changing it;
* by the comparison (a walk over the routes, nothing per request): `app.openapi()` (so also each request for
  the OpenAPI document) and `app.build_middleware_stack()` (`add_exception_handler` calls it once serving);
* the lifespan's startup, and the first request: they compile whatever the routes are then.

An in-place change (`append`, `insert`, `[i] = x`, `clear()`, a wrapped `dependant.call`, a route appended to
`app.router.routes`) made before the app's first request, or during its lifespan's startup, is always served.
Made after that, it is served from the next sync point on; until then the app keeps serving the plans it
compiled. (FastAPI reads `route.dependant` on every request, so it sees an in-place change to a `dependant` or to
`router.routes` at once; it never sees one to a declared route's `route.dependencies`.)

`copy.deepcopy` of a route gives a route of its own, as in FastAPI: its attributes copied, its plan kept while
nothing changes, the routers it was declared in shared rather than copied (they lead to the application and to
what its middleware holds, ContextVars included); it follows no `include_router` source. A copied router is
included nowhere.

Startup code only: the compiled router never reads these properties per request.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from vivace._core.compile import (
    _output,
    check_declaration,
    check_response_models,
    compile_route,
    has_generators,
    with_natives,
)
from vivace._core.plan import RoutePlan
from vivace._core.signature import Dependant, analyse_dependency
from vivace._route_serving import ServedAlone

__all__ = ["PlannedRoute", "copy_source", "copying", "routes_key", "same_objects"]

# NOTE: set while `include_router` builds the copy of a route: the copy's constructor reads it (its signature is
# FastAPI's, so the source cannot be passed as an argument). Held here, never by a route: a route's deep copy
# must not meet it (ContextVars cannot be copied)
_COPY_SOURCE: ContextVar[Any] = ContextVar("vivace_copy_source", default=None)

#: ends one list in a key (`_inputs_key`), so that an object moved from one list to the next is a change
_END = object()

#: a route's attributes that link it to its surroundings: the routers (and inclusions) it was declared in and
#: copied through. A deep copy shares them (see `PlannedRoute.__deepcopy__`)
_LINKS = frozenset({"_vivace_router_layers"})

#: what a deep copy rebuilds rather than copies: the link to the route `include_router` copied it from, compiled
#: plans and the state built from them
_REBUILT = frozenset(
    {"_source", "_source_seen", "_own_dependencies", "_copies", "_compiled", "_analysed", "_served_plan",
     "_made_by_factory"}
)


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


def same_objects(left: Sequence[Any], right: Sequence[Any]) -> bool:
    """The same objects in the same order."""
    if len(left) != len(right):
        return False
    return all(a is b for a, b in zip(left, right, strict=True)) if left else True


def routes_key(routes: Sequence[Any]) -> tuple[Any, ...]:
    """`routes` and what each route's plan comes from, to compare with `same_objects` (module docstring)."""
    key: list[Any] = []
    for route in routes:
        key.append(route)
        if isinstance(route, PlannedRoute):
            key += _inputs_key(route)
    return tuple(key)


def _inputs_key(route: Any) -> list[Any]:
    """The route's dependant, its call and sub-dependencies, the route's dependencies; then its source's."""
    key: list[Any] = []
    while route is not None:
        dependant = route._dependant
        if dependant is not None:
            key += (dependant, dependant.call, *dependant.dependencies, _END)
        key += (*route.dependencies, _END)
        route = route._source
    return key


def _mapped(value: Any, memo: dict[int, Any]) -> Any:
    """`value`'s copy when the deep copy in progress copied it, else `value` itself."""
    return memo.get(id(value), value)


def _relinked(link: Any, memo: dict[int, Any]) -> Any:
    """A link (`_LINKS`: one object, or a tuple of them) as a deep copy keeps it: `_mapped`, never copied."""
    return tuple(_mapped(item, memo) for item in link) if isinstance(link, tuple) else _mapped(link, memo)


@dataclasses.dataclass(frozen=True, slots=True)
class _Inputs:
    """What a plan was compiled from, compared by identity."""

    dependant: Dependant
    call: Any
    subs: tuple[Dependant, ...]
    dependencies: tuple[Any, ...]

    @classmethod
    def of(cls, dependant: Dependant, dependencies: Sequence[Any]) -> _Inputs:
        return cls(dependant, dependant.call, tuple(dependant.dependencies), tuple(dependencies))

    def mapped(self, memo: dict[int, Any]) -> _Inputs:
        """The same inputs in a deep copy: each object this copy copied replaced by its copy."""
        return _Inputs(
            _mapped(self.dependant, memo), _mapped(self.call, memo),
            tuple(_mapped(sub, memo) for sub in self.subs), tuple(_mapped(dep, memo) for dep in self.dependencies),
        )


@dataclasses.dataclass(frozen=True, slots=True)
class _Compiled:
    """A plan and what it came from: `inputs` for a compiled plan; the source's plan for a rebased copy."""

    plan: RoutePlan
    inputs: _Inputs | None = None
    source_plan: RoutePlan | None = None
    dependencies: tuple[Any, ...] = ()

    def mapped(self, memo: dict[int, Any]) -> _Compiled | None:
        """The same plan in a deep copy of its route (plans are immutable: shared), what it came from mapped; None
        for a plan borrowed from the route's source (a deep copy has no source)."""
        inputs = self.inputs
        return None if inputs is None else _Compiled(self.plan, inputs=inputs.mapped(memo))


class _Dependencies:
    """`route.dependencies`: assigning a new list (not the constructor's first) tells the app, which recompiles.

    PERF: only assignment is intercepted (no `__get__`: reads find the list in the instance's `__dict__`), rather
    than a `__setattr__` that every one of a route's ~48 attribute assignments went through (19k calls building
    bench/startup_app.py).
    """

    def __set__(self, route: PlannedRoute, value: list[Any]) -> None:
        state = route.__dict__
        state["dependencies"] = value
        if "_compiled" in state:
            route._route_changed()


class PlannedRoute:
    """The plan-related state of `APIRoute` and `APIWebSocketRoute` (see the module docstring).

    The route class provides `dependencies`, `endpoint`, `path`, `path_param_names`, `dependency_overrides_provider`
    and `analyse()`.
    """

    _dependant: Dependant | None
    _analysed: _Inputs | None  # the dependant as analysed, to tell a library's change from a re-analysis
    _compiled: _Compiled | None
    _source: Any  # the route this one was copied from by include_router, if any
    _source_seen: list[Any]  # the source's `_inputs_key` this copy last followed
    _copies: list[Any]  # the copies include_router made of this route: told when it is replaced
    _own_dependencies: list[Any]  # a copy's dependencies from its inclusion, before its source's
    _checked: Dependant | None  # the analysis `check_declaration` last passed
    path_format: str
    dependencies: list[Any] = _Dependencies()  # type: ignore[assignment]
    endpoint: Callable[..., Any]
    dependency_overrides_provider: Any

    def _init_plan(self, dependencies: list[Any]) -> None:
        """Called by the constructor once the attributes analysis reads are set; compiles unless a copy."""
        self._dependant = None
        self._analysed = None
        self._compiled = None
        self._copies = []
        source = self._source = _COPY_SOURCE.get()
        self._checked: Dependant | None = None
        if source is None:
            self._source_seen = []
            self._checked_dependant()  # NOTE: at declaration, so a route that cannot work fails where it is written
            return
        # NOTE: the dependencies the inclusion put before the source's: a change to the source keeps them
        self._own_dependencies = dependencies[: len(dependencies) - len(source.dependencies)]
        self._source_seen = _inputs_key(source)
        source._copies.append(self)
        if hasattr(self, "response_class"):
            _check_added_responses(self, source)

    def _checked_dependant(self) -> Dependant:
        """The dependant to compile from, analysed if not yet, and checked for what FastAPI refuses at declaration
        (`check_declaration`) once per analysis; the plan itself is compiled on first use (`plan`)."""
        dependant = self._current_dependant()
        if dependant is not self._checked:
            try:
                check_declaration(self, dependant)
            except Exception:
                _ = self.plan  # NOTE: compiled now, so the error raised is the one compiling raises
            self._checked = dependant
        return dependant

    # -- the attributes libraries read and change ---------------------------------------------------------

    @property
    def dependant(self) -> Dependant:
        """The endpoint's analysed dependencies (route-level `dependencies` first), as in FastAPI.

        NOTE: read as it is even after `route.dependencies` changed: fastapi-pagination appends to `dependencies`,
        then reads `dependant` to append the same dependency to it. The analysis is redone when the plan is
        compiled (`_current_dependant`), if no library changed the dependant itself.
        """
        if self._source is not None:
            self._follow_source()
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
        if analysed is not None and self._untouched() and not same_objects(analysed.dependencies, self.dependencies):
            dependant = self._analyse_now()
        return dependant

    def _analyse_now(self) -> Dependant:
        dependant: Dependant = self.analyse()  # type: ignore[attr-defined]
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
            and same_objects(dependant.dependencies, analysed.subs)
        )

    def _route_changed(self) -> None:
        """A library replaced what the plan comes from: the application recompiles before the next request, and so
        do the applications the copies `include_router` made of this route are in (they follow it when compiled)."""
        provider = self.dependency_overrides_provider
        if provider is not None and hasattr(provider, "_routes_changed"):
            provider._routes_changed()
        for copied in self._copies:
            copied._route_changed()

    def _follow_source(self) -> None:
        """This copy's dependencies (and, if a library changed it, dependant) again from its source's, when the
        source changed since this copy last looked."""
        source = self._source
        if source._source is not None:
            source._follow_source()
        seen = _inputs_key(source)
        if same_objects(seen, self._source_seen):
            return
        self._source_seen = seen
        dependencies = [*self._own_dependencies, *source.dependencies]
        if not same_objects(dependencies, self.dependencies):
            self.dependencies = dependencies  # NOTE: through `_Dependencies.__set__`: the app is told
        if source._untouched():
            return
        own = [
            analyse_dependency(dep, path=self.path_format, path_param_names=self.path_param_names, overrides=None)  # type: ignore[attr-defined]
            for dep in self._own_dependencies
        ]
        given = source.dependant
        self.dependant = dataclasses.replace(given, path=self.path_format, dependencies=[*own, *given.dependencies])

    # -- copies -----------------------------------------------------------------------------------------------

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """A deep copy, as `copy.deepcopy` makes of FastAPI's routes (cadwyn copies routes and routers).

        Its own attributes are deep copies. The routers it was declared in are shared (copied only when they are
        part of the same deep copy): they lead to the application and whatever its middleware holds. It is a route
        of its own, as FastAPI's copy is: it no longer follows the route `include_router` copied it from (cadwyn
        changes its copies' dependencies, then the routes they came from). Its plan is kept (plans are immutable)
        for as long as what it came from, mapped to the copies, does not change; a plan borrowed from the source
        (`_rebased`) and the served state are rebuilt on first need.
        """
        cls = type(self)
        twin = cls.__new__(cls)
        memo[id(self)] = twin
        state = twin.__dict__
        for name, value in self.__dict__.items():
            if name in _LINKS:
                state[name] = _relinked(value, memo)
            elif isinstance(value, ServedAlone):
                state[name] = ServedAlone(twin)  # NOTE: the route as an app of its own, bound to the copy
            elif name not in _REBUILT:
                state[name] = copy.deepcopy(value, memo)
        # NOTE: after every other attribute, so that the dependant and dependencies have their copies in `memo`
        compiled, analysed = self._compiled, self._analysed
        state["_compiled"] = None if compiled is None else compiled.mapped(memo)
        state["_analysed"] = None if analysed is None else analysed.mapped(memo)
        state["_source"] = None
        state["_source_seen"] = []
        state["_copies"] = []
        for name in ("_served_plan", "_made_by_factory"):
            if name in self.__dict__:
                state[name] = None
        return twin

    # -- the plan ---------------------------------------------------------------------------------------------

    @property
    def plan(self) -> RoutePlan:
        """The route's plan without dependency overrides: compiled once, again after a change (module docstring)."""
        if self._source is not None:
            self._follow_source()
        compiled = self._compiled
        if compiled is not None and self._fresh(compiled):
            return compiled.plan
        compiled = self._rebased() or self._compile()
        self._compiled = compiled
        return compiled.plan

    @property
    def uses_app_scope(self) -> bool:
        """True when the plan has an app-scoped dependency (`Depends(..., scope="app")`): the application compiles
        such a route at startup, where it creates those dependencies, rather than on its first request."""
        pending = [self._plan_dependant()]
        while pending:
            node = pending.pop()
            if node.scope == "app":
                return True
            pending += node.dependencies
        return False

    def _plan_dependant(self) -> Dependant:
        """The dependant the plan is compiled from; for a copy that borrows its source's plan, the source's (so that
        the copy is not analysed)."""
        source = self._source
        if source is not None:
            self._follow_source()
            if _reusable(self, source):
                return source._plan_dependant()  # type: ignore[no-any-return]
        return self._checked_dependant()

    def _fresh(self, compiled: _Compiled) -> bool:
        inputs = compiled.inputs
        if inputs is not None:
            # PERF: identity checks only (`served_plan` is read on a cached route's miss); a change of
            # `dependencies` alone fails the last check, and `_compile` then analyses again
            dependant = self._dependant
            return (
                dependant is inputs.dependant
                and dependant.call is inputs.call
                and same_objects(dependant.dependencies, inputs.subs)
                and same_objects(self.dependencies, inputs.dependencies)
            )
        return (
            self._untouched()
            and same_objects(self.dependencies, compiled.dependencies)
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
        _check_added_responses(self, source)
        return _Compiled(_rebase(source_plan, self), source_plan=source_plan, dependencies=tuple(self.dependencies))


def _check_added_responses(route: Any, source: Any) -> None:
    """Refuse the response model and `responses` entries an inclusion gave the copy `route` of `source` (the
    source's own were checked where it was declared)."""
    check_response_models(
        route.response_model if route.response_model is not source.response_model else None,
        {k: v for k, v in route.responses.items() if source.responses.get(k) is not v},
    )


def _reusable(route: Any, source: Any) -> bool:
    """True when compiling `route` would give `source`'s steps and validators (same analysis, same limits)."""
    return (
        hasattr(route, "response_class")  # NOTE: WebSocket copies are compiled: few, and no response to rebuild
        and route.endpoint is source.endpoint
        and route._untouched() and source._untouched()
        and same_objects(route.dependencies, source.dependencies)
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
        has_generators=has_generators(plan.steps),
        steps=plan.steps if output.mode is not None else with_natives(plan.steps, route),  # bound to this copy
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
