"""Same-behaviour fixtures: one test body builds the same app on vivace and on FastAPI 0.165 (the oracle).

Three ways to use them:

* `fw` — a fixture parametrised over both frameworks, for tests that check a behaviour on each (call counts,
  event orders) with ordinary asserts;
* `same(build, *requests)` — builds the app with `build(fw)` on both frameworks, sends the same requests
  to each and fails on the first difference in status, header list (names lowercased, same order) or body
  bytes. Differential tests use this, so any divergence from FastAPI is a failing test;
* `both` — the two frameworks' namespaces by name, for a test that drives each itself (mutating an app between
  requests, capturing what an exception handler received) and compares the results.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest
from starlette.testclient import TestClient

FRAMEWORKS = ("vivace", "fastapi")

#: names every test may use, looked up on the package itself
_TOP_LEVEL = (
    "APIRouter",
    "BackgroundTasks",
    "Body",
    "Cookie",
    "Depends",
    "FastAPI",
    "File",
    "Form",
    "HTTPException",
    "Header",
    "Path",
    "Query",
    "Request",
    "Response",
    "Security",
    "UploadFile",
    "status",
)
_SUBMODULES = ("responses", "exceptions", "exception_handlers", "encoders", "testclient", "requests", "security")


class Framework:
    """A framework's public names as attributes: `fw.FastAPI`, `fw.Query`, `fw.responses.HTMLResponse`, ..."""

    name: str
    package: ModuleType
    responses: ModuleType
    exceptions: ModuleType
    exception_handlers: ModuleType
    encoders: ModuleType

    def __init__(self, name: str) -> None:
        self.name = name
        self.package = importlib.import_module(name)
        for attribute in _TOP_LEVEL:
            setattr(self, attribute, getattr(self.package, attribute))
        for module in _SUBMODULES:
            setattr(self, module, importlib.import_module(f"{name}.{module}"))
        self.TestClient = self.testclient.TestClient
        self.RequestValidationError = self.exceptions.RequestValidationError
        self.ResponseValidationError = self.exceptions.ResponseValidationError
        self.HTMLResponse = self.responses.HTMLResponse
        self.PlainTextResponse = self.responses.PlainTextResponse
        self.JSONResponse = self.responses.JSONResponse

    def __getattr__(self, name: str) -> Any:  # the names set in __init__ are found before this runs
        raise AttributeError(f"{self.name} namespace has no {name!r}; add it to tests/compat/conftest.py")

    def __repr__(self) -> str:
        return self.name


_LOADED: dict[str, Framework] = {}


def framework(name: str) -> Framework:
    """The namespace of `name` ("vivace" or "fastapi"), loaded once per process."""
    if name not in _LOADED:
        _LOADED[name] = Framework(name)
    return _LOADED[name]


@pytest.fixture
def both() -> dict[str, Framework]:
    """Each framework's namespace by name, for a test that runs and compares the two itself."""
    return {name: framework(name) for name in FRAMEWORKS}


@pytest.fixture(params=FRAMEWORKS)
def fw(request: pytest.FixtureRequest) -> Framework:
    """The framework under test; every test using it runs once on vivace and once on FastAPI."""
    return framework(request.param)


# -- requests and their outcomes ------------------------------------------------------------------------------
#
# A request is written as "METHOD /url" or ("METHOD /url", {httpx keyword arguments}), so parametrised lists
# read like a request log and give readable test ids.

Spec = str | tuple[str, dict[str, Any]]
Headers = list[tuple[str, str]]
Exchange = tuple[int, Headers, bytes]


@dataclass(frozen=True)
class Raised:
    """The request made the app raise (TestClient re-raises server exceptions): type name and details."""

    type_name: str
    errors: Any


Outcome = Exchange | Raised


def parse(spec: Spec) -> tuple[str, str, dict[str, Any]]:
    """("GET", "/x", {}) from "GET /x", or from ("GET /x", {...})."""
    line, kwargs = (spec, {}) if isinstance(spec, str) else spec
    method, url = line.split(" ", 1)
    return method, url, kwargs


