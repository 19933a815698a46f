"""The samples of docs/guide/frontend.md run and do what the page says."""

from pathlib import Path

import pytest
from samples import client_for

HTML = {"accept": "text/html"}


def build(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content)


@pytest.fixture(autouse=True)
def builds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The samples' relative build directories, in a fresh working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FASTAPI_ENV", raising=False)
    build(tmp_path / "dist", {"index.html": "spa shell", "assets/app.js": "boot()", "api/profile": "shadowed"})
    build(tmp_path / "admin-dist", {"index.html": "admin shell"})
    build(tmp_path / "site", {"index.html": "home", "404.html": "lost", "about/index.html": "about"})


def test_spa_serves_api_files_and_shell() -> None:
    """The API wins over a same-named file; assets are served; browser navigations get index.html."""
    client = client_for("frontend_spa")
    assert client.get("/api/profile", headers=HTML).json() == {"name": "Ada"}
    assert client.get("/assets/app.js").text == "boot()"
    assert client.get("/users/42", headers=HTML).text == "spa shell"
    assert client.get("/assets/missing.js").status_code == 404
    assert "/assets/app.js" not in client.get("/openapi.json").json()["paths"]


def test_router_frontend_behind_dependency() -> None:
    """The admin frontend is prefixed and staff-only; the public site answers the rest with its 404 page."""
    client = client_for("frontend_router")
    assert client.get("/admin/users", headers=HTML).status_code == 401
    staff = {"session": "staff"}
    client.cookies.update(staff)
    assert client.get("/admin/users", headers=HTML).text == "admin shell"
    assert client.get("/admin/api/stats").json() == {"users": 42}
    assert client.get("/about/").text == "about"
    missing = client.get("/nowhere", headers=HTML)
    assert (missing.status_code, missing.text) == (404, "lost")


def test_missing_directory_is_reported_at_declaration(tmp_path: Path) -> None:
    """Without its build directory the sample fails on import, naming the directory (outside development)."""
    (tmp_path / "dist").rename(tmp_path / "elsewhere")
    with pytest.raises(RuntimeError, match="'dist' does not exist"):
        client_for("frontend_spa")


def test_development_only_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With FASTAPI_ENV=development (what `vivace dev` sets) a missing directory warns and the API still works."""
    monkeypatch.setenv("FASTAPI_ENV", "development")
    (tmp_path / "dist").rename(tmp_path / "elsewhere")
    with pytest.warns(UserWarning, match="does not exist"):
        client = client_for("frontend_spa")
    assert client.get("/api/profile").json() == {"name": "Ada"}
