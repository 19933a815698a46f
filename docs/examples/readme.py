from pydantic import BaseModel, Field

from vivace import FastAPI, HTTPException

app = FastAPI()


class Book(BaseModel):
    title: str = Field(min_length=1)
    year: int = Field(ge=1450)


books: dict[int, Book] = {}


@app.put("/books/{book_id}")
async def put_book(book_id: int, book: Book) -> Book:
    books[book_id] = book
    return book


@app.get("/books")
def list_books(since: int = 0) -> list[Book]:
    return [book for book in books.values() if book.year >= since]


@app.get("/books/{book_id}")
async def get_book(book_id: int) -> Book:
    if book_id not in books:
        raise HTTPException(status_code=404, detail="No such book")
    return books[book_id]
