"""`FileResponse` (ranges, validators, HEAD) and the deprecated ORJSON/UJSON response classes answer exactly as
in FastAPI. The served file is this test module itself, so both frameworks read the same bytes."""

import email.utils
import hashlib
import os
import warnings
from pathlib import Path
from typing import Any

import pytest
from fastapi.exceptions import FastAPIDeprecationWarning as FastAPIDeprecation

from vivace.exceptions import FastAPIDeprecationWarning as VivaceDeprecation

SERVED = Path(__file__)
SIZE = SERVED.stat().st_size


def _etag() -> str:
    # NOTE: Starlette's FileResponse ETag: md5 of "<mtime>-<size>", quoted
    stat = os.stat(SERVED)
    return '"' + hashlib.md5(f"{stat.st_mtime}-{stat.st_size}".encode(), usedforsecurity=False).hexdigest() + '"'


def _last_modified() -> str:
    return email.utils.formatdate(os.stat(SERVED).st_mtime, usegmt=True)


def build(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/file")
    async def file() -> Any:
        return fw.responses.FileResponse(SERVED, media_type="text/x-python")

    @app.api_route("/file-head", methods=["GET", "HEAD"])
    async def file_head() -> Any:
        return fw.responses.FileResponse(SERVED, media_type="text/x-python")

    @app.get("/download", response_class=fw.responses.FileResponse)
    async def download() -> Any:
        return SERVED

    @app.get("/attachment")
    async def attachment() -> Any:
        return fw.responses.FileResponse(SERVED, filename="copy of tests.py")

    return app


REQUESTS = [
    "GET /file",
    "HEAD /file-head",
    "GET /download",
    "GET /attachment",
    ("GET /file", {"headers": {"Range": "bytes=0-9"}}),
    ("GET /file", {"headers": {"Range": "bytes=-20"}}),
    ("GET /file", {"headers": {"Range": f"bytes={SIZE - 5}-"}}),
    ("GET /file", {"headers": {"Range": f"bytes={SIZE + 10}-{SIZE + 20}"}}),
    ("GET /file", {"headers": {"Range": "bytes=abc"}}),
    ("GET /file", {"headers": {"Range": "lines=0-3"}}),
    ("HEAD /file-head", {"headers": {"Range": "bytes=0-9"}}),
]


@pytest.mark.parametrize("req", REQUESTS)
def test_file_responses(same: Any, req: Any) -> None:
    """Whole files, ranges (single, suffix, open, multiple, unsatisfiable, malformed) and HEAD match FastAPI."""
    same(build, req)


def test_conditional_requests(same: Any) -> None:
    """ETag and Last-Modified validators: If-None-Match and If-Modified-Since give 304, If-Range gates ranges."""
    etag, modified = _etag(), _last_modified()
    same(
        build,
        ("GET /file", {"headers": {"If-None-Match": etag}}),
        ("GET /file", {"headers": {"If-None-Match": '"something-else"'}}),
        ("GET /file", {"headers": {"If-Modified-Since": modified}}),
        ("GET /file", {"headers": {"Range": "bytes=0-9", "If-Range": etag}}),
        ("GET /file", {"headers": {"Range": "bytes=0-9", "If-Range": '"stale"'}}),
        ("GET /file", {"headers": {"Range": "bytes=0-9", "If-Range": modified}}),
    )


def test_multiple_ranges(fw: Any, send: Any) -> None:
    """Several ranges answer one multipart/byteranges body; only the random boundary differs from FastAPI's."""
    [(status, headers, body)] = send(build(fw), ("GET /file", {"headers": {"Range": "bytes=0-4,10-14"}}))
    content_type = dict(headers)["content-type"]
    boundary = content_type.partition("boundary=")[2]
    assert status == 206
    assert content_type.startswith("multipart/byteranges; boundary=")
    parts = body.split(f"--{boundary}".encode())
    assert parts[0] == b"" and parts[-1] == b"--"
    assert [part.rpartition(b"\r\n\r\n")[2] for part in parts[1:-1]] == [
        SERVED.read_bytes()[0:5] + b"\r\n",
        SERVED.read_bytes()[10:15] + b"\r\n",
    ]
    assert b"Content-Range: bytes 10-14/" + str(SIZE).encode() in parts[2]


def build_json_classes(fw: Any) -> Any:
    orjson_class = fw.responses.ORJSONResponse
    ujson_class = fw.responses.UJSONResponse
    app = fw.FastAPI()

    @app.get("/orjson", response_class=orjson_class)
    async def with_orjson() -> Any:
        return {"name": "café", "values": [1, 2.5, None]}

    @app.get("/ujson", response_class=ujson_class)
    async def with_ujson() -> Any:
        return {"name": "café", "values": [1, 2.5, None]}

    @app.get("/orjson-direct")
    async def orjson_direct() -> Any:
        return orjson_class({"direct": True}, status_code=201)

    return app


def test_deprecated_json_response_classes(same: Any) -> None:
    """ORJSONResponse and UJSONResponse, as a route's class or returned directly, render FastAPI's bytes."""
    with warnings.catch_warnings():
        # NOTE: both classes are deprecated in FastAPI 0.165 and warn (with differently worded messages) when used
        for category in (VivaceDeprecation, FastAPIDeprecation):
            warnings.filterwarnings("ignore", category=category)
        same(build_json_classes, "GET /orjson", "GET /ujson", "GET /orjson-direct")
