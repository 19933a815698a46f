"""What clients send and receive: the Pydantic models of the API (the tables are in `tables.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# SQLite stores integers in 64 bits: a larger id or offset cannot be sent to the database, so it is a 422 here.
MAX_ROW_ID = 2**63 - 1

__all__ = [
    "MAX_ROW_ID",
    "Action",
    "AttachmentOut",
    "ChangeOut",
    "NoteFilter",
    "NoteIn",
    "NoteOut",
    "NotePage",
    "NotePatch",
    "ShareIn",
    "ShareOut",
    "Token",
    "UserIn",
    "UserOut",
]


def _normalise_tags(tags: list[str]) -> list[str]:
    """Tags compare case-insensitively and without surrounding blanks; duplicates collapse; sorted."""
    return sorted({tag.strip().lower() for tag in tags if tag.strip()})


Title = Annotated[str, Field(min_length=1, max_length=120)]
Body = Annotated[str, Field(max_length=10_000)]
Tags = Annotated[list[Annotated[str, Field(max_length=30)]], Field(max_length=10), AfterValidator(_normalise_tags)]
Action = Literal["created", "updated", "deleted", "attached", "detached"]


class Token(BaseModel):
    """The token endpoint's answer, in the shape OAuth2 clients (and Swagger UI) expect."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"


class UserIn(BaseModel):
    """The body of `POST /users` (sign up)."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[a-z0-9_]{3,32}$", examples=["ada"])
    full_name: str = Field(min_length=1, max_length=100, examples=["Ada Lovelace"])
    password: str = Field(min_length=8, max_length=128)


class UserOut(BaseModel):
    """A user as clients see it: never the password hash."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str


class NoteIn(BaseModel):
    """The body of `POST /notes`."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    body: Body = ""
    tags: Tags = Field(default_factory=list)


class NotePatch(BaseModel):
    """The body of `PATCH /notes/{note_id}`: only the fields the client sends are changed."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None
    tags: Tags | None = None
    archived: bool | None = None

    def changes(self) -> dict[str, Any]:
        """The fields the client sent, as validated values; a field sent as null is left as it is."""
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        return {name: value for name, value in sent.items() if value is not None}


class AttachmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    content_type: str
    size: int
    created_at: datetime


class NoteOut(BaseModel):
    """A stored note, as clients see it; `tags` and `attachments` come from related tables."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    body: str
    tags: list[str]
    archived: bool
    created_at: datetime
    updated_at: datetime
    attachments: list[AttachmentOut]


class NoteFilter(BaseModel):
    """`GET /notes` query parameters, declared once as a model; unknown parameters are rejected."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=20, ge=1, le=100)
    offset: int = Field(default=0, ge=0, le=MAX_ROW_ID)
    tag: str | None = Field(default=None, max_length=30)
    q: str | None = Field(default=None, min_length=1, max_length=100, description="text in title or body")
    archived: bool = False
    order: Literal["created", "-created", "updated", "-updated", "title"] = "-created"


class NotePage(BaseModel):
    """One page of results; `total` counts every match, not just this page."""

    items: list[NoteOut]
    total: int
    limit: int
    offset: int


class ChangeOut(BaseModel):
    """One entry of the audit log, also sent on the live feed (its `id` is the SSE event id)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    note_id: int
    action: Action
    title: str
    at: datetime


class ShareIn(BaseModel):
    """The body of `POST /notes/{note_id}/share`: who to share the note with."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(pattern=r"^[a-z0-9_]{3,32}$", examples=["bob"])


class ShareOut(BaseModel):
    """A recorded share; `notification` is the id of the durable task that tells the recipient."""

    note_id: int
    username: str
    shared_at: datetime
    notification: str
    duplicate: bool = Field(description="true when the note was already shared with this user: nobody is told twice")
