"""Cached path operations through TestClient, on the memory backend and on Redis: hits, keys, ETags and 304s,
Cache-Control and Vary, what is never stored, invalidation and time to live."""
# NOTE: no `from __future__ import annotations`: the endpoints below use local dependencies in annotations

from collections import Counter
from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from cache_support import BackendKind
from pydantic import BaseModel

from vivace import BackgroundTasks, Depends, FastAPI, Header, Request, Response
from vivace.cache import Cache
from vivace.responses import JSONResponse, PlainTextResponse
from vivace.testclient import TestClient


class Note(BaseModel):
    id: int
    body: str


def user_id(x_user: Annotated[str, Header()] = "anonymous") -> str:
    return x_user


def make_app(kind: BackendKind) -> tuple[FastAPI, Cache, Counter[str]]:
    """Routes covering the key dimensions; `calls` counts how often each endpoint really ran."""
    app = FastAPI()
    cache = Cache(kind.make(), namespace="t")
    calls: Counter[str] = Counter()

    @app.get("/notes/{note_id}", response_model=Note)
    @cache.cached(ttl=60, tags=["notes", lambda request: f"note:{request.path_params['note_id']}"])
    async def read_note(note_id: int) -> dict[str, Any]:
        calls["read_note"] += 1
        return {"id": note_id, "body": f"note {note_id}", "secret": "never sent"}

    @app.get("/search")
    @cache.cached(ttl=60)
    async def search(q: str = "", page: int = 1) -> dict[str, Any]:
        calls["search"] += 1
        return {"q": q, "page": page, "run": calls["search"]}

    @app.get("/paged")
    @cache.cached(ttl=60, query=["page"])
    async def paged(request: Request) -> dict[str, Any]:
        calls["paged"] += 1
        return {"query": dict(request.query_params), "run": calls["paged"]}

    @app.get("/greeting")
    @cache.cached(ttl=60, headers=["Accept-Language"])
    def greeting(accept_language: Annotated[str, Header()] = "en") -> dict[str, str]:
        calls["greeting"] += 1
        return {"text": "bonjour" if accept_language.startswith("fr") else "hello"}

    @app.get("/me")
    @cache.cached(ttl=60, user=Depends(user_id))
    async def me(user: Annotated[str, Depends(user_id)]) -> dict[str, str]:
        calls["me"] += 1
        return {"user": user}

    return app, cache, calls


@pytest.fixture
def setup(kind: BackendKind) -> Iterator[tuple[TestClient, Cache, Counter[str]]]:
    app, cache, calls = make_app(kind)
    with TestClient(app) as client:
        yield client, cache, calls


Setup = tuple[TestClient, Cache, Counter[str]]


def test_second_request_is_served_without_running_the_endpoint(setup: Setup) -> None:
    """A miss runs the endpoint and stores the answer; the next request gets the same bytes and headers."""
    client, _, calls = setup
    first = client.get("/notes/1")
    second = client.get("/notes/1")
    assert first.status_code == second.status_code == 200
    assert first.json() == {"id": 1, "body": "note 1"}  # the response model still filters
    assert second.content == first.content
    assert second.headers["content-type"] == "application/json"
    assert second.headers["etag"] == first.headers["etag"]
    assert calls["read_note"] == 1


def test_cached_bytes_equal_the_uncached_route(kind: BackendKind) -> None:
    """The cache renders a miss exactly as the route would: same body, same content type."""
    app, _, _ = make_app(kind)
    plain = FastAPI()

    @plain.get("/notes/{note_id}", response_model=Note)
    async def read_note(note_id: int) -> dict[str, Any]:
        return {"id": note_id, "body": f"note {note_id}", "secret": "never sent"}

    with TestClient(app) as cached, TestClient(plain) as uncached:
        expected = uncached.get("/notes/7")
        for _ in range(2):
            got = cached.get("/notes/7")
            assert got.content == expected.content
            assert got.headers["content-type"] == expected.headers["content-type"]
            assert got.headers["content-length"] == expected.headers["content-length"]


