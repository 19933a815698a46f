"""Registers `/openapi.json` and the docs pages on an application (called once from `Vivace.setup`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from vivace.openapi.docs import DocsConfig, build_docs_endpoints
from vivace.responses import JSONResponse

if TYPE_CHECKING:
    from vivace.applications import Vivace

__all__ = ["install_docs"]


class _EncodedDocument:
    """The document last served and its JSON bytes, so that an unchanged document is encoded only once."""

    __slots__ = ("body", "document")

    def __init__(self) -> None:
        self.document: object = None
        self.body = b""

    def encode(self, document: dict[str, Any]) -> bytes:
        # NOTE: keyed on identity: `app.openapi()` returns its cached dict until something (a new root path,
        # a user's override) builds another one. The bytes are JSONResponse's own, as FastAPI sends them.
        if document is not self.document:
            self.body = bytes(JSONResponse(document).body)
            self.document = document
        return self.body


def install_docs(app: Vivace) -> None:
    if not app.openapi_url:
        return
    openapi_url = app.openapi_url
    encoded = _EncodedDocument()

    async def openapi(request: Request) -> Response:
        root_path = request.scope.get("root_path", "").rstrip("/")
        server_urls = {server.get("url") for server in app.servers}
        if app.root_path_in_servers and root_path and root_path not in server_urls:
            app.servers.insert(0, {"url": root_path})
            app.openapi_schema = None
        return Response(encoded.encode(app.openapi()), media_type="application/json")

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
