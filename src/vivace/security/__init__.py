"""Security schemes usable as dependencies: API keys, HTTP auth, OAuth2 and OpenID Connect.

PERF: the names are loaded on first access (PEP 562), each from its own module: an application that imports
`OAuth2PasswordBearer` does not declare the API-key, HTTP and OpenID Connect classes, and `import vivace` (whose
dependency analyser only needs `SecurityScopes`) imports no scheme at all.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vivace.security.api_key import APIKeyCookie, APIKeyHeader, APIKeyQuery
    from vivace.security.http import (
        HTTPAuthorizationCredentials,
        HTTPBasic,
        HTTPBasicCredentials,
        HTTPBearer,
        HTTPDigest,
    )
    from vivace.security.oauth2 import (
        OAuth2,
        OAuth2AuthorizationCodeBearer,
        OAuth2PasswordBearer,
        OAuth2PasswordRequestForm,
        OAuth2PasswordRequestFormStrict,
    )
    from vivace.security.open_id_connect_url import OpenIdConnect

from vivace.security._scopes import SecurityScopes

__all__ = [
    "APIKeyCookie",
    "APIKeyHeader",
    "APIKeyQuery",
    "HTTPAuthorizationCredentials",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "HTTPDigest",
    "OAuth2",
    "OAuth2AuthorizationCodeBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "OpenIdConnect",
    "SecurityScopes",
]

#: each lazily loaded name -> the submodule that defines it
_SUBMODULE = {
    **dict.fromkeys(("APIKeyCookie", "APIKeyHeader", "APIKeyQuery"), "api_key"),
    **dict.fromkeys(
        ("HTTPAuthorizationCredentials", "HTTPBasic", "HTTPBasicCredentials", "HTTPBearer", "HTTPDigest"), "http"
    ),
    **dict.fromkeys(
        (
            "OAuth2",
            "OAuth2AuthorizationCodeBearer",
            "OAuth2PasswordBearer",
            "OAuth2PasswordRequestForm",
            "OAuth2PasswordRequestFormStrict",
        ),
        "oauth2",
    ),
    "OpenIdConnect": "open_id_connect_url",
}


def __getattr__(name: str) -> Any:
    submodule = _SUBMODULE.get(name)
    if submodule is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{submodule}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
