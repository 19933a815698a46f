"""What every security scheme has: the OpenAPI model it publishes, the name it is published under, and how it
refuses a request that carries no usable credential."""

from typing import ClassVar, TypeVar

from starlette.status import HTTP_401_UNAUTHORIZED

from vivace.exceptions import HTTPException
from vivace.openapi._security_models import SecurityBase as SecurityBaseModel

__all__ = ["SecurityBase"]

Credential = TypeVar("Credential")


class SecurityBase:
    """Base of the scheme classes; the OpenAPI generator reads `model` and `scheme_name` from instances.

    A scheme instance is a dependency: awaiting it with the request returns the credential, or fails. A concrete
    scheme states where the credential is read from; refusing is shared here.
    """

    model: SecurityBaseModel
    scheme_name: str
    auto_error: bool

    # the `WWW-Authenticate` challenge sent with the 401 (RFC 9110 requires one)
    _challenge: ClassVar[str]

    def _describe(self, model: SecurityBaseModel, scheme_name: str | None, auto_error: bool) -> None:
        """Keep what the OpenAPI document publishes; the name defaults to the class name."""
        self.model = model
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def _found(self, credential: Credential | None) -> Credential | None:
        """`credential` when the request carried one; for None, the scheme's error (None if auto_error is off)."""
        if credential is None and self.auto_error:
            raise self.make_not_authenticated_error()
        return credential

    def make_not_authenticated_error(self) -> HTTPException:
        """The error for a missing or unusable credential; a subclass may override it (to answer 403, say)."""
        return HTTPException(HTTP_401_UNAUTHORIZED, "Not authenticated", self._authenticate_headers())

    def _authenticate_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self._challenge}
