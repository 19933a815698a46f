"""JSON request bodies: valid, invalid, missing, empty and malformed, compared byte for byte with FastAPI."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ConfigDict, Field


class Image(BaseModel):
    url: str
    name: str


class Item(BaseModel):
    name: str
    price: float
    description: str | None = None
    tax: float = 0.0
    tags: set[str] = set()
    images: list[Image] | None = None


class User(BaseModel):
    username: str
    full_name: str | None = None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    when: date


class Aliased(BaseModel):
    item_name: str = Field(alias="itemName")
    count: int = Field(default=1, ge=1)


def build_body(fw: Any) -> Any:  # noqa: C901 - one nested endpoint per case, no branching
    app = fw.FastAPI()

    @app.post("/item")
    async def single(item: Item) -> Any:
        return item

    @app.post("/embed")
    async def embed(item: Annotated[Item, fw.Body(embed=True)]) -> Any:
        return {"item": item}

    @app.post("/multi")
    async def multi(item: Item, user: User, importance: Annotated[int, fw.Body(gt=0)]) -> Any:
        return {"item": item, "user": user, "importance": importance}

    @app.post("/multi-optional")
    async def multi_optional(item: Item, user: User | None = None) -> Any:
        return {"item": item, "user": user}

    @app.post("/optional")
    async def optional(item: Item | None = None) -> Any:
        return {"item": item}

    @app.post("/optional-embed")
    async def optional_embed(item: Annotated[Item | None, fw.Body(embed=True)] = None) -> Any:
        return {"item": item}

    @app.post("/list")
    async def as_list(images: list[Image]) -> Any:
        return images

    @app.post("/dict")
    async def as_dict(weights: dict[int, float]) -> Any:
        return weights

    @app.post("/scalar")
    async def scalar(value: Annotated[int, fw.Body()]) -> Any:
        return {"value": value}

    @app.post("/scalar-embed")
    async def scalar_embed(value: Annotated[int, fw.Body(embed=True)]) -> Any:
        return {"value": value}

    @app.post("/strict")
    async def strict(data: Strict) -> Any:
        return data

    @app.post("/aliased")
    async def aliased(data: Aliased) -> Any:
        return data

    @app.post("/any")
    async def any_body(data: Annotated[Any, fw.Body()]) -> Any:
        return {"data": data}

    @app.put("/items/{item_id}")
    async def update(item_id: int, item: Item, q: str | None = None) -> Any:
        return {"item_id": item_id, "q": q, **item.model_dump()}

    @app.post("/types")
    async def types(
        when: Annotated[datetime, fw.Body()],
        amount: Annotated[Decimal, fw.Body()],
        day: Annotated[date | None, fw.Body()] = None,
    ) -> Any:
        return {"when": when, "amount": amount, "day": day}

    @app.post("/sync")
    def sync_body(item: Item) -> Any:
        return {"name": item.name}

    return app


JSON = {"content-type": "application/json"}
ITEM = {"name": "Foo", "price": 35.4}
FULL_ITEM = {
    "name": "Foo",
    "price": 1.5,
    "description": "d",
    "tax": 0.1,
    "tags": ["a", "b", "a"],
    "images": [{"url": "http://example.com/a.png", "name": "a"}],
}

VALID_REQUESTS = [
    ("POST /item", {"json": ITEM}),
    ("POST /item", {"json": FULL_ITEM}),
    ("POST /item", {"json": {"name": "Foo", "price": "35.4"}}),
    ("POST /item", {"json": {"name": "Foo", "price": 1, "unknown": True}}),
    ("POST /item", {"content": '{"name": "Caf\u00e9", "price": 1e2}'.encode(), "headers": JSON}),
    ("POST /embed", {"json": {"item": ITEM}}),
    ("POST /multi", {"json": {"item": ITEM, "user": {"username": "dave"}, "importance": 5}}),
    ("POST /multi-optional", {"json": {"item": ITEM}}),
    ("POST /multi-optional", {"json": {"item": ITEM, "user": None}}),
    ("POST /optional", {"json": ITEM}),
    "POST /optional",
    ("POST /optional", {"json": None}),
    ("POST /optional-embed", {"json": {"item": ITEM}}),
    ("POST /optional-embed", {"json": {}}),
    "POST /optional-embed",
    ("POST /list", {"json": [{"url": "u", "name": "n"}, {"url": "v", "name": "m"}]}),
    ("POST /list", {"json": []}),
    ("POST /dict", {"json": {"1": 1.5, "2": 2}}),
    ("POST /scalar", {"json": 5}),
    ("POST /scalar", {"json": "5"}),
    ("POST /scalar-embed", {"json": {"value": 5}}),
    ("POST /strict", {"json": {"id": 1, "when": "2024-01-02"}}),
    ("POST /aliased", {"json": {"itemName": "x", "count": 2}}),
    ("POST /any", {"json": [1, "two", None, {"x": 1.5}]}),
    ("POST /any", {"json": None}),
    ("PUT /items/3?q=z", {"json": ITEM}),
    ("POST /types", {"json": {"when": "2024-01-02T03:04:05Z", "amount": "1.10", "day": "2024-02-03"}}),
    ("POST /types", {"json": {"when": 1700000000, "amount": 2.5}}),
    ("POST /sync", {"json": ITEM}),
    ("POST /item", {"json": ITEM, "headers": {"content-type": "application/json; charset=utf-8"}}),
    ("POST /item", {"json": ITEM, "headers": {"content-type": "application/vnd.api+json"}}),
    ("POST /item", {"json": ITEM, "headers": {"content-type": "APPLICATION/JSON"}}),
]


@pytest.mark.parametrize("req", VALID_REQUESTS)
def test_valid_bodies(same: Any, req: Any) -> None:
    """Valid JSON bodies (single, embedded, several, optional, lists, dicts, scalars) give FastAPI's bytes."""
    same(build_body, req)


