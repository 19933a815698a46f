"""OAuth2: the token request form, bearer-token schemes, and `SecurityScopes`.

The schemes read the `Authorization` header and document the flows in OpenAPI; issuing and checking
tokens is the application's job.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from starlette.requests import HTTPConnection
from starlette.types import Scope

from vivace.openapi._security_models import OAuth2 as OAuth2Model
from vivace.openapi._security_models import OAuthFlows as OAuthFlowsModel
from vivace.param_functions import Form
from vivace.security._scopes import SecurityScopes
from vivace.security.base import SecurityBase
from vivace.security.utils import _authorization, _authorization_in, get_authorization_scheme_param

__all__ = [
    "OAuth2",
    "OAuth2AuthorizationCodeBearer",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "OAuth2PasswordRequestFormStrict",
    "SecurityScopes",
]

# NOTE: this module does not use `from __future__ import annotations`: the form classes' signatures are
# read by the dependency analyser, and real `Annotated[...]` objects need no string evaluation.


class OAuth2PasswordRequestForm:
    """The form of the OAuth2 password flow (RFC 6749 §4.3.2), used as a dependency class.

    `scope` arrives as one space-separated string and is exposed as the list `scopes`. `grant_type` may
    be omitted; when sent it must be "password" (`OAuth2PasswordRequestFormStrict` requires it).
    """

    def __init__(
        self,
        *,
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        username: Annotated[str, Form()],
        password: Annotated[str, Form(json_schema_extra={"format": "password"})],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form(json_schema_extra={"format": "password"})] = None,
    ) -> None:
        self._keep(grant_type, username, password, scope, client_id, client_secret)

    def _keep(
        self,
        grant_type: str | None,
        username: str,
        password: str,
        scope: str,
        client_id: str | None,
        client_secret: str | None,
    ) -> None:
        """Store the fields as attributes (both forms do); `scope` is split into the list `scopes`."""
        self.grant_type, self.username, self.password = grant_type, username, password
        self.scopes = scope.split()
        self.client_id, self.client_secret = client_id, client_secret


class OAuth2PasswordRequestFormStrict(OAuth2PasswordRequestForm):
    """Like `OAuth2PasswordRequestForm`, but `grant_type=password` is required, as the RFC says."""

    # NOTE: positional-or-keyword parameters and no `format: password` on the secrets: FastAPI's
    # signature is exactly this, and the generated form schema must match it.
    def __init__(
        self,
        grant_type: Annotated[str, Form(pattern="^password$")],
        username: Annotated[str, Form()],
        password: Annotated[str, Form()],
        scope: Annotated[str, Form()] = "",
        client_id: Annotated[str | None, Form()] = None,
        client_secret: Annotated[str | None, Form()] = None,
    ) -> None:
        self._keep(grant_type, username, password, scope, client_id, client_secret)


class OAuth2(SecurityBase):
    """An OAuth2 scheme with the given `flows`; the dependency returns the raw `Authorization` header."""

    model: OAuth2Model
    _challenge = "Bearer"

    def __init__(
        self,
        *,
        flows: OAuthFlowsModel | dict[str, dict[str, Any]] = OAuthFlowsModel(),
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        model = OAuth2Model.model_validate({"flows": flows, "description": description})
        self._describe(model, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._found(_authorization(request) or None)

    def _bearer_token(self, request: HTTPConnection) -> str | None:
        """The token of an `Authorization: Bearer <token>` header; it may be empty, as in FastAPI."""
        return self._bearer(_authorization(request))

    def _bearer(self, header: str | None) -> str | None:
        scheme, token = get_authorization_scheme_param(header)
        return self._found(token if scheme.lower() == "bearer" else None)

    def _vivace_scope_reader(self) -> Callable[[Scope], Awaitable[str | None]] | None:
        """For vivace's runners, when the scheme is awaited with the connection alone: the same answer read from
        the ASGI scope, if this class's `__call__` is a bearer one (a subclass's own `__call__` is awaited as
        usual). PERF: no Request object is made for the scheme (`resolve.flat_call`)."""
        return self._bearer_in_scope if type(self).__call__ in _BEARER_CALLS else None

    async def _bearer_in_scope(self, scope: Scope) -> str | None:
        return self._bearer(_authorization_in(scope))


class OAuth2PasswordBearer(OAuth2):
    """The password flow with bearer tokens obtained at `tokenUrl`; the dependency returns the token."""

    def __init__(
        self,
        tokenUrl: str,  # camelCase: FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        scopes: dict[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
        refreshUrl: str | None = None,
    ) -> None:
        flows = {"password": {"tokenUrl": tokenUrl, "refreshUrl": refreshUrl, "scopes": scopes or {}}}
        super().__init__(flows=flows, scheme_name=scheme_name, description=description, auto_error=auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._bearer_token(request)


class OAuth2AuthorizationCodeBearer(OAuth2):
    """The authorization-code flow with bearer tokens; the dependency returns the token."""

    def __init__(
        self,
        authorizationUrl: str,
        tokenUrl: str,
        refreshUrl: str | None = None,
        scheme_name: str | None = None,
        scopes: dict[str, str] | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        urls = {"authorizationUrl": authorizationUrl, "tokenUrl": tokenUrl, "refreshUrl": refreshUrl}
        flows = {"authorizationCode": {**urls, "scopes": scopes or {}}}
        super().__init__(flows=flows, scheme_name=scheme_name, description=description, auto_error=auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._bearer_token(request)


_BEARER_CALLS = frozenset({OAuth2PasswordBearer.__call__, OAuth2AuthorizationCodeBearer.__call__})
