"""Path, query, header and cookie parameters: the same app on vivace and FastAPI answers byte for byte alike.

Each `build_*` function declares one app with the framework namespace it is given (`fw`); each test sends
one request (its id reads like the request) to both apps through the `same` fixture.
"""

import uuid
from enum import Enum
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field


class Color(str, Enum):  # noqa: UP042 - the `str, Enum` idiom of FastAPI's tutorial is what users write
    red = "red"
    blue = "blue"


class Level(int, Enum):
    low = 1
    high = 2


# -- path parameters ------------------------------------------------------------------------------------------


def build_path(fw: Any) -> Any:  # noqa: C901 - one nested endpoint per case, no branching
    app = fw.FastAPI()

    @app.get("/int/{value}")
    async def as_int(value: int) -> Any:
        return {"value": value}

    @app.get("/float/{value}")
    async def as_float(value: float) -> Any:
        return {"value": value}

    @app.get("/str/{value}")
    async def as_str(value: str) -> Any:
        return {"value": value}

    @app.get("/color/{color}")
    async def as_enum(color: Color) -> Any:
        return {"color": color, "is_red": color is Color.red}

    @app.get("/level/{level}")
    async def as_int_enum(level: Level) -> Any:
        return {"level": level}

    @app.get("/uuid/{value}")
    async def as_uuid(value: uuid.UUID) -> Any:
        return {"value": value, "version": value.version}

    @app.get("/conv-int/{value:int}")
    async def convertor_int(value: int) -> Any:
        return {"value": value}

    @app.get("/conv-uuid/{value:uuid}")
    async def convertor_uuid(value: uuid.UUID) -> Any:
        return {"value": str(value)}

    @app.get("/files/{file_path:path}")
    async def as_path(file_path: str) -> Any:
        return {"file_path": file_path}

    @app.get("/bounded/{value}")
    async def bounded(value: Annotated[int, fw.Path(gt=0, le=10, title="Bounded")]) -> Any:
        return {"value": value}

    @app.get("/pattern/{code}")
    async def pattern(code: Annotated[str, fw.Path(pattern="^[a-z]{3}$", min_length=3)]) -> Any:
        return {"code": code}

    @app.get("/bool/{flag}")
    async def as_bool(flag: bool) -> Any:
        return {"flag": flag}

    @app.get("/literal/{mode}")
    async def as_literal(mode: Literal["fast", "slow"]) -> Any:
        return {"mode": mode}

    @app.get("/two/{a}/{b}")
    async def two(a: int, b: Annotated[str, fw.Path(max_length=2)]) -> Any:
        return {"a": a, "b": b}

    return app


PATH_REQUESTS = [
    "GET /int/3",
    "GET /int/-7",
    "GET /int/abc",
    "GET /int/3.5",
    "GET /int/1e3",
    "GET /float/2.5",
    "GET /float/3",
    "GET /float/nan",
    "GET /float/inf",
    "GET /float/x",
    "GET /str/hello%20world",
    "GET /str/caf%C3%A9",
    "GET /color/red",
    "GET /color/green",
    "GET /level/2",
    "GET /level/3",
    "GET /uuid/12345678-1234-5678-1234-567812345678",
    "GET /uuid/not-a-uuid",
    "GET /conv-int/42",
    "GET /conv-int/forty",
    "GET /conv-uuid/12345678-1234-5678-1234-567812345678",
    "GET /files/a/b/c.txt",
    "GET /files/",
    "GET /bounded/5",
    "GET /bounded/0",
    "GET /bounded/11",
    "GET /pattern/abc",
    "GET /pattern/ABCD",
    "GET /bool/true",
    "GET /bool/yes",
    "GET /bool/0",
    "GET /bool/maybe",
    "GET /literal/fast",
    "GET /literal/medium",
    "GET /two/x/yyy",
]


@pytest.mark.parametrize("req", PATH_REQUESTS)
def test_path_parameters(same: Any, req: Any) -> None:
    """Path parameters convert, constrain and fail (422 bodies) exactly as in FastAPI."""
    same(build_path, req)


# -- query parameters -----------------------------------------------------------------------------------------


