"""The interactive API docs: Swagger UI at /docs, ReDoc at /redoc, and Swagger UI's OAuth2 redirect page.

Two layers:
- `get_swagger_ui_html`, `get_redoc_html`, `get_swagger_ui_oauth2_redirect_html` and
  `swagger_ui_default_parameters` have FastAPI's names, parameters and defaults (CDN URLs), for code that
  builds its own docs routes.
- `build_docs_endpoints(DocsConfig(...))` gives the application its docs routes. By default
  (`docs_assets="local"`) the pages load Swagger UI and ReDoc from the copies shipped in the wheel,
  served under `docs_assets_url` (default `/_vivace/static`), so the docs work without Internet access;
  `docs_assets="cdn"` gives FastAPI's CDN pages instead.
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, NamedTuple

from pydantic_core import to_jsonable_python
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

__all__ = [
    "DocsConfig",
    "DocsEndpoint",
    "build_docs_endpoints",
    "get_redoc_html",
    "get_swagger_ui_html",
    "get_swagger_ui_oauth2_redirect_html",
    "swagger_ui_default_parameters",
]

# The same CDN URLs as FastAPI 0.165 (jsDelivr, major-version pins), used as the functions' defaults.
SWAGGER_JS_CDN_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"
SWAGGER_CSS_CDN_URL = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui.css"
REDOC_JS_CDN_URL = "https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"
FAVICON_CDN_URL = "https://fastapi.tiangolo.com/img/favicon.png"
_GOOGLE_FONTS_URL = "https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700"

# Swagger UI options every page gets; `swagger_ui_parameters` entries override or extend them.
swagger_ui_default_parameters: dict[str, Any] = {
    "dom_id": "#swagger-ui",
    "layout": "BaseLayout",
    "deepLinking": True,
    "showExtensions": True,
    "showCommonExtensions": True,
}


def _script_json(value: Any) -> str:
    """JSON text that is safe inside a <script> element: `<`, `>` and `&` become \\u escapes."""
    text = json.dumps(to_jsonable_python(value))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_string(value: str) -> str:
    """A single-quoted JavaScript string literal, safe inside a <script> element."""
    return "'" + _script_json(value)[1:-1].replace("'", "\\'") + "'"


def _attr(value: str) -> str:
    return html.escape(value, quote=True)


def _docs_page(title: str, favicon_url: str, *, head: str, body: str) -> HTMLResponse:
    """An HTML page with the head every docs page shares (charset, viewport, title, icon) and its own parts."""
    return HTMLResponse(f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<link rel="icon" href="{_attr(favicon_url)}">
{head}</head>
<body>
{body}</body>
</html>
""")


_PRESETS = """presets: [
  SwaggerUIBundle.presets.apis,
  SwaggerUIBundle.SwaggerUIStandalonePreset
].filter(Boolean),"""


