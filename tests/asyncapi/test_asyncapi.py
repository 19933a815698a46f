"""The AsyncAPI 3.0 document of WebSocket and SSE endpoints: contents, validity, serving, and OpenAPI left alone."""

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel

from vivace import APIRouter, FastAPI, Header, Query, WebSocket
from vivace.asyncapi import AsyncAPI, ChannelSpec, MessageSpec, build_document, messages
from vivace.sse import EventSourceResponse, ServerSentEvent
from vivace.testclient import TestClient

SCHEMA = json.loads((Path(__file__).parent / "asyncapi-3.0.0.schema.json").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def valid(document: dict[str, Any]) -> dict[str, Any]:
    """`document`, after checking it against the AsyncAPI 3.0 schema and that every local $ref resolves."""
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(document)]
    assert errors == []
    for ref in _refs(document):
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
    return document


class ChatIn(BaseModel):
    text: str


class ChatOut(BaseModel):
    user: str
    text: str


class Note(BaseModel):
    id: int
    title: str


class NoteAdded(ServerSentEvent):
    """A note was added."""

    data: Note
    event: Literal["note-added"] = "note-added"


class Bye(ServerSentEvent):
    data: str
    event: Literal["bye"] = "bye"


def chat_app() -> FastAPI:
    app = FastAPI(title="Chat", version="2.0", description="Rooms and notes")

    @app.websocket("/rooms/{room}")
    @messages(receives=ChatIn, sends=[ChatOut, MessageSpec(Note, title="Pinned note")], description="Talk in a room")
    async def room(
        websocket: WebSocket, room: str, token: Annotated[str | None, Query()] = None,
        x_client: Annotated[str, Header()] = "web",
    ) -> None:
        await websocket.accept()

    @app.get("/notes/stream", response_class=EventSourceResponse, summary="New notes")
    async def note_stream() -> AsyncIterator[Note]:
        yield Note(id=1, title="first")

    @app.get("/events", response_class=EventSourceResponse)
    def events() -> Iterator[NoteAdded | Bye]:
        yield Bye(data="done")

    @app.get("/plain")
    def plain() -> Note:
        return Note(id=1, title="no channel")

    return app


def test_websocket_channel() -> None:
    """A WebSocket route: its address and parameters, ws binding, a send and a receive operation, shared schemas."""
    document = valid(AsyncAPI(chat_app(), url=None, docs_url=None).document())
    assert document["asyncapi"] == "3.0.0"
    assert document["info"] == {"title": "Chat", "version": "2.0", "description": "Rooms and notes"}
    channel = document["channels"]["room"]
    assert channel["address"] == "/rooms/{room}"
    assert channel["description"] == "Talk in a room"
    assert channel["parameters"] == {"room": {}}
    assert sorted(channel["messages"]) == ["ChatIn", "ChatOut", "Pinned_note"]
    binding = channel["bindings"]["ws"]
    assert binding["query"]["properties"]["token"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert binding["headers"]["properties"]["x-client"]["type"] == "string"
    operations = document["operations"]
    assert operations["room.receive"]["action"] == "receive"
    assert operations["room.receive"]["messages"] == [{"$ref": "#/channels/room/messages/ChatIn"}]
    assert [m["$ref"].rsplit("/", 1)[1] for m in operations["room.send"]["messages"]] == ["ChatOut", "Pinned_note"]
    components = document["components"]
    assert components["messages"]["ChatIn"]["payload"] == {"$ref": "#/components/schemas/ChatIn"}
    assert components["messages"]["Pinned_note"]["title"] == "Pinned note"
    assert components["schemas"]["ChatOut"]["required"] == ["user", "text"]


def test_sse_channels() -> None:
    """An SSE route sends its item type; a ServerSentEvent subclass gives its data type and its event name."""
    document = valid(AsyncAPI(chat_app(), url=None, docs_url=None).document())
    assert set(document["channels"]) == {"room", "note_stream", "events"}  # /plain is not a channel
    stream = document["channels"]["note_stream"]
    assert (stream["address"], stream["summary"]) == ("/notes/stream", "New notes")
    http = {"http": {"method": "GET", "bindingVersion": "0.3.0"}}
    assert document["operations"]["note_stream.send"]["bindings"] == http
    assert "note_stream.receive" not in document["operations"]
    messages_ = document["components"]["messages"]
    assert messages_["NoteAdded"] == {
        "name": "note-added", "contentType": "application/json", "payload": {"$ref": "#/components/schemas/Note"},
        "title": "NoteAdded", "description": "A note was added.",
    }
    assert messages_["Bye"]["payload"] == {"type": "string"}
    assert messages_["Bye"]["name"] == "bye"


def test_messages_decorator_overrides_sse_items_and_untyped_streams() -> None:
    """@messages(sends=...) replaces the item type's messages; an untyped stream sends a message of any payload."""
    app = FastAPI()

    @app.get("/typed", response_class=EventSourceResponse)
    @messages(sends=[ChatOut, ChatIn])
    async def typed() -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(data=1)

    @app.get("/untyped", response_class=EventSourceResponse)
    async def untyped():  # type: ignore[no-untyped-def]  # the case under test
        yield 1

    document = valid(AsyncAPI(app, url=None, docs_url=None).document())
    assert sorted(document["channels"]["typed"]["messages"]) == ["ChatIn", "ChatOut"]
    [key] = document["channels"]["untyped"]["messages"]
    assert document["components"]["messages"][key]["payload"] == {}


def test_served_document_page_and_openapi_unchanged() -> None:
    """/asyncapi.json and /asyncapi are served; the OpenAPI document stays FastAPI's, without AsyncAPI routes."""
    app = chat_app()
    before = json.dumps(app.openapi(), sort_keys=True)
    AsyncAPI(app)
    app.openapi_schema = None
    assert json.dumps(app.openapi(), sort_keys=True) == before
    client = TestClient(app)
    served = client.get("/asyncapi.json")
    assert served.headers["content-type"] == "application/json"
    valid(served.json())
    page = client.get("/asyncapi")
    assert page.headers["content-type"].startswith("text/html")
    assert 'render("/asyncapi.json")' in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "") and "https://" not in page.text
    mounted = TestClient(app, root_path="/api").get("/asyncapi")
    assert 'render("/api/asyncapi.json")' in mounted.text


