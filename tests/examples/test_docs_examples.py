"""Every code sample in the documentation runs and does what the text around it says.

The samples live in docs/examples/; the Markdown pages quote them (see `test_quoted_code_is_real`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from samples import ROOT, SAMPLES, client_for, load

from vivace.testclient import TestClient

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# A sample is quoted as `<!-- sample: docs/examples/NAME.py -->` right before a fenced Python block.
QUOTE = re.compile(r"<!-- sample: (?P<path>\S+) -->\n```python\n(?P<code>.*?)```", re.DOTALL)
PYTHON_BLOCK = re.compile(r"^```python$", re.MULTILINE)


def error_of(response: Any) -> tuple[list[Any], str]:
    """(loc, type) of the single validation error in a 422 response."""
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    return error["loc"], error["type"]


# -- the pages quote real code ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_quoted_code_is_real(page: Path) -> None:
    """Each Python block in a page is marked with its sample file and appears in that file word for word."""
    text = page.read_text()
    quotes = list(QUOTE.finditer(text))
    assert len(quotes) == len(PYTHON_BLOCK.findall(text)), "a ```python block has no <!-- sample: ... --> marker"
    for quote in quotes:
        sample = ROOT / quote["path"]
        assert sample.parent == SAMPLES, f"{quote['path']} is not under docs/examples/"
        assert quote["code"] in sample.read_text(), f"the block quoting {quote['path']} differs from the file"


def test_every_sample_is_quoted_and_tested() -> None:
    """No sample file is orphaned: each is quoted by some page and loaded by a test in tests/examples/."""
    files = {path.stem for path in SAMPLES.glob("*.py")}
    quoted = {Path(m["path"]).stem for page in PAGES for m in QUOTE.finditer(page.read_text())}
    # NOTE: samples of newer pages are tested in their own files next to this one, with the same helpers
    sources = "".join(path.read_text() for path in sorted(Path(__file__).parent.glob("test_*.py")))
    tested = set(re.findall(r"(?:load|client_for|run_sample)\(\"(\w+)\"[,)]", sources))
    assert files == quoted
    assert files == tested


# -- README and first steps -------------------------------------------------------------------------------


def test_readme_example() -> None:
    """The README's books API stores, lists, filters and validates books, and 404s on unknown ids."""
    client = client_for("readme")
    assert client.put("/books/1", json={"title": "Dune", "year": 1965}).json() == {"title": "Dune", "year": 1965}
    client.put("/books/2", json={"title": "Emma", "year": 1815})
    assert [book["title"] for book in client.get("/books", params={"since": 1900}).json()] == ["Dune"]
    assert client.get("/books/2").json()["title"] == "Emma"
    assert client.get("/books/3").json() == {"detail": "No such book"}
    assert error_of(client.put("/books/3", json={"title": "Scroll", "year": 100})) == (
        ["body", "year"],
        "greater_than_equal",
    )


def test_first_steps() -> None:
    """The first app greets, echoes a typed path parameter and an optional query, and rejects a bad id."""
    client = client_for("first_steps")
    assert client.get("/").json() == {"message": "Hello from vivace"}
    assert client.get("/items/5", params={"q": "x"}).json() == {"item_id": 5, "q": "x"}
    assert client.get("/items/5").json() == {"item_id": 5, "q": None}
    assert error_of(client.get("/items/five")) == (["path", "item_id"], "int_parsing")


# -- parameters -------------------------------------------------------------------------------------------


def test_path_parameters() -> None:
    """An Enum path parameter accepts only its values; Path(ge=1) bounds the id."""
    client = client_for("parameters")
    assert client.get("/shirts/large/3").json() == {"size": "large", "shirt_id": 3}
    assert error_of(client.get("/shirts/medium/3")) == (["path", "size"], "enum")
    assert error_of(client.get("/shirts/small/0")) == (["path", "shirt_id"], "greater_than_equal")


