"""Form-body helpers that versioning extensions (cadwyn) call to re-read a form the way the framework does.

They answer three questions about a parsed `FormData`: which value each field takes (`_get_multidict_value`,
`_extract_form_items`, `_extract_form_body`), which keys are left over, and whether a form model was sent at all
(`_is_form_model_supplied`, `_normalize_form_model`). vivace's pipeline reads forms in `_core/forms.py`; these
functions give extensions the same choices field by field.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from pydantic import AliasChoices, BaseModel
from pydantic_core import PydanticUndefined
from starlette.datastructures import FormData, UploadFile

from vivace import params
from vivace._compat.form_unions import accepted_names
from vivace._compat.form_unions import normalize_form_model as _normalize_form_model
from vivace._compat.shared import (
    _members,
    is_bytes_or_nonable_bytes_annotation,
    is_bytes_sequence_annotation,
    lenient_issubclass,
)
from vivace._compat.v2 import FieldBehaviour
from vivace.dependencies._fields import get_validation_alias, reads_many

__all__ = [
    "_extract_form_body",
    "_extract_form_items",
    "_get_form_model",
    "_get_form_models",
    "_get_multidict_value",
    "_get_param_aliases",
    "_is_form_model_supplied",
    "_normalize_form_model",
]

FormItem = tuple[str, Any, FieldBehaviour | None]


def _get_form_models(field: FieldBehaviour) -> list[type[BaseModel]]:
    """The models a form parameter is read into: `[M]` for `M`, every model of a union of models, else `[]`."""
    if not isinstance(field.field_info, params.Form):
        return []
    members = _members(field.type_)
    models = [member for member in members if lenient_issubclass(member, BaseModel)]
    return models if models and len(models) == len(members) else []


def _get_form_model(field: FieldBehaviour) -> type[BaseModel] | None:
    """The model of a form parameter declared as one model (a union of models gives None)."""
    models = _get_form_models(field)
    return models[0] if len(models) == 1 and len(_members(field.type_)) == 1 else None


def _get_param_aliases(field: FieldBehaviour, *, convert_underscores: bool = False) -> list[tuple[str, str]]:
    """(name validated under, name read from the request) for each name the field accepts.

    With `convert_underscores` (headers), a name taken from the Python name is read with hyphens.
    """
    choices = isinstance(field.field_info.validation_alias, AliasChoices)
    names = accepted_names(field.field_info, field.name) if choices else [get_validation_alias(field)]
    return [
        (name, name.replace("_", "-") if convert_underscores and name == field.name else name) for name in names
    ]


def _get_multidict_value(field: FieldBehaviour, values: Mapping[str, Any], alias: str) -> Any:
    """The field's value under `alias`: every value for a sequence, else the last; `Undefined` when absent (or an
    empty form field)."""
    many = reads_many(field)
    if many and isinstance(values, FormData):
        found: Any = values.getlist(alias)
        return found if found else PydanticUndefined
    value = values.get(alias)
    if many:
        return PydanticUndefined if value is None or (hasattr(value, "__len__") and not len(value)) else value
    # NOTE: an empty form field means "not filled in"; an empty string in a dict body is a value
    empty = isinstance(values, FormData) and isinstance(value, str) and value == ""
    return PydanticUndefined if value is None or empty else value


def _keys_in_order(form: FormData) -> list[str]:
    return list(dict.fromkeys(key for key, _ in form.multi_items()))


def _extract_form_items(body_fields: Sequence[FieldBehaviour], received_body: FormData) -> Iterator[FormItem]:
    """(name, value, field) for each field the form supplies, then (key, value, None) for every other key.

    Uploads are yielded as they are; a key sent several times gives a list.
    """
    consumed: set[str] = set()
    for field in body_fields:
        names = [name for name, _ in _get_param_aliases(field)]
        consumed.update(names)
        for name in names:
            value = _get_multidict_value(field, received_body, name)
            if value is not PydanticUndefined:
                yield name, value, field
                break
    for key in _keys_in_order(received_body):
        if key not in consumed:
            values = received_body.getlist(key)
            yield key, values[0] if len(values) == 1 else values, None


async def read_upload(upload: UploadFile) -> bytes:
    """The upload's contents from where its stream stands, which is left where it was.

    NOTE: several fields (and the endpoint after the extension) may read the same upload; each gets the same bytes.
    """
    position = upload.file.tell()
    contents = await upload.read()
    await upload.seek(position)
    return contents


async def _read_bytes(field: FieldBehaviour, value: Any) -> Any:
    if is_bytes_sequence_annotation(field.type_) and isinstance(value, list):
        return [await read_upload(item) if isinstance(item, UploadFile) else item for item in value]
    if isinstance(value, UploadFile) and is_bytes_or_nonable_bytes_annotation(field.type_):
        return await read_upload(value)
    return value


async def _extract_form_body(
    body_fields: Sequence[FieldBehaviour], received_body: FormData
) -> AsyncIterator[FormItem]:
    """`_extract_form_items` with the contents of uploads read for fields declared as `bytes`."""
    for name, value, field in _extract_form_items(body_fields, received_body):
        yield name, (await _read_bytes(field, value) if field is not None else value), field


def _is_form_model_supplied(model: type[BaseModel], received_body: FormData) -> bool:
    """Whether the form carries any of the model's field names (an empty value counts)."""
    return any(
        name in received_body for field, info in model.model_fields.items() for name in accepted_names(info, field)
    )
