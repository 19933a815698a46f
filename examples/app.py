"""The notes API that `make run` serves (`examples.app:app`): SQLite, users, notes, files, a live feed.

Open http://127.0.0.1:8000/docs, press "Authorize", log in as `demo` / `demo-password`, and try it. The
database is `.data/example.db` (set `VIVACE_EXAMPLE_DB` to move it); `settings.py` lists every setting.
`make run-cluster` serves it as two worker processes sharing a Redis (`cluster.py`).
"""

from __future__ import annotations

from sqlalchemy import text

from vivace import FastAPI, Request, status
from vivace.middleware.cors import CORSMiddleware
from vivace.responses import JSONResponse, RedirectResponse

from . import attachments, auth, changes, notes, sharing, users
from .database import EngineDep
from .notes import QuotaExceeded
from .notifications import make_tasks
from .security import UNAUTHORIZED
from .seed import DEMO_PASSWORD, DEMO_USERNAME
from .settings import Settings

__all__ = ["app", "create_app"]

DESCRIPTION = f"""
A notes service built with vivace: SQLite through SQLAlchemy's asyncio API, OAuth2 password login with JWT
bearer tokens, notes with tags, filters and pages, file attachments, an audit log written by background tasks,
and a live feed of changes as Server-Sent Events. Login attempts are rate limited, and the notes list is cached
with ETags. Sharing a note notifies the other user through a durable task, retried when sending fails. Run it
as one process, or as several workers sharing a Redis (`make run-cluster`).

**Try it:** press *Authorize* and log in as `{DEMO_USERNAME}` / `{DEMO_PASSWORD}`.
"""

TAGS = [
    {"name": "auth", "description": "Sign up and log in."},
    {"name": "notes", "description": "The signed-in user's notes."},
    {"name": "attachments", "description": "Files attached to a note."},
    {"name": "sharing", "description": "Notes shared with other users, who are notified by a durable task."},
    {"name": "changes", "description": "The audit log, also as a live event stream."},
    {"name": "meta", "description": "Service health."},
]


async def quota_exceeded(request: Request, exc: QuotaExceeded) -> JSONResponse:
    """A domain error becomes an HTTP answer here, so `notes.py` need not know about status codes for it."""
    return JSONResponse({"detail": str(exc), "limit": exc.limit}, status_code=status.HTTP_409_CONFLICT)


async def health(engine: EngineDep) -> dict[str, str]:
    """Liveness and database check; needs no token."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}


async def home() -> RedirectResponse:
    return RedirectResponse("/docs")


def create_app() -> FastAPI:
    """Build the application. CORS origins are read here, the rest of the settings at startup.

    There is no lifespan function: what lives as long as the application (the database engine, the live
    feed's channels, the login counters, the notes cache) is made by app-scoped dependencies, which vivace
    opens at startup and closes at shutdown (see `database.py` and `shared.py`).
    """
    app = FastAPI(title="vivace notes", version="1.0.0", description=DESCRIPTION, openapi_tags=TAGS)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(Settings.from_env().cors_origins),
        allow_methods=["*"],
        allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        expose_headers=["Content-Disposition"],
    )
    app.include_router(auth.router, tags=["auth"])
    app.include_router(users.router, prefix="/users", tags=["auth"])
    app.include_router(notes.router, prefix="/notes", tags=["notes"], responses=UNAUTHORIZED)
    app.include_router(
        attachments.router,
        prefix="/notes/{note_id}/attachments",
        tags=["attachments"],
        responses=UNAUTHORIZED | notes.NOTE_ERRORS,
    )
    app.include_router(changes.router, prefix="/changes", tags=["changes"], responses=UNAUTHORIZED)
    app.include_router(sharing.router, tags=["sharing"], responses=UNAUTHORIZED)
    make_tasks(Settings.from_env()).install(app)  # NOTE: memory, or Redis run by `vivace worker examples/app.py`
    app.add_exception_handler(QuotaExceeded, quota_exceeded)
    app.add_api_route("/health", health, methods=["GET"], tags=["meta"])
    app.add_api_route("/", home, methods=["GET"], include_in_schema=False)
    return app


app = create_app()