def test_query_parameters() -> None:
    """Query parameters are converted (int, bool, repeated list) and constrained (length)."""
    client = client_for("parameters")
    response = client.get("/search", params={"q": "shoes", "page": "2", "tags": ["red", "sale"], "exact": "yes"})
    assert response.json() == {"q": "shoes", "page": 2, "tags": ["red", "sale"], "exact": True}
    assert client.get("/search", params={"q": "hat"}).json() == {"q": "hat", "page": 1, "tags": None, "exact": False}
    assert error_of(client.get("/search", params={"q": "a"})) == (["query", "q"], "string_too_short")
    assert error_of(client.get("/search")) == (["query", "q"], "missing")


def test_query_parameter_model() -> None:
    """A Pydantic model declares a group of query parameters; extra="forbid" rejects unknown ones."""
    client = client_for("parameters")
    assert client.get("/products", params={"limit": 5}).json() == {"limit": 5, "offset": 0, "order": "asc"}
    assert error_of(client.get("/products", params={"order": "up"})) == (["query", "order"], "literal_error")
    assert error_of(client.get("/products", params={"colour": "red"})) == (["query", "colour"], "extra_forbidden")


def test_header_and_cookie_parameters() -> None:
    """Header parameters match hyphenated header names; cookies are read by name."""
    client = client_for("parameters")
    client.cookies.set("session", "abc")
    response = client.get("/whoami", headers={"User-Agent": "curl/8", "X-Request-ID": "r-1"})
    assert response.json() == {"user_agent": "curl/8", "request_id": "r-1", "session": "abc"}


# -- bodies -----------------------------------------------------------------------------------------------


def test_nested_body() -> None:
    """A model body with a nested list of models is validated and run through the model's own validator."""
    client = client_for("bodies")
    body = {
        "name": "Ada",
        "email": "ADA@example.org",
        "addresses": [{"street": "1 Main St", "city": "Paris", "postcode": "75001"}],
    }
    response = client.post("/customers", json=body)
    assert response.status_code == 201
    assert response.json() == body | {"email": "ada@example.org"}


def test_body_errors() -> None:
    """Errors name the nested field; a validator's ValueError becomes a value_error; non-JSON is rejected."""
    client = client_for("bodies")
    address = {"street": "s", "city": "c", "postcode": "123"}
    response = client.post("/customers", json={"name": "Ada", "email": "a@b", "addresses": [address]})
    assert error_of(response) == (["body", "addresses", 0, "postcode"], "string_pattern_mismatch")
    response = client.post("/customers", json={"name": "Ada", "email": "nope"})
    assert error_of(response) == (["body", "email"], "value_error")
    assert "an email address needs an @" in response.json()["detail"][0]["msg"]
    assert (
        error_of(client.post("/customers", content=b"{", headers={"content-type": "application/json"}))[1]
        == "json_invalid"
    )


def test_several_body_parameters() -> None:
    """Two body parameters are two keys of one JSON object; Body() constrains a plain value."""
    client = client_for("bodies")
    address = {"street": "s", "city": "Lyon", "postcode": "69001"}
    response = client.put("/customers/7/address", json={"address": address, "note": "ring twice"})
    assert response.json() == {"customer_id": 7, "address": address, "note": "ring twice"}
    assert client.put("/customers/7/address", json={"address": address}).json()["note"] == ""
    assert error_of(client.put("/customers/7/address", json=address)) == (["body", "address"], "missing")


def test_embedded_body() -> None:
    """Body(embed=True) expects the single model under its parameter name."""
    client = client_for("bodies")
    address = {"street": "s", "city": "Lyon", "postcode": "69001"}
    assert client.post("/addresses/check", json={"address": address}).json() == {"city": "Lyon"}
    assert error_of(client.post("/addresses/check", json=address)) == (["body", "address"], "missing")


# -- response models --------------------------------------------------------------------------------------


def test_response_model_filters_fields() -> None:
    """Returned objects are sent through the response model: password_hash never leaves the server."""
    client = client_for("response_models")
    response = client.post("/accounts", json={"username": "ada", "password": "pw"})
    assert (response.status_code, response.json()) == (201, {"username": "ada"})
    assert client.get("/accounts/bob").json() == {"username": "bob"}


