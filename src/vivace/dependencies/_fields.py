"""How a field is read from a request, for fields of either kind: vivace's parameter specs or `ModelField`s.

vivace's specs already carry the external name (`x_token` declared as a header is looked up as `x-token`); a
`ModelField` built by an extension carries only its `FieldInfo`, so the lookup name is derived from it.
"""

from __future__ import annotations

from copy import copy
from typing import Any

from pydantic import BaseModel

from vivace import params
from vivace._compat.shared import _members, field_annotation_is_sequence, lenient_issubclass
from vivace._compat.v2 import FieldBehaviour, ModelField
from vivace._core.signature import ParamField

__all__ = ["as_model_field", "get_validation_alias", "location_of", "lookup_name", "model_of", "reads_many"]


def get_validation_alias(field: FieldBehaviour) -> str:
    """The name a field is validated under: its validation alias, else its alias, else its Python name."""
    if isinstance(field, ParamField):
        return field.alias  # NOTE: the analysis already turned a header's underscores into hyphens
    alias = field.field_info.validation_alias
    if isinstance(alias, str):
        return alias
    return field.field_info.alias or field.name


def lookup_name(field: FieldBehaviour) -> str:
    """The key the request carries the value under (a header's underscores read as hyphens unless aliased)."""
    if isinstance(field, ParamField):
        return field.alias
    info = field.field_info
    name = get_validation_alias(field)
    if isinstance(info, params.Header) and info.convert_underscores and name == field.name:
        return name.replace("_", "-")
    return name


def location_of(field: FieldBehaviour) -> str:
    """"path", "query", "header", "cookie" or "body" (a form or file field is read from the body)."""
    info = field.field_info
    if isinstance(info, params.Param):
        return str(info.in_.value)
    return "body" if isinstance(info, params.Body) else "query"


def reads_many(field: FieldBehaviour) -> bool:
    """Whether every value under the key is read (`getlist`), as for `list[int]`."""
    if isinstance(field, ParamField):
        return field.is_sequence
    return field_annotation_is_sequence(field.type_)


def model_of(field: FieldBehaviour) -> type[BaseModel] | None:
    """The model of a parameter model (`Annotated[Filters, Query()]`), read field by field; else None."""
    if isinstance(field, ParamField):
        return field.model_group
    members = _members(field.type_)
    model: Any = members[0] if len(members) == 1 else None
    return model if lenient_issubclass(model, BaseModel) else None


def as_model_field(field: FieldBehaviour) -> FieldBehaviour:
    """A field whose `field_info` names its type and alias, as FastAPI's do (`route.body_field.field_info.annotation`).

    vivace's parameter specs keep the type beside the declaration (`ParamField.annotation`) and leave the
    shared `FieldInfo` untouched; this gives extensions a `ModelField` over a copy that carries both.
    """
    if not isinstance(field, ParamField):
        return field
    info = copy(field.field_info)
    info.annotation = field.annotation
    info.alias = info.alias or field.alias
    return ModelField(field_info=info, name=field.name)
