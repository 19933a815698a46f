"""Security schemes: vivace against FastAPI 0.165, through an app and called directly.

The app-level tests run the same small app on both frameworks (the `stack` fixture) and require the
status, `WWW-Authenticate` challenge and JSON body recorded from FastAPI 0.165; the FastAPI run checks
the recorded expectation, the vivace run checks vivace. The unit tests call the scheme objects directly
and compare them with FastAPI's objects, so they need no application core.
"""

import asyncio
import base64
import importlib
import inspect
import json
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Annotated, Any

import fastapi.openapi.constants
import fastapi.openapi.models
import fastapi.security
import fastapi.security.http
import pydantic
import pytest
from pydantic import BaseModel
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import HTTPConnection, Request
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocket

import vivace.exceptions
import vivace.openapi.constants
import vivace.openapi.models
import vivace.security
import vivace.security.http
from vivace.security.utils import get_authorization_scheme_param

# ---- the two stacks ----------------------------------------------------------------------------


class Stack:
    """One framework's public names, imported on first use as an application module would import them.

    Lazy on purpose: the unit tests need only the security modules, not the application core.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Stack({self.name!r})"

    def _module(self, suffix: str = "") -> Any:
        return importlib.import_module(self.name + suffix)

    @property
    def FastAPI(self) -> Any:
        return self._module().FastAPI

    @property
    def Depends(self) -> Any:
        return self._module().Depends

    @property
    def Security(self) -> Any:
        return self._module().Security

    @property
    def HTTPException(self) -> Any:
        return self._module(".exceptions").HTTPException

    @property
    def TestClient(self) -> Any:
        try:
            return self._module(".testclient").TestClient
        except ImportError:  # vivace.testclient is written separately; Starlette's client is the same class
            return importlib.import_module("starlette.testclient").TestClient

    @property
    def security(self) -> Any:
        return self._module(".security")

    @property
    def http(self) -> Any:
        """`<framework>.security.http`, home of HTTPBase."""
        return self._module(".security.http")


@pytest.fixture(params=["fastapi", "vivace"])
def stack(request: pytest.FixtureRequest) -> Stack:
    """The same test runs on FastAPI (the oracle) and on vivace."""
    return Stack(request.param)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


JOHN = _b64("john:secret")
NOT_AUTHENTICATED = {"detail": "Not authenticated"}

# ---- HTTP-level cases -------------------------------------------------------------------------------

SchemeFactory = Callable[[Stack, bool], Any]

FACTORIES: dict[str, SchemeFactory] = {
    "api-key-query": lambda s, ae: s.security.APIKeyQuery(name="key", auto_error=ae),
    "api-key-header": lambda s, ae: s.security.APIKeyHeader(name="key", auto_error=ae),
    "api-key-cookie": lambda s, ae: s.security.APIKeyCookie(name="key", auto_error=ae),
    "http-base": lambda s, ae: s.http.HTTPBase(scheme="Other", auto_error=ae),
    "http-basic": lambda s, ae: s.security.HTTPBasic(auto_error=ae),
    "http-basic-realm": lambda s, ae: s.security.HTTPBasic(realm="simple", auto_error=ae),
    "http-bearer": lambda s, ae: s.security.HTTPBearer(auto_error=ae),
    "http-digest": lambda s, ae: s.security.HTTPDigest(auto_error=ae),
    "oauth2": lambda s, ae: s.security.OAuth2(auto_error=ae),
    "oauth2-password": lambda s, ae: s.security.OAuth2PasswordBearer(tokenUrl="/token", auto_error=ae),
    "oauth2-code": lambda s, ae: s.security.OAuth2AuthorizationCodeBearer(
        authorizationUrl="/authorize", tokenUrl="/token", auto_error=ae
    ),
    "openid-connect": lambda s, ae: s.security.OpenIdConnect(openIdConnectUrl="/openid", auto_error=ae),
}


@dataclass(frozen=True)
class Case:
    scheme: str
    url: str
    headers: dict[str, str]
    status: int
    challenge: str | None
    body: Any


def _ok(scheme: str, headers: dict[str, str], cred: Any, url: str = "/") -> Case:
    return Case(scheme, url, headers, 200, None, {"cred": cred})


def _denied(scheme: str, headers: dict[str, str], challenge: str, url: str = "/") -> Case:
    return Case(scheme, url, headers, 401, challenge, NOT_AUTHENTICATED)


def _auth(value: str) -> dict[str, str]:
    return {"Authorization": value}


# With auto_error=True (the default). Recorded from FastAPI 0.165.
REQUIRED_CASES = [
    _ok("api-key-query", {}, "secret", url="/?key=secret"),
    _denied("api-key-query", {}, "APIKey"),
    _denied("api-key-query", {}, "APIKey", url="/?key="),
    _ok("api-key-header", {"key": "secret"}, "secret"),
    _denied("api-key-header", {}, "APIKey"),
    _ok("api-key-cookie", {"Cookie": "key=secret"}, "secret"),
    _denied("api-key-cookie", {}, "APIKey"),
    _ok("http-base", _auth("Other secret"), {"scheme": "Other", "credentials": "secret"}),
    _ok("http-base", _auth("Anything secret"), {"scheme": "Anything", "credentials": "secret"}),
    _denied("http-base", {}, "Other"),
    _denied("http-base", _auth("Other"), "Other"),
    _ok("http-basic", _auth(f"Basic {JOHN}"), {"username": "john", "password": "secret"}),
    _ok("http-basic", _auth(f"basic {JOHN}"), {"username": "john", "password": "secret"}),
    _ok("http-basic", _auth(f"Basic {_b64('john:')}"), {"username": "john", "password": ""}),
    _ok("http-basic", _auth(f"Basic {_b64('a:b:c')}"), {"username": "a", "password": "b:c"}),
    _denied("http-basic", {}, "Basic"),
    _denied("http-basic", _auth("Bearer token"), "Basic"),
    _denied("http-basic", _auth("Basic notabase64token"), "Basic"),
    _denied("http-basic", _auth(f"Basic {_b64('johnsecret')}"), "Basic"),
    _denied("http-basic", _auth(f"Basic {_b64('jöhn:secret')}"), "Basic"),
    _denied("http-basic", _auth("Basic"), "Basic"),
    _denied("http-basic-realm", {}, 'Basic realm="simple"'),
    _denied("http-basic-realm", _auth("Basic notabase64token"), 'Basic realm="simple"'),
    _ok("http-bearer", _auth("Bearer token"), {"scheme": "Bearer", "credentials": "token"}),
    _ok("http-bearer", _auth("bearer  token "), {"scheme": "bearer", "credentials": "token"}),
    _denied("http-bearer", {}, "Bearer"),
    _denied("http-bearer", _auth("Basic token"), "Bearer"),
    _denied("http-bearer", _auth("Bearer"), "Bearer"),
    _ok(
        "http-digest", _auth('Digest username="john"'), {"scheme": "Digest", "credentials": 'username="john"'}
    ),
    _denied("http-digest", {}, "Digest"),
    _denied("http-digest", _auth("Bearer token"), "Digest"),
    _ok("oauth2", _auth("Whatever you send"), "Whatever you send"),
    _denied("oauth2", {}, "Bearer"),
    _ok("oauth2-password", _auth("Bearer token"), "token"),
    _ok("oauth2-password", _auth("Bearer"), ""),
    _denied("oauth2-password", {}, "Bearer"),
    _denied("oauth2-password", _auth("Basic token"), "Bearer"),
    _ok("oauth2-code", _auth("bearer token"), "token"),
    _denied("oauth2-code", {}, "Bearer"),
    _denied("oauth2-code", _auth("Token token"), "Bearer"),
    _ok("openid-connect", _auth("Bearer token"), "Bearer token"),
    _denied("openid-connect", {}, "Bearer"),
]

# With auto_error=False: missing or foreign credentials give None, except an undecodable Basic header.
OPTIONAL_CASES = [
    _ok("api-key-query", {}, None),
    _ok("api-key-query", {}, "secret", url="/?key=secret"),
    _ok("api-key-header", {}, None),
    _ok("api-key-cookie", {}, None),
    _ok("http-base", {}, None),
    _ok("http-basic", {}, None),
    _ok("http-basic", _auth("Bearer token"), None),
    _ok("http-basic", _auth(f"Basic {JOHN}"), {"username": "john", "password": "secret"}),
    _denied("http-basic", _auth("Basic notabase64token"), "Basic"),
    _denied("http-basic", _auth(f"Basic {_b64('johnsecret')}"), "Basic"),
    _ok("http-bearer", {}, None),
    _ok("http-bearer", _auth("Basic token"), None),
    _ok("http-digest", _auth("Bearer token"), None),
    _ok("oauth2", {}, None),
    _ok("oauth2-password", _auth("Basic token"), None),
    _ok("oauth2-code", {}, None),
    _ok("openid-connect", {}, None),
]


def _case_id(case: Case) -> str:
    return f"{case.scheme}:{case.url}:{case.headers}"


def _app_with(stack: Stack, scheme: Any) -> Any:
    app = stack.FastAPI()

    @app.get("/")
    async def read(cred: Any = stack.Security(scheme)):
        return {"cred": cred.model_dump() if isinstance(cred, BaseModel) else cred}

    return app


def _check(stack: Stack, case: Case, auto_error: bool) -> None:
    app = _app_with(stack, FACTORIES[case.scheme](stack, auto_error))
    with stack.TestClient(app) as client:
        response = client.get(case.url, headers=case.headers)
    assert response.status_code == case.status, response.text
    assert response.headers.get("www-authenticate") == case.challenge
    assert response.json() == case.body


@pytest.mark.parametrize("case", REQUIRED_CASES, ids=_case_id)
def test_required_scheme_answers(stack: Stack, case: Case) -> None:
    """With auto_error on, each scheme returns the credential or answers FastAPI's 401 and challenge."""
    _check(stack, case, auto_error=True)