def test_response_model_exclude_unset() -> None:
    """response_model_exclude_unset sends only the fields the endpoint set."""
    client = client_for("response_models")
    assert client.get("/settings/ada").json() == {"theme": "dark"}
    assert client.get("/settings/bob").json() == {}


# -- dependencies -----------------------------------------------------------------------------------------


def test_function_and_class_dependencies() -> None:
    """A function dependency reads query parameters; a class dependency is built from its __init__ parameters."""
    client = client_for("dependencies")
    assert client.get("/articles", params={"skip": 5, "limit": 500}).json() == {"skip": 5, "limit": 100}
    response = client.get("/comments", params={"sort": "votes", "desc": "true"})
    assert response.json() == {"page": {"skip": 0, "limit": 10}, "sort": "votes", "desc": True}


def test_yield_dependency_cleans_up_after_the_response() -> None:
    """The endpoint sees an open session; the code after `yield` closes it once the response is sent."""
    module = load("dependencies")
    assert TestClient(module.app).get("/session").json() == {"closed": False}
    [session] = module.sessions
    assert session.closed


def test_router_dependencies_and_sub_dependencies() -> None:
    """A router-level dependency guards every route; a sub-dependency reuses the cached result."""
    module = load("dependencies")
    client = TestClient(module.app)
    missing = client.get("/admin/stats")
    assert missing.status_code == 422
    # NOTE: FastAPI lists this error once per dependency that reads the header; vivace once. Either passes.
    assert {(tuple(e["loc"]), e["type"]) for e in missing.json()["detail"]} == {(("header", "x-api-key"), "missing")}
    assert client.get("/admin/stats", headers={"X-API-Key": "nope"}).status_code == 403
    assert client.get("/admin/stats", headers={"X-API-Key": "secret"}).json() == {"caller": "client-sec"}


def test_dependency_results_are_cached_per_request() -> None:
    """A dependency needed twice in one request (router + sub-dependency) runs once."""
    module = load("dependencies")
    calls: list[str] = []

    def counting_api_key(x_api_key: Any = module.Header()) -> str:
        calls.append(x_api_key)
        return str(x_api_key)

    module.app.dependency_overrides[module.api_key] = counting_api_key
    TestClient(module.app).get("/admin/stats", headers={"X-API-Key": "secret"})
    assert calls == ["secret"]


# -- security ---------------------------------------------------------------------------------------------


def test_bearer_token_with_scopes() -> None:
    """Security(..., scopes=) passes the required scopes to the user dependency, which checks them."""
    client = client_for("security")
    assert client.get("/documents", headers={"Authorization": "Bearer t-bob"}).json() == {"reader": "bob"}
    assert client.post("/documents", headers={"Authorization": "Bearer t-ada"}).json() == {"writer": "ada"}
    response = client.post("/documents", headers={"Authorization": "Bearer t-bob"})
    assert (response.status_code, response.json()) == (403, {"detail": "Missing scope: write"})


def test_missing_or_bad_credentials() -> None:
    """No credentials: the scheme answers 401 with its challenge; a bad token gets the app's own 401."""
    client = client_for("security")
    missing = client.get("/documents")
    assert (missing.status_code, missing.headers["www-authenticate"]) == (401, "Bearer")
    assert client.get("/documents", headers={"Authorization": "Bearer t-eve"}).json() == {"detail": "Invalid token"}
    basic = client.get("/basic")
    assert (basic.status_code, basic.headers["www-authenticate"]) == (401, "Basic")
    assert client.get("/service").status_code == 401


def test_basic_and_api_key_schemes() -> None:
    """HTTPBasic decodes user and password; APIKeyHeader returns the header's value."""
    client = client_for("security")
    assert client.get("/basic", auth=("ada", "pw")).json() == {"username": "ada"}
    assert client.get("/service", headers={"X-API-Key": "abcd"}).json() == {"key_length": 4}


# -- errors -----------------------------------------------------------------------------------------------


