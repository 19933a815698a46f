"""Routes the flat runners now serve beyond plain ones: a custom response class, app-scoped and
concurrency-limited dependencies, each alone and beside a `yield` dependency, answer as FastAPI does."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import pytest


def build_managed(fw: Any) -> Any:
    app = fw.FastAPI()
    created: list[int] = []

    async def session() -> AsyncIterator[str]:
        yield "db"

    async def client() -> AsyncIterator[str]:
        created.append(1)
        yield f"client {len(created)}"

    async def limited(q: int = 0) -> int:
        return q * 2

    Session = Annotated[str, fw.Depends(session)]
    Client = Annotated[str, fw.Depends(client, scope="app")]
    Limited = Annotated[int, fw.Depends(limited, max_concurrency=2)]

    @app.get("/html", response_class=fw.HTMLResponse)
    async def html(response: fw.Response) -> str:
        response.headers["x-extra"] = "1"
        return "<p>hi</p>"

    @app.get("/html-session", response_class=fw.HTMLResponse, status_code=202)
    async def html_session(db: Session) -> str:
        return f"<p>{db}</p>"

    @app.get("/plain-empty", response_class=fw.PlainTextResponse, status_code=204)
    async def plain_empty() -> None:
        return None

    @app.get("/json-class", response_class=fw.JSONResponse)
    async def json_class(db: Session) -> dict[str, Any]:
        return {"db": db, "items": (1, 2)}

    @app.get("/app-scoped")
    async def app_scoped(c: Client) -> str:
        return c

    @app.get("/app-scoped-session")
    async def app_scoped_session(c: Client, db: Session) -> list[str]:
        return [c, db]

    @app.get("/limited")
    async def limited_route(n: Limited, db: Session) -> int:
        return n

    @app.get("/limited-invalid")
    async def limited_invalid(n: Limited, db: Session, page: int) -> int:
        return n + page

    return app


@pytest.mark.parametrize(
    "req",
    [
        "GET /html",
        "GET /html-session",
        "GET /plain-empty",
        "GET /json-class",
        "GET /limited?q=4",
        "GET /limited?q=x",
        "GET /limited-invalid?q=1&page=x",
    ],
)
def test_managed_routes_match_fastapi(same: Any, req: Any) -> None:
    """Status, headers and body as FastAPI's for each kind of route the flat runners took over."""
    same(build_managed, req)


def test_app_scoped_value_is_created_once_across_requests(both: Any) -> None:
    """vivace's `scope="app"` (an extension: FastAPI 0.165 creates the value again per request): the first request
    creates it, beside a `yield` dependency or not, and later ones reuse it."""
    from starlette.testclient import TestClient

    with TestClient(build_managed(both["vivace"])) as client:
        answers = [client.get(url).json() for url in ("/app-scoped", "/app-scoped-session", "/app-scoped")]
    assert answers == ["client 1", ["client 1", "db"], "client 1"]


def test_these_routes_are_served_by_flat_runners(both: Any) -> None:
    """None of these routes falls back to the generic pipeline any more."""
    from vivace._core.runner import describe

    app = build_managed(both["vivace"])
    served = {route.path: describe(route.served_plan) for route in app.routes if hasattr(route, "served_plan")}
    assert served and all(text.startswith("flat runner") for text in served.values()), served


def _upload_app(fw: Any, kept: list[Any]) -> Any:
    app = fw.FastAPI()

    async def session() -> AsyncIterator[str]:
        yield "db"

    @app.post("/upload")
    async def upload(title: Annotated[str, fw.Form()], doc: fw.UploadFile) -> dict[str, Any]:
        kept.append(doc)
        return {"title": title, "size": len(await doc.read())}

    @app.post("/upload-session")
    async def upload_session(
        doc: fw.UploadFile, db: Annotated[str, fw.Depends(session)], title: Annotated[str, fw.Form()] = "none"
    ) -> dict[str, Any]:
        kept.append(doc)
        return {"title": title, "db": db}

    return app


def test_uploaded_files_close_after_the_response_on_flat_runners(both: Any) -> None:
    """A form route (now on a flat runner), with and without a `yield` dependency: same answers as FastAPI, and
    the uploaded file is closed once the response is done."""
    from starlette.testclient import TestClient

    seen: dict[str, list[Any]] = {}
    for name, fw in both.items():
        kept: list[Any] = []
        client = TestClient(_upload_app(fw, kept))
        answers: list[Any] = []
        for url in ("/upload", "/upload-session"):
            response = client.post(url, data={"title": "t"}, files={"doc": ("a.txt", b"abc", "text/plain")})
            answers.append((response.status_code, response.json()))
        answers.append(client.post("/upload", data={"title": "t"}).status_code)
        seen[name] = [answers, [doc.file.closed for doc in kept]]
    assert seen["vivace"] == seen["fastapi"]
    assert seen["vivace"][1] == [True, True]
