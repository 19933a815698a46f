"""The security scheme objects of an OpenAPI document (`components.securitySchemes`).

They are `vivace.openapi.models`' classes, declared in a module of their own: a security scheme class
(`OAuth2PasswordBearer`, `APIKeyHeader`...) publishes one of them, and importing it should not declare the forty
models of a whole document. `BaseModelWithConfig` and the `defer_build` setting are shared with that module.
"""

from enum import Enum
from typing import Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "APIKey",
    "APIKeyIn",
    "BaseModelWithConfig",
    "HTTPBase",
    "HTTPBearer",
    "OAuth2",
    "OAuthFlow",
    "OAuthFlowAuthorizationCode",
    "OAuthFlowClientCredentials",
    "OAuthFlowImplicit",
    "OAuthFlowPassword",
    "OAuthFlows",
    "OpenIdConnect",
    "SecurityBase",
    "SecurityScheme",
    "SecuritySchemeType",
]

# NOTE: no `from __future__ import annotations` here: every annotation is a real object when its class is
# declared, so a deferred model has no name to resolve later (their `__module__` is set to `models` below).
# The same shapes as in `models.py`:
_Text: TypeAlias = str | None
# A URL the specification allows to be relative (`/token`), so it stays text: `AnyUrl` would reject it.
_UrlText: TypeAlias = str

# PERF: every model is built on first use (`defer_build`), not at import: building the validators and
# serializers of all of them (and importing email-validator for `Contact.email`) cost 774M instructions, a
# third of `import vivace` under callgrind; declaring them costs 223M. A security scheme then builds only its
# own model (+42M for OAuth2), and the whole document model is built by the first `app.openapi()`.
_LAZY = ConfigDict(defer_build=True)


# Base of the objects that keep unknown keys (specification extensions such as `x-logo`).
class BaseModelWithConfig(BaseModel):
    model_config = ConfigDict(extra="allow", **_LAZY)


class SecuritySchemeType(Enum):
    apiKey = "apiKey"
    http = "http"
    oauth2 = "oauth2"
    openIdConnect = "openIdConnect"


class SecurityBase(BaseModelWithConfig):
    type_: SecuritySchemeType = Field(alias="type")
    description: _Text = None


class APIKeyIn(Enum):
    query = "query"
    header = "header"
    cookie = "cookie"


# Each kind of scheme below fixes `type` by default. A redeclared field keeps the place it has in
# `SecurityBase` (first, so `type` leads the dump), which is why it is declared after what the kind adds.


class APIKey(SecurityBase):
    in_: APIKeyIn = Field(alias="in")
    name: str
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.apiKey, alias="type")


class HTTPBase(SecurityBase):
    # An HTTP authentication scheme as registered with IANA: `basic`, `bearer`, `digest`...
    scheme: str
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.http, alias="type")


class HTTPBearer(HTTPBase):
    scheme: Literal["bearer"] = "bearer"
    bearerFormat: _Text = None


# One OAuth 2 flow; the subclasses add the endpoints that flow uses.
class OAuthFlow(BaseModelWithConfig):
    refreshUrl: _UrlText | None = None
    scopes: dict[str, str] = {}  # Pydantic copies a mutable default for each instance


class OAuthFlowImplicit(OAuthFlow):
    authorizationUrl: _UrlText


class OAuthFlowPassword(OAuthFlow):
    tokenUrl: _UrlText


class OAuthFlowClientCredentials(OAuthFlow):
    tokenUrl: _UrlText


class OAuthFlowAuthorizationCode(OAuthFlow):
    authorizationUrl: _UrlText
    tokenUrl: _UrlText


class OAuthFlows(BaseModelWithConfig):
    implicit: OAuthFlowImplicit | None = None
    password: OAuthFlowPassword | None = None
    clientCredentials: OAuthFlowClientCredentials | None = None
    authorizationCode: OAuthFlowAuthorizationCode | None = None


class OAuth2(SecurityBase):
    flows: OAuthFlows
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.oauth2, alias="type")


class OpenIdConnect(SecurityBase):
    openIdConnectUrl: _UrlText
    type_: SecuritySchemeType = Field(default=SecuritySchemeType.openIdConnect, alias="type")


# NOTE: the member order decides which model wins when a dict fits several; it is FastAPI's order.
SecurityScheme = APIKey | HTTPBase | OAuth2 | OpenIdConnect | HTTPBearer


# The public path of these classes, as FastAPI's (signatures and reprs show it; pickles find the class there).
for _name in __all__:
    _public = globals()[_name]
    if isinstance(_public, type):  # NOTE: `SecurityScheme` is a union, not a class
        _public.__module__ = "vivace.openapi.models"
