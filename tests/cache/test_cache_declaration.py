"""Declaring cached routes: the route looks the same to vivace (OpenAPI, validation), mistakes fail early."""

# NOTE: no `from __future__ import annotations`: the endpoints below use local dependencies in annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from vivace import APIRouter, Depends, FastAPI, Header, Query, Request, Response
from vivace.cache import Cache
from vivace.routing import APIRoute
from vivace.testclient import TestClient


class Item(BaseModel):
    name: str
    price: float


def tenant(x_tenant: Annotated[str, Header()]) -> str:
    return x_tenant


def build(cached: bool) -> FastAPI:
    app = FastAPI()
    cache = Cache()

    def maybe(endpoint: Any) -> Any:
        return cache.cached(ttl=60, user=tenant)(endpoint) if cached else endpoint

    @app.get("/items/{item_id}", response_model=Item, summary="Read an item", tags=["items"])
    @maybe
    async def read_item(
        item_id: int, q: Annotated[str | None, Query(max_length=5)] = None, t: str = Depends(tenant)
    ) -> Any:
        """Reads one item."""
        return {"name": f"item {item_id}", "price": 1.5}

    return app


def test_openapi_document_is_unchanged_by_caching() -> None:
    """The cache's own parameters (Request, Response, the user and store dependencies) add nothing visible."""
    assert build(cached=True).openapi() == build(cached=False).openapi()


def test_validation_still_runs_before_the_cache() -> None:
    """Invalid input is a 422 from the endpoint's own parameters, cached or not."""
    with TestClient(build(cached=True)) as client:
        bad = client.get("/items/x?q=toolong", headers={"x-tenant": "a"})
        assert bad.status_code == 422
        assert [error["loc"] for error in bad.json()["detail"]] == [["path", "item_id"], ["query", "q"]]
        assert client.get("/items/1", headers={"x-tenant": "a"}).json() == {"name": "item 1", "price": 1.5}
        assert client.get("/items/1").status_code == 422  # the user dependency's header is required


def test_streaming_endpoints_cannot_be_cached() -> None:
    """A generator endpoint has no single body: refused when decorated."""
    cache = Cache()

    async def stream() -> AsyncIterator[str]:
        yield "a"

    def sync_stream() -> Iterator[str]:
        yield "a"

    for endpoint in (stream, sync_stream):
        with pytest.raises(TypeError, match="streaming"):
            cache.cached(ttl=1)(endpoint)


def test_reserved_parameter_names_are_refused() -> None:
    """An endpoint parameter named like one the cache adds is a clear error, not a silent mix-up."""

    async def clash(_vivace_cache_request: int) -> int:
        return 1

    with pytest.raises(TypeError, match="reserved"):
        Cache().cached(ttl=1)(clash)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"ttl": 0}, ValueError, "ttl"),
        ({"ttl": 1, "max_age": -1}, ValueError, "max_age"),
        ({"ttl": 1, "user": 42}, TypeError, "dependency"),
    ],
)
def test_bad_options_fail_at_declaration(options: dict[str, Any], error: type[Exception], message: str) -> None:
    """Impossible options are reported when the policy is made."""
    with pytest.raises(error, match=message):
        Cache().cached(**options)


def test_impossible_outage_options_are_refused() -> None:
    """on_unavailable is "bypass" or "error"; the outage backoff is not negative."""
    with pytest.raises(ValueError, match="bypass"):
        Cache(on_unavailable="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="outage_backoff"):
        Cache(outage_backoff=-1)


def test_cache_as_a_dependency_hands_the_cache_itself() -> None:
    """`Depends(cache)` gives endpoints the cache (for invalidation) on the memory backend too."""
    app = FastAPI()
    cache = Cache()

    @app.get("/which")
    async def which(c: Annotated[Cache, Depends(cache)]) -> bool:
        return c is cache

    with TestClient(app) as client:
        assert client.get("/which").json() is True


def test_one_policy_decorates_several_endpoints() -> None:
    """The policy can be kept and applied to several endpoints; each has its own entries (their paths differ)."""
    app = FastAPI()
    cache = Cache()
    policy = cache.cached(ttl=60)
    runs: list[str] = []

    @app.get("/one")
    @policy
    def one() -> str:
        runs.append("one")
        return "one"

    @app.get("/two")
    @policy
    async def two() -> str:
        runs.append("two")
        return "two"

    with TestClient(app) as client:
        assert [client.get(path).json() for path in ("/one", "/two", "/one", "/two")] == ["one", "two"] * 2
    assert runs == ["one", "two"]
    assert "ttl=60" in repr(policy)


class Stamped(APIRoute):
    """A custom route class, as FastAPI apps write them: wraps the handler and stamps each response."""

    def get_route_handler(self) -> Callable[[Request], Any]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            response = await original(request)
            response.headers["X-Stamped"] = "yes"
            return response

        return handler


def test_cached_route_in_an_included_router_with_a_custom_route_class() -> None:
    """Prefixes from include_router and a route class's handler wrap the cached endpoint as any other."""
    cache = Cache()
    runs: list[int] = []
    router = APIRouter(prefix="/items", route_class=Stamped)

    @router.get("/{item_id}")
    @cache.cached(ttl=60)
    async def item(item_id: int) -> dict[str, int]:
        runs.append(item_id)
        return {"item": item_id}

    app = FastAPI()
    app.include_router(router, prefix="/api")
    with TestClient(app) as client:
        first = client.get("/api/items/1")
        again = client.get("/api/items/1", headers={"If-None-Match": first.headers["etag"]})
    assert (first.json(), first.headers["x-stamped"]) == ({"item": 1}, "yes")
    assert (again.status_code, again.headers["x-stamped"]) == (304, "yes")
    assert runs == [1]


def test_a_single_name_may_be_given_as_a_string() -> None:
    """`headers="Accept-Language"` and `query="page"` mean one name each, not a sequence of letters."""
    app = FastAPI()
    cache = Cache()
    runs: list[str] = []

    @app.get("/list")
    @cache.cached(ttl=60, headers="Accept-Language", query="page", store_headers="X-Count")
    async def listing(page: int = 1, sort: str = "") -> dict[str, int]:
        runs.append(f"{page}{sort}")
        return {"page": page}

    with TestClient(app) as client:
        answer = client.get("/list?page=1&sort=a")
        client.get("/list?page=1&sort=b")
        client.get("/list?page=1", headers={"Accept-Language": "fr"})
    assert answer.headers["vary"] == "Accept-Language"
    assert runs == ["1a", "1"]


FASTAPI_STYLE_APP = """
import vivace.compat

vivace.compat.install()

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

from vivace.cache import Cache


class Out(BaseModel):
    name: str


app = FastAPI()
cache = Cache()
runs = []


@app.get("/model", response_model=Out)
@cache.cached(ttl=60)
def model():
    runs.append("model")
    return {"name": "n", "hidden": 1}


@app.get("/response")
@cache.cached(ttl=60)
async def response():
    runs.append("response")
    return JSONResponse({"ok": True}, headers={"X-Kept": "no"})


with TestClient(app) as client:
    for path in ("/model", "/response"):
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        print(path, first.text, again.status_code)
print(runs)
"""


def test_fastapi_code_on_the_alias_caches_like_vivace_code() -> None:
    """An app written against `fastapi` (run on vivace through the alias) caches models and returned responses."""
    done = subprocess.run(
        [sys.executable, "-c", FASTAPI_STYLE_APP], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        '/model {"name":"n"} 304',
        '/response {"ok":true} 304',
        "['model', 'response']",
    ]
