"""Pydantic models of an OpenAPI 3.1 document.

Class names, field names and aliases are those of `fastapi.openapi.models`, because user code builds
documents with them and compares the dumps: `OpenAPI(**doc).model_dump(by_alias=True, exclude_none=True)`
must give back what FastAPI gives. `get_openapi` dumps every document through `OpenAPI(**output)`, so the
order in which a model declares its fields is the key order of the served JSON: it is FastAPI's order.

How the module is written: the specification's objects are tables of optional fixed fields, and most fields
have one of a dozen shapes (optional text, a flag, a non-negative count, a subschema, a map of objects that
may each be a `Reference`...). Each shape is a private type alias, defined once with its constraint, so a
model reads as the specification's field table: `maxLength: _Count = None`. Absent fields are `None`, which
`exclude_none=True` leaves out of the dump.

Most objects accept unknown keys (`extra="allow"`) so that specification extensions (`x-...`) survive a
round trip; `Reference` and `Discriminator` do not. Keys that are Python keywords or start with `$` get a
Python name (`in_`, `not_`, `ref`) and an alias; Pydantic fills them by alias only, as FastAPI's models do.
"""

from __future__ import annotations

import importlib.util
import logging
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, TypeVar

from pydantic import (
    AnyUrl,
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PlainValidator,
    PositiveFloat,
    WithJsonSchema,
    with_config,
)
from pydantic import EmailStr as _PydanticEmailStr
from typing_extensions import TypedDict

# NOTE: the security scheme objects live in their own module, so that importing a security scheme class
# (`OAuth2PasswordBearer`...) declares a dozen models instead of this module's forty; they are this module's too.
from vivace.openapi._security_models import (
    _LAZY,
    APIKey,
    APIKeyIn,
    BaseModelWithConfig,
    HTTPBase,
    HTTPBearer,
    OAuth2,
    OAuthFlow,
    OAuthFlowAuthorizationCode,
    OAuthFlowClientCredentials,
    OAuthFlowImplicit,
    OAuthFlowPassword,
    OAuthFlows,
    OpenIdConnect,
    SecurityBase,
    SecurityScheme,
    SecuritySchemeType,
)

__all__ = [
    "XML",
    "APIKey",
    "APIKeyIn",
    "Components",
    "Contact",
    "Discriminator",
    "Encoding",
    "Example",
    "ExternalDocumentation",
    "HTTPBase",
    "HTTPBearer",
    "Header",
    "Info",
    "License",
    "Link",
    "MediaType",
    "OAuth2",
    "OAuthFlow",
    "OAuthFlowAuthorizationCode",
    "OAuthFlowClientCredentials",
    "OAuthFlowImplicit",
    "OAuthFlowPassword",
    "OAuthFlows",
    "OpenAPI",
    "OpenIdConnect",
    "Operation",
    "Parameter",
    "ParameterBase",
    "ParameterInType",
    "PathItem",
    "Reference",
    "RequestBody",
    "Response",
    "Schema",
    "SchemaOrBool",
    "SchemaType",
    "SecurityBase",
    "SecurityScheme",
    "SecuritySchemeType",
    "Server",
    "ServerVariable",
    "Tag",
]

_logger = logging.getLogger("vivace")


def _unchecked_email(value: Any) -> str:
    """Accept any value as the e-mail text, saying (once per value) that nothing was checked."""
    _logger.warning("email-validator is not installed: e-mail fields are accepted as plain strings")
    return str(value)


def _email_type() -> Any:
    """Pydantic's `EmailStr` when `email-validator` is importable, otherwise an unchecked string.

    `email-validator` is an optional dependency (`vivace[standard]`); the document models must still
    import without it, and the schema keeps `format: email` either way.
    """
    if importlib.util.find_spec("email_validator") is None:
        email_schema = WithJsonSchema({"type": "string", "format": "email"})
        return Annotated[str, PlainValidator(_unchecked_email), email_schema]
    return _PydanticEmailStr


if TYPE_CHECKING:
    EmailStr = str
else:
    EmailStr = _email_type()


# --- Field shapes -----------------------------------------------------------------------------------
# NOTE: plain assignments, not `type X = ...` statements: Pydantic would give a `TypeAliasType` its own
# `$defs` entry, and every model's JSON Schema must stay FastAPI's.

