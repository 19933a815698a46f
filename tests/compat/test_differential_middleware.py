"""Middleware on vivace and FastAPI: the same apps answer the same requests with the same bytes and headers."""

from typing import Any

import pytest

ORIGIN = "https://front.example"


def differs(spec: Any, reason: str) -> Any:
    """A request on which vivace deliberately answers differently from FastAPI (tracked, strict xfail)."""
    return pytest.param(spec, marks=pytest.mark.xfail(strict=True, reason=f"vivace differs: {reason}"))


def build(fw: Any) -> Any:
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.gzip import GZipMiddleware

    app = fw.FastAPI()
    app.add_middleware(GZipMiddleware, minimum_size=200)

    @app.middleware("http")
    async def inner(request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        response.headers["X-Order"] = response.headers.get("X-Order", "") + "inner;"
        return response

    @app.middleware("http")
    async def outer(request: Any, call_next: Any) -> Any:
        if request.headers.get("x-short-circuit"):
            return fw.PlainTextResponse("stopped early", status_code=403)
        response = await call_next(request)
        response.headers["X-Order"] = response.headers.get("X-Order", "") + "outer;"
        return response

    app.add_middleware(CORSMiddleware, allow_origins=[ORIGIN], allow_methods=["GET", "POST"], allow_headers=["*"])

    @app.get("/items/{item_id}")
    async def read(item_id: int) -> dict[str, int]:
        if item_id == 0:
            raise fw.HTTPException(status_code=404, detail="missing", headers={"X-Why": "zero"})
        if item_id == 13:
            raise ValueError("unlucky")
        return {"item_id": item_id}

    @app.get("/big")
    async def big() -> list[int]:
        return list(range(300))

    @app.post("/echo")
    async def echo(payload: dict[str, Any]) -> dict[str, Any]:
        return payload

    @app.get("/stream")
    async def stream() -> Any:
        async def parts() -> Any:
            for n in range(3):
                yield f"part {n}\n"

        return fw.responses.StreamingResponse(parts(), media_type="text/plain")

    return app


CORS = {"headers": {"Origin": ORIGIN}}


@pytest.mark.parametrize(
    "req",
    [
        "GET /items/1",
        ("GET /items/1", CORS),
        ("GET /items/1", {"headers": {"Origin": "https://evil.example"}}),
        ("GET /items/0", CORS),
        ("GET /items/x", CORS),
        ("GET /nowhere", CORS),
        ("GET /items/1", {"headers": {"x-short-circuit": "1"}}),
        ("GET /big", {"headers": {"Accept-Encoding": "gzip"}}),
        ("GET /big", {"headers": {"Accept-Encoding": "identity"}}),
        ("POST /echo", {"json": {"a": [1, 2]}, **CORS}),
        ("POST /echo", {"content": b"{bad", "headers": {"Content-Type": "application/json"}}),
        "GET /stream",
        ("OPTIONS /items/1", {"headers": {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}}),
        ("OPTIONS /items/1", {"headers": {"Origin": ORIGIN, "Access-Control-Request-Method": "DELETE"}}),
        differs("GET /items/13", "the 500 for an unhandled exception passes through CORS (Vary: Origin)"),
        differs(("GET /items/13", CORS), "the 500 for an unhandled exception carries CORS headers"),
    ],
)
def test_middleware_stack(same: Any, req: Any) -> None:
    """Decorator and class middleware in order, CORS, GZip, short-circuits, errors and streams through them."""
    same(build, req, raise_server_exceptions=False)


def build_gzip_outside(fw: Any) -> Any:
    from starlette.middleware.gzip import GZipMiddleware

    app = fw.FastAPI()

    @app.middleware("http")
    async def passthrough(request: Any, call_next: Any) -> Any:
        return await call_next(request)

    app.add_middleware(GZipMiddleware, minimum_size=200)

    @app.get("/small")
    async def small() -> dict[str, str]:
        return {"size": "small"}

    @app.get("/big")
    async def big() -> list[int]:
        return list(range(300))

    return app


@pytest.mark.parametrize(
    "req",
    [
        ("GET /big", {"headers": {"Accept-Encoding": "identity"}}),
        differs(("GET /big", {"headers": {"Accept-Encoding": "gzip"}}), "a one-message body keeps Content-Length"),
        differs(
            ("GET /small", {"headers": {"Accept-Encoding": "gzip"}}),
            "call_next passes a one-message body on as one message: GZip's minimum_size applies, Content-Length stays",
        ),
    ],
)
def test_gzip_outside_http_middleware(same: Any, req: Any) -> None:
    """GZip around an `@app.middleware("http")` compresses large bodies the same way."""
    same(build_gzip_outside, req)


def build_hosts(fw: Any) -> Any:
    from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    app = fw.FastAPI()
    app.add_middleware(HTTPSRedirectMiddleware)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["testserver", "*.example.com"])

    @app.get("/")
    async def root() -> dict[str, str]:
        return {"ok": "yes"}

    return app


@pytest.mark.parametrize(
    "req",
    ["GET /?x=1", ("GET /", {"headers": {"Host": "api.example.com"}}), ("GET /", {"headers": {"Host": "evil.com"}})],
)
def test_host_and_https_middleware(same: Any, req: Any) -> None:
    """TrustedHostMiddleware rejects unknown hosts; HTTPSRedirectMiddleware redirects to https."""
    same(build_hosts, req)