@pytest.mark.parametrize("case", OPTIONAL_CASES, ids=_case_id)
def test_optional_scheme_answers(stack: Stack, case: Case) -> None:
    """With auto_error off, a missing credential gives None; an undecodable Basic header is still a 401."""
    _check(stack, case, auto_error=False)


def test_overridden_error_answers_403(stack: Stack) -> None:
    """A subclass overriding make_not_authenticated_error changes the answer (FastAPI's documented recipe)."""
    http_exception = stack.HTTPException

    class HTTPBearer403(stack.security.HTTPBearer):
        def make_not_authenticated_error(self) -> Any:
            return http_exception(status_code=403, detail="Not authenticated")

    app = _app_with(stack, HTTPBearer403())
    with stack.TestClient(app) as client:
        denied = client.get("/")
        allowed = client.get("/", headers=_auth("Bearer token"))
    assert (denied.status_code, denied.headers.get("www-authenticate")) == (403, None)
    assert denied.json() == NOT_AUTHENTICATED
    assert allowed.json() == {"cred": {"scheme": "Bearer", "credentials": "token"}}


def test_bearer_subclasses_in_an_app(stack: Stack) -> None:
    """A bearer scheme subclass with its own `__call__` is awaited with the request; one overriding only the error
    keeps the bearer reading and answers its own error (vivace reads such schemes from the scope)."""
    http_exception = stack.HTTPException

    class FromXToken(stack.security.OAuth2PasswordBearer):
        async def __call__(self, request: Request) -> str:
            return request.headers.get("x-token") or "anonymous"

    class Bearer403(stack.security.OAuth2AuthorizationCodeBearer):
        def make_not_authenticated_error(self) -> Any:
            return http_exception(status_code=403, detail="Not authenticated")

    with stack.TestClient(_app_with(stack, FromXToken("token"))) as client:
        assert client.get("/", headers={"x-token": "t", **_auth("Bearer b")}).json() == {"cred": "t"}
    with stack.TestClient(_app_with(stack, Bearer403("auth", "token"))) as client:
        denied = client.get("/", headers=_auth("Basic b"))
        allowed = client.get("/", headers=_auth("Bearer b"))
    assert (denied.status_code, denied.json()) == (403, NOT_AUTHENTICATED)
    assert allowed.json() == {"cred": "b"}


