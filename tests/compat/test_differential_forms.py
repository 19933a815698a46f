"""Forms, files, form models and form limits, compared byte for byte with FastAPI 0.165."""

from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field


class Profile(BaseModel):
    name: str
    age: int = Field(ge=0)
    tags: list[str] = []


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str
    password: str


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str


class Aliased(BaseModel):
    full_name: str = Field(alias="fullName")


class Person(BaseModel):
    kind: Literal["person"]
    name: str


class Company(BaseModel):
    kind: Literal["company"]
    company_name: str


class Cat(BaseModel):
    meows: int


class Dog(BaseModel):
    barks: int


async def describe(file: Any) -> dict[str, Any]:
    return {
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "content": (await file.read()).decode("latin-1"),
    }


def build_forms(fw: Any) -> Any:  # noqa: C901 - one nested endpoint per case, no branching
    app = fw.FastAPI()

    @app.post("/login")
    async def login(
        username: Annotated[str, fw.Form(min_length=2)],
        age: Annotated[int, fw.Form()] = 0,
        tags: Annotated[list[str], fw.Form()] = [],  # noqa: B006 - FastAPI copies defaults
        note: Annotated[str | None, fw.Form(alias="the-note")] = None,
    ) -> Any:
        return {"username": username, "age": age, "tags": tags, "note": note}

    @app.post("/upload")
    async def upload(file: fw.UploadFile) -> Any:
        return await describe(file)

    @app.post("/upload-headers")
    async def upload_headers(file: fw.UploadFile) -> Any:
        return {"headers": dict(file.headers), "content_type": file.content_type}

    @app.post("/bytes")
    async def as_bytes(file: Annotated[bytes, fw.File()]) -> Any:
        return {"size": len(file), "head": file[:5].decode("latin-1")}

    @app.post("/many")
    async def many(files: list[fw.UploadFile]) -> Any:
        return [await describe(f) for f in files]

    @app.post("/many-bytes")
    async def many_bytes(files: Annotated[list[bytes], fw.File()]) -> Any:
        return [len(f) for f in files]

    @app.post("/optional-file")
    async def optional_file(file: fw.UploadFile | None = None) -> Any:
        return {"file": None if file is None else file.filename}

    @app.post("/optional-bytes")
    async def optional_bytes(file: Annotated[bytes | None, fw.File()] = None) -> Any:
        return {"size": None if file is None else len(file)}

    @app.post("/mixed")
    async def mixed(
        token: Annotated[str, fw.Form()],
        file: Annotated[bytes, fw.File()],
        upload: fw.UploadFile,
    ) -> Any:
        return {"token": token, "file_size": len(file), "upload": upload.filename}

    @app.post("/profile")
    async def profile(data: Annotated[Profile, fw.Form()]) -> Any:
        return data

    @app.post("/strict")
    async def strict(data: Annotated[Strict, fw.Form()]) -> Any:
        return data

    @app.post("/open")
    async def open_model(data: Annotated[Open, fw.Form()]) -> Any:
        return data.model_dump()

    @app.post("/aliased")
    async def aliased(data: Annotated[Aliased, fw.Form()]) -> Any:
        return {"full_name": data.full_name}

    @app.post("/profile-and-file")
    async def profile_and_file(data: Annotated[Profile, fw.Form()], avatar: fw.UploadFile) -> Any:
        return {"profile": data, "avatar": avatar.filename}

    @app.post("/optional-profile")
    async def optional_profile(
        token: Annotated[str, fw.Form()], data: Annotated[Profile | None, fw.Form()] = None
    ) -> Any:
        return {"token": token, "profile": data}

    @app.post("/contact")
    async def contact(
        contact: Annotated[Person | Company, fw.Form(discriminator="kind")],
        token: Annotated[str, fw.Form()],
    ) -> Any:
        return {"contact": contact, "token": token}

    @app.post("/optional-contact")
    async def optional_contact(
        contact: Annotated[Person | Company | None, fw.Form(discriminator="kind")] = None,
    ) -> Any:
        return contact

    @app.post("/pet")
    async def pet(pet: Annotated[Cat | Dog, fw.Form()]) -> Any:
        return pet

    @app.post("/request-form")
    async def request_form(name: Annotated[str, fw.Form()], request: fw.Request) -> Any:
        form = await request.form()
        return {"name": name, "all": sorted(form.keys())}

    return app