INVALID_REQUESTS = [
    "POST /item",
    ("POST /item", {"json": {}}),
    ("POST /item", {"json": {"name": "Foo"}}),
    ("POST /item", {"json": {"name": 1, "price": "cheap"}}),
    ("POST /item", {"json": {"name": "Foo", "price": 1, "images": [{"url": 1}]}}),
    ("POST /item", {"json": {"name": "Foo", "price": 1, "tags": "notalist"}}),
    ("POST /item", {"json": None}),
    ("POST /item", {"json": []}),
    ("POST /item", {"json": [ITEM]}),
    ("POST /item", {"json": "a string"}),
    ("POST /item", {"json": 42}),
    ("POST /embed", {"json": ITEM}),
    ("POST /embed", {"json": {"item": None}}),
    ("POST /embed", {"json": []}),
    "POST /embed",
    ("POST /multi", {"json": {}}),
    ("POST /multi", {"json": {"item": ITEM, "user": {}, "importance": 0}}),
    ("POST /multi", {"json": {"item": ITEM, "user": "dave", "importance": "x"}}),
    ("POST /multi", {"json": [1, 2]}),
    ("POST /multi", {"json": "text"}),
    "POST /multi",
    ("POST /list", {"json": {"url": "u", "name": "n"}}),
    ("POST /list", {"json": [{"url": "u"}, 3]}),
    ("POST /dict", {"json": {"a": 1}}),
    ("POST /dict", {"json": {"1": "heavy"}}),
    ("POST /scalar", {"json": "five"}),
    ("POST /scalar", {"json": {"value": 5}}),
    "POST /scalar",
    ("POST /scalar-embed", {"json": 5}),
    ("POST /strict", {"json": {"id": 1, "when": "yesterday", "extra": 1}}),
    ("POST /strict", {"json": {"id": 1.5, "when": "2024-13-01"}}),
    ("POST /aliased", {"json": {"item_name": "x"}}),
    ("POST /aliased", {"json": {"itemName": "x", "count": 0}}),
    ("PUT /items/abc", {"json": {"name": 3}}),
    ("POST /types", {"json": {"when": "not a date", "amount": "abc"}}),
    ("POST /sync", {"json": {}}),
]


@pytest.mark.parametrize("req", INVALID_REQUESTS)
def test_invalid_bodies(same: Any, req: Any) -> None:
    """Invalid bodies answer 422 with FastAPI's exact error list (types, locs, msgs, inputs, ctx)."""
    same(build_body, req)


MALFORMED_REQUESTS = [
    ("POST /item", {"content": b"{", "headers": JSON}),
    ("POST /item", {"content": b'{"name": "Foo", "price": }', "headers": JSON}),
    ("POST /item", {"content": b'{"name": "Foo",}', "headers": JSON}),
    ("POST /item", {"content": b"{'name': 'Foo'}", "headers": JSON}),
    ("POST /item", {"content": b'{"name": "Foo", "price": 1} trailing', "headers": JSON}),
    ("POST /item", {"content": b"nul", "headers": JSON}),
    ("POST /item", {"content": b"   ", "headers": JSON}),
    ("POST /item", {"content": b'{"name": "\xff", "price": 1}', "headers": JSON}),
    ("POST /item", {"content": b'{"name": "Foo", "price": NaN}', "headers": JSON}),
    ("POST /item", {"content": b'{"name": "Foo", "price": Infinity}', "headers": JSON}),
    ("POST /item", {"content": b'{"a": 1, "a": 2}', "headers": JSON}),
    ("POST /embed", {"content": b'{"item": {"name": "x", "price": 1}', "headers": JSON}),
    ("POST /multi", {"content": b"[1, 2", "headers": JSON}),
    ("POST /scalar", {"content": b"01", "headers": JSON}),
    ("POST /list", {"content": b"[{}]x", "headers": JSON}),
    ("POST /any", {"content": b'"unterminated', "headers": JSON}),
    ("POST /optional", {"content": b"{", "headers": JSON}),
]


