"""Request limits: the defaults, and changing them for an app, a router or a route (docs/guide/forms-and-files.md)."""

from typing import Annotated, Any

from vivace import APIRouter, FastAPI, Form, Request, UploadFile

# The whole application: JSON bodies up to 2 MiB, forms with at most 50 fields.
app = FastAPI(max_body_size=2 * 1024 * 1024, form_limits={"max_fields": 50})


@app.post("/notes")
async def add_note(note: dict[str, Any]) -> dict[str, int]:
    return {"keys": len(note)}


# A router for uploads: bodies up to 500 MiB, at most 3 files, each up to 200 MiB.
uploads = APIRouter(prefix="/uploads", max_body_size=500 * 1024 * 1024)


@uploads.post("/", form_limits={"max_files": 3, "max_file_size": 200 * 1024 * 1024})
async def upload(files: list[UploadFile], title: Annotated[str, Form()] = "") -> dict[str, Any]:
    return {"title": title, "sizes": [file.size for file in files]}


# Streaming the body yourself: only an explicit max_body_size applies, so huge bodies are possible.
@uploads.put("/raw/{name}", max_body_size=10 * 1024 * 1024 * 1024)
async def upload_raw(name: str, request: Request) -> dict[str, Any]:
    size = 0
    async for chunk in request.stream():
        size += len(chunk)  # write the chunk somewhere instead of keeping it
    return {"name": name, "size": size}


app.include_router(uploads)
