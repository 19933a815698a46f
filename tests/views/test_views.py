"""Class-based views: shared class attributes resolved per request, one route per method, OpenAPI unchanged."""

# NOTE: no `from __future__ import annotations` here on purpose: the views are defined inside test functions, and
# one test below checks the string-annotation case with a module-level view instead

import json
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, ClassVar

import pytest
from pydantic import BaseModel

from vivace import APIRouter, Depends, FastAPI, Header, HTTPException, Path, Request, WebSocket
from vivace.sse import EventSourceResponse
from vivace.testclient import TestClient
from vivace.views import View, delete, get, post, websocket


class Note(BaseModel):
    id: int
    text: str


class Store:
    def __init__(self) -> None:
        self.notes: dict[int, Note] = {1: Note(id=1, text="first")}
        self.opened = 0


STORE = Store()


def get_store() -> Store:
    STORE.opened += 1
    return STORE


def current_user(x_user: Annotated[str, Header()]) -> str:
    if x_user == "mallory":
        raise HTTPException(403, "Not allowed")
    return x_user


class Notes(View):
    path = "/notes"
    tags: ClassVar[list[str]] = ["notes"]
    store: Annotated[Store, Depends(get_store)]
    user: Annotated[str, Depends(current_user)]

    @get("/")
    async def list_notes(self, limit: int = 10) -> list[Note]:
        return list(self.store.notes.values())[:limit]

    @get("/{note_id}")
    def read_note(self, note_id: int) -> Note:
        note = self.store.notes.get(note_id)
        if note is None:
            raise HTTPException(404, "No such note")
        return note

    @post("/", status_code=201)
    async def add_note(self, note: Note) -> Note:
        self.store.notes[note.id] = note
        return note

    @delete("/{note_id}", status_code=204)
    def remove_note(self, note_id: int) -> None:
        self.store.notes.pop(note_id, None)

    def helper(self) -> str:  # not routed: stays a plain method
        return self.user


def equivalent_router() -> APIRouter:
    """The same operations written as functions taking the attributes first."""
    router = APIRouter(prefix="/notes", tags=["notes"])
    store = Annotated[Store, Depends(get_store)]
    user = Annotated[str, Depends(current_user)]

    @router.get("/")
    async def list_notes(store: store, user: user, limit: int = 10) -> list[Note]: ...

    @router.get("/{note_id}")
    def read_note(store: store, user: user, note_id: int) -> Note: ...

    @router.post("/", status_code=201)
    async def add_note(store: store, user: user, note: Note) -> Note: ...

    @router.delete("/{note_id}", status_code=204)
    def remove_note(store: store, user: user, note_id: int) -> None: ...

    return router


def document(router: APIRouter, **options: Any) -> str:
    app = FastAPI()
    app.include_router(router, **options)
    return json.dumps(app.openapi(), sort_keys=True)


def test_openapi_is_the_equivalent_function_routes() -> None:
    """The view's OpenAPI document is byte for byte that of functions with the attributes as first parameters."""
    assert document(Notes.as_router()) == document(equivalent_router())
    options = {"prefix": "/api", "tags": ["v1"], "dependencies": [Depends(get_store)]}
    assert document(Notes.as_router(), **options) == document(equivalent_router(), **options)


def test_methods_serve_with_shared_attributes() -> None:
    """Each method sees the attributes resolved for its request; errors from them answer as usual."""
    app = FastAPI()
    app.include_router(Notes.as_router(), prefix="/api")
    client = TestClient(app)
    headers = {"x-user": "ada"}
    assert client.get("/api/notes/", headers=headers).json() == [{"id": 1, "text": "first"}]
    assert client.post("/api/notes/", json={"id": 2, "text": "two"}, headers=headers).status_code == 201
    assert client.get("/api/notes/2", headers=headers).json() == {"id": 2, "text": "two"}
    assert client.get("/api/notes/9", headers=headers).json() == {"detail": "No such note"}
    assert client.delete("/api/notes/2", headers=headers).status_code == 204
    assert client.get("/api/notes/", headers={"x-user": "mallory"}).status_code == 403
    missing = client.get("/api/notes/").json()["detail"][0]
    assert (missing["loc"], missing["type"]) == (["header", "x-user"], "missing")


def test_a_fresh_instance_per_request() -> None:
    """Instances never leak between requests, and __init__ receives the values (an override may add its own)."""
    made: list[Any] = []

    class Counter(View):
        user: Annotated[str, Depends(current_user)]

        def __init__(self, **values: Any) -> None:
            super().__init__(**values)
            self.calls = 0
            made.append(self)

        @get("/count")
        def count(self) -> dict[str, Any]:
            self.calls += 1
            return {"user": self.user, "calls": self.calls}

    app = FastAPI()
    app.include_router(Counter.as_router())
    client = TestClient(app)
    assert client.get("/count", headers={"x-user": "a"}).json() == {"user": "a", "calls": 1}
    assert client.get("/count", headers={"x-user": "b"}).json() == {"user": "b", "calls": 1}
    assert len(made) == 2 and made[0] is not made[1]


