"""`get_openapi(..., openapi_version="3.0.3")`: the 3.1 document rewritten as a valid OpenAPI 3.0 document.

Each rule is checked on a small schema, then whole documents are checked with `openapi-spec-validator`
(the 3.0 validator is strict: any keyword 3.0 does not know fails it).
"""

import copy
import json
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

import pytest
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
from pydantic import BaseModel, Field

from vivace import APIRouter, Body, FastAPI, File, Form, Header, Query, Security, UploadFile
from vivace.openapi._downgrade import downgrade_document, downgrade_schema, is_openapi_30
from vivace.openapi.utils import get_openapi
from vivace.security import APIKeyHeader, HTTPBasic, OAuth2PasswordBearer
from vivace.sse import EventSourceResponse
from vivace.testclient import TestClient

REF = {"$ref": "#/components/schemas/Item"}


def errors_30(document: dict[str, Any]) -> list[str]:
    """Every complaint the strict OpenAPI 3.0 validator has about `document`."""
    errors = OpenAPIV30SpecValidator(document).iter_errors()
    return [f"{list(error.absolute_path)}: {error.message}" for error in errors]


def errors_31(document: dict[str, Any]) -> list[str]:
    errors = OpenAPIV31SpecValidator(document).iter_errors()
    return [f"{list(error.absolute_path)}: {error.message}" for error in errors]


# -- one rule at a time -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        pytest.param(
            {"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}], "title": "Q"},
            {"type": "string", "maxLength": 5, "title": "Q", "nullable": True},
            id="optional-scalar",
        ),
        pytest.param(
            {"anyOf": [REF, {"type": "null"}], "description": "d"},
            {"allOf": [REF], "description": "d", "nullable": True},
            id="optional-model",
        ),
        pytest.param(
            {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
            {"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": True},
            id="optional-union",
        ),
        pytest.param(
            {"oneOf": [{"type": "integer", "title": "A"}, {"type": "null"}], "title": "B"},
            {"allOf": [{"type": "integer", "title": "A"}], "title": "B", "nullable": True},
            id="clashing-keywords-kept-apart",
        ),
        pytest.param({"type": ["number", "null"]}, {"type": "number", "nullable": True}, id="type-list-with-null"),
        pytest.param(
            {"type": ["integer", "boolean"]}, {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}, id="type-list"
        ),
        pytest.param({"type": "null", "title": "N"}, {"title": "N", "nullable": True, "enum": [None]}, id="null"),
        pytest.param(
            {"anyOf": [{"enum": ["a", "b"], "type": "string"}, {"type": "null"}]},
            {"enum": ["a", "b", None], "type": "string", "nullable": True},
            id="nullable-enum-lists-null",
        ),
        pytest.param({"const": "cat", "type": "string"}, {"enum": ["cat"], "type": "string"}, id="const"),
        pytest.param({"type": "string", "examples": ["a", "b"]}, {"type": "string", "example": "a"}, id="examples"),
        pytest.param(
            {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10.5},
            {"type": "number", "exclusiveMinimum": True, "exclusiveMaximum": True, "minimum": 0, "maximum": 10.5},
            id="exclusive-bounds",
        ),
        pytest.param(
            {"type": "integer", "exclusiveMinimum": 0, "minimum": 3},
            {"type": "integer", "minimum": 3},
            id="stricter-inclusive-bound-wins",
        ),
        pytest.param(
            {"type": "string", "contentMediaType": "application/octet-stream"},
            {"type": "string", "format": "binary"},
            id="binary",
        ),
        pytest.param({"type": "string", "contentEncoding": "base64"}, {"type": "string", "format": "byte"}, id="b64"),
        pytest.param(
            {"type": "string", "contentMediaType": "application/json", "contentSchema": REF},
            {"type": "string"},
            id="json-string",
        ),
        pytest.param(
            {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "minItems": 2, "maxItems": 2},
            {
                "type": "array", "minItems": 2, "maxItems": 2,
                "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
            },
            id="tuple",
        ),
        pytest.param(
            {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "integer"}]},
            {"type": "array", "items": {"type": "integer"}},
            id="homogeneous-tuple",
        ),
        pytest.param(
            {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
            {"type": "array", "items": {"type": "integer"}, "maxItems": 1},
            id="closed-tuple",
        ),
        pytest.param(
            {"type": "array", "items": [{"const": 1}, {"type": "string"}]},
            {"type": "array", "items": {"anyOf": [{"enum": [1]}, {"type": "string"}]}},
            id="draft-4-tuple",
        ),
        pytest.param({"type": "array"}, {"type": "array", "items": {}}, id="array-needs-items"),
        pytest.param(
            {"type": "object", "patternProperties": {"^x": {"type": "integer"}}},
            {"type": "object", "additionalProperties": {"type": "integer"}},
            id="pattern-properties",
        ),
        pytest.param({**REF, "description": "d"}, {"allOf": [REF], "description": "d"}, id="ref-siblings"),
        pytest.param(
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "$comment": "c", "type": "object",
             "propertyNames": {"pattern": "^a"}, "x-keep": 1, "flavour": "sweet"},
            {"type": "object", "x-keep": 1, "x-flavour": "sweet"},
            id="unknown-keywords",
        ),
        pytest.param(True, {}, id="true-schema"),
        pytest.param(False, {"not": {}}, id="false-schema"),
    ],
)
def test_schema_rule(schema: Any, expected: Any) -> None:
    """Each 3.1-only construct becomes its 3.0 equivalent."""
    before = copy.deepcopy(schema)
    assert downgrade_schema(schema) == expected
    assert schema == before, "the input schema must not be modified"


