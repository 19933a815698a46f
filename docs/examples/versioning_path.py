"""API versions by path: /v1, /v2 and /v3, one router declared once, version 1 deprecated."""

from datetime import UTC, datetime

from pydantic import BaseModel

from vivace import APIRouter, FastAPI
from vivace.versioning import Deprecation, Version, Versions, version


class BookV1(BaseModel):
    title: str


class Book(BaseModel):
    title: str
    year: int


BOOKS = {1: Book(title="Dune", year=1965)}

app = FastAPI(title="Library")
versions = Versions(
    app,
    [
        Version("1", Deprecation(at=datetime(2025, 1, 1, tzinfo=UTC), sunset=datetime(2026, 12, 31, tzinfo=UTC))),
        Version("2"),
        Version("3"),
    ],
)
router = APIRouter(tags=["books"])


@router.get("/books")
async def list_books() -> list[str]:  # in every version
    return [book.title for book in BOOKS.values()]


@router.get("/books/{book_id}")
@version(removed="2")  # versions 1 only
async def read_book_v1(book_id: int) -> BookV1:
    return BookV1(title=BOOKS[book_id].title)


@router.get("/books/{book_id}")
@version(since="2")  # versions 2 and 3
async def read_book(book_id: int) -> Book:
    return BOOKS[book_id]


@router.get("/stats")
@version(since="3")
async def stats() -> dict[str, int]:
    return {"books": len(BOOKS)}


versions.include_router(router)
