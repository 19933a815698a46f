"""Security schemes on both frameworks: answers byte for byte, OpenAPI schemes, and the scheme objects themselves.

tests/api/test_security.py checks the recorded answers one scheme at a time; these tests send the same requests
to the same app on vivace and FastAPI and compare everything (status, every header, body bytes), so a change in
how a scheme reads, refuses or documents a credential shows up as a difference.
"""

import asyncio
import base64
import importlib
import inspect
import typing
from typing import Any

import pytest
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request

# name -> (module below <framework>.security, class, constructor keyword arguments)
SCHEMES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "api-key-query": ("api_key", "APIKeyQuery", {"name": "key"}),
    "api-key-header": ("api_key", "APIKeyHeader", {"name": "key"}),
    "api-key-cookie": ("api_key", "APIKeyCookie", {"name": "key"}),
    "http-base": ("http", "HTTPBase", {"scheme": "Other"}),
    "http-basic": ("http", "HTTPBasic", {}),
    "http-basic-realm": ("http", "HTTPBasic", {"realm": "the realm"}),
    "http-bearer": ("http", "HTTPBearer", {}),
    "http-digest": ("http", "HTTPDigest", {}),
    "oauth2": ("oauth2", "OAuth2", {}),
    "oauth2-password": ("oauth2", "OAuth2PasswordBearer", {"tokenUrl": "/token"}),
    "oauth2-code": ("oauth2", "OAuth2AuthorizationCodeBearer", {"authorizationUrl": "/auth", "tokenUrl": "/token"}),
    "openid-connect": ("open_id_connect_url", "OpenIdConnect", {"openIdConnectUrl": "/openid"}),
}


def scheme_class(fw_name: str, module: str, class_name: str) -> Any:
    return getattr(importlib.import_module(f"{fw_name}.security.{module}"), class_name)


def make_scheme(fw_name: str, scheme: str, **extra: Any) -> Any:
    module, class_name, kwargs = SCHEMES[scheme]
    return scheme_class(fw_name, module, class_name)(**kwargs, **extra)


def build_all_schemes(fw: Any) -> Any:
    """Every scheme twice: `/<scheme>/required` (auto_error on) and `/<scheme>/optional` (auto_error off)."""
    app = fw.FastAPI()
    for scheme in SCHEMES:
        for mode, auto_error in (("required", True), ("optional", False)):
            dependency = make_scheme(fw.name, scheme, auto_error=auto_error)

            async def read(cred: Any = fw.Security(dependency, scopes=["read"])) -> Any:
                return {"cred": cred.model_dump() if isinstance(cred, BaseModel) else cred, "type": type(cred).__name__}

            app.get(f"/{scheme}/{mode}")(read)
    return app


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


AUTHORIZATION_VALUES = [
    "",
    " ",
    "Basic",
    "Basic ",
    f"Basic {_b64(b'john:secret')}",
    f"BASIC {_b64(b'john:secret')}",
    f"Basic   {_b64(b'john:secret')}  ",
    f"Basic {_b64(b':')}",
    f"Basic {_b64(b'john:')}",
    f"Basic {_b64(b'a:b:c')}",
    f"Basic {_b64(b'johnsecret')}",
    f"Basic {_b64('jöhn:secret'.encode())}",
    "Basic notabase64token",
    "Basic a=b=c",
    "Basic ====",
    "Bearer",
    "Bearer ",
    "Bearer token",
    "bearer  token  ",
    "BEARER token with spaces",
    " Bearer token",
    "Bearertoken",
    'Digest username="john", realm="r"',
    "digest x",
    "Other secret",
    "Other",
]

# Each request carries one way of sending a credential (or none); every scheme gets all of them.
CREDENTIALS: list[tuple[str, dict[str, Any]]] = [
    ("", {}),
    *[("", {"headers": {"Authorization": value}}) for value in AUTHORIZATION_VALUES],
    ("", {"headers": {"key": "header-key"}}),
    ("", {"headers": {"key": ""}}),
    ("", {"headers": [("key", "first"), ("key", "second")]}),
    ("?key=query-key", {}),
    ("?key=", {}),
    ("?key=a&key=b", {}),
    ("", {"headers": {"Cookie": "key=cookie-key"}}),
    ("", {"headers": {"Cookie": "key="}}),
    ("", {"headers": {"Cookie": "other=1"}}),
]


@pytest.mark.parametrize("mode", ["required", "optional"])
@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_scheme_answers_every_credential_alike(same: Any, scheme: str, mode: str) -> None:
    """Missing, empty, foreign and malformed credentials get FastAPI's status, headers and body, byte for byte."""
    same(build_all_schemes, *[(f"GET /{scheme}/{mode}{query}", kwargs) for query, kwargs in CREDENTIALS])


