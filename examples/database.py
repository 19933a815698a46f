"""The database as dependencies: one engine for the whole application, one session per request.

`get_engine` has `scope="app"`: vivace creates it once when the application starts and runs the code after
its `yield` when the application stops. No global variable, no lifespan bookkeeping, and tests swap the
database by overriding `get_settings`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from vivace import Depends

from .seed import seed_if_empty
from .settings import SettingsDep
from .tables import Base

__all__ = ["EngineDep", "SessionDep", "SessionmakerDep", "get_engine", "get_session", "get_sessionmaker"]


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Run on every new connection: SQLite enforces foreign keys only when asked, per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    # NOTE: write-ahead logging lets readers (the live feed's replay, listings) run while a write commits.
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


async def get_engine(settings: SettingsDep) -> AsyncIterator[AsyncEngine]:
    """The application's engine. On first start it creates the file and the tables and seeds demo data."""
    await anyio.Path(settings.db).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(settings.database_url)
    event.listen(engine.sync_engine, "connect", _configure_sqlite)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        await seed_if_empty(async_sessionmaker(engine, expire_on_commit=False))
        yield engine
    finally:
        await engine.dispose()


EngineDep = Annotated[AsyncEngine, Depends(get_engine, scope="app")]


async def get_sessionmaker(engine: EngineDep) -> async_sessionmaker[AsyncSession]:
    # NOTE: expire_on_commit=False: after a commit, reading an attribute must not need another query,
    # because with asyncio an implicit query on attribute access is an error.
    return async_sessionmaker(engine, expire_on_commit=False)


SessionmakerDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessionmaker, scope="app")]


async def get_session(sessions: SessionmakerDep) -> AsyncIterator[AsyncSession]:
    """A session per request; whatever the endpoint did not commit is rolled back when it closes."""
    async with sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
