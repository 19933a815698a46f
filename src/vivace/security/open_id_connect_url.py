"""OpenID Connect discovery: documents the provider's URL; the dependency returns the raw header."""

from starlette.requests import HTTPConnection

from vivace.openapi._security_models import OpenIdConnect as OpenIdConnectModel
from vivace.security.base import SecurityBase
from vivace.security.utils import _authorization

__all__ = ["OpenIdConnect"]


class OpenIdConnect(SecurityBase):
    """OpenID Connect with discovery at `openIdConnectUrl`; returns the `Authorization` header as sent.

    Validating the token against the provider is the application's job.
    """

    model: OpenIdConnectModel
    _challenge = "Bearer"

    def __init__(
        self,
        *,
        openIdConnectUrl: str,  # camelCase: FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        model = OpenIdConnectModel(openIdConnectUrl=openIdConnectUrl, description=description)
        self._describe(model, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self._found(_authorization(request) or None)
