"""`request_body_to_args`: validate body fields from a parsed body, one field at a time, as extensions call it.

A field takes its value in one of three ways:

* **the whole body** — the one plain `Body()` field of a body that is not embedded;
* **a form model read from a form** — a `Form()` field typed as a model (or a union of models) given `FormData`
  takes the form's keys as the model's data;
* **a key of the body** — every other field: the body (a dict, a form, anything with `.get`) is looked up
  under the field's names (each of its `AliasChoices` in turn). A missing key gives the default or a `missing`
  error; a body that cannot be looked up (a list, a string, `None`) leaves every field missing, default or not.

A body of raw bytes (one that was not parsed as JSON) or `PydanticUndefined` (no body at all) counts as empty:
every field that is looked up gets its default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, get_args

from pydantic import AliasChoices, BaseModel, ValidationError
from pydantic_core import PydanticUndefined
from starlette.datastructures import FormData, UploadFile

from vivace._compat.fields import get_cached_model_fields, get_missing_field_error
from vivace._compat.form_unions import accepted_names
from vivace._compat.sequences import _strip
from vivace._compat.shared import is_bytes_or_nonable_bytes_annotation, is_bytes_sequence_annotation
from vivace._compat.v2 import FieldBehaviour
from vivace._core.errors import reshape
from vivace.dependencies._fields import lookup_name, reads_many
from vivace.dependencies._forms import (
    _extract_form_body,
    _get_form_models,
    _is_form_model_supplied,
    _normalize_form_model,
    read_upload,
)

__all__ = ["request_body_to_args"]

Errors = list[dict[str, Any]]
Loc = tuple[int | str, ...]
_MISSING = object()
#: the body cannot be looked up by key (a list, a string, None): every field is reported missing
_UNREADABLE = object()


async def request_body_to_args(
    body_fields: Sequence[FieldBehaviour], received_body: Any, embed_body_fields: bool
) -> tuple[dict[str, Any], Errors]:
    """Validate body fields from a parsed body (a JSON value, `FormData`, raw bytes or `PydanticUndefined`).

    Returns the values by Python name and the errors, each `loc` starting with "body".
    """
    assert body_fields, "request_body_to_args() should be called with fields"
    values: dict[str, Any] = {}
    errors: Errors = []
    if _takes_whole_body(body_fields, embed_body_fields):
        _whole_body(body_fields[0], received_body, values, errors)
        return values, errors
    for field in body_fields:
        models = _get_form_models(field)
        if models and isinstance(received_body, FormData):
            await _form_model_from_form(field, models, received_body, values, errors)
        else:
            await _keyed_value(field, models, received_body, values, errors)
    return values, errors


def _takes_whole_body(fields: Sequence[FieldBehaviour], embed_body_fields: bool) -> bool:
    """One field that is not embedded (by the route or by `Body(embed=True)`; a form field always is)."""
    return len(fields) == 1 and not embed_body_fields and not getattr(fields[0].field_info, "embed", False)


def _whole_body(field: FieldBehaviour, body: Any, values: dict[str, Any], errors: Errors) -> None:
    """The body is the field's value; on failure the field still maps to None."""
    if body is PydanticUndefined and field.required:
        values[field.name] = None
        errors.append(get_missing_field_error(("body",)))
        return
    if isinstance(body, FormData):
        body = _form_as_dict(body)
    value, found = field.validate(body, values, loc=("body",))
    values[field.name] = value
    errors.extend(found)


def _form_as_dict(form: FormData) -> dict[str, Any]:
    """A form sent to a JSON body: each key's value, or its list of values when it was sent several times."""
    lists = {key: form.getlist(key) for key in form.keys()}  # noqa: SIM118 - a multi-dict's keys, in order
    return {key: values[0] if len(values) == 1 else values for key, values in lists.items()}


def _names(field: FieldBehaviour) -> list[str]:
    """The keys the field is looked up under, in order: each `AliasChoices` string, else its one name
    (a string validation alias before the alias).

    NOTE: read from `field_info`, not from the analysis: extensions copy a field with another alias set on a
    copy of its `FieldInfo` to have it looked up under another key.
    """
    info = field.field_info
    if isinstance(info.validation_alias, AliasChoices):
        return accepted_names(info, field.name) or [field.name]
    for alias in (info.validation_alias, info.alias):
        if isinstance(alias, str):
            return [alias]
    return [lookup_name(field)]


