"""HTTP authentication schemes (RFC 9110 `Authorization` header): Basic, Bearer, Digest, or any other."""

from base64 import b64decode
from typing import ClassVar

from pydantic import BaseModel
from starlette.requests import HTTPConnection

from vivace.openapi._security_models import HTTPBase as HTTPBaseModel
from vivace.openapi._security_models import HTTPBearer as HTTPBearerModel
from vivace.security.base import SecurityBase
from vivace.security.utils import _authorization, get_authorization_scheme_param

__all__ = [
    "HTTPAuthorizationCredentials",
    "HTTPBase",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPBearer",
    "HTTPDigest",
]


class HTTPBasicCredentials(BaseModel):
    """The user name and password decoded from an `Authorization: Basic ...` header."""

    username: str
    password: str


class HTTPAuthorizationCredentials(BaseModel):
    """An `Authorization` header split in two: `scheme` (e.g. "Bearer") and the opaque `credentials`.

    For Digest, `credentials` is the whole unparsed parameter list.
    """

    scheme: str
    credentials: str


class HTTPBase(SecurityBase):
    """Any HTTP scheme: accepts an `Authorization` header of any scheme and returns it split in two.

    Bearer and Digest also require their own scheme name; Basic decodes the credentials.
    """

    model: HTTPBaseModel
    # the scheme (lowercase) an `Authorization` header must name to be accepted; None accepts any
    _required_scheme: ClassVar[str | None] = None

    def __init__(
        self, *, scheme: str, scheme_name: str | None = None, description: str | None = None, auto_error: bool = True
    ) -> None:
        self._describe(HTTPBaseModel(scheme=scheme, description=description), scheme_name, auto_error)

    def make_authenticate_headers(self) -> dict[str, str]:
        """The challenge sent with a 401: the scheme name, capitalised ("bearer" -> "Bearer")."""
        return {"WWW-Authenticate": self.model.scheme.title()}

    def _authenticate_headers(self) -> dict[str, str]:
        return self.make_authenticate_headers()

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        scheme, credentials = get_authorization_scheme_param(_authorization(request))
        accepted = scheme and credentials and self._required_scheme in (None, scheme.lower())
        return self._found(HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials) if accepted else None)


class HTTPBasic(HTTPBase):
    """HTTP Basic: returns `HTTPBasicCredentials`; `realm`, if given, is announced in the challenge."""

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        realm: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(scheme="basic", scheme_name=scheme_name, description=description, auto_error=auto_error)
        self.realm = realm

    def make_authenticate_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Basic realm="{self.realm}"' if self.realm else "Basic"}

    async def __call__(self, request: HTTPConnection) -> HTTPBasicCredentials | None:  # type: ignore[override]
        # NOTE: Basic returns its own model, not the base's HTTPAuthorizationCredentials (as in FastAPI).
        scheme, param = get_authorization_scheme_param(_authorization(request))
        return self._found(self._decode(param) if scheme.lower() == "basic" else None)

    def _decode(self, param: str) -> HTTPBasicCredentials:
        """Decode `user:password`; an undecodable Basic header is refused even with `auto_error=False`.

        The client chose Basic and sent garbage, so answering as if no credentials were sent would hide
        the mistake (FastAPI behaves the same way).
        """
        try:
            # NOTE: not `validate=True`: characters outside the alphabet are skipped, as FastAPI does.
            text = b64decode(param).decode("ascii")
        except ValueError as exc:  # binascii.Error and UnicodeDecodeError are both ValueErrors
            raise self.make_not_authenticated_error() from exc
        username, colon, password = text.partition(":")
        if not colon:
            raise self.make_not_authenticated_error()
        return HTTPBasicCredentials(username=username, password=password)


class HTTPBearer(HTTPBase):
    """HTTP Bearer tokens: returns `HTTPAuthorizationCredentials` with the token in `credentials`."""

    _required_scheme = "bearer"

    def __init__(
        self,
        *,
        bearerFormat: str | None = None,  # camelCase: FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self._describe(HTTPBearerModel(bearerFormat=bearerFormat, description=description), scheme_name, auto_error)


class HTTPDigest(HTTPBase):
    """HTTP Digest: returns `HTTPAuthorizationCredentials` whose `credentials` the application must verify."""

    _required_scheme = "digest"

    def __init__(
        self, *, scheme_name: str | None = None, description: str | None = None, auto_error: bool = True
    ) -> None:
        super().__init__(scheme="digest", scheme_name=scheme_name, description=description, auto_error=auto_error)
