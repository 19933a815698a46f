"""API keys sent in a query parameter, a header or a cookie.

Each class only reads the key and documents where it is sent; checking that the key is valid is up to
the application (usually in a dependency that receives the key).
"""

from collections.abc import Callable, Mapping
from typing import ClassVar

from starlette.requests import HTTPConnection

from vivace.openapi._security_models import APIKey, APIKeyIn
from vivace.security.base import SecurityBase

__all__ = ["APIKeyBase", "APIKeyCookie", "APIKeyHeader", "APIKeyQuery"]

# Where each location's values are found on a connection (headers are looked up case-insensitively).
_VALUES_IN: dict[APIKeyIn, Callable[[HTTPConnection], Mapping[str, str]]] = {
    APIKeyIn.query: lambda connection: connection.query_params,
    APIKeyIn.header: lambda connection: connection.headers,
    APIKeyIn.cookie: lambda connection: connection.cookies,
}


class APIKeyBase(SecurityBase):
    """An API key documented in OpenAPI as sent in `location` under `name`."""

    model: APIKey
    # NOTE: no standard challenge exists for API keys, but a 401 must carry one; "APIKey" is FastAPI's.
    _challenge = "APIKey"

    def __init__(
        self, location: APIKeyIn, name: str, description: str | None, scheme_name: str | None, auto_error: bool
    ) -> None:
        model = APIKey.model_validate({"in": location, "name": name, "description": description})
        self._describe(model, scheme_name, auto_error)

    def check_api_key(self, api_key: str | None) -> str | None:
        """Return the key; an absent or empty key is an error (or None with `auto_error=False`)."""
        return self._found(api_key or None)


class _NamedAPIKey(APIKeyBase):
    """The public schemes: built by keyword, they differ only in the location they read the key from."""

    _location: ClassVar[APIKeyIn]

    def __init__(
        self, *, name: str, scheme_name: str | None = None, description: str | None = None, auto_error: bool = True
    ) -> None:
        super().__init__(self._location, name, description, scheme_name, auto_error)

    async def __call__(self, request: HTTPConnection) -> str | None:
        return self.check_api_key(_VALUES_IN[self._location](request).get(self.model.name))


class APIKeyQuery(_NamedAPIKey):
    """An API key read from the query parameter `name`; the dependency returns the key as `str`."""

    _location = APIKeyIn.query


class APIKeyHeader(_NamedAPIKey):
    """An API key read from the header `name` (case-insensitive); the dependency returns the key as `str`."""

    _location = APIKeyIn.header


class APIKeyCookie(_NamedAPIKey):
    """An API key read from the cookie `name`; the dependency returns the key as `str`."""

    _location = APIKeyIn.cookie
