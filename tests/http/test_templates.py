"""Jinja2Templates: rendering with the request, and `url_for` that follows mounts and the proxy's root_path."""

from pathlib import Path

import pytest

from vivace import FastAPI, Request
from vivace.responses import HTMLResponse
from vivace.staticfiles import StaticFiles
from vivace.templating import Jinja2Templates
from vivace.testclient import TestClient

PAGE = (
    '<link href="{{ url_for(\'static\', path=\'/site.css\') }}">'
    "<a href=\"{{ url_for('read_item', item_id=item_id) }}\">{{ item_id }}</a>"
)


def build(tmp_path: Path) -> FastAPI:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "item.html").write_text(PAGE)
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("a {}")
    templates = Jinja2Templates(directory=tmp_path / "templates")
    app = FastAPI()
    app.mount("/static", StaticFiles(directory=tmp_path / "static"), name="static")

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    async def read_item(request: Request, item_id: str) -> HTMLResponse:
        return templates.TemplateResponse(request=request, name="item.html", context={"item_id": item_id})

    return app


@pytest.mark.parametrize("root_path", ["", "/proxy"])
@pytest.mark.parametrize("mount_path", ["", "/sub"])
def test_url_for_in_templates(tmp_path: Path, root_path: str, mount_path: str) -> None:
    """Links carry the proxy root_path and the mount prefix, and the linked file is served there."""
    app = build(tmp_path)
    main = app
    if mount_path:
        main = FastAPI()
        main.mount(mount_path, app)
    client = TestClient(main, root_path=root_path)
    prefix = root_path + mount_path
    response = client.get(f"{prefix}/items/42")
    assert response.status_code == 200
    assert f'<a href="http://testserver{prefix}/items/42">42</a>' in response.text
    assert f'<link href="http://testserver{prefix}/static/site.css">' in response.text
    assert client.get(f"{prefix}/static/site.css").text == "a {}"


def test_template_context_has_the_request(tmp_path: Path) -> None:
    """The template sees `request`; the response is HTML and exposes its template and context."""
    (tmp_path / "page.html").write_text("{{ request.url.path }}|{{ name }}")
    templates = Jinja2Templates(directory=tmp_path)
    app = FastAPI()

    @app.get("/hello/{name}")
    async def hello(request: Request, name: str) -> HTMLResponse:
        return templates.TemplateResponse(request, "page.html", {"name": name})

    response = TestClient(app).get("/hello/ada")
    assert (response.text, response.headers["content-type"]) == ("/hello/ada|ada", "text/html; charset=utf-8")
    assert response.template.name == "page.html"  # type: ignore[attr-defined]
    assert response.context["name"] == "ada"  # type: ignore[attr-defined]
