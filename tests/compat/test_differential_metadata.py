"""Validation metadata beside vivace's markers (pydantic `Field`, `AfterValidator`) applies as in FastAPI."""

from typing import Annotated, Any

import pytest
from pydantic import AfterValidator, Field


def check(v: int) -> int:
    if v == 13:
        raise ValueError("unlucky")
    return v


def build(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/field-q")
    async def field_q(q: Annotated[int, fw.Query(), Field(gt=0)]) -> Any:
        return q

    @app.get("/field-only")
    async def field_only(q: Annotated[int, Field(gt=0)] = 1) -> Any:
        return q

    @app.get("/after")
    async def after(q: Annotated[int, AfterValidator(check)]) -> Any:
        return q

    @app.get("/after-q")
    async def after_q(q: Annotated[int, AfterValidator(check), fw.Query(le=20)]) -> Any:
        return q

    @app.post("/after-body")
    async def after_body(q: Annotated[int, AfterValidator(check), fw.Body(embed=True)]) -> Any:
        return q

    return app


REQS = [
    "GET /field-q?q=0",
    "GET /field-q?q=1",
    "GET /field-only?q=0",
    "GET /field-only",
    "GET /after?q=13",
    "GET /after-q?q=13",
    "GET /after-q?q=30",
    ("POST /after-body", {"json": {"q": 13}}),
]


@pytest.mark.parametrize("req", REQS)
def test_same_outcome(same: Any, req: Any) -> None:
    """Each request gets the same status, headers and body from both frameworks."""
    same(build, req)
