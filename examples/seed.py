"""Demo data, written on the first start (when the database has no users yet)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .passwords import hash_password
from .tables import Note, User, utcnow

__all__ = ["DEMO_PASSWORD", "DEMO_USERNAME", "seed_if_empty"]

# Shown in the API description, so that a newcomer can log in from /docs ("Authorize").
DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-password"

_NOTES = [
    ("Welcome to vivace", "Open /docs, press Authorize and log in as demo / demo-password.", ["welcome"]),
    ("Groceries", "milk, eggs, coffee", ["home", "shopping"]),
    ("Quarterly report", "Draft the summary before Friday.", ["work"]),
]


async def seed_if_empty(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Add the demo user and a few notes unless a user exists; True if it seeded."""
    async with sessions() as session:
        if await session.scalar(select(User.id).limit(1)) is not None:
            return False
        user = User(username=DEMO_USERNAME, full_name="Demo User", password_hash=await hash_password(DEMO_PASSWORD))
        session.add(user)
        await session.flush()
        for title, body, tags in _NOTES:
            now = utcnow()
            note = Note(owner_id=user.id, title=title, body=body, created_at=now, updated_at=now, tag_links=[])
            note.set_tags(tags)
            session.add(note)
        await session.commit()
    return True