async def _keyed_value(
    field: FieldBehaviour, models: list[type[BaseModel]], body: Any, values: dict[str, Any], errors: Errors
) -> None:
    names = _names(field)
    name, raw = await _lookup(field, body, names)
    if raw is _UNREADABLE or (raw is _MISSING and field.required):
        errors.append(get_missing_field_error(("body", names[0])))
        return
    if raw is _MISSING:
        _default(field, ("body", names[0]), values, errors)
        return
    loc = ("body", name)
    if len(models) > 1:
        value, found = _validate_union(field, models, lambda model: _normalize_form_model(raw, model=model), loc)
    else:
        value, found = field.validate(raw, values, loc=loc)
    if found:
        errors.extend(found)
    else:
        values[field.name] = value


async def _lookup(field: FieldBehaviour, body: Any, names: list[str]) -> tuple[str, Any]:
    """(name found under, value), `_MISSING` when no name is present, `_UNREADABLE` when nothing can be."""
    if body is PydanticUndefined or isinstance(body, bytes):
        return names[0], _MISSING
    if not hasattr(body, "get"):
        return names[0], _UNREADABLE
    for name in names:
        raw = await _form_value(field, body, name) if isinstance(body, FormData) else body.get(name, _MISSING)
        if raw is not _MISSING:
            return name, raw
    return names[0], _MISSING


async def _form_value(field: FieldBehaviour, form: FormData, key: str) -> Any:
    """A form field's value: every value for a sequence, file contents for `bytes`; "" counts as missing."""
    many = reads_many(field)
    raw: Any = [v for v in form.getlist(key) if v != ""] if many else form.get(key)
    if raw in (None, "", []):
        return _MISSING
    if is_bytes_sequence_annotation(field.type_):
        return [await read_upload(item) if isinstance(item, UploadFile) else item for item in raw]
    if isinstance(raw, UploadFile) and is_bytes_or_nonable_bytes_annotation(field.type_):
        return await read_upload(raw)
    return raw


def _default(field: FieldBehaviour, loc: Loc, values: dict[str, Any], errors: Errors) -> None:
    """An absent optional field: its default, validated when the field asks for it."""
    default = field.get_default()
    if field.field_info.validate_default:
        default, found = field.validate(default, loc=loc)
        if found:
            errors.extend(found)
            return
    values[field.name] = default


async def _form_model_from_form(
    field: FieldBehaviour, models: list[type[BaseModel]], form: FormData, values: dict[str, Any], errors: Errors
) -> None:
    """A form model (or union of them) from the form's keys; an optional one the form names no field of is None."""
    if not field.required and not any(_is_form_model_supplied(model, form) for model in models):
        _default(field, ("body",), values, errors)
        return
    data = {model: await _form_model_data(model, form) for model in models}
    if len(models) > 1:
        value, found = _validate_union(field, models, data.__getitem__, ("body",))
    else:
        value, found = field.validate(data[models[0]], values, loc=("body",))
    if found:
        errors.extend(found)
    else:
        values[field.name] = value


async def _form_model_data(model: type[BaseModel], form: FormData) -> dict[str, Any]:
    """The model's fields as the form gives them, then every other key of the form (for `extra=` models)."""
    return {name: value async for name, value, _ in _extract_form_body(get_cached_model_fields(model), form)}


def _validate_union(
    field: FieldBehaviour, models: list[type[BaseModel]], data_for: Callable[[type[BaseModel]], Any], loc: Loc
) -> tuple[Any, Errors]:
    """Validate each member of a union of form models from its own view of the data.

    NOTE: each member reads the data shaped for its own fields (one value or a list per key), so one Pydantic
    union call cannot do it; the member that validates with the most fields set wins (the first on a tie),
    as Pydantic's smart unions choose, and failures are reported per member under its name.
    """
    if data_for(models[0]) is None and type(None) in get_args(_strip(field.type_)):
        return None, []
    best: BaseModel | None = None
    errors: Errors = []
    for model in models:
        try:
            candidate = model.model_validate(data_for(model), from_attributes=True)
        except ValidationError as exc:
            errors.extend(reshape(exc.errors(include_url=False), (*loc, model.__name__), top_missing_input_none=False))
            continue
        if best is None or len(candidate.model_fields_set) > len(best.model_fields_set):
            best = candidate
    return (best, []) if best is not None else (None, errors)
