"""RFC 9457 problem details: `FastAPI(problem_details=True)`, `APIRouter(problem_details=True)`, `ProblemDetail`."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from vivace import APIRouter, Depends, FastAPI, HTTPException, Request
from vivace.problems import PROBLEM_JSON, ProblemDetail, status_title
from vivace.ratelimit import RateLimit
from vivace.responses import JSONResponse, PlainTextResponse
from vivace.testclient import TestClient


class Item(BaseModel):
    name: str
    price: float


async def create_item(item: Item) -> Item:
    return item


def problem_app(**options: Any) -> FastAPI:
    """An app with one route of each kind of failure."""
    app = FastAPI(problem_details=True, **options)

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        if item_id == 0:
            raise HTTPException(404, "No such item", headers={"x-reason": "zero"})
        return {"item_id": item_id}

    app.post("/items", max_body_size=64)(create_item)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


def assert_problem(response: Any, status: int, **members: Any) -> dict[str, Any]:
    """The response is a problem document with `status`, its title, and the given members."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"] == status_title(status)
    assert body["type"] == members.pop("type", "about:blank")
    for name, value in members.items():
        assert body[name] == value, name
    return body


def test_http_exception_is_a_problem_document() -> None:
    """HTTPException: its status, title, detail, the request path as instance, and its headers."""
    response = TestClient(problem_app()).get("/items/0")
    body = assert_problem(response, 404, detail="No such item", instance="/items/0")
    assert list(body) == ["type", "title", "status", "detail", "instance"]
    assert response.headers["x-reason"] == "zero"


def test_validation_error_carries_fastapis_entries() -> None:
    """A 422 problem lists the same error entries FastAPI's `detail` would, under `errors`."""
    problem = TestClient(problem_app()).post("/items", json={"name": "x", "price": "free"})
    plain_app = FastAPI()
    plain_app.post("/items")(create_item)
    plain = TestClient(plain_app).post("/items", json={"name": "x", "price": "free"})
    body = assert_problem(problem, 422, instance="/items")
    assert body["errors"] == plain.json()["detail"]
    assert body["errors"][0]["loc"] == ["body", "price"]
    assert isinstance(body["detail"], str)


