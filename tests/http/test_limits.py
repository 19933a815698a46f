"""Request size limits through TestClient: vivace's defaults, explicit settings winning, clear 413 bodies."""

from collections.abc import Iterator
from typing import Annotated, Any

import pytest

from vivace import APIRouter, FastAPI, Form, Request, UploadFile
from vivace._core import limits
from vivace.testclient import TestClient


def chunked(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """The body as a generator, so it is sent without Content-Length (chunked)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def json_of(size: int) -> bytes:
    """A JSON document of exactly `size` bytes."""
    return b'{"k":"' + b"x" * (size - 8) + b'"}'


def test_documented_defaults() -> None:
    """The defaults are the values docs/guide/forms-and-files.md and docs/differences.md state."""
    mib = 1024 * 1024
    documented = {"body": 16 * mib, "file": 100 * mib, "upload": 1024 * mib, "spool": mib}
    actual = {
        "body": limits.MAX_BODY_SIZE, "file": limits.MAX_FILE_SIZE, "upload": limits.MAX_UPLOAD_SIZE,
        "spool": limits.SPOOL_SIZE, "fields": limits.MAX_FIELDS, "files": limits.MAX_FILES,
        "part": limits.MAX_PART_SIZE,
    }
    assert actual == {**documented, "fields": 1000, "files": 1000, "part": mib}


def json_app(**route: Any) -> FastAPI:
    app = FastAPI()

    @app.post("/items", **route)
    async def items(item: dict[str, Any]) -> Any:
        return {"size": len(item["k"])}

    return app


def test_json_body_over_the_default_is_413_before_reading() -> None:
    """A declared Content-Length over 16 MiB is refused with a JSON 413 that names the limit."""
    response = TestClient(json_app()).post(
        "/items", content=json_of(limits.MAX_BODY_SIZE + 1), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "detail": "Request body is larger than the 16 MiB limit (set max_body_size to change it)"
    }


def test_chunked_json_body_is_cut_off_while_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Content-Length the running total is checked on every chunk."""
    monkeypatch.setattr(limits, "MAX_BODY_SIZE", 1000)
    client = TestClient(json_app())
    headers = {"content-type": "application/json"}
    assert client.post("/items", content=chunked(json_of(1000), 100), headers=headers).json() == {"size": 992}
    response = client.post("/items", content=chunked(json_of(1001), 100), headers=headers)
    assert response.status_code == 413
    detail = "Request body is larger than the 1000 bytes limit (set max_body_size to change it)"
    assert response.json() == {"detail": detail}


def test_explicit_max_body_size_replaces_the_default() -> None:
    """A route's max_body_size above the default accepts a body the default would refuse."""
    size = limits.MAX_BODY_SIZE + 10
    client = TestClient(json_app(max_body_size=32 * 1024 * 1024))
    response = client.post("/items", content=json_of(size), headers={"content-type": "application/json"})
    assert response.json() == {"size": size - 8}


def test_explicit_limit_uses_fastapis_detail() -> None:
    """Over an explicit max_body_size the detail is FastAPI's "Content Too Large", chunked or not."""
    client = TestClient(json_app(max_body_size=100))
    headers = {"content-type": "application/json"}
    for content in (json_of(101), chunked(json_of(101), 10)):
        response = client.post("/items", content=content, headers=headers)
        assert (response.status_code, response.json()) == (413, {"detail": "Content Too Large"})


def test_max_body_size_zero_allows_only_an_empty_body() -> None:
    """max_body_size=0 accepts an empty body and refuses one byte."""
    app = FastAPI(max_body_size=0)

    @app.post("/ping")
    async def ping() -> Any:
        return "pong"

    client = TestClient(app)
    assert client.post("/ping").json() == "pong"
    assert client.post("/ping", content=b"x").status_code == 413


def test_explicit_limit_covers_bodies_the_endpoint_reads_itself() -> None:
    """request.body() and request.stream() are bounded by an explicit max_body_size too."""
    app = FastAPI()

    @app.post("/raw", max_body_size=50)
    async def raw(request: Request) -> Any:
        return len(await request.body())

    @app.post("/stream", max_body_size=50)
    async def stream(request: Request) -> Any:
        return sum([len(chunk) async for chunk in request.stream()])

    client = TestClient(app)
    assert client.post("/raw", content=b"x" * 50).json() == 50
    assert client.post("/raw", content=chunked(b"x" * 51, 10)).status_code == 413
    assert client.post("/stream", content=chunked(b"x" * 51, 10)).json() == {"detail": "Content Too Large"}
    assert client.post("/stream", content=b"x" * 51).status_code == 413


def test_raw_reads_have_no_default_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streaming the body yourself is how to take large uploads: no default applies to request.stream()."""
    monkeypatch.setattr(limits, "MAX_BODY_SIZE", 10)
    app = FastAPI()

    @app.post("/stream")
    async def stream(request: Request) -> Any:
        return sum([len(chunk) async for chunk in request.stream()])

    assert TestClient(app).post("/stream", content=chunked(b"x" * 1000, 100)).json() == 1000


def form_app(**route: Any) -> FastAPI:
    app = FastAPI()

    @app.post("/upload", **route)
    async def upload(file: UploadFile, note: Annotated[str, Form()] = "") -> Any:
        return {"size": file.size, "note": len(note)}

    @app.post("/fields", **route)
    async def fields(request: Request, a: Annotated[str, Form()]) -> Any:
        return len((await request.form()).keys())

    return app


def test_per_file_default_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file over the per-file default is refused with a 413 naming the form field."""
    monkeypatch.setattr(limits, "MAX_FILE_SIZE", 1000)
    client = TestClient(form_app())
    assert client.post("/upload", files={"file": ("a", b"x" * 1000)}).json() == {"size": 1000, "note": 0}
    response = client.post("/upload", files={"file": ("a", b"x" * 1001)})
    assert response.status_code == 413
    assert response.json() == {"detail": "The file in form field 'file' is larger than the 1000 bytes limit"}


def test_form_limits_max_file_size_sets_the_per_file_limit() -> None:
    """form_limits={"max_file_size": n} (a vivace extension) bounds each file."""
    client = TestClient(form_app(form_limits={"max_file_size": 10}))
    assert client.post("/upload", files={"file": ("a", b"x" * 10)}).json()["size"] == 10
    assert client.post("/upload", files={"file": ("a", b"x" * 11)}).status_code == 413


def test_explicit_max_body_size_lifts_the_per_file_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """With an explicit max_body_size the whole body is bounded by it alone, as in FastAPI."""
    monkeypatch.setattr(limits, "MAX_FILE_SIZE", 1000)
    client = TestClient(form_app(max_body_size=10_000))
    assert client.post("/upload", files={"file": ("a", b"x" * 5000)}).json()["size"] == 5000
    response = client.post("/upload", files={"file": ("a", b"x" * 10_000)})
    assert (response.status_code, response.json()) == (413, {"detail": "Content Too Large"})


def test_whole_multipart_body_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """A multipart body over the whole-upload default is refused, declared or streamed."""
    monkeypatch.setattr(limits, "MAX_UPLOAD_SIZE", 2000)
    client = TestClient(form_app())
    response = client.post("/upload", files={"file": ("a", b"x" * 3000)})
    assert (response.status_code, response.json()) == (
        413, {"detail": "Request body is larger than the 2000 bytes limit (set max_body_size to change it)"}
    )


def test_text_fields_are_bounded_in_total(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many text fields, each under max_part_size, cannot add up past the in-memory default."""
    monkeypatch.setattr(limits, "MAX_BODY_SIZE", 1000)
    client = TestClient(form_app())
    fields = {f"f{n}": (None, "x" * 300) for n in range(3)}
    assert client.post("/fields", files={"a": (None, "x"), **fields}).json() == 4
    response = client.post("/fields", files={"a": (None, "x"), **fields, "f4": (None, "y" * 300)})
    assert (response.status_code, response.json()) == (
        413, {"detail": "The form's text fields are larger than the 1000 bytes limit"}
    )


def test_urlencoded_form_uses_the_body_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """A urlencoded form is read into memory, so the 16 MiB body default bounds it."""
    monkeypatch.setattr(limits, "MAX_BODY_SIZE", 100)
    client = TestClient(form_app())
    assert client.post("/fields", data={"a": "x" * 50}).json() == 1
    assert client.post("/fields", data={"a": "x" * 200}).status_code == 413


def test_router_and_route_limits_nest() -> None:
    """An app limit applies to its routes; a router's or a route's own limit replaces it, larger or smaller."""
    app = FastAPI(max_body_size=10)
    router = APIRouter(max_body_size=1000)

    @app.post("/app")
    async def on_app(request: Request) -> Any:
        return len(await request.body())

    @router.post("/router")
    async def on_router(request: Request) -> Any:
        return len(await request.body())

    @router.post("/route", max_body_size=5)
    async def on_route(request: Request) -> Any:
        return len(await request.body())

    app.include_router(router)
    client = TestClient(app)
    assert [client.post(path, content=b"x" * 8).status_code for path in ("/app", "/router", "/route")] == [
        200, 200, 413
    ]
    assert client.post("/app", content=b"x" * 11).status_code == 413
    assert client.post("/router", content=b"x" * 11).json() == 11


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"form_limits": {"max_fields": "5"}}, "form_limits['max_fields'] must be a non-negative integer"),
        ({"form_limits": {"max_files": -1}}, "form_limits['max_files'] must be a non-negative integer"),
        ({"form_limits": {"max_parts": 5}}, "form_limits has no setting 'max_parts'"),
        ({"max_body_size": -1}, "max_body_size must be a non-negative integer or None"),
    ],
)
def test_bad_limit_settings_fail_at_startup(options: dict[str, Any], message: str) -> None:
    """A malformed limit is a ValueError when the route is declared, not a 500 on each request."""
    app = FastAPI()
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):

        @app.post("/f", **options)
        async def f(a: Annotated[str, Form()]) -> Any:
            return a
