"""WebSocket and Server-Sent Events routes as AsyncAPI channels.

- A WebSocket route is a channel whose messages come from `@messages(sends=..., receives=...)` on its endpoint
  (a WebSocket endpoint's signature says nothing about them); it has a `ws` binding with its query parameters
  and headers.
- An SSE route (a generator endpoint with `response_class=EventSourceResponse`) is a channel the application
  sends on: one message per item type; a `ServerSentEvent` subclass gives its `data` field's type as the payload
  and its `event` default as the message's name.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Sequence
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import TypeAdapter
from starlette.routing import BaseRoute

from vivace._core.compile import is_generator_callable
from vivace._core.signature import Dependant, ParamField, get_typed_signature
from vivace._core.stream import stream_item_type
from vivace.asyncapi._spec import ChannelSpec, MessageSpec, declared_messages
from vivace.datastructures import DefaultPlaceholder
from vivace.routing import APIRoute, APIWebSocketRoute
from vivace.sse import EventSourceResponse, ServerSentEvent

__all__ = ["route_channels"]

_UNSAFE = re.compile(r"[^\w.\-]")


def route_channels(routes: Sequence[BaseRoute]) -> Iterator[ChannelSpec]:
    """A channel per WebSocket route and per SSE route, in route order (others are left out)."""
    for route in routes:
        if isinstance(route, APIWebSocketRoute):
            yield _websocket_channel(route)
        elif isinstance(route, APIRoute) and route.include_in_schema and _is_sse(route):
            yield _sse_channel(route)


def _key(route: APIRoute | APIWebSocketRoute) -> str:
    return _UNSAFE.sub("_", route.name) or "channel"


def _parameters(route: APIRoute | APIWebSocketRoute) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for param in _params(route.dependant, "path"):
        entry: dict[str, Any] = {}
        if param.field_info.description:
            entry["description"] = param.field_info.description
        found[param.alias] = entry
    for name in route.path_param_names:  # NOTE: a path parameter no function reads is still in the address
        found.setdefault(name, {})
    return found


def _params(root: Dependant, location: str) -> list[ParamField]:
    found: list[ParamField] = []
    stack = [root]
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        for param in getattr(node, f"{location}_params"):
            if param.alias not in seen:
                seen.add(param.alias)
                found.append(param)
        stack.extend(reversed(node.dependencies))
    return found


def _object_schema(params: list[ParamField]) -> dict[str, Any] | None:
    if not params:
        return None
    properties = {}
    required = []
    for param in params:
        schema = TypeAdapter(param.annotation).json_schema()
        schema.pop("$defs", None)
        if param.field_info.description:
            schema["description"] = param.field_info.description
        properties[param.alias] = schema
        if param.required:
            required.append(param.alias)
    combined: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        combined["required"] = required
    return combined


def _websocket_channel(route: APIWebSocketRoute) -> ChannelSpec:
    declared = declared_messages(route.endpoint)
    sends, receives, description = declared if declared is not None else ((), (), None)
    binding: dict[str, Any] = {"method": "GET"}
    for location, name in (("query", "query"), ("header", "headers")):
        schema = _object_schema(_params(route.dependant, location))
        if schema is not None:
            binding[name] = schema
    binding["bindingVersion"] = "0.1.0"
    return ChannelSpec(
        key=_key(route), address=route.path_format, sends=sends, receives=receives,
        description=description or _docstring(route.endpoint), parameters=_parameters(route),
        bindings={"ws": binding},
    )


def _docstring(endpoint: Any) -> str | None:
    doc = inspect.cleandoc(getattr(endpoint, "__doc__", None) or "")
    return doc.split("\f")[0].strip() or None


def _response_class(route: APIRoute) -> Any:
    value = route.response_class
    return value.value if isinstance(value, DefaultPlaceholder) else value


def _is_sse(route: APIRoute) -> bool:
    response_class = _response_class(route)
    is_event_source = isinstance(response_class, type) and issubclass(response_class, EventSourceResponse)
    return is_event_source and is_generator_callable(route.endpoint)


def _sse_messages(route: APIRoute) -> tuple[MessageSpec, ...]:
    annotation = get_typed_signature(route.endpoint).return_annotation
    item = stream_item_type(annotation)
    if item is None or item is Any:
        return (MessageSpec(Any),)
    items = get_args(item) if _is_union(item) else (item,)
    return tuple(_sse_message(each) for each in items)


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, UnionType)


def _sse_message(item: Any) -> MessageSpec:
    if not (isinstance(item, type) and issubclass(item, ServerSentEvent)):
        return MessageSpec(item)
    data = item.model_fields["data"]
    event = item.model_fields["event"].default
    name = event if isinstance(event, str) else None
    title = item.__name__ if item is not ServerSentEvent else None
    return MessageSpec(data.annotation if data.annotation is not None else Any, name=name, title=title,
                       description=_docstring(item) if item is not ServerSentEvent else None)


def _sse_channel(route: APIRoute) -> ChannelSpec:
    declared = declared_messages(route.endpoint)
    sends = declared[0] if declared is not None and declared[0] else _sse_messages(route)
    description = (declared[2] if declared is not None else None) or route.description
    method = sorted(route.methods)[0]
    return ChannelSpec(
        key=_key(route), address=route.path_format, sends=sends, summary=route.summary, description=description,
        parameters=_parameters(route), operation_bindings={"http": {"method": method, "bindingVersion": "0.3.0"}},
    )
