"""/openapi.json: the document is built lazily, once, and its encoded bytes are reused while it is unchanged."""

from typing import Any

import pytest
from starlette.responses import JSONResponse

import vivace.openapi._setup
from vivace import APIRouter, FastAPI
from vivace.testclient import TestClient


def many_routes(count: int) -> FastAPI:
    app = FastAPI()
    router = APIRouter()
    for number in range(count):

        @router.get(f"/items{number}/{{item_id}}", name=f"item{number}")
        def read(item_id: int, q: str | None = None) -> dict[str, Any]:
            return {}

    app.include_router(router)
    return app


def test_document_is_built_on_first_use_only() -> None:
    """Creating an app with 200 routes and serving a request builds no document; /openapi.json builds it."""
    app = many_routes(200)
    client = TestClient(app)
    assert client.get("/items7/3").status_code == 200
    assert app.openapi_schema is None
    assert len(client.get("/openapi.json").json()["paths"]) == 200
    assert app.openapi_schema is not None


def test_unchanged_document_is_encoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Repeated requests reuse the encoded bytes; a new document (here: a user's override) is encoded anew."""
    encoded: list[dict[str, Any]] = []

    class CountingJSONResponse(JSONResponse):
        def render(self, content: Any) -> bytes:
            encoded.append(content)
            return super().render(content)

    monkeypatch.setattr(vivace.openapi._setup, "JSONResponse", CountingJSONResponse)
    app = many_routes(3)
    client = TestClient(app)
    first = client.get("/openapi.json")
    assert client.get("/openapi.json").content == first.content
    assert len(encoded) == 1
    assert first.headers["content-type"] == "application/json"
    assert int(first.headers["content-length"]) == len(first.content)

    def custom_openapi() -> dict[str, Any]:
        document = dict(app.openapi_schema or {})
        document["info"] = {**document["info"], "x-logo": {"url": "/logo.png"}}
        return document

    app.openapi = custom_openapi  # type: ignore[method-assign]  # FastAPI's documented override pattern
    assert client.get("/openapi.json").json()["info"]["x-logo"] == {"url": "/logo.png"}
    assert len(encoded) == 2
