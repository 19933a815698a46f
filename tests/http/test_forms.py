"""Forms and uploads through TestClient: UploadFile's API, spooling to disk, closing, and request.form()."""

from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from vivace import BackgroundTasks, FastAPI, File, Form, Request, UploadFile
from vivace._core import limits
from vivace.testclient import TestClient


def upload_app() -> tuple[FastAPI, list[Any]]:
    app = FastAPI()
    kept: list[Any] = []

    @app.post("/inspect")
    async def inspect(file: UploadFile) -> Any:
        kept.append(file)
        head = await file.read(4)
        await file.seek(0)
        whole = await file.read()
        return {
            "filename": file.filename,
            "content_type": file.content_type,
            "size": file.size,
            "header": file.headers.get("x-extra"),
            "head": head.decode(),
            "length": len(whole),
            "rolled_to_disk": bool(getattr(file.file, "_rolled", False)),
            "is_vivace_upload": isinstance(file, UploadFile),
        }

    @app.post("/append")
    async def append(file: UploadFile) -> Any:
        await file.seek(file.size or 0)
        await file.write(b"-tail")
        await file.seek(0)
        return {"content": (await file.read()).decode(), "size": file.size}

    return app, kept


def multipart_file(name: str, filename: str, content: bytes, extra_header: str = "") -> tuple[bytes, dict[str, str]]:
    """A hand-built multipart body (so tests can add part headers); returns (body, request headers)."""
    part = (
        f'--b0\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        f"Content-Type: text/plain\r\n{extra_header}\r\n"
    ).encode()
    return part + content + b"\r\n--b0--\r\n", {"content-type": "multipart/form-data; boundary=b0"}


def test_upload_file_exposes_name_type_headers_and_size() -> None:
    """filename, content_type, part headers and size are filled in; read(n) and seek work."""
    app, _ = upload_app()
    body, headers = multipart_file("file", "notes.txt", b"hello world", "X-Extra: yes\r\n")
    response = TestClient(app).post("/inspect", content=body, headers=headers)
    assert response.json() == {
        "filename": "notes.txt",
        "content_type": "text/plain",
        "size": 11,
        "header": "yes",
        "head": "hell",
        "length": 11,
        "rolled_to_disk": False,
        "is_vivace_upload": True,
    }


def test_large_upload_is_spooled_to_disk() -> None:
    """A file past the spool threshold moves to a temporary file instead of staying in memory."""
    app, _ = upload_app()
    content = b"z" * (limits.SPOOL_SIZE + 1)
    response = TestClient(app).post("/inspect", files={"file": ("big.bin", content)})
    assert response.json()["rolled_to_disk"] is True
    assert response.json()["length"] == len(content)


def test_upload_file_write_appends_and_counts_size() -> None:
    """UploadFile.write adds bytes and grows size; seek/read see them."""
    app, _ = upload_app()
    response = TestClient(app).post("/append", files={"file": ("a.txt", b"head")})
    assert response.json() == {"content": "head-tail", "size": 9}


def test_uploads_are_closed_after_the_response() -> None:
    """The endpoint gets an open file; once the response is sent it is closed (memory and disk spools alike)."""
    app, kept = upload_app()
    client = TestClient(app)
    client.post("/inspect", files={"file": ("small.txt", b"x")})
    client.post("/inspect", files={"file": ("big.bin", b"y" * (limits.SPOOL_SIZE + 10))})
    assert [upload.file.closed for upload in kept] == [True, True]


def test_files_are_closed_when_the_endpoint_raises() -> None:
    """An endpoint that fails still gets its uploads closed."""
    app = FastAPI()
    kept: list[Any] = []

    @app.post("/boom")
    async def boom(file: UploadFile) -> Any:
        kept.append(file)
        raise RuntimeError("boom")

    response = TestClient(app, raise_server_exceptions=False).post("/boom", files={"file": ("a", b"x")})
    assert response.status_code == 500
    assert kept[0].file.closed


def test_files_are_closed_when_parsing_fails_midway(spools: list[Any]) -> None:
    """A body rejected after a file was written (one file too many) leaves no spool file open."""
    app = FastAPI(form_limits={"max_files": 1})

    @app.post("/two")
    async def two(files: list[UploadFile]) -> Any:
        return len(files)

    response = TestClient(app).post("/two", files=[("files", ("a", b"a" * 10)), ("files", ("b", b"b"))])
    assert response.json() == {"detail": "Too many files. Maximum number of files is 1."}
    assert len(spools) == 1 and spools[0].closed


def test_background_task_reads_the_upload() -> None:
    """Uploads stay open for background tasks, which run before the files are closed."""
    app = FastAPI()
    seen: list[bytes] = []

    @app.post("/later")
    async def later(file: UploadFile, tasks: BackgroundTasks) -> Any:
        async def read() -> None:
            await file.seek(0)
            seen.append(await file.read())

        tasks.add_task(read)
        return {}

    TestClient(app).post("/later", files={"file": ("a", b"kept")})
    assert seen == [b"kept"]


def test_request_form_returns_the_parsed_form() -> None:
    """request.form() in an endpoint with Form parameters is the already parsed form, not a second read."""
    app = FastAPI()

    @app.post("/both")
    async def both(name: Annotated[str, Form()], request: Request) -> Any:
        form = await request.form()
        return {"name": name, "fields": sorted(form.keys())}

    response = TestClient(app).post("/both", data={"name": "n", "other": "o"})
    assert response.json() == {"name": "n", "fields": ["name", "other"]}


def test_bytes_file_parameter_does_not_consume_a_shared_upload() -> None:
    """A `bytes` parameter and an UploadFile parameter reading the same part both get the whole content."""
    app = FastAPI()

    @app.post("/shared")
    async def shared(file: UploadFile, raw: Annotated[bytes, File(alias="file")]) -> Any:
        return {"raw": raw.decode(), "upload": (await file.read()).decode()}

    response = TestClient(app).post("/shared", files={"file": ("a", b"same")})
    assert response.json() == {"raw": "same", "upload": "same"}


class Signup(BaseModel):
    email: str
    newsletter: bool = False


def test_form_model_with_file_and_plain_field() -> None:
    """A form model, a plain form field and a file in one request each get their part of the form."""
    app = FastAPI()

    @app.post("/signup")
    async def signup(data: Annotated[Signup, Form()], code: Annotated[str, Form()], cv: UploadFile) -> Any:
        return {"data": data, "code": code, "cv": cv.filename}

    response = TestClient(app).post(
        "/signup", data={"email": "a@b", "newsletter": "on", "code": "c1"}, files={"cv": ("cv.pdf", b"%PDF")}
    )
    assert response.json() == {"data": {"email": "a@b", "newsletter": True}, "code": "c1", "cv": "cv.pdf"}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),
        ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: y\r\n\r\n"),
    ],
)
def test_malformed_multipart_is_a_400(content_type: str, body: bytes) -> None:
    """A multipart body without a boundary, or a part without a name, is a clear 400, not a 500."""
    app = FastAPI()

    @app.post("/f")
    async def f(a: Annotated[str, Form()]) -> Any:
        return a

    response = TestClient(app).post("/f", content=body, headers={"content-type": content_type})
    assert response.status_code == 400
    assert response.json()["detail"] in (
        "Missing boundary in multipart.",
        'The Content-Disposition header field "name" must be provided.',
    )