def _multipart(boundary: str, *parts: bytes) -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return body + b"--" + boundary.encode() + b"--\r\n"


_BOUNDARY = {"content-type": "multipart/form-data; boundary=xyz"}
_DISPOSITION = b'Content-Disposition: form-data; name="username"\r\n\r\nada'

REQUESTS = [
    ("POST /login", {"data": {"username": "ada", "age": "3", "tags": ["a", "b"], "the-note": "hi"}}),
    ("POST /login", {"data": {"username": "ada"}}),
    ("POST /login", {"data": {"username": "a", "age": "x"}}),
    ("POST /login", {"data": {"username": ""}}),
    ("POST /login", {"data": {"age": "3"}}),
    ("POST /login", {"files": {"username": (None, "ada"), "tags": (None, "x")}}),
    ("POST /login", {"content": b"username=ada", "headers": {"content-type": "text/plain"}}),
    ("POST /login", {"content": b"username=%C3%A9t%C3%A9+x&age=1&&;x", "headers": {
        "content-type": "application/x-www-form-urlencoded"}}),
    ("POST /login", {"json": {"username": "ada"}}),
    "POST /login",
    ("POST /login", {"content": _multipart("xyz", _DISPOSITION), "headers": _BOUNDARY}),
    ("POST /login", {"content": _multipart("xyz", b"Content-Disposition: form-data\r\n\r\nx"), "headers": _BOUNDARY}),
    # NOTE: with its closing boundary: a body cut before it is a deliberate difference (docs/differences.md)
    ("POST /login", {"content": b"--xyz\r\nbroken\r\n\r\n--xyz--\r\n", "headers": _BOUNDARY}),
    ("POST /login", {"content": b"garbage", "headers": {"content-type": "multipart/form-data"}}),
    ("POST /login", {"content": b"\x00\x01--nope--", "headers": _BOUNDARY}),
    ("POST /upload", {"files": {"file": ("a.txt", b"hello", "text/plain")}}),
    ("POST /upload", {"files": {"file": ("b.bin", b"\x00" * 2048)}}),
    ("POST /upload", {"files": {"file": ("", b"")}}),
    ("POST /upload", {"data": {"file": "not a file"}}),
    ("POST /upload", {"data": {"other": "x"}}),
    ("POST /upload-headers", {"files": {"file": ("a.txt", b"x", "text/csv")}}),
    ("POST /bytes", {"files": {"file": ("a.txt", b"hello world")}}),
    ("POST /bytes", {"data": {"file": "a string"}}),
    ("POST /bytes", {"data": {}}),
    ("POST /many", {"files": [("files", ("a.txt", b"aa")), ("files", ("b.txt", b"bbb"))]}),
    ("POST /many", {"files": [("files", ("a.txt", b"aa")), ("files", ("", b""))]}),
    ("POST /many", {"files": [("files", ("", b""))]}),
    ("POST /many", {"data": {"files": ["x", "y"]}}),
    ("POST /many-bytes", {"files": [("files", ("a.txt", b"aa")), ("files", ("b.txt", b"bbb"))]}),
    ("POST /optional-file", {"files": {"file": ("a.txt", b"x")}}),
    ("POST /optional-file", {"data": {"x": "1"}}),
    ("POST /optional-file", {"files": {"file": ("", b"")}}),
    ("POST /optional-bytes", {"files": {"file": ("a.txt", b"xyz")}}),
    ("POST /optional-bytes", {"data": {}}),
    ("POST /mixed", {"data": {"token": "t"}, "files": {"file": ("a", b"12345"), "upload": ("u.txt", b"u")}}),
    ("POST /mixed", {"files": {"file": ("a", b"12345")}}),
    ("POST /mixed", {"data": {"token": "t"}}),
    ("POST /profile", {"data": {"name": "Ada", "age": "36", "tags": ["x", "y"]}}),
    ("POST /profile", {"data": {"name": "Ada", "age": "-1"}}),
    ("POST /profile", {"data": {"name": "", "age": ""}}),
    ("POST /profile", {"data": {}}),
    ("POST /profile", {"files": {"name": (None, "Ada"), "age": (None, "2"), "tags": (None, "one")}}),
    ("POST /strict", {"data": {"username": "u", "password": "p"}}),
    ("POST /strict", {"data": {"username": "u", "password": "p", "extra": "x"}}),
    ("POST /strict", {"data": {"username": "u", "password": "p", "extra": ["x", "y"]}}),
    ("POST /open", {"data": {"name": "n", "more": "m", "multi": ["1", "2"]}}),
    ("POST /aliased", {"data": {"fullName": "Ada L"}}),
    ("POST /aliased", {"data": {"full_name": "Ada L"}}),
    ("POST /profile-and-file", {"data": {"name": "Ada", "age": "3"}, "files": {"avatar": ("me.png", b"png")}}),
    ("POST /profile-and-file", {"data": {"name": "Ada", "age": "3"}}),
    ("POST /optional-profile", {"data": {"token": "t"}}),
    ("POST /optional-profile", {"data": {"token": "t", "name": "Ada", "age": "1"}}),
    ("POST /optional-profile", {"data": {"token": "t", "name": "Ada"}}),
    ("POST /optional-profile", {"data": {}}),
    ("POST /contact", {"data": {"kind": "person", "name": "Rick", "token": "s"}}),
    ("POST /contact", {"data": {"kind": "company", "company_name": "Acme", "token": "s"}}),
    ("POST /contact", {"data": {"token": "s"}}),
    ("POST /contact", {"data": {"kind": "person", "token": "s"}}),
    ("POST /contact", {"data": {"kind": "robot"}}),
    ("POST /contact", {"data": {"kind": "person", "name": ""}}),
    ("POST /optional-contact", {"data": {}}),
    ("POST /optional-contact", {"data": {"kind": "company", "company_name": "Acme"}}),
    ("POST /optional-contact", {"data": {"name": "Rick"}}),
    ("POST /optional-contact", {"data": {"unrelated": "x"}}),
    ("POST /pet", {"data": {"meows": "3"}}),
    ("POST /pet", {"data": {"barks": "2"}}),
    ("POST /pet", {"data": {"purrs": "1"}}),
    ("POST /request-form", {"data": {"name": "n", "other": "o"}}),
]


