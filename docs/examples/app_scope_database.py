# A database engine: one connection pool for the application, a session per request.
import os
from collections.abc import Iterator
from typing import Annotated

from pydantic import BaseModel
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from vivace import Depends, FastAPI


def get_engine() -> Iterator[Engine]:
    engine = create_engine(os.environ.get("DATABASE_URL", "sqlite:///notes.db"))
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"))
    yield engine
    engine.dispose()  # at shutdown: close every pooled connection


def get_session(engine: Annotated[Engine, Depends(get_engine, scope="app")]) -> Iterator[Session]:
    with Session(engine) as session:  # request-scoped (the default): closed after each response
        yield session


SessionDep = Annotated[Session, Depends(get_session)]

app = FastAPI()


class Note(BaseModel):
    body: str


@app.post("/notes", status_code=201)
def add_note(note: Note, session: SessionDep) -> dict[str, int]:
    result = session.execute(text("INSERT INTO notes (body) VALUES (:body) RETURNING id"), {"body": note.body})
    note_id = result.scalar_one()
    session.commit()
    return {"id": note_id}


@app.get("/notes")
def list_notes(session: SessionDep) -> list[str]:
    return list(session.execute(text("SELECT body FROM notes ORDER BY id")).scalars())
