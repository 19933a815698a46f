"""`app.frontend()` and `router.frontend()`: one build directory served by vivace and FastAPI, compared."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fastapi
import pytest
from starlette.background import BackgroundTasks
from starlette.responses import Response
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

import vivace

Framework = Any  # the `fw` namespace of tests/compat/conftest.py

FILES = {
    "index.html": "<html>shell</html>",
    "assets/app.js": "console.log('app')",
    "about/index.html": "<html>about</html>",
    "api": "a file named like an API path",
    "deep/er/nested/file.txt": "nested",
}
HTML = {"accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
JSON = {"accept": "application/json"}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return root


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    """A typical build directory, next to a file outside it that must never be served."""
    (tmp_path / "secret.txt").write_text("secret")
    return write_tree(tmp_path / "dist", FILES)


FALLBACK_REQUESTS = [
    "GET /",
    "GET /assets/app.js",
    "GET /deep/er/nested/file.txt",
    ("GET /dashboard/settings", {"headers": HTML}),
    ("GET /dashboard/settings", {"headers": JSON}),
    ("GET /dashboard", {"headers": {"accept": "text/html;q=0"}}),
    ("GET /dashboard", {"headers": {"accept": "TEXT/HTML; charset=utf-8; q=wat"}}),
    "GET /missing.js",
    "GET /about",
    "GET /about/",
    "HEAD /assets/app.js",
    ("HEAD /dashboard", {"headers": HTML}),
    "POST /assets/app.js",
    "POST /",
    "POST /about/",
    ("POST /dashboard", {"headers": HTML}),
    "DELETE /missing.js",
]


# NOTE: fallback="404.html" without the file is a declaration error, tested in test_missing_fallback_file
@pytest.mark.parametrize(
    ("fallback", "with_404_page"),
    [("auto", False), ("auto", True), ("index.html", False), ("index.html", True), ("404.html", True),
     (None, False), (None, True)],
)
def test_fallback_modes(
    same: Callable[..., Any], dist: Path, fallback: str | None, with_404_page: bool
) -> None:
    """Files, directory pages, fallback pages, HEAD and other methods answer alike in every fallback mode."""
    if with_404_page:
        (dist / "404.html").write_text("<html>not here</html>")

    def build(fw: Framework) -> Any:
        app = fw.FastAPI()
        app.frontend("/", directory=dist, fallback=fallback)
        return app

    same(build, *FALLBACK_REQUESTS)


def test_conditional_request_gets_304(same: Callable[..., Any], dist: Path) -> None:
    """A file's ETag sent back in If-None-Match gives a 304, on both frameworks."""

    def build(fw: Framework) -> Any:
        app = fw.FastAPI()
        app.frontend("/", directory=dist)
        return app

    app = fastapi.FastAPI()
    app.frontend("/", directory=dist)
    etag = TestClient(app).get("/assets/app.js").headers["etag"]
    same(build, ("GET /assets/app.js", {"headers": {"if-none-match": etag}}))


@pytest.mark.parametrize(
    "url",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/%5c..%5csecret.txt",
        "/assets/%00.js",
    ],
)
def test_path_traversal_stays_inside_the_directory(same: Callable[..., Any], dist: Path, url: str) -> None:
    """A path that tries to climb out of the build directory gets the same answer, never the file outside."""

    def build(fw: Framework) -> Any:
        app = fw.FastAPI()
        app.frontend("/", directory=dist)
        return app

    (outcome,) = same(build, f"GET {url}")
    assert b"secret" not in outcome[2]


def test_symlink_out_of_the_directory_is_not_followed(same: Callable[..., Any], dist: Path) -> None:
    """A symbolic link to a file outside the directory is a 404 on both."""
    (dist / "link.txt").symlink_to(dist.parent / "secret.txt")

    def build(fw: Framework) -> Any:
        app = fw.FastAPI()
        app.frontend("/", directory=dist)
        return app

    same(build, "GET /link.txt")


