"""Explicit max_body_size / form_limits beyond single routes, compared with FastAPI 0.165.

Where a 413's body differs (FastAPI answers plain text when Starlette's counter, not FastAPI's own body
parsing, hits the limit; vivace always answers JSON, see docs/differences.md) only the status is compared.
"""

import importlib
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse


async def echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(await request.body())


def statuses(fw: Any, app: Any, *bodies: bytes, path: str = "/") -> list[int]:
    client = fw.TestClient(app)
    return [client.post(path, content=body).status_code for body in bodies]


BAD_SETTINGS: list[Callable[[Any], Any]] = [
    lambda fw: fw.FastAPI(max_body_size=-1),
    lambda fw: fw.FastAPI(max_body_size=False),
    lambda fw: fw.APIRouter(max_body_size=2.5),
    lambda fw: fw.FastAPI().include_router(fw.APIRouter(), max_body_size=-1),
    lambda fw: fw.FastAPI(form_limits={"max_parts": 1}),
    lambda fw: fw.FastAPI(form_limits={"max_files": -1}),
    lambda fw: fw.FastAPI().include_router(fw.APIRouter(), form_limits={"max_fields": -1}),
]


@pytest.mark.parametrize("declare", BAD_SETTINGS)
def test_bad_settings_are_value_errors(fw: Any, declare: Callable[[Any], Any]) -> None:
    """Both frameworks refuse a malformed limit where it is declared."""
    with pytest.raises(ValueError):
        declare(fw)


@pytest.mark.parametrize(("parent", "child", "expected"), [(5, None, 413), (5, 10, 200), (10, 5, 413)])
@pytest.mark.parametrize("kind", ["app", "router"])
def test_mounts_inherit_and_override(fw: Any, kind: str, parent: int, child: int | None, expected: int) -> None:
    """A mounted app or APIRouter is bound by the parent's limit unless it sets its own."""
    sub = fw.FastAPI(max_body_size=child) if kind == "app" else fw.APIRouter(max_body_size=child)
    sub.post("/")(echo)
    app = fw.FastAPI(max_body_size=parent)
    app.mount("/sub", sub)
    assert statuses(fw, app, b"123456", b"12345", path="/sub/") == [expected, 200]


@pytest.mark.parametrize(("app_limit", "route_limit"), [(5, 10), (10, 5)])
def test_middleware_reading_the_body(fw: Any, app_limit: int, route_limit: int) -> None:
    """A middleware reads under the app's limit; the route's own limit still applies afterwards."""
    app = fw.FastAPI(max_body_size=app_limit)
    app.post("/", max_body_size=route_limit)(echo)

    @app.middleware("http")
    async def read_body(request: Any, call_next: Any) -> Any:
        await request.body()
        return await call_next(request)

    assert statuses(fw, app, b"123456", b"12345") == [413, 200]


def test_mount_in_an_included_router(fw: Any) -> None:
    """A mount inside an included router gets the inclusion's limit."""
    mounted = fw.FastAPI()
    mounted.post("/")(echo)
    router = fw.APIRouter()
    router.mount("/m", mounted)
    app = fw.FastAPI()
    app.include_router(router, prefix="/n", max_body_size=5)
    assert statuses(fw, app, b"12345", b"123456", path="/n/m/") == [200, 413]


def test_declared_body_over_the_app_limit_on_a_missing_path(fw: Any) -> None:
    """A Content-Length over the app's limit is refused even where nothing would read it."""
    assert statuses(fw, fw.FastAPI(max_body_size=2), b"123", path="/missing") == [413]


def build_form_mount(fw: Any) -> Any:
    async def field(text: Annotated[str, fw.Form()]) -> str:
        return text

    api_route = importlib.import_module(f"{fw.name}.routing").APIRoute
    route = api_route("/", field, methods=["POST"], form_limits={"max_fields": 1})
    app = fw.FastAPI(form_limits={"max_part_size": 2, "max_fields": 0})
    app.mount("/sub", fw.FastAPI(routes=[route]))
    return app


@pytest.mark.parametrize(
    "req",
    [
        ("POST /sub/", {"files": {"text": (None, "ab")}}),
        ("POST /sub/", {"files": {"text": (None, "abc")}}),
        ("POST /sub/", {"data": {"text": "a", "extra": "b"}}),
    ],
)
def test_form_limits_through_a_mount(same: Any, req: Any) -> None:
    """A mounted app's form route takes the parent's form_limits for the keys it leaves unset."""
    same(build_form_mount, req)


def build_copied_settings(fw: Any) -> Any:
    async def field(text: Annotated[str, fw.Form()]) -> str:
        return text

    limits = {"max_fields": 1}
    app = fw.FastAPI(form_limits=limits)
    limits["max_fields"] = 0
    app.post("/")(field)
    return app


def test_settings_are_copied(same: Any) -> None:
    """Changing the dict passed as form_limits after declaration changes nothing."""
    same(build_copied_settings, ("POST /", {"data": {"text": "ok"}}))


def test_async_generator_lifespan(fw: Any) -> None:
    """An async generator function lifespan runs, with no deprecation warning."""
    events: list[str] = []

    async def lifespan(app: Any) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    with fw.TestClient(fw.FastAPI(lifespan=lifespan, max_body_size=0)):
        pass
    assert events == ["startup", "shutdown"]


def test_frontend_in_an_inclusion_uses_its_body_limit(fw: Any, tmp_path: Any) -> None:
    """One router's frontend included twice: each inclusion's max_body_size applies to requests for its files."""
    (tmp_path / "index.html").write_text("hello")
    router = fw.APIRouter()
    router.frontend("/", directory=tmp_path)
    app = fw.FastAPI()
    app.include_router(router, prefix="/empty", max_body_size=0)
    app.include_router(router, prefix="/small", max_body_size=10)
    # NOTE: FastAPI's 413 here goes through an exception its TestClient would re-raise; the status is what counts
    client = fw.TestClient(app, raise_server_exceptions=False)
    assert client.request("GET", "/empty/index.html", content=b"x").status_code == 413
    small = client.request("GET", "/small/index.html", content=b"x")
    assert (small.status_code, small.text) == (200, "hello")