# ---- OAuth2 password form ---------------------------------------------------------------------------


def _form_app(stack: Stack) -> Any:
    app = stack.FastAPI()
    form_class = stack.security.OAuth2PasswordRequestForm
    strict_class = stack.security.OAuth2PasswordRequestFormStrict

    @app.post("/token")
    def token(form: Annotated[form_class, stack.Depends()]):
        return vars(form)

    @app.post("/strict")
    def strict(form: Annotated[strict_class, stack.Depends()]):
        return vars(form)

    return app


FULL_FORM = {
    "username": "u",
    "password": "p",
    "grant_type": "password",
    "scope": " a  b c ",
    "client_id": "i",
    "client_secret": "s",
}
FULL_RESULT = {
    "grant_type": "password",
    "username": "u",
    "password": "p",
    "scopes": ["a", "b", "c"],
    "client_id": "i",
    "client_secret": "s",
}


def _missing(field: str) -> dict[str, Any]:
    return {"type": "missing", "loc": ["body", field], "msg": "Field required", "input": None}


BAD_GRANT = {
    "type": "string_pattern_mismatch",
    "loc": ["body", "grant_type"],
    "msg": "String should match pattern '^password$'",
    "input": "foo",
    "ctx": {"pattern": "^password$"},
}

FORM_CASES = [
    (
        "/token",
        {"username": "u", "password": "p"},
        200,
        {
            "grant_type": None,
            "username": "u",
            "password": "p",
            "scopes": [],
            "client_id": None,
            "client_secret": None,
        },
    ),
    ("/token", FULL_FORM, 200, FULL_RESULT),
    ("/token", {"username": "u", "password": "p", "grant_type": "foo"}, 422, {"detail": [BAD_GRANT]}),
    ("/token", {"password": "p"}, 422, {"detail": [_missing("username")]}),
    ("/token", {}, 422, {"detail": [_missing("username"), _missing("password")]}),
    ("/strict", FULL_FORM, 200, FULL_RESULT),
    ("/strict", {"username": "u", "password": "p"}, 422, {"detail": [_missing("grant_type")]}),
    ("/strict", {"username": "u", "password": "p", "grant_type": "foo"}, 422, {"detail": [BAD_GRANT]}),
    ("/strict", {}, 422, {"detail": [_missing(f) for f in ("grant_type", "username", "password")]}),
]