def test_openapi_of_a_sse_app_matches_fastapi() -> None:
    """With AsyncAPI served, the OpenAPI document of SSE and plain routes equals FastAPI's for the same app."""
    import fastapi
    import fastapi.sse

    def build(module: Any, sse: Any) -> Any:
        app = module.FastAPI()

        @app.get("/notes/stream", response_class=sse.EventSourceResponse)
        async def note_stream() -> AsyncIterator[Note]:
            yield Note(id=1, title="x")

        @app.get("/plain")
        def plain() -> Note:
            return Note(id=1, title="x")

        return app

    ours = build(__import__("vivace"), __import__("vivace.sse").sse)
    AsyncAPI(ours)
    theirs = build(fastapi, fastapi.sse)
    assert json.dumps(ours.openapi(), sort_keys=True) == json.dumps(theirs.openapi(), sort_keys=True)
    assert TestClient(ours).get("/notes/stream").text == 'data: {"id":1,"title":"x"}\n\n'


def test_not_served_unless_asked() -> None:
    """Without AsyncAPI(app), /asyncapi.json is a 404, as in FastAPI."""
    assert TestClient(chat_app()).get("/asyncapi.json").status_code == 404


def test_document_follows_routes_and_sources() -> None:
    """Routes added later (through included routers, with their prefix) and added sources appear on next build."""
    app = FastAPI()
    asyncapi = AsyncAPI(app, url=None, docs_url=None, title="Live", version="9", servers={
        "local": {"host": "localhost:8000", "protocol": "ws"},
    })
    assert valid(asyncapi.document())["channels"] == {}
    router = APIRouter()

    @router.websocket("/feed")
    @messages(sends=Note)
    async def feed(websocket: WebSocket) -> None:
        await websocket.accept()

    app.include_router(router, prefix="/live")
    assert valid(asyncapi.document())["channels"]["feed"]["address"] == "/live/feed"

    class Chatroom:
        def asyncapi_channels(self) -> list[ChannelSpec]:
            return [ChannelSpec(key="feed", address="chat:{room}", receives=[MessageSpec(ChatIn, name="say")],
                                parameters={"room": {"description": "the room"}})]

    asyncapi.add_source(Chatroom())
    document = valid(asyncapi.document())
    assert document["servers"] == {"local": {"host": "localhost:8000", "protocol": "ws"}}
    assert document["channels"]["feed2"]["address"] == "chat:{room}"
    assert document["operations"]["feed2.receive"]["messages"] == [{"$ref": "#/channels/feed2/messages/ChatIn"}]
    assert document["components"]["messages"]["ChatIn"]["name"] == "say"


def test_build_document_directly_and_bad_settings() -> None:
    """build_document works from specs alone; a docs page without a document is refused."""
    document = valid(build_document([ChannelSpec(key="a b", address="/a", sends=[MessageSpec(int)])],
                                    title="T", version="1"))
    assert list(document["channels"]) == ["a_b"]
    assert document["components"]["messages"]["a_b.sent"]["payload"] == {"type": "integer"}
    with pytest.raises(ValueError, match="needs the document"):
        AsyncAPI(FastAPI(), url=None)
