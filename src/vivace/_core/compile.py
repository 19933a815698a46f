"""Stage 2, compile (startup only): flatten a route's Dependant tree into an immutable RoutePlan."""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FunctionType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel, BeforeValidator, Field, Json, Tag, TypeAdapter
from pydantic.fields import FieldInfo
from starlette.datastructures import UploadFile

from vivace._core import forms, limits, serialize, stream, validate
from vivace._core.arguments import build_arguments
from vivace._core.plan import ArgSource, BodyKind, DepStep, Extractor, RoutePlan
from vivace._core.signature import (
    DeclarationError,
    Dependant,
    Location,
    ParamField,
    Special,
    _strip_annotated,
    is_sequence_annotation,
    reject_v1_model,
)
from vivace._core.threads import cache_hit_probe
from vivace.concurrency import _DependencyConcurrency
from vivace.datastructures import DefaultPlaceholder
from vivace.encoders import jsonable_encoder
from vivace.exceptions import DependencyScopeError, FastAPIError
from vivace.params import Body, File, Form
from vivace.responses import JSONResponse
from vivace.security._scopes import SecurityScopes
from vivace.sse import EventSourceResponse
from vivace.utils import is_body_allowed_for_status_code

__all__ = [
    "StepGraph", "check_declaration", "check_response_model", "effective_scope", "flatten", "has_generators",
    "is_async_callable", "is_async_gen_callable", "is_gen_callable", "is_generator_callable", "with_natives",
]

_SPECIAL_SOURCES = {
    Special.request: ArgSource.request,
    Special.websocket: ArgSource.websocket,
    Special.http_connection: ArgSource.http_connection,
    Special.response: ArgSource.response,
    Special.background_tasks: ArgSource.background_tasks,
}


def _strip_partials(call: Any) -> Any:
    while isinstance(call, functools.partial):
        call = call.func
    return call


def _layers(call: Any) -> list[Any]:
    """The callables whose kind decides how `call` is run: the callable itself and what `functools.wraps` chains
    wrap, then the `__call__` of each (for callable instances, and wrappers around them).

    NOTE: any layer counts, as in FastAPI: an async wrapper around a sync function is awaited, and a sync
    `functools.wraps` wrapper around an async callable instance is awaited too.
    """
    outer = _strip_partials(call)
    inner = inspect.unwrap(outer)
    layers = [outer, inner]
    for owner in (outer, inner):
        dunder = getattr(owner, "__call__", None)  # noqa: B004 - callable instances: inspect their __call__
        if dunder is not None:
            dunder = _strip_partials(dunder)
            layers += [dunder, inspect.unwrap(dunder)]
    return layers


def _is_kind(call: Any, check: Callable[[Any], bool], code_flag: int = 0) -> bool:
    if type(call) is FunctionType and "__wrapped__" not in call.__dict__:
        # PERF: a plain function is its only layer (its __call__ is a method-wrapper); for the generator kinds
        # its code flag is the whole answer (inspect's check first unwraps partials and methods): building
        # bench/startup_app.py, these checks went from 11% to 8.5% of the profile
        return bool(call.__code__.co_flags & code_flag) if code_flag else check(call)
    layers = _layers(call)
    if check(layers[0]):
        return True  # an async wrapper, even around a class
    if inspect.isclass(layers[1]):
        return False  # NOTE: a class dependency is called to build an instance, whatever its __call__ is
    return any(check(layer) for layer in layers[1:])


def is_async_callable(call: Any) -> bool:
    return _is_kind(call, inspect.iscoroutinefunction)


def is_gen_callable(call: Any) -> bool:
    return _is_kind(call, inspect.isgeneratorfunction, inspect.CO_GENERATOR)


def is_async_gen_callable(call: Any) -> bool:
    return _is_kind(call, inspect.isasyncgenfunction, inspect.CO_ASYNC_GENERATOR)


def is_generator_callable(call: Any) -> bool:
    """A `yield` dependency or a streaming endpoint: a generator function, sync or async."""
    return is_gen_callable(call) or is_async_gen_callable(call)


