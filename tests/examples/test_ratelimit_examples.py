"""The rate-limiting guide's samples (docs/examples/ratelimit_*.py) do what the page says."""

import pytest
from samples import load

from vivace import FastAPI
from vivace.ratelimit import MemoryRateLimitBackend, RateLimit
from vivace.testclient import TestClient


def frozen(app: FastAPI) -> FastAPI:
    """`app` with the clock of every memory limiter stopped, so a slow machine refills nothing mid-test."""
    for route in app.routes:
        dependant = getattr(route, "dependant", None)
        for node in dependant.walk() if dependant is not None else ():
            if isinstance(node.call, RateLimit) and isinstance(node.call.backend, MemoryRateLimitBackend):
                node.call.backend.clock = lambda: 0.0
    return app


def test_route_router_and_app_limits() -> None:
    """Login allows 5 a minute; each report route has its own 30; every answer reports the global budget too."""
    client = TestClient(frozen(load("ratelimit_basic").app))
    logins = [client.post("/login") for _ in range(6)]
    assert [r.status_code for r in logins] == [200] * 5 + [429]
    assert logins[0].headers.get_list("ratelimit") == ['"global";r=999;t=4', '"default";r=4;t=12']
    assert logins[5].headers["retry-after"] == "12"
    assert all(client.get("/reports/daily").status_code == 200 for _ in range(30))
    assert client.get("/reports/daily").status_code == 429
    assert client.get("/reports/weekly").status_code == 200


def test_burst_and_parameter_form() -> None:
    """The search limit lets 5 through at once, then one a second; it is declared as a parameter."""
    client = TestClient(frozen(load("ratelimit_basic").app))
    assert [client.get("/search", params={"q": "x"}).status_code for _ in range(6)] == [200] * 5 + [429]
    assert client.get("/search", params={"q": "x"}).headers["retry-after"] == "1"
    assert "429" in client.get("/openapi.json").json()["paths"]["/search"]["get"]["responses"]


def test_keys_by_user_by_function_and_by_forwarded_address() -> None:
    """Users, API keys and proxied clients each get their own budget."""
    module = load("ratelimit_keys")
    client = TestClient(frozen(module.app))
    ada = {"Authorization": "Bearer ada"}
    assert client.get("/feed", headers=ada).headers["ratelimit"] == '"default";r=99;t=36'
    assert client.get("/feed").headers["ratelimit"] == '"default";r=99;t=36'  # anonymous: by address
    assert client.get("/feed", headers={"Authorization": "Basic x"}).status_code == 401
    responses = client.get("/openapi.json").json()["paths"]["/feed"]["get"]["responses"]
    assert list(responses) == ["200", "429", "401", "422"]
    assert [client.get("/quotes", headers={"X-API-Key": "k1"}).status_code for _ in range(11)][-1] == 429
    assert client.get("/quotes", headers={"X-API-Key": "k2"}).status_code == 200
    for client_address in ("203.0.113.1", "203.0.113.2"):
        forwarded = {"X-Forwarded-For": f"6.6.6.6, {client_address}"}
        assert [client.get("/upload-url", headers=forwarded).status_code for _ in range(21)][-2:] == [200, 429]


@pytest.mark.redis
def test_redis_sample(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Redis-backed app limits as declared; its pool opens at startup."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    with TestClient(load("ratelimit_redis").app) as client:
        assert [client.post("/payments").status_code for _ in range(11)] == [200] * 10 + [429]
        assert client.get("/articles").headers["ratelimit"] == '"default";r=119;t=1'


def test_testing_sample() -> None:
    """The sample's own test passes."""
    load("ratelimit_testing").test_one_request_back_every_twenty_seconds()
