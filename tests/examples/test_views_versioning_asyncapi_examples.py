"""The samples of the class-based views, versioning, AsyncAPI and declared-errors pages do what the pages say."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from openapi_spec_validator import validate
from samples import client_for, load

from vivace.testclient import TestClient

ASYNCAPI_SCHEMA = Path(__file__).parents[1] / "asyncapi" / "asyncapi-3.0.0.schema.json"


def test_views_notes() -> None:
    """The notes view lists, adds, reads and deletes the caller's notes; the shared header is required."""
    client = client_for("views_notes")
    ada = {"x-user": "ada"}
    assert client.post("/api/notes/", json={"id": 1, "text": "milk"}, headers=ada).status_code == 201
    assert client.get("/api/notes/", headers=ada).json() == [{"id": 1, "text": "milk"}]
    assert client.get("/api/notes/", headers={"x-user": "bob"}).json() == []
    assert client.get("/api/notes/1", headers=ada).json() == {"id": 1, "text": "milk"}
    assert client.delete("/api/notes/1", headers=ada).status_code == 204
    assert client.get("/api/notes/1", headers=ada).json() == {"detail": "No such note"}
    assert client.get("/api/notes/").status_code == 422
    operation = client.get("/openapi.json").json()["paths"]["/api/notes/"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["limit", "x-user"]
    assert operation["tags"] == ["notes"]


def test_versioning_path() -> None:
    """v1 answers the old shape with Deprecation and Sunset; v2 the new one; /stats only from v3."""
    client = client_for("versioning_path")
    old = client.get("/v1/books/1")
    assert old.json() == {"title": "Dune"}
    assert (old.headers["deprecation"], old.headers["sunset"]) == ("@1735689600", "Thu, 31 Dec 2026 00:00:00 GMT")
    assert client.get("/v2/books/1").json() == {"title": "Dune", "year": 1965}
    assert "deprecation" not in client.get("/v2/books/1").headers
    assert client.get("/v2/stats").status_code == 404
    assert client.get("/v3/stats").json() == {"books": 1}
    document = client.get("/v1/openapi.json").json()
    validate(document)
    assert sorted(document["paths"]) == ["/v1/books", "/v1/books/{book_id}"]
    assert document["paths"]["/v1/books"]["get"]["deprecated"] is True
    assert client.get("/v3/docs").status_code == 200


def test_versioning_header() -> None:
    """The header picks the greeting; the legacy search is deprecated in every version; bad versions are 400s."""
    client = client_for("versioning_header")
    assert client.get("/greeting").json() == {"text": "hello"}
    assert client.get("/greeting", headers={"Accept-Version": "1"}).json() == "hello"
    assert client.get("/greeting", headers={"Accept-Version": "3"}).status_code == 400
    legacy = client.get("/legacy-search", params={"q": "x"}, headers={"Accept-Version": "1"})
    assert legacy.json() == ["x"]
    assert legacy.headers["deprecation"] == "@1748736000"
    assert legacy.headers["link"] == '<https://example.com/search-v2>; rel="deprecation"'
    parameters = client.get("/v1/openapi.json").json()["paths"]["/greeting"]["get"]["parameters"]
    assert parameters[0]["name"] == "Accept-Version"


def test_asyncapi_chat() -> None:
    """The chat sample's AsyncAPI document is valid and describes the room and the note events; the room echoes."""
    client = TestClient(load("asyncapi_chat").app)
    document = client.get("/asyncapi.json").json()
    assert list(jsonschema.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text())).iter_errors(document)) == []
    assert sorted(document["channels"]) == ["note_events", "room"]
    assert document["components"]["messages"]["NoteAdded"]["name"] == "note-added"
    assert client.get("/asyncapi").status_code == 200
    with client.websocket_connect("/rooms/lobby") as socket:
        socket.send_json({"text": "hi"})
        assert socket.receive_json() == {"user": "you", "text": "hi"}


def test_declared_errors() -> None:
    """/me documents the 401, /everything the 403 and the 401, each with the Problem schema; answers match."""
    client = client_for("declared_errors")
    document = client.get("/openapi.json").json()
    validate(document)
    assert set(document["paths"]["/me"]["get"]["responses"]) == {"200", "401", "422"}
    everything = document["paths"]["/everything"]["delete"]["responses"]
    assert list(everything) == ["200", "403", "401", "422"]
    assert everything["403"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
    assert client.get("/me").status_code == 401
    assert client.delete("/everything", headers={"x-token": "bob-token"}).json() == {"detail": "Only Ada may do this"}
    assert client.delete("/everything", headers={"x-token": "ada-token"}).json() == "gone"
