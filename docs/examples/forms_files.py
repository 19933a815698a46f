"""Uploaded files: UploadFile, bytes, lists of files, optional files, files with fields (see forms-and-files.md)."""

from typing import Annotated

from vivace import FastAPI, File, Form, UploadFile

app = FastAPI()


# UploadFile: the file streams to a temporary file; read it with await.
@app.post("/avatar")
async def upload_avatar(file: UploadFile) -> dict[str, object]:
    head = await file.read(8)
    return {"filename": file.filename, "type": file.content_type, "size": file.size, "png": head[1:4] == b"PNG"}


# bytes: the whole file's content, for small files.
@app.post("/checksum")
async def checksum(data: Annotated[bytes, File()]) -> dict[str, int]:
    return {"size": len(data), "sum": sum(data) % 256}


# Several files under one field name, plus a text field; the description is optional.
@app.post("/albums/{album}/photos")
async def add_photos(
    album: str,
    photos: list[UploadFile],
    caption: Annotated[str, Form()],
    description: Annotated[UploadFile | None, File()] = None,
) -> dict[str, object]:
    return {
        "album": album,
        "caption": caption,
        "photos": [photo.filename for photo in photos],
        "description": None if description is None else (await description.read()).decode(),
    }