def test_rules_apply_at_every_depth() -> None:
    """Sub-schemas (properties, items, unions, additionalProperties) are rewritten too; data values are not."""
    schema = {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
            "meta": {"type": "object", "additionalProperties": {"const": 1}},
            "any": {"anyOf": [{"type": "object", "additionalProperties": True}, {"type": "null"}]},
        },
        "default": {"tags": [None], "const": "data, not a keyword"},
        "examples": [{"type": "null"}],
    }
    assert downgrade_schema(schema) == {
        "type": "object",
        "properties": {
            "tags": {"type": "array", "items": {"type": "string", "nullable": True}},
            "meta": {"type": "object", "additionalProperties": {"enum": [1]}},
            "any": {"type": "object", "additionalProperties": True, "nullable": True},
        },
        "default": {"tags": [None], "const": "data, not a keyword"},
        "example": {"type": "null"},
    }


def test_document_level_rules() -> None:
    """info.summary, license identifiers, webhooks, stream item schemas and media-type examples in 3.0."""
    media = {"itemSchema": {"const": 1}, "examples": {"one": {"value": {"a": None}}}}
    document = {
        "openapi": "3.1.0",
        "info": {"title": "T", "summary": "S", "version": "1", "license": {"name": "MIT", "identifier": "MIT"}},
        "paths": {"/": {"get": {"responses": {"200": {"description": "ok", "content": {"application/jsonl": media}}}}}},
        "webhooks": {"ping": {"post": {"responses": {"200": {"description": "ok"}}}}},
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    }
    converted = downgrade_document(document, "3.0.3")
    assert converted["openapi"] == "3.0.3"
    assert converted["info"] == {
        "title": "T", "version": "1", "description": "S",
        "license": {"name": "MIT", "url": "https://spdx.org/licenses/MIT.html"},
    }
    assert converted["x-webhooks"] == document["webhooks"]
    assert "webhooks" not in converted and "jsonSchemaDialect" not in converted
    content = converted["paths"]["/"]["get"]["responses"]["200"]["content"]["application/jsonl"]
    assert content == {"x-itemSchema": {"enum": [1]}, "examples": {"one": {"value": {"a": None}}}}
    assert errors_30(converted) == []
    assert document["openapi"] == "3.1.0" and "webhooks" in document, "the input document must not be modified"


def test_only_30_versions_convert() -> None:
    """"3.0.x" asks for the conversion; any other version is written as given, with the 3.1 content."""
    assert [is_openapi_30(v) for v in ("3.0.0", "3.0.3", "3.0.4", "3.1.0", "3.1.1")] == [True] * 3 + [False] * 2
    app = FastAPI()

    @app.get("/")
    def read(q: int | None = None) -> None:
        pass

    document = get_openapi(title="T", version="1", openapi_version="3.1.1", routes=app.routes)
    assert document["openapi"] == "3.1.1"
    assert document["paths"]["/"]["get"]["parameters"][0]["schema"]["anyOf"][1] == {"type": "null"}


# -- whole documents ----------------------------------------------------------------------------------------


class Tag(BaseModel):
    name: str = Field(examples=["home"])
    kind: Literal["tag"] = "tag"


