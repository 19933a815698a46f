"""The audit log: every write to a note is recorded after the response, then announced on the live feed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vivace import Depends

from .database import SessionmakerDep
from .feed import ChangeFeed, FeedDep
from .schemas import Action, ChangeOut
from .tables import Change

__all__ = ["ChangeLog", "ChangeLogDep", "changes_after", "get_change_log"]


@dataclass(frozen=True, slots=True)
class ChangeLog:
    sessions: async_sessionmaker[AsyncSession]
    feed: ChangeFeed

    async def record(self, user_id: int, note_id: int, action: Action, title: str) -> None:
        """Meant for `BackgroundTasks`: runs after the response, in its own session (the request's is closed)."""
        async with self.sessions() as session:
            change = Change(user_id=user_id, note_id=note_id, action=action, title=title)
            session.add(change)
            await session.commit()
        await self.feed.publish(user_id, ChangeOut.model_validate(change))


async def get_change_log(sessions: SessionmakerDep, feed: FeedDep) -> ChangeLog:
    return ChangeLog(sessions, feed)


ChangeLogDep = Annotated[ChangeLog, Depends(get_change_log)]


async def changes_after(session: AsyncSession, user_id: int, after: int, limit: int) -> list[ChangeOut]:
    """`user_id`'s changes with an id above `after`, oldest first."""
    query = select(Change).where(Change.user_id == user_id, Change.id > after).order_by(Change.id).limit(limit)
    return [ChangeOut.model_validate(change) for change in await session.scalars(query)]
