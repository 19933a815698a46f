"""What every security scheme has: the OpenAPI model it publishes and the name it is published under."""

from starlette.status import HTTP_401_UNAUTHORIZED

from vivace.exceptions import HTTPException
from vivace.openapi.models import SecurityBase as SecurityBaseModel

__all__ = ["SecurityBase"]


class SecurityBase:
    """Base of the scheme classes; the OpenAPI generator reads `model` and `scheme_name` from instances.

    A scheme instance is a dependency: awaiting it with the request returns the credential, or fails.
    """

    model: SecurityBaseModel
    scheme_name: str
    auto_error: bool

    def _raise_if_auto_error(self) -> None:
        """No usable credential: raise the scheme's error, unless `auto_error` is off (then return None)."""
        if self.auto_error:
            raise self.make_not_authenticated_error()

    def make_not_authenticated_error(self) -> HTTPException:
        """The error for a missing or unusable credential; subclasses may override it (to answer 403, say)."""
        raise NotImplementedError  # pragma: no cover - every concrete scheme defines its challenge


def not_authenticated(headers: dict[str, str]) -> HTTPException:
    """A 401 "Not authenticated"; `headers` carry the `WWW-Authenticate` challenge RFC 9110 requires."""
    return HTTPException(status_code=HTTP_401_UNAUTHORIZED, detail="Not authenticated", headers=headers)