def test_http_exception() -> None:
    """HTTPException sends its status code, a JSON detail of any shape, and its headers."""
    client = client_for("errors")
    assert client.get("/stock/apple").json() == {"apple": 3}
    response = client.get("/stock/pear")
    assert (response.status_code, response.json()) == (404, {"detail": {"missing": "pear"}})
    assert response.headers["x-reason"] == "unknown-item"


def test_custom_exception_handler() -> None:
    """A handler registered for OutOfStock turns the exception into a 409 response."""
    client = client_for("errors")
    assert client.post("/stock/apple/take", params={"count": 2}).json() == {"apple": 1}
    response = client.post("/stock/apple/take", params={"count": 2})
    assert (response.status_code, response.json()) == (
        409,
        {"detail": "apple is sold out", "path": "/stock/apple/take"},
    )


def test_replaced_validation_handler_keeps_the_default_body() -> None:
    """The replacement handler records the failure, then delegates to the default 422 response."""
    module = load("errors")
    response = TestClient(module.app).post("/stock/apple/take", params={"count": "many"})
    assert error_of(response) == (["query", "count"], "int_parsing")
    assert module.validation_failures == ["/stock/apple/take"]


# -- testing and migration --------------------------------------------------------------------------------


@pytest.mark.parametrize("test_name", ["test_greet", "test_greet_with_override", "test_name_is_required"])
def test_testing_guide_tests_pass(test_name: str) -> None:
    """The tests shown in the testing guide pass against the app shown next to them."""
    test: Callable[[], None] = getattr(load("testing"), test_name)
    test()


def test_migrated_app_runs_on_vivace() -> None:
    """The app with its imports switched to vivace serves a dependency-prefixed plain-text echo."""
    response = client_for("migration_import").get("/echo/hi")
    assert (response.text, response.headers["content-type"]) == (">> hi", "text/plain; charset=utf-8")


def run_sample(name: str, code: str) -> subprocess.CompletedProcess[str]:
    """Run docs/examples/<name>.py in a fresh interpreter (warnings are errors), then `code` in its namespace."""
    script = f"import runpy\nns = runpy.run_path({str(SAMPLES / f'{name}.py')!r})\n{code}"
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", script], capture_output=True, text=True, timeout=60, check=False
    )


def test_alias_runs_unedited_fastapi_code() -> None:
    """After vivace.compat.install(), `from fastapi import FastAPI` builds a vivace app that serves requests."""
    check = (
        "import vivace\n"
        "from vivace.testclient import TestClient\n"
        "assert isinstance(ns['app'], vivace.Vivace)\n"
        "assert TestClient(ns['app']).get('/ping').json() == {'pong': True}\n"
    )
    proc = run_sample("migration_alias", check)
    assert (proc.returncode, proc.stderr) == (0, "")


# -- app-scoped dependencies ------------------------------------------------------------------------------


def test_app_scoped_settings_are_built_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """get_settings runs once, at startup, however many requests use it; it reads the environment."""
    monkeypatch.setenv("PAGE_SIZE", "50")
    module = load("app_scope_settings")
    built: list[Any] = []
    real_settings = module.Settings

    def recording_settings(**fields: Any) -> Any:
        built.append(real_settings(**fields))
        return built[-1]

    monkeypatch.setattr(module, "Settings", recording_settings)
    with TestClient(module.app) as client:
        assert len(built) == 1  # created at startup, before any request
        for _ in range(3):
            assert client.get("/info").json() == {"service": "notes", "page_size": 50}
    assert len(built) == 1


def test_app_scoped_settings_override() -> None:
    """The page's own test passes: an override of an app-scoped dependency is used by every request."""
    module = load("app_scope_settings")
    module.test_small_pages()
    assert module.app.dependency_overrides == {}