_Text: TypeAlias = str | None
_Flag: TypeAlias = bool | None
# Lengths and item/property counts of JSON Schema's validation vocabulary: `minimum: 0` in the schema.
_Count: TypeAlias = NonNegativeInt | None
_Number: TypeAlias = float | None
# A JSON value of any type: examples, defaults, constants.
_Json: TypeAlias = Any | None
_JsonList: TypeAlias = list[Any] | None
_Names: TypeAlias = list[str] | None
# An absolute URL, checked and normalised by Pydantic.
_Url: TypeAlias = AnyUrl | None
# A URL the specification allows to be relative (`/token`), so it stays text: `AnyUrl` would reject it.
_UrlText: TypeAlias = str
# Security requirements: each entry maps scheme names to the scopes it needs (the entries are alternatives).
_Requirements: TypeAlias = list[dict[str, list[str]]] | None


# NOTE: model classes carry comments, not docstrings: Pydantic would put a docstring into the model's JSON
# Schema as `description`, and that schema must stay identical to FastAPI's.


# A pointer to an object defined elsewhere (`{"$ref": "#/components/..."}`); extensions are dropped.
class Reference(BaseModel):
    model_config = _LAZY

    ref: str = Field(alias="$ref")


_T = TypeVar("_T")
# A map of named objects where each entry may instead be a `Reference` (most of `components`).
_RefMap: TypeAlias = dict[str, _T | Reference] | None
# A map whose keys may also be `x-` extensions, so a value may be anything besides a `T`.
_ExtensibleMap: TypeAlias = dict[str, _T | Any] | None


# --- Document metadata: info, servers, tags ---------------------------------------------------------


class Contact(BaseModelWithConfig):
    name: _Text = None
    url: _Url = None
    email: EmailStr | None = None


class License(BaseModelWithConfig):
    name: str
    identifier: _Text = None
    url: _Url = None


class Info(BaseModelWithConfig):
    title: str
    summary: _Text = None
    description: _Text = None
    termsOfService: _Text = None
    contact: Contact | None = None
    license: License | None = None
    version: str


# A value substituted into a server URL template such as `https://{region}.example.com`.
class ServerVariable(BaseModelWithConfig):
    enum: Annotated[list[str], Field(min_length=1)] | None = None
    default: str
    description: _Text = None


class Server(BaseModelWithConfig):
    # NOTE: AnyUrl first, so absolute URLs are normalised exactly as FastAPI does; relative ones stay text.
    url: AnyUrl | _UrlText
    description: _Text = None
    variables: dict[str, ServerVariable] | None = None


_Servers: TypeAlias = list[Server] | None


class ExternalDocumentation(BaseModelWithConfig):
    description: _Text = None
    url: AnyUrl


_Docs: TypeAlias = ExternalDocumentation | None


class Tag(BaseModelWithConfig):
    name: str
    description: _Text = None
    externalDocs: _Docs = None


# --- Schema: JSON Schema 2020-12 plus OpenAPI's additions -------------------------------------------

# The primitive types JSON Schema 2020-12 defines for the `type` keyword.
SchemaType = Literal["array", "boolean", "integer", "null", "number", "object", "string"]

# Where a subschema goes: one, a list, or a map of them (each may be `true`/`false`). Quoted: `SchemaOrBool`
# is defined after `Schema`, which uses these.
_Subschema: TypeAlias = "SchemaOrBool | None"
_Subschemas: TypeAlias = "list[SchemaOrBool] | None"
_SubschemaMap: TypeAlias = "dict[str, SchemaOrBool] | None"


# How a `oneOf`/`anyOf` payload names the schema it follows.
class Discriminator(BaseModel):
    model_config = _LAZY

    propertyName: str
    mapping: dict[str, str] | None = None


# How a schema is written as XML (OpenAPI's addition for XML bodies).
class XML(BaseModelWithConfig):
    name: _Text = None
    namespace: _Text = None
    prefix: _Text = None
    attribute: _Flag = None
    wrapped: _Flag = None


_EXAMPLE_DEPRECATION = (
    "OpenAPI 3.1 keeps `example` only for backward compatibility; prefer the JSON Schema `examples` list."
)


