"""`/notes`: create, list (paginated and filtered), read, change, delete and export the user's notes."""

from __future__ import annotations

from typing import Annotated, Any

from sqlalchemy import ColumnElement, Select, func, or_, select

from vivace import APIRouter, BackgroundTasks, Depends, HTTPException, Path, Query, status
from vivace.responses import PlainTextResponse

from .cached_lists import NOT_MODIFIED, ListsCacheDep, cached_list, forget_lists
from .changelog import ChangeLogDep
from .database import SessionDep
from .schemas import MAX_ROW_ID, NoteFilter, NoteIn, NoteOut, NotePage, NotePatch
from .security import CurrentUser
from .settings import SettingsDep
from .tables import Note, Tag, utcnow

__all__ = ["NOTE_ERRORS", "MarkdownResponse", "OwnedNote", "QuotaExceeded", "get_owned_note", "router"]

router = APIRouter()

_ORDERS: dict[str, tuple[ColumnElement[Any], ...]] = {
    "created": (Note.created_at.asc(), Note.id.asc()),
    "-created": (Note.created_at.desc(), Note.id.desc()),
    "updated": (Note.updated_at.asc(), Note.id.asc()),
    "-updated": (Note.updated_at.desc(), Note.id.desc()),
    "title": (func.lower(Note.title).asc(), Note.id.asc()),
}


class QuotaExceeded(Exception):
    """Raised when a user already has `limit` notes; `examples.app` turns it into a 409 response."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"note limit reached ({limit})")
        self.limit = limit


class MarkdownResponse(PlainTextResponse):
    media_type = "text/markdown"


async def get_owned_note(
    note_id: Annotated[int, Path(ge=1, le=MAX_ROW_ID)], user: CurrentUser, session: SessionDep
) -> Note:
    """The note `note_id`: 404 if there is none, 403 if it belongs to someone else."""
    note = await session.get(Note, note_id)
    if note is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Note not found")
    if note.owner_id != user.id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="Not your note")
    return note


OwnedNote = Annotated[Note, Depends(get_owned_note)]
# For the OpenAPI document of every route that takes an OwnedNote.
NOTE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "The note belongs to someone else"},
    404: {"description": "No such note"},
}


def _like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, with the wildcard characters in it taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filtered(owner_id: int, query: NoteFilter) -> Select[Note]:
    statement = select(Note).where(Note.owner_id == owner_id, Note.archived == query.archived)
    if query.tag is not None:
        statement = statement.where(Note.tag_links.any(Tag.name == query.tag.strip().lower()))
    if query.q is not None:
        pattern = _like(query.q)
        statement = statement.where(or_(Note.title.ilike(pattern, escape="\\"), Note.body.ilike(pattern, escape="\\")))
    return statement


@router.get("", responses=NOT_MODIFIED)
@cached_list
async def list_notes(
    query: Annotated[NoteFilter, Query()], user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> NotePage:
    """A page of the user's notes, filtered and ordered by the query; `limit` is capped by the settings.

    Answers are cached per user and query, with an `ETag`: send it back in `If-None-Match` to get a 304 while
    the page is unchanged. Any change to one of the user's notes drops their cached pages.
    """
    statement = _filtered(user.id, query)
    total = await session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    limit = min(query.limit, settings.max_page_size)
    page = await session.scalars(statement.order_by(*_ORDERS[query.order]).limit(limit).offset(query.offset))
    return NotePage(
        items=[NoteOut.model_validate(note) for note in page], total=total, limit=limit, offset=query.offset
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses={409: {"description": "Note limit reached"}})
async def create_note(
    data: NoteIn,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    log: ChangeLogDep,
    lists: ListsCacheDep,
    background_tasks: BackgroundTasks,
) -> NoteOut:
    count = await session.scalar(select(func.count()).where(Note.owner_id == user.id)) or 0
    if count >= settings.max_notes_per_user:
        raise QuotaExceeded(settings.max_notes_per_user)
    now = utcnow()
    note = Note(owner_id=user.id, title=data.title, body=data.body, created_at=now, updated_at=now)
    # NOTE: empty collections are set explicitly, so reading them after the commit needs no query.
    note.tag_links, note.attachments = [], []
    note.set_tags(data.tags)
    session.add(note)
    await session.commit()
    await forget_lists(lists, user.id)
    # NOTE: runs after the response is sent, so the audit log never delays the client.
    background_tasks.add_task(log.record, user.id, note.id, "created", note.title)
    return NoteOut.model_validate(note)


@router.get("/{note_id}", responses=NOTE_ERRORS)
async def read_note(note: OwnedNote) -> NoteOut:
    return NoteOut.model_validate(note)


@router.patch("/{note_id}", responses=NOTE_ERRORS)
async def update_note(
    patch: NotePatch,
    note: OwnedNote,
    session: SessionDep,
    log: ChangeLogDep,
    lists: ListsCacheDep,
    background_tasks: BackgroundTasks,
) -> NoteOut:
    """Change the fields present in the body; a field sent as null is left as it is."""
    changes = patch.changes()
    if "tags" in changes:
        note.set_tags(changes.pop("tags"))
    for name, value in changes.items():
        setattr(note, name, value)
    note.updated_at = utcnow()
    await session.commit()
    await forget_lists(lists, note.owner_id)
    background_tasks.add_task(log.record, note.owner_id, note.id, "updated", note.title)
    return NoteOut.model_validate(note)


@router.delete("/{note_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOTE_ERRORS)
async def delete_note(
    note: OwnedNote, session: SessionDep, log: ChangeLogDep, lists: ListsCacheDep, background_tasks: BackgroundTasks
) -> None:
    await session.delete(note)
    await session.commit()
    await forget_lists(lists, note.owner_id)
    background_tasks.add_task(log.record, note.owner_id, note.id, "deleted", note.title)


@router.get("/{note_id}/markdown", response_class=MarkdownResponse, responses=NOTE_ERRORS)
async def export_markdown(note: OwnedNote) -> str:
    """The note as a Markdown document; `response_class` makes the returned string `text/markdown`."""
    lines = [f"# {note.title}", ""]
    if note.tags:
        lines += [" ".join(f"#{tag}" for tag in note.tags), ""]
    if note.body:
        lines += [note.body, ""]
    lines += [f"- attachment: {attachment.filename}" for attachment in note.attachments]
    return "\n".join(lines).rstrip() + "\n"