@pytest.mark.parametrize(("path", "data", "status", "body"), FORM_CASES)
def test_password_request_form(stack: Stack, path: str, data: dict[str, str], status: int, body: Any) -> None:
    """The OAuth2 password forms parse, split `scope` and report missing or invalid fields like FastAPI."""
    with stack.TestClient(_form_app(stack)) as client:
        response = client.post(path, data=data)
    assert response.status_code == status, response.text
    assert response.json() == body


# Recorded from FastAPI 0.165: the form schemas differ only in `grant_type` and the `format: password`.
FORM_SCHEMAS = {
    "Body_strict_strict_post": {
        "properties": {
            "grant_type": {"type": "string", "pattern": "^password$", "title": "Grant Type"},
            "username": {"type": "string", "title": "Username"},
            "password": {"type": "string", "title": "Password"},
            "scope": {"type": "string", "title": "Scope", "default": ""},
            "client_id": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Client Id"},
            "client_secret": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Client Secret"},
        },
        "type": "object",
        "required": ["grant_type", "username", "password"],
        "title": "Body_strict_strict_post",
    },
    "Body_token_token_post": {
        "properties": {
            "grant_type": {
                "anyOf": [{"type": "string", "pattern": "^password$"}, {"type": "null"}],
                "title": "Grant Type",
            },
            "username": {"type": "string", "title": "Username"},
            "password": {"type": "string", "format": "password", "title": "Password"},
            "scope": {"type": "string", "title": "Scope", "default": ""},
            "client_id": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Client Id"},
            "client_secret": {
                "anyOf": [{"type": "string"}, {"type": "null"}],
                "format": "password",
                "title": "Client Secret",
            },
        },
        "type": "object",
        "required": ["username", "password"],
        "title": "Body_token_token_post",
    },
}


def test_password_request_form_schemas(stack: Stack) -> None:
    """The generated form body schemas carry the pattern and `format: password` exactly as FastAPI's."""
    schemas = _form_app(stack).openapi()["components"]["schemas"]
    assert {name: schemas[name] for name in FORM_SCHEMAS} == FORM_SCHEMAS


# ---- scopes and OpenAPI --------------------------------------------------------------------------


def _scopes_app(stack: Stack) -> Any:
    oauth = stack.security.OAuth2PasswordBearer(
        tokenUrl="token", scopes={"me": "Read me", "items": "Read items"}
    )
    security_scopes_class = stack.security.SecurityScopes

    async def scopes_seen(
        security_scopes: security_scopes_class,
        token: str = stack.Depends(oauth),
    ) -> dict[str, Any]:
        return {"scopes": security_scopes.scopes, "scope_str": security_scopes.scope_str, "token": token}

    async def current_user(seen: Any = stack.Security(scopes_seen, scopes=["items"])) -> Any:
        return seen

    app = stack.FastAPI()

    @app.get("/me")
    def me(seen: Any = stack.Security(current_user, scopes=["me"])):
        return seen

    @app.get("/plain")
    def plain(seen: Any = stack.Depends(scopes_seen)):
        return seen

    return app


def test_security_scopes_collect_from_dependants(stack: Stack) -> None:
    """SecurityScopes lists the scopes of every Security() above it, outermost first."""
    with stack.TestClient(_scopes_app(stack)) as client:
        scoped = client.get("/me", headers=_auth("Bearer t"))
        plain = client.get("/plain", headers=_auth("Bearer t"))
    assert scoped.json() == {"scopes": ["me", "items"], "scope_str": "me items", "token": "t"}
    assert plain.json() == {"scopes": [], "scope_str": "", "token": "t"}


