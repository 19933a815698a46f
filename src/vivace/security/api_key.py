"""API keys sent in a query parameter, a header or a cookie.

Each class only reads the key and documents where it is sent; checking that the key is valid is up to
the application (usually in a dependency that receives the key).
"""

from starlette.requests import HTTPConnection

from vivace.exceptions import HTTPException
from vivace.openapi.models import APIKey, APIKeyIn
from vivace.security.base import SecurityBase, not_authenticated

__all__ = ["APIKeyBase", "APIKeyCookie", "APIKeyHeader", "APIKeyQuery"]


class APIKeyBase(SecurityBase):
    """Shared construction and checks of the three API-key schemes."""

    model: APIKey

    def __init__(
        self,
        location: APIKeyIn,
        name: str,
        description: str | None,
        scheme_name: str | None,
        auto_error: bool,
    ) -> None:
        self.auto_error = auto_error
        self.model = APIKey.model_validate({"in": location, "name": name, "description": description})
        self.scheme_name = scheme_name or type(self).__name__

    def make_not_authenticated_error(self) -> HTTPException:
        # NOTE: no standard challenge exists for API keys, but a 401 must carry one; "APIKey" is FastAPI's.
        return not_authenticated({"WWW-Authenticate": "APIKey"})

    def check_api_key(self, api_key: str | None) -> str | None:
        """Return the key; an absent or empty key is an error (or None with `auto_error=False`)."""
        if api_key:
            return api_key
        self._raise_if_auto_error()
        return None


class APIKeyQuery(APIKeyBase):
    """An API key read from the query parameter `name`; the dependency returns the key as `str`."""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(APIKeyIn.query, name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.query_params.get(self.model.name))


class APIKeyHeader(APIKeyBase):
    """An API key read from the header `name` (case-insensitive); the dependency returns the key as `str`."""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(APIKeyIn.header, name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.headers.get(self.model.name))


class APIKeyCookie(APIKeyBase):
    """An API key read from the cookie `name`; the dependency returns the key as `str`."""

    def __init__(
        self,
        *,
        name: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(APIKeyIn.cookie, name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(request.cookies.get(self.model.name))
