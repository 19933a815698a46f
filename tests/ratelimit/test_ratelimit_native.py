"""Routes without request inputs run a memory limiter as a native step of their runner (no Context, no Request or
Response object): what clients see must be exactly what the dependency path gives, on every kind of route."""

# NOTE: no `from __future__ import annotations`: endpoints below use local dependencies in annotations

from typing import Annotated, Any

from fake_clock import FakeClock
from ratelimit_support import BackendKind, limit_headers

from vivace import APIRouter, Depends, FastAPI, HTTPException, Query
from vivace.ratelimit import MemoryRateLimitBackend, RateLimit
from vivace.routing import APIRoute
from vivace.testclient import TestClient


def plan_of(app: FastAPI, path: str) -> str:
    """The compiled plan of the route at `path`, as `vivace routes --plans` prints it."""
    return repr(next(route.plan for route in app.routes if isinstance(route, APIRoute) and route.path == path))


def test_a_memory_limiter_offers_a_native_check_and_a_redis_one_does_not(kind: BackendKind) -> None:
    """The compiled plan shows the native step (memory); a connected backend keeps the dependency path."""
    app = FastAPI()

    @app.get("/plain", dependencies=[Depends(kind.limit("5/minute"))])
    async def plain() -> dict[str, bool]:
        return {"ok": True}

    with TestClient(app):
        assert ("native RateLimit" in plan_of(app, "/plain")) is (kind.name == "memory")


def test_native_and_dependency_paths_answer_alike(kind: BackendKind) -> None:
    """One shared budget over a route without inputs and one with a query parameter: the same counts, the same
    header fields in the same order, the same 429 (memory: native and dependency paths; Redis: dependency path)."""
    limiter = kind.limit("3/minute", name="api", shared=True)
    app = FastAPI()

    @app.get("/plain", dependencies=[Depends(limiter)])
    async def plain() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/query", dependencies=[Depends(limiter)])
    async def query(q: Annotated[int, Query()] = 0) -> int:
        return q

    with TestClient(app) as client:
        answers = [client.get(path) for path in ("/plain", "/query", "/plain", "/query")]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers.get_list("ratelimit") for a in answers[:3]] == [
        ['"api";r=2;t=20'],
        ['"api";r=1;t=40'],
        ['"api";r=0;t=60'],
    ]
    assert all(a.headers.get_list("ratelimit-policy") == ['"api";q=3;w=60'] for a in answers)
    assert [name for name, _ in answers[0].headers.raw][-2:] == [b"ratelimit-policy", b"ratelimit"]
    assert answers[3].json() == {"detail": "Rate limit exceeded: 3 per minute"}
    assert limit_headers(answers[3]) == {
        "retry-after": "20",
        "ratelimit": '"api";r=0;t=20',
        "ratelimit-policy": '"api";q=3;w=60',
    }


def test_a_whole_budget_again_reports_the_full_quota(clock: FakeClock) -> None:
    """After the budget refilled, a request reports `r` = limit - 1 again (the ready answer), and a partial refill
    reports what is left exactly."""
    app = FastAPI()

    @app.get("/items", dependencies=[Depends(RateLimit("4/minute", backend=MemoryRateLimitBackend(clock=clock)))])
    async def items() -> str:
        return "ok"

    with TestClient(app) as client:
        first = [client.get("/items").headers["ratelimit"] for _ in range(2)]
        clock.advance(60)
        again = client.get("/items").headers["ratelimit"]
        clock.advance(1)
        partial = client.get("/items").headers["ratelimit"]
    assert first == ['"default";r=3;t=15', '"default";r=2;t=30']
    assert (again, partial) == ('"default";r=3;t=15', '"default";r=2;t=29')


calls = {"count": 0}


def refuse_twice() -> None:
    """Refuses the first two requests (a stand-in for an authentication check)."""
    calls["count"] += 1
    if calls["count"] <= 2:
        raise HTTPException(status_code=401, detail="not yet")


