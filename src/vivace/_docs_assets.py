"""The Swagger UI and ReDoc files shipped inside the wheel, and the endpoint that serves them.

The files live in `vivace/static/<npm package>/` and are listed in `vivace/static/MANIFEST.json`
(written by `tools/update_docs_assets.py`). Each is served at `<prefix>/<package>@<version>/<file>`:
the version in the URL means a URL never changes content, so responses carry a one-year
`Cache-Control` with `immutable`, an ETag (the file's sha256) and answer `If-None-Match` with 304.
Only the manifest's `asset` entries are reachable: the URL is a dictionary key, never a filesystem
path, so there is nothing to traverse.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

__all__ = [
    "ASSETS_CACHE_CONTROL",
    "Asset",
    "asset_url",
    "load_assets",
    "serve_asset",
]

ASSETS_CACHE_CONTROL = "public, max-age=31536000, immutable"

# NOTE: fixed here rather than taken from `mimetypes`, whose answers depend on the host's
# /etc/mime.types (some systems still say `application/javascript`, some nothing for .js).
_MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}
_COMPRESSIBLE = frozenset({".js", ".css"})


@dataclass(frozen=True, slots=True)
class Asset:
    """One servable file from the manifest."""

    url_path: str  # "swagger-ui-dist@5.35.0/swagger-ui-bundle.js", relative to the assets prefix
    file: str  # "swagger-ui-dist/swagger-ui-bundle.js", relative to vivace/static/
    sha256: str
    media_type: str
    compressible: bool


def _static_dir() -> Traversable:
    return files("vivace").joinpath("static")


@cache
def load_assets() -> dict[str, Asset]:
    """The servable files by URL path, read from MANIFEST.json once per process."""
    manifest = json.loads(_static_dir().joinpath("MANIFEST.json").read_text(encoding="utf-8"))
    assets = {}
    for entry in manifest["files"]:
        if entry["role"] != "asset":
            continue  # licence texts ship in the wheel but are not served
        package, _, name = entry["file"].partition("/")
        suffix = name[name.rfind(".") :]
        url_path = f"{package}@{entry['version']}/{name}"
        assets[url_path] = Asset(
            url_path=url_path,
            file=entry["file"],
            sha256=entry["sha256"],
            media_type=_MEDIA_TYPES[suffix],
            compressible=suffix in _COMPRESSIBLE,
        )
    return assets


def asset_url(prefix: str, package: str, name: str) -> str:
    """The versioned URL of one file, e.g. `/_vivace/static/redoc@2.5.4/redoc.standalone.js`."""
    for asset in load_assets().values():
        if asset.file == f"{package}/{name}":
            return f"{prefix.rstrip('/')}/{asset.url_path}"
    raise LookupError(f"{package}/{name} is not in vivace/static/MANIFEST.json")


# Bodies read (and gzipped) on first use and kept for the life of the process: ~3 MB plain, ~1 MB gzipped.
_bodies: dict[tuple[str, bool], bytes] = {}


def _read_body(asset: Asset, gzipped: bool) -> bytes:
    body = _static_dir().joinpath(asset.file).read_bytes()
    if gzipped:
        # mtime=0 keeps the bytes identical from one process to the next
        body = gzip.compress(body, compresslevel=9, mtime=0)
    _bodies[(asset.file, gzipped)] = body
    return body


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding value allows gzip; an explicit `gzip;q=` beats a `*` entry."""
    qualities = {}
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        quality = params.strip().removeprefix("q=").strip() or "1"
        try:
            qualities[coding.strip().lower()] = float(quality)
        except ValueError:
            qualities[coding.strip().lower()] = 0.0
    return qualities.get("gzip", qualities.get("*", 0.0)) > 0


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison of an If-None-Match list with our (strong) ETag."""
    if if_none_match is None:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip().removeprefix("W/")
        if candidate in ("*", etag):
            return True
    return False


async def serve_asset(request: Request) -> Response:
    """GET `<prefix>/{path:path}`: one manifest file, with caching headers and 304 support."""
    asset = load_assets().get(request.path_params.get("path", ""))
    if asset is None:
        raise HTTPException(status_code=404)
    gzipped = asset.compressible and accepts_gzip(request.headers.get("accept-encoding", ""))
    headers = {
        "cache-control": ASSETS_CACHE_CONTROL,
        "etag": f'"{asset.sha256}-gzip"' if gzipped else f'"{asset.sha256}"',
        "x-content-type-options": "nosniff",
    }
    if asset.compressible:
        headers["vary"] = "Accept-Encoding"
    if etag_matches(request.headers.get("if-none-match"), headers["etag"]):
        return Response(status_code=304, headers=headers)
    body = _bodies.get((asset.file, gzipped))
    if body is None:
        # NOTE: the first read (and the gzip of a 1.7 MB bundle, ~0.1 s) runs in a worker thread so the
        # event loop is not blocked; later requests take the cached bytes.
        body = await anyio.to_thread.run_sync(_read_body, asset, gzipped)
    if gzipped:
        headers["content-encoding"] = "gzip"
    return Response(body, headers=headers, media_type=asset.media_type)