def build_documented_schemes(fw: Any) -> Any:
    """Schemes with every option the OpenAPI document shows, on one operation, plus one scheme per operation."""
    app = fw.FastAPI()
    security = fw.security
    flows = importlib.import_module(f"{fw.name}.openapi.models").OAuthFlows
    schemes = [
        security.APIKeyQuery(name="q", description="In the query"),
        security.APIKeyHeader(name="X-Key", scheme_name="HeaderKey", description="In a header"),
        security.APIKeyCookie(name="session", auto_error=False),
        scheme_class(fw.name, "http", "HTTPBase")(scheme="custom", scheme_name="Custom", description="Any"),
        security.HTTPBasic(realm="r", description="Basic"),
        security.HTTPBearer(bearerFormat="JWT", description="Tokens"),
        security.HTTPBearer(scheme_name="PlainBearer"),
        security.HTTPDigest(scheme_name="Digest", description="Digest"),
        security.OAuth2(scheme_name="NoFlows"),
        security.OAuth2(
            flows={
                "implicit": {"authorizationUrl": "/a", "scopes": {"x": "X"}},
                "clientCredentials": {"tokenUrl": "/t", "refreshUrl": "/r"},
            },
            scheme_name="DictFlows",
            description="Flows as a dict",
        ),
        security.OAuth2(flows=flows(password={"tokenUrl": "/t", "scopes": {}}), scheme_name="ModelFlows"),
        security.OAuth2PasswordBearer(tokenUrl="/token", scopes={"me": "Me", "items": "Items"}, refreshUrl="/r"),
        security.OAuth2AuthorizationCodeBearer("/auth", "/token", "/refresh", "Code", {"a": "A"}, "Code flow"),
        security.OpenIdConnect(openIdConnectUrl="/.well-known/openid-configuration", description="OIDC"),
    ]

    @app.get("/all", dependencies=[fw.Security(scheme, scopes=["me"]) for scheme in schemes])
    def everything() -> Any:
        return {}

    for index, scheme in enumerate(schemes):
        app.get(f"/one/{index}", dependencies=[fw.Depends(scheme)])(everything)
    return app


def test_security_schemes_in_openapi_alike(same: Any) -> None:
    """Every scheme and option is published in OpenAPI exactly as FastAPI publishes it."""
    same(build_documented_schemes, "GET /openapi.json")


# ---- the scheme objects -------------------------------------------------------------------------------------

OBJECT_ARGUMENTS: list[tuple[str, str, dict[str, Any]]] = [
    *[(module, class_name, kwargs) for module, class_name, kwargs in SCHEMES.values()],
    ("api_key", "APIKeyHeader", {"name": "X-Key", "scheme_name": "Key", "description": "d", "auto_error": False}),
    ("http", "HTTPBasic", {"realm": "r", "scheme_name": "B", "description": "d", "auto_error": False}),
    ("http", "HTTPBearer", {"bearerFormat": "JWT", "scheme_name": "T", "description": "d", "auto_error": False}),
    ("http", "HTTPDigest", {"scheme_name": "D", "description": "d", "auto_error": False}),
    ("oauth2", "OAuth2", {"flows": {"password": {"tokenUrl": "/t"}}, "description": "d", "auto_error": False}),
    ("oauth2", "OAuth2PasswordBearer", {"tokenUrl": "/t", "scopes": {"a": "A"}, "refreshUrl": "/r"}),
    ("oauth2", "OAuth2AuthorizationCodeBearer", {"authorizationUrl": "/a", "tokenUrl": "/t", "auto_error": False}),
    ("open_id_connect_url", "OpenIdConnect", {"openIdConnectUrl": "/o", "scheme_name": "O", "auto_error": False}),
]


def _object_id(arguments: tuple[str, str, dict[str, Any]]) -> str:
    return f"{arguments[1]}-{'-'.join(arguments[2])}"


def _state(instance: Any) -> dict[str, Any]:
    """The instance's attributes, with the OpenAPI model dumped (the model classes differ by framework)."""
    return {
        key: value.model_dump(mode="json", by_alias=True) if isinstance(value, BaseModel) else value
        for key, value in vars(instance).items()
    }


def _public_mro(cls: type) -> list[str]:
    return [klass.__name__ for klass in cls.__mro__ if not klass.__name__.startswith("_")]


def _error(make: Any) -> tuple[Any, ...]:
    """What raising the scheme's error shows: type name, status, detail and headers."""
    error = make()
    return (type(error).__name__, error.status_code, error.detail, error.headers)


