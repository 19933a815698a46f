"""The samples of docs/guide/forms-and-files.md run and do what the page says."""

from typing import Any

from samples import client_for

MIB = 1024 * 1024


def error_of(response: Any) -> tuple[list[Any], str]:
    """(loc, type) of the first validation error in a 422 response."""
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    return error["loc"], error["type"]


def test_form_fields() -> None:
    """Form fields are converted and constrained; a missing field is a 422 at ["body", name]."""
    client = client_for("forms_fields")
    response = client.post("/login", data={"username": "ada", "password": "pw", "remember": "on"})
    assert response.json() == {"username": "ada", "remember": True}
    assert error_of(client.post("/login", data={"username": "ad", "password": "pw"})) == (
        ["body", "username"],
        "string_too_short",
    )
    assert error_of(client.post("/login", data={"username": "ada"})) == (["body", "password"], "missing")


def test_form_model() -> None:
    """A form model takes repeated fields as a list and, with extra="forbid", refuses unknown fields."""
    client = client_for("forms_fields")
    response = client.post("/newsletter", data={"email": "a@b", "topics": ["jazz", "news"]})
    assert response.json() == {"email": "a@b", "topics": ["jazz", "news"], "frequency": "weekly"}
    assert error_of(client.post("/newsletter", data={"email": "a@b", "spam": "yes"})) == (
        ["body", "spam"],
        "extra_forbidden",
    )


def test_union_of_form_models() -> None:
    """The discriminator picks the model; errors name the chosen member."""
    client = client_for("forms_fields")
    assert client.post("/contacts", data={"kind": "person", "name": "Ada"}).json() == {"kind": "person", "name": "Ada"}
    company = client.post("/contacts", data={"kind": "company", "company_name": "Acme", "employees": "12"})
    assert company.json() == {"kind": "company", "company_name": "Acme", "employees": 12}
    assert error_of(client.post("/contacts", data={"kind": "company"})) == (
        ["body", "company", "company_name"],
        "missing",
    )
    assert error_of(client.post("/contacts", data={"kind": "robot"}))[1] == "union_tag_invalid"


def test_upload_file() -> None:
    """UploadFile gives the name, type and size, and reads asynchronously."""
    client = client_for("forms_files")
    response = client.post("/avatar", files={"file": ("me.png", b"\x89PNG\r\n\x1a\n....", "image/png")})
    assert response.json() == {"filename": "me.png", "type": "image/png", "size": 12, "png": True}
    assert error_of(client.post("/avatar", data={"file": "text"}))[0] == ["body", "file"]


def test_bytes_file() -> None:
    """A bytes parameter receives the whole content."""
    client = client_for("forms_files")
    assert client.post("/checksum", files={"data": ("d.bin", bytes([1, 2, 3]))}).json() == {"size": 3, "sum": 6}


def test_several_files_with_fields() -> None:
    """A list of files, a text field and an optional file arrive together; the optional one may be left out."""
    client = client_for("forms_files")
    files = [("photos", ("a.jpg", b"a")), ("photos", ("b.jpg", b"b")), ("description", ("d.txt", b"Summer"))]
    response = client.post("/albums/trip/photos", data={"caption": "Beach"}, files=files)
    expected = {"album": "trip", "caption": "Beach", "photos": ["a.jpg", "b.jpg"], "description": "Summer"}
    assert response.json() == expected
    response = client.post("/albums/trip/photos", data={"caption": "Beach"}, files=files[:1])
    assert response.json()["description"] is None
    assert error_of(client.post("/albums/trip/photos", data={"caption": "Beach"})) == (["body", "photos"], "missing")


def test_app_limits() -> None:
    """The app's max_body_size refuses a larger JSON body with FastAPI's 413."""
    client = client_for("forms_limits")
    assert client.post("/notes", json={"a": 1}).json() == {"keys": 1}
    response = client.post("/notes", json={"a": "x" * (2 * MIB)})
    assert (response.status_code, response.json()) == (413, {"detail": "Content Too Large"})


def test_router_and_route_upload_limits() -> None:
    """The uploads router allows bodies past the app's 2 MiB; the route allows at most three files."""
    client = client_for("forms_limits")
    big = ("big.bin", b"x" * (3 * MIB))
    response = client.post("/uploads/", data={"title": "t"}, files=[("files", big)])
    assert response.json() == {"title": "t", "sizes": [3 * MIB]}
    four = [("files", (f"{n}.txt", b"x")) for n in range(4)]
    response = client.post("/uploads/", files=four)
    assert (response.status_code, response.json()) == (400, {"detail": "Too many files. Maximum number of files is 3."})


def test_streamed_raw_upload() -> None:
    """A streamed body is bounded only by the route's own max_body_size."""
    client = client_for("forms_limits")

    def body() -> Any:
        yield from (b"x" * MIB for _ in range(20))

    assert client.put("/uploads/raw/data.bin", content=body()).json() == {"name": "data.bin", "size": 20 * MIB}
