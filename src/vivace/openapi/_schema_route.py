"""What the OpenAPI generator reads from one route: its flattened parameters, security, body and responses.

FastAPI computes these when a route is declared (`route.body_field`, `route.response_field`, ...); vivace's routes
only keep the analysed `Dependant`, so this module derives the same values from it, once per route object, and
keeps them while the route lives (the definitions pass and the path pass must see the very same field objects).
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from copy import copy
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

from pydantic import AliasChoices, BaseModel, Json, create_model
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from vivace import params
from vivace._core.compile import effective_scope, is_generator_callable
from vivace._core.signature import Dependant, ParamField, Special
from vivace._core.stream import stream_item_type
from vivace.datastructures import DefaultPlaceholder
from vivace.openapi._dependency_responses import dependency_response_models
from vivace.openapi._schema_fields import SchemaField, model_fields
from vivace.openapi._schema_forms import (
    form_body_model,
    form_models,
    has_nullable_form_model,
    param_aliases,
    single_model,
)
from vivace.security.base import SecurityBase

__all__ = ["ParamEntry", "RouteSchema", "route_schema", "security_scheme_of"]


@dataclass
class ParamEntry:
    """One documented request parameter: its schema field, the name clients send, and where it goes."""

    field: SchemaField
    alias: str
    request_name: str
    location: str
    required: bool
    #: declared with include_in_schema=False: validated, so it still counts for the 422 response, but not listed
    hidden: bool = False


@dataclass
class RouteSchema:
    """Everything about one route that the document needs, derived once."""

    parameters: list[ParamEntry] = field(default_factory=list)
    security: list[tuple[Dependant, list[str]]] = field(default_factory=list)
    body_field: SchemaField | None = None
    response_field: SchemaField | None = None
    response_fields: dict[int | str, SchemaField] = field(default_factory=dict)
    #: the models of the responses its dependencies declare (`vivace.declared_errors`), by document key
    dependency_fields: dict[str, SchemaField] = field(default_factory=dict)
    stream: str | None = None  # "jsonl" or "sse" for generator endpoints
    stream_item_field: SchemaField | None = None
    response_class: Any = None  # the route's response class, its DefaultPlaceholder unwrapped

    @property
    def parameter_fields(self) -> list[SchemaField]:
        """Every flattened parameter, hidden ones included (they still need a schema and a 422)."""
        return [entry.field for entry in self.parameters]

    def response_side_fields(self) -> list[SchemaField]:
        """The route's response model, its `responses={...}` models, then its stream item type."""
        fields = [self.response_field] if self.response_field is not None else []
        fields.extend(self.response_fields.values())
        fields.extend(self.dependency_fields.values())
        if self.stream_item_field is not None:
            fields.append(self.stream_item_field)
        return fields


_CACHE: dict[int, tuple[weakref.ref[Any], RouteSchema]] = {}


def route_schema(route: Any) -> RouteSchema:
    """The (cached) `RouteSchema` of an `APIRoute`."""
    key = id(route)
    entry = _CACHE.get(key)
    if entry is not None and entry[0]() is route:
        return entry[1]
    built = _build(route)
    def forget(_ref: weakref.ref[Any]) -> None:
        _CACHE.pop(key, None)

    _CACHE[key] = (weakref.ref(route, forget), built)
    return built


def _build(route: Any) -> RouteSchema:
    result = RouteSchema()
    dependant: Dependant = route.dependant
    locations, result.security = _flatten(dependant)
    for location in ("path", "query", "header", "cookie"):
        for param in locations[location]:
            result.parameters.extend(_param_entries(param, location, route.path_format))
    result.body_field = _body_field(_body_params(dependant), route.unique_id)
    result.response_class = _response_class(route)
    _response_fields(route, result.response_class, result)
    return result


def _response_class(route: Any) -> Any:
    value = route.response_class
    return value.value if isinstance(value, DefaultPlaceholder) else value


# -- dependency flattening ---------------------------------------------------------------------------------


def _call_of(node: Dependant) -> Any:
    call = node.original_call if node.original_call is not None else node.call
    while isinstance(call, partial):
        call = call.func
    return inspect.unwrap(call) if inspect.isroutine(call) else call


def security_scheme_of(node: Dependant) -> SecurityBase | None:
    call = _call_of(node)
    return call if isinstance(call, SecurityBase) else None


