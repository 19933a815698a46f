"""The docs pages (Swagger UI, ReDoc, OAuth2 redirect) and the offline assets route."""

from __future__ import annotations

import base64
import gzip
import hashlib
import importlib.util
import inspect
import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import replace
from importlib.resources import files
from pathlib import Path
from types import ModuleType
from typing import Any

import anyio
import fastapi.openapi.docs as fastapi_docs
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from vivace._docs_assets import _read_body, accepts_gzip, etag_matches, load_assets
from vivace.openapi import docs
from vivace.openapi.docs import DocsConfig, build_docs_endpoints

REPO = Path(__file__).resolve().parents[2]
STATIC = Path(str(files("vivace").joinpath("static")))
MANIFEST = json.loads((STATIC / "MANIFEST.json").read_text(encoding="utf-8"))
SERVED = [entry for entry in MANIFEST["files"] if entry["role"] == "asset"]
SWAGGER_VERSION = next(e["version"] for e in SERVED if e["package"] == "swagger-ui-dist")
REDOC_VERSION = next(e["version"] for e in SERVED if e["package"] == "redoc")
ASSETS = "/_vivace/static"


def app_for(config: DocsConfig) -> Starlette:
    return Starlette(routes=[Route(e.path, e.endpoint, name=e.name) for e in build_docs_endpoints(config)])


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(app_for(DocsConfig(title="Shop"))) as client:
        yield client


def url_of(entry: dict[str, Any]) -> str:
    package, _, name = entry["file"].partition("/")
    return f"{ASSETS}/{package}@{entry['version']}/{name}"


def body(response: Any) -> str:
    return bytes(response.body).decode()


# --- the FastAPI-compatible functions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["get_swagger_ui_html", "get_redoc_html", "get_swagger_ui_oauth2_redirect_html"]
)
def test_signatures_match_fastapi(name: str) -> None:
    """Each page function has FastAPI's parameter names, kinds and defaults (its CDN URLs included)."""
    ours = inspect.signature(getattr(docs, name)).parameters
    theirs = inspect.signature(getattr(fastapi_docs, name)).parameters
    assert [(p.name, p.kind, p.default) for p in ours.values()] == [
        (p.name, p.kind, p.default) for p in theirs.values()
    ]


def test_default_parameters_match_fastapi() -> None:
    """swagger_ui_default_parameters holds the same options as FastAPI's."""
    assert docs.swagger_ui_default_parameters == fastapi_docs.swagger_ui_default_parameters


def test_swagger_page_uses_given_urls_and_options() -> None:
    """The Swagger UI page loads the given files and writes each option as a `"key": value,` line."""
    page = docs.get_swagger_ui_html(
        openapi_url="/api/openapi.json",
        title="Shop - Swagger UI",
        swagger_js_url="/s/ui.js",
        swagger_css_url="/s/ui.css",
        swagger_favicon_url="/s/icon.png",
        oauth2_redirect_url="/docs/oauth2-redirect",
        swagger_ui_parameters={"deepLinking": False, "syntaxHighlight": {"theme": "obsidian"}},
    )
    text = body(page)
    assert page.media_type == "text/html"
    for expected in [
        '<script src="/s/ui.js">',
        'href="/s/ui.css"',
        'href="/s/icon.png"',
        "<title>Shop - Swagger UI</title>",
        "url: '/api/openapi.json',",
        '"deepLinking": false,',
        '"syntaxHighlight": {"theme": "obsidian"},',
        '"layout": "BaseLayout",',
        "oauth2RedirectUrl: window.location.origin + '/docs/oauth2-redirect',",
        "SwaggerUIBundle.presets.apis,",
    ]:
        assert expected in text
    assert '"deepLinking": true' not in text
    assert "initOAuth" not in text


