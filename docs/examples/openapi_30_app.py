from vivace import FastAPI

app = FastAPI(title="Bookshop")
app.openapi_version = "3.0.3"  # /openapi.json (and /docs) now serve OpenAPI 3.0.3


@app.get("/books")
def list_books(author: str | None = None) -> list[str]:
    return []
