"""vivace.openapi.models against the installed FastAPI's: same names, fields, JSON Schemas and document dumps.

The models are a compatibility contract: user code builds documents with them, and `get_openapi` dumps every
document through `OpenAPI(**output)`, so field order decides the key order of the served JSON.
"""

from __future__ import annotations

import copy
import json
from enum import Enum
from types import ModuleType
from typing import Any

import fastapi.encoders
import fastapi.openapi.models as fa_models
import pydantic
import pytest
from pydantic import BaseModel

import vivace.encoders
import vivace.openapi.models as vi_models

BOTH = pytest.mark.parametrize("models", [vi_models, fa_models], ids=["vivace", "fastapi"])


def _is_model(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


# The models users import by name, plus the base class FastAPI's module also defines.
MODEL_NAMES = [name for name in vi_models.__all__ if _is_model(getattr(vi_models, name))] + ["BaseModelWithConfig"]
ENUM_NAMES = [name for name in vi_models.__all__ if isinstance(getattr(vi_models, name), type(Enum))]
# Names that are not classes: type aliases and the TypedDict.
ALIAS_NAMES = ["Example", "SchemaOrBool", "SchemaType", "SecurityScheme"]


def test_public_names_are_fastapis() -> None:
    """`__all__` lists exactly the classes FastAPI's module defines (but its base class) plus its type aliases."""
    defined_by_fastapi = {
        name for name, value in vars(fa_models).items() if getattr(value, "__module__", None) == fa_models.__name__
    }
    assert set(vi_models.__all__) == (defined_by_fastapi - {"BaseModelWithConfig"}) | set(ALIAS_NAMES) - {"Example"}
    assert all(hasattr(fa_models, name) for name in vi_models.__all__)


def _field_facts(model: type[BaseModel]) -> list[tuple[Any, ...]]:
    facts = []
    for name, field in model.model_fields.items():
        default = repr(field.get_default(call_default_factory=True))
        facts.append((name, field.alias, field.is_required(), default, field.deprecated is not None))
    return facts


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_fields_are_fastapis_in_order(name: str) -> None:
    """Each model has FastAPI's field names in FastAPI's order, with its aliases, defaults and `extra` setting."""
    ours, theirs = getattr(vi_models, name), getattr(fa_models, name)
    assert _field_facts(ours) == _field_facts(theirs)
    assert ours.model_config.get("extra") == theirs.model_config.get("extra")
    assert [base.__name__ for base in ours.__bases__] == [base.__name__ for base in theirs.__bases__]


@pytest.mark.parametrize("mode", ["validation", "serialization"])
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_json_schema_is_fastapis(name: str, mode: Any) -> None:
    """Each model's JSON Schema (by alias, in both modes) equals FastAPI's, key order included."""
    ours = getattr(vi_models, name).model_json_schema(by_alias=True, mode=mode)
    theirs = getattr(fa_models, name).model_json_schema(by_alias=True, mode=mode)
    assert json.dumps(ours) == json.dumps(theirs)


@pytest.mark.parametrize("name", ALIAS_NAMES)
def test_type_alias_json_schema_is_fastapis(name: str) -> None:
    """The TypedDict and the unions validate and document like FastAPI's."""
    ours = pydantic.TypeAdapter(getattr(vi_models, name)).json_schema()
    theirs = pydantic.TypeAdapter(getattr(fa_models, name)).json_schema()
    assert json.dumps(ours) == json.dumps(theirs)


@pytest.mark.parametrize("name", ENUM_NAMES)
def test_enums_are_fastapis(name: str) -> None:
    """The enums have FastAPI's members, values and order."""
    ours, theirs = getattr(vi_models, name), getattr(fa_models, name)
    assert [(m.name, m.value) for m in ours] == [(m.name, m.value) for m in theirs]


def _schemas() -> dict[str, Any]:
    return {
        "Pet": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://example.com/pet",
            "$anchor": "pet",
            "$comment": "a pet",
            "title": "Pet",
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[a-z]+$"},
                "tag": {"type": ["string", "null"], "deprecated": True, "readOnly": True},
                "age": {"type": "integer", "minimum": 0, "exclusiveMaximum": 100, "multipleOf": 1},
                "kind": {"enum": ["cat", "dog"], "default": "cat"},
                "owner": {"$ref": "#/$defs/Owner"},
                "anything": True,
                "nothing": False,
                "photo": {"type": "string", "contentEncoding": "base64", "contentMediaType": "image/png"},
            },
            "$defs": {"Owner": {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}},
            "additionalProperties": False,
            "patternProperties": {"^x-": {"type": "string"}},
            "dependentSchemas": {"tag": {"required": ["name"]}},
            "dependentRequired": {"tag": {"name"}},
            "minProperties": 1,
            "maxProperties": 9,
            "xml": {"name": "pet", "namespace": "https://example.com", "prefix": "p", "wrapped": False},
            "externalDocs": {"url": "https://example.com/pet-docs", "description": "more"},
            "examples": [{"name": "rex"}],
            "x-schema-ext": {"level": "schema"},
        },
        "Shape": {
            "oneOf": [{"$ref": "#/components/schemas/Circle"}, {"$ref": "#/components/schemas/Square"}],
            "discriminator": {"propertyName": "kind", "mapping": {"circle": "#/components/schemas/Circle"}},
        },
        "Circle": {"allOf": [{"$ref": "#/components/schemas/Shape"}, {"properties": {"r": {"type": "number"}}}]},
        "Square": {"anyOf": [{"type": "object"}], "not": {"required": ["r"]}, "const": {"kind": "square"}},
        "Conditional": {
            "if": {"properties": {"kind": {"const": "a"}}},
            "then": {"required": ["a"]},
            "else": {"required": ["b"]},
            "unevaluatedProperties": False,
        },
        "Tuple": {
            "type": "array",
            "prefixItems": [{"type": "string"}, {"type": "integer"}],
            "items": False,
            "contains": {"type": "integer"},
            "minContains": 1,
            "maxContains": 2,
            "minItems": 1,
            "maxItems": 3,
            "uniqueItems": True,
            "unevaluatedItems": False,
            "propertyNames": {"maxLength": 3},
        },
        "Legacy": {"type": "string", "example": "old style"},
        "Ref": {"$ref": "#/components/schemas/Pet"},
    }