class Item(BaseModel):
    name: str
    price: float = Field(gt=0, lt=1000, description="Price in euros")
    tax: float | None = None
    tags: list[Tag] = []
    main_tag: Tag | None = None
    size: tuple[int, int] | None = None
    checksum: bytes | None = None
    extra: dict[str, Any] = {}

    model_config = {"json_schema_extra": {"examples": [{"name": "Lamp", "price": 12.5}]}}


class Event(BaseModel):
    id: int


def rich_app(**kwargs: Any) -> FastAPI:
    """Files, forms, nullable models, examples, security with scopes, callbacks, webhooks and streams."""
    oauth2 = OAuth2PasswordBearer(tokenUrl="token", scopes={"read": "Read items", "write": "Write items"})
    app = FastAPI(
        title="Rich", summary="Everything at once", license_info={"name": "MIT", "identifier": "MIT"},
        servers=[{"url": "https://api.example.com"}], openapi_tags=[{"name": "items", "description": "Items"}],
        **kwargs,
    )
    callbacks = APIRouter()

    @callbacks.post("{$callback_url}/events/{$request.body.name}")
    def item_created(body: Event) -> None:
        pass

    @app.post("/files/", tags=["files"])
    async def upload(
        file: UploadFile, thumbnail: Annotated[bytes | None, File()] = None,
        note: Annotated[str | None, Form(max_length=50)] = None,
    ) -> dict[str, str]:
        return {}

    @app.put("/items/{item_id}", response_model=Item | None, tags=["items"], callbacks=callbacks.routes,
             responses={404: {"description": "Missing", "model": Event}})
    async def put_item(
        item_id: int,
        item: Annotated[Item, Body(openapi_examples={"lamp": {"value": {"name": "Lamp", "price": 3}}})],
        token: Annotated[str, Security(oauth2, scopes=["write"])],
        q: Annotated[str | None, Query(max_length=5, examples=["abc"])] = None,
        x_trace: Annotated[int | None, Header(ge=0)] = None,
    ) -> Any:
        return item

    @app.get("/basic", dependencies=[Security(HTTPBasic()), Security(APIKeyHeader(name="X-Key"))])
    def basic(kind: Literal["a", "b"] | None = None) -> list[Item]:
        return []

    @app.get("/events", response_class=EventSourceResponse)
    async def events() -> AsyncIterator[Event]:
        yield Event(id=1)

    @app.get("/lines")
    def lines() -> Iterator[Event]:
        yield Event(id=1)

    @app.webhooks.post("item-sold")
    def item_sold(item: Item) -> None:
        pass

    return app


def test_rich_app_is_valid_openapi_30() -> None:
    """A document using every feature the generator knows passes the strict 3.0 validator after conversion."""
    app = rich_app()
    original = app.openapi()
    # NOTE: FastAPI documents streams with a Media Type `itemSchema`, which is OpenAPI 3.2: the 3.1 validator
    # rejects exactly those two places in FastAPI's document as in vivace's.
    assert [error for error in errors_31(original) if "'itemSchema' was unexpected" not in error] == []
    converted = get_openapi(
        title=app.title, version=app.version, openapi_version="3.0.3", summary=app.summary, routes=app.routes,
        webhooks=app.webhooks.routes, tags=app.openapi_tags, servers=app.servers, license_info=app.license_info,
    )
    assert converted["openapi"] == "3.0.3"
    assert errors_30(converted) == []
    # the same operations and schemas, only spelled for 3.0
    assert converted["paths"].keys() == original["paths"].keys()
    assert converted["components"]["schemas"].keys() == original["components"]["schemas"].keys()
    assert converted["x-webhooks"].keys() == original["webhooks"].keys()
    text = json.dumps(converted)
    assert '"type": "null"' not in text and "contentMediaType" not in text and "prefixItems" not in text


def test_app_openapi_version_attribute() -> None:
    """`app.openapi_version = "3.0.3"` makes /openapi.json a valid 3.0 document."""
    app = rich_app()
    app.openapi_version = "3.0.3"
    document = TestClient(app).get("/openapi.json").json()
    assert document["openapi"] == "3.0.3"
    assert errors_30(document) == []
    item = document["components"]["schemas"]["Item"]["properties"]
    assert item["tax"] == {"type": "number", "title": "Tax", "nullable": True}
    assert item["price"]["minimum"] == 0 and item["price"]["exclusiveMinimum"] is True
    assert item["checksum"]["format"] == "binary"
    upload = document["components"]["schemas"]["Body_upload_files__post"]["properties"]
    assert upload["file"] == {"type": "string", "format": "binary", "title": "File"}