def _limiter(node: Dependant) -> _DependencyConcurrency:
    """The shared limit of the node's `Depends(..., max_concurrency=N)`: every route (and every override) using
    the same declaration counts against it, and the semaphore it hands out per event loop is the one acquired."""
    shared: _DependencyConcurrency | None = getattr(node.declaration, "_concurrency", None)
    return shared if shared is not None else _DependencyConcurrency(node.max_concurrency or 1)


@dataclass
class StepGraph:
    """The flattened graph: steps in execution order and the parameters they read, grouped by location."""

    steps: list[DepStep] = field(default_factory=list)
    fields: dict[Location, list[tuple[str, ParamField]]] = field(default_factory=dict)
    by_cache_key: dict[Any, int] = field(default_factory=dict)
    counter: int = 0

    def new_key(self) -> str:
        self.counter += 1
        return f"v{self.counter}"


def _check_scopes(node: Dependant) -> None:
    """Reject dependency graphs whose teardown order cannot work (reported at startup, never per request)."""
    name = getattr(node.call, "__name__", repr(node.call))
    is_gen = is_generator_callable(node.call)
    for sub in node.dependencies:
        sub_name = getattr(sub.call, "__name__", repr(sub.call))
        if node.scope == "app" and sub.scope != "app":
            raise DependencyScopeError(
                f'The dependency "{name}" has scope "app", so it cannot depend on "{sub_name}", which is created '
                f'per request. Give "{sub_name}" scope="app" too, or make "{name}" request-scoped.'
            )
        if is_gen and (node.scope or "request") == "request" and sub.scope == "function":
            raise DependencyScopeError(
                f'The dependency "{name}" has a scope of "request", it cannot depend on dependencies with scope '
                '"function".'
            )
    request_inputs = [p.name for p in [*node.location_params(), *node.body_params]] + list(node.specials)
    if node.scope == "app" and request_inputs:
        raise DependencyScopeError(
            f'The dependency "{name}" has scope "app", so it cannot read request data '
            f"(parameters: {', '.join(request_inputs)})."
        )


def effective_scope(node: Dependant) -> str:
    """The scope a dependency's value lives in ("request" for a `yield` dependency without one): part of what makes
    two uses the same dependency, at run time and in the OpenAPI document, as in FastAPI."""
    if node.scope is not None:
        return node.scope
    return "request" if is_generator_callable(node.call) else ""


def _add_node(graph: StepGraph, node: Dependant, *, is_endpoint: bool) -> int:
    _check_scopes(node)
    cache_key = (*node.cache_key, effective_scope(node)) if node.use_cache and not is_endpoint else None
    if cache_key is not None and cache_key in graph.by_cache_key:
        return graph.by_cache_key[cache_key]
    args: list[tuple[str, ArgSource, Any]] = []
    needs: set[str] = set()
    for sub in node.dependencies:
        index = _add_node(graph, sub, is_endpoint=False)
        needs |= graph.steps[index].needs
        if sub.name is not None:
            args.append((sub.name, ArgSource.step, index))
    for param in [*node.location_params(), *node.body_params]:
        key = graph.new_key()
        graph.fields.setdefault(param.location, []).append((key, param))
        args.append((param.name, ArgSource.value, key))
        needs.add(key)
    for name, special in node.specials.items():
        if special is Special.security_scopes:
            args.append((name, ArgSource.constant, SecurityScopes(scopes=list(node.security_scopes))))
        else:
            args.append((name, _SPECIAL_SOURCES[special], None))
    call = node.call
    assert call is not None
    is_gen = is_generator_callable(call)
    step = DepStep(
        call=call,
        name=getattr(call, "__name__", type(call).__name__),
        args=tuple(args),
        arguments=build_arguments(args),
        is_async=is_async_callable(call),
        is_generator=is_gen and not is_endpoint,
        is_async_generator=is_async_gen_callable(call),
        exit_before_response=node.scope == "function",
        needs=frozenset(needs),
        limiter=_limiter(node) if node.max_concurrency else None,
        app_scoped=node.scope == "app",
        cache_key=node.call,
        on_loop=None if is_async_callable(call) or is_gen else cache_hit_probe(call, bool(args)),
    )
    graph.steps.append(step)
    index = len(graph.steps) - 1
    if cache_key is not None:
        graph.by_cache_key[cache_key] = index
    return index


