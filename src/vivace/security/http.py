"""HTTP authentication schemes (RFC 9110 `Authorization` header): Basic, Bearer, Digest, or any other."""

from base64 import b64decode

from pydantic import BaseModel
from starlette.requests import HTTPConnection

from vivace.exceptions import HTTPException
from vivace.openapi.models import HTTPBase as HTTPBaseModel
from vivace.openapi.models import HTTPBearer as HTTPBearerModel
from vivace.security.base import SecurityBase, not_authenticated
from vivace.security.utils import get_authorization_scheme_param

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

    The subclasses (Bearer, Digest) also require their own scheme name; Basic decodes the credentials.
    """

    model: HTTPBaseModel

    def __init__(
        self,
        *,
        scheme: str,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self.model = HTTPBaseModel(scheme=scheme, description=description)
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    def make_authenticate_headers(self) -> dict[str, str]:
        """The challenge sent with a 401: the scheme name, capitalised ("bearer" -> "Bearer")."""
        return {"WWW-Authenticate": self.model.scheme.title()}

    def make_not_authenticated_error(self) -> HTTPException:
        return not_authenticated(self.make_authenticate_headers())

    def _split(self, request: HTTPConnection, required: str | None) -> HTTPAuthorizationCredentials | None:
        """Read the header; it needs a scheme and a non-empty parameter, and the `required` scheme if any."""
        scheme, credentials = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme and credentials and (required is None or scheme.lower() == required):
            return HTTPAuthorizationCredentials(scheme=scheme, credentials=credentials)
        self._raise_if_auto_error()
        return None

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return self._split(request, required=None)


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
        super().__init__(
            scheme="basic", scheme_name=scheme_name, description=description, auto_error=auto_error
        )
        self.realm = realm

    def make_authenticate_headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": f'Basic realm="{self.realm}"' if self.realm else "Basic"}

    async def __call__(self, request: HTTPConnection) -> HTTPBasicCredentials | None:  # type: ignore[override]
        # NOTE: Basic returns its own model, not the base's HTTPAuthorizationCredentials (as in FastAPI).
        scheme, param = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme.lower() == "basic":
            return self._decode(param)
        self._raise_if_auto_error()
        return None

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

    def __init__(
        self,
        *,
        bearerFormat: str | None = None,  # camelCase: FastAPI's (and OpenAPI's) spelling
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        self.model = HTTPBearerModel(bearerFormat=bearerFormat, description=description)
        self.scheme_name = scheme_name or type(self).__name__
        self.auto_error = auto_error

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return self._split(request, required="bearer")


class HTTPDigest(HTTPBase):
    """HTTP Digest: returns `HTTPAuthorizationCredentials` whose `credentials` the application must verify."""

    def __init__(
        self,
        *,
        scheme_name: str | None = None,
        description: str | None = None,
        auto_error: bool = True,
    ) -> None:
        super().__init__(
            scheme="digest", scheme_name=scheme_name, description=description, auto_error=auto_error
        )

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return self._split(request, required="digest")