def test_swagger_page_escapes_script_breakouts() -> None:
    """Values placed in the inline script cannot close it: `<`, `>` and `&` become \\u escapes."""
    text = body(
        docs.get_swagger_ui_html(
            openapi_url="/o'</script>",
            title="<b>T&C</b>",
            init_oauth={"appName": "Evil</script><script>alert(1)</script>"},
            swagger_ui_parameters={"x": "<img src=x>"},
        )
    )
    assert "</script><script>" not in text
    assert "<img" not in text
    assert "\\u003c/script\\u003e\\u003cscript\\u003e" in text
    assert "url: '/o\\'\\u003c/script\\u003e'," in text
    assert "<title>&lt;b&gt;T&amp;C&lt;/b&gt;</title>" in text


def test_swagger_page_init_oauth() -> None:
    """init_oauth becomes a `ui.initOAuth({...})` call with FastAPI's JSON spacing."""
    text = body(docs.get_swagger_ui_html(openapi_url="/o", title="t", init_oauth={"clientId": "c", "n": 1}))
    assert 'ui.initOAuth({"clientId": "c", "n": 1});' in text


def test_redoc_page() -> None:
    """The ReDoc page points at the document and script, with Google Fonts only when asked."""
    text = body(docs.get_redoc_html(openapi_url="/openapi.json", title="Shop - ReDoc"))
    assert '<redoc spec-url="/openapi.json"></redoc>' in text
    assert f'<script src="{docs.REDOC_JS_CDN_URL}">' in text
    assert docs.FAVICON_CDN_URL in text
    assert "fonts.googleapis.com" in text
    offline = body(docs.get_redoc_html(openapi_url="/o", title="t", with_google_fonts=False))
    assert "fonts.googleapis.com" not in offline


def test_oauth2_redirect_page() -> None:
    """The redirect page hands the authorization answer to the opener's swaggerUIRedirectOauth2."""
    page = docs.get_swagger_ui_oauth2_redirect_html()
    assert page.media_type == "text/html"
    assert "window.opener.swaggerUIRedirectOauth2" in body(page)


# --- build_docs_endpoints -----------------------------------------------------------------------------


def routes(config: DocsConfig) -> list[tuple[str, str]]:
    return [(e.path, e.name) for e in build_docs_endpoints(config)]


def test_default_routes() -> None:
    """Defaults give FastAPI's three docs routes plus the assets route."""
    assert routes(DocsConfig()) == [
        ("/docs", "swagger_ui_html"),
        ("/docs/oauth2-redirect", "swagger_ui_redirect"),
        ("/redoc", "redoc_html"),
        (f"{ASSETS}/{{path:path}}", "vivace_docs_assets"),
    ]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (DocsConfig(openapi_url=None), []),
        (DocsConfig(docs_url=None, redoc_url=None), []),
        (DocsConfig(docs_url=None), ["/redoc", "/assets/{path:path}"]),
        (DocsConfig(swagger_ui_oauth2_redirect_url=None, redoc_url=None), ["/docs", "/assets/{path:path}"]),
        (DocsConfig(docs_assets="cdn"), ["/docs", "/docs/oauth2-redirect", "/redoc"]),
    ],
)
def test_which_routes_exist(config: DocsConfig, expected: list[str]) -> None:
    """Routes follow FastAPI's rules; the assets route exists only for local assets and some page."""
    if config.docs_assets == "local":
        config = replace(config, docs_assets_url="/assets")
    assert [path for path, _ in routes(config)] == expected


@pytest.mark.parametrize(
    "kwargs", [{"docs_assets": "offline"}, {"docs_assets_url": "static"}, {"docs_assets_url": "/"}]
)
def test_bad_config_fails_at_startup(kwargs: dict[str, Any]) -> None:
    """An unknown docs_assets mode or a non-absolute assets URL is refused when the config is built."""
    with pytest.raises(ValueError, match="docs_assets"):
        DocsConfig(**kwargs)


