"""Unions of form models: each member reads the form's data shaped for its own fields.

A form sends every value as a string, repeated keys as several values; whether `tags=a&tags=b` means one list
or (for a field that takes one value) its last item depends on the member reading it. So each member of a
`Form()` union of models validates the data through `normalize_form_model` for its own model, and is tagged
with the model's name so a failure is reported under it (`("body", "Member", "field")`), as FastAPI 0.165
declares it in `field_info.annotation`; extensions (cadwyn) look for exactly this shape there.
"""

from __future__ import annotations

import inspect
from functools import partial
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel, BeforeValidator, Tag
from pydantic.fields import FieldInfo

from vivace._compat.sequences import field_annotation_is_sequence

__all__ = ["accepted_names", "normalize_form_model", "tag_form_union"]


def accepted_names(info: FieldInfo, name: str) -> list[str]:
    """The keys a model field reads: its `AliasChoices` strings, its validation alias, else its alias or name."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    if isinstance(alias, str):
        return [alias]
    return [info.alias or name]


def normalize_form_model(value: Any, *, model: type[BaseModel]) -> Any:
    """A dict body shaped for `model`: one value where a field takes one (the last), lists where it takes many."""
    if type(value) is not dict:
        return value
    shaped = dict(value)
    for field, info in model.model_fields.items():
        for name in accepted_names(info, field):
            if name not in shaped:
                continue
            item = shaped[name]
            many = field_annotation_is_sequence(info.annotation)
            if many and item is not None and not isinstance(item, list):
                shaped[name] = [item]
            elif not many and isinstance(item, list) and item:
                if item[-1] is None:
                    del shaped[name]  # NOTE: a last value of None reads as a key the form did not send
                else:
                    shaped[name] = item[-1]
    return shaped


def tag_form_union(annotation: Any) -> Any:
    """A union of two or more models (and maybe None) with each model normalised and tagged; else as it is."""
    bare = annotation
    while get_origin(bare) is Annotated:
        bare = get_args(bare)[0]
    if get_origin(bare) not in (Union, UnionType):
        return annotation
    members = get_args(bare)
    models = [member for member in members if member is not type(None)]
    if len(models) < 2 or not all(inspect.isclass(member) and issubclass(member, BaseModel) for member in models):
        return annotation
    tagged = tuple(member if member is type(None) else _tagged(member) for member in members)
    return Union[tagged]  # noqa: UP007 - a union built from a runtime tuple of members


def _tagged(model: type[BaseModel]) -> Any:
    normalise = BeforeValidator(partial(normalize_form_model, model=model))
    return Annotated[model, normalise, Tag(model.__name__)]
