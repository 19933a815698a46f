"""Request bodies that mix form models with other form fields, described the way FastAPI 0.165 does.

A form whose fields come from a model (`profile: Annotated[Profile, Form()]`) next to other form fields is one
flat set of keys on the wire, so its schema cannot nest the model under a property: each model becomes an
`allOf` member of the generated `Body_<operation id>` schema, plain fields stay properties, and an optional model
is written as "either none of its keys, or a valid model".
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy, deepcopy
from dataclasses import dataclass, field
from functools import partial
from types import NoneType, UnionType
from typing import Annotated, Any, Union, cast, get_args, get_origin

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, GetPydanticSchema, Json, create_model
from pydantic.annotated_handlers import GetJsonSchemaHandler
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema

from vivace import params
from vivace._core.signature import ParamField

__all__ = ["form_body_model", "form_models", "has_nullable_form_model", "param_aliases", "single_model"]


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _union_members(annotation: Any) -> tuple[Any, ...]:
    """The members of a union other than None; `(annotation,)` for anything that is not a union."""
    if get_origin(annotation) not in (Union, UnionType):
        return (annotation,)
    return tuple(member for member in get_args(annotation) if member is not NoneType)


def single_model(annotation: Any) -> type[BaseModel] | None:
    """The model of `Model` or `Model | None`; None for any other annotation."""
    members = _union_members(annotation)
    return members[0] if len(members) == 1 and _is_model(members[0]) else None


def form_models(param: ParamField) -> list[type[BaseModel]]:
    """The model(s) whose fields make up the form for this parameter (`Annotated[Model | None, Form()]`).

    A union of several models counts too (`Annotated[A | B, Form()]`), its members possibly `Annotated`; a lone
    member, or any member that is not a model, makes the parameter an ordinary form field.
    """
    # NOTE: vivace's Form declarations always carry embed=True; FastAPI leaves it unset, so it is not read here.
    info = param.field_info
    if not isinstance(info, params.Form) or any(type(item) is Json for item in info.metadata):
        return []
    model = single_model(param.annotation)
    if model is not None:
        return [model]
    members = [get_args(m)[0] if get_origin(m) is Annotated else m for m in _union_members(param.annotation)]
    return members if len(members) > 1 and all(map(_is_model, members)) else []


def has_nullable_form_model(body: list[ParamField]) -> bool:
    return any(form_models(p) and type(None) in get_args(p.annotation) for p in body)


def param_aliases(
    name: str, info: FieldInfo, config: ConfigDict | None = None, *, convert_underscores: bool = False
) -> list[tuple[str, str]]:
    """(validation name, request key) pairs a value may arrive under, preferred first."""
    validation_alias = info.validation_alias
    alias = validation_alias if isinstance(validation_alias, str) and validation_alias else (info.alias or name)
    request = alias.replace("_", "-") if convert_underscores and alias == name else alias
    if isinstance(info, params.Path) or isinstance(validation_alias, AliasPath):
        return [(alias, request)]
    pairs = [(alias, request)]
    if isinstance(validation_alias, AliasChoices):
        if any(isinstance(choice, AliasPath) for choice in validation_alias.choices):
            return pairs
        pairs = [(choice, choice) for choice in cast(list[str], validation_alias.choices)]
    settings = config or {}
    by_alias = settings.get("validate_by_alias")
    by_name = settings.get("validate_by_name", settings.get("populate_by_name", False))
    if by_alias is False or by_name:
        request_name = name.replace("_", "-") if convert_underscores else name
        if by_alias is False:
            return [(name, request_name)]
        if name not in [a for a, _ in pairs]:
            pairs.append((name, request_name))
    return pairs


def _model_aliases(model: type[BaseModel]) -> list[tuple[str, list[str]]]:
    """For each model field: the property name Pydantic writes, and the form keys that field accepts."""
    result = []
    for name, info in model.model_fields.items():
        config = None if _is_model(info.annotation) or _is_subclass_dict(info.annotation) else model.model_config
        validation_alias = info.validation_alias
        if isinstance(validation_alias, AliasChoices):
            schema_name: Any = validation_alias.choices[0]
        else:
            schema_name = validation_alias if isinstance(validation_alias, str) and validation_alias else None
            schema_name = schema_name or info.alias or name
        result.append((schema_name, [a for a, _ in param_aliases(name, info, config)]))
    return result


def _is_subclass_dict(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, dict)


def _form_model_schema(model: type[BaseModel], schema: CoreSchema, handler: GetJsonSchemaHandler) -> Any:
    """A model's schema as a form: properties renamed to the keys the form accepts, when they differ."""
    reference = handler(schema)
    resolved = handler.resolve_ref_schema(reference)
    properties = resolved.get("properties", {})
    required = resolved.get("required", [])
    renames = {
        schema_name: names
        for schema_name, names in _model_aliases(model)
        if isinstance(schema_name, str) and schema_name in properties
        and (names[0] != schema_name or (len(names) > 1 and schema_name in required))
    }
    if not renames:
        return reference
    # NOTE: the renamed copy is inlined; the model's shared definition stays as other operations see it.
    inlined = deepcopy(resolved)
    inlined["properties"] = {renames.get(key, [key])[0]: value for key, value in inlined["properties"].items()}
    inlined["required"] = []
    for key in required:
        names = renames.get(key, [key])
        if len(names) == 1:
            inlined["required"].append(names[0])
        else:
            inlined.setdefault("allOf", []).append({"anyOf": [{"required": [n]} for n in names]})
    return inlined


