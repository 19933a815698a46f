"""Registers `/openapi.json` and the docs pages on an application (called once from `Vivace.setup`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from vivace.openapi.docs import DocsConfig, build_docs_endpoints
from vivace.responses import JSONResponse

if TYPE_CHECKING:
    from vivace.applications import Vivace

__all__ = ["install_docs"]


def install_docs(app: Vivace) -> None:
    if not app.openapi_url:
        return
    openapi_url = app.openapi_url

    async def openapi(request: Request) -> Response:
        root_path = request.scope.get("root_path", "").rstrip("/")
        server_urls = {server.get("url") for server in app.servers}
        if app.root_path_in_servers and root_path and root_path not in server_urls:
            app.servers.insert(0, {"url": root_path})
            app.openapi_schema = None
        return JSONResponse(app.openapi())

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