def _uses_scopes(node: Dependant, memo: dict[int, bool]) -> bool:
    known = memo.get(id(node))
    if known is not None:
        return known
    result = (
        bool(node.own_scopes)
        or Special.security_scopes in node.specials.values()
        or security_scheme_of(node) is not None
        or any(_uses_scopes(sub, memo) for sub in node.dependencies)
    )
    memo[id(node)] = result
    return result


def _dedup_key(node: Dependant, memo: dict[int, bool]) -> tuple[Any, ...]:
    # NOTE: the same key FastAPI de-duplicates dependencies with in the document: the callable, its scopes
    # (only when it looks at scopes at all) and its scope ("request" for generator dependencies).
    scopes = tuple(sorted(set(node.security_scopes))) if _uses_scopes(node, memo) else ()
    return (node.call, scopes, effective_scope(node))


def _flatten(root: Dependant) -> tuple[dict[str, list[ParamField]], list[tuple[Dependant, list[str]]]]:
    """Parameters of every distinct dependency (depth first, a node before its dependencies) and the security
    schemes met on the way, each with the OAuth2 scopes required along its path."""
    locations: dict[str, list[ParamField]] = {"path": [], "query": [], "header": [], "cookie": []}
    security: list[tuple[Dependant, list[str]]] = []
    seen: list[tuple[Any, ...]] = []
    memo: dict[int, bool] = {}
    stack: list[tuple[Dependant, list[str], bool]] = [(root, [], True)]
    while stack:
        node, parent_scopes, is_root = stack.pop()
        key = _dedup_key(node, memo)
        if key in seen:
            continue
        seen.append(key)
        locations["path"].extend(node.path_params)
        locations["query"].extend(node.query_params)
        locations["header"].extend(node.header_params)
        locations["cookie"].extend(node.cookie_params)
        scopes = [*parent_scopes]
        scopes.extend(s for s in dict.fromkeys(node.security_scopes) if s not in scopes)
        if not is_root and security_scheme_of(node) is not None:
            security.append((node, scopes))
        stack.extend((sub, scopes, False) for sub in reversed(node.dependencies))
    return locations, security


def _body_params(root: Dependant) -> list[ParamField]:
    """Every body/form parameter of the tree, a node before its dependencies, repeats included."""
    return [*root.body_params, *(param for sub in root.dependencies for param in _body_params(sub))]


# -- parameters --------------------------------------------------------------------------------------------


def _is_json(info: FieldInfo) -> bool:
    return any(type(item) is Json for item in info.metadata)


