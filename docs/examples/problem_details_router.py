# Problem details for one router: a new API version answers RFC 9457 documents, the old one keeps its bodies.
from vivace import APIRouter, FastAPI, HTTPException

app = FastAPI()

books = {1: "Dune"}


async def read_book(book_id: int) -> dict[str, str]:
    if book_id not in books:
        raise HTTPException(404, "No such book")
    return {"title": books[book_id]}


v1 = APIRouter(prefix="/v1")
v1.get("/books/{book_id}")(read_book)

v2 = APIRouter(prefix="/v2", problem_details=True)
v2.get("/books/{book_id}")(read_book)

app.include_router(v1)
app.include_router(v2)
