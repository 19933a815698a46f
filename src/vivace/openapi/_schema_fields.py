"""Schema fields: the values the OpenAPI generator describes with JSON Schema, and the one pass that does it.

A `SchemaField` is a name plus a Pydantic `FieldInfo` (a parameter, a request body, a response model). All the
fields of a document go through Pydantic's `GenerateJsonSchema.generate_definitions` in one call, so every model
gets one shared definition under `#/components/schemas/` (split into `-Input` / `-Output` where the validation and
serialization schemas differ), exactly as FastAPI names them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import is_dataclass
from enum import Enum
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.fields import FieldInfo
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import CoreSchema
from pydantic_core import core_schema as cs

from vivace.openapi.constants import REF_TEMPLATE

__all__ = [
    "FieldMapping",
    "Mode",
    "OpenAPIJsonSchema",
    "SchemaField",
    "collect_models",
    "generate_definitions",
    "model_fields",
    "model_name_map",
    "schema_of",
]

Mode = Literal["validation", "serialization"]
_ANNOTATED: Any = Annotated
FieldMapping = dict[tuple["SchemaField", Mode], JsonSchemaValue]


class OpenAPIJsonSchema(GenerateJsonSchema):
    """Pydantic's generator, with `bytes` written the OpenAPI 3.1 way (a media type, not `format: binary`)."""

    def bytes_schema(self, schema: cs.BytesSchema) -> JsonSchemaValue:
        setting = self._config.ser_json_bytes if self.mode == "serialization" else self._config.val_json_bytes
        described: JsonSchemaValue = {"type": "string", "contentMediaType": "application/octet-stream"}
        if setting == "base64":
            described["contentEncoding"] = "base64"
        self.update_with_validations(described, schema, self.ValidationsMapping.bytes)
        return described


class SchemaField:
    """One value to describe: `name`, its declaration (`field_info`), and whether it is read or written.

    Instances compare by identity: the definitions pass maps each field object to its schema.
    """

    __slots__ = ("_adapter", "_computed", "annotation", "config", "field_info", "mode", "name")

    def __init__(
        self,
        name: str,
        field_info: FieldInfo,
        *,
        annotation: Any = None,
        mode: Mode = "validation",
        config: ConfigDict | None = None,
    ) -> None:
        self.name = name
        self.field_info = field_info
        self.annotation = field_info.annotation if annotation is None else annotation
        self.mode: Mode = mode
        self.config = config
        self._adapter: TypeAdapter[Any] | None = None
        self._computed: bool | None = None

    @property
    def alias(self) -> str:
        return self.field_info.alias if self.field_info.alias is not None else self.name

    @property
    def validation_alias(self) -> str | None:
        value = self.field_info.validation_alias
        return value if isinstance(value, str) and value else None

    @property
    def serialization_alias(self) -> str | None:
        return self.field_info.serialization_alias or None

    @property
    def adapter(self) -> TypeAdapter[Any]:
        """A TypeAdapter over the annotation with the declaration's constraints and JSON Schema attributes."""
        if self._adapter is None:
            described = self.field_info.asdict()
            # NOTE: built at run time from values, so typed as a plain subscription rather than a type expression.
            target = _ANNOTATED[(self.annotation, *described["metadata"], Field(**described["attributes"]))]
            with warnings.catch_warnings():
                # NOTE: Pydantic warns that alias-like attributes do nothing on a bare TypeAdapter; they are
                # carried only so the schema sees the same declaration FastAPI's does.
                warnings.simplefilter("ignore")
                self._adapter = TypeAdapter(cast(Any, target), config=self.config)
        return self._adapter

    def schema_mode(self, separate_input_output_schemas: bool) -> Mode:
        """The mode its schema is generated in: its own, or "validation" when inputs and outputs share schemas,
        unless computed fields (present only in output) make them differ."""
        if separate_input_output_schemas:
            return self.mode
        # PERF: asked for every schema lookup of a document with shared schemas; the walk is done once.
        if self._computed is None:
            self._computed = _has_computed_fields(self)
        return self.mode if self._computed else "validation"

    def __repr__(self) -> str:
        return f"SchemaField(name={self.name!r}, annotation={self.annotation!r}, mode={self.mode!r})"


def model_fields(model: type[BaseModel]) -> list[SchemaField]:
    """A model's fields as schema fields; nested models and dicts keep their own config, not the parent's."""
    result = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        own_config = _is_subclass(annotation, (BaseModel, dict)) or is_dataclass(annotation)
        result.append(SchemaField(name, info, config=None if own_config else model.model_config))
    return result