def test_local_pages_reference_only_local_urls(client: TestClient) -> None:
    """With local assets, neither page loads anything from another host."""
    for path in ("/docs", "/redoc"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert not re.search(r'(src|href)="(https?:)?//', response.text)
    docs_page = client.get("/docs").text
    assert f'src="{ASSETS}/swagger-ui-dist@{SWAGGER_VERSION}/swagger-ui-bundle.js"' in docs_page
    assert "<title>Shop - Swagger UI</title>" in docs_page
    redoc_page = client.get("/redoc").text
    assert f'src="{ASSETS}/redoc@{REDOC_VERSION}/redoc.standalone.js"' in redoc_page
    assert "redoc@2" in redoc_page
    assert "<title>Shop - ReDoc</title>" in redoc_page


def test_page_urls_follow_root_path() -> None:
    """Behind a root_path, the document, redirect and asset URLs are all prefixed with it."""
    endpoints = {e.name: e.endpoint for e in build_docs_endpoints(DocsConfig())}
    scope = {"type": "http", "method": "GET", "path": "/docs", "root_path": "/api/", "headers": []}

    async def render(name: str) -> str:
        response = await endpoints[name](Request(scope))
        return bytes(response.body).decode()

    swagger = anyio.run(render, "swagger_ui_html")
    assert "url: '/api/openapi.json'," in swagger
    assert "window.location.origin + '/api/docs/oauth2-redirect'" in swagger
    assert f'src="/api{ASSETS}/swagger-ui-dist@' in swagger
    assert f'href="/api{ASSETS}/swagger-ui-dist@' in swagger
    redoc = anyio.run(render, "redoc_html")
    assert f'src="/api{ASSETS}/redoc@' in redoc
    assert 'spec-url="/api/openapi.json"' in redoc


def test_cdn_pages_match_fastapi_urls() -> None:
    """docs_assets="cdn" gives FastAPI's CDN URLs and Google Fonts."""
    with TestClient(app_for(DocsConfig(docs_assets="cdn"))) as cdn:
        assert docs.SWAGGER_JS_CDN_URL in cdn.get("/docs").text
        redoc = cdn.get("/redoc").text
        assert docs.REDOC_JS_CDN_URL in redoc
        assert "fonts.googleapis.com" in redoc
        assert cdn.get(f"{ASSETS}/redoc@{REDOC_VERSION}/redoc.standalone.js").status_code == 404


def test_oauth2_redirect_route(client: TestClient) -> None:
    """The redirect route answers with the redirect page as HTML."""
    response = client.get("/docs/oauth2-redirect")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "window.opener.swaggerUIRedirectOauth2" in response.text


# --- the assets route ---------------------------------------------------------------------------------

MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}


