"""Request bodies that mix form models with other form fields, described the way FastAPI 0.165 does.

A form whose fields come from a model (`profile: Annotated[Profile, Form()]`) next to other form fields is one
flat set of keys on the wire, so its schema cannot nest the model under a property: each model becomes an
`allOf` member of the generated `Body_<operation id>` schema, plain fields stay properties, and an optional model
is written as "either none of its keys, or a valid model".
"""

from __future__ import annotations

from collections.abc import Callable
from copy import copy, deepcopy
from functools import partial
from types import UnionType
from typing import Annotated, Any, Union, cast, get_args, get_origin

from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, GetPydanticSchema, Json, create_model
from pydantic.annotated_handlers import GetJsonSchemaHandler
from pydantic.fields import FieldInfo
from pydantic_core import CoreSchema

from vivace import params
from vivace._core.signature import ParamField

__all__ = ["form_body_model", "form_models", "has_nullable_form_model", "param_aliases"]


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _optional_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) in (Union, UnionType):
        args = get_args(annotation)
        if len(args) == 2 and type(None) in args:
            annotation = next(a for a in args if a is not type(None))
    return annotation if _is_model(annotation) else None


def _union_models(annotation: Any) -> list[type[BaseModel]]:
    if get_origin(annotation) not in (Union, UnionType):
        return []
    models = []
    for arg in get_args(annotation):
        if arg is type(None):
            continue
        if get_origin(arg) is Annotated:
            arg = get_args(arg)[0]
        if not _is_model(arg):
            return []
        models.append(arg)
    # NOTE: a single optional model is an ordinary form model, not a union.
    return models if len(models) > 1 else []


def form_models(param: ParamField) -> list[type[BaseModel]]:
    """The model(s) whose fields make up the form for this parameter (`Annotated[Model | None, Form()]`)."""
    # NOTE: vivace's Form declarations always carry embed=True; FastAPI leaves it unset, so it is not read here.
    info = param.field_info
    if not isinstance(info, params.Form) or any(type(item) is Json for item in info.metadata):
        return []
    model = _optional_model(param.annotation)
    return [model] if model is not None else _union_models(param.annotation)


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


def _flatten_form_schema(body: list[ParamField], schema: dict[str, Any]) -> None:
    """`json_schema_extra` of the generated body model: rewrite `field_N` properties into the flat form."""
    generated = schema.pop("properties")
    schema.pop("required", None)
    properties: dict[str, Any] = {}
    required: list[str] = []
    conditions: list[dict[str, Any]] = []
    for index, param in enumerate(body):
        field_schema = generated[f"field_{index}"]
        models = form_models(param)
        if not models:
            alias = param_aliases(param.name, param.field_info)[0][0]
            if alias in properties:
                conditions.append({"properties": {alias: field_schema}})
            else:
                properties[alias] = field_schema
            if param.field_info.is_required() and alias not in required:
                required.append(alias)
            continue
        field_schema.pop("default", None)
        if type(None) in get_args(param.annotation):
            field_schema["anyOf"] = [c for c in field_schema["anyOf"] if c.get("type") != "null"]
            absent = _absent(models)
            if param.field_info.is_required():
                conditions.append({"not": absent})
            else:
                field_schema = {"anyOf": [absent, field_schema]}
        conditions.append(field_schema)
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    schema["allOf"] = conditions


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
        key = f"field_{index}"
        info.alias = info.validation_alias = info.serialization_alias = key
        info.title = info.title or param.name.replace("_", " ").title()
        fields[key] = (annotation, info)
    extra: Callable[[dict[str, Any]], None] = partial(_flatten_form_schema, body)
    config = ConfigDict(json_schema_extra=cast(Any, extra))
    return create_model(model_name, __config__=config, **fields)  # type: ignore[no-any-return]