def flatten(root: Dependant, extra: list[Dependant]) -> StepGraph:
    """Steps for `extra` (route-level `dependencies=[...]`), the endpoint's dependencies, then the endpoint."""
    graph = StepGraph()
    for node in extra:
        _add_node(graph, node, is_endpoint=False)
    _add_node(graph, root, is_endpoint=True)
    return graph


def _declared_validation_alias(param: ParamField) -> Any:
    """The parameter's validation alias; for an inferred parameter, the one of a plain `Field()` in `Annotated`."""
    validation_alias = param.field_info.validation_alias
    if validation_alias is None and get_origin(param.annotation) is Annotated:
        for item in reversed(get_args(param.annotation)[1:]):
            if isinstance(item, FieldInfo) and isinstance(item.validation_alias, AliasChoices):
                return item.validation_alias
    return validation_alias


def _spec(key: str, param: ParamField) -> validate.FieldSpec:
    validation_alias = _declared_validation_alias(param)
    if isinstance(validation_alias, AliasChoices) and all(isinstance(c, str) for c in validation_alias.choices):
        choices = tuple(str(c) for c in validation_alias.choices)
        if param.location is Location.path and param.alias not in choices:
            # NOTE: the route's path always holds the parameter's own name (or alias); FastAPI falls back to it
            choices = (*choices, param.alias)
        return validate.FieldSpec(key, choices[0], param.annotation, param.field_info, param.is_sequence, choices)
    lookup = validation_alias if isinstance(validation_alias, str) else param.alias
    return validate.FieldSpec(key, lookup, param.annotation, param.field_info, param.is_sequence)


def _declared_names(info: FieldInfo) -> set[str]:
    """The input names a model field declares itself: its alias, validation alias or string alias choices."""
    names = {info.alias} if info.alias else set()
    chosen = info.validation_alias
    if isinstance(chosen, str):
        names.add(chosen)
    elif isinstance(chosen, AliasChoices):
        names |= {c for c in chosen.choices if isinstance(c, str)}
    return names


def _group_lookups(model: type[BaseModel], location: Location, param: ParamField) -> list[validate.GroupRead]:
    """Per model field: the (input name, external name) pairs to try in FastAPI's order, and whether it is a list."""
    lookups = []
    convert = getattr(param.field_info, "convert_underscores", True)
    for (name, info), read in zip(model.model_fields.items(), _model_reads(model), strict=True):
        declared = _declared_names(info)
        pairs = []
        for alias in read.aliases:
            external = alias
            # NOTE: only the field's own name gets the header spelling; declared aliases are read as written
            if location is Location.header and convert and alias == name and name not in declared:
                external = name.replace("_", "-")
            pairs.append((alias, external))
        lookups.append(validate.GroupRead(tuple(pairs), is_sequence_annotation(info.annotation)))
    return lookups


def location_extractors(graph: StepGraph, location: Location) -> list[Extractor]:
    """One extractor for the plain parameters of a location, plus one per parameter model."""
    entries = graph.fields.get(location, [])
    plain = [_spec(key, p) for key, p in entries if p.model_group is None]
    extractors = [validate.location_validator(location.value, plain)] if plain else []
    for key, param in entries:
        if param.model_group is not None:
            lookups = _group_lookups(param.model_group, location, param)
            extractors.append(
                validate.model_group_validator(
                    location.value, key, param.model_group, lookups, error_location=location.value,
                    optional=param.field_info if _strip_annotated(param.annotation) is not param.model_group else None,
                    declared=param.annotation,
                )
            )
    return extractors


def _wants_bytes(param: ParamField) -> bool:
    """A file parameter typed `bytes`, `bytes | None`, `list[bytes]` or `list[bytes] | None`: read the content."""
    return isinstance(param.field_info, File) and _holds_bytes(param.annotation)


def _holds_bytes(annotation: Any) -> bool:
    annotation = _strip_annotated(annotation)
    if annotation is bytes:
        return True
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        return any(_holds_bytes(arg) for arg in get_args(annotation))
    return is_sequence_annotation(annotation) and any(_holds_bytes(arg) for arg in get_args(annotation))


