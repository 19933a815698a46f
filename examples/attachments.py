"""`/notes/{note_id}/attachments`: upload a file to a note, download it, remove it.

Files are kept in the database next to the note (fine for the small files the size limit allows).
"""

from __future__ import annotations

import re
from pathlib import PureWindowsPath
from typing import Annotated, Any
from urllib.parse import quote

from sqlalchemy import select

from vivace import APIRouter, BackgroundTasks, HTTPException, Path, UploadFile, status
from vivace.responses import Response

from .cached_lists import ListsCacheDep, forget_lists
from .changelog import ChangeLogDep
from .database import SessionDep
from .notes import OwnedNote
from .schemas import MAX_ROW_ID, AttachmentOut
from .settings import SettingsDep
from .tables import Attachment, utcnow

__all__ = ["MAX_REQUEST_BYTES", "router"]

router = APIRouter()

# The hard ceiling on an upload request, enforced before the form is parsed; `settings.max_upload_bytes`
# is the (smaller, configurable) limit on the file itself.
MAX_REQUEST_BYTES = 32 * 1024 * 1024

_MEDIA_TYPE = re.compile(r"[\w!#$&^.+-]+/[\w!#$&^.+-]+(\s*;.*)?")
_TOO_LARGE: dict[int | str, dict[str, Any]] = {413: {"description": "The file is larger than the configured limit"}}
AttachmentId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]


def _safe_name(filename: str | None) -> str:
    """The last part of a client's file name (browsers may send a whole path), printable, at most 255 chars."""
    name = "".join(char for char in PureWindowsPath(filename or "").name if char.isprintable()).strip()
    return name[:255] or "upload"


def _safe_media_type(content_type: str | None) -> str:
    if content_type and len(content_type) <= 255 and _MEDIA_TYPE.fullmatch(content_type):
        return content_type
    return "application/octet-stream"


def _content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name in RFC 5987 form."""
    fallback = filename.encode("ascii", "ignore").decode().replace('"', "").replace("\\", "") or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@router.post("", status_code=status.HTTP_201_CREATED, max_body_size=MAX_REQUEST_BYTES, responses=_TOO_LARGE)
async def upload_attachment(
    note: OwnedNote,
    file: UploadFile,
    session: SessionDep,
    settings: SettingsDep,
    log: ChangeLogDep,
    lists: ListsCacheDep,
    background_tasks: BackgroundTasks,
) -> AttachmentOut:
    """Attach a file (multipart/form-data, field `file`) of at most `max_upload_bytes` to the note."""
    # NOTE: read one byte more than allowed: that is enough to know the file is too large.
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise HTTPException(
            status.HTTP_413_CONTENT_TOO_LARGE, detail=f"File larger than {settings.max_upload_bytes} bytes"
        )
    attachment = Attachment(
        filename=_safe_name(file.filename),
        content_type=_safe_media_type(file.content_type),
        size=len(data),
        data=data,
    )
    note.attachments.append(attachment)
    note.updated_at = utcnow()
    await session.commit()
    await forget_lists(lists, note.owner_id)  # NOTE: listed notes show their attachments
    background_tasks.add_task(log.record, note.owner_id, note.id, "attached", note.title)
    return AttachmentOut.model_validate(attachment)


@router.get(
    "/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file, as uploaded"}},
)
async def download_attachment(note: OwnedNote, attachment_id: AttachmentId, session: SessionDep) -> Response:
    query = select(Attachment.filename, Attachment.content_type, Attachment.data).where(
        Attachment.id == attachment_id, Attachment.note_id == note.id
    )
    found = (await session.execute(query)).one_or_none()
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Attachment not found")
    headers = {
        "Content-Disposition": _content_disposition(found.filename),
        # NOTE: the media type is the uploader's claim; never let a browser sniff and render it as a page.
        "X-Content-Type-Options": "nosniff",
    }
    return Response(found.data, media_type=found.content_type, headers=headers)


@router.delete("/{attachment_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_attachment(
    note: OwnedNote,
    attachment_id: AttachmentId,
    session: SessionDep,
    log: ChangeLogDep,
    lists: ListsCacheDep,
    background_tasks: BackgroundTasks,
) -> None:
    attachment = next((item for item in note.attachments if item.id == attachment_id), None)
    if attachment is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Attachment not found")
    note.attachments.remove(attachment)
    note.updated_at = utcnow()
    await session.commit()
    await forget_lists(lists, note.owner_id)
    background_tasks.add_task(log.record, note.owner_id, note.id, "detached", note.title)