def _operation() -> dict[str, Any]:
    return {
        "tags": ["pets"],
        "summary": "Read a pet",
        "description": "Reads one pet.",
        "externalDocs": {"url": "https://example.com/read"},
        "operationId": "read_pet",
        "parameters": [
            {"name": "q", "in": "query", "schema": {"type": "string"}, "examples": {"a": {"value": "x"}}},
            {"name": "X-Trace", "in": "header", "required": False, "content": {"text/plain": {"example": "t"}}},
            {"name": "session", "in": "cookie", "style": "form", "explode": True, "allowReserved": False},
            {"$ref": "#/components/parameters/Limit"},
        ],
        "responses": {
            "200": {
                "description": "The pet",
                "headers": {
                    "X-Rate": {"description": "rate", "schema": {"type": "integer"}, "x-header-ext": 1},
                    "X-Ref": {"$ref": "#/components/headers/X-Ref"},
                },
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/Pet"},
                        "example": {"name": "rex"},
                        "examples": {"one": {"summary": "one", "value": {"name": "a"}, "x-ex": True}},
                    }
                },
                "links": {
                    "owner": {"operationId": "read_owner", "parameters": {"id": "$response.body#/id"}},
                    "other": {"$ref": "#/components/links/Other"},
                },
            },
            "default": {"$ref": "#/components/responses/Error"},
            "x-responses-ext": {"level": "responses"},
        },
        "callbacks": {
            "onEvent": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok"}}}}},
            "shared": {"$ref": "#/components/callbacks/Shared"},
        },
        "deprecated": False,
        "security": [{"key": []}, {"oauth": ["read", "write"]}],
        "servers": [{"url": "/pets-api"}],
        "x-codeSamples": [{"lang": "sh", "source": "curl ..."}],
    }


def _post_operation() -> dict[str, Any]:
    return {
        "requestBody": {
            "description": "A new pet",
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {"type": "object", "properties": {"photo": {"type": "string"}}},
                    "encoding": {
                        "photo": {
                            "contentType": "image/png",
                            "headers": {"X-Size": {"schema": {"type": "integer"}}},
                            "style": "form",
                            "explode": False,
                            "allowReserved": True,
                            "x-enc": 1,
                        }
                    },
                }
            },
            "x-body-ext": 2,
        },
        "responses": {"201": {"description": "Created"}},
    }


def _security_schemes() -> dict[str, Any]:
    flows = {
        "implicit": {"authorizationUrl": "https://example.com/auth", "scopes": {"read": "Read"}},
        "password": {"tokenUrl": "/token", "refreshUrl": "/refresh", "scopes": {}},
        "clientCredentials": {"tokenUrl": "/token"},
        "authorizationCode": {"authorizationUrl": "/auth", "tokenUrl": "/token", "x-flow-ext": 1},
    }
    return {
        "key": {"type": "apiKey", "in": "header", "name": "X-Key", "description": "a key"},
        "queryKey": {"type": "apiKey", "in": "query", "name": "key"},
        "cookieKey": {"type": "apiKey", "in": "cookie", "name": "session"},
        "basic": {"type": "http", "scheme": "basic"},
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "oauth": {"type": "oauth2", "flows": flows, "description": "OAuth"},
        "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://example.com/.well-known", "x-sec": True},
        "shared": {"$ref": "#/components/securitySchemes/key"},
    }


