"""The API's data shapes: what clients send, what they get back, and how they ask for a page of notes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "Activity",
    "ChecklistItem",
    "Note",
    "NoteIn",
    "NotePage",
    "NotePatch",
    "NoteQuery",
    "User",
    "UserPublic",
]


def _normalise_tags(tags: list[str]) -> list[str]:
    """Tags compare case-insensitively and without surrounding blanks; duplicates collapse, order is kept."""
    return list(dict.fromkeys(tag.strip().lower() for tag in tags if tag.strip()))


Title = Annotated[str, Field(min_length=1, max_length=120)]
Body = Annotated[str, Field(max_length=10_000)]
Tags = Annotated[list[str], Field(max_length=10), AfterValidator(_normalise_tags)]


class ChecklistItem(BaseModel):
    text: str = Field(min_length=1, max_length=200)
    done: bool = False


class NoteIn(BaseModel):
    """The body of `POST /notes`: a note with optional tags and a nested checklist."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body = ""
    tags: Tags = Field(default_factory=list)
    checklist: list[ChecklistItem] = Field(default_factory=list)


class NotePatch(BaseModel):
    """The body of `PATCH /notes/{id}`: only the fields the client sends are changed."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None
    tags: Tags | None = None
    checklist: list[ChecklistItem] | None = None
    archived: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, as validated values; a field sent as null is left as it is."""
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        return {name: value for name, value in sent.items() if value is not None}


class Note(BaseModel):
    """A stored note, as clients see it."""

    id: int
    owner: str
    title: str
    body: str
    tags: list[str]
    checklist: list[ChecklistItem]
    archived: bool = False
    created_at: datetime
    updated_at: datetime


class NoteQuery(BaseModel):
    """`GET /notes` query parameters, declared once as a model; unknown parameters are rejected."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0)
    tag: str | None = None
    q: str | None = Field(default=None, min_length=1, description="case-insensitive text in title or body")
    archived: bool = False
    order: Literal["created", "-created", "title"] = "-created"


class NotePage(BaseModel):
    """One page of results; `total` counts every match, not just this page."""

    items: list[Note]
    total: int
    limit: int
    offset: int


class UserPublic(BaseModel):
    username: str
    full_name: str


class User(UserPublic):
    """The server's view of a user; `token` never leaves the server (responses use `UserPublic`)."""

    token: str


class Activity(BaseModel):
    """One line of a user's activity log, written by a background task after the response."""

    at: datetime
    action: Literal["created", "updated", "deleted"]
    note_id: int
