"""A realistic application for `make bench`, written against FastAPI's public API only (like bench/app.py).

What a new user writes after the tutorial: an async SQLAlchemy session (aiosqlite) handed out by a `yield`
dependency, OAuth2 bearer tokens that are JWTs (pyjwt) whose user is loaded through that session, settings
from a cached sync dependency (`@lru_cache def get_settings()`), a pagination query model, and nested
response models with datetimes. Four routes: list, detail, create (authenticated) and me (authenticated).

Served as is by FastAPI and, through the `fastapi` import alias, by vivace. Each server process gets its own
SQLite file, created and seeded identically in the lifespan and removed at shutdown, so both frameworks
answer the same requests with the same rows.
"""

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

import jwt
from fastapi import Depends, FastAPI, HTTPException, Path, Query, status
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, joinedload, mapped_column, relationship

# NOTE: the load driver signs its token with the same default secret (bench/realistic.py).
DEFAULT_SECRET = "bench-realistic-secret-key-not-for-production"
USERS = 20
ARTICLES = 200
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


# --- settings -------------------------------------------------------------------------------------------------


class Settings(BaseModel):
    jwt_secret: str
    jwt_algorithm: str = "HS256"
    default_page_size: int = 20


@lru_cache
def get_settings() -> Settings:
    return Settings(jwt_secret=os.environ.get("BENCH_JWT_SECRET", DEFAULT_SECRET))


# --- database -------------------------------------------------------------------------------------------------


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    email: Mapped[str] = mapped_column(String(200))
    full_name: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ArticleRow(Base):
    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    author: Mapped[UserRow] = relationship()


_directory = tempfile.mkdtemp(prefix="vivace-bench-")
engine = create_async_engine(f"sqlite+aiosqlite:///{_directory}/bench.db")
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)


@event.listens_for(engine.sync_engine, "connect")
def _tune_sqlite(connection: Any, record: Any) -> None:
    # NOTE: what a SQLite app in production sets: without WAL every INSERT waits for an fsync, and the create
    # route would measure the disk (a few requests per second) instead of the application.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


async def seed(session: AsyncSession) -> None:
    """Identical rows in every server process: fixed names, texts and timestamps."""
    for n in range(1, USERS + 1):
        created = EPOCH + timedelta(days=n)
        email = f"user{n}@example.com"
        session.add(UserRow(id=n, username=f"user{n}", email=email, full_name=None, created_at=created))
    for n in range(1, ARTICLES + 1):
        created = EPOCH + timedelta(hours=n)
        session.add(
            ArticleRow(
                id=n,
                title=f"Article number {n}",
                body=f"Body of article {n}. " * 20,
                tags=["news", f"tag{n % 7}"],
                author_id=n % USERS + 1,
                created_at=created,
                updated_at=created + timedelta(minutes=30) if n % 2 else None,
            )
        )
    await session.commit()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with SessionLocal() as session:
        await seed(session)
    yield
    await engine.dispose()
    shutil.rmtree(_directory, ignore_errors=True)


async def get_session() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


# --- schemas ----------------------------------------------------------------------------------------------------


class AuthorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    full_name: str | None


class ArticleSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    tags: list[str]
    author: AuthorOut
    created_at: datetime
    updated_at: datetime | None


class ArticleDetail(ArticleSummary):
    body: str


class ArticlePage(BaseModel):
    items: list[ArticleSummary]
    offset: int
    limit: int


class ArticleIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1)
    tags: list[str] = Field(default_factory=list, max_length=10)


class Me(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    full_name: str | None
    created_at: datetime


class Pagination(BaseModel):
    offset: int = Field(0, ge=0)
    limit: int = Field(20, gt=0, le=100)


# --- authentication --------------------------------------------------------------------------------------------

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


async def get_current_user(
    token: Annotated[str, Depends(oauth2_scheme)], session: SessionDep, settings: SettingsDep
) -> UserRow:
    unauthorized = HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="Could not validate credentials",
        headers={"WWW-Authenticate": "Bearer"},
    )
    try:
        payload = jwt.decode(token, settings.jwt_secret, algorithms=[settings.jwt_algorithm])
        user_id = int(payload["sub"])
    except (jwt.InvalidTokenError, KeyError, ValueError):
        raise unauthorized from None
    user = await session.get(UserRow, user_id)
    if user is None:
        raise unauthorized
    return user


CurrentUser = Annotated[UserRow, Depends(get_current_user)]


# --- routes -----------------------------------------------------------------------------------------------------

app = FastAPI(title="vivace benchmark: a realistic application", lifespan=lifespan)


@app.get("/articles", response_model=ArticlePage)
async def list_articles(page: Annotated[Pagination, Query()], session: SessionDep) -> ArticlePage:
    query = (
        select(ArticleRow).options(joinedload(ArticleRow.author)).order_by(ArticleRow.id).offset(page.offset)
    ).limit(page.limit)
    rows = (await session.scalars(query)).all()
    items = [ArticleSummary.model_validate(row) for row in rows]
    return ArticlePage(items=items, offset=page.offset, limit=page.limit)


@app.get("/articles/{article_id}", response_model=ArticleDetail)
async def read_article(article_id: Annotated[int, Path(ge=1)], session: SessionDep) -> ArticleRow:
    article = await session.get(ArticleRow, article_id, options=[joinedload(ArticleRow.author)])
    if article is None:
        raise HTTPException(status_code=404, detail="Article not found")
    return article


@app.post("/articles", response_model=ArticleDetail, status_code=status.HTTP_201_CREATED)
async def create_article(article: ArticleIn, user: CurrentUser, session: SessionDep) -> ArticleRow:
    row = ArticleRow(**article.model_dump(), author=user, created_at=datetime.now(UTC), updated_at=None)
    session.add(row)
    await session.commit()
    return row


@app.get("/users/me", response_model=Me)
async def read_me(user: CurrentUser) -> UserRow:
    return user
