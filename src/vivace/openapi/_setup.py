"""Registers `/openapi.json` and the docs pages on an application (called once from `Vivace.setup`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from vivace.openapi.docs import DocsConfig, build_docs_endpoints
from vivace.responses import JSONResponse

__all__ = ["DocsHost", "install_docs"]


class DocsHost(Protocol):
    """The application as the docs setup sees it: its document, its docs settings, and where routes go.

    NOTE: a protocol, not `vivace.applications.Vivace`: the application imports this module, and imports flow
    one way. Properties, so the application's plain (writable) attributes of the same names satisfy it.
    """

    @property
    def title(self) -> str: ...
    @property
    def openapi_url(self) -> str | None: ...
    @property
    def docs_url(self) -> str | None: ...
    @property
    def redoc_url(self) -> str | None: ...
    @property
    def swagger_ui_oauth2_redirect_url(self) -> str | None: ...
    @property
    def swagger_ui_init_oauth(self) -> dict[str, Any] | None: ...
    @property
    def swagger_ui_parameters(self) -> dict[str, Any] | None: ...
    @property
    def docs_assets(self) -> str: ...
    @property
    def root_path_in_servers(self) -> bool: ...

    def openapi(self) -> dict[str, Any]: ...

    def add_route(
        self, path: str, route: Callable[..., Any], methods: list[str] | None = None, name: str | None = None,
        include_in_schema: bool = True,
    ) -> None: ...


class _EncodedDocument:
    """The JSON bytes of the document last served, per root path, so an unchanged document is encoded once.

    The app's document is never modified: a request under a root path is served a copy that lists that path
    first in `servers` (unless the document already lists it), so one client's root path cannot leak into the
    document another client sees.
    """

    __slots__ = ("bodies", "document")

    #: distinct root paths kept encoded; the root path comes from the request, so the cache must stay bounded
    MAX_ROOT_PATHS = 16

    def __init__(self) -> None:
        self.document: object = None
        self.bodies: dict[str, bytes] = {}

    def encode(self, document: dict[str, Any], root_path: str) -> bytes:
        # NOTE: keyed on identity: `app.openapi()` returns its cached dict until something (a user's override,
        # `app.openapi_schema = None`) builds another one. The bytes are JSONResponse's own, as FastAPI sends them.
        if document is not self.document:
            self.bodies.clear()
            self.document = document
        body = self.bodies.get(root_path)
        if body is None:
            body = bytes(JSONResponse(_with_server(document, root_path)).body)
            if len(self.bodies) < self.MAX_ROOT_PATHS:
                self.bodies[root_path] = body
        return body


def _with_server(document: dict[str, Any], root_path: str) -> dict[str, Any]:
    """`document`, or a shallow copy of it with `root_path` as its first server when it is not listed yet."""
    servers = document.get("servers", [])
    if not root_path or root_path in {server.get("url") for server in servers}:
        return document
    return {**document, "servers": [{"url": root_path}, *servers]}


def install_docs(app: DocsHost) -> None:
    if not app.openapi_url:
        return
    openapi_url = app.openapi_url
    encoded = _EncodedDocument()

    async def openapi(request: Request) -> Response:
        root_path = request.scope.get("root_path", "").rstrip("/") if app.root_path_in_servers else ""
        return Response(encoded.encode(app.openapi(), root_path), media_type="application/json")

    app.add_route(openapi_url, openapi, include_in_schema=False)
    config = DocsConfig(
        title=app.title,
        openapi_url=openapi_url,
        docs_url=app.docs_url,
        redoc_url=app.redoc_url,
        swagger_ui_oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
        swagger_ui_init_oauth=app.swagger_ui_init_oauth,
        swagger_ui_parameters=app.swagger_ui_parameters,
        docs_assets=app.docs_assets,  # type: ignore[arg-type]
    )
    for endpoint in build_docs_endpoints(config):
        app.add_route(endpoint.path, endpoint.endpoint, name=endpoint.name, include_in_schema=False)
