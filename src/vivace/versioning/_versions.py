"""`Versions`: one API in several versions, by path prefix or by request header, each with its own documents.

Startup code. `include_router` copies a router's routes into the application once per version that has them
(`@version(since=..., removed=...)` on an endpoint), through the application router's own `include_router`, so
a copy gets every setting an included route gets. By path, version N's copies live under `/vN`; by header, the
copies of one path and method set are gathered behind one `HeaderSwitch` that picks the copy per request.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from vivace.applications import Vivace
from vivace.openapi._setup import _EncodedDocument
from vivace.openapi.docs import DocsConfig, build_docs_endpoints
from vivace.openapi.utils import get_openapi
from vivace.routing import APIRoute, APIRouter, APIWebSocketRoute
from vivace.versioning._declare import Deprecation, Version, route_versions
from vivace.versioning._routes import HeaderSwitch, deprecated_class, switch_class

__all__ = ["Versions"]

_DOCUMENT_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class Versions:
    """The versions of an application's API, oldest first; see the versioning guide.

    `header=None` versions by path: version "2" of `/items` is served at `/v2/items` (`prefix` is the format).
    With `header="Accept-Version"` (any header name), every version shares the paths and the header picks one;
    without the header, `default` (the newest version unless given) answers. Each version gets its own OpenAPI
    document and docs pages under its prefix (`/v2/openapi.json`, `/v2/docs`), following the app's settings.
    """

    def __init__(
        self,
        app: Vivace,
        versions: Sequence[str | Version],
        *,
        header: str | None = None,
        prefix: str = "/v{version}",
        default: str | None = None,
    ) -> None:
        self.app = app
        self.versions = [v if isinstance(v, Version) else Version(v) for v in versions]
        self.labels = [v.label for v in self.versions]
        if not self.labels or len(set(self.labels)) != len(self.labels):
            raise ValueError(f"versions must be distinct and at least one, not {self.labels}")
        if header is not None and (not header or not header.isascii() or not header.replace("-", "").isalnum()):
            raise ValueError(f"header must be a header name such as 'Accept-Version', not {header!r}")
        self.header = header
        self.default = default if default is not None else self.labels[-1]
        if self.default not in self.labels:
            raise ValueError(f"default version {self.default!r} is not one of {self.labels}")
        if "{version}" not in prefix or not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"prefix must look like '/v{{version}}', not {prefix!r}")
        self.prefix = prefix
        self.routes: dict[str, list[APIRoute | APIWebSocketRoute]] = {label: [] for label in self.labels}
        self._slots: dict[tuple[str, frozenset[str]], dict[str, APIRoute]] = {}
        self._switches: dict[tuple[str, frozenset[str]], HeaderSwitch] = {}
        self._documents: dict[str, tuple[int, dict[str, Any]]] = {}
        for version in self.versions:
            self._install_docs(version)

    def prefix_of(self, label: str) -> str:
        """The path prefix of a version (its routes' prefix by path; its docs' prefix either way)."""
        return self.prefix.format(version=label)

    def version(self, label: str) -> Version:
        return self.versions[self.labels.index(label)]

    # -- routes ---------------------------------------------------------------------------------------------

    def include_router(self, router: APIRouter, **options: Any) -> None:
        """Copy `router`'s routes into every version that has them (`options` as for `include_router`).

        The routes the router has now are copied; declare them before including the router.
        """
        for route in router.routes:
            if not isinstance(route, APIRoute | APIWebSocketRoute):
                raise TypeError(f"versions hold API routes and WebSocket routes, not {route!r}")
            if self.header is not None and isinstance(route, APIWebSocketRoute):
                raise TypeError(f"{route!r}: WebSocket routes can be versioned by path, not by header")
        for label in self.labels:
            selected = [route for route in router.routes if label in _labels(route, self.labels)]
            if selected:
                self._include_version(label, _subset(router, selected), options)

    def _include_version(self, label: str, router: APIRouter, options: dict[str, Any]) -> None:
        target = self.app.router
        first = len(target.routes)
        prefix = options.pop("prefix", "")
        by_path = self.prefix_of(label) if self.header is None else ""
        target.include_router(router, prefix=by_path + prefix, **options)
        options["prefix"] = prefix
        copies = target.routes[first:]
        for route in copies:
            self._mark_deprecated(route, label)
        self.routes[label].extend(route for route in copies if isinstance(route, APIRoute | APIWebSocketRoute))
        if self.header is not None:
            del target.routes[first:]
            for route in copies:
                assert isinstance(route, APIRoute)
                self._add_variant(label, route)
            target._changed()

    def _mark_deprecated(self, route: BaseRoute, label: str) -> None:
        if not isinstance(route, APIRoute):
            return
        deprecation: Deprecation | None = route_versions(route.endpoint).deprecation or self.version(label).deprecation
        if deprecation is None:
            return
        route.__class__ = deprecated_class(type(route), deprecation)
        route.deprecated = True

    def _add_variant(self, label: str, route: APIRoute) -> None:
        key = (route.path, frozenset(route.methods))
        variants = self._slots.setdefault(key, {})
        if label in variants:
            raise ValueError(f"version {label} has two routes for {sorted(route.methods)} {route.path}")
        variants[label] = route
        newest = next(variants[label] for label in reversed(self.labels) if label in variants)
        switch = copy.copy(newest)
        switch.__class__ = switch_class(type(newest), self.header or "")
        assert isinstance(switch, HeaderSwitch)
        switch.variants = {name: variants.get(name) for name in self.labels}
        switch.default = self.default
        switch.labels = tuple(self.labels)
        routes = self.app.router.routes
        old = self._switches.get(key)
        if old is None:
            routes.append(switch)
        else:
            routes[next(i for i, r in enumerate(routes) if r is old)] = switch
        self._switches[key] = switch

    # -- documents ------------------------------------------------------------------------------------------

    def openapi(self, label: str) -> dict[str, Any]:
        """The OpenAPI document of one version, built on first use and again after routes change."""
        app = self.app
        stamp = app.router._version
        cached = self._documents.get(label)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        version = self.version(label)
        document = get_openapi(
            title=app.title, version=label, openapi_version=app.openapi_version, summary=app.summary,
            description=version.description or app.description, routes=self.routes[label],
            tags=app.openapi_tags, servers=app.servers, terms_of_service=app.terms_of_service, contact=app.contact,
            license_info=app.license_info, separate_input_output_schemas=app.separate_input_output_schemas,
            external_docs=app.openapi_external_docs,
        )
        if self.header is not None:
            self._document_header(document, label)
        self._documents[label] = (stamp, document)
        return document

    def _document_header(self, document: dict[str, Any], label: str) -> None:
        parameter = {
            "name": self.header,
            "in": "header",
            "required": label != self.default,
            "description": "The API version this request is for.",
            "schema": {"type": "string", "enum": [label], "default": label},
        }
        for item in document.get("paths", {}).values():
            for method in _DOCUMENT_METHODS:
                if method in item:
                    item[method]["parameters"] = [*item[method].get("parameters", []), dict(parameter)]

    def _install_docs(self, version: Version) -> None:
        app = self.app
        if not app.openapi_url:
            return
        prefix = self.prefix_of(version.label)
        openapi_url = prefix + app.openapi_url
        encoded = _EncodedDocument()
        label = version.label

        async def openapi(request: Request) -> Response:
            root_path = request.scope.get("root_path", "").rstrip("/") if app.root_path_in_servers else ""
            return Response(encoded.encode(self.openapi(label), root_path), media_type="application/json")

        app.add_route(openapi_url, openapi, name=f"openapi_{label}", include_in_schema=False)
        config = DocsConfig(
            title=f"{app.title} {label}", openapi_url=openapi_url,
            docs_url=prefix + app.docs_url if app.docs_url else None,
            redoc_url=prefix + app.redoc_url if app.redoc_url else None,
            swagger_ui_oauth2_redirect_url=app.swagger_ui_oauth2_redirect_url,
            swagger_ui_init_oauth=app.swagger_ui_init_oauth, swagger_ui_parameters=app.swagger_ui_parameters,
            docs_assets=app.docs_assets,  # type: ignore[arg-type]
        )
        taken = {getattr(route, "path", None) for route in app.router.routes}
        for endpoint in build_docs_endpoints(config):
            if endpoint.path in taken:
                continue  # NOTE: the app's own OAuth2 redirect page and docs assets serve every version's pages
            app.add_route(endpoint.path, endpoint.endpoint, name=f"{endpoint.name}_{label}", include_in_schema=False)


def _labels(route: BaseRoute, order: list[str]) -> list[str]:
    return route_versions(getattr(route, "endpoint", None)).labels(order)


def _subset(router: APIRouter, routes: list[Any]) -> APIRouter:
    """`router` with only `routes`: a shallow copy, so an inclusion reads every setting of the original."""
    subset = copy.copy(router)
    subset.routes = list(routes)
    subset._included_into = []
    subset._frontends = []
    return subset
