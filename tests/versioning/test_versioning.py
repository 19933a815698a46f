"""API versions by path prefix and by header: which copy answers, deprecation headers, per-version documents."""

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from vivace import APIRouter, Depends, FastAPI, Request, WebSocket
from vivace.responses import JSONResponse, Response
from vivace.routing import APIRoute
from vivace.testclient import TestClient
from vivace.versioning import Deprecation, Version, Versions, version

RETIRED = Deprecation(
    at=datetime(2025, 1, 1, tzinfo=UTC),
    sunset=datetime(2026, 7, 1, 12, 30, tzinfo=UTC),
    link="https://example.com/migrate",
)
DEPRECATION = "@1735689600"
SUNSET = "Wed, 01 Jul 2026 12:30:00 GMT"


class ItemV1(BaseModel):
    name: str


class Item(BaseModel):
    name: str
    price: float


def caller() -> str:
    return "real"


def items_router() -> APIRouter:
    router = APIRouter(tags=["items"])

    @router.get("/items")
    def list_items(who: Annotated[str, Depends(caller)]) -> list[str]:
        return [who]

    @router.get("/items/{item_id}")
    @version(removed="2")
    def read_item_v1(item_id: int) -> ItemV1:
        return ItemV1(name=f"item {item_id}")

    @version(since="2")
    @router.get("/items/{item_id}")
    def read_item(item_id: int) -> Item:
        return Item(name=f"item {item_id}", price=1.5)

    @router.get("/raw")
    @version(since="2", deprecation=Deprecation(at=datetime(2025, 6, 1, tzinfo=UTC)))
    def raw() -> Response:
        return JSONResponse({"raw": True})

    @router.get("/stats")
    @version(since="3")
    def stats() -> dict[str, int]:
        return {"items": 2}

    return router


def versioned(header: str | None = None, **options: Any) -> tuple[FastAPI, Versions]:
    app = FastAPI(title="Shop")

    @app.get("/health")
    def health() -> str:
        return "ok"

    versions = Versions(app, [Version("1", RETIRED), "2", "3"], header=header)
    versions.include_router(items_router(), **options)
    return app, versions


def test_by_path_each_version_has_its_routes() -> None:
    """/vN/... serves the copies in version N only; a route removed or not yet added is a 404 there."""
    app, _ = versioned()
    client = TestClient(app)
    assert client.get("/v1/items/3").json() == {"name": "item 3"}
    assert client.get("/v2/items/3").json() == {"name": "item 3", "price": 1.5}
    assert client.get("/v3/items").json() == ["real"]
    assert client.get("/v3/stats").json() == {"items": 2}
    assert client.get("/v2/stats").status_code == 404
    assert client.get("/v1/raw").status_code == 404
    assert client.get("/health").json() == "ok"
    assert client.get("/items").status_code == 404


def test_deprecation_headers_by_version_and_by_route() -> None:
    """A deprecated version's answers (and a deprecated route's, even a returned Response) carry the headers."""
    app, _ = versioned()
    client = TestClient(app)
    old = client.get("/v1/items/3")
    assert old.headers["deprecation"] == DEPRECATION
    assert old.headers["sunset"] == SUNSET
    assert old.headers["link"] == '<https://example.com/migrate>; rel="deprecation"'
    current = client.get("/v2/items/3")
    assert "deprecation" not in current.headers and "sunset" not in current.headers
    raw = client.get("/v3/raw")
    assert raw.json() == {"raw": True}
    assert raw.headers["deprecation"] == "@1748736000"
    assert "sunset" not in raw.headers
    assert "deprecation" not in client.get("/health").headers


def test_by_header_one_path_every_version() -> None:
    """The header picks the version; none means the default; an unknown one is a 400 listing the versions."""
    app, _ = versioned(header="Accept-Version")
    client = TestClient(app)

    def get(path: str, wanted: str | None = None) -> Any:
        return client.get(path, headers={"Accept-Version": wanted} if wanted else {})

    assert get("/items/3").json() == {"name": "item 3", "price": 1.5}
    assert get("/items/3", "1").json() == {"name": "item 3"}
    assert get("/items/3", " 2 ").json() == {"name": "item 3", "price": 1.5}
    assert get("/stats", "2").status_code == 404
    assert get("/stats").json() == {"items": 2}
    assert get("/items/3", "1").headers["sunset"] == SUNSET
    assert "deprecation" not in get("/items/3", "3").headers
    unknown = get("/items/3", "9")
    assert unknown.status_code == 400
    assert unknown.json() == {"detail": "Unsupported API version '9': use one of 1, 2, 3"}
    assert get("/items/x", "1").status_code == 422
    assert get("/health", "9").json() == "ok"  # routes outside the versions ignore the header
    assert client.post("/items/3", headers={"Accept-Version": "1"}).status_code == 405