def test_api_routes_win_whatever_the_order(same: Callable[..., Any], dist: Path) -> None:
    """Routes declared after the frontend still win: their 200, 405, 404 and slash redirect come first."""

    def build(fw: Framework) -> Any:
        app = fw.FastAPI()
        app.frontend("/", directory=dist, fallback="index.html")

        @app.get("/api")
        def read_api() -> dict[str, str]:
            return {"source": "api"}

        @app.get("/items/{item_id}")
        def read_item(item_id: int) -> dict[str, int]:
            if item_id == 0:
                raise fw.HTTPException(status_code=404, detail="no such item")
            return {"item_id": item_id}

        @app.get("/about/team/")
        def read_team() -> str:
            return "team"

        return app

    same(
        build,
        ("GET /api", {"headers": HTML}),
        "POST /api",
        ("GET /items/3", {"headers": HTML}),
        ("GET /items/0", {"headers": HTML}),
        ("GET /items/x", {"headers": HTML}),
        "GET /about/team",
        ("GET /elsewhere", {"headers": HTML}),
    )


def test_openapi_is_unaffected(dist: Path) -> None:
    """A frontend adds nothing to the OpenAPI document: the documents are identical."""
    documents = []
    for fw in (vivace, fastapi):
        app = fw.FastAPI()
        router = fw.APIRouter()
        router.frontend("/", directory=dist)
        app.include_router(router, prefix="/ui")

        @app.get("/api")
        def read_api() -> dict[str, bool]:
            return {"ok": True}

        app.frontend("/", directory=dist)
        documents.append(json.dumps(app.openapi(), sort_keys=True))
    assert documents[0] == documents[1]
    assert '"/ui' not in documents[0]


def test_frontends_in_included_routers(same: Callable[..., Any], tmp_path: Path) -> None:
    """Include prefixes, router prefixes and nesting place frontends; the longest matching prefix wins."""
    site = write_tree(tmp_path / "site", {"index.html": "site", "admin/stray.txt": "site's stray"})
    admin = write_tree(tmp_path / "admin", {"index.html": "admin", "admin.js": "admin js"})
    docs = write_tree(tmp_path / "docs", {"index.html": "docs", "page.html": "page"})

    def build(fw: Framework) -> Any:
        child = fw.APIRouter(prefix="/child")
        child.frontend("/docs/", directory=docs)
        parent = fw.APIRouter()
        parent.include_router(child, prefix="/nested")
        admin_router = fw.APIRouter()
        admin_router.frontend("/", directory=admin, fallback="index.html")
        app = fw.FastAPI()
        app.frontend("/", directory=site, fallback="index.html")
        app.include_router(admin_router, prefix="/admin")
        app.include_router(parent, prefix="/parent")
        return app

    same(
        build,
        ("GET /", {"headers": HTML}),
        ("GET /admin", {"headers": HTML}),
        ("GET /admin/settings", {"headers": HTML}),
        "GET /admin/admin.js",
        "GET /admin/stray.txt",
        "POST /admin/stray.txt",
        "GET /administrator",
        ("GET /administrator", {"headers": HTML}),
        "GET /parent/nested/child/docs/page.html",
        "GET /parent/nested/child/docs",
        "GET /nested/child/docs/page.html",
    )


def test_router_and_include_dependencies_guard_the_files(same: Callable[..., Any], dist: Path) -> None:
    """Dependencies of the app, the include and the router run (in that order) for GET/HEAD, not for POST."""

    def build(fw: Framework) -> Any:
        calls: list[str] = []

        def record(name: str) -> Callable[..., None]:
            def dependency(response: Response) -> None:
                calls.append(name)
                response.headers["x-calls"] = ",".join(calls)

            return dependency

        def require_session(session: str | None = fw.Cookie(default=None)) -> None:
            if session != "ok":
                raise fw.HTTPException(status_code=401, detail="log in first")

        def background(tasks: BackgroundTasks) -> None:
            tasks.add_task(calls.append, "background")

        router = fw.APIRouter(dependencies=[fw.Depends(record("router")), fw.Depends(require_session)])
        router.frontend("/", directory=dist, fallback="index.html")
        app = fw.FastAPI(dependencies=[fw.Depends(record("app")), fw.Depends(background)])
        app.include_router(router, prefix="/app", dependencies=[fw.Depends(record("include"))])

        @app.get("/calls")
        def read_calls() -> list[str]:
            return calls

        return app

    ok = {"cookies": {"session": "ok"}}
    same(
        build,
        "GET /app/",
        ("GET /app/", ok),
        ("GET /app/assets/app.js", ok),
        ("HEAD /app/assets/app.js", ok),
        ("GET /app/dashboard", {**ok, "headers": HTML}),
        "POST /app/assets/app.js",
        "GET /calls",
    )