def _absent(models: list[type[BaseModel]]) -> dict[str, Any]:
    """A schema that holds when none of the models' keys was sent."""
    if any(model.model_config.get("extra") in ("allow", "forbid") for model in models):
        return {"maxProperties": 0}
    names = sorted({alias for model in models for _, aliases in _model_aliases(model) for alias in aliases})
    return {"not": {"anyOf": [{"required": [name]} for name in names]}} if names else {}


def _nullable_model_members(param: ParamField, models: list[type[BaseModel]], schema: dict[str, Any]) -> list[Any]:
    """The `allOf` members of a form model declared `X | None`: "None" is a form without any of its keys."""
    schema["anyOf"] = [choice for choice in schema["anyOf"] if choice.get("type") != "null"]
    absent = _absent(models)
    if param.field_info.is_required():
        # Required though nullable: its keys must be sent, and then they must make a valid model.
        return [{"not": absent}, schema]
    return [{"anyOf": [absent, schema]}]


@dataclass(slots=True)
class _FlatForm:
    """A flat form's schema being written: plain fields are properties; each form model, and each key a second
    parameter repeats, is one more `allOf` member that the whole form must satisfy."""

    properties: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)

    def add_field(self, key: str, schema: dict[str, Any], required: bool) -> None:
        if key in self.properties:
            # NOTE: a repeated key cannot be a second property, so it becomes a constraint of its own.
            self.members.append({"properties": {key: schema}})
        else:
            self.properties[key] = schema
        if required and key not in self.required:
            self.required.append(key)

    def add_model(self, param: ParamField, models: list[type[BaseModel]], schema: dict[str, Any]) -> None:
        schema.pop("default", None)
        nullable = NoneType in get_args(param.annotation)
        self.members.extend(_nullable_model_members(param, models, schema) if nullable else [schema])

    def sections(self) -> dict[str, Any]:
        """properties and required when there are any, then the allOf members."""
        present = {"properties": self.properties, "required": self.required}
        return {**{name: value for name, value in present.items() if value}, "allOf": self.members}


def _field_key(index: int) -> str:
    return f"field_{index}"


def _flatten_form_schema(body: list[ParamField], schema: dict[str, Any]) -> None:
    """`json_schema_extra` of the generated body model: its `field_N` properties become the flat form."""
    generated = schema.pop("properties")
    schema.pop("required", None)
    form = _FlatForm()
    for index, param in enumerate(body):
        models = form_models(param)
        if models:
            form.add_model(param, models, generated[_field_key(index)])
        else:
            key = param_aliases(param.name, param.field_info)[0][0]
            form.add_field(key, generated[_field_key(index)], param.field_info.is_required())
    schema.update(form.sections())


def form_body_model(body: list[ParamField], model_name: str) -> type[BaseModel]:
    """The generated `Body_...` model of a form that contains form models."""
    fields: dict[str, Any] = {}
    for index, param in enumerate(body):
        info = copy(param.field_info)
        annotation = param.annotation
        model = form_models(param)
        if len(model) == 1:
            hook = GetPydanticSchema(get_pydantic_json_schema=partial(_form_model_schema, model[0]))
            wrapped: Any = Annotated[model[0], hook]
            annotation = wrapped if param.annotation is model[0] else wrapped | None
        key = _field_key(index)
        info.alias = info.validation_alias = info.serialization_alias = key
        info.title = info.title or param.name.replace("_", " ").title()
        fields[key] = (annotation, info)
    extra: Callable[[dict[str, Any]], None] = partial(_flatten_form_schema, body)
    config = ConfigDict(json_schema_extra=cast(Any, extra))
    return create_model(model_name, __config__=config, **fields)  # type: ignore[no-any-return]