@pytest.mark.parametrize("req", REQUESTS)
def test_forms_and_files(same: Any, req: Any) -> None:
    """Form fields, files, bytes files, file lists, form models and union form models answer as FastAPI does."""
    same(build_forms, req)


def build_limited(fw: Any) -> Any:
    app = fw.FastAPI(form_limits={"max_fields": 3, "max_files": 2, "max_part_size": 1024})

    @app.post("/form")
    async def form(
        a: Annotated[str, fw.Form()], b: Annotated[str | None, fw.Form()] = None
    ) -> Any:
        return {"a": len(a), "b": b}

    @app.post("/files")
    async def files(files: list[fw.UploadFile]) -> Any:
        return [f.size for f in files]

    @app.post("/roomy", form_limits={"max_fields": 10, "max_files": 10, "max_part_size": 4096})
    async def roomy(a: Annotated[str, fw.Form()], files: list[fw.UploadFile] | None = None) -> Any:
        return {"a": len(a), "files": len(files or [])}

    return app


_FILES_3 = {"files": [("files", (f"{n}.txt", b"x" * 5000)) for n in range(3)]}
_FIELDS_4 = {"data": {"a": "x", "b": "y", "c": "z", "d": "w"}}

LIMIT_REQUESTS = [
    ("POST /form", {"data": {"a": "x" * 1024}}),
    ("POST /form", {"data": {"a": "x" * 1025}}),
    ("POST /form", {"files": {"a": (None, "x" * 1025)}}),
    ("POST /form", {"files": {"a": (None, "x" * 1024)}}),
    ("POST /form", {"data": {"a": "x", "b": "y", "c": "z"}}),
    ("POST /form", _FIELDS_4),
    ("POST /form", {"files": {k: (None, v) for k, v in _FIELDS_4["data"].items()}}),
    ("POST /files", {"files": [("files", ("a", b"x" * 5000)), ("files", ("b", b"y"))]}),
    ("POST /files", _FILES_3),
    ("POST /roomy", {"data": {"a": "x" * 4000, "b": "y", "c": "z", "d": "w"}}),
    ("POST /roomy", {"data": {"a": "x"}, **_FILES_3}),
]