def spec_id(spec: Spec) -> str:
    method, url, kwargs = parse(spec)
    extra = " ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return f"{method} {url}" + (f" {extra}" if extra else "")


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Test ids for request specs read like the request: `GET /items/3`."""
    if argname == "req" and isinstance(val, str | tuple):
        return spec_id(val)  # type: ignore[arg-type]
    return None


def exchange(app: Any, method: str, url: str, *, raise_server_exceptions: bool = True, **kwargs: Any) -> Exchange:
    """Send one request and return (status, [(lowercased header name, value), ...], body bytes)."""
    client = TestClient(app, raise_server_exceptions=raise_server_exceptions, follow_redirects=False)
    response = client.request(method, url, **kwargs)
    return response.status_code, _header_list(response.headers), response.content


def _outcome(client: TestClient, spec: Spec) -> Outcome:
    method, url, kwargs = parse(spec)
    try:
        response = client.request(method, url, **kwargs)
    except Exception as exc:  # compared across frameworks, by type name and errors()
        errors = exc.errors() if hasattr(exc, "errors") else str(exc)
        return Raised(type(exc).__name__, errors)
    return response.status_code, _header_list(response.headers), response.content


def _header_list(headers: Any) -> Headers:
    """Header pairs in order; `allow` lists its methods sorted.

    NOTE: Starlette joins a route's method *set* into `Allow`, so FastAPI's order changes with PYTHONHASHSEED
    from one process to the next; only the set of methods is comparable.
    """
    return [
        (name, ", ".join(sorted(value.split(", "))) if name == "allow" else value)
        for name, value in headers.multi_items()
    ]


def run_specs(app: Any, specs: Sequence[Spec], *, raise_server_exceptions: bool = True) -> list[Outcome]:
    """Send `specs` in order to `app`, inside the app's lifespan, and collect every outcome."""
    client = TestClient(app, raise_server_exceptions=raise_server_exceptions, follow_redirects=False)
    with client:
        return [_outcome(client, spec) for spec in specs]


Builder = Callable[[Framework], Any]


class ClientCache:
    """Started TestClients for module-level builders, kept for the session.

    NOTE: building and starting an app costs ~10 ms against ~1 ms for a request; module-level builders must
    therefore be stateless. A builder defined inside a test (a closure) gets a fresh app on every call.
    """

    def __init__(self) -> None:
        self._clients: dict[tuple[Builder, str, bool], TestClient] = {}

    def outcomes(
        self, build: Builder, name: str, specs: Sequence[Spec], raise_server_exceptions: bool
    ) -> list[Outcome]:
        if "<locals>" in build.__qualname__:
            return run_specs(build(framework(name)), specs, raise_server_exceptions=raise_server_exceptions)
        key = (build, name, raise_server_exceptions)
        client = self._clients.get(key)
        if client is None:
            client = TestClient(
                build(framework(name)), raise_server_exceptions=raise_server_exceptions, follow_redirects=False
            )
            client.__enter__()
            self._clients[key] = client
        return [_outcome(client, spec) for spec in specs]

    def close(self) -> None:
        for client in self._clients.values():
            client.__exit__(None, None, None)
        self._clients.clear()


def assert_same(
    cache: ClientCache, build: Builder, *specs: Spec, raise_server_exceptions: bool = True
) -> list[Outcome]:
    """Build the app on both frameworks, send `specs` to each, and fail on the first difference."""
    results = {name: cache.outcomes(build, name, specs, raise_server_exceptions) for name in FRAMEWORKS}
    for spec, ours, theirs in zip(specs, results["vivace"], results["fastapi"], strict=True):
        assert_outcomes_equal(spec_id(spec), ours, theirs)
    return results["fastapi"]


def assert_outcomes_equal(label: str, ours: Outcome, theirs: Outcome) -> None:
    """Status, then body, then headers: the first that differs is reported with both values."""
    if isinstance(ours, Raised) or isinstance(theirs, Raised):
        assert ours == theirs, f"{label}: vivace {ours!r} != fastapi {theirs!r}"
        return
    assert ours[0] == theirs[0], f"{label}: status vivace {ours[0]} != fastapi {theirs[0]} (body {ours[2]!r})"
    assert ours[2] == theirs[2], f"{label}: body vivace {ours[2]!r} != fastapi {theirs[2]!r}"
    assert ours[1] == theirs[1], f"{label}: headers vivace {ours[1]} != fastapi {theirs[1]}"


@pytest.fixture(scope="session")
def client_cache() -> Iterator[ClientCache]:
    """Started clients of module-level builders, shut down (lifespan exit) at the end of the session."""
    cache = ClientCache()
    yield cache
    cache.close()


@pytest.fixture
def same(client_cache: ClientCache) -> Callable[..., list[Outcome]]:
    """`same(build, *specs)`: the same app on both frameworks answers `specs` byte for byte alike."""
    return functools.partial(assert_same, client_cache)


@pytest.fixture(name="exchange")
def exchange_fixture() -> Callable[..., Exchange]:
    """`exchange(app, method, url, **kw)`: one request, as (status, header pairs, body bytes)."""
    return exchange


@pytest.fixture
def send() -> Callable[..., list[Outcome]]:
    """`send(app, *specs)`: the outcomes of `specs` on one app (for tests parametrised with `fw`)."""

    def run(app: Any, *specs: Spec, raise_server_exceptions: bool = True) -> list[Outcome]:
        return run_specs(app, specs, raise_server_exceptions=raise_server_exceptions)

    return run