@pytest.mark.parametrize("arguments", OBJECT_ARGUMENTS, ids=_object_id)
def test_scheme_object_alike(arguments: tuple[str, str, dict[str, Any]]) -> None:
    """Attributes, public base classes and the not-authenticated error are FastAPI's for the same arguments."""
    module, class_name, kwargs = arguments
    ours = scheme_class("vivace", module, class_name)(**kwargs)
    theirs = scheme_class("fastapi", module, class_name)(**kwargs)
    assert _state(ours) == _state(theirs)
    assert _public_mro(type(ours)) == _public_mro(type(theirs))
    assert _error(ours.make_not_authenticated_error) == _error(theirs.make_not_authenticated_error)
    if module == "http":
        assert ours.make_authenticate_headers() == theirs.make_authenticate_headers()


@pytest.mark.parametrize("auto_error", [True, False])
@pytest.mark.parametrize("value", [None, "", "k", " "])
def test_check_api_key_alike(value: str | None, auto_error: bool) -> None:
    """APIKeyBase.check_api_key returns a key, refuses an absent or empty one, or gives None, as FastAPI's."""
    outcomes = []
    for fw_name in ("vivace", "fastapi"):
        scheme = make_scheme(fw_name, "api-key-header", auto_error=auto_error)
        try:
            outcomes.append(("value", scheme.check_api_key(value)))
        except StarletteHTTPException as exc:
            outcomes.append(("error", exc.status_code, exc.detail, exc.headers))
    assert outcomes[0] == outcomes[1]


def _bare(annotation: Any) -> str:
    """An annotation without `Annotated` metadata (FastAPI documents parameters there), module names neutral."""
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = annotation.__origin__
    return repr(annotation).replace("vivace.", "<fw>.").replace("fastapi.", "<fw>.")


def _parameters(function: Any) -> list[tuple[str, Any, str, str]]:
    """Name, kind, default and type of each parameter (return types are compared for `__call__` only)."""
    parameters = inspect.signature(function).parameters.values()
    return [(p.name, p.kind, repr(p.default), _bare(p.annotation)) for p in parameters]


SECURITY_CLASSES = [
    (module, name)
    for module in ("api_key", "base", "http", "oauth2", "open_id_connect_url")
    for name, value in vars(importlib.import_module(f"fastapi.security.{module}")).items()
    if isinstance(value, type) and value.__module__ == f"fastapi.security.{module}"
]


def _is_callable_scheme(cls: type) -> bool:
    """Whether instances are callable (a dependency), through the class or one of its bases."""
    return any("__call__" in vars(klass) for klass in cls.__mro__)


@pytest.mark.parametrize(("module", "class_name"), SECURITY_CLASSES, ids=lambda value: str(value))
def test_constructor_and_call_signatures_alike(module: str, class_name: str) -> None:
    """Each class's __init__ and __call__ take the same parameters, defaults and types as FastAPI's."""
    ours, theirs = scheme_class("vivace", module, class_name), scheme_class("fastapi", module, class_name)
    assert _parameters(ours.__init__) == _parameters(theirs.__init__)
    assert _is_callable_scheme(ours) == _is_callable_scheme(theirs)
    if _is_callable_scheme(theirs):
        assert _parameters(ours.__call__) == _parameters(theirs.__call__)
        returned = inspect.signature(ours.__call__).return_annotation
        assert _bare(returned) == _bare(inspect.signature(theirs.__call__).return_annotation)


def _request(headers: list[tuple[str, str]]) -> Request:
    raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers]
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": b"", "headers": raw})


def test_subclass_overriding_the_error_alike() -> None:
    """A scheme subclass that overrides make_not_authenticated_error is answered with its own error."""
    outcomes = []
    for fw_name in ("vivace", "fastapi"):
        teapot = _teapot(fw_name)
        base = scheme_class(fw_name, "api_key", "APIKeyHeader")
        forbidden = type("Forbidden", (base,), {"make_not_authenticated_error": lambda self, error=teapot: error})
        with pytest.raises(StarletteHTTPException) as raised:
            asyncio.run(forbidden(name="key")(_request([])))
        outcomes.append((raised.value.status_code, raised.value.detail, raised.value.headers))
    assert outcomes[0] == outcomes[1] == (418, "no", {"X-Why": "teapot"})


def _teapot(fw_name: str) -> Any:
    """A framework's HTTPException that no scheme raises by itself."""
    exception = importlib.import_module(f"{fw_name}.exceptions").HTTPException
    return exception(status_code=418, detail="no", headers={"X-Why": "teapot"})