def test_security_scopes_in_openapi(stack: Stack) -> None:
    """Operations list the scheme with the collected scopes; components hold the password flow."""
    document = _scopes_app(stack).openapi()
    assert document["paths"]["/me"]["get"]["security"] == [{"OAuth2PasswordBearer": ["me", "items"]}]
    assert document["paths"]["/plain"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
    assert document["components"]["securitySchemes"] == {
        "OAuth2PasswordBearer": {
            "type": "oauth2",
            "flows": {"password": {"scopes": {"me": "Read me", "items": "Read items"}, "tokenUrl": "token"}},
        }
    }


def _documented_schemes(stack: Stack) -> list[Any]:
    sec = stack.security
    return [
        sec.APIKeyQuery(name="k", description="Query key"),
        sec.APIKeyHeader(name="X-Key", scheme_name="HeaderKey"),
        sec.APIKeyCookie(name="session"),
        sec.HTTPBasic(realm="r", description="Basic auth"),
        sec.HTTPBearer(bearerFormat="JWT"),
        sec.HTTPDigest(),
        sec.OAuth2AuthorizationCodeBearer("https://a.example/auth", "token", "refresh", scopes={"me": "Me"}),
        sec.OpenIdConnect(openIdConnectUrl="https://a.example/.well-known/openid-configuration"),
    ]


DOCUMENTED_SCHEMES = {
    "APIKeyQuery": {"type": "apiKey", "description": "Query key", "in": "query", "name": "k"},
    "HeaderKey": {"type": "apiKey", "in": "header", "name": "X-Key"},
    "APIKeyCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
    "HTTPBasic": {"type": "http", "description": "Basic auth", "scheme": "basic"},
    "HTTPBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "HTTPDigest": {"type": "http", "scheme": "digest"},
    "OAuth2AuthorizationCodeBearer": {
        "type": "oauth2",
        "flows": {
            "authorizationCode": {
                "refreshUrl": "refresh",
                "scopes": {"me": "Me"},
                "authorizationUrl": "https://a.example/auth",
                "tokenUrl": "token",
            }
        },
    },
    "OpenIdConnect": {
        "type": "openIdConnect",
        "openIdConnectUrl": "https://a.example/.well-known/openid-configuration",
    },
}


def test_security_schemes_in_openapi(stack: Stack) -> None:
    """Every scheme kind is published under its scheme_name with FastAPI's fields, in declaration order."""
    app = stack.FastAPI()
    schemes = _documented_schemes(stack)

    @app.get("/all", dependencies=[stack.Security(scheme) for scheme in schemes])
    def everything():
        return {}

    document = app.openapi()
    published = document["components"]["securitySchemes"]
    assert json.dumps(published) == json.dumps(DOCUMENTED_SCHEMES)
    assert document["paths"]["/all"]["get"]["security"] == [{name: []} for name in DOCUMENTED_SCHEMES]


# ---- WebSockets -------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["api-key-header", "http-bearer", "oauth2-password"])
@pytest.mark.parametrize("auto_error", [True, False])
def test_scheme_in_websocket(stack: Stack, scheme: str, auto_error: bool) -> None:
    """Schemes work in WebSocket endpoints: a missing credential denies the handshake with the 401."""
    app = stack.FastAPI()
    security = FACTORIES[scheme](stack, auto_error)

    @app.websocket("/ws")
    async def endpoint(websocket: WebSocket, cred: Any = stack.Security(security)) -> None:
        await websocket.accept()
        await websocket.send_json({"present": cred is not None})
        await websocket.close()

    with stack.TestClient(app) as client:
        if auto_error:
            with pytest.raises(WebSocketDenialResponse) as denied, client.websocket_connect("/ws"):
                pass  # pragma: no cover - the handshake is refused
            assert denied.value.status_code == 401
            assert denied.value.json() == NOT_AUTHENTICATED
        else:
            with client.websocket_connect("/ws") as websocket:
                assert websocket.receive_json() == {"present": False}
        with client.websocket_connect("/ws", headers={"key": "k", "Authorization": "Bearer t"}) as websocket:
            assert websocket.receive_json() == {"present": True}


# ---- unit tests: the scheme objects against FastAPI's ---------------------------------------------


def _request(headers: dict[str, str] | None = None, query: str = "") -> Request:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": raw}
    return Request(scope)


def _outcome(scheme: Any, connection: HTTPConnection) -> tuple[Any, ...]:
    """What awaiting the scheme gives: ("value", dumped result) or ("error", status, detail, headers)."""
    try:
        result = asyncio.run(scheme(connection))
    except StarletteHTTPException as exc:
        return ("error", exc.status_code, exc.detail, exc.headers)
    return ("value", result.model_dump() if isinstance(result, BaseModel) else result)


AUTHORIZATION_VALUES = [
    None,
    "",
    "Basic",
    f"Basic {JOHN}",
    f"BASIC {JOHN}",
    "Basic notabase64token",
    f"Basic {_b64('johnsecret')}",
    f"Basic {_b64('jöhn:x')}",
    "Basic a=b=c",
    "Bearer",
    "Bearer ",
    "Bearer token",
    "bearer  token  ",
    " Bearer token",
    "Bearertoken",
    "Digest realm=x",
    "Other secret",
]


@pytest.mark.parametrize("auto_error", [True, False])
@pytest.mark.parametrize("scheme", sorted(FACTORIES))
def test_direct_call_matches_fastapi(scheme: str, auto_error: bool) -> None:
    """Awaited directly on many Authorization headers, each scheme returns or raises what FastAPI's does."""
    ours = FACTORIES[scheme](Stack("vivace"), auto_error)
    theirs = FACTORIES[scheme](Stack("fastapi"), auto_error)
    for value in AUTHORIZATION_VALUES:
        headers = {} if value is None else {"Authorization": value, "key": value, "cookie": f"key={value}"}
        query = "" if value is None else f"key={value}"
        request = _request(headers, query)
        assert _outcome(ours, request) == _outcome(theirs, request), value


class _RewrittenHeaders(Request):
    """A Request whose `headers` are not its scope's (a wrapper a middleware passes on, a test's stand-in)."""

    @property
    def headers(self) -> Headers:
        return Headers({"authorization": f"Basic {JOHN}", "key": "k", "cookie": "key=k"})


@pytest.mark.parametrize("scheme", sorted(FACTORIES))
def test_direct_call_reads_headers_a_request_rewrote(scheme: str) -> None:
    """A Request subclass with its own `headers`, or one whose `headers` were already made and changed, is read
    through `headers`, as FastAPI reads it, not from its scope."""
    ours = FACTORIES[scheme](Stack("vivace"), False)
    theirs = FACTORIES[scheme](Stack("fastapi"), False)
    rewritten = _RewrittenHeaders(_request({"Authorization": "Bearer scope"}).scope)
    changed = _request({"Authorization": "Bearer scope"})
    changed._headers = Headers({"authorization": "Bearer changed", "key": "k", "cookie": "key=k"})
    for request in (rewritten, changed):
        assert _outcome(ours, request) == _outcome(theirs, request)
    assert _outcome(vivace.security.OAuth2PasswordBearer("token"), changed) == ("value", "changed")


def test_direct_call_on_websocket_connection() -> None:
    """A scheme accepts any HTTPConnection, so WebSocket dependencies can use it."""
    scope = {
        "type": "websocket",
        "path": "/",
        "query_string": b"",
        "headers": [(b"authorization", b"Bearer t")],
    }
    websocket = WebSocket(scope, receive=None, send=None)
    assert asyncio.run(vivace.security.OAuth2PasswordBearer("token")(websocket)) == "t"


def test_errors_are_vivace_http_exceptions() -> None:
    """Every scheme raises vivace's HTTPException, so handlers for either class catch it."""
    stack = Stack("vivace")
    for scheme in sorted(FACTORIES):
        with pytest.raises(vivace.exceptions.HTTPException):
            asyncio.run(FACTORIES[scheme](stack, True)(_request()))


SCHEME_ARGUMENTS: list[tuple[str, dict[str, Any]]] = [
    ("APIKeyQuery", {"name": "k"}),
    ("APIKeyHeader", {"name": "X-Key", "scheme_name": "Key", "description": "d", "auto_error": False}),
    ("APIKeyCookie", {"name": "session"}),
    ("HTTPBasic", {"realm": "r", "description": "d"}),
    ("HTTPBearer", {"bearerFormat": "JWT", "scheme_name": "Bearer"}),
    ("HTTPDigest", {"description": "d"}),
    ("OAuth2", {}),
    ("OAuth2", {"flows": {"implicit": {"authorizationUrl": "/a", "scopes": {"x": "X"}}}}),
    ("OAuth2", {"flows": {"clientCredentials": {"tokenUrl": "/t"}}, "description": "d"}),
    ("OAuth2PasswordBearer", {"tokenUrl": "/t", "scopes": {"a": "A"}, "refreshUrl": "/r"}),
    ("OAuth2PasswordBearer", {"tokenUrl": "/t", "scopes": {}}),
    ("OAuth2AuthorizationCodeBearer", {"authorizationUrl": "/a", "tokenUrl": "/t", "scheme_name": "Code"}),
    ("OpenIdConnect", {"openIdConnectUrl": "/o", "description": "d"}),
]


@pytest.mark.parametrize(("class_name", "kwargs"), SCHEME_ARGUMENTS)
def test_scheme_model_and_name_match_fastapi(class_name: str, kwargs: dict[str, Any]) -> None:
    """`.model` dumps, `.scheme_name` and `.auto_error` are FastAPI's for the same arguments."""
    ours = getattr(vivace.security, class_name)(**kwargs)
    theirs = getattr(fastapi.security, class_name)(**kwargs)
    assert ours.model.model_dump(mode="json", by_alias=True, exclude_none=True) == theirs.model.model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    assert ours.model.model_fields_set == theirs.model.model_fields_set
    assert (ours.scheme_name, ours.auto_error) == (theirs.scheme_name, theirs.auto_error)
    assert isinstance(ours.model, vivace.openapi.models.SecurityBase)


def test_http_base_model_matches_fastapi() -> None:
    """The generic HTTPBase scheme publishes its scheme name as given."""
    ours = vivace.security.http.HTTPBase(scheme="Other", description="d")
    theirs = fastapi.security.http.HTTPBase(scheme="Other", description="d")
    assert ours.model.model_dump(by_alias=True, mode="json") == theirs.model.model_dump(
        by_alias=True, mode="json"
    )
    assert ours.scheme_name == theirs.scheme_name == "HTTPBase"


def test_public_names_and_signatures_match_fastapi() -> None:
    """vivace.security exports FastAPI's names, and each class takes the same parameters."""
    public = sorted(name for name in dir(fastapi.security) if not name.startswith("_") and name[0].isupper())
    assert sorted(vivace.security.__all__) == public
    for name in public:
        for method in ("__init__", "__call__"):
            theirs = inspect.signature(getattr(getattr(fastapi.security, name), method))
            ours = inspect.signature(getattr(getattr(vivace.security, name), method))
            shape = [(p.name, p.kind, p.default is p.empty) for p in theirs.parameters.values()]
            assert [(p.name, p.kind, p.default is p.empty) for p in ours.parameters.values()] == shape, name


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("", "")),
        ("", ("", "")),
        ("Bearer", ("Bearer", "")),
        ("Bearer  token  ", ("Bearer", "token")),
        ("Digest a=1, b=2", ("Digest", "a=1, b=2")),
        (" token", ("", "token")),
    ],
)
def test_get_authorization_scheme_param(value: str | None, expected: tuple[str, str]) -> None:
    """The header splits at the first space; the parameter is trimmed; no header gives two empty strings."""
    assert get_authorization_scheme_param(value) == expected


