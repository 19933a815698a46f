from typing import Annotated

from pydantic import BaseModel, Field

from vivace import Depends, FastAPI, HTTPException

app = FastAPI()
books: dict[int, "Book"] = {}


class Book(BaseModel):
    title: str = Field(min_length=1)
    year: int = Field(ge=1450)


def get_shelf() -> dict[int, Book]:
    return books


Shelf = Annotated[dict[int, Book], Depends(get_shelf)]


@app.put("/books/{book_id}")
async def put_book(book_id: int, book: Book, shelf: Shelf) -> Book:
    shelf[book_id] = book
    return book


@app.get("/books/{book_id}")
async def get_book(book_id: int, shelf: Shelf) -> Book:
    if book_id not in shelf:
        raise HTTPException(status_code=404, detail="No such book")
    return shelf[book_id]