@pytest.mark.parametrize("entry", SERVED, ids=lambda e: e["file"])
def test_asset_served_as_in_manifest(client: TestClient, entry: dict[str, Any]) -> None:
    """Each asset is served byte for byte as recorded, with its type, long caching and its sha256 ETag."""
    response = client.get(url_of(entry), headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == entry["sha256"]
    assert response.headers["content-type"] == MEDIA_TYPES[Path(entry["file"]).suffix]
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["etag"] == f'"{entry["sha256"]}"'
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in response.headers


def test_text_assets_gzipped_when_accepted(client: TestClient) -> None:
    """JS and CSS go out gzipped to clients that accept it, with their own ETag and Vary."""
    entry = next(e for e in SERVED if e["file"].endswith("swagger-ui-bundle.js"))
    response = client.get(url_of(entry), headers={"accept-encoding": "gzip, br"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.headers["etag"] == f'"{entry["sha256"]}-gzip"'
    assert int(response.headers["content-length"]) < entry["size"] / 2
    # httpx has already decoded the body; it must be the original file
    assert hashlib.sha256(response.content).hexdigest() == entry["sha256"]


def test_png_never_gzipped(client: TestClient) -> None:
    """Already-compressed images are sent as they are, without Vary."""
    entry = next(e for e in SERVED if e["file"].endswith(".png"))
    response = client.get(url_of(entry), headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_gives_304(client: TestClient, encoding: str, form: str) -> None:
    """A matching If-None-Match (weak, in a list, or `*`) gets an empty 304 with the caching headers."""
    url = url_of(SERVED[1])
    etag = client.get(url, headers={"accept-encoding": encoding}).headers["etag"]
    headers = {"accept-encoding": encoding, "if-none-match": form.format(etag=etag)}
    response = client.get(url, headers=headers)
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


def test_stale_etag_gets_the_body(client: TestClient) -> None:
    """An If-None-Match for another version answers 200 with the file."""
    response = client.get(url_of(SERVED[0]), headers={"if-none-match": '"0123"'})
    assert response.status_code == 200
    assert response.content


@pytest.mark.parametrize(
    "path",
    [
        "MANIFEST.json",
        "../MANIFEST.json",
        "swagger-ui-dist/swagger-ui.css",  # the on-disk path, not the versioned URL
        f"swagger-ui-dist@{SWAGGER_VERSION}/../MANIFEST.json",
        f"swagger-ui-dist@{SWAGGER_VERSION}/%2e%2e/%2e%2e/openapi/docs.py",
        f"swagger-ui-dist@{SWAGGER_VERSION}/..%2F..%2F_docs_assets.py",
        f"swagger-ui-dist@{SWAGGER_VERSION}/LICENSE",  # licence files ship but are not served
        "swagger-ui-dist@0.0.1/swagger-ui.css",
        "%2Fetc%2Fpasswd",
        "",
    ],
)
def test_only_manifest_assets_are_reachable(client: TestClient, path: str) -> None:
    """Anything but a manifest asset URL is a 404: the path is a lookup key, never a file path."""
    assert client.get(f"{ASSETS}/{path}").status_code == 404


def test_load_assets_lists_exactly_the_served_files() -> None:
    """The served set is the manifest's asset entries, keyed by versioned URL path."""
    assert sorted(load_assets()) == sorted(url_of(e).removeprefix(ASSETS + "/") for e in SERVED)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("gzip;q=0", False),
        ("*", True),
        ("*;q=0", False),
        ("*;q=0, gzip", True),
        ("gzip;q=0, *", False),
        ("identity", False),
        ("", False),
        ("gzip;q=bogus", False),
    ],
)
def test_accepts_gzip(header: str, expected: bool) -> None:
    """Accept-Encoding parsing: an explicit gzip entry wins over `*`; q=0 refuses."""
    assert accepts_gzip(header) is expected


def test_etag_matches_none() -> None:
    """No If-None-Match header never matches."""
    assert not etag_matches(None, '"x"')


# --- the committed files and the update script ---------------------------------------------------------


def load_update_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "update_docs_assets", REPO / "tools" / "update_docs_assets.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def test_committed_assets_match_manifest() -> None:
    """`update_docs_assets.py --check` finds every file present and unchanged, and nothing unlisted."""
    assert load_update_tool().check() == []


def test_manifest_records_provenance_and_licenses() -> None:
    """Each package has its licence file, and each entry names a pinned npm tarball as its source."""
    files_by_package: dict[str, set[str]] = {}
    for entry in MANIFEST["files"]:
        files_by_package.setdefault(entry["package"], set()).add(entry["file"])
        assert re.fullmatch(
            rf"https://registry\.npmjs\.org/{entry['package']}/-/{entry['package']}-{entry['version']}\.tgz#package/.+",
            entry["source"],
        )
    assert {"swagger-ui-dist/LICENSE", "swagger-ui-dist/NOTICE"} <= files_by_package["swagger-ui-dist"]
    assert "redoc/LICENSE" in files_by_package["redoc"]
    assert SWAGGER_VERSION.startswith("5.") and REDOC_VERSION.startswith("2.")


def test_check_reports_tampering(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--check fails on an altered, a missing and an unlisted file."""
    tool = load_update_tool()
    copy = tmp_path / "static"
    shutil.copytree(STATIC, copy)
    (copy / "swagger-ui-dist" / "swagger-ui.css").write_text("body {}")
    (copy / "redoc" / "LICENSE").unlink()
    (copy / "redoc" / "extra.js").write_text("")
    monkeypatch.setattr(tool, "STATIC_DIR", copy)
    monkeypatch.setattr(tool, "MANIFEST", copy / "MANIFEST.json")
    assert sorted(tool.check()) == [
        "missing: redoc/LICENSE",
        "not in the manifest: redoc/extra.js",
        "sha256 differs from the manifest: swagger-ui-dist/swagger-ui.css",
    ]
    assert tool.main(["--check"]) == 1


def test_gzip_body_has_no_timestamp() -> None:
    """The gzipped body's header carries mtime 0, so every process sends the same bytes for one ETag."""
    asset = next(a for a in load_assets().values() if a.compressible)
    body = _read_body(asset, gzipped=True)
    assert body[4:8] == b"\0\0\0\0"
    assert gzip.decompress(body) == (STATIC / asset.file).read_bytes()


def fake_registry(tool: ModuleType, monkeypatch: pytest.MonkeyPatch, tamper: bool = False) -> None:
    """Point the tool's downloads at in-memory tarballs holding every member it extracts."""
    tarballs = {}
    for spec, version in tool.package_specs("5.0.1", "2.0.1"):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for member in [*spec.assets, *spec.licenses]:
                content = f"{spec.name} {member}".encode()
                info = tarfile.TarInfo(f"package/{member}")
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
        data = buffer.getvalue()
        digest = base64.b64encode(hashlib.sha512(b"other" if tamper else data).digest()).decode()
        url = f"https://registry.npmjs.org/{spec.name}/-/{spec.name}-{version}.tgz"
        tarballs[url] = data
        tarballs[f"https://registry.npmjs.org/{spec.name}/{version}"] = json.dumps(
            {"license": "MIT", "dist": {"tarball": url, "integrity": f"sha512-{digest}"}}
        ).encode()
    monkeypatch.setattr(tool, "_get", tarballs.__getitem__)


def test_update_writes_files_and_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An update extracts exactly the listed members, records them, and then passes --check."""
    tool = load_update_tool()
    monkeypatch.setattr(tool, "REPO", tmp_path)
    monkeypatch.setattr(tool, "STATIC_DIR", tmp_path / "static")
    monkeypatch.setattr(tool, "MANIFEST", tmp_path / "static" / "MANIFEST.json")
    fake_registry(tool, monkeypatch)
    assert tool.main(["--swagger-ui-version", "5.0.1", "--redoc-version", "2.0.1"]) == 0
    static = tmp_path / "static"
    written = sorted(p.relative_to(static).as_posix() for p in static.rglob("*") if p.is_file())
    assert "redoc/redoc.standalone.js" in written
    assert "swagger-ui-dist/swagger-ui-bundle.js" in written
    assert len(written) == len(MANIFEST["files"]) + 1  # the same set of files as committed, plus the manifest
    entries = json.loads((tmp_path / "static" / "MANIFEST.json").read_text())["files"]
    assert {(e["package"], e["version"]) for e in entries} == {
        ("swagger-ui-dist", "5.0.1"),
        ("redoc", "2.0.1"),
    }
    assert tool.check() == []


def test_update_refuses_bad_integrity_and_wrong_major(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tarball that does not match the registry's integrity hash, or a version off 5.x/2.x, is refused."""
    tool = load_update_tool()
    monkeypatch.setattr(tool, "STATIC_DIR", tmp_path / "static")
    fake_registry(tool, monkeypatch, tamper=True)
    with pytest.raises(SystemExit, match="integrity mismatch"):
        tool.update("5.0.1", "2.0.1")
    with pytest.raises(SystemExit, match=r"must stay on 2\.x"):
        tool.update("5.0.1", "3.0.1")
    assert not (tmp_path / "static").exists()  # nothing is written unless every download succeeded


def test_the_asset_manifest_is_read_when_a_page_is_first_served_not_at_startup() -> None:
    """Building an app with docs imports neither the asset module nor reads the manifest; the first page does,
    and links the versioned local copies."""
    code = (
        "import sys, vivace\n"
        "from starlette.testclient import TestClient\n"
        "app = vivace.FastAPI()\n"
        "print('vivace._docs_assets' in sys.modules)\n"
        "page = TestClient(app).get('/docs').text\n"
        "print('vivace._docs_assets' in sys.modules, '/_vivace/static/swagger-ui-dist@' in page)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.split() == ["False", "True", "True"]