def test_by_header_the_route_seen_is_the_chosen_copy() -> None:
    """Inside the endpoint, request.scope['route'] is the copy of the version asked for."""
    app = FastAPI()
    versions = Versions(app, ["1", "2"], header="X-API-Version", default="1")
    router = APIRouter()

    @router.get("/who")
    def who(request: Request) -> str:
        route = request.scope["route"]
        return next(label for label, routes in versions.routes.items() if any(route is r for r in routes))

    versions.include_router(router)
    client = TestClient(app)
    assert client.get("/who").json() == "1"
    assert client.get("/who", headers={"x-api-version": "2"}).json() == "2"


def test_dependency_overrides_reach_every_copy() -> None:
    """app.dependency_overrides applies to path copies and to the copies behind a header switch alike."""
    for header in (None, "Accept-Version"):
        app, _ = versioned(header=header)
        app.dependency_overrides[caller] = lambda: "fake"
        client = TestClient(app)
        path = "/v1/items" if header is None else "/items"
        assert client.get(path, headers={"accept-version": "1"}).json() == ["fake"]
        app.dependency_overrides.clear()
        assert client.get(path, headers={"accept-version": "1"}).json() == ["real"]


def test_each_version_has_its_own_valid_document_and_docs() -> None:
    """/vN/openapi.json lists version N's operations (deprecated ones marked); /vN/docs and /vN/redoc render it."""
    app, _ = versioned()
    client = TestClient(app)
    first = client.get("/v1/openapi.json").json()
    validate(first)
    assert first["info"] == {"title": "Shop", "version": "1"}
    assert sorted(first["paths"]) == ["/v1/items", "/v1/items/{item_id}"]
    assert all(op["deprecated"] for item in first["paths"].values() for op in item.values())
    third = client.get("/v3/openapi.json").json()
    validate(third)
    assert sorted(third["paths"]) == ["/v3/items", "/v3/items/{item_id}", "/v3/raw", "/v3/stats"]
    assert third["paths"]["/v3/raw"]["get"]["deprecated"] is True
    assert "deprecated" not in third["paths"]["/v3/stats"]["get"]
    page = client.get("/v2/docs")
    assert page.status_code == 200
    assert "'/v2/openapi.json'" in page.text and "cdn.jsdelivr" not in page.text
    assert client.get("/v2/redoc").status_code == 200
    whole = app.openapi()
    assert "/v1/items" in whole["paths"] and "/health" in whole["paths"]
    assert not any(path.startswith("/v2/openapi") for path in whole["paths"])


def test_header_documents_declare_the_header() -> None:
    """By header, each version's document has the unprefixed paths and the version header as a parameter."""
    app, _ = versioned(header="Accept-Version")
    client = TestClient(app)
    first = client.get("/v1/openapi.json").json()
    validate(first)
    operation = first["paths"]["/items/{item_id}"]["get"]
    assert operation["operationId"] == "read_item_v1_items__item_id__get"
    assert operation["parameters"][-1] == {
        "name": "Accept-Version", "in": "header", "required": True,
        "description": "The API version this request is for.",
        "schema": {"type": "string", "enum": ["1"], "default": "1"},
    }
    newest = client.get("/v3/openapi.json").json()
    assert newest["paths"]["/stats"]["get"]["parameters"][-1]["required"] is False
    whole = app.openapi()
    validate(whole)
    assert whole["paths"]["/items/{item_id}"]["get"]["operationId"] == "read_item_items__item_id__get"


def test_include_options_and_websockets_by_path() -> None:
    """include_router's options apply to every copy; WebSocket routes are copied per version by path."""
    app = FastAPI()
    versions = Versions(app, ["1", "2"])
    router = APIRouter()

    @router.get("/ping")
    def ping() -> str:
        return "pong"

    @router.websocket("/echo")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    versions.include_router(router, prefix="/api", tags=["api"])
    client = TestClient(app)
    assert client.get("/v2/api/ping").json() == "pong"
    assert app.openapi()["paths"]["/v1/api/ping"]["get"]["tags"] == ["api"]
    with client.websocket_connect("/v1/api/echo") as socket:
        socket.send_text("hi")
        assert socket.receive_text() == "hi"
    header_app = FastAPI()
    with pytest.raises(TypeError, match="by path, not by header"):
        Versions(header_app, ["1"], header="Accept-Version").include_router(router)