def test_security_scopes_object() -> None:
    """SecurityScopes keeps the list and joins it with spaces; None means no scopes."""
    scopes = vivace.security.SecurityScopes(scopes=["a", "b"])
    assert (scopes.scopes, scopes.scope_str) == (["a", "b"], "a b")
    empty = vivace.security.SecurityScopes()
    assert (empty.scopes, empty.scope_str) == ([], "")


def test_password_form_object() -> None:
    """The form class splits `scope` on whitespace; the strict one passes every field through."""
    form = vivace.security.OAuth2PasswordRequestForm(username="u", password="p", scope=" x  y ")
    assert (form.username, form.password, form.scopes, form.grant_type) == ("u", "p", ["x", "y"], None)
    strict = vivace.security.OAuth2PasswordRequestFormStrict("password", "u", "p", "", "id", "secret")
    assert vars(strict) == {
        "grant_type": "password",
        "username": "u",
        "password": "p",
        "scopes": [],
        "client_id": "id",
        "client_secret": "secret",
    }


# ---- unit tests: the OpenAPI models ---------------------------------------------------------------

RICH_DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "T",
        "version": "1",
        "contact": {"name": "N", "url": "https://example.com", "email": "a@example.com"},
        "license": {"name": "MIT", "identifier": "MIT"},
        "x-logo": {"url": "/logo.png"},
    },
    "servers": [
        {"url": "https://api.example.com", "variables": {"v": {"default": "1", "enum": ["1", "2"]}}},
        {"url": "/relative"},
    ],
    "paths": {
        "/items/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {
                "operationId": "get_item",
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
                    {"$ref": "#/components/parameters/Limit"},
                ],
                "responses": {
                    "200": {
                        "description": "OK",
                        "headers": {"X-Rate": {"schema": {"type": "integer"}, "x-extra": 1}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                        "links": {
                            "self": {"operationId": "get_item", "parameters": {"id": "$response.body#/id"}}
                        },
                    },
                    "x-response-extension": True,
                },
                "callbacks": {
                    "done": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok"}}}}}
                },
                "security": [{"oauth": ["read"]}],
                "x-operation": "kept",
            },
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {"f": {"type": "string", "format": "binary"}},
                            },
                            "encoding": {
                                "f": {"contentType": "image/png", "headers": {"X-H": {"$ref": "#/h"}}}
                            },
                            "examples": {"one": {"summary": "s", "value": {"f": "x"}, "x-ex": 1}},
                        }
                    },
                },
                "responses": {"204": {"description": "No Content"}},
            },
        },
        "x-paths-extension": {"anything": True},
    },
    "webhooks": {"new": {"post": {"responses": {"200": {"description": "ok"}}}}},
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer", "minimum": 0, "examples": [1]},
                    "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                    "extra": {"additionalProperties": False, "propertyNames": {"pattern": "^x"}},
                    "either": {"not": {"type": "null"}, "if": True, "then": {"const": 1}, "else": False},
                    "old": {"type": "string", "example": "legacy", "deprecated": True},
                    "kind": {
                        "oneOf": [{"$ref": "#/components/schemas/A"}],
                        "discriminator": {"propertyName": "k"},
                    },
                },
                "$defs": {"Inner": {"type": "string"}},
                "dependentRequired": {"a": ["b"]},
                "xml": {"name": "item"},
                "x-schema-extension": [1, 2],
            },
            "Ref": {"$ref": "#/components/schemas/Item"},
        },
        "parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}},
        "securitySchemes": {
            "oauth": {
                "type": "oauth2",
                "flows": {
                    "implicit": {"authorizationUrl": "/a", "scopes": {"read": "Read"}},
                    "clientCredentials": {"tokenUrl": "/t"},
                },
            },
            "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
            "basic": {"type": "http", "scheme": "basic"},
            "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            "oidc": {"type": "openIdConnect", "openIdConnectUrl": "/o"},
            "shared": {"$ref": "#/components/securitySchemes/key"},
        },
        "pathItems": {"Ping": {"get": {"responses": {"200": {"description": "pong"}}}}},
    },
    "security": [{"key": []}],
    "tags": [{"name": "items", "externalDocs": {"url": "https://docs.example.com"}, "x-tag": 1}],
    "externalDocs": {"url": "https://example.com/docs", "description": "More"},
}