def build_query(fw: Any) -> Any:  # noqa: C901 - one nested endpoint per case, no branching
    app = fw.FastAPI()

    @app.get("/required")
    async def required(q: str, n: int) -> Any:
        return {"q": q, "n": n}

    @app.get("/optional")
    async def optional(q: str | None = None, limit: int = 10, skip: int | None = 0) -> Any:
        return {"q": q, "limit": limit, "skip": skip}

    @app.get("/list")
    async def as_list(
        tags: Annotated[list[str], fw.Query()] = [],  # noqa: B006 - FastAPI copies defaults per request
        ids: Annotated[list[int] | None, fw.Query()] = None,
    ) -> Any:
        return {"tags": tags, "ids": ids}

    @app.get("/list-required")
    async def list_required(item: Annotated[list[str], fw.Query(min_length=1)]) -> Any:
        return {"item": item}

    @app.get("/list-default")
    async def list_default(item: Annotated[list[str], fw.Query()] = ["a", "b"]) -> Any:  # noqa: B006
        return {"item": item}

    @app.get("/set")
    async def as_set(item: Annotated[set[int], fw.Query()]) -> Any:
        return {"item": sorted(item)}

    @app.get("/tuple")
    async def as_tuple(point: Annotated[tuple[int, int], fw.Query()]) -> Any:
        return {"point": point}

    @app.get("/alias")
    async def alias(item_query: Annotated[str | None, fw.Query(alias="item-query")] = None) -> Any:
        return {"item_query": item_query}

    @app.get("/validation-alias")
    async def validation_alias(value: Annotated[str, fw.Query(validation_alias="v")]) -> Any:
        return {"value": value}

    @app.get("/constraints")
    async def constraints(
        name: Annotated[str, fw.Query(min_length=2, max_length=5, pattern="^[a-z]+$")],
        size: Annotated[int, fw.Query(ge=1, lt=100)] = 10,
        ratio: Annotated[float, fw.Query(gt=0, multiple_of=0.5)] = 1.0,
    ) -> Any:
        return {"name": name, "size": size, "ratio": ratio}

    @app.get("/bool")
    async def as_bool(flag: bool = False) -> Any:
        return {"flag": flag}

    @app.get("/bool-required")
    async def bool_required(flag: bool) -> Any:
        return {"flag": flag}

    @app.get("/enum")
    async def as_enum(color: Color = Color.red, level: Level | None = None) -> Any:
        return {"color": color, "level": level}

    @app.get("/empty")
    async def empty(q: str | None = None, n: int | None = None, s: str = "default") -> Any:
        return {"q": q, "n": n, "s": s}

    @app.get("/float")
    async def as_float(x: float) -> Any:
        return {"x": x}

    @app.get("/uuid")
    async def as_uuid(u: uuid.UUID | None = None) -> Any:
        return {"u": u}

    @app.get("/many")
    async def many(a: int, b: int, c: Annotated[str, fw.Query(max_length=1)]) -> Any:
        return [a, b, c]

    @app.get("/deprecated")
    async def deprecated_param(old: Annotated[str | None, fw.Query(deprecated=True)] = None) -> Any:
        return {"old": old}

    return app


QUERY_REQUESTS = [
    "GET /required?q=x&n=1",
    "GET /required",
    "GET /required?q=x",
    "GET /required?q=x&n=one",
    "GET /required?q=a&q=b&n=1&n=2",
    "GET /optional",
    "GET /optional?q=hi&limit=5&skip=2",
    "GET /optional?limit=",
    "GET /optional?skip=",
    "GET /optional?limit=-1",
    "GET /optional?limit=1.0",
    "GET /optional?limit=1.5",
    "GET /list",
    "GET /list?tags=a&tags=b&ids=1&ids=2",
    "GET /list?ids=1&ids=x&ids=3",
    "GET /list?tags=",
    "GET /list?tags=a,b",
    "GET /list-required",
    "GET /list-required?item=z",
    "GET /list-default",
    "GET /list-default?item=c",
    "GET /set?item=3&item=1&item=3",
    "GET /set?item=a",
    "GET /tuple?point=1&point=2",
    "GET /tuple?point=1",
    "GET /tuple?point=1&point=2&point=3",
    "GET /alias?item-query=x",
    "GET /alias?item_query=x",
    "GET /validation-alias?v=1",
    "GET /validation-alias?value=1",
    "GET /constraints?name=abc",
    "GET /constraints?name=a",
    "GET /constraints?name=abcdef",
    "GET /constraints?name=AB",
    "GET /constraints?name=ab&size=0&ratio=0.3",
    "GET /constraints?name=ab&size=100&ratio=-1",
    "GET /bool?flag=true",
    "GET /bool?flag=True",
    "GET /bool?flag=1",
    "GET /bool?flag=on",
    "GET /bool?flag=yes",
    "GET /bool?flag=off",
    "GET /bool?flag=no",
    "GET /bool?flag=0",
    "GET /bool?flag=false",
    "GET /bool?flag=maybe",
    "GET /bool?flag=",
    "GET /bool-required",
    "GET /bool-required?flag=",
    "GET /enum?color=blue&level=1",
    "GET /enum?color=green&level=9",
    "GET /empty?q=&n=&s=",
    "GET /empty?q=",
    "GET /float?x=1e400",
    "GET /float?x=-0.0",
    "GET /float?x=0.1",
    "GET /float?x=1.5e-07",
    "GET /uuid?u=12345678123456781234567812345678",
    "GET /uuid?u=nope",
    "GET /many?a=x&b=y&c=zz",
    "GET /many?c=",
    "GET /deprecated?old=1",
    "GET /optional?q=%C3%A9t%C3%A9&unknown=1",
    "GET /optional?q=a%26b%3Dc",
    "GET /optional?q=a+b",
]