def test_custom_route_class_keeps_its_handler_when_deprecated() -> None:
    """A route class wrapping get_route_handler still wraps it in a deprecated version, headers added."""

    class Timed(APIRoute):
        def get_route_handler(self) -> Any:
            handler = super().get_route_handler()

            async def timed(request: Request) -> Response:
                response: Response = await handler(request)
                response.headers["x-timed"] = "yes"
                return response

            return timed

    app = FastAPI()
    versions = Versions(app, [Version("1", RETIRED), "2"])
    router = APIRouter(route_class=Timed)

    @router.get("/t")
    def t() -> str:
        return "t"

    versions.include_router(router)
    client = TestClient(app)
    old = client.get("/v1/t")
    assert (old.headers["x-timed"], old.headers["deprecation"]) == ("yes", DEPRECATION)
    assert client.get("/v2/t").headers["x-timed"] == "yes"


def test_declaration_errors() -> None:
    """Bad versions, labels, headers, prefixes and marks fail where they are written."""
    app = FastAPI()
    with pytest.raises(ValueError, match="distinct"):
        Versions(app, ["1", "1"])
    with pytest.raises(ValueError, match="default version"):
        Versions(app, ["1"], default="2")
    with pytest.raises(ValueError, match="header name"):
        Versions(app, ["1"], header="bad header")
    with pytest.raises(ValueError, match="prefix"):
        Versions(app, ["1"], prefix="/v")
    with pytest.raises(ValueError, match="short token"):
        Version("1/2")
    with pytest.raises(ValueError, match="timezone-aware"):
        Deprecation(at=datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="before"):
        Deprecation(at=datetime(2025, 1, 2, tzinfo=UTC), sunset=datetime(2025, 1, 1, tzinfo=UTC))
    router = APIRouter()

    @router.get("/x")
    @version(since="7")
    def x() -> str:
        return "x"

    with pytest.raises(ValueError, match="unknown version '7'"):
        Versions(FastAPI(), ["1", "2"]).include_router(router)
    twice = APIRouter()
    for _ in range(2):
        twice.add_api_route("/same", lambda: "same")
    with pytest.raises(ValueError, match="two routes"):
        Versions(FastAPI(), ["1"], header="Accept-Version").include_router(twice)


def test_unused_versioning_leaves_fastapi_behaviour() -> None:
    """An app with Versions but no versioned routes answers and documents its own routes as FastAPI does."""
    import fastapi
    from fastapi.testclient import TestClient as FastAPIClient

    def build(module: Any) -> Any:
        app = module.FastAPI()

        @app.get("/items/{item_id}")
        def item(item_id: int) -> dict[str, int]:
            return {"item_id": item_id}

        return app

    ours = build(__import__("vivace"))
    Versions(ours, ["1"], header="Accept-Version")
    theirs = build(fastapi)
    assert json.dumps(ours.openapi(), sort_keys=True) == json.dumps(theirs.openapi(), sort_keys=True)
    for path in ("/items/1", "/items/x", "/nope"):
        mine, reference = TestClient(ours).get(path), FastAPIClient(theirs).get(path)
        assert (mine.status_code, mine.json()) == (reference.status_code, reference.json())


def test_router_exception_handlers_follow_every_copy() -> None:
    """A versioned router's own exception handlers answer for its copies, by path and behind a header switch."""

    class Boom(Exception):
        pass

    def handled(request: Request, exc: Exception) -> Response:
        return JSONResponse({"handled": True}, status_code=418)

    for header in (None, "Accept-Version"):
        app = FastAPI()
        versions = Versions(app, ["1", "2"], header=header)
        router = APIRouter(exception_handlers={Boom: handled})

        @router.get("/boom")
        def boom() -> None:
            raise Boom

        versions.include_router(router)
        answer = TestClient(app).get("/v1/boom" if header is None else "/boom", headers={"accept-version": "1"})
        assert (answer.status_code, answer.json()) == (418, {"handled": True})
