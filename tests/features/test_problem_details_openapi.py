"""The OpenAPI document of an app with problem details declares them (and stays a valid document)."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from vivace import APIRouter, Depends, FastAPI
from vivace.openapi._problems import PROBLEM_SCHEMAS
from vivace.problems import PROBLEM_JSON
from vivace.ratelimit import RateLimit


class Item(BaseModel):
    name: str


class Conflict(BaseModel):
    current: int


def build(app: FastAPI, router: APIRouter | None = None) -> FastAPI:
    target: Any = router if router is not None else app

    @target.get("/items/{item_id}", responses={404: {"description": "No such item"}, 409: {"model": Conflict}})
    async def read_item(item_id: int) -> Item:
        return Item(name="pen")

    @target.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @target.get("/limited", dependencies=[Depends(RateLimit("5/minute"))])
    async def limited() -> dict[str, str]:
        return {}

    if router is not None:
        app.include_router(router)
    return app


def responses(document: dict[str, Any], path: str) -> dict[str, Any]:
    return dict(document["paths"][path]["get"]["responses"])


def ref(name: str) -> dict[str, Any]:
    return {"schema": {"$ref": f"#/components/schemas/{name}"}}


def test_app_document_declares_problem_responses() -> None:
    """422s become ValidationProblemDetail, declared 4xx/5xx list ProblemDetail; the document validates."""
    document = build(FastAPI(problem_details=True)).openapi()
    validate(document)
    item = responses(document, "/items/{item_id}")
    assert item["422"]["content"] == {PROBLEM_JSON: ref("ValidationProblemDetail")}
    assert item["404"] == {"description": "No such item", "content": {PROBLEM_JSON: ref("ProblemDetail")}}
    assert item["409"]["content"] == {"application/json": ref("Conflict"), PROBLEM_JSON: ref("ProblemDetail")}
    assert "422" not in responses(document, "/health") and "content" in item["200"]
    assert PROBLEM_JSON in responses(document, "/limited")["429"]["content"]
    schemas = document["components"]["schemas"]
    assert schemas["ProblemDetail"] == PROBLEM_SCHEMAS["ProblemDetail"]
    assert "HTTPValidationError" not in schemas  # nothing refers to it any more
    assert list(schemas) == sorted(schemas)


def test_router_document_changes_only_its_operations() -> None:
    """With problem details on one router, the app's other operations keep FastAPI's error responses."""
    app = build(FastAPI(), APIRouter(prefix="/v2", problem_details=True))

    @app.get("/v1/items/{item_id}")
    async def read_v1(item_id: int) -> Item:
        return Item(name="pen")

    document = app.openapi()
    validate(document)
    assert PROBLEM_JSON in responses(document, "/v2/items/{item_id}")["422"]["content"]
    assert responses(document, "/v1/items/{item_id}")["422"]["content"] == {
        "application/json": ref("HTTPValidationError")
    }
    assert {"HTTPValidationError", "ProblemDetail", "ValidationProblemDetail"} <= set(document["components"]["schemas"])


def test_openapi_30_document_validates_too() -> None:
    """An app serving OpenAPI 3.0 gets the same declarations in a valid 3.0 document."""
    app = build(FastAPI(problem_details=True))
    app.openapi_version = "3.0.3"
    document = app.openapi()
    assert document["openapi"] == "3.0.3"
    validate(document)
    assert PROBLEM_JSON in responses(document, "/items/{item_id}")["404"]["content"]


@pytest.mark.parametrize("router_setting", [None, False])
def test_document_without_problem_details_is_untouched(router_setting: bool | None) -> None:
    """No route with problem details: no problem schema anywhere."""
    document = build(FastAPI(), APIRouter(problem_details=router_setting)).openapi()
    assert "ProblemDetail" not in document["components"]["schemas"]
    assert PROBLEM_JSON not in str(document)