def test_dependency_overrides_reach_attributes() -> None:
    """app.dependency_overrides replaces an attribute's dependency like any other."""
    app = FastAPI()
    app.include_router(Notes.as_router())
    app.dependency_overrides[current_user] = lambda: "tester"
    assert TestClient(app).get("/notes/1").json() == {"id": 1, "text": "first"}


def test_shared_path_parameter_and_class_settings() -> None:
    """An attribute can be a path parameter of the class's path; dependencies/responses on the class apply."""
    seen: list[str] = []

    def audit(request: Request) -> None:
        seen.append(request.url.path)

    class UserNotes(View):
        path = "/users/{user_id}/notes"
        dependencies = (Depends(audit),)
        responses: ClassVar[dict[int | str, dict[str, Any]]] = {404: {"description": "No such user"}}
        user_id: Annotated[int, Path(ge=1)]

        @get("")
        def list_for(self) -> dict[str, int]:
            return {"user": self.user_id}

    app = FastAPI()
    app.include_router(UserNotes.as_router())
    client = TestClient(app)
    assert client.get("/users/7/notes").json() == {"user": 7}
    assert client.get("/users/0/notes").status_code == 422
    assert seen == ["/users/7/notes", "/users/0/notes"]  # NOTE: dependencies run beside validation, as in FastAPI
    operation = app.openapi()["paths"]["/users/{user_id}/notes"]["get"]
    assert operation["responses"]["404"] == {"description": "No such user"}
    assert [p["name"] for p in operation["parameters"]] == ["user_id"]


def test_inheritance_keeps_routes_and_attributes() -> None:
    """A subclass inherits attributes and routes; an undecorated override keeps the route with the new code."""

    class Base(View):
        user: Annotated[str, Depends(current_user)]

        @get("/who")
        def who(self) -> str:
            return self.user

        @get("/hello")
        def hello(self) -> str:
            return "hello"

    class Loud(Base):
        path = "/loud"

        def who(self) -> str:
            return self.user.upper()

    app = FastAPI()
    app.include_router(Base.as_router())
    app.include_router(Loud.as_router())
    client = TestClient(app)
    headers = {"x-user": "ada"}
    assert client.get("/who", headers=headers).json() == "ada"
    assert client.get("/loud/who", headers=headers).json() == "ADA"
    assert client.get("/loud/hello", headers=headers).json() == "hello"


def test_several_routes_on_one_method_and_streams() -> None:
    """Stacked decorators give one route each, in the order written; generator methods stream."""

    class Feed(View):
        user: Annotated[str, Depends(current_user)]

        @get("/a")
        @get("/b")
        def both(self) -> str:
            return self.user

        @get("/lines")
        def lines(self) -> Iterator[int]:
            yield from range(3)

        @get("/events", response_class=EventSourceResponse)
        async def events(self) -> AsyncIterator[str]:
            yield self.user

    router = Feed.as_router()
    assert [getattr(r, "path", None) for r in router.routes] == ["/a", "/b", "/lines", "/events"]
    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    headers = {"x-user": "ada"}
    assert client.get("/a", headers=headers).json() == client.get("/b", headers=headers).json() == "ada"
    assert client.get("/lines", headers=headers).text.split() == ["0", "1", "2"]
    assert client.get("/events", headers=headers).text == 'data: "ada"\n\n'


def test_websocket_method() -> None:
    """A @websocket method receives the WebSocket with the attributes resolved for the handshake."""

    class Chat(View):
        path = "/chat"
        user: Annotated[str, Depends(current_user)]

        @websocket("/ws")
        async def talk(self, socket: WebSocket) -> None:
            await socket.accept()
            await socket.send_text(f"hi {self.user}: {await socket.receive_text()}")
            await socket.close()

    app = FastAPI()
    app.include_router(Chat.as_router())
    with TestClient(app).websocket_connect("/chat/ws", headers={"x-user": "ada"}) as socket:
        socket.send_text("yo")
        assert socket.receive_text() == "hi ada: yo"


def test_declaration_errors() -> None:
    """A parameter named like an attribute, a routed method without self, or a routed non-method fail early."""

    class Clash(View):
        user: Annotated[str, Depends(current_user)]

        @get("/")
        def read(self, user: str) -> str:
            return user

    with pytest.raises(TypeError, match="named like class attributes: \\['user'\\]"):
        Clash.as_router()

    class NoSelf(View):
        @get("/")
        def read() -> str:  # type: ignore[misc]  # forgot self
            return ""

    with pytest.raises(TypeError, match="must take `self` first"):
        NoSelf.as_router()
    with pytest.raises(TypeError, match="plain method"):
        get("/")(classmethod(lambda cls: None))  # type: ignore[type-var]


def test_class_var_and_settings_are_not_request_values() -> None:
    """ClassVar annotations and View's own settings never become parameters."""

    class Plain(View):
        path = "/plain"
        limit: ClassVar[int] = 5

        @get("/")
        def read(self) -> int:
            return self.limit

    app = FastAPI()
    app.include_router(Plain.as_router())
    assert TestClient(app).get("/plain/").json() == 5
    assert "parameters" not in app.openapi()["paths"]["/plain/"]["get"]
