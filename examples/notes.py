"""`/notes`: create, list, read, change, delete and export the signed-in user's notes."""

from __future__ import annotations

from typing import Annotated

from vivace import APIRouter, BackgroundTasks, Depends, HTTPException, Path, Query, status
from vivace.responses import PlainTextResponse

from .deps import CurrentUser, SettingsDep, StoreDep
from .models import Note, NoteIn, NotePage, NotePatch, NoteQuery

__all__ = ["MarkdownResponse", "QuotaExceeded", "router"]

router = APIRouter()


class QuotaExceeded(Exception):
    """Raised when a user already has `limit` notes; `examples.app` turns it into a 409 response."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"note limit reached ({limit})")
        self.limit = limit


class MarkdownResponse(PlainTextResponse):
    media_type = "text/markdown"


def get_owned_note(note_id: Annotated[int, Path(ge=1)], user: CurrentUser, store: StoreDep) -> Note:
    """The note `note_id` if the current user owns it. Someone else's note is a 404 too, so ids do not leak."""
    note = store.get(note_id)
    if note is None or note.owner != user.username:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Note not found")
    return note


OwnedNote = Annotated[Note, Depends(get_owned_note)]


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_note(
    data: NoteIn, user: CurrentUser, store: StoreDep, settings: SettingsDep, background_tasks: BackgroundTasks
) -> Note:
    if store.count(user.username) >= settings.max_notes_per_user:
        raise QuotaExceeded(settings.max_notes_per_user)
    note = store.create(user.username, data)
    # NOTE: runs after the response is sent, so logging never delays the client.
    background_tasks.add_task(store.record, user.username, "created", note.id)
    return note


@router.get("")
async def list_notes(
    query: Annotated[NoteQuery, Query()], user: CurrentUser, store: StoreDep, settings: SettingsDep
) -> NotePage:
    """A page of the user's notes, filtered and ordered by the query; `limit` is capped by the settings."""
    limit = min(query.limit, settings.max_page_size)
    items, total = store.search(user.username, query, limit)
    return NotePage(items=items, total=total, limit=limit, offset=query.offset)


@router.get("/{note_id}")
async def read_note(note: OwnedNote) -> Note:
    return note


@router.patch("/{note_id}")
async def update_note(patch: NotePatch, note: OwnedNote, store: StoreDep, background_tasks: BackgroundTasks) -> Note:
    updated = store.update(note.id, patch.changes())
    background_tasks.add_task(store.record, note.owner, "updated", note.id)
    return updated


@router.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_note(note: OwnedNote, store: StoreDep, background_tasks: BackgroundTasks) -> None:
    store.delete(note.id)
    background_tasks.add_task(store.record, note.owner, "deleted", note.id)


# A plain `def`: vivace runs it in the thread pool, so blocking work here (rendering now, a SQLite query
# later) does not hold up the event loop.
@router.get("/{note_id}/markdown", response_class=MarkdownResponse)
def export_markdown(note: OwnedNote) -> str:
    lines = [f"# {note.title}", ""]
    if note.tags:
        lines += [" ".join(f"#{tag}" for tag in note.tags), ""]
    if note.body:
        lines += [note.body, ""]
    lines += [f"- [{'x' if item.done else ' '}] {item.text}" for item in note.checklist]
    return "\n".join(lines).rstrip() + "\n"
