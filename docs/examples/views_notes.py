"""Class-based views: a notes API whose operations share the store and the caller, declared once."""

from typing import Annotated

from pydantic import BaseModel

from vivace import Depends, FastAPI, Header, HTTPException
from vivace.views import View, delete, get, post


class Note(BaseModel):
    id: int
    text: str


NOTES: dict[str, dict[int, Note]] = {}


def notebook(x_user: Annotated[str, Header()]) -> dict[int, Note]:
    """The caller's notes (a real app would open a database session here)."""
    return NOTES.setdefault(x_user, {})


class NoteViews(View):
    path = "/notes"
    tags = ("notes",)
    # Resolved for every request, like a parameter of each method:
    notes: Annotated[dict[int, Note], Depends(notebook)]

    @get("/")
    async def list_notes(self, limit: int = 10) -> list[Note]:
        return list(self.notes.values())[:limit]

    @post("/", status_code=201)
    async def add_note(self, note: Note) -> Note:
        self.notes[note.id] = note
        return note

    @get("/{note_id}")
    async def read_note(self, note_id: int) -> Note:
        return self._find(note_id)

    @delete("/{note_id}", status_code=204)
    async def remove_note(self, note_id: int) -> None:
        del self.notes[self._find(note_id).id]

    def _find(self, note_id: int) -> Note:
        # A plain method: shared code, not an operation.
        if note_id not in self.notes:
            raise HTTPException(404, "No such note")
        return self.notes[note_id]


app = FastAPI()
app.include_router(NoteViews.as_router(), prefix="/api")