def _is_subclass(value: Any, types: type[Any] | tuple[type[Any], ...]) -> bool:
    return isinstance(value, type) and issubclass(value, types)


# -- the models a set of fields refers to ------------------------------------------------------------------


def collect_models(fields: Iterable[SchemaField], found: set[type[Any]] | None = None) -> set[type[Any]]:
    """Every model and enum reachable from the fields' annotations (through model fields and type arguments)."""
    found = set() if found is None else found
    for item in fields:
        _collect(item.annotation, found)
    return found


def _collect(annotation: Any, found: set[type[Any]]) -> None:
    if _is_subclass(annotation, BaseModel):
        if annotation not in found:
            found.add(annotation)
            collect_models(model_fields(annotation), found)
    elif _is_subclass(annotation, Enum):
        found.add(annotation)
    else:
        # NOTE: only generic aliases are searched (`list[Item]`, `Item | None`); like FastAPI, a bare type that
        # is neither a model nor an enum adds nothing (get_args of it is empty).
        for arg in get_args(annotation):
            _collect(arg, found)


_NON_NAME = re.compile(r"[^a-zA-Z0-9.\-_]")


def model_name_map(models: Iterable[type[Any]]) -> dict[type[Any], str]:
    """Each model's schema name (its class name, with characters OpenAPI does not allow replaced by `_`)."""
    by_name = {_NON_NAME.sub("_", model.__name__): model for model in models}
    return {model: name for name, model in by_name.items()}


# -- the definitions pass ----------------------------------------------------------------------------------


def _has_computed_fields(item: SchemaField) -> bool:
    schema = cast(dict[str, Any], item.adapter.core_schema)
    if schema.get("schema", {}).get("computed_fields", []):
        return True
    return _annotation_has_computed_fields(item.annotation, set())


def _annotation_has_computed_fields(annotation: Any, seen: set[type[Any]]) -> bool:
    if _is_subclass(annotation, BaseModel):
        if annotation in seen:
            return False
        seen.add(annotation)
        if annotation.model_computed_fields:
            return True
        return any(_annotation_has_computed_fields(f.annotation, seen) for f in annotation.model_fields.values())
    return any(_annotation_has_computed_fields(arg, seen) for arg in get_args(annotation))


def _model_input(model: type[Any], mode: Mode) -> SchemaField:
    return SchemaField(model.__name__, FieldInfo(annotation=model), mode=mode)


def generate_definitions(
    fields: Sequence[SchemaField], *, separate_input_output_schemas: bool = True
) -> tuple[FieldMapping, dict[str, dict[str, Any]]]:
    """JSON Schema for every field (keyed by field and mode) and the shared component definitions."""
    given = {id(item.annotation) for item in fields}
    extra: list[SchemaField] = []
    for mode in ("validation", "serialization"):
        models = collect_models([f for f in fields if f.mode == mode])
        # NOTE: models reachable from the fields are described on their own as well, so each one gets a
        # definition in both modes, as FastAPI's pass gives them.
        extra.extend(_model_input(m, mode) for m in models if id(m) not in given)
    inputs: list[tuple[SchemaField, Mode, CoreSchema]] = [
        (item, item.schema_mode(separate_input_output_schemas), item.adapter.core_schema) for item in [*fields, *extra]
    ]
    generator = OpenAPIJsonSchema(ref_template=REF_TEMPLATE)
    mapping, definitions = generator.generate_definitions(inputs=inputs)  # type: ignore[arg-type]
    for definition in definitions.values():
        description = definition.get("description")
        if isinstance(description, str):
            # NOTE: a form feed in a docstring ends what the API shows (the rest is for developers).
            definition["description"] = description.split("\f")[0]
    return mapping, cast(dict[str, dict[str, Any]], definitions)


def schema_of(
    item: SchemaField,
    mapping: FieldMapping,
    *,
    separate_input_output_schemas: bool = True,
    field_alias: str | None = None,
) -> dict[str, Any]:
    """The field's schema from the definitions pass; an inline (non-`$ref`) schema gets the field's title."""
    mode = item.schema_mode(separate_input_output_schemas)
    if field_alias is None:
        if item.mode == "validation":
            field_alias = item.validation_alias or item.alias
        else:
            field_alias = item.serialization_alias or item.alias
    schema = dict(mapping[(item, mode)])
    if "$ref" not in schema:
        schema["title"] = item.field_info.title or field_alias.title().replace("_", " ")
    return schema
