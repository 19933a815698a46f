"""Uploaded files are closed after the request even when a middleware cancels it.

A `BaseHTTPMiddleware` whose client went away (its `send` failed) cancels the app under it while the route is still
finishing; the close of a file rolled over to disk must not be interrupted (FastAPI 0.165 leaves it open there;
cadwyn shields the close of its stack for that reason).
"""

from typing import Any

import anyio
import httpx
import pytest
from starlette.middleware.base import BaseHTTPMiddleware

from vivace import FastAPI, Request, UploadFile
from vivace.responses import Response, StreamingResponse

LARGE = b"x" * (2 * 1024 * 1024)  # larger than UploadFile's in-memory limit: rolled over to disk


def build(uploads: list[UploadFile], streaming: bool) -> FastAPI:
    app = FastAPI()

    async def passthrough(request: Request, call_next: Any) -> Any:
        return await call_next(request)

    app.add_middleware(BaseHTTPMiddleware, dispatch=passthrough)

    @app.post("/upload")
    async def upload(file: UploadFile) -> Response:
        uploads.append(file)
        if streaming:

            async def chunks() -> Any:
                yield b"done"

            return StreamingResponse(chunks())
        return Response(b"done")

    return app


async def send_with_failing_body(app: FastAPI) -> None:
    request = httpx.Request("POST", "http://test/upload", files={"file": LARGE})
    body = request.read()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            raise OSError("the client has gone away")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "http",
        "method": "POST",
        "path": "/upload",
        "raw_path": b"/upload",
        "root_path": "",
        "query_string": b"",
        "headers": [(key.lower(), value) for key, value in request.headers.raw],
        "client": ("test", 1),
        "server": ("test", 80),
    }
    with pytest.raises(OSError, match="gone away"):
        await app(scope, receive, send)


@pytest.mark.parametrize("streaming", [False, True])
def test_upload_on_disk_is_closed_when_a_middleware_cancels_the_request(streaming: bool) -> None:
    """The send failure cancels the route under the middleware; its uploaded file is closed all the same."""
    uploads: list[UploadFile] = []
    anyio.run(send_with_failing_body, build(uploads, streaming))
    assert len(uploads) == 1
    assert uploads[0].file.closed