def _param_model(param: ParamField) -> type[BaseModel] | None:
    """The model of a query/header/cookie parameter model (`Annotated[Filters, Query()]`), if it is one."""
    annotation = param.annotation
    if isinstance(param.field_info, params.Query | params.Header | params.Cookie):
        annotation = single_model(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and not _is_json(param.field_info):
        return annotation
    return None


def _direct_alias(param: ParamField, path_format: str) -> str:
    """The name a plain parameter is documented under: its validation alias, else its (header-converted) alias."""
    choices = param.field_info.validation_alias
    if isinstance(choices, AliasChoices) and all(isinstance(c, str) for c in choices.choices):
        names = [cast(str, c) for c in choices.choices]
        if isinstance(param.field_info, params.Path):
            # NOTE: a path parameter is documented under whichever choice the path template uses.
            return next((n for n in names if "{" + n + "}" in path_format), param.alias)
        return names[0]
    if isinstance(choices, str) and choices:
        return choices
    return param.alias


def _param_entries(param: ParamField, location: str, path_format: str) -> list[ParamEntry]:
    info = param.field_info
    hidden = not getattr(info, "include_in_schema", True)
    model = _param_model(param)
    if model is None:
        item = SchemaField(param.name, info, annotation=param.annotation)
        alias = _direct_alias(param, path_format)
        return [ParamEntry(item, alias, alias, location, info.is_required(), hidden)]
    optional = param.annotation is not model and not info.is_required()
    convert = location == "header" and getattr(info, "convert_underscores", True)
    entries = []
    for item in model_fields(model):
        alias, request_name = param_aliases(item.name, item.field_info, item.config, convert_underscores=convert)[0]
        entries.append(
            ParamEntry(item, alias, request_name, location, item.field_info.is_required() and not optional, hidden)
        )
    return entries


# -- request body ------------------------------------------------------------------------------------------


def _embed(body: list[ParamField]) -> bool:
    """Whether the body is an object keyed by parameter names (several parameters, embed=True, or a form)."""
    if not body:
        return False
    if len({p.name for p in body}) > 1:
        return True
    first = body[0]
    first_models = form_models(first)
    if first_models and any(not form_models(p) or p.annotation is not first.annotation for p in body[1:]):
        return True
    if not isinstance(first.field_info, params.Form) and getattr(first.field_info, "embed", None):
        return True
    return isinstance(first.field_info, params.Form) and not first_models


def _body_field(body: list[ParamField], unique_id: str) -> SchemaField | None:
    if not body:
        return None
    first = body[0]
    embed = _embed(body)
    if not embed and not has_nullable_form_model(body):
        return SchemaField(first.name, first.field_info, annotation=first.annotation)
    name = f"Body_{unique_id}"
    if any(form_models(p) for p in body):
        model = form_body_model(body, name)
    else:
        model = create_model(name, **{p.name: (p.annotation, p.field_info) for p in body})  # type: ignore[call-overload]
    if not embed:
        # NOTE: a lone optional form model: the parameter's declaration, describing the generated model.
        info = copy(first.field_info)
        info.metadata = []
        info.discriminator = None
        return SchemaField(first.name, info, annotation=model)
    required = any(p.field_info.is_required() for p in body)
    kind, media_type = _body_kind(body)
    options: dict[str, Any] = {"alias": "body"}
    if media_type is not None:
        options["media_type"] = media_type
    info = kind(PydanticUndefined if required else None, **options)
    return SchemaField("body", info, annotation=model)


def _body_kind(body: list[ParamField]) -> tuple[Callable[..., params.Body], str | None]:
    """The declaration class of a merged body (File > Form > Body) and its media type when one is implied."""
    if any(isinstance(p.field_info, params.File) for p in body):
        return params.File, None
    kind: type[params.Body] = params.Form if any(isinstance(p.field_info, params.Form) for p in body) else params.Body
    media_types = [p.field_info.media_type for p in body if isinstance(p.field_info, kind)]
    if kind is params.Form and "multipart/form-data" in media_types:
        return kind, "multipart/form-data"
    if len(set(media_types)) == 1:
        return kind, media_types[0]
    return kind, None


# -- responses ---------------------------------------------------------------------------------------------


def _is_event_source(response_class: Any) -> bool:
    return isinstance(response_class, type) and any(
        cls.__name__ == "EventSourceResponse" for cls in response_class.__mro__
    )


def _response_fields(route: Any, response_class: Any, result: RouteSchema) -> None:
    response_model = route.response_model
    if is_generator_callable(route.endpoint):
        default_class = isinstance(route.response_class, DefaultPlaceholder)
        if default_class:
            result.stream = "jsonl"
        elif _is_event_source(response_class):
            result.stream = "sse"
        # NOTE: a route that records its stream item type (as FastAPI's does) is trusted; otherwise the item
        # type is read from a stream annotation (`AsyncIterable[Item]`) left in `response_model`.
        item = getattr(route, "stream_item_type", None)
        if item is None:
            item = stream_item_type(response_model)
            if item is not None:
                response_model = None
        if item is not None and result.stream is not None and not _is_server_sent_event(item):
            result.stream_item_field = _serialization_field("StreamItem_" + route.unique_id, item)
    if response_model:
        result.response_field = _serialization_field("Response_" + route.unique_id, response_model)
    for status, response in (route.responses or {}).items():
        model = response.get("model") if isinstance(response, dict) else None
        if model:
            result.response_fields[status] = _serialization_field(f"Response_{status}_{route.unique_id}", model)
    for key, model in dependency_response_models(route.dependant).items():
        result.dependency_fields[key] = _serialization_field(f"Declared_{key}_{route.unique_id}", model)


def _is_server_sent_event(item: Any) -> bool:
    return isinstance(item, type) and any(cls.__name__ == "ServerSentEvent" for cls in item.__mro__)


def _serialization_field(name: str, annotation: Any) -> SchemaField:
    return SchemaField(name, FieldInfo(annotation=annotation), mode="serialization")