def test_validation_error_echoing_non_finite_numbers_stays_valid_json() -> None:
    """An echoed `NaN` input is written as text, as in FastAPI-style 422s."""
    response = TestClient(problem_app()).post(
        "/items", content=b'{"name": 1, "price": NaN}', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["input"] == 1


@pytest.mark.parametrize(("method", "url", "status"), [("GET", "/nowhere", 404), ("DELETE", "/items/1", 405)])
def test_not_found_and_method_not_allowed(method: str, url: str, status: int) -> None:
    """The app's own 404 and 405 answers are problem documents (405 keeps its Allow header)."""
    response = TestClient(problem_app()).request(method, url)
    assert_problem(response, status, instance=url)
    if status == 405:
        assert response.headers["allow"] == "GET"


def test_body_over_the_limit_is_a_413_problem() -> None:
    """`max_body_size` refusals are problem documents, from the route and from the app's own limit."""
    response = TestClient(problem_app()).post("/items", json={"name": "x" * 100, "price": 1})
    assert_problem(response, 413, detail="Content Too Large")

    class ReadFirst:
        """A middleware that reads the body before any route does."""

        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                while (await receive()).get("more_body"):
                    pass
            await self.app(scope, receive, send)

    limited = problem_app(max_body_size=16, middleware=[Middleware(ReadFirst)])
    response = TestClient(limited).post("/items", json={"name": "x" * 100, "price": 1})
    assert_problem(response, 413, detail="Content Too Large", instance="/items")


def test_rate_limit_refusal_is_a_429_problem() -> None:
    """vivace.ratelimit's 429 (an HTTPException) comes out as a problem, with its Retry-After header."""
    app = FastAPI(problem_details=True)

    @app.get("/limited", dependencies=[Depends(RateLimit("1/minute"))])
    async def limited() -> dict[str, bool]:
        return {"ok": True}

    client = TestClient(app)
    assert client.get("/limited").status_code == 200
    response = client.get("/limited")
    assert_problem(response, 429, instance="/limited")
    assert "retry-after" in response.headers


def test_server_error_is_a_problem_without_the_exception_text() -> None:
    """An unhandled exception: a 500 problem that does not leak the message; it is still raised to the server."""
    with pytest.raises(RuntimeError, match="secret internals"):
        TestClient(problem_app()).get("/boom")
    response = TestClient(problem_app(), raise_server_exceptions=False).get("/boom")
    body = assert_problem(response, 500, instance="/boom")
    assert "secret" not in response.text and body["detail"]


def test_debug_keeps_the_traceback_page() -> None:
    """In debug mode the 500 stays Starlette's traceback page, problem details or not."""
    response = TestClient(problem_app(debug=True), raise_server_exceptions=False).get("/boom")
    assert response.status_code == 500
    assert "secret internals" in response.text and response.headers["content-type"] != PROBLEM_JSON


def test_no_body_statuses_stay_empty() -> None:
    """An HTTPException with a status that has no body (304) gets no document."""
    app = FastAPI(problem_details=True)

    @app.get("/cached")
    async def cached() -> None:
        raise HTTPException(304)

    response = TestClient(app).get("/cached")
    assert (response.status_code, response.content) == (304, b"")


def test_users_handlers_keep_priority() -> None:
    """Handlers the application registers (by class or status) win over the problem-details defaults."""

    async def mine(request: Request, exc: HTTPException) -> PlainTextResponse:
        return PlainTextResponse(f"mine {exc.status_code}", status_code=exc.status_code)

    async def mine_500(request: Request, exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("mine 500", status_code=500)

    app = problem_app(exception_handlers={HTTPException: mine, 500: mine_500})
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/items/0").text == "mine 404"
    assert client.get("/boom").text == "mine 500"
    assert_problem(client.post("/items", json={}), 422)  # the defaults they did not replace stay problems


def test_instance_includes_the_mount_path() -> None:
    """In a mounted application, `instance` is the full request path."""
    outer = FastAPI()
    outer.mount("/api", problem_app())
    assert_problem(TestClient(outer).get("/api/items/0"), 404, instance="/api/items/0")


# -- ProblemDetail ------------------------------------------------------------------------------------------


def credit_app(**options: Any) -> FastAPI:
    app = FastAPI(**options)

    @app.post("/purchases")
    async def purchase() -> None:
        raise ProblemDetail(
            403,
            type="https://example.com/probs/out-of-credit",
            title="You do not have enough credit.",
            detail="Your current balance is 30, but that costs 50.",
            headers={"x-balance": "30"},
            balance=30,
            accounts=["/account/12345", "/account/67890"],
        )

    @app.get("/teapot")
    async def teapot() -> None:
        raise ProblemDetail(418)

    return app


@pytest.mark.parametrize("problem_details", [True, False])
def test_problem_detail_carries_its_type_title_and_extensions(problem_details: bool) -> None:
    """A raised ProblemDetail is answered with its own members, whether problem_details is on or not."""
    response = TestClient(credit_app(problem_details=problem_details)).post("/purchases")
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["x-balance"] == "30"
    assert response.json() == {
        "type": "https://example.com/probs/out-of-credit",
        "title": "You do not have enough credit.",
        "status": 403,
        "detail": "Your current balance is 30, but that costs 50.",
        "instance": "/purchases",
        "balance": 30,
        "accounts": ["/account/12345", "/account/67890"],
    }


def test_problem_detail_defaults() -> None:
    """Without a title, the status phrase; without a detail, no `detail` member."""
    response = TestClient(credit_app()).get("/teapot")
    assert response.json() == {"type": "about:blank", "title": "I'm a Teapot", "status": 418, "instance": "/teapot"}


def test_problem_detail_is_an_http_exception() -> None:
    """Code that handles HTTPException reads its status, detail and headers as usual."""
    exc = ProblemDetail(409, detail="Version conflict", headers={"etag": '"7"'}, current=7)
    assert isinstance(exc, HTTPException)
    assert (exc.status_code, exc.detail, exc.headers) == (409, "Version conflict", {"etag": '"7"'})
    assert ProblemDetail(404).detail == "Not Found"


def test_users_problem_detail_handler_wins() -> None:
    """An application's handler for ProblemDetail (or for the status) replaces the default rendering."""

    async def flat(request: Request, exc: ProblemDetail) -> JSONResponse:
        return JSONResponse({"error": exc.type}, status_code=exc.status_code)

    assert TestClient(credit_app(exception_handlers={ProblemDetail: flat})).post("/purchases").json() == {
        "error": "https://example.com/probs/out-of-credit"
    }
    by_status = credit_app(exception_handlers={403: lambda request, exc: PlainTextResponse("403!", 403)})
    assert TestClient(by_status).post("/purchases").text == "403!"


def test_extensions_are_encoded_like_responses() -> None:
    """Extension members may be models, dates and other values `jsonable_encoder` handles."""
    app = FastAPI()

    @app.get("/x")
    async def x() -> None:
        raise ProblemDetail(400, item=Item(name="pen", price=1.5), tags={"a"})

    body = TestClient(app).get("/x").json()
    assert (body["item"], body["tags"]) == ({"name": "pen", "price": 1.5}, ["a"])


# -- per router -----------------------------------------------------------------------------------------------


def mixed_app() -> FastAPI:
    """A problem-details router next to plain FastAPI routes."""
    router = APIRouter(prefix="/v2", problem_details=True)

    async def item(item_id: int) -> dict[str, int]:
        if item_id == 0:
            raise HTTPException(404, "No such item")
        if item_id == 1:
            raise RuntimeError("boom")
        return {"item_id": item_id}

    router.get("/items/{item_id}")(item)
    app = FastAPI()
    app.include_router(router)
    app.get("/v1/items/{item_id}")(item)
    return app


def test_router_problem_details_apply_to_its_routes_only() -> None:
    """The router's routes answer problem documents; the app's other routes and its 404 keep FastAPI's bodies."""
    client = TestClient(mixed_app(), raise_server_exceptions=False)
    assert_problem(client.get("/v2/items/0"), 404, detail="No such item", instance="/v2/items/0")
    assert_problem(client.get("/v2/items/x"), 422)
    assert_problem(client.get("/v2/items/1"), 500)
    assert client.get("/v1/items/0").json() == {"detail": "No such item"}
    assert client.get("/v1/items/x").json()["detail"][0]["type"] == "int_parsing"
    assert client.get("/v1/items/1").text == "Internal Server Error"
    assert client.get("/v2/nowhere").json() == {"detail": "Not Found"}


def test_router_problem_500_is_raised_to_the_server_too() -> None:
    """The router's problem 500 is sent, and the exception still reaches the server (TestClient re-raises)."""
    with pytest.raises(RuntimeError, match="boom"):
        TestClient(mixed_app()).get("/v2/items/1")


def test_router_can_opt_out_of_the_apps_problem_details() -> None:
    """`problem_details=False` on a router gives its routes FastAPI's bodies in a problem-details app."""
    router = APIRouter(problem_details=False)

    @router.get("/legacy/{item_id}")
    async def legacy(item_id: int) -> None:
        raise HTTPException(404, "gone") if item_id else RuntimeError("boom")

    app = FastAPI(problem_details=True)
    app.include_router(router)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/legacy/1").json() == {"detail": "gone"}
    assert client.get("/legacy/x").json()["detail"][0]["loc"] == ["path", "item_id"]
    response = client.get("/legacy/0")
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    assert_problem(client.get("/nowhere"), 404)


def test_inner_router_setting_wins() -> None:
    """Nested routers: the innermost router that sets `problem_details` decides for its routes."""
    inner = APIRouter(prefix="/inner", problem_details=False)
    inner.get("/x")(_not_found)
    outer = APIRouter(problem_details=True)
    outer.include_router(inner)
    outer.get("/x")(_not_found)
    app = FastAPI()
    app.include_router(outer)
    client = TestClient(app)
    assert client.get("/inner/x").json() == {"detail": "Not Found"}
    assert_problem(client.get("/x"), 404)


async def _not_found() -> None:
    raise HTTPException(404)


def test_router_problem_details_with_the_apps_own_handlers() -> None:
    """The app's own handlers keep priority over a router's problem-details defaults too."""
    router = APIRouter(problem_details=True)
    router.get("/x")(_not_found)
    app = FastAPI(exception_handlers={HTTPException: lambda r, e: PlainTextResponse("app's", e.status_code)})
    app.include_router(router)
    assert TestClient(app).get("/x").text == "app's"


@pytest.mark.parametrize(
    ("status", "title"),
    [
        (404, "Not Found"),
        (413, "Content Too Large"),
        (422, "Unprocessable Content"),
        (499, "Client Error"),
        (599, "Server Error"),
    ],
)
def test_titles_are_rfc_9110_phrases(status: int, title: str) -> None:
    """Titles use RFC 9110's reason phrases, and the status class for unregistered codes."""
    assert status_title(status) == title


def test_inclusion_level_problem_details() -> None:
    """`include_router(router, problem_details=True)` turns problem details on for that inclusion's routes only."""
    router = APIRouter()
    router.get("/x")(_not_found)
    app = FastAPI()
    app.include_router(router, prefix="/new", problem_details=True)
    app.include_router(router, prefix="/old")
    client = TestClient(app)
    assert_problem(client.get("/new/x"), 404, instance="/new/x")
    assert client.get("/old/x").json() == {"detail": "Not Found"}