def _is_json(info: FieldInfo) -> bool:
    return any(type(item) is Json for item in info.metadata)


def _form_models(param: ParamField) -> list[type[BaseModel]]:
    """The model(s) of a form group: `Model`, `Model | None`, or a union of several models; else none."""
    if not isinstance(param.field_info, Form) or _is_json(param.field_info):
        return []
    if param.model_group is not None:
        return [param.model_group]
    base = _strip_annotated(param.annotation)
    if get_origin(base) not in (Union, UnionType):
        return []
    members = [_strip_annotated(arg) for arg in get_args(base) if arg is not type(None)]
    if len(members) < 2 or not all(isinstance(m, type) and issubclass(m, BaseModel) for m in members):
        return []
    return members


def _model_reads(model: type[BaseModel]) -> tuple[forms.FieldRead, ...]:
    """Each model field's names in FastAPI's preference order: its alias (or choices), then its name if allowed."""
    config = model.model_config
    by_name = config.get("validate_by_name", config.get("populate_by_name", False))
    reads = []
    for name, info in model.model_fields.items():
        choices = info.validation_alias
        if config.get("validate_by_alias") is False:
            aliases = [name]
        elif isinstance(choices, AliasChoices) and all(isinstance(c, str) for c in choices.choices):
            aliases = [str(c) for c in choices.choices]
        else:
            aliases = [choices if isinstance(choices, str) else info.alias or name]
        if by_name and name not in aliases:
            aliases.append(name)
        sequence = is_sequence_annotation(info.annotation) and not _is_json(info)
        reads.append(forms.FieldRead(tuple(aliases), sequence))
    return tuple(reads)


def _tagged_union(annotation: Any, models: list[type[BaseModel]]) -> Any:
    """Each member of a union form group reads its own fields from the form before validating (FastAPI's way);
    a Tag per member keeps error locations readable (`["body", "Person", "name"]`)."""
    choices: list[Any] = []
    for choice in get_args(_strip_annotated(annotation)):
        if choice is type(None):
            choices.append(choice)
            continue
        model: Any = choice
        metadata: list[Any] = []
        if get_origin(choice) is Annotated:
            model, *metadata = get_args(choice)
        tag = next((m for m in reversed(metadata) if isinstance(m, Tag)), Tag(model.__name__))
        normalize = BeforeValidator(functools.partial(forms.normalize_branch, reads=_model_reads(model)))
        choices.append(Annotated[choice, normalize, tag])
    return Union[tuple(choices)]  # noqa: UP007 - built from a runtime tuple


def _form_group(key: str, param: ParamField, models: list[type[BaseModel]]) -> forms.FormGroup:
    info = param.field_info
    annotation = param.annotation
    outer: list[Any] = []
    if get_origin(annotation) is Annotated:
        annotation, *outer = get_args(annotation)
    if len(models) > 1:
        annotation = _tagged_union(annotation, models)
    metadata = [*outer, *info.asdict()["metadata"]]
    if info.discriminator is not None:
        metadata.append(Field(discriminator=info.discriminator))
    target = validate.annotated(annotation, metadata)
    reads = [_model_reads(model) for model in models]
    names = {alias for model_reads in reads for read in model_reads for alias in read.aliases}
    return forms.FormGroup(
        key=key,
        reads=reads[0] if len(models) == 1 else (),
        own_names=frozenset(names),
        takes_extra=any(m.model_config.get("extra") in ("allow", "forbid") for m in models),
        optional=type(None) in get_args(_strip_annotated(param.annotation)),
        adapter=TypeAdapter(target),
        required=info.is_required(),
        default=functools.partial(info.get_default, call_default_factory=True),
        validate_default=bool(info.validate_default),
    )


def _keyed_spec(key: str, param: ParamField) -> validate.FieldSpec:
    return validate.FieldSpec(key, key, param.annotation, param.field_info, param.is_sequence)


def _form_names(key: str, param: ParamField) -> tuple[str, ...]:
    """The form field names a plain form parameter reads, first found wins (its alias choices, in order)."""
    spec = _spec(key, param)
    return spec.choices or (spec.lookup,)


