"""Limited operations document their 429 (headers and JSON error) in the OpenAPI document; others do not."""

from __future__ import annotations

from typing import Any

from openapi_spec_validator import validate

from vivace import APIRouter, Depends, FastAPI
from vivace.ratelimit import RateLimit
from vivace.ratelimit.redis import RedisRateLimitBackend


def responses(app: FastAPI, path: str, method: str = "get") -> dict[str, Any]:
    document = app.openapi()
    validate(document)
    found: dict[str, Any] = document["paths"][path][method]["responses"]
    return found


def test_limited_routes_document_429_and_others_do_not() -> None:
    """Route and router limiters add a 429 with Retry-After, RateLimit, RateLimit-Policy and the error body."""
    router = APIRouter(prefix="/api", dependencies=[Depends(RateLimit("100/hour", name="api"))])

    @router.post("/orders")
    async def order() -> str:
        return "ok"

    app = FastAPI()
    app.include_router(router)

    @app.get("/search", dependencies=[Depends(RateLimit("10/minute"))])
    async def search() -> list[str]:
        return []

    @app.get("/health")
    async def health() -> str:
        return "ok"

    documented = responses(app, "/search")
    assert list(documented) == ["200", "429"]
    refused = documented["429"]
    assert refused["content"] == {
        "application/json": {
            "schema": {
                "title": "HTTPError",
                "type": "object",
                "properties": {"detail": {"title": "Detail", "type": "string"}},
                "required": ["detail"],
            }
        }
    }
    assert set(refused["headers"]) == {"Retry-After", "RateLimit", "RateLimit-Policy"}
    assert refused["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert refused["headers"]["RateLimit-Policy"]["example"] == '"default";q=10;w=60'
    assert (refused["headers"]["Retry-After"]["example"], refused["headers"]["RateLimit"]["example"]) == (
        6,
        '"default";r=0;t=6',
    )
    assert responses(app, "/api/orders", "post")["429"]["headers"]["RateLimit-Policy"]["example"] == (
        '"api";q=100;w=3600'
    )
    assert "429" not in responses(app, "/health")


def test_app_wide_limiter_documents_every_operation() -> None:
    """`FastAPI(dependencies=[Depends(limiter)])`: every operation can answer 429, and says so."""
    app = FastAPI(dependencies=[Depends(RateLimit("1000/hour", shared=True))])

    @app.get("/a")
    async def a() -> str:
        return "a"

    @app.put("/b/{item}")
    async def b(item: int) -> int:
        return item

    assert "429" in responses(app, "/a")
    assert list(responses(app, "/b/{item}", "put")) == ["200", "429", "422"]


def test_failing_closed_on_redis_also_documents_503() -> None:
    """Only a limiter that can refuse for lack of its store documents the 503 (no server needed to document)."""
    backend = RedisRateLimitBackend("redis://127.0.0.1:1/0")
    app = FastAPI()

    @app.get("/closed", dependencies=[Depends(RateLimit("5/minute", backend=backend, on_backend_error="fail_closed"))])
    async def closed() -> str:
        return "c"

    @app.get("/open", dependencies=[Depends(RateLimit("5/minute", backend=backend))])
    async def open_() -> str:
        return "o"

    @app.get("/memory", dependencies=[Depends(RateLimit("5/minute", on_backend_error="fail_closed"))])
    async def memory() -> str:
        return "m"

    assert responses(app, "/closed")["503"]["headers"]["Retry-After"]["example"] == 1
    assert "503" not in responses(app, "/open")
    assert "503" not in responses(app, "/memory")


def test_a_route_own_429_wins() -> None:
    """A route that documents its 429 itself keeps that description."""
    app = FastAPI()

    @app.get("/x", dependencies=[Depends(RateLimit("5/minute"))], responses={429: {"description": "Slow down"}})
    async def x() -> str:
        return "x"

    assert responses(app, "/x")["429"] == {"description": "Slow down"}
