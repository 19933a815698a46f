"""`request_params_to_args`: validate path, query, header and cookie values field by field.

vivace's pipeline validates a whole location in one Pydantic call; these functions exist for extensions that
solve a dependant themselves, and validate one field at a time with the field's own adapter, reporting
errors with the same `loc` and missing-value entries as the pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from vivace._compat.fields import get_missing_field_error
from vivace._compat.shared import (
    field_annotation_is_sequence,
)
from vivace._compat.v2 import FieldBehaviour
from vivace.dependencies._fields import location_of, lookup_name, model_of, reads_many

__all__ = ["request_params_to_args"]

Errors = list[dict[str, Any]]
_MISSING = object()


def _read(source: Any, key: str, many: bool) -> Any:
    """The value(s) under `key`, or `_MISSING` (an empty list counts as missing)."""
    if many and hasattr(source, "getlist"):
        values = source.getlist(key)
        return values if values else _MISSING
    value = source.get(key, _MISSING) if isinstance(source, Mapping) or hasattr(source, "get") else _MISSING
    return _MISSING if value is None else value


def _model_data(model: type[BaseModel], source: Any, header: bool) -> tuple[dict[str, Any], bool]:
    """The values a parameter model's fields name, plus any other keys (so `extra="forbid"` can reject them),
    and whether any of the model's own keys was present."""
    data: dict[str, Any] = {}
    seen: set[str] = set()
    for name, info in model.model_fields.items():
        key = info.alias or name
        if header and key == name:
            key = name.replace("_", "-")
        seen.add(key)
        many = hasattr(source, "getlist") and _is_sequence_info(info)
        value = _read(source, key, many)
        if value is not _MISSING:
            data[info.alias or name] = value
    present = bool(data)
    for key in list(source.keys()) if hasattr(source, "keys") else []:
        if key not in seen and key not in data:
            found = source.getlist(key) if hasattr(source, "getlist") else [source[key]]
            data[key] = found[0] if len(found) == 1 else found
    return data, present


def _is_sequence_info(info: Any) -> bool:
    return field_annotation_is_sequence(info.annotation)


def _default_of(field: FieldBehaviour, loc: tuple[str, ...], errors: Errors) -> tuple[bool, Any]:
    """(has value, value) for an absent field: its default (validated when it asks to be), or an error."""
    if field.required:
        errors.append(get_missing_field_error(loc))
        return False, None
    default = field.get_default()
    if field.field_info.validate_default:
        value, found = field.validate(default, loc=loc)
        errors.extend(found)
        return not found, value
    return True, default


def request_params_to_args(fields: Sequence[FieldBehaviour], received_params: Any) -> tuple[dict[str, Any], Errors]:
    """Validate path, query, header or cookie fields from `received_params` (QueryParams, Headers, a dict).

    Returns the values by Python name and the errors, each `loc` starting with the field's location.
    """
    values: dict[str, Any] = {}
    errors: Errors = []
    for field in fields:
        location = location_of(field)
        model = model_of(field)
        if model is not None:
            data, present = _model_data(model, received_params, location == "header")
            if not present and not field.required:
                values[field.name] = field.get_default()  # NOTE: an optional model none of whose keys was sent
                continue
            value, found = field.validate(data, values, loc=(location,))
        else:
            key = lookup_name(field)
            raw = _read(received_params, key, reads_many(field))
            if raw is _MISSING:
                present, value = _default_of(field, (location, key), errors)
                if present:
                    values[field.name] = value
                continue
            value, found = field.validate(raw, values, loc=(location, key))
        if found:
            errors.extend(found)
        else:
            values[field.name] = value
    return values, errors