def form_plan(entries: list[tuple[str, ParamField]], route: Any) -> forms.FormPlan:
    """Plain form fields validated together; model groups one by one; limits resolved once for the route."""
    forms.require_multipart()
    plain: list[tuple[str, ParamField]] = []
    groups: list[forms.FormGroup] = []
    order: list[str | int] = []
    for key, param in entries:
        models = _form_models(param)
        if models:
            order.append(len(groups))
            groups.append(_form_group(key, param, models))
        else:
            plain.append((key, param))
            order.append(_spec(key, param).lookup)
    return forms.FormPlan(
        fields=tuple(forms.FieldRead(_form_names(k, p), p.is_sequence, _wants_bytes(p), k) for k, p in plain),
        # NOTE: validated under value keys, not form names: two parameters may read the same form field
        validate_fields=validate.form_model([_keyed_spec(k, p) for k, p in plain]) if plain else None,
        groups=tuple(groups),
        order=tuple(order),
        keys=tuple(k for k, _ in entries),
        limits=limits.form_limits(getattr(route, "max_body_size", None), getattr(route, "form_limits", None)),
    )


def body_setup(graph: StepGraph, route: Any) -> tuple[BodyKind, Extractor | None, forms.FormPlan | None, bool]:
    """Decide how the body is read: not at all, one JSON value, an embedded JSON object, or a form."""
    form_fields = graph.fields.get(Location.form, [])
    bodies = graph.fields.get(Location.body, [])
    if form_fields:
        plan = form_plan(form_fields + bodies, route)
        return BodyKind.form, None, plan, any(p.required for _, p in form_fields)
    if not bodies:
        return BodyKind.none, None, None, False
    first = bodies[0][1]
    required = any(p.required for _, p in bodies)
    # NOTE: FastAPI embeds by distinct parameter *names*: the same name declared by the endpoint and by a
    # dependency (or by two dependencies) is still one body, which each of them receives whole.
    names = {param.name for _, param in bodies}
    embed = len(names) > 1 or (isinstance(first.field_info, Body) and bool(first.field_info.embed))
    if embed:
        extractor = validate.json_body_validator(None, [_spec(k, p) for k, p in bodies])
        return BodyKind.json_embedded, extractor, None, required
    whole = [validate.json_body_validator(_spec(key, param), []) for key, param in bodies]
    return BodyKind.json, validate.merged(whole), None, required


def upload_in(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, UploadFile)


def build_plan(**kwargs: Any) -> RoutePlan:
    return RoutePlan(**kwargs)


def _is_default(value: Any) -> bool:
    return isinstance(value, DefaultPlaceholder)


def _value(value: Any) -> Any:
    return value.value if _is_default(value) else value


def endpoint_context(call: Any, path: str, method: str) -> dict[str, Any]:
    """Where the endpoint lives, for validation error messages."""
    target = inspect.unwrap(call)
    context: dict[str, Any] = {"function": getattr(target, "__name__", repr(target)), "path": f"{method} {path}"}
    try:
        context["file"] = inspect.getsourcefile(target)
        # PERF: the line `inspect.getsourcelines` reports, without tokenizing the whole function to find its end
        context["line"] = inspect.findsource(target)[1] + 1
    except (OSError, TypeError):
        pass
    return context


def compile_route(route: Any, dependant: Dependant) -> RoutePlan:
    """A RoutePlan for an APIRoute whose (override-aware) Dependant has been analysed."""
    try:
        return _compile_route(route, dependant)
    except FastAPIError as exc:
        methods = ",".join(sorted(getattr(route, "methods", None) or ["WEBSOCKET"]))
        exc.add_note(f"while compiling the route {methods} {route.path} (endpoint {route.name!r})")
        raise


