"""Helpers over fields that extensions import from `fastapi._compat`: copies, body models, missing errors."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from copy import copy
from typing import Any, ForwardRef, get_origin

from pydantic import BaseModel, ConfigDict, create_model
from pydantic.fields import FieldInfo

from vivace import params
from vivace._compat.shared import (
    _members,
    field_annotation_is_scalar,
    field_annotation_is_scalar_sequence,
    field_annotation_is_sequence,
    is_bytes_or_nonable_bytes_annotation,
    is_bytes_sequence_annotation,
)
from vivace._compat.v2 import FieldBehaviour, ModelField

__all__ = [
    "copy_field_info",
    "create_body_model",
    "evaluate_forwardref",
    "get_cached_model_fields",
    "get_missing_field_error",
    "is_bytes_field",
    "is_bytes_sequence_field",
    "is_scalar_field",
    "is_scalar_sequence_field",
    "serialize_sequence_value",
]

_MODEL_FIELDS: dict[type[BaseModel], list[ModelField]] = {}


def _body_declared(field: FieldBehaviour) -> bool:
    return isinstance(field.field_info, params.Body)


def is_scalar_field(field: FieldBehaviour) -> bool:
    """A scalar declared outside the body: a path, query, header or cookie value."""
    return field_annotation_is_scalar(field.type_) and not _body_declared(field)


def is_scalar_sequence_field(field: FieldBehaviour) -> bool:
    return field_annotation_is_scalar_sequence(field.type_)


def is_bytes_field(field: FieldBehaviour) -> bool:
    return is_bytes_or_nonable_bytes_annotation(field.type_)


def is_bytes_sequence_field(field: FieldBehaviour) -> bool:
    return is_bytes_sequence_annotation(field.type_)


def copy_field_info(*, field_info: FieldInfo, annotation: Any) -> FieldInfo:
    """A copy of `field_info` describing `annotation` (the original is left untouched)."""
    copied = copy(field_info)
    copied.annotation = annotation
    return copied


def get_missing_field_error(loc: tuple[int | str, ...]) -> dict[str, Any]:
    """The error entry of a required value that was not sent."""
    return {"type": "missing", "loc": loc, "msg": "Field required", "input": None}


def create_body_model(
    *, fields: Sequence[FieldBehaviour], model_name: str, config: ConfigDict | None = None
) -> type[BaseModel]:
    """A model with one field per body parameter (keyed by Python name, read by alias): the embedded body."""
    definitions: dict[str, Any] = {field.name: (field.type_, field.field_info) for field in fields}
    model: type[BaseModel] = create_model(model_name, __config__=config, **definitions)
    return model


def get_cached_model_fields(model: type[BaseModel]) -> list[ModelField]:
    """The fields of a model as `ModelField`s (built once per model)."""
    found = _MODEL_FIELDS.get(model)
    if found is None:
        found = [
            ModelField(field_info=info, name=name, mode="validation", config=model.model_config)
            for name, info in model.model_fields.items()
        ]
        _MODEL_FIELDS[model] = found
    return found


def serialize_sequence_value(*, field: FieldBehaviour, value: Any) -> Sequence[Any]:
    """`value` (a list of form or query values) in the container type the field declares."""
    for member in _members(field.type_):
        if field_annotation_is_sequence(member):
            container = get_origin(member) or member
            if container in (list, tuple, set, frozenset, deque):
                return container(value)  # type: ignore[no-any-return]
    return list(value)


def evaluate_forwardref(
    value: Any, globalns: dict[str, Any] | None = None, localns: dict[str, Any] | None = None
) -> Any:
    """The object a string or `ForwardRef` names, looked up in the given namespaces; the input when unknown."""
    name = value.__forward_arg__ if isinstance(value, ForwardRef) else value
    if not isinstance(name, str):
        return value
    try:
        return eval(name, globalns or {}, localns or {})
    except NameError:
        return value
