"""What clients see from a limiter, on the memory backend and on Redis: counts, 429s, headers and keys."""

# NOTE: no `from __future__ import annotations`: endpoints below use local dependencies in annotations

from typing import Annotated

import pytest
from ratelimit_support import BackendKind, limit_headers
from starlette.testclient import WebSocketDenialResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from vivace import APIRouter, Depends, FastAPI, Header, WebSocket
from vivace.ratelimit import RateLimit
from vivace.responses import PlainTextResponse
from vivace.testclient import TestClient


def limited_app(limiter: RateLimit) -> FastAPI:
    app = FastAPI()

    @app.get("/items", dependencies=[Depends(limiter)])
    async def items() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/free")
    async def free() -> dict[str, bool]:
        return {"ok": True}

    return app


def statuses(client: TestClient, path: str, count: int) -> list[int]:
    return [client.get(path).status_code for _ in range(count)]


def test_admits_exactly_the_limit_then_answers_429(kind: BackendKind) -> None:
    """With 5 requests a minute, requests 1-5 pass and every later one is refused; other routes are untouched."""
    with TestClient(limited_app(kind.limit("5/minute"))) as client:
        assert statuses(client, "/items", 8) == [200] * 5 + [429] * 3
        assert statuses(client, "/free", 3) == [200] * 3


def test_refusal_body_and_headers(kind: BackendKind) -> None:
    """A refusal is FastAPI's JSON error with Retry-After and the draft's RateLimit / RateLimit-Policy fields."""
    with TestClient(limited_app(kind.limit("3/minute"))) as client:
        statuses(client, "/items", 3)
        refused = client.get("/items")
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/json"
    assert refused.json() == {"detail": "Rate limit exceeded: 3 per minute"}
    # one request is earned back every 20 s: that is when the next one will pass
    assert limit_headers(refused) == {
        "retry-after": "20",
        "ratelimit": '"default";r=0;t=20',
        "ratelimit-policy": '"default";q=3;w=60',
    }


def test_admitted_answers_count_down(kind: BackendKind) -> None:
    """Admitted answers carry the policy and what is left; `t` is when the whole quota is back."""
    with TestClient(limited_app(kind.limit("3/minute"))) as client:
        answers = [limit_headers(client.get("/items")) for _ in range(3)]
        assert "ratelimit" not in client.get("/free").headers
    assert [a["ratelimit"] for a in answers] == ['"default";r=2;t=20', '"default";r=1;t=40', '"default";r=0;t=60']
    assert {a["ratelimit-policy"] for a in answers} == {'"default";q=3;w=60'}
    assert all("retry-after" not in a for a in answers)


def test_a_burst_smaller_than_the_limit(kind: BackendKind) -> None:
    """60 an hour in bursts of 2: two pass at once, the third waits the minute a request costs."""
    with TestClient(limited_app(kind.limit("60/hour", burst=2))) as client:
        assert statuses(client, "/items", 2) == [200, 200]
        refused = client.get("/items")
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "60")
    assert refused.headers["ratelimit-policy"] == '"default";q=60;w=3600'


