from typing import Annotated

from pydantic import BaseModel, Field

from vivace import Body, FastAPI

app = FastAPI(
    title="Bookshop",
    version="2.1.0",
    summary="Books, shelves and orders.",
    description="Everything the shop sells, **in Markdown**.",
    contact={"name": "Shop team", "email": "team@bookshop.example"},
    license_info={"name": "MIT", "identifier": "MIT"},
    openapi_tags=[{"name": "books", "description": "The catalogue."}],
)


class Book(BaseModel):
    title: str = Field(examples=["Dune"])
    year: int | None = Field(default=None, ge=1450, description="Year of first publication")


@app.post(
    "/books",
    tags=["books"],
    summary="Add a book",
    response_description="The book as stored",
    status_code=201,
)
def add_book(
    book: Annotated[
        Book,
        Body(
            openapi_examples={
                "classic": {"summary": "A classic", "value": {"title": "Dune", "year": 1965}},
                "untitled-year": {"summary": "Year unknown", "value": {"title": "Beowulf"}},
            }
        ),
    ],
) -> Book:
    """Store a book in the catalogue.

    The year is optional: some books are older than their records.
    """
    return book


@app.get("/internal/stats", include_in_schema=False)
def stats() -> dict[str, int]:
    return {"books": 0}