def _round_trip(models: ModuleType, document: dict[str, Any]) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # reading Schema.example warns, by design
        dumped = models.OpenAPI(**document).model_dump(by_alias=True, exclude_none=True, mode="json")
    return json.dumps(dumped)


def test_openapi_round_trip_matches_fastapi() -> None:
    """A document using every object kind, extensions and `$` keys dumps byte for byte as FastAPI's does."""
    assert _round_trip(vivace.openapi.models, RICH_DOCUMENT) == _round_trip(
        fastapi.openapi.models, RICH_DOCUMENT
    )


def test_openapi_round_trip_of_generated_document() -> None:
    """The document FastAPI generates for a varied app survives vivace's models unchanged."""
    document = _scopes_app(Stack("fastapi")).openapi()
    form_document = _form_app(Stack("fastapi")).openapi()
    for doc in (document, form_document):
        assert json.loads(_round_trip(vivace.openapi.models, doc)) == doc


def test_openapi_models_keep_extensions_but_references_do_not() -> None:
    """Objects keep unknown keys (x-...), while Reference and Discriminator drop them, as in FastAPI."""
    models = vivace.openapi.models
    assert models.Tag(name="t", **{"x-a": 1}).model_dump(exclude_none=True) == {"name": "t", "x-a": 1}
    assert models.Reference(**{"$ref": "#/x", "x-a": 1}).model_dump(by_alias=True) == {"$ref": "#/x"}
    discriminator = models.Discriminator(propertyName="k", extra=1)
    assert discriminator.model_dump() == {"propertyName": "k", "mapping": None}


