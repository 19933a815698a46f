"""`AsyncAPI(app)`: serves the application's AsyncAPI document and its docs page. Opt-in and startup code only.

The document lists the app's WebSocket and SSE routes, then the channels of any source added with `add_source`;
it is built on first request and again after the app's routes change. The OpenAPI document is left as it is.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vivace.applications import Vivace
from vivace.asyncapi._document import build_document
from vivace.asyncapi._page import asyncapi_html
from vivace.asyncapi._routes import route_channels
from vivace.asyncapi._spec import ChannelSource, ChannelSpec

__all__ = ["AsyncAPI"]


class AsyncAPI:
    """The AsyncAPI 3.0 document of `app` at `url` (None: not served) and its page at `docs_url` (None: none).

    `title`, `version` and `description` default to the app's; `servers` is the document's Servers Object.
    """

    def __init__(
        self,
        app: Vivace,
        *,
        url: str | None = "/asyncapi.json",
        docs_url: str | None = "/asyncapi",
        title: str | None = None,
        version: str | None = None,
        description: str | None = None,
        servers: dict[str, Any] | None = None,
    ) -> None:
        self.app = app
        self.title = title
        self.version = version
        self.description = description
        self.servers = servers
        self._sources: list[ChannelSource] = []
        self._cached: tuple[int, int, dict[str, Any]] | None = None
        if url is not None:
            self._serve(url, docs_url)
        elif docs_url is not None:
            raise ValueError("the AsyncAPI docs page needs the document: give a url too")

    def add_source(self, source: ChannelSource) -> None:
        """Describe the channels of `source` too (anything with `asyncapi_channels()`), after the routes'."""
        self._sources.append(source)
        self._cached = None

    def channels(self) -> list[ChannelSpec]:
        """Every channel the document describes, in order: routes first, then each source's."""
        found = list(route_channels(self.app.routes))
        for source in self._sources:
            found.extend(source.asyncapi_channels())
        return found

    def document(self) -> dict[str, Any]:
        """The AsyncAPI document (cached until the app's routes change)."""
        app = self.app
        stamp = (app.router._version, len(self._sources))
        if self._cached is not None and self._cached[:2] == stamp:
            return self._cached[2]
        document = build_document(
            self.channels(), title=self.title or app.title, version=self.version or app.version,
            description=self.description if self.description is not None else app.description,
            servers=self.servers,
        )
        self._cached = (*stamp, document)
        return document

    def _serve(self, url: str, docs_url: str | None) -> None:
        async def asyncapi_document(request: Request) -> Response:
            return JSONResponse(self.document())

        self.app.add_route(url, asyncapi_document, include_in_schema=False)
        if docs_url is None:
            return
        title = f"{self.title or self.app.title} - AsyncAPI"

        async def asyncapi_docs(request: Request) -> Response:
            root_path = request.scope.get("root_path", "").rstrip("/")
            return asyncapi_html(document_url=root_path + url, title=title)

        self.app.add_route(docs_url, asyncapi_docs, include_in_schema=False)