def _components() -> dict[str, Any]:
    path_item = {"get": {"responses": {"200": {"description": "ok"}}}}
    return {
        "schemas": _schemas(),
        "responses": {"Error": {"description": "Failure", "content": {"application/json": {}}}},
        "parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}},
        "examples": {
            "Remote": {"externalValue": "https://example.com/example.json", "description": "remote"},
            "Ref": {"$ref": "#/components/examples/Remote"},
        },
        "requestBodies": {"PetBody": {"content": {"application/json": {"schema": {"type": "object"}}}}},
        "headers": {"X-Ref": {"description": "shared", "schema": {"type": "string"}, "deprecated": True}},
        "securitySchemes": _security_schemes(),
        "links": {"Other": {"operationRef": "#/paths/~1pets/get", "requestBody": {"a": 1}, "server": {"url": "/"}}},
        "callbacks": {"Shared": {"{$request.query.cb}": path_item}, "x-callbacks-ext": 3},
        "pathItems": {"Reusable": path_item, "Indirect": {"$ref": "#/components/pathItems/Reusable"}},
        "x-components-ext": "components",
    }


def rich_document() -> dict[str, Any]:
    """An OpenAPI 3.1 document that uses every model, alias and extension point."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Pets",
            "summary": "Pet store",
            "description": "All about pets.",
            "termsOfService": "https://example.com/terms",
            "contact": {"name": "Team", "url": "https://example.com", "email": "team@example.com"},
            "license": {"name": "MIT", "identifier": "MIT"},
            "version": "1.2.3",
            "x-logo": {"url": "/logo.png"},
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "servers": [
            {"url": "https://api.example.com", "description": "production"},
            {
                "url": "https://{region}.example.com/v1",
                "variables": {"region": {"enum": ["eu", "us"], "default": "eu", "description": "where"}},
            },
            {"url": "/relative"},
        ],
        "paths": {
            "/pets/{pet_id}": {
                "summary": "One pet",
                "description": "A pet by id",
                "parameters": [{"name": "pet_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "get": _operation(),
                "post": _post_operation(),
                "put": {"requestBody": {"$ref": "#/components/requestBodies/PetBody"}, "responses": {}},
                "delete": {"responses": {"204": {"description": "Gone"}}},
                "options": {},
                "head": {},
                "patch": {"x-op-ext": None},
                "trace": {"servers": [{"url": "/trace"}]},
                "servers": [{"url": "/pets"}],
                "x-path-ext": [1, 2],
            },
            "/elsewhere": {"$ref": "#/components/pathItems/Reusable"},
            "x-paths-ext": {"level": "paths"},
        },
        "webhooks": {
            "newPet": {"post": {"requestBody": {"content": {"application/json": {}}}, "responses": {}}},
            "shared": {"$ref": "#/components/pathItems/Reusable"},
        },
        "components": _components(),
        "security": [{}, {"key": []}],
        "tags": [
            {"name": "pets", "description": "Pets", "externalDocs": {"url": "https://example.com/tags"}, "x-t": 1},
        ],
        "externalDocs": {"description": "Guide", "url": "https://example.com/guide"},
        "x-root-ext": {"level": "root"},
    }


def _class_names(value: Any) -> Any:
    """The model class chosen for each node of a validated document (unions must pick the same member)."""
    if isinstance(value, BaseModel):
        # NOTE: read through `__dict__`: `getattr` would trigger the deprecation warning of `Schema.example`.
        fields = {name: _class_names(value.__dict__[name]) for name in type(value).model_fields}
        return [type(value).__name__, fields, _class_names(value.model_extra or {})]
    if isinstance(value, dict):
        return {key: _class_names(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_class_names(item) for item in value]
    return type(value).__name__


def _validated(models: ModuleType) -> BaseModel:
    document: BaseModel = models.OpenAPI(**copy.deepcopy(rich_document()))
    return document


def test_rich_document_dumps_like_fastapi() -> None:
    """A document using every model dumps to the same JSON text as FastAPI's models give, key order included."""
    ours, theirs = _validated(vi_models), _validated(fa_models)
    for options in ({"exclude_none": True}, {}):
        ours_json = json.dumps(ours.model_dump(mode="json", by_alias=True, **options))
        theirs_json = json.dumps(theirs.model_dump(mode="json", by_alias=True, **options))
        assert ours_json == theirs_json
    assert ours.model_dump_json(by_alias=True) == theirs.model_dump_json(by_alias=True)