def test_dependency_validation_error_and_override(same: Callable[..., Any], dist: Path) -> None:
    """A dependency's missing query parameter is a 422; a dependency override replaces it."""

    def build(fw: Framework) -> Any:
        def require_token(token: str) -> None:
            pass

        def require_key(key: str) -> None:
            pass

        def no_key() -> None:
            pass

        app = fw.FastAPI(dependencies=[fw.Depends(require_token), fw.Depends(require_key)])
        app.dependency_overrides[require_key] = no_key
        app.frontend("/", directory=dist)
        return app

    same(build, "GET /", "GET /?token=t", "GET /assets/app.js?token=t")


def test_websocket_route_wins(fw: Framework, dist: Path) -> None:
    """A WebSocket route is served even where a frontend file has the same path."""
    (dist / "ws").write_text("file")
    app = fw.FastAPI()
    app.frontend("/", directory=dist)

    @app.websocket("/ws")
    async def talk(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("socket")
        await websocket.close()

    with fw.TestClient(app).websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "socket"


def test_root_path(dist: Path) -> None:
    """Behind a proxy prefix (`root_path`), files and directory redirects answer alike."""
    outcomes = []
    for fw in (vivace, fastapi):
        app = fw.FastAPI()
        app.frontend("/ui", directory=dist)
        client = TestClient(app, root_path="/proxy", follow_redirects=False)
        responses = [client.get("/ui/assets/app.js"), client.get("/ui/about")]
        outcomes.append([(r.status_code, r.headers.multi_items(), r.content) for r in responses])
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][2] == b"console.log('app')"


# -- declaration errors -------------------------------------------------------------------------------------


def test_missing_directory_fails_at_declaration(fw: Framework, tmp_path: Path, monkeypatch: Any) -> None:
    """check_dir=True, and "auto" outside development, reject a missing directory with its absolute path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FASTAPI_ENV", raising=False)
    with pytest.raises(RuntimeError, match="does not exist") as caught:
        fw.FastAPI().frontend("/", directory="missing", check_dir=True)
    assert "'missing'" in str(caught.value)
    assert str(tmp_path / "missing") in str(caught.value)
    with pytest.raises(RuntimeError, match="does not exist"):
        fw.APIRouter().frontend("/", directory="missing")


def test_development_only_warns(fw: Framework, tmp_path: Path, monkeypatch: Any) -> None:
    """Under FASTAPI_ENV=development a missing directory warns (at the caller's line) and fails on request."""
    monkeypatch.setenv("FASTAPI_ENV", "development")
    app = fw.FastAPI()
    with pytest.warns(UserWarning, match="does not exist") as caught:
        app.frontend("/", directory=tmp_path / "later")
    assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match="does not exist") as caught:
        fw.APIRouter().frontend("/", directory=tmp_path / "later")
    assert caught[0].filename == __file__
    with pytest.raises(RuntimeError, match="does not exist"):
        fw.TestClient(app).get("/asset.txt")


def test_check_dir_false_fails_on_request(same: Callable[..., Any], tmp_path: Path) -> None:
    """check_dir=False accepts a missing directory; the first request raises the same RuntimeError."""

    def build(fw: Framework) -> Any:
        app = fw.FastAPI()
        app.frontend("/", directory=tmp_path / "missing", check_dir=False)
        return app

    same(build, "GET /asset.txt", "POST /asset.txt")


def test_missing_fallback_file(fw: Framework, tmp_path: Path, monkeypatch: Any) -> None:
    """An explicit fallback file that does not exist fails at declaration, or on use with check_dir=False."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FASTAPI_ENV", raising=False)
    (tmp_path / "dist").mkdir()
    with pytest.raises(RuntimeError, match=r"index\.html") as caught:
        fw.FastAPI().frontend("/", directory="dist", fallback="index.html")
    assert "directory 'dist'" in str(caught.value)
    assert str(tmp_path / "dist") in str(caught.value)
    app = fw.FastAPI()
    app.frontend("/", directory="dist", fallback="404.html", check_dir=False)
    with pytest.raises(RuntimeError, match=r"404\.html"):
        fw.TestClient(app).get("/missing.js")


@pytest.mark.parametrize(
    ("path", "fallback"), [("", "auto"), ("ui", "auto"), ("/", "index.htm")], ids=["empty", "relative", "fallback"]
)
def test_invalid_declarations(fw: Framework, dist: Path, path: str, fallback: str) -> None:
    """An empty or relative path, or an unknown fallback mode, is an AssertionError on both."""
    with pytest.raises(AssertionError):
        fw.FastAPI().frontend(path, directory=dist, fallback=fallback)
