"""OpenID Connect discovery: documents the provider's URL; the dependency returns the raw header."""

from starlette.requests import HTTPConnection

from vivace.exceptions import HTTPException
from vivace.openapi.models import OpenIdConnect as OpenIdConnectModel
from vivace.security.base import SecurityBase, not_authenticated

__all__ = ["OpenIdConnect"]


class OpenIdConnect(SecurityBase):
    """OpenID Connect with discovery at `openIdConnectUrl`; returns the `Authorization` header as sent.

    Validating the token against the provider is the application's job.
    """

    model: OpenIdConnectModel

    def __init__(
        self,
        *,
        openIdConnectUrl: str,  # camelCase: FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self.model = OpenIdConnectModel(openIdConnectUrl=openIdConnectUrl, description=description)
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_not_authenticated_error(self) -> HTTPException:
        return not_authenticated({"WWW-Authenticate": "Bearer"})

    async def __call__(self, request: HTTPConnection) -> str | None:
        authorization = request.headers.get("Authorization")
        if authorization:
            return authorization
        self._raise_if_auto_error()
        return None