def test_etag_match_answers_304_without_body_or_endpoint(setup: Setup) -> None:
    """If-None-Match with the stored ETag: 304, no body, with ETag, Cache-Control and Vary; endpoint not run."""
    client, _, calls = setup
    etag = client.get("/greeting", headers={"accept-language": "fr"}).headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')  # a strong tag
    answer = client.get("/greeting", headers={"accept-language": "fr", "if-none-match": etag})
    assert answer.status_code == 304
    assert answer.content == b""
    assert answer.headers["etag"] == etag
    assert answer.headers["vary"] == "Accept-Language"
    assert answer.headers["cache-control"].startswith("public, max-age=")
    assert "content-type" not in answer.headers
    assert calls["greeting"] == 1


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ("{etag}", 304),
        ("W/{etag}", 304),  # weak comparison: W/ is ignored
        ('"other", {etag}', 304),
        ('"other",{etag} , "more"', 304),
        ("*", 304),
        ('"other"', 200),
        ('W/"other"', 200),
        ("", 200),
        ("garbage, without quotes", 200),
    ],
)
def test_if_none_match_forms(setup: Setup, if_none_match: str, status: int) -> None:
    """RFC 9110 If-None-Match: lists, weak tags and `*` match; anything else gets the full answer."""
    client, _, calls = setup
    etag = client.get("/notes/2").headers["etag"]
    answer = client.get("/notes/2", headers={"if-none-match": if_none_match.format(etag=etag)})
    assert answer.status_code == status
    assert answer.content == (b"" if status == 304 else b'{"id":2,"body":"note 2"}')
    assert calls["read_note"] == 1


def test_304_on_the_miss_that_computes(setup: Setup) -> None:
    """A client holding a copy from before an invalidation still gets 304 when the recomputed body is the same."""
    client, cache, calls = setup
    etag = client.get("/notes/3").headers["etag"]
    client.portal.call(cache.invalidate_tags, "notes")  # type: ignore[union-attr]
    answer = client.get("/notes/3", headers={"if-none-match": etag})
    assert answer.status_code == 304
    assert calls["read_note"] == 2


def test_query_parameters_are_part_of_the_key_in_any_order(setup: Setup) -> None:
    """All query parameters count by default; their order does not."""
    client, _, calls = setup
    one = client.get("/search?q=a&page=2").json()
    assert client.get("/search?page=2&q=a").json() == one
    assert client.get("/search?q=a&page=3").json()["run"] == 2
    assert client.get("/search?q=b&page=2").json()["run"] == 3
    assert client.get("/search?q=a&page=2&extra=1").json()["run"] == 4
    assert calls["search"] == 4


def test_query_encodings_of_the_same_values_share_an_entry(setup: Setup) -> None:
    """`%20`, `+` and a plain letter written as `%61` are the same values once decoded: one entry."""
    client, _, calls = setup
    first = client.get("/search?q=a%20b&page=1").json()
    assert client.get("/search?q=a+b&page=1").json() == first
    assert client.get("/search?page=1&q=%61+b").json() == first
    assert client.get("/search?q=a&page=1").json()["run"] == 2
    assert calls["search"] == 2


def test_chosen_query_parameters_only(setup: Setup) -> None:
    """With query=["page"], other parameters do not split the entry (the first answer is served)."""
    client, _, calls = setup
    first = client.get("/paged?page=1&utm=x").json()
    assert client.get("/paged?page=1&utm=y").json() == first
    assert client.get("/paged?page=2&utm=x").json()["run"] == 2
    assert calls["paged"] == 2


def test_chosen_headers_are_part_of_the_key_and_listed_in_vary(setup: Setup) -> None:
    """Accept-Language splits the entry; the answer says so in Vary."""
    client, _, calls = setup
    french = client.get("/greeting", headers={"Accept-Language": "fr"})
    english = client.get("/greeting", headers={"Accept-Language": "en"})
    assert (french.json(), english.json()) == ({"text": "bonjour"}, {"text": "hello"})
    assert client.get("/greeting", headers={"accept-language": "fr"}).json() == {"text": "bonjour"}
    assert french.headers["vary"] == "Accept-Language"
    assert calls["greeting"] == 2