@pytest.mark.parametrize("req", MALFORMED_REQUESTS)
def test_malformed_json(same: Any, req: Any) -> None:
    """Malformed JSON answers 422 `json_invalid` with FastAPI's position and message."""
    same(build_body, req)


CONTENT_TYPE_REQUESTS = [
    ("POST /item", {"content": b'{"name": "Foo", "price": 1}'}),
    ("POST /item", {"content": b'{"name": "Foo", "price": 1}', "headers": {"content-type": "text/plain"}}),
    ("POST /item", {"content": b'{"name": "Foo", "price": 1}', "headers": {"content-type": "application/xml"}}),
    ("POST /item", {"content": b'{"name": "Foo", "price": 1}', "headers": {"content-type": "application/jsonx"}}),
    ("POST /item", {"content": b'{"name": "Foo", "price": 1}', "headers": {"content-type": "json"}}),
    ("POST /item", {"content": b'{"name": "Foo", "price": 1}', "headers": {"content-type": ""}}),
    ("POST /item", {"data": {"name": "Foo", "price": "1"}}),
    ("POST /embed", {"content": b'{"item": {"name": "x", "price": 1}}', "headers": {"content-type": "text/plain"}}),
    ("POST /multi", {"content": b"{}", "headers": {"content-type": "text/plain"}}),
    ("POST /optional", {"content": b"{}", "headers": {"content-type": "text/plain"}}),
    ("POST /scalar", {"content": b"5", "headers": {"content-type": "text/plain"}}),
    ("POST /any", {"content": b"raw bytes", "headers": {"content-type": "application/octet-stream"}}),
    ("POST /item", {"content": b"", "headers": JSON}),
    ("POST /optional", {"content": b"", "headers": JSON}),
]


@pytest.mark.parametrize("req", CONTENT_TYPE_REQUESTS)
def test_content_types(same: Any, req: Any) -> None:
    """Bodies without or with a non-JSON Content-Type, or empty, are handled as FastAPI (strict by default)."""
    same(build_body, req)


def build_lax(fw: Any) -> Any:
    app = fw.FastAPI(strict_content_type=False)

    @app.post("/item")
    async def single(item: Item) -> Any:
        return item

    @app.post("/embed")
    async def embed(item: Annotated[Item, fw.Body(embed=True)]) -> Any:
        return {"item": item}

    return app


LAX_REQUESTS = [
    ("POST /item", {"content": b'{"name": "Foo", "price": 1}'}),
    ("POST /item", {"content": b'{"name": "Foo", "price": 1}', "headers": {"content-type": "text/plain"}}),
    ("POST /item", {"content": b"{bad"}),
    ("POST /embed", {"content": b'{"item": {"name": "x", "price": 1}}'}),
]


@pytest.mark.parametrize("req", LAX_REQUESTS)
def test_lax_content_type(same: Any, req: Any) -> None:
    """With strict_content_type=False a body without Content-Type is parsed as JSON, as in FastAPI."""
    same(build_lax, req)


def test_validation_error_exposes_body(same: Any) -> None:
    """`RequestValidationError.body` holds the parsed body, as a custom handler sees it in FastAPI."""

    def build(fw: Any) -> Any:
        app = fw.FastAPI()

        @app.exception_handler(fw.RequestValidationError)
        async def handler(request: Any, exc: Any) -> Any:
            return fw.JSONResponse(
                {"body": fw.encoders.jsonable_encoder(exc.body), "count": len(exc.errors())}, status_code=400
            )

        @app.post("/item")
        async def create(item: Item) -> Any:
            return item

        return app

    same(
        build,
        ("POST /item", {"json": {"name": "x"}}),
        ("POST /item", {"content": b"{", "headers": JSON}),
        ("POST /item", {"content": b"plain", "headers": {"content-type": "text/plain"}}),
        "POST /item",
    )