class Schema(BaseModelWithConfig):
    # Core vocabulary: identifiers, references and local definitions (the `$` keywords).
    schema_: _Text = Field(default=None, alias="$schema")
    vocabulary: _Text = Field(default=None, alias="$vocabulary")
    id: _Text = Field(default=None, alias="$id")
    anchor: _Text = Field(default=None, alias="$anchor")
    dynamicAnchor: _Text = Field(default=None, alias="$dynamicAnchor")
    ref: _Text = Field(default=None, alias="$ref")
    dynamicRef: _Text = Field(default=None, alias="$dynamicRef")
    defs: _SubschemaMap = Field(default=None, alias="$defs")
    comment: _Text = Field(default=None, alias="$comment")

    # Applicator vocabulary: combining schemas, conditions, then arrays and objects.
    allOf: _Subschemas = None
    anyOf: _Subschemas = None
    oneOf: _Subschemas = None
    not_: _Subschema = Field(default=None, alias="not")
    if_: _Subschema = Field(default=None, alias="if")
    then: _Subschema = None
    else_: _Subschema = Field(default=None, alias="else")
    dependentSchemas: _SubschemaMap = None
    prefixItems: _Subschemas = None
    items: _Subschema = None
    contains: _Subschema = None
    properties: _SubschemaMap = None
    patternProperties: _SubschemaMap = None
    additionalProperties: _Subschema = None
    propertyNames: _Subschema = None
    unevaluatedItems: _Subschema = None
    unevaluatedProperties: _Subschema = None

    # Validation vocabulary: any instance, numbers, strings, arrays, objects.
    type: SchemaType | list[SchemaType] | None = None
    enum: _JsonList = None
    const: _Json = None
    multipleOf: PositiveFloat | None = None
    maximum: _Number = None
    exclusiveMaximum: _Number = None
    minimum: _Number = None
    exclusiveMinimum: _Number = None
    maxLength: _Count = None
    minLength: _Count = None
    pattern: _Text = None
    maxItems: _Count = None
    minItems: _Count = None
    uniqueItems: _Flag = None
    maxContains: _Count = None
    minContains: _Count = None
    maxProperties: _Count = None
    minProperties: _Count = None
    required: _Names = None
    dependentRequired: dict[str, set[str]] | None = None

    # Format-annotation and content vocabularies.
    format: _Text = None
    contentEncoding: _Text = None
    contentMediaType: _Text = None
    contentSchema: _Subschema = None

    # Meta-data vocabulary.
    title: _Text = None
    description: _Text = None
    default: _Json = None
    deprecated: _Flag = None
    readOnly: _Flag = None
    writeOnly: _Flag = None
    examples: _JsonList = None

    # OpenAPI's own Schema Object keywords.
    discriminator: Discriminator | None = None
    xml: XML | None = None
    externalDocs: _Docs = None
    # NOTE: reading `.example` warns (DeprecationWarning), as it does on FastAPI's model.
    example: _Json = Field(default=None, deprecated=_EXAMPLE_DEPRECATION)


# A JSON Schema is either an object or a boolean (`true` accepts anything, `false` nothing).
SchemaOrBool = Schema | bool
_SchemaOrRef: TypeAlias = Schema | Reference | None


# --- Describing a value: examples, media types, parameters, bodies -----------------------------------


@with_config(ConfigDict(extra="allow"))
class Example(TypedDict, total=False):
    summary: _Text
    description: _Text
    value: _Json
    # Where the example lives instead of `value`, for values that JSON cannot hold.
    externalValue: _Url


_Examples: TypeAlias = _RefMap[Example]


class ParameterInType(Enum):
    query = "query"
    header = "header"
    path = "path"
    cookie = "cookie"


# How one property of a multipart or form body is sent.
class Encoding(BaseModelWithConfig):
    contentType: _Text = None
    headers: _RefMap[Header] = None
    style: _Text = None
    explode: _Flag = None
    allowReserved: _Flag = None


class MediaType(BaseModelWithConfig):
    schema_: _SchemaOrRef = Field(default=None, alias="schema")
    example: _Json = None
    examples: _Examples = None
    encoding: dict[str, Encoding] | None = None