def test_user_dependency_is_part_of_the_key_and_answers_are_private(setup: Setup) -> None:
    """Keyed by user: each user has their own entry; Cache-Control private; Vary names the credentials."""
    client, _, calls = setup
    alice = client.get("/me", headers={"x-user": "alice"})
    bob = client.get("/me", headers={"x-user": "bob"})
    assert (alice.json(), bob.json()) == ({"user": "alice"}, {"user": "bob"})
    assert client.get("/me", headers={"x-user": "alice"}).json() == {"user": "alice"}
    assert alice.headers["cache-control"] == "private, max-age=60"
    assert alice.headers["vary"] == "Authorization, Cookie"
    assert calls["me"] == 2


def test_cache_control_max_age_counts_down_with_the_entry(kind: BackendKind) -> None:
    """max-age is the entry's remaining lifetime; a configured max_age and public/private are kept as set."""
    app = FastAPI()
    cache = Cache(kind.make())

    @app.get("/a")
    @cache.cached(ttl=30)
    async def a() -> int:
        return 1

    @app.get("/b")
    @cache.cached(ttl=30, max_age=0, private=True)
    async def b() -> int:
        return 2

    with TestClient(app) as client:
        assert client.get("/a").headers["cache-control"] == "public, max-age=30"
        kind.expire(10 if kind.name == "memory" else 1.1)
        remaining = int(client.get("/a").headers["cache-control"].rpartition("=")[2])
        assert remaining == (20 if kind.name == "memory" else 29)
        assert client.get("/b").headers["cache-control"] == "private, max-age=0"


def test_entries_expire_after_their_time_to_live(kind: BackendKind) -> None:
    """After ttl seconds the endpoint runs again."""
    app = FastAPI()
    cache = Cache(kind.make())
    runs = Counter[str]()

    @app.get("/t")
    @cache.cached(ttl=60 if kind.name == "memory" else 1)
    async def t() -> int:
        runs["t"] += 1
        return runs["t"]

    with TestClient(app) as client:
        assert client.get("/t").json() == 1
        assert client.get("/t").json() == 1
        kind.expire(61 if kind.name == "memory" else 1.3)
        assert client.get("/t").json() == 2


def test_invalidate_by_key(kind: BackendKind) -> None:
    """`policy.key(...)` names exactly one request's entry; invalidating it runs that endpoint again only."""
    app = FastAPI()
    cache = Cache(kind.make())
    runs = Counter[str]()
    per_page = cache.cached(ttl=60, query=["page"], headers=["X-Tenant"])

    @app.get("/items")
    @per_page
    async def items(page: int = 1) -> dict[str, int]:
        runs[str(page)] += 1
        return {"page": page}

    @app.delete("/items/cache")
    async def forget(page: int, tenant: Annotated[str, Header()], c: Annotated[Cache, Depends(cache)]) -> int:
        return await c.invalidate(per_page.key("/items", query={"page": page}, headers={"x-tenant": tenant}))

    with TestClient(app) as client:
        for page in (1, 2):
            client.get(f"/items?page={page}", headers={"x-tenant": "acme"})
        assert client.delete("/items/cache?page=1", headers={"tenant": "acme"}).json() == 1
        assert client.delete("/items/cache?page=1", headers={"tenant": "acme"}).json() == 0
        for page in (1, 2):
            client.get(f"/items?page={page}", headers={"x-tenant": "acme"})
        assert runs == {"1": 2, "2": 1}


def test_invalidate_by_declared_and_computed_tags(setup: Setup) -> None:
    """A route tag drops every note; a tag computed from the request drops one note."""
    client, cache, calls = setup
    for note in (1, 2):
        client.get(f"/notes/{note}")
    assert client.portal.call(cache.invalidate_tags, "note:1") == 1  # type: ignore[union-attr]
    client.get("/notes/1")
    client.get("/notes/2")
    assert calls["read_note"] == 3
    assert client.portal.call(cache.invalidate_tags, "notes", "unused") == 2  # type: ignore[union-attr]
    client.get("/notes/1")
    client.get("/notes/2")
    assert calls["read_note"] == 5


