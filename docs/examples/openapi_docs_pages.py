from vivace import FastAPI

app = FastAPI(
    title="Bookshop",
    docs_url="/documentation",  # Swagger UI moves here
    redoc_url=None,  # no ReDoc page
    swagger_ui_parameters={"defaultModelsExpandDepth": -1, "tryItOutEnabled": True},
)


@app.get("/books/{book_id}")
def read_book(book_id: int) -> dict[str, int]:
    return {"book_id": book_id}