def get_swagger_ui_html(
    *,
    openapi_url: str,
    title: str,
    swagger_js_url: str = SWAGGER_JS_CDN_URL,
    swagger_css_url: str = SWAGGER_CSS_CDN_URL,
    swagger_favicon_url: str = FAVICON_CDN_URL,
    oauth2_redirect_url: str | None = None,
    init_oauth: dict[str, Any] | None = None,
    swagger_ui_parameters: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The Swagger UI page that loads the OpenAPI document at `openapi_url`."""
    options = {**swagger_ui_default_parameters, **(swagger_ui_parameters or {})}
    # One `"key": value,` line per option: user code and FastAPI's tests look for that exact form.
    config = [f"url: {_script_string(openapi_url)},"]
    config += [f"{_script_json(key)}: {_script_json(value)}," for key, value in options.items()]
    if oauth2_redirect_url:
        config.append(f"oauth2RedirectUrl: window.location.origin + {_script_string(oauth2_redirect_url)},")
    # NOTE: swagger-ui-bundle.js has no SwaggerUIStandalonePreset (it ships in a separate file), so the
    # name is kept for compatibility and the undefined entry filtered out.
    config.append(_PRESETS)
    oauth = f"\nui.initOAuth({_script_json(init_oauth)});" if init_oauth else ""
    return _docs_page(
        title,
        swagger_favicon_url,
        head=f'<link rel="stylesheet" href="{_attr(swagger_css_url)}">\n',
        body=f"""<div id="swagger-ui"></div>
<script src="{_attr(swagger_js_url)}"></script>
<script>
const ui = SwaggerUIBundle({{
{chr(10).join(config)}
}});{oauth}
</script>
""",
    )


def get_redoc_html(
    *,
    openapi_url: str,
    title: str,
    redoc_js_url: str = REDOC_JS_CDN_URL,
    redoc_favicon_url: str = FAVICON_CDN_URL,
    with_google_fonts: bool = True,
) -> HTMLResponse:
    """The ReDoc page that renders the OpenAPI document at `openapi_url`."""
    fonts = f'<link rel="stylesheet" href="{_GOOGLE_FONTS_URL}">\n' if with_google_fonts else ""
    return _docs_page(
        title,
        redoc_favicon_url,
        head=f"{fonts}<style>body {{ margin: 0; padding: 0; }}</style>\n",
        body=f"""<noscript>The API reference below is drawn by JavaScript; enable it to read this page.</noscript>
<redoc spec-url="{_attr(openapi_url)}"></redoc>
<script src="{_attr(redoc_js_url)}"></script>
""",
    )


# Swagger UI opens the authorization server in a popup and leaves a `swaggerUIRedirectOauth2` object on
# itself; the server sends the popup back here, and this page hands the answer to that object.
_OAUTH2_REDIRECT_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Swagger UI: OAuth2 redirect</title></head>
<body>
<script>
"use strict";
function finishOAuth2Redirect() {
  var pending = window.opener.swaggerUIRedirectOauth2;
  // The implicit flow answers in the fragment, the authorization-code flow in the query string.
  var answer = /code|token|error/.test(window.location.hash)
    ? window.location.hash.substring(1).replace("?", "&")
    : window.location.search.substring(1);
  var params = {};
  new URLSearchParams(answer).forEach(function (value, key) { params[key] = value; });
  var stateOk = params.state === pending.state;
  var flow = pending.auth.schema.get("flow");
  var codeFlow = ["accessCode", "authorizationCode", "authorization_code"].indexOf(flow) !== -1;
  if (!codeFlow || pending.auth.code) {
    pending.callback({auth: pending.auth, token: params, isValid: stateOk, redirectUrl: pending.redirectUrl});
  } else {
    if (!stateOk) {
      pending.errCb({authId: pending.auth.name, source: "auth", level: "warning",
        message: "The state returned by the authorization server differs from the one sent;"
          + " this authorization may be unsafe."});
    }
    if (params.code) {
      delete pending.state;
      pending.auth.code = params.code;
      pending.callback({auth: pending.auth, redirectUrl: pending.redirectUrl});
    } else {
      var reason = params.error
        ? "[" + params.error + "]: " + (params.error_description || "no authorization code was returned.")
          + (params.error_uri ? " More info: " + params.error_uri : "")
        : "[Authorization failed]: no authorization code was returned by the server.";
      pending.errCb({authId: pending.auth.name, source: "auth", level: "error", message: reason});
    }
  }
  window.close();
}
if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", finishOAuth2Redirect);
} else {
  finishOAuth2Redirect();
}
</script>
</body>
</html>
"""


def get_swagger_ui_oauth2_redirect_html() -> HTMLResponse:
    """The page an OAuth2 authorization server redirects Swagger UI's login popup to."""
    return HTMLResponse(_OAUTH2_REDIRECT_PAGE)


# ---------------------------------------------------------------------------------------------------
# The application's docs routes


DocsAssets = Literal["local", "cdn"]
DEFAULT_DOCS_ASSETS_URL = "/_vivace/static"


@dataclass(frozen=True, slots=True, kw_only=True)
class DocsConfig:
    """The application settings the docs routes depend on (defaults are FastAPI's)."""

    title: str = "FastAPI"
    openapi_url: str | None = "/openapi.json"
    docs_url: str | None = "/docs"
    redoc_url: str | None = "/redoc"
    swagger_ui_oauth2_redirect_url: str | None = "/docs/oauth2-redirect"
    swagger_ui_init_oauth: dict[str, Any] | None = None
    swagger_ui_parameters: dict[str, Any] | None = None
    docs_assets: DocsAssets = "local"
    docs_assets_url: str = DEFAULT_DOCS_ASSETS_URL

    def __post_init__(self) -> None:
        if self.docs_assets not in ("local", "cdn"):
            raise ValueError(f"docs_assets must be 'local' or 'cdn', not {self.docs_assets!r}")
        if not self.docs_assets_url.startswith("/") or self.docs_assets_url == "/":
            raise ValueError(
                f"docs_assets_url must be a path like '/_vivace/static', not {self.docs_assets_url!r}"
            )


class DocsEndpoint(NamedTuple):
    """One route to register: `path` (Starlette syntax), an `async (request) -> Response`, a route name."""

    path: str
    endpoint: Callable[[Request], Awaitable[Response]]
    name: str


class _PageAssets(NamedTuple):
    """Where the pages load their scripts from, relative to the server root (before `root_path`).

    PERF: a NamedTuple, not a frozen dataclass: the class costs ~3 M instructions less to create at import.
    """

    swagger_js: str
    swagger_css: str
    favicon: str
    redoc_js: str
    local: bool  # local copies get the app's root_path prefix; CDN URLs are absolute

    @classmethod
    def for_config(cls, config: DocsConfig) -> _PageAssets:
        """The URLs for `config`; local copies are looked up in the wheel's asset manifest (read on first use)."""
        if config.docs_assets == "cdn":
            return cls(
                SWAGGER_JS_CDN_URL, SWAGGER_CSS_CDN_URL, FAVICON_CDN_URL, REDOC_JS_CDN_URL, local=False
            )
        from vivace._docs_assets import asset_url  # noqa: PLC0415 - see _page_assets

        prefix = config.docs_assets_url
        return cls(
            swagger_js=asset_url(prefix, "swagger-ui-dist", "swagger-ui-bundle.js"),
            swagger_css=asset_url(prefix, "swagger-ui-dist", "swagger-ui.css"),
            favicon=asset_url(prefix, "swagger-ui-dist", "favicon-32x32.png"),
            redoc_js=asset_url(prefix, "redoc", "redoc.standalone.js"),
            local=True,
        )

    def under(self, root_path: str) -> _PageAssets:
        """The same URLs for an app mounted at `root_path`."""
        if not self.local or not root_path:
            return self
        return _PageAssets(
            root_path + self.swagger_js,
            root_path + self.swagger_css,
            root_path + self.favicon,
            root_path + self.redoc_js,
            local=True,
        )


def _root_path(request: Request) -> str:
    root_path: str = request.scope.get("root_path", "")
    return root_path.rstrip("/")


def _page_assets(config: DocsConfig) -> Callable[[], _PageAssets]:
    """The page URLs for `config`, worked out when a page is first served and then kept.

    PERF: not at startup: the local URLs come from the asset manifest (a file read and parsed, ~20 records);
    an application whose docs are never opened never reads it, nor imports the module that serves the files.
    """
    return cache(lambda: _PageAssets.for_config(config))


async def _serve_asset(request: Request) -> Response:
    """GET `<docs_assets_url>/{path:path}` (`vivace._docs_assets.serve_asset`, imported on the first request)."""
    from vivace._docs_assets import serve_asset  # noqa: PLC0415 - see _page_assets

    return await serve_asset(request)


def _swagger_endpoint(
    config: DocsConfig, path: str, openapi_url: str, assets: Callable[[], _PageAssets]
) -> DocsEndpoint:
    async def swagger_ui_html(request: Request) -> Response:
        root = _root_path(request)
        here = assets().under(root)
        redirect = config.swagger_ui_oauth2_redirect_url
        return get_swagger_ui_html(
            openapi_url=root + openapi_url,
            title=f"{config.title} - Swagger UI",
            swagger_js_url=here.swagger_js,
            swagger_css_url=here.swagger_css,
            swagger_favicon_url=here.favicon,
            oauth2_redirect_url=root + redirect if redirect else None,
            init_oauth=config.swagger_ui_init_oauth,
            swagger_ui_parameters=config.swagger_ui_parameters,
        )

    return DocsEndpoint(path, swagger_ui_html, "swagger_ui_html")


def _redoc_endpoint(
    config: DocsConfig, path: str, openapi_url: str, assets: Callable[[], _PageAssets]
) -> DocsEndpoint:
    async def redoc_html(request: Request) -> Response:
        root = _root_path(request)
        here = assets().under(root)
        return get_redoc_html(
            openapi_url=root + openapi_url,
            title=f"{config.title} - ReDoc",
            redoc_js_url=here.redoc_js,
            redoc_favicon_url=here.favicon,
            # offline pages use the browser's sans-serif instead of fetching Google's fonts
            with_google_fonts=not here.local,
        )

    return DocsEndpoint(path, redoc_html, "redoc_html")


async def _swagger_ui_redirect(request: Request) -> Response:
    return get_swagger_ui_oauth2_redirect_html()


def build_docs_endpoints(config: DocsConfig) -> list[DocsEndpoint]:
    """The docs routes an application registers at startup, following FastAPI's rules for which exist.

    No OpenAPI URL means no docs at all; the OAuth2 redirect page exists only with Swagger UI; the
    assets route (`{docs_assets_url}/{path:path}`, GET) exists only with `docs_assets="local"` and at
    least one page.
    """
    openapi_url = config.openapi_url
    if not openapi_url:
        return []
    assets = _page_assets(config)
    endpoints = []
    if config.docs_url:
        endpoints.append(_swagger_endpoint(config, config.docs_url, openapi_url, assets))
        if config.swagger_ui_oauth2_redirect_url:
            endpoints.append(
                DocsEndpoint(
                    config.swagger_ui_oauth2_redirect_url, _swagger_ui_redirect, "swagger_ui_redirect"
                )
            )
    if config.redoc_url:
        endpoints.append(_redoc_endpoint(config, config.redoc_url, openapi_url, assets))
    if endpoints and config.docs_assets == "local":
        path = config.docs_assets_url.rstrip("/") + "/{path:path}"
        endpoints.append(DocsEndpoint(path, _serve_asset, "vivace_docs_assets"))
    return endpoints
