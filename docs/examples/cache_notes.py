# A notes API whose reads are cached in memory and whose writes invalidate what they change.
from typing import Annotated

from pydantic import BaseModel

from vivace import Depends, FastAPI, HTTPException
from vivace.cache import Cache


class Note(BaseModel):
    id: int
    body: str


app = FastAPI()
cache = Cache()  # memory: bounded, least recently used entries evicted first
notes: dict[int, Note] = {1: Note(id=1, body="Buy milk")}


@app.get("/notes")
@cache.cached(ttl=60, tags=["note-lists"])
async def list_notes(limit: int = 20) -> list[Note]:
    return list(notes.values())[:limit]


@app.get("/notes/{note_id}")
@cache.cached(ttl=300, tags=[lambda request: f"note:{request.path_params['note_id']}"])
async def read_note(note_id: int) -> Note:
    if note_id not in notes:
        raise HTTPException(status_code=404, detail="No such note")
    return notes[note_id]


CacheDep = Annotated[Cache, Depends(cache)]


@app.put("/notes/{note_id}")
async def save_note(note_id: int, note: Note, cache: CacheDep) -> Note:
    notes[note_id] = note
    await cache.invalidate_tags("note-lists", f"note:{note_id}")  # the lists and this note, nothing else
    return note