def test_invalidation_from_a_write_endpoint(kind: BackendKind) -> None:
    """The usual pattern: a POST changes data and invalidates the tag; the next GET sees the change."""
    app = FastAPI()
    cache = Cache(kind.make())
    notes: list[str] = []

    @app.get("/notes")
    @cache.cached(ttl=60, tags=["notes"])
    async def list_notes() -> list[str]:
        return notes

    @app.post("/notes", status_code=201)
    async def add_note(body: str, c: Annotated[Cache, Depends(cache)]) -> list[str]:
        notes.append(body)
        await c.invalidate_tags("notes")
        return notes

    with TestClient(app) as client:
        assert client.get("/notes").json() == []
        client.post("/notes?body=hello")
        assert client.get("/notes").json() == ["hello"]


def test_only_safe_methods_and_chosen_statuses_are_stored(kind: BackendKind) -> None:
    """POST is never cached; a 404 is not stored by default; statuses=[200, 404] stores it."""
    app = FastAPI()
    cache = Cache(kind.make())
    runs = Counter[str]()

    @app.api_route("/any", methods=["GET", "POST"])
    @cache.cached(ttl=60)
    async def any_method(request: Request) -> str:
        runs[request.method] += 1
        return request.method

    @app.get("/missing")
    @cache.cached(ttl=60)
    async def missing() -> JSONResponse:
        runs["missing"] += 1
        return JSONResponse({"detail": "gone"}, status_code=404)

    @app.get("/missing-kept")
    @cache.cached(ttl=60, statuses=[200, 404])
    async def missing_kept() -> JSONResponse:
        runs["kept"] += 1
        return JSONResponse({"detail": "gone"}, status_code=404)

    with TestClient(app) as client:
        for _ in range(2):
            assert client.post("/any").json() == "POST"
            assert client.get("/any").json() == "GET"
            assert client.get("/missing").status_code == 404
            assert client.get("/missing-kept").status_code == 404
        assert "etag" not in client.post("/any").headers
        assert "etag" not in client.get("/missing").headers
    assert runs == {"POST": 3, "GET": 1, "missing": 3, "kept": 1}


def test_answers_that_set_cookies_or_forbid_storing_are_not_kept(kind: BackendKind) -> None:
    """Set-Cookie (on the injected Response or a returned one) and Cache-Control no-store keep it uncached."""
    app = FastAPI()
    cache = Cache(kind.make())
    runs = Counter[str]()

    @app.get("/cookie")
    @cache.cached(ttl=60)
    async def cookie(response: Response) -> str:
        runs["cookie"] += 1
        response.set_cookie("session", "abc")
        return "hi"

    @app.get("/own-cookie")
    @cache.cached(ttl=60)
    async def own_cookie() -> JSONResponse:
        runs["own"] += 1
        answer = JSONResponse("hi")
        answer.set_cookie("session", "abc")
        return answer

    @app.get("/no-store")
    @cache.cached(ttl=60)
    async def no_store(response: Response) -> str:
        runs["no-store"] += 1
        response.headers["Cache-Control"] = "no-store"
        return "hi"

    with TestClient(app) as client:
        for _ in range(2):
            for path in ("/cookie", "/own-cookie", "/no-store"):
                answer = client.get(path)
                assert answer.status_code == 200 and "etag" not in answer.headers
        assert client.get("/cookie").cookies["session"] == "abc"
        assert client.get("/no-store").headers["cache-control"] == "no-store"
    assert runs == {"cookie": 3, "own": 2, "no-store": 3}