def _compile_route(route: Any, dependant: Dependant) -> RoutePlan:
    extra = dependant.dependencies[: len(route.dependencies)]
    root = Dependant(**{**dependant.__dict__, "dependencies": dependant.dependencies[len(route.dependencies):]})
    if not hasattr(route, "response_class"):  # a WebSocket route: no response handling at all
        route = _WebSocketRouteView(route)
    else:
        check_response_models(route.response_model, getattr(route, "responses", None))
    graph = flatten(root, extra)
    path_fields = graph.fields.get(Location.path, [])
    extractors = [
        *location_extractors(graph, Location.query),
        *location_extractors(graph, Location.header),
        *location_extractors(graph, Location.cookie),
    ]
    body_kind, body_extractor, form_reads, body_required = body_setup(graph, route)
    # NOTE: FastAPI labels a WebSocket endpoint's path "WS /feed" in validation error messages
    label = "WS" if isinstance(route, _WebSocketRouteView) else sorted(route.methods)[0]
    context = endpoint_context(route.endpoint, route.path_format, label)
    output = _output(route, context)
    if output.mode is not None:
        graph.steps[-1] = _start_generator(graph.steps[-1])
    steps = tuple(graph.steps)
    if output.mode is None and not isinstance(route, _WebSocketRouteView):
        steps = with_natives(steps, route)
    return RoutePlan(
        path=route.path,
        methods=frozenset(route.methods),
        name=route.name,
        path_extractor=validate.location_validator("path", [_spec(k, p) for k, p in path_fields])
        if path_fields else None,
        extractors=tuple(extractors),
        body_kind=body_kind,
        body_extractor=body_extractor,
        body_required=body_required,
        form_extractor=form_reads,
        steps=steps,
        has_generators=has_generators(steps),
        needs_cookies=bool(graph.fields.get(Location.cookie)),
        serialize=output.serialize,
        encode=output.encode,
        status_code=route.status_code,
        response_class=_value(route.response_class),
        media_type=b"application/json",
        headers=(),
        strict_content_type=bool(_value(route.strict_content_type)),
        endpoint_ctx=context,
        max_body_size=getattr(route, "max_body_size", None),
        form_limits=getattr(route, "form_limits", None),
        stream=output.mode,
        stream_item=output.stream_item,
    )


def check_declaration(route: Any, dependant: Dependant) -> None:
    """Refuse, when the route is declared, what compiling it would refuse and FastAPI refuses at declaration:
    response models, dependency scopes, a form without python-multipart, parameter types and constraints Pydantic
    cannot build a validator for. The plan itself is compiled on the route's first use.

    NOTE: it raises where `compile_route` would, not always the same error: the caller compiles the route at once
    when this raises, so that the error is the one compiling gives.
    """
    if hasattr(route, "response_class"):  # NOTE: a WebSocket route has no response to check
        check_response_models(route.response_model, route.responses)
        item = getattr(route, "stream_item_type", None)
        if item is not None:
            serialize.response_adapter(item)
    pending = [dependant]
    while pending:
        node = pending.pop()
        _check_scopes(node)
        for param in [*node.location_params(), *node.body_params]:
            if param.location is Location.form:
                forms.require_multipart()
            validate.check_parameter(param.annotation, param.field_info)
        pending += node.dependencies


def check_response_model(model: Any) -> None:
    """Raise FastAPI's error for a response model Pydantic cannot build an adapter for (at declaration)."""
    if not validate.always_valid(model):  # PERF: a complete Pydantic model (or a scalar) always makes one
        serialize.response_adapter(model)


def check_response_models(response_model: Any, responses: dict[Any, Any] | None) -> None:
    """Reject, at declaration, response models FastAPI refuses: pydantic.v1 models anywhere, and `responses={...}`
    entries that are not dicts, give a model to a status without a body, or name a type Pydantic cannot handle."""
    reject_v1_model(response_model)
    for status, response in (responses or {}).items():
        if not isinstance(response, dict):
            raise DeclarationError("An additional response must be a dict")
        model = response.get("model")
        if not model:
            continue
        if not is_body_allowed_for_status_code(status):
            raise DeclarationError(f"Status code {status} must not have a response body")
        reject_v1_model(model)
        serialize.response_adapter(model)  # NOTE: raises FastAPIError for a type Pydantic cannot handle


@dataclass(frozen=True, slots=True)
class _Output:
    """How a route turns its endpoint's result into a response body."""

    serialize: Callable[[Any], bytes] | None  # straight to JSON bytes (default response class)
    encode: Callable[[Any], Any]  # to JSON-able Python, for a custom response class
    mode: str | None  # a streaming mode for generator endpoints (see `_stream_mode`)
    stream_item: Callable[[Any], bytes] | None


