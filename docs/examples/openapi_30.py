import json
from pathlib import Path

from vivace import FastAPI
from vivace.openapi.utils import get_openapi

app = FastAPI(title="Bookshop", version="2.1.0")


@app.get("/books/{book_id}")
def read_book(book_id: int, fields: str | None = None) -> dict[str, int | str | None]:
    return {"book_id": book_id, "fields": fields}


def write_openapi_30(path: Path) -> dict[str, object]:
    """Write the app's document as OpenAPI 3.0.3, for a tool that cannot read 3.1."""
    document = get_openapi(
        title=app.title,
        version=app.version,
        openapi_version="3.0.3",
        routes=app.routes,
    )
    path.write_text(json.dumps(document, indent=2))
    return document