def test_app_scoped_engine_shared_then_disposed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One engine serves every request's session; it is disposed of when the application shuts down."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'notes.db'}")
    module = load("app_scope_database")
    engines: list[Any] = []
    disposed: list[Any] = []
    real_create_engine = module.create_engine

    def recording_create_engine(url: str) -> Any:
        engine = real_create_engine(url)
        real_dispose = engine.dispose
        engine.dispose = lambda: (disposed.append(engine), real_dispose())
        engines.append(engine)
        return engine

    monkeypatch.setattr(module, "create_engine", recording_create_engine)
    with TestClient(module.app) as client:
        assert client.post("/notes", json={"body": "first"}).json() == {"id": 1}
        assert client.post("/notes", json={"body": "second"}).json() == {"id": 2}
        assert client.get("/notes").json() == ["first", "second"]
        assert disposed == []
    assert len(engines) == 1
    assert disposed == engines


def test_app_scoped_http_client_overridden_in_tests() -> None:
    """The endpoint uses the shared client; a test swaps in a mocked transport, and shutdown closes it."""
    import httpx

    module = load("app_scope_http")
    clients: list[httpx.AsyncClient] = []

    def rates(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/latest/EUR":
            return httpx.Response(200, json={"rate": 0.5})
        return httpx.Response(404)

    async def mocked_client() -> Any:
        async with httpx.AsyncClient(base_url="https://rates.test", transport=httpx.MockTransport(rates)) as client:
            clients.append(client)
            yield client

    module.app.dependency_overrides[module.get_http_client] = mocked_client
    with TestClient(module.app) as client:
        assert client.get("/convert", params={"amount": 10, "currency": "EUR"}).json() == {"amount": 5.0}
        response = client.get("/convert", params={"amount": 10, "currency": "XXX"})
        assert (response.status_code, response.json()) == (502, {"detail": "The rates service did not answer"})
        [shared] = clients
        assert not shared.is_closed
    assert shared.is_closed


def test_app_scoped_http_client_factory() -> None:
    """The sample's own get_http_client yields a client on the service's base URL and closes it afterwards."""
    from contextlib import asynccontextmanager

    import anyio

    module = load("app_scope_http")

    async def check() -> Any:
        async with asynccontextmanager(module.get_http_client)() as client:
            assert str(client.base_url) == "https://rates.example.com"
            assert not client.is_closed
        return client

    assert anyio.run(check).is_closed


def test_app_scoped_dependency_cannot_use_request_data() -> None:
    """An app-scoped dependency that depends on a per-request one is rejected when the route is declared."""
    from vivace.exceptions import DependencyScopeError

    module = load("app_scope_errors")
    with pytest.raises(DependencyScopeError, match='"user_preferences" has scope "app"'):
        module.build_app()
    assert module.user_preferences("ada") == {"user": "ada", "theme": "dark"}


# -- deployment -------------------------------------------------------------------------------------------


def test_deployment_sample_behind_a_proxy_prefix() -> None:
    """With a root path (as a proxy serving the app under /api sets it), URLs and the docs carry the prefix."""
    app = load("deployment").app
    assert TestClient(app).get("/notes/3").json() == {"id": 3, "url": "http://testserver/notes/3"}
    client = TestClient(app, root_path="/api")
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/notes/3").json() == {"id": 3, "url": "http://testserver/api/notes/3"}
    assert client.get("/openapi.json").json()["servers"] == [{"url": "/api"}]
    assert "url: '/api/openapi.json'" in client.get("/docs").text


# -- command line -----------------------------------------------------------------------------------------


def test_cli_check_sample(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI guide's sample serves its routes, and `vivace check` finds its shadowed route and blocking sleep."""
    from vivace.cli import main

    client = TestClient(load("cli_check").app)
    assert client.get("/users/me").json() == {"id": "me"}  # answered by read_user: /users/me is shadowed
    monkeypatch.setattr(sys, "path", list(sys.path))  # the CLI puts docs/examples/ first on sys.path
    try:
        assert main(["check", str(SAMPLES / "cli_check.py")]) == 1
    finally:
        sys.modules.pop("cli_check", None)
    out = capsys.readouterr().out
    assert "[shadowed-route] GET /users/me is never reached" in out
    assert "[blocking-call] `time.sleep()` blocks the event loop in async endpoint `build_report`" in out