def test_rich_document_through_jsonable_encoder_like_fastapi() -> None:
    """The path `get_openapi` takes (`jsonable_encoder(OpenAPI(**doc), by_alias=True, exclude_none=True)`)."""
    ours = vivace.encoders.jsonable_encoder(_validated(vi_models), by_alias=True, exclude_none=True)
    theirs = fastapi.encoders.jsonable_encoder(_validated(fa_models), by_alias=True, exclude_none=True)
    assert json.dumps(ours) == json.dumps(theirs)
    assert ours["paths"]["x-paths-ext"] == {"level": "paths"}
    assert ours["components"]["schemas"]["Conditional"]["else"] == {"required": ["b"]}


def test_rich_document_picks_fastapis_union_members() -> None:
    """Every node validates into the same model class (e.g. `HTTPBearer`, not `HTTPBase`, for bearer schemes)."""
    ours, theirs = _class_names(_validated(vi_models)), _class_names(_validated(fa_models))
    assert ours == theirs
    schemes = _validated(vi_models).components.securitySchemes  # type: ignore[attr-defined]
    assert type(schemes["bearer"]).__name__ == "HTTPBearer"
    assert type(schemes["shared"]).__name__ == "Reference"


@pytest.mark.parametrize(
    ("model", "data"),
    [
        ("Schema", {"minLength": -1}),
        ("Schema", {"multipleOf": 0}),
        ("Schema", {"type": "text"}),
        ("ServerVariable", {"enum": [], "default": "a"}),
        ("Parameter", {"name": "q", "in": "body"}),
        ("Parameter", {"name": "q", "in_": "query"}),
        ("APIKey", {"in": "path", "name": "k"}),
        ("HTTPBearer", {"scheme": "basic"}),
        ("Info", {"version": "1"}),
        ("Reference", {"ref": "#/x"}),
        ("OpenAPI", {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": 1}]}),
        ("ExternalDocumentation", {"url": "not a url"}),
    ],
)
def test_invalid_values_are_rejected_like_fastapi(model: str, data: dict[str, Any]) -> None:
    """Constraints (`ge=0`, `gt=0`, enums, literals, required fields, aliases only) reject what FastAPI rejects."""
    errors = []
    for models in (vi_models, fa_models):
        with pytest.raises(pydantic.ValidationError) as caught:
            getattr(models, model)(**data)
        errors.append([(error["type"], error["loc"]) for error in caught.value.errors()])
    assert errors[0] == errors[1]


@BOTH
def test_unknown_keys_kept_except_on_reference_and_discriminator(models: ModuleType) -> None:
    """Specification extensions survive on the objects that allow them; `Reference` and `Discriminator` drop them."""
    assert models.Tag(name="t", **{"x-a": 1}).model_dump(exclude_none=True) == {"name": "t", "x-a": 1}
    assert models.Reference(**{"$ref": "#/x", "x-a": 1}).model_dump(by_alias=True) == {"$ref": "#/x"}
    assert models.Discriminator(propertyName="k", extra=1).model_dump() == {"propertyName": "k", "mapping": None}


@BOTH
def test_reading_schema_example_warns(models: ModuleType) -> None:
    """`Schema.example` is deprecated in OpenAPI 3.1: reading it warns; other `example` fields do not."""
    with pytest.warns(DeprecationWarning):
        assert models.Schema(example=1).example == 1
    assert models.MediaType(example=2).example == 2
    assert models.Header(example=3).example == 3
    assert models.Schema(example=4).model_dump(exclude_none=True) == {"example": 4}


@BOTH
def test_security_scheme_models_default_their_type(models: ModuleType) -> None:
    """Each security scheme model fills `type` itself, and `HTTPBearer` its scheme."""
    bearer = models.HTTPBearer().model_dump(mode="json", by_alias=True, exclude_none=True)
    assert bearer == {"type": "http", "scheme": "bearer"}
    assert models.APIKey(**{"in": "header", "name": "k"}).type_ is models.SecuritySchemeType.apiKey
    assert models.OAuth2(flows=models.OAuthFlows()).type_ is models.SecuritySchemeType.oauth2
    assert models.OpenIdConnect(openIdConnectUrl="/x").type_ is models.SecuritySchemeType.openIdConnect
    assert models.OAuthFlowPassword(tokenUrl="/t").scopes == {}