def test_returned_responses_are_cached_with_their_status_type_and_chosen_headers(kind: BackendKind) -> None:
    """A returned Response's status, media type and the headers listed in store_headers come back on a hit."""
    app = FastAPI()
    cache = Cache(kind.make())
    runs = Counter[str]()

    @app.get("/text")
    @cache.cached(ttl=60, store_headers=["X-Total"], statuses=[200, 203])
    async def text() -> PlainTextResponse:
        runs["text"] += 1
        return PlainTextResponse("plain", status_code=203, headers={"X-Total": "7", "X-Other": "no"})

    @app.get("/set-on-response", response_class=PlainTextResponse)
    @cache.cached(ttl=60, store_headers=["x-total"])
    async def set_on_response(response: Response) -> str:
        runs["sub"] += 1
        response.headers["X-Total"] = "3"
        return "body"

    with TestClient(app) as client:
        first, second = client.get("/text"), client.get("/text")
        assert (second.status_code, second.text, second.headers["x-total"]) == (203, "plain", "7")
        assert second.headers["content-type"] == first.headers["content-type"] == "text/plain; charset=utf-8"
        assert "x-other" not in second.headers
        hit = [client.get("/set-on-response") for _ in range(2)][1]
        assert (hit.text, hit.headers["x-total"], hit.headers["content-type"]) == (
            "body",
            "3",
            "text/plain; charset=utf-8",
        )
        assert hit.headers.get_list("x-total") == ["3"]  # kept once, not repeated per request
    assert runs == {"text": 1, "sub": 1}


def test_head_shares_the_get_entry(kind: BackendKind) -> None:
    """HEAD is answered from the GET's entry (headers, no body) and a HEAD miss fills it for GET."""
    app = FastAPI()
    cache = Cache(kind.make())
    runs = Counter[str]()

    @app.api_route("/doc", methods=["GET", "HEAD"])
    @cache.cached(ttl=60)
    async def doc() -> dict[str, str]:
        runs["doc"] += 1
        return {"doc": "text"}

    with TestClient(app) as client:
        head = client.head("/doc")
        get = client.get("/doc")
        assert head.content == b"" and get.json() == {"doc": "text"}
        assert head.headers["etag"] == get.headers["etag"]
        assert head.headers["content-length"] == get.headers["content-length"]
    assert runs["doc"] == 1


def test_background_tasks_and_yield_dependencies_around_hits(kind: BackendKind) -> None:
    """A miss runs the endpoint's background task; every request (hit or miss) runs the dependencies' setup,
    teardown and background tasks, in order after the answer."""
    app = FastAPI()
    cache = Cache(kind.make())
    log: list[str] = []

    async def session(background: BackgroundTasks) -> Any:
        log.append("open")
        background.add_task(log.append, "dependency task")
        yield "session"
        log.append("close")

    @app.get("/work")
    @cache.cached(ttl=60)
    async def work(background: BackgroundTasks, s: Annotated[str, Depends(session)]) -> str:
        log.append("endpoint")
        background.add_task(log.append, "endpoint task")
        return s

    with TestClient(app) as client:
        assert client.get("/work").json() == "session"
        assert log == ["open", "endpoint", "dependency task", "endpoint task", "close"]
        log.clear()
        assert client.get("/work").json() == "session"
        assert log == ["open", "dependency task", "close"]


def test_headers_set_by_dependencies_are_added_to_hits_but_never_stored(kind: BackendKind) -> None:
    """A dependency's header rides on this request's answer only; a cookie it sets on a hit makes that answer
    private (a dependency's cookie on a miss keeps the answer from being stored at all)."""
    app = FastAPI()
    cache = Cache(kind.make())
    runs = Counter[str]()

    def tracking(response: Response, x_request: Annotated[str, Header()], x_new: Annotated[str, Header()] = "") -> None:
        response.headers["X-Request"] = x_request
        if x_new:
            response.set_cookie("visitor", x_new)

    @app.get("/page", dependencies=[Depends(tracking)])
    @cache.cached(ttl=60)
    async def page() -> str:
        runs["page"] += 1
        return "page"

    with TestClient(app) as client:
        assert client.get("/page", headers={"x-request": "1"}).headers["x-request"] == "1"
        hit = client.get("/page", headers={"x-request": "2"})
        assert (hit.headers["x-request"], hit.headers["cache-control"]) == ("2", "public, max-age=60")
        newcomer = client.get("/page", headers={"x-request": "3", "x-new": "v1"})
        assert newcomer.headers["set-cookie"].startswith("visitor=v1")
        assert newcomer.headers["cache-control"] == "private, max-age=60"
        assert client.get("/page", headers={"x-request": "4"}).headers.get("set-cookie") is None
    assert runs["page"] == 1