def test_openapi_model_fields_match_fastapi() -> None:
    """Every model has FastAPI's fields, in order, with the same aliases, requiredness and JSON Schema."""
    for name in vivace.openapi.models.__all__:
        ours, theirs = getattr(vivace.openapi.models, name), getattr(fastapi.openapi.models, name)
        if isinstance(theirs, type) and issubclass(theirs, BaseModel):
            ours_fields = {k: (f.alias, f.is_required()) for k, f in ours.model_fields.items()}
            their_fields = {k: (f.alias, f.is_required()) for k, f in theirs.model_fields.items()}
            assert list(ours_fields.items()) == list(their_fields.items()), name
            assert ours.model_config.get("extra") == theirs.model_config.get("extra"), name
    adapter = pydantic.TypeAdapter
    for name in ("OpenAPI", "Example", "SecurityScheme"):
        ours_schema = adapter(getattr(vivace.openapi.models, name)).json_schema()
        their_schema = adapter(getattr(fastapi.openapi.models, name)).json_schema()
        assert ours_schema == their_schema, name


def test_email_fields_without_email_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without email-validator, e-mail fields accept any text and still document `format: email`."""
    monkeypatch.setitem(sys.modules, "email_validator", None)  # makes `import email_validator` fail
    fallback = pydantic.TypeAdapter(vivace.openapi.models._email_type())
    assert fallback.validate_python("not an address") == "not an address"
    assert fallback.json_schema() == {"type": "string", "format": "email"}


def test_schema_example_is_deprecated() -> None:
    """Reading Schema.example warns (OpenAPI 3.1 prefers `examples`), as FastAPI's model does."""
    schema = vivace.openapi.models.Schema(example=1)
    with pytest.warns(DeprecationWarning):
        assert schema.example == 1


def test_openapi_constants_match_fastapi() -> None:
    """The shared constants have FastAPI's values."""
    for name in ("METHODS_WITH_BODY", "REF_PREFIX", "REF_TEMPLATE"):
        assert getattr(vivace.openapi.constants, name) == getattr(fastapi.openapi.constants, name)
