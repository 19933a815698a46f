"""StaticFiles mounted on a vivace app: files, index pages, caching validators and no escape from the directory."""

from pathlib import Path
from typing import Any

import anyio
import pytest

from vivace import FastAPI
from vivace.staticfiles import StaticFiles
from vivace.testclient import TestClient


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    """An app serving tmp_path/public at /static (html=True at /site), with a secret file next to it."""
    public = tmp_path / "public"
    (public / "docs").mkdir(parents=True)
    (public / "style.css").write_text("body { color: green; }")
    (public / "index.html").write_text("<h1>home</h1>")
    (public / "docs" / "index.html").write_text("<h1>docs</h1>")
    (public / "404.html").write_text("<h1>lost</h1>")
    (tmp_path / "secret.txt").write_text("top secret")
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=public), name="static")
    app.mount("/site", StaticFiles(directory=public, html=True), name="site")

    @app.get("/api")
    async def api() -> dict[str, str]:
        return {"api": "yes"}

    return TestClient(app)


def test_serves_files_with_type_and_validators(client: TestClient) -> None:
    """A file comes with its media type, ETag and Last-Modified; routes next to the mount still answer."""
    response = client.get("/static/style.css")
    assert (response.status_code, response.text) == (200, "body { color: green; }")
    assert response.headers["content-type"].startswith("text/css")
    assert response.headers["etag"] and response.headers["last-modified"]
    assert client.get("/api").json() == {"api": "yes"}


def test_conditional_requests_answer_304(client: TestClient) -> None:
    """If-None-Match with the current ETag answers 304 without a body."""
    etag = client.get("/static/style.css").headers["etag"]
    response = client.get("/static/style.css", headers={"If-None-Match": etag})
    assert (response.status_code, response.content) == (304, b"")


@pytest.mark.parametrize("path", ["/static/../secret.txt", "/static/docs/../../secret.txt", "/static//etc/passwd"])
def test_no_path_traversal(client: TestClient, path: str) -> None:
    """Raw paths that climb out of the directory (sent as is, not normalised by a client) are never served."""
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "root_path": "",
             "query_string": b"", "headers": [], "scheme": "http", "server": ("test", 80)}
    anyio.run(client.app, scope, receive, send)
    assert messages[0]["status"] == 404
    assert b"top secret" not in b"".join(m.get("body", b"") for m in messages[1:])


def test_missing_file_and_method(client: TestClient) -> None:
    """An unknown file is a 404; a POST to a static file is a 405."""
    assert client.get("/static/nope.css").status_code == 404
    assert client.post("/static/style.css").status_code == 405


def test_html_mode_serves_index_pages_and_404_page(client: TestClient) -> None:
    """With html=True, directories serve index.html (redirecting to the slash form) and unknown paths 404.html."""
    assert client.get("/site/").text == "<h1>home</h1>"
    redirect = client.get("/site/docs", follow_redirects=False)
    assert (redirect.status_code, redirect.headers["location"]) == (307, "http://testserver/site/docs/")
    assert client.get("/site/docs/").text == "<h1>docs</h1>"
    missing = client.get("/site/nothing-here")
    assert (missing.status_code, missing.text) == (404, "<h1>lost</h1>")


def test_url_for_static(client: TestClient) -> None:
    """A file under a named StaticFiles mount has a URL path, as url_for builds it."""
    app = client.app
    assert isinstance(app, FastAPI)
    assert app.url_path_for("static", path="/style.css") == "/static/style.css"
