"""AsyncAPI: a chat WebSocket and an SSE feed of notes, described at /asyncapi.json and shown at /asyncapi."""

from collections.abc import AsyncIterator
from typing import Literal

from pydantic import BaseModel

from vivace import FastAPI, WebSocket, WebSocketDisconnect
from vivace.asyncapi import AsyncAPI, messages
from vivace.sse import EventSourceResponse, ServerSentEvent


class Say(BaseModel):
    text: str


class Said(BaseModel):
    user: str
    text: str


class Note(BaseModel):
    id: int
    title: str


class NoteAdded(ServerSentEvent):
    """Sent when someone adds a note."""

    data: Note
    event: Literal["note-added"] = "note-added"


app = FastAPI(title="Chat")
AsyncAPI(app)  # opt-in: serves /asyncapi.json and /asyncapi


@app.websocket("/rooms/{room}")
@messages(receives=Say, sends=Said)
async def room(websocket: WebSocket, room: str) -> None:
    """Talk in a room: every message sent is echoed with the sender's name."""
    await websocket.accept()
    try:
        while True:
            said = Say.model_validate(await websocket.receive_json())
            await websocket.send_json(Said(user="you", text=said.text).model_dump())
    except WebSocketDisconnect:
        return  # the client left


@app.get("/notes/events", response_class=EventSourceResponse)
async def note_events() -> AsyncIterator[NoteAdded]:
    yield NoteAdded(data=Note(id=1, title="first"))
