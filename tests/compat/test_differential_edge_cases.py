"""Edge cases of parameters, bodies, unions and status codes: vivace and FastAPI answer byte for byte alike."""

import datetime
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int = 10
    tags: list[str] = []


class HeaderModel(BaseModel):
    x_token: str
    user_agent: str | None = None


class Aliased(BaseModel):
    page_size: int = Field(10, alias="pageSize")


class Cat(BaseModel):
    kind: Literal["cat"]
    meows: int


class Dog(BaseModel):
    kind: Literal["dog"]
    barks: float


class Item(BaseModel):
    name: str


def build(fw: Any) -> Any:  # noqa: C901 - one nested endpoint per case, no branching
    app = fw.FastAPI()

    @app.get("/opt-model")
    async def opt_model(f: Annotated[Filters | None, fw.Query()] = None) -> Any:
        return {"f": f}

    @app.get("/hdr-model")
    async def hdr_model(h: Annotated[HeaderModel, fw.Header(convert_underscores=False)]) -> Any:
        return h

    @app.get("/alias-model")
    async def alias_model(p: Annotated[Aliased, fw.Query()]) -> Any:
        return p

    @app.get("/factory")
    async def factory(
        ids: Annotated[list[int], fw.Query(default_factory=list)],
        q: Annotated[str, fw.Query(default_factory=lambda: "made")],
    ) -> Any:
        return {"ids": ids, "q": q}

    @app.get("/list-alias")
    async def list_alias(items: Annotated[list[str] | None, fw.Query(alias="item[]")] = None) -> Any:
        return items

    @app.post("/body-alias")
    async def body_alias(a: Annotated[int, fw.Body(alias="A")], b: Annotated[str, fw.Body(alias="bee")] = "x") -> Any:
        return {"a": a, "b": b}

    @app.post("/body-default")
    async def body_default(item: Annotated[Item | None, fw.Body()] = None, n: int = 0) -> Any:
        return {"item": item, "n": n}

    @app.post("/union")
    async def union(pet: Cat | Dog) -> Any:
        return pet

    @app.post("/disc")
    async def disc(pet: Annotated[Cat | Dog, Field(discriminator="kind")]) -> Any:
        return pet

    @app.get("/dep-response")
    async def dep_response(response: fw.Response) -> Any:
        response.headers["x-a"] = "1"
        return fw.JSONResponse({"j": 1})

    @app.get("/null")
    async def null() -> None:
        return None

    @app.get("/s204", status_code=204)
    async def s204() -> None:
        return {"a": 1}

    @app.get("/s204-model", status_code=204, response_model=None)
    async def s204m() -> Any:
        return {"a": 1}

    @app.get("/path-int-le/{n}")
    async def path_le(n: Annotated[int, fw.Path(le=5)]) -> Any:
        return n

    @app.get("/files/{p:path}")
    async def files(p: Annotated[str, fw.Path(max_length=5)]) -> Any:
        return p

    @app.get("/q-bytes")
    async def q_bytes(b: bytes) -> Any:
        return {"b": b.decode()}

    @app.get("/q-any")
    async def q_any(a=None) -> Any:
        return {"a": a}

    @app.get("/q-union")
    async def q_union(v: int | str) -> Any:
        return {"v": v}

    @app.get("/q-date")
    async def q_date(d: "datetime.date") -> Any:
        return {"d": d}

    @app.get("/sub-resp-cookie-204", status_code=204)
    async def c204(response: fw.Response) -> None:
        response.set_cookie("a", "b")

    @app.get("/hdr-dup")
    async def hdr_dup(x_a: Annotated[str | None, fw.Header()] = None) -> Any:
        return x_a

    @app.get("/q-alias-priority")
    async def q_ap(v: Annotated[str, fw.Query(alias="a", validation_alias="b")]) -> Any:
        return v

    return app


REQS = [
    "GET /opt-model",
    "GET /opt-model?limit=3",
    "GET /opt-model?bogus=1",
    "GET /opt-model?limit=x",
    ("GET /hdr-model", {"headers": {"x_token": "t"}}),
    ("GET /hdr-model", {"headers": {"x-token": "t"}}),
    "GET /alias-model?pageSize=3",
    "GET /alias-model?page_size=3",
    "GET /alias-model?pageSize=x",
    "GET /factory",
    "GET /factory?ids=1&q=z",
    "GET /list-alias?item[]=a&item[]=b",
    "GET /list-alias?items=a",
    ("POST /body-alias", {"json": {"A": 1, "bee": "b"}}),
    ("POST /body-alias", {"json": {"a": 1}}),
    "POST /body-default",
    ("POST /body-default", {"json": {"name": "n"}}),
    ("POST /body-default?n=x", {"json": {"name": 1}}),
    ("POST /union", {"json": {"kind": "dog", "barks": 1}}),
    ("POST /union", {"json": {"kind": "fish"}}),
    ("POST /disc", {"json": {"kind": "dog", "barks": 1}}),
    ("POST /disc", {"json": {"kind": "fish"}}),
    ("POST /disc", {"json": {}}),
    "GET /dep-response",
    "GET /null",
    "GET /s204",
    "GET /s204-model",
    "GET /path-int-le/9",
    "GET /files/abcdefgh/i",
    "GET /q-bytes?b=xyz",
    "GET /q-any?a=1",
    "GET /q-any",
    "GET /q-union?v=3",
    "GET /q-union?v=x",
    "GET /q-date?d=2024-01-01",
    "GET /q-date?d=x",
    "GET /sub-resp-cookie-204",
    ("GET /hdr-dup", {"headers": [("x-a", "1"), ("x-a", "2")]}),
    "GET /q-alias-priority?a=1",
    "GET /q-alias-priority?b=1",
]


@pytest.mark.parametrize("req", REQS)
def test_same_outcome(same: Any, req: Any) -> None:
    """Each request gets the same status, headers and body from both frameworks."""
    same(build, req)