def from_peer(app: ASGIApp) -> ASGIApp:
    """`app` seeing the peer address named by the test's X-Peer header (one client, one event loop)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        peer = dict(scope.get("headers", ())).get(b"x-peer")
        if peer is not None:
            scope["client"] = (peer.decode(), 50000)
        await app(scope, receive, send)

    return wrapped


def test_clients_are_keyed_by_address(kind: BackendKind) -> None:
    """Each peer address has a budget of its own."""
    with TestClient(from_peer(limited_app(kind.limit("2/minute")))) as client:
        for peer in ("10.0.0.1", "10.0.0.2"):
            assert [client.get("/items", headers={"X-Peer": peer}).status_code for _ in range(3)] == [200, 200, 429]


def current_user(x_user: Annotated[str | None, Header()] = None) -> str | None:
    return x_user


def test_key_from_a_user_dependency(kind: BackendKind) -> None:
    """`key=Depends(current_user)` counts per user; anonymous requests (None) fall back to the address."""
    app = limited_app(kind.limit("2/minute", key=Depends(current_user)))
    with TestClient(app) as client:
        assert [client.get("/items", headers={"X-User": "ada"}).status_code for _ in range(3)] == [200, 200, 429]
        assert [client.get("/items", headers={"X-User": "bob"}).status_code for _ in range(2)] == [200, 200]
        assert statuses(client, "/items", 3) == [200, 200, 429]


def test_key_from_a_function(kind: BackendKind) -> None:
    """A key function of the request, here the API key header, decides who pays."""
    limiter = kind.limit("1/minute", key=lambda request: request.headers.get("x-api-key", "none"))
    with TestClient(limited_app(limiter)) as client:
        assert [client.get("/items", headers={"X-API-Key": "k1"}).status_code for _ in range(2)] == [200, 429]
        assert client.get("/items", headers={"X-API-Key": "k2"}).status_code == 200


def test_router_limit_counts_each_route_apart(kind: BackendKind) -> None:
    """On a router, every route gets its own budget by default (GET and POST of one path included)."""
    router = APIRouter(dependencies=[Depends(kind.limit("2/minute"))])

    @router.get("/a")
    async def read_a() -> str:
        return "a"

    @router.post("/a")
    async def write_a() -> str:
        return "a"

    @router.get("/b/{item}")
    async def read_b(item: int) -> int:
        return item

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        assert statuses(client, "/a", 3) == [200, 200, 429]
        assert [client.post("/a").status_code for _ in range(3)] == [200, 200, 429]
        # the route, not the concrete path, is what counts
        assert [client.get(f"/b/{n}").status_code for n in range(3)] == [200, 200, 429]


def test_shared_limit_spans_routes(kind: BackendKind) -> None:
    """`shared=True`: one budget for every route that uses the limiter."""
    search = kind.limit("3/minute", name="search", shared=True)
    app = FastAPI()

    @app.get("/books", dependencies=[Depends(search)])
    async def books() -> list[str]:
        return []

    @app.get("/films", dependencies=[Depends(search)])
    async def films() -> list[str]:
        return []

    with TestClient(app) as client:
        codes = [client.get(path).status_code for path in ("/books", "/films", "/books", "/films")]
        assert codes == [200, 200, 200, 429]
        assert client.get("/books").headers["ratelimit"] == '"search";r=0;t=20'


def test_app_limit_and_route_limit_both_apply(kind: BackendKind) -> None:
    """An app-wide limit and a route's own: both are checked and both report, under their names."""
    backend = kind.backend()
    app = FastAPI(dependencies=[Depends(RateLimit("4/minute", name="global", shared=True, backend=backend))])
    strict = RateLimit("1/minute", name="strict", backend=backend)

    @app.get("/strict", dependencies=[Depends(strict)])
    async def strict_route() -> str:
        return "s"

    @app.get("/open")
    async def open_route() -> str:
        return "o"

    with TestClient(app) as client:
        first = client.get("/strict")
        assert first.headers.get_list("ratelimit") == ['"global";r=3;t=15', '"strict";r=0;t=60']
        assert first.headers.get_list("ratelimit-policy") == ['"global";q=4;w=60', '"strict";q=1;w=60']
        assert client.get("/strict").json() == {"detail": "Rate limit exceeded: 1 per minute"}
        # the refused request spent global budget too (the global check runs first): 2 of 4 are left
        assert statuses(client, "/open", 3) == [200, 200, 429]


def test_limiter_as_a_parameter_dependency(kind: BackendKind) -> None:
    """`Depends(limiter)` in an endpoint's signature works like `dependencies=[...]` (the value is None)."""
    limiter = kind.limit("1/minute")
    app = FastAPI()

    @app.get("/report")
    async def report(check: Annotated[None, Depends(limiter)]) -> dict[str, None]:
        return {"check": check}

    with TestClient(app) as client:
        assert client.get("/report").json() == {"check": None}
        assert client.get("/report").status_code == 429


def test_a_returned_response_object_is_limited_but_sent_as_it_is(kind: BackendKind) -> None:
    """An endpoint returning its own Response is limited; as with any `Response` parameter, that object's headers
    are the ones sent (FastAPI drops the injected Response's headers in that case too)."""
    app = FastAPI()

    @app.get("/file", dependencies=[Depends(kind.limit("1/minute"))])
    async def file() -> PlainTextResponse:
        return PlainTextResponse("data", headers={"X-Own": "1"})

    with TestClient(app) as client:
        answer = client.get("/file")
        refused = client.get("/file")
    assert (answer.text, answer.headers["x-own"], "ratelimit" in answer.headers) == ("data", "1", False)
    assert (refused.status_code, refused.headers["ratelimit"]) == (429, '"default";r=0;t=60')


def test_a_limiter_is_overridden_like_any_dependency(kind: BackendKind) -> None:
    """`app.dependency_overrides[limiter]` switches it off, for tests."""
    limiter = kind.limit("1/minute")
    app = limited_app(limiter)
    app.dependency_overrides[limiter] = lambda: None
    with TestClient(app) as client:
        assert statuses(client, "/items", 3) == [200, 200, 200]
        assert "ratelimit" not in client.get("/items").headers


def test_websocket_handshakes_are_counted(kind: BackendKind) -> None:
    """On a WebSocket route (here through an app-wide limiter), connections past the limit are denied with 429."""
    app = FastAPI(dependencies=[Depends(kind.limit("2/minute"))])

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hello")
        await websocket.close()

    with TestClient(app) as client:
        for _ in range(2):
            with client.websocket_connect("/ws") as session:
                assert session.receive_text() == "hello"
        with pytest.raises(WebSocketDenialResponse) as denied:
            client.websocket_connect("/ws").__enter__()
    assert denied.value.status_code == 429
    assert denied.value.json() == {"detail": "Rate limit exceeded: 2 per minute"}
