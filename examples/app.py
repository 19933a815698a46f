"""The notes API: `make run` serves `examples.app:app` on http://127.0.0.1:8000.

Try it with one of the demo tokens (storage is in memory, so a restart starts empty):

    curl -X POST localhost:8000/notes -H 'Authorization: Bearer alice-token' \\
         -H 'Content-Type: application/json' -d '{"title": "Groceries", "tags": ["home"]}'
    curl 'localhost:8000/notes?tag=home' -H 'Authorization: Bearer alice-token'
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from vivace import FastAPI, Request, status
from vivace.responses import JSONResponse

from . import notes, users
from .deps import SettingsDep
from .store import NoteStore

__all__ = ["app"]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """Create the store at startup; each request sees it as `request.state.store` (see `deps.get_store`)."""
    yield {"store": NoteStore()}


app = FastAPI(title="vivace notes", version="0.1.0", lifespan=lifespan)
app.include_router(notes.router, prefix="/notes", tags=["notes"])
app.include_router(users.router, prefix="/users", tags=["users"])


@app.exception_handler(notes.QuotaExceeded)
async def quota_exceeded(request: Request, exc: notes.QuotaExceeded) -> JSONResponse:
    return JSONResponse({"detail": str(exc), "limit": exc.limit}, status_code=status.HTTP_409_CONFLICT)


@app.get("/health", tags=["meta"])
async def health(settings: SettingsDep) -> dict[str, str]:
    """Liveness check; needs no token."""
    return {"status": "ok", "app": settings.app_name}
