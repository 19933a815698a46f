"""Sharing a note with another user, who is notified by a durable task (`notifications.py`), and reading it.

`POST /notes/{note_id}/share` records the share and sends the `notify_share` task with an idempotency key made
of the note, the recipient and the time of the share: sharing the same note with the same user again records
nothing new and sends no second notification (the answer says `duplicate`), however often the client retries.
`GET /shared` lists the notes others shared with the signed-in user; they stay read-only and out of `/notes`,
which lists one's own.
"""

from __future__ import annotations

from typing import Annotated, Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert

from vivace import APIRouter, Depends, HTTPException, Request, status
from vivace.tasks import Task, installed_tasks

from .database import SessionDep
from .notes import NOTE_ERRORS, OwnedNote
from .notifications import NOTIFY_SHARE
from .schemas import NoteOut, ShareIn, ShareOut
from .security import CurrentUser
from .tables import Note, NoteShare, User

__all__ = ["SHARE_ERRORS", "NotifyShareDep", "get_notify_share", "router"]

router = APIRouter()

SHARE_ERRORS: dict[int | str, dict[str, Any]] = {
    403: NOTE_ERRORS[403],
    404: {"description": "No such note, or no such user"},
    422: {"description": "Invalid body, or the note's owner named as the recipient"},
}


def get_notify_share(request: Request) -> Task[..., str]:
    """The `notify_share` task of the application serving the request (each application has its own tasks)."""
    tasks = installed_tasks(request.app)
    if tasks is None:  # pragma: no cover - create_app always installs them
        raise RuntimeError("the application has no durable tasks installed")
    task: Task[..., str] = tasks[NOTIFY_SHARE]
    return task


NotifyShareDep = Annotated[Task[..., str], Depends(get_notify_share)]


async def _recipient(session: SessionDep, username: str, owner: User) -> User:
    recipient = await session.scalar(select(User).where(User.username == username))
    if recipient is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="User not found")
    if recipient.id == owner.id:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail="A note cannot be shared with its owner")
    return recipient


def _share_key(share: NoteShare) -> str:
    """The notification's idempotency key: one per share row, so sharing again is a duplicate.

    NOTE: the time is part of it because SQLite may give a new note the id of a deleted one: a share of that new
    note is a new row with a new time, hence a new notification, not a duplicate of the old note's.
    """
    return f"share:{share.note_id}:{share.user_id}:{share.shared_at.timestamp():.6f}"


@router.post("/notes/{note_id}/share", status_code=status.HTTP_202_ACCEPTED, responses=SHARE_ERRORS)
async def share_note(
    data: ShareIn, note: OwnedNote, user: CurrentUser, session: SessionDep, notify: NotifyShareDep
) -> ShareOut:
    """Share the note with another user, who is notified once (the notification is sent in the background)."""
    recipient = await _recipient(session, data.username, user)
    # NOTE: INSERT OR IGNORE: two concurrent shares of the same note with the same user keep one row.
    await session.execute(insert(NoteShare).values(note_id=note.id, user_id=recipient.id).on_conflict_do_nothing())
    await session.commit()
    share = await session.get_one(NoteShare, (note.id, recipient.id))
    job = await notify.options(key=_share_key(share)).enqueue(
        note_id=note.id, title=note.title, sender=user.username, recipient=recipient.username
    )
    return ShareOut(
        note_id=note.id,
        username=recipient.username,
        shared_at=share.shared_at,
        notification=job.id,
        duplicate=job.duplicate,
    )


@router.get("/shared")
async def shared_with_me(user: CurrentUser, session: SessionDep) -> list[NoteOut]:
    """The notes other users shared with the signed-in user, most recently shared first."""
    notes = await session.scalars(
        select(Note)
        .join(NoteShare, NoteShare.note_id == Note.id)
        .where(NoteShare.user_id == user.id)
        .order_by(NoteShare.shared_at.desc(), Note.id.desc())
    )
    return [NoteOut.model_validate(note) for note in notes]