def has_generators(steps: Sequence[DepStep]) -> bool:
    """Whether the plan runs inside exit stacks: it has a `yield` step.

    PERF: an event stream needs none of its own (it closes its generator itself), so an SSE route without a
    `yield` dependency opens no exit stack per request."""
    return any(step.is_generator for step in steps)


def _output(route: Any, context: dict[str, Any]) -> _Output:
    response_class = route.response_class
    default_class = _is_default(response_class)
    options = serialize.ResponseOptions(
        include=route.response_model_include, exclude=route.response_model_exclude,
        by_alias=route.response_model_by_alias, exclude_unset=route.response_model_exclude_unset,
        exclude_defaults=route.response_model_exclude_defaults, exclude_none=route.response_model_exclude_none,
    )
    mode = _stream_mode(route)
    if mode is not None:
        typed = getattr(route, "stream_item_type", None)
        item = stream.item_serializer(
            serialize.build_model_serializer(typed, options, context, to_json=True) if typed is not None else None
        )
        return _Output(None, jsonable_encoder, mode, stream.sse_item_serializer(item) if mode == "sse" else item)
    model = route.response_model
    if model is not None and default_class:
        return _Output(serialize.build_model_serializer(model, options, context, to_json=True), jsonable_encoder,
                       None, None)
    if model is not None:
        return _Output(None, serialize.build_model_serializer(model, options, context, to_json=False), None, None)
    if default_class and _value(response_class) is _json_response_class():
        return _Output(serialize.encode_plain, jsonable_encoder, None, None)
    return _Output(None, jsonable_encoder, None, None)


def _stream_mode(route: Any) -> str | None:
    """How a generator endpoint streams: SSE, JSON Lines (default class) or raw chunks (explicit class)."""
    if not is_generator_callable(route.endpoint):
        return None
    response_class = route.response_class
    if _is_default(response_class):
        return "jsonl"
    if isinstance(response_class, type) and issubclass(response_class, EventSourceResponse):
        return "sse"
    return "raw"


def _start_generator(step: DepStep) -> DepStep:
    """The endpoint step of a generator endpoint only creates the generator; iterating it is the stream's job."""
    generator_function = step.call

    async def start(**kwargs: Any) -> Any:
        return generator_function(**kwargs)

    return dataclasses.replace(step, call=start, is_async=True, is_generator=False)


#: the method a dependency's class defines to offer a check without a Context (see DepStep.native): called at startup
#: as `method(dependency, route)`, it returns the check for that route, or None when the dependency needs its usual
#: arguments after all
NATIVE_STEP = "__vivace_native_step__"


def with_natives(steps: tuple[DepStep, ...], route: Any) -> tuple[DepStep, ...]:
    """An HTTP route's steps with the native checks their dependencies offer for `route` (bound to it: a copy of the
    route that borrows its source's steps binds them again)."""
    return (*(_with_native(step, route) for step in steps[:-1]), steps[-1])


def _with_native(step: DepStep, route: Any) -> DepStep:
    """`step` with the native check its callable offers for `route`, if any."""
    # NOTE: looked up on the type, so that objects answering every attribute (mocks) offer nothing
    factory = getattr(type(step.call), NATIVE_STEP, None)
    if factory is None or step.is_generator or step.app_scoped or step.limiter is not None:
        return step
    native = factory(step.call, route)
    return step if native is None else dataclasses.replace(step, native=native)


def _json_response_class() -> Any:
    return JSONResponse


class _WebSocketRouteView:
    """The response-related attributes compile_route reads, with the neutral values a WebSocket route has."""

    response_class: Any = None
    response_model = None
    status_code = None
    response_model_include = response_model_exclude = None
    response_model_by_alias = True
    response_model_exclude_unset = response_model_exclude_defaults = response_model_exclude_none = False
    strict_content_type = True

    def __init__(self, route: Any) -> None:
        self.path = route.path
        self.path_format = route.path_format
        self.name = route.name
        self.endpoint = route.endpoint
        self.dependencies = route.dependencies
        self.methods = {"WEBSOCKET"}
