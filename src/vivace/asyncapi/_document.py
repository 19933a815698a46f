"""The AsyncAPI 3.0 document of a list of channel specs: `build_document`.

Payload schemas come from Pydantic in one pass (`TypeAdapter.json_schemas`), so a model used by several messages
is one entry of `components.schemas`; each distinct payload is one entry of `components.messages`, which
channels list and operations point to. The application's side is the one described: a WebSocket endpoint's
`receives` are `receive` operations, its `sends` and an SSE stream's events are `send` operations.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import JsonSchemaMode

from vivace.asyncapi._spec import ChannelSpec, MessageSpec

__all__ = ["ASYNCAPI_VERSION", "build_document"]

ASYNCAPI_VERSION = "3.0.0"
_REF = "#/components/schemas/{model}"
_UNSAFE = re.compile(r"[^\w.\-]")


def _unique(name: str, taken: set[str] | dict[str, Any]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate = f"{name}{number}"
        number += 1
    return candidate


def _type_name(payload: Any) -> str | None:
    return payload.__name__ if isinstance(payload, type) and issubclass(payload, BaseModel) else None


class _Messages:
    """The document's `components.messages`: one entry per distinct (payload, name, title) message."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[MessageSpec, JsonSchemaMode]] = {}
        self._keys: dict[tuple[Any, ...], str] = {}

    def key_of(self, spec: MessageSpec, mode: JsonSchemaMode, fallback: str) -> str:
        # NOTE: one message for both directions of a payload: its schema is the first use's (the two modes give
        # the same schema unless the model has computed fields or serializers)
        identity = (_hashable(spec.payload), spec.name, spec.title, spec.content_type)
        known = self._keys.get(identity)
        if known is not None:
            return known
        base = spec.title or _type_name(spec.payload) or spec.name or fallback
        key = _unique(_UNSAFE.sub("_", base), self.entries)
        self._keys[identity] = key
        self.entries[key] = (spec, mode)
        return key


def _hashable(payload: Any) -> Any:
    try:
        hash(payload)
    except TypeError:
        return repr(payload)
    return payload


def _schemas(messages: _Messages) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The payload schema of each message, and the shared definitions, from one Pydantic pass."""
    inputs = [(key, mode, TypeAdapter(spec.payload)) for key, (spec, mode) in messages.entries.items()]
    if not inputs:
        return {}, {}
    mapping, definitions = TypeAdapter.json_schemas(inputs, ref_template=_REF)
    payloads = {key: mapping[(key, mode)] for key, mode, _ in inputs}
    return payloads, dict(definitions.get("$defs", {}))


def _message_object(key: str, spec: MessageSpec, payload: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"name": spec.name or key, "contentType": spec.content_type, "payload": payload}
    return {**message, **_texts(spec)}


def _texts(spec: MessageSpec | ChannelSpec) -> dict[str, str]:
    """The title, summary and description that are set."""
    texts = {"title": spec.title, "summary": spec.summary, "description": spec.description}
    return {field: value for field, value in texts.items() if value}


def _channel_object(spec: ChannelSpec, keys: list[str]) -> dict[str, Any]:
    channel: dict[str, Any] = {"address": spec.address, **_texts(spec)}
    channel["messages"] = {key: {"$ref": f"#/components/messages/{key}"} for key in keys}
    if spec.parameters:
        channel["parameters"] = spec.parameters
    if spec.bindings:
        channel["bindings"] = spec.bindings
    return channel


def _operation(channel_key: str, spec: ChannelSpec, action: str, keys: list[str]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel_key}"},
        "messages": [{"$ref": f"#/channels/{channel_key}/messages/{key}"} for key in keys],
    }
    if spec.operation_bindings:
        operation["bindings"] = spec.operation_bindings
    return operation


def build_document(
    channels: Sequence[ChannelSpec], *, title: str, version: str, description: str | None = None,
    servers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document describing `channels`, as a JSON-compatible dict."""
    messages = _Messages()
    written: dict[str, tuple[ChannelSpec, list[str], list[str]]] = {}
    for spec in channels:
        key = _unique(_UNSAFE.sub("_", spec.key) or "channel", written)
        sends = [messages.key_of(m, "serialization", f"{key}.sent") for m in spec.sends]
        receives = [messages.key_of(m, "validation", f"{key}.received") for m in spec.receives]
        written[key] = (spec, sends, receives)
    payloads, definitions = _schemas(messages)
    document: dict[str, Any] = {"asyncapi": ASYNCAPI_VERSION, "info": {"title": title, "version": version}}
    if description:
        document["info"]["description"] = description
    if servers:
        document["servers"] = servers
    document["defaultContentType"] = "application/json"
    document["channels"] = {
        key: _channel_object(spec, list(dict.fromkeys([*sends, *receives])))
        for key, (spec, sends, receives) in written.items()
    }
    operations: dict[str, Any] = {}
    for key, (spec, sends, receives) in written.items():
        for action, keys in (("send", sends), ("receive", receives)):
            if keys:
                operations[f"{key}.{action}"] = _operation(key, spec, action, list(dict.fromkeys(keys)))
    document["operations"] = operations
    components: dict[str, Any] = {}
    if definitions:
        components["schemas"] = {name: definitions[name] for name in sorted(definitions)}
    if messages.entries:
        components["messages"] = {
            key: _message_object(key, spec, payloads[key]) for key, (spec, _) in messages.entries.items()
        }
    if components:
        document["components"] = components
    return document