# Media types by name (`application/json`): what a body or a complex parameter may look like.
_Content: TypeAlias = dict[str, MediaType]


# What a parameter and a response header have in common.
class ParameterBase(BaseModelWithConfig):
    description: _Text = None
    required: _Flag = None
    deprecated: _Flag = None
    # Simple serialisation: a style plus a schema ...
    style: _Text = None
    explode: _Flag = None
    allowReserved: _Flag = None
    schema_: _SchemaOrRef = Field(default=None, alias="schema")
    example: _Json = None
    examples: _Examples = None
    # ... or, for complex values, a media type map.
    content: _Content | None = None


class Parameter(ParameterBase):
    name: str
    in_: ParameterInType = Field(alias="in")


_Parameters: TypeAlias = list[Parameter | Reference] | None


# A response header: a parameter without `name` and `in`.
class Header(ParameterBase):
    pass


class RequestBody(BaseModelWithConfig):
    description: _Text = None
    content: _Content
    required: _Flag = None


# --- Responses, links, operations, paths -------------------------------------------------------------

# A runtime expression (`$response.body#/id`) or a constant value.
_ExpressionOrValue: TypeAlias = Any | str


# How a value from a response feeds another operation.
class Link(BaseModelWithConfig):
    operationRef: _Text = None
    operationId: _Text = None
    parameters: dict[str, _ExpressionOrValue] | None = None
    requestBody: _ExpressionOrValue | None = None
    description: _Text = None
    server: Server | None = None


class Response(BaseModelWithConfig):
    description: str
    headers: _RefMap[Header] = None
    content: _Content | None = None
    links: _RefMap[Link] = None


class Operation(BaseModelWithConfig):
    tags: _Names = None
    summary: _Text = None
    description: _Text = None
    externalDocs: _Docs = None
    operationId: _Text = None
    parameters: _Parameters = None
    requestBody: RequestBody | Reference | None = None
    # Keyed by status code (`200`, `4XX`, `default`) or by an extension.
    responses: _ExtensibleMap[Response] = None
    callbacks: _RefMap[_Callback] = None
    deprecated: _Flag = None
    security: _Requirements = None
    servers: _Servers = None


_Operation: TypeAlias = Operation | None


# The operations of one path, one field per HTTP method.
class PathItem(BaseModelWithConfig):
    ref: _Text = Field(default=None, alias="$ref")
    summary: _Text = None
    description: _Text = None
    get: _Operation = None
    put: _Operation = None
    post: _Operation = None
    delete: _Operation = None
    options: _Operation = None
    head: _Operation = None
    patch: _Operation = None
    trace: _Operation = None
    servers: _Servers = None
    parameters: _Parameters = None


# A callback: the requests the API may send, as path items keyed by a runtime expression (used above by
# `Operation`; its annotations are resolved once `PathItem` exists).
_Callback: TypeAlias = dict[str, PathItem]


# --- The document ------------------------------------------------------------------------------------


# Reusable objects, each kind in its own map, referred to as `#/components/<kind>/<name>`.
class Components(BaseModelWithConfig):
    schemas: _RefMap[Schema] = None
    responses: _RefMap[Response] = None
    parameters: _RefMap[Parameter] = None
    examples: _Examples = None
    requestBodies: _RefMap[RequestBody] = None
    headers: _RefMap[Header] = None
    securitySchemes: _RefMap[SecurityScheme] = None
    links: _RefMap[Link] = None
    # Unlike the other maps, this one also lets extension keys sit among its entries.
    callbacks: _ExtensibleMap[_Callback | Reference] = None
    pathItems: _RefMap[PathItem] = None


class OpenAPI(BaseModelWithConfig):
    openapi: str
    info: Info
    jsonSchemaDialect: _Text = None
    servers: _Servers = None
    paths: _ExtensibleMap[PathItem] = None
    webhooks: _RefMap[PathItem] = None
    components: Components | None = None
    security: _Requirements = None
    tags: list[Tag] | None = None
    externalDocs: _Docs = None


# NOTE: the forward references (`Schema` naming itself, the quoted `SchemaOrBool` aliases) need no rebuild
# here: a deferred model resolves them in this module's namespace when it is first built.