@pytest.mark.parametrize("req", QUERY_REQUESTS)
def test_query_parameters(same: Any, req: Any) -> None:
    """Query parameters: required, optional, defaults, lists, aliases, constraints, bools and "" as in FastAPI."""
    same(build_query, req)


# -- headers --------------------------------------------------------------------------------------------------


def build_headers(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/agent")
    async def agent(user_agent: Annotated[str | None, fw.Header()] = None) -> Any:
        return {"user_agent": user_agent}

    @app.get("/required")
    async def required(x_token: Annotated[str, fw.Header()], x_count: Annotated[int, fw.Header()] = 1) -> Any:
        return {"x_token": x_token, "x_count": x_count}

    @app.get("/strange")
    async def strange(
        strange_header: Annotated[str | None, fw.Header(convert_underscores=False)] = None,
    ) -> Any:
        return {"strange_header": strange_header}

    @app.get("/list")
    async def as_list(x_token: Annotated[list[str] | None, fw.Header()] = None) -> Any:
        return {"x_token": x_token}

    @app.get("/alias")
    async def alias(value: Annotated[str | None, fw.Header(alias="X-Custom-Value")] = None) -> Any:
        return {"value": value}

    @app.get("/bounded")
    async def bounded(x_level: Annotated[int, fw.Header(ge=1, le=3)]) -> Any:
        return {"x_level": x_level}

    return app


HEADER_REQUESTS = [
    ("GET /agent", {"headers": {"user-agent": "probe/1.0"}}),
    ("GET /agent", {"headers": {"User-Agent": "MixedCase"}}),
    "GET /required",
    ("GET /required", {"headers": {"x-token": "secret"}}),
    ("GET /required", {"headers": {"X-Token": "secret", "X-Count": "5"}}),
    ("GET /required", {"headers": {"x_token": "underscored"}}),
    ("GET /required", {"headers": {"x-token": "s", "x-count": "many"}}),
    ("GET /strange", {"headers": {"strange_header": "kept"}}),
    ("GET /strange", {"headers": {"strange-header": "converted"}}),
    ("GET /list", {"headers": [("x-token", "a"), ("x-token", "b")]}),
    ("GET /list", {"headers": [("x-token", "a, b")]}),
    "GET /list",
    ("GET /alias", {"headers": {"x-custom-value": "v"}}),
    ("GET /alias", {"headers": {"value": "v"}}),
    ("GET /bounded", {"headers": {"x-level": "2"}}),
    ("GET /bounded", {"headers": {"x-level": "9"}}),
    ("GET /bounded", {"headers": {"x-level": ""}}),
]


@pytest.mark.parametrize("req", HEADER_REQUESTS)
def test_header_parameters(same: Any, req: Any) -> None:
    """Headers: underscore conversion, case-insensitivity, repeated values, aliases and constraints."""
    same(build_headers, req)


# -- cookies --------------------------------------------------------------------------------------------------


def build_cookies(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/session")
    async def session(session_id: Annotated[str | None, fw.Cookie()] = None) -> Any:
        return {"session_id": session_id}

    @app.get("/required")
    async def required(token: Annotated[str, fw.Cookie()], count: Annotated[int, fw.Cookie()] = 0) -> Any:
        return {"token": token, "count": count}

    @app.get("/alias")
    async def alias(value: Annotated[str | None, fw.Cookie(alias="my-cookie")] = None) -> Any:
        return {"value": value}

    return app


COOKIE_REQUESTS = [
    ("GET /session", {"headers": {"cookie": "session_id=abc"}}),
    "GET /session",
    ("GET /session", {"headers": {"cookie": "other=1"}}),
    "GET /required",
    ("GET /required", {"headers": {"cookie": "token=t; count=3"}}),
    ("GET /required", {"headers": {"cookie": "token=t; count=x"}}),
    ("GET /required", {"headers": {"cookie": 'token="quoted value"'}}),
    ("GET /alias", {"headers": {"cookie": "my-cookie=v"}}),
    ("GET /alias", {"headers": {"cookie": "value=v"}}),
]


@pytest.mark.parametrize("req", COOKIE_REQUESTS)
def test_cookie_parameters(same: Any, req: Any) -> None:
    """Cookies are read, converted and reported missing or invalid as in FastAPI."""
    same(build_cookies, req)


# -- parameter models -----------------------------------------------------------------------------------------


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(100, gt=0, le=100)
    offset: int = Field(0, ge=0)
    order_by: Literal["created_at", "updated_at"] = "created_at"
    tags: list[str] = []


class OpenFilters(BaseModel):
    q: str | None = None
    page: int = 1


class CommonHeaders(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str
    save_data: bool
    if_modified_since: str | None = None
    x_tag: list[str] = []


class Session(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: str
    tracker: str | None = None


class AliasedQuery(BaseModel):
    item_id: int = Field(alias="item-id")


def build_models(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/query")
    async def query(filters: Annotated[Filters, fw.Query()]) -> Any:
        return filters

    @app.get("/open")
    async def open_query(filters: Annotated[OpenFilters, fw.Query()]) -> Any:
        return filters

    @app.get("/aliased")
    async def aliased(params: Annotated[AliasedQuery, fw.Query()]) -> Any:
        return params

    @app.get("/headers")
    async def headers(headers: Annotated[CommonHeaders, fw.Header()]) -> Any:
        return headers

    @app.get("/cookies")
    async def cookies(cookies: Annotated[Session, fw.Cookie()]) -> Any:
        return cookies

    return app


MODEL_REQUESTS = [
    "GET /query",
    "GET /query?limit=10&offset=5&order_by=updated_at&tags=a&tags=b",
    "GET /query?limit=0&offset=-1&order_by=name",
    "GET /query?tool=plumbus",
    "GET /query?limit=x&tool=plumbus",
    "GET /open?q=x&page=2&extra=ignored",
    "GET /open?page=x",
    "GET /aliased?item-id=3",
    "GET /aliased?item_id=3",
    ("GET /headers", {"headers": {"save-data": "true", "if-modified-since": "yesterday", "x-tag": "1"}}),
    ("GET /headers", {"headers": {"save-data": "maybe"}}),
    ("GET /headers", {"headers": {"save-data": "true", "x-unknown": "1"}}),
    ("GET /headers", {"headers": {"save_data": "true"}}),
    ("GET /cookies", {"headers": {"cookie": "session_id=1; tracker=2"}}),
    ("GET /cookies", {"headers": {"cookie": "tracker=2"}}),
    ("GET /cookies", {"headers": {"cookie": "session_id=1; santa_tracker=2"}}),
    "GET /cookies",
]


@pytest.mark.parametrize("req", MODEL_REQUESTS)
def test_parameter_models(same: Any, req: Any) -> None:
    """Pydantic models as query/header/cookie groups, including `extra="forbid"` errors, as in FastAPI."""
    same(build_models, req)


def test_mixed_locations_error_order(same: Any) -> None:
    """Errors from several locations come back in FastAPI's order: path, query, header, cookie, body."""

    class Item(BaseModel):
        name: str

    def build(fw: Any) -> Any:
        app = fw.FastAPI()

        @app.post("/items/{item_id}")
        async def create(
            item_id: int,
            item: Item,
            q: int,
            x_token: Annotated[int, fw.Header()],
            session: Annotated[int, fw.Cookie()],
        ) -> Any:
            return {"item_id": item_id}

        return app

    same(
        build,
        ("POST /items/x?q=y", {"json": {"name": 1}, "headers": {"x-token": "t", "cookie": "session=s"}}),
        "POST /items/x",
        ("POST /items/1?q=2", {"json": {"name": "n"}, "headers": {"x-token": "3", "cookie": "session=4"}}),
    )
