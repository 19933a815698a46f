"""The samples of docs/guide/openapi.md run and produce the documents and pages the page describes."""

import re
from pathlib import Path
from typing import Any

from openapi_spec_validator import OpenAPIV30SpecValidator
from samples import load

from vivace.testclient import TestClient


def errors_30(document: dict[str, Any]) -> list[str]:
    return [error.message for error in OpenAPIV30SpecValidator(document).iter_errors()]


def test_metadata_sample() -> None:
    """App metadata, tags, summary, docstring, response description and named examples land in the document."""
    document = TestClient(load("openapi_metadata").app).get("/openapi.json").json()
    assert document["info"] == {
        "title": "Bookshop",
        "summary": "Books, shelves and orders.",
        "description": "Everything the shop sells, **in Markdown**.",
        "contact": {"name": "Shop team", "email": "team@bookshop.example"},
        "license": {"name": "MIT", "identifier": "MIT"},
        "version": "2.1.0",
    }
    assert document["tags"] == [{"name": "books", "description": "The catalogue."}]
    assert list(document["paths"]) == ["/books"]  # include_in_schema=False hides /internal/stats
    operation = document["paths"]["/books"]["post"]
    assert operation["summary"] == "Add a book"
    assert operation["description"].startswith("Store a book in the catalogue.")
    assert operation["responses"]["201"]["description"] == "The book as stored"
    assert "422" in operation["responses"]
    assert list(operation["requestBody"]["content"]["application/json"]["examples"]) == ["classic", "untitled-year"]
    book = document["components"]["schemas"]["Book"]["properties"]
    assert book["title"]["examples"] == ["Dune"]
    assert book["year"]["description"] == "Year of first publication"


def test_docs_pages_sample() -> None:
    """Swagger UI moves to /documentation with the given options, loads only local assets; /redoc is gone."""
    client = TestClient(load("openapi_docs_pages").app)
    page = client.get("/documentation")
    assert page.status_code == 200
    assert '"defaultModelsExpandDepth": -1' in page.text and '"tryItOutEnabled": true' in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(url.startswith("/_vivace/static/") for url in assets)
    assert all(client.get(url).status_code == 200 for url in assets)
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


def test_openapi_30_sample(tmp_path: Path) -> None:
    """write_openapi_30 writes a valid OpenAPI 3.0.3 file where the optional query parameter is `nullable`."""
    sample = load("openapi_30")
    target = tmp_path / "openapi.json"
    document = sample.write_openapi_30(target)
    assert target.is_file()
    assert document["openapi"] == "3.0.3"
    assert errors_30(document) == []
    [_, fields] = document["paths"]["/books/{book_id}"]["get"]["parameters"]
    assert fields["schema"] == {"type": "string", "title": "Fields", "nullable": True}
    assert sample.app.openapi()["openapi"] == "3.1.0", "the app itself still serves 3.1"


def test_openapi_30_app_sample() -> None:
    """Setting app.openapi_version to "3.0.3" makes /openapi.json a valid 3.0 document."""
    document = TestClient(load("openapi_30_app").app).get("/openapi.json").json()
    assert document["openapi"] == "3.0.3"
    assert errors_30(document) == []
    [author] = document["paths"]["/books"]["get"]["parameters"]
    assert author["schema"]["nullable"] is True
