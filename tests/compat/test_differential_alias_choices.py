"""`AliasChoices` and `AliasPath` on request parameters, compared byte for byte with FastAPI 0.165."""

from typing import Annotated, Any

import pytest
from pydantic import AliasChoices, AliasPath, BaseModel, ConfigDict, Field

FIRST_SECOND = AliasChoices("first", "second")


class QueryModel(BaseModel):
    value: Annotated[int, Field(validation_alias=FIRST_SECOND)]
    tags: Annotated[list[str], Field(validation_alias=AliasChoices("tag", "label"))] = []


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Annotated[int, Field(validation_alias=FIRST_SECOND)]


class HeaderModel(BaseModel):
    x_value: Annotated[int, Field(validation_alias=AliasChoices("X-First", "X-Second"))]


class ByName(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    x_values: Annotated[list[int], Field(alias="X-Other")]


class PathModel(BaseModel):
    value: Annotated[int, Field(validation_alias=AliasPath("items", 0))]


def build(fw: Any) -> Any:  # noqa: C901 - one nested endpoint per case, no branching
    app = fw.FastAPI()

    @app.get("/query")
    def query(
        value: Annotated[int, fw.Query(alias="ignored", validation_alias=FIRST_SECOND)],
        tags: Annotated[list[str], fw.Query(validation_alias=AliasChoices("tag", "label"))] = [],  # noqa: B006
    ) -> Any:
        return {"value": value, "tags": tags}

    @app.get("/inferred")
    def inferred(value: Annotated[int, Field(validation_alias=FIRST_SECOND)]) -> Any:
        return value

    @app.get("/query-model")
    def query_model(data: Annotated[QueryModel, fw.Query()]) -> Any:
        return data

    @app.get("/query-strict")
    def query_strict(data: Annotated[StrictModel, fw.Query()]) -> Any:
        return data

    @app.get("/query-path-model")
    def query_path_model(data: Annotated[PathModel, fw.Query()]) -> Any:
        return data

    @app.get("/header")
    def header(x_value: Annotated[int, fw.Header(validation_alias=AliasChoices("X-First", "X-Second"))]) -> Any:
        return x_value

    @app.get("/header-model")
    def header_model(data: Annotated[HeaderModel, fw.Header()]) -> Any:
        return data

    @app.get("/header-by-name")
    def header_by_name(data: Annotated[ByName, fw.Header()]) -> Any:
        return data

    @app.get("/cookie")
    def cookie(session: Annotated[str, fw.Cookie(validation_alias=AliasChoices("sid", "legacy_sid"))]) -> Any:
        return session

    @app.get("/path/{value}")
    def path(value: Annotated[int, fw.Path(validation_alias=FIRST_SECOND)]) -> Any:
        return value

    @app.post("/body")
    def body(
        value: Annotated[int, fw.Body(validation_alias=FIRST_SECOND)],
        other: Annotated[int, fw.Body()] = 0,
    ) -> Any:
        return {"value": value, "other": other}

    @app.post("/body-embed")
    def body_embed(value: Annotated[int | None, fw.Body(embed=True, validation_alias=FIRST_SECOND)] = 5) -> Any:
        return value

    @app.post("/form")
    def form(value: Annotated[int, fw.Form(validation_alias=FIRST_SECOND)]) -> Any:
        return value

    return app


CASES = [
    "GET /query?first=1",
    "GET /query?second=2",
    "GET /query?second=2&first=1&label=x&tag=a&tag=b",
    "GET /query?second=1&second=2",
    "GET /query?first=bad&second=2",
    "GET /query?first=&second=2",
    "GET /query?second=bad",
    "GET /query",
    "GET /query?ignored=1",
    "GET /query?value=1",
    "GET /inferred?second=3",
    "GET /inferred",
    "GET /query-model?first=1&tag=a",
    "GET /query-model?second=2&label=a&label=b",
    "GET /query-model?second=bad",
    "GET /query-model",
    "GET /query-strict?second=1",
    "GET /query-strict?first=1&second=2",
    "GET /query-path-model?items=1&items=2",
    ("GET /header", {"headers": {"X-First": "1"}}),
    ("GET /header", {"headers": {"X-Second": "2"}}),
    ("GET /header", {"headers": {"X-First": "1", "X-Second": "2"}}),
    ("GET /header", {"headers": {"X-Second": "bad"}}),
    "GET /header",
    ("GET /header-model", {"headers": {"X-Second": "2"}}),
    ("GET /header-model", {"headers": {"X-First": "bad", "X-Second": "2"}}),
    "GET /header-model",
    ("GET /header-by-name", {"headers": {"x-values": "1"}}),
    ("GET /header-by-name", {"headers": {"x_values": "1"}}),
    ("GET /header-by-name", {"headers": {"x-values": "1", "x-other": "2"}}),
    ("GET /header-by-name", {"headers": {"x-values": "bad"}}),
    ("GET /cookie", {"cookies": {"sid": "a"}}),
    ("GET /cookie", {"cookies": {"legacy_sid": "b"}}),
    ("GET /cookie", {"cookies": {"sid": "a", "legacy_sid": "b"}}),
    "GET /cookie",
    "GET /path/7",
    "GET /path/bad",
    ("POST /body", {"json": {"first": 1}}),
    ("POST /body", {"json": {"second": 2, "other": 3}}),
    ("POST /body", {"json": {"first": 1, "second": 2}}),
    ("POST /body", {"json": {"first": None, "second": 2}}),
    ("POST /body", {"json": {"second": "bad"}}),
    ("POST /body", {"json": {}}),
    ("POST /body-embed", {"json": {"second": 2}}),
    ("POST /body-embed", {"json": {"first": None, "second": 2}}),
    ("POST /body-embed", {"json": {}}),
    ("POST /form", {"data": {"first": "1"}}),
    ("POST /form", {"data": {"second": "2"}}),
    ("POST /form", {"data": {"first": "1", "second": "2"}}),
    ("POST /form", {"data": {"second": "bad"}}),
    ("POST /form", {"data": {}}),
]


@pytest.mark.parametrize("req", CASES)
def test_alias_choices(same: Any, req: Any) -> None:
    """Each location reads the first alias choice present, and its errors name the alias FastAPI names."""
    same(build, req)