def test_checks_run_in_their_place_among_the_dependencies(clock: FakeClock) -> None:
    """A dependency declared before the limiter runs first: requests it refuses spend no budget."""
    calls["count"] = 0
    limiter = RateLimit("2/minute", backend=MemoryRateLimitBackend(clock=clock))
    app = FastAPI()

    @app.get("/items", dependencies=[Depends(refuse_twice), Depends(limiter)])
    def items() -> str:  # NOTE: a sync endpoint: the runner's loop over steps, not its one-check path
        return "ok"

    with TestClient(app) as client:
        assert "native RateLimit" in plan_of(app, "/items")
        codes = [client.get("/items").status_code for _ in range(5)]
    assert codes == [401, 401, 200, 200, 429]


def test_a_no_content_route_carries_the_fields_without_a_body(clock: FakeClock) -> None:
    """A 204 route: the limit's header fields, no body, no content-length."""
    app = FastAPI()

    @app.delete(
        "/items",
        status_code=204,
        dependencies=[Depends(RateLimit("2/minute", backend=MemoryRateLimitBackend(clock=clock)))],
    )
    async def delete_items() -> None:
        return None

    with TestClient(app) as client:
        answer = client.delete("/items")
    assert (answer.status_code, answer.content, "content-length" in answer.headers) == (204, b"", False)
    assert limit_headers(answer) == {"ratelimit": '"default";r=1;t=30', "ratelimit-policy": '"default";q=2;w=60'}


class CountingLimit(RateLimit):
    """A subclass with a `__call__` of its own, which must keep running."""

    seen = 0

    async def __call__(self, **kwargs: Any) -> None:
        CountingLimit.seen += 1
        await super().__call__(**kwargs)


def test_a_subclass_with_its_own_call_runs_as_a_dependency(clock: FakeClock) -> None:
    """No native step for a subclass that overrides `__call__`: its code runs on every request."""
    CountingLimit.seen = 0
    app = FastAPI()

    @app.get("/items", dependencies=[Depends(CountingLimit("1/minute", backend=MemoryRateLimitBackend(clock=clock)))])
    async def items() -> str:
        return "ok"

    with TestClient(app) as client:
        assert "native" not in plan_of(app, "/items")
        assert [client.get("/items").status_code for _ in range(2)] == [200, 429]
    assert CountingLimit.seen == 2


def test_many_clients_each_get_their_budget(clock: FakeClock) -> None:
    """More clients than the remembered keys (1,024): every one is counted on its own, none is mixed up."""
    limiter = RateLimit("1/minute", backend=MemoryRateLimitBackend(clock=clock))
    app = FastAPI()

    @app.get("/items", dependencies=[Depends(limiter)])
    async def items() -> str:
        return "ok"

    def from_peer(host: str) -> Any:
        async def wrapped(scope: Any, receive: Any, send: Any) -> None:
            await app({**scope, "client": (host, 1)}, receive, send)

        return wrapped

    with TestClient(app):
        hosts = [f"10.0.{n // 256}.{n % 256}" for n in range(1100)]
        first = [TestClient(from_peer(host)).get("/items").status_code for host in hosts]
        second = [TestClient(from_peer(host)).get("/items").status_code for host in hosts[:5] + hosts[-5:]]
    assert first == [200] * 1100
    assert second == [429] * 10


def test_a_router_included_twice_limits_each_copy_apart(kind: BackendKind) -> None:
    """Copies of a route made by including its router under two prefixes have a budget each, as declared routes do
    (a copy borrowing its source's plan binds the limiter's check to its own path)."""
    router = APIRouter(dependencies=[Depends(kind.limit("2/minute"))])

    @router.get("/a")
    async def read_a() -> str:
        return "a"

    app = FastAPI()
    app.include_router(router, prefix="/v1")
    app.include_router(router, prefix="/v2")
    with TestClient(app) as client:
        codes = {prefix: [client.get(f"{prefix}/a").status_code for _ in range(3)] for prefix in ("/v1", "/v2")}
    assert codes == {"/v1": [200, 200, 429], "/v2": [200, 200, 429]}
