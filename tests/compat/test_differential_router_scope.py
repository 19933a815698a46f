"""With router-scoped handlers, router middleware and problem details off, vivace answers exactly as FastAPI.

The vivace side of each app spells the settings out at their "off" values (empty handler tables and middleware
lists, `problem_details=False` / `None`); FastAPI's side is the same app without them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Framework
from pydantic import BaseModel


class Item(BaseModel):
    name: str
    price: float


def off(fw: Framework, **vivace_only: Any) -> dict[str, Any]:
    """Keyword arguments only vivace takes, at values that turn its features off."""
    return vivace_only if fw.name == "vivace" else {}


def build(fw: Framework) -> Any:
    """Nested routers, app handlers, and every kind of error answer."""

    class Refused(Exception):
        pass

    async def refused(request: Any, exc: Refused) -> Any:
        return fw.JSONResponse({"refused": str(exc)}, status_code=409)

    app = fw.FastAPI(exception_handlers={Refused: refused}, **off(fw, problem_details=False))
    inner = fw.APIRouter(prefix="/inner", **off(fw, exception_handlers={}, middleware=[], problem_details=None))
    outer = fw.APIRouter(prefix="/outer", **off(fw, problem_details=False))

    @inner.get("/items/{item_id}", responses={404: {"description": "No such item"}})
    async def read_item(item_id: int, q: str | None = None) -> Item:
        if item_id == 0:
            raise fw.HTTPException(404, "No such item", headers={"x-reason": "zero"})
        if item_id == 1:
            raise Refused("one")
        if item_id == 2:
            raise RuntimeError("boom")
        return Item(name=q or "pen", price=1.5)

    @inner.post("/items", max_body_size=64)
    async def create_item(item: Item) -> Item:
        return item

    @outer.get("/teapot")
    async def teapot() -> None:
        raise fw.HTTPException(418)

    outer.include_router(inner, **off(fw, exception_handlers={}, middleware=[]))
    app.include_router(outer)
    return app


@pytest.mark.parametrize(
    "req",
    [
        "GET /outer/inner/items/5?q=cup",
        "GET /outer/inner/items/0",
        "GET /outer/inner/items/1",
        "GET /outer/inner/items/x",
        "DELETE /outer/inner/items/5",
        "GET /outer/nowhere",
        "GET /outer/teapot",
        ("POST /outer/inner/items", {"json": {"name": "x", "price": "free"}}),
        ("POST /outer/inner/items", {"content": b"{", "headers": {"content-type": "application/json"}}),
    ],
)
def test_error_answers_unchanged(same: Any, req: Any) -> None:
    """404/405/409/418/422 answers are FastAPI's, byte for byte, with the features spelled out as off.

    (413 bodies differ on purpose, see docs/differences.md.)"""
    same(build, req)


def test_server_error_unchanged(fw: Framework, send: Any) -> None:
    """The 500 of an unhandled exception is Starlette's plain one, and the exception reaches the server."""
    [outcome] = send(build(fw), "GET /outer/inner/items/2", raise_server_exceptions=False)
    assert outcome[0] == 500 and outcome[2] == b"Internal Server Error"
    [raised] = send(build(fw), "GET /outer/inner/items/2")
    assert raised.type_name == "RuntimeError"


def test_openapi_document_unchanged(both: dict[str, Framework]) -> None:
    """The OpenAPI document is FastAPI's, with the features off."""
    documents = {name: json.dumps(build(fw).openapi(), sort_keys=True) for name, fw in both.items()}
    assert documents["vivace"] == documents["fastapi"]


def test_exception_handlers_mapping_unchanged(both: dict[str, Framework]) -> None:
    """`app.exception_handlers` holds the same keys, with FastAPI's default handlers, when problem details are off."""
    tables = {name: build(fw).exception_handlers for name, fw in both.items()}
    assert [key.__name__ for key in tables["vivace"]] == [key.__name__ for key in tables["fastapi"]]
    vivace_handlers = both["vivace"].exception_handlers
    assert set(tables["vivace"].values()) >= {
        vivace_handlers.http_exception_handler,
        vivace_handlers.request_validation_exception_handler,
    }
