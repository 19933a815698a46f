"""The database tables, as SQLAlchemy 2 declarative classes.

Clients never see these objects directly: endpoints turn them into the Pydantic models of `schemas.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = ["Attachment", "Base", "Change", "Note", "NoteShare", "Tag", "User", "utcnow"]


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and reads back aware datetimes: SQLite itself keeps no time zone."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    full_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # NOTE: lazy="selectin" loads tags and attachments with the note in one extra query; with asyncio,
    # a lazy load on first attribute access is not possible.
    tag_links: Mapped[list[Tag]] = relationship(lazy="selectin", cascade="all, delete-orphan", order_by="Tag.name")
    attachments: Mapped[list[Attachment]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    @property
    def tags(self) -> list[str]:
        return [link.name for link in self.tag_links]

    def set_tags(self, names: list[str]) -> None:
        """Replace the tags, keeping the rows of tags that stay (a delete + insert of one name would collide)."""
        kept = {link.name: link for link in self.tag_links}
        self.tag_links = [kept.get(name) or Tag(name=name) for name in sorted(set(names))]


class Tag(Base):
    __tablename__ = "note_tags"

    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(30), primary_key=True, index=True)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    # NOTE: deferred: listing a note's attachments must not read every file into memory.
    data: Mapped[bytes] = mapped_column(deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NoteShare(Base):
    """A note its owner shared with another user (`sharing.py`); sharing twice keeps one row."""

    __tablename__ = "note_shares"

    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    shared_at: Mapped[datetime] = mapped_column(default=utcnow)


class Change(Base):
    """One line of the audit log; also the source of the live feed's event ids."""

    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # NOTE: no foreign key: the log outlives the notes it talks about.
    note_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(default=utcnow)
