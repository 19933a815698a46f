"""In-memory storage for notes and activity.

The methods are synchronous and guarded by one lock: `def` endpoints call them from the thread pool while
`async def` endpoints call them from the event loop. The interface is the one a SQLite-backed store will keep.
"""

from __future__ import annotations

import itertools
import threading
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from .models import Activity, Note, NoteIn, NoteQuery

__all__ = ["NoteStore"]

# How each `order` value of NoteQuery sorts: (key, reverse).
_ORDERINGS = {
    "created": (lambda note: note.id, False),
    "-created": (lambda note: note.id, True),
    "title": (lambda note: (note.title.lower(), note.id), False),
}


def _matches(note: Note, owner: str, query: NoteQuery) -> bool:
    if note.owner != owner or note.archived != query.archived:
        return False
    if query.tag is not None and query.tag.lower() not in note.tags:
        return False
    if query.q is None:
        return True
    needle = query.q.lower()
    return needle in note.title.lower() or needle in note.body.lower()


class NoteStore:
    """Notes keyed by id, plus a per-user activity log; ids are never reused."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._notes: dict[int, Note] = {}
        self._ids = itertools.count(1)
        self._activity: defaultdict[str, list[Activity]] = defaultdict(list)

    def create(self, owner: str, data: NoteIn) -> Note:
        now = datetime.now(UTC)
        with self._lock:
            note = Note(id=next(self._ids), owner=owner, created_at=now, updated_at=now, **data.model_dump())
            self._notes[note.id] = note
        return note

    def get(self, note_id: int) -> Note | None:
        return self._notes.get(note_id)

    def count(self, owner: str) -> int:
        with self._lock:
            return sum(1 for note in self._notes.values() if note.owner == owner)

    def search(self, owner: str, query: NoteQuery, limit: int) -> tuple[list[Note], int]:
        """One page of `owner`'s notes matching `query`, and how many match in all."""
        key, reverse = _ORDERINGS[query.order]
        with self._lock:
            found = [note for note in self._notes.values() if _matches(note, owner, query)]
        found.sort(key=key, reverse=reverse)
        return found[query.offset : query.offset + limit], len(found)

    def update(self, note_id: int, changes: dict[str, Any]) -> Note:
        """Apply `changes` (already validated field values) and return the new version of the note."""
        with self._lock:
            note = self._notes[note_id].model_copy(update={**changes, "updated_at": datetime.now(UTC)})
            self._notes[note_id] = note
        return note

    def delete(self, note_id: int) -> None:
        with self._lock:
            del self._notes[note_id]

    def record(self, owner: str, action: str, note_id: int) -> None:
        """Append to `owner`'s activity log (called by a background task, after the response is sent)."""
        entry = Activity.model_validate({"at": datetime.now(UTC), "action": action, "note_id": note_id})
        with self._lock:
            self._activity[owner].append(entry)

    def activity(self, owner: str) -> list[Activity]:
        with self._lock:
            return list(self._activity[owner])