@pytest.mark.parametrize("req", LIMIT_REQUESTS)
def test_form_limits(same: Any, req: Any) -> None:
    """form_limits (max_fields, max_files, max_part_size) give FastAPI's 400s; a route's own limits win."""
    same(build_limited, req)


def build_body_limit(fw: Any) -> Any:
    app = fw.FastAPI(max_body_size=64)

    @app.post("/json")
    async def json_body(item: dict[str, Any]) -> Any:
        return item

    @app.post("/big", max_body_size=1000)
    async def big(item: dict[str, Any]) -> Any:
        return {"keys": len(item)}

    return app


def _chunks(size: int) -> Any:
    """A body without Content-Length (sent chunked), in 10-byte pieces: a new generator per request."""

    class Body:
        def __repr__(self) -> str:  # NOTE: a stable test id, the same in every xdist worker
            return f"<{size} bytes, chunked>"

        def __iter__(self) -> Any:
            data = b'{"k": "' + b"x" * (size - 10) + b'"}'
            return iter([data[i : i + 10] for i in range(0, len(data), 10)])

    return Body()


BODY_LIMIT_REQUESTS = [
    ("POST /json", {"json": {"a": 1}}),
    ("POST /json", {"content": _chunks(200), "headers": {"content-type": "application/json"}}),
    ("POST /big", {"json": {"a": "x" * 200}}),
    ("POST /big", {"content": _chunks(2000), "headers": {"content-type": "application/json"}}),
]


@pytest.mark.parametrize("req", BODY_LIMIT_REQUESTS)
def test_max_body_size_while_streaming(same: Any, req: Any) -> None:
    """A chunked body over max_body_size is cut off with FastAPI's 413; a route's larger limit wins."""
    same(build_body_limit, req)


@pytest.mark.parametrize("path", ["/json", "/big"])
def test_declared_length_over_limit_is_413(fw: Any, send: Any, path: str) -> None:
    """A Content-Length over the limit answers 413 on both (vivace with a JSON body, FastAPI with plain text)."""
    [outcome] = send(build_body_limit(fw), ("POST " + path, {"content": b"{}" + b" " * 5000}))
    assert outcome[0] == 413


def test_files_are_closed_after_the_response_and_open_in_background_tasks(fw: Any, send: Any) -> None:
    """An upload stays readable in a background task and is closed once the response is done."""
    app = fw.FastAPI()
    kept: list[Any] = []
    read_later: list[bytes] = []

    @app.post("/keep")
    async def keep(file: fw.UploadFile, tasks: fw.BackgroundTasks) -> Any:
        kept.append(file)

        async def later() -> None:
            await file.seek(0)
            read_later.append(await file.read())

        tasks.add_task(later)
        return {"closed": file.file.closed}

    [outcome] = send(app, ("POST /keep", {"files": {"file": ("a.txt", b"payload")}}))
    assert outcome[2] == b'{"closed":false}'
    assert read_later == [b"payload"]
    assert kept[0].file.closed


def test_files_are_closed_after_a_validation_error(fw: Any, send: Any) -> None:
    """A request rejected with 422 still closes the files it uploaded."""
    app = fw.FastAPI()
    opened: list[Any] = []

    async def spy(file: fw.UploadFile) -> Any:
        opened.append(file)
        return file

    @app.post("/needs-token")
    async def needs_token(token: Annotated[str, fw.Form()], file: Any = fw.Depends(spy)) -> Any:
        return {"token": token}

    [outcome] = send(app, ("POST /needs-token", {"files": {"file": ("a.txt", b"x")}}))
    assert outcome[0] == 422
    assert len(opened) == 1 and opened[0].file.closed
